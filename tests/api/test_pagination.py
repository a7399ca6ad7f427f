"""Cursor pagination: every list pages the same way, newest first, without counting rows."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from salespipe.people.models import User
from tests.api.conftest import ApiClient
from tests.factories import OrganizationFactory


def test_walking_the_cursor_visits_every_visible_deal_exactly_once(
    api_client: ApiClient, rep: User, teammate: User, make_deal: Any
) -> None:
    # given
    visible = [make_deal(rep, title=f"Deal {n}").pk for n in range(7)]
    make_deal(teammate, title="Not the rep's")
    client = api_client(rep)

    # when
    seen: list[int] = []
    pages = 0
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/deals", params).json()
        seen += [deal["id"] for deal in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    # then
    assert seen == sorted(visible, reverse=True)
    assert pages == 3


def test_the_last_full_page_has_no_next_cursor(api_client: ApiClient, rep: User, make_deal: Any) -> None:
    # given
    for _ in range(2):
        make_deal(rep)

    # when
    body = api_client(rep).get("/api/v1/deals", {"limit": 2}).json()

    # then
    assert len(body["items"]) == 2
    assert body["next_cursor"] is None


def test_the_default_page_holds_fifty_rows(api_client: ApiClient, rep: User) -> None:
    # given
    OrganizationFactory.create_batch(51)

    # when
    body = api_client(rep).get("/api/v1/organizations").json()

    # then
    assert len(body["items"]) == 50
    assert body["next_cursor"] is not None


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64!",
        base64.urlsafe_b64encode(b"id:abc").decode(),
        base64.urlsafe_b64encode(b"42").decode(),
        "AA",
    ],
)
def test_a_cursor_the_api_did_not_hand_out_is_refused_with_422(
    api_client: ApiClient, rep: User, cursor: str
) -> None:
    # when
    response = api_client(rep).get("/api/v1/deals", {"cursor": cursor})

    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert "cursor" in response.json()["error"]["fields"]


@pytest.mark.parametrize("limit", [0, 201, "ten"])
def test_a_page_size_outside_1_to_200_is_refused_with_422(
    api_client: ApiClient, rep: User, limit: object
) -> None:
    # when
    response = api_client(rep).get("/api/v1/activities", {"limit": limit})

    # then
    assert response.status_code == 422
    assert "limit" in response.json()["error"]["fields"]
