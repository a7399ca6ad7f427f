"""List endpoints run a fixed number of queries whatever the page size (the product targets 1M deals).

The two queries: the token lookup, then the page itself (limit + 1 rows, no COUNT). A client's first
request in five minutes also stamps the token's last use; each test warms that up first."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from salespipe.activities.services import activity_schedule
from salespipe.people.models import User
from tests.api.conftest import ApiClient
from tests.factories import PersonFactory

LIST_QUERIES = 2


def _deals_with_relations(owner: User, make_deal: Any, count: int) -> None:
    for n in range(count):
        person = PersonFactory()
        make_deal(owner, title=f"Deal {n}", organization_id=person.organization_id, person_id=person.pk)


def test_the_deal_list_runs_the_same_queries_for_one_row_or_fifty(
    api_client: ApiClient, manager: User, rep: User, make_deal: Any, django_assert_num_queries: Any
) -> None:
    # given
    _deals_with_relations(rep, make_deal, 55)
    client = api_client(manager)
    client.get("/api/v1/deals")

    # when
    with django_assert_num_queries(LIST_QUERIES):
        one = client.get("/api/v1/deals", {"limit": 1})
    with django_assert_num_queries(LIST_QUERIES):
        fifty = client.get("/api/v1/deals", {"limit": 50})
    with django_assert_num_queries(LIST_QUERIES):
        rest = client.get("/api/v1/deals", {"limit": 50, "cursor": fifty.json()["next_cursor"]})

    # then
    assert len(one.json()["items"]) == 1
    assert len(fifty.json()["items"]) == 50
    assert all(deal["organization"] and deal["person"] and deal["owner"] for deal in fifty.json()["items"])
    assert len(rest.json()["items"]) == 5


def test_the_activity_list_runs_the_same_queries_for_one_row_or_fifty(
    api_client: ApiClient, rep: User, make_deal: Any, django_assert_num_queries: Any
) -> None:
    # given
    _deals_with_relations(rep, make_deal, 3)
    deals = list(rep.deals.all())
    soon = timezone.now() + dt.timedelta(days=1)
    for n in range(55):
        activity_schedule(
            actor=rep, kind="call", due_at=soon + dt.timedelta(hours=n), deal_id=deals[n % 3].pk
        )
    client = api_client(rep)
    client.get("/api/v1/activities")

    # when
    with django_assert_num_queries(LIST_QUERIES):
        one = client.get("/api/v1/activities", {"limit": 1})
    with django_assert_num_queries(LIST_QUERIES):
        fifty = client.get("/api/v1/activities", {"limit": 50})

    # then
    assert len(one.json()["items"]) == 1
    assert len(fifty.json()["items"]) == 50
    assert all(activity["deal"] and activity["person"] for activity in fifty.json()["items"])
