"""Personal access tokens: shown once, listed without the secret, revoked for good."""

from __future__ import annotations

from django.test import Client

from salespipe.people.models import User
from tests.api.conftest import ApiClient

JSON = "application/json"


def test_a_new_token_is_shown_once_and_works(session_client: ApiClient, rep: User) -> None:
    # given
    client = session_client(rep)

    # when
    created = client.post(
        "/api/v1/tokens", {"name": "reporting script", "expires_in_days": 30}, content_type=JSON
    )
    listed = client.get("/api/v1/tokens")

    # then
    assert created.status_code == 201
    raw = created.json()["token"]
    assert raw.startswith("sp_")
    assert created.json()["expires_at"] is not None
    assert raw not in listed.content.decode()
    assert "reporting script" in [token["name"] for token in listed.json()["items"]]
    assert (
        Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/users/me").json()["username"] == "rep"
    )


def test_a_token_without_a_name_is_refused_with_422(session_client: ApiClient, rep: User) -> None:
    # when
    response = session_client(rep).post("/api/v1/tokens", {"name": " "}, content_type=JSON)

    # then
    assert response.status_code == 422


def test_nobody_lists_or_revokes_another_users_tokens(
    api_client: ApiClient, session_client: ApiClient, rep: User, admin_user: User
) -> None:
    # given
    reps_token = session_client(rep).post("/api/v1/tokens", {"name": "rep laptop"}, content_type=JSON).json()
    admin = api_client(admin_user)

    # when
    listed = admin.get("/api/v1/tokens").json()["items"]
    revoked = admin.delete(f"/api/v1/tokens/{reps_token['id']}")

    # then
    assert "rep laptop" not in [token["name"] for token in listed]
    assert revoked.status_code == 404
    assert (
        Client(headers={"Authorization": f"Bearer {reps_token['token']}"}).get("/api/v1/users/me").status_code
        == 200
    )


def test_a_token_cannot_create_another_token(api_client: ApiClient, rep: User) -> None:
    # when a request authenticated by a token asks for a new token
    response = api_client(rep).post("/api/v1/tokens", {"name": "persistence"}, content_type=JSON)

    # then it is refused, and no token was made
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert rep.api_tokens.filter(name="persistence").count() == 0
