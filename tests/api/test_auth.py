"""Who may call the API: personal access tokens and the signed-in web session."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from salespipe.people.models import ApiToken, User
from salespipe.people.tokens import token_create
from tests.api.conftest import ApiClient


def test_a_request_without_credentials_is_refused_with_401_and_the_error_body(db: None) -> None:
    # when
    response = Client().get("/api/v1/deals")

    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert "Bearer" in response.json()["error"]["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_token_is_refused_with_401_even_on_a_write(db: None) -> None:
    # when
    response = Client(headers={"Authorization": "Bearer sp_not-a-real-token"}).post(
        "/api/v1/deals", {"title": "x"}, content_type="application/json"
    )

    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_an_expired_token_is_refused(rep: User) -> None:
    # given
    token, raw = token_create(user=rep, name="old script", expires_in_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    # when
    response = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/users/me")

    # then
    assert response.status_code == 401


def test_a_valid_token_acts_as_its_user(api_client: ApiClient, rep: User) -> None:
    # when
    response = api_client(rep).get("/api/v1/users/me")

    # then
    assert response.status_code == 200
    assert response.json()["username"] == "rep"


def test_a_revoked_token_stops_working_at_once(rep: User) -> None:
    # given
    token, raw = token_create(user=rep, name="laptop")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get("/api/v1/users/me").status_code == 200

    # when
    revoked = client.delete(f"/api/v1/tokens/{token.pk}")

    # then
    assert revoked.status_code == 204
    assert client.get("/api/v1/users/me").status_code == 401


def test_a_signed_in_web_session_can_read_the_api(rep: User) -> None:
    # given
    client = Client()
    client.force_login(rep)

    # when
    response = client.get("/api/v1/users/me")

    # then
    assert response.status_code == 200
    assert response.json()["username"] == "rep"


def test_a_session_write_without_the_csrf_token_is_refused(rep: User) -> None:
    # given
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)

    # when
    response = client.post("/api/v1/organizations", {"name": "Acme"}, content_type="application/json")

    # then
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"


def test_a_session_write_with_the_csrf_token_goes_through(rep: User) -> None:
    # given
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    csrf_token = "a" * 32
    client.cookies["csrftoken"] = csrf_token

    # when
    response = client.post(
        "/api/v1/organizations",
        {"name": "Acme"},
        content_type="application/json",
        headers={"X-CSRFToken": csrf_token},
    )

    # then
    assert response.status_code == 201
