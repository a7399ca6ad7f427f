"""Every failure, whatever raised it, answers with the one error body."""

from __future__ import annotations

from django.test import Client

from salespipe.people.models import User
from tests.api.conftest import ApiClient

JSON = "application/json"


def _is_error_body(body: dict[str, object]) -> bool:
    error = body.get("error")
    return isinstance(error, dict) and set(error) == {"code", "message", "fields"}


def test_an_unknown_path_under_the_api_is_a_404_with_the_error_body(db: None) -> None:
    # when
    response = Client().get("/api/v1/no-such-thing/")

    # then
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"


def test_an_unsupported_method_is_a_405_naming_the_allowed_ones(api_client: ApiClient, rep: User) -> None:
    # when
    response = api_client(rep).put("/api/v1/deals", {}, content_type=JSON)

    # then
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def test_a_body_that_is_not_json_is_a_400(api_client: ApiClient, rep: User) -> None:
    # when
    response = api_client(rep).post("/api/v1/organizations", "{not json", content_type=JSON)

    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_body"


def test_a_validation_error_names_each_field_by_its_path(api_client: ApiClient, admin_user: User) -> None:
    # when
    response = api_client(admin_user).post(
        "/api/v1/pipelines",
        {"name": "Renewals", "stages": [{"name": "Due", "kind": "maybe", "default_probability": 150}]},
        content_type=JSON,
    )

    # then
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"stages.0.kind", "stages.0.default_probability"}
    assert "stages.0.default_probability" in error["message"]


def test_a_path_id_that_is_not_a_number_is_refused_with_422(api_client: ApiClient, rep: User) -> None:
    # when
    response = api_client(rep).get("/api/v1/deals/abc")

    # then
    assert response.status_code == 422
    assert _is_error_body(response.json())
    assert "deal_id" in response.json()["error"]["fields"]


def test_errors_of_every_class_share_one_body(api_client: ApiClient, rep: User, make_deal: object) -> None:
    # given
    client = api_client(rep)

    # when
    responses = [
        Client().get("/api/v1/deals"),
        client.get("/api/v1/deals/999999"),
        client.post("/api/v1/deals", {}, content_type=JSON),
        client.post("/api/v1/pipelines", {"name": "x"}, content_type=JSON),
    ]

    # then
    assert [r.status_code for r in responses] == [401, 404, 422, 403]
    assert all(_is_error_body(r.json()) for r in responses)
