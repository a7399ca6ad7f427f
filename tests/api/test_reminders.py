"""GET /api/v1/reminders: the follow-up engine's planned reminders, scoped like every other list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from salespipe.activities.models import Activity, ActivityPurpose
from salespipe.activities.services import activity_cancel, activity_schedule
from salespipe.people.models import User
from tests.api.conftest import ApiClient
from tests.factories import PersonFactory
from tests.notifications.conftest import aware

ATHENS = "Europe/Athens"
NOW = aware(ATHENS, 2026, 2, 25, 11, 0)  # a Wednesday
# The token lookup and the page (limit + 1 rows, with owner, deal and parent joined).
LIST_QUERIES = 2


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def book(make_deal: Any, confirm_decision_maker: Any) -> Any:
    """`book(owner, when)`: a meeting on a new deal of the owner; it comes with its call and email."""

    def make(owner: User, when: dt.datetime, **fields: Any) -> Activity:
        deal = make_deal(owner, title=f"Deal of {owner.username} at {when:%d %H}")
        confirm_decision_maker(deal)
        return activity_schedule(
            actor=owner, kind="meeting", due_at=when, deal_id=deal.pk, person_id=PersonFactory().pk, **fields
        )

    return make


def ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def reminders_of(meeting: Activity) -> set[int]:
    return set(Activity.objects.filter(parent=meeting).values_list("pk", flat=True))


def test_a_rep_lists_their_reminders_with_the_meeting_each_prepares(
    api_client: ApiClient, rep: User, teammate: User, book: Any
) -> None:
    # given a meeting of the rep on Monday, one of a teammate, and a call planned by hand
    monday = aware(ATHENS, 2026, 3, 2, 10, 0)
    meeting = book(rep, monday)
    book(teammate, monday)
    activity_schedule(actor=rep, kind="call", due_at=monday)

    # when
    response = api_client(rep).get("/api/v1/reminders")

    # then the rep sees the call and the email the engine planned for Friday, nothing else
    assert ids(response) == reminders_of(meeting)
    items = sorted(response.json()["items"], key=lambda item: item["purpose"])
    assert [item["purpose"] for item in items] == ["meeting_call", "meeting_email"]
    assert [item["kind"] for item in items] == ["call", "email"]
    for item in items:
        assert item["owner"]["username"] == "rep"
        assert item["deal"]["id"] == meeting.deal_id
        assert item["due_at"] == "2026-02-27T07:00:00Z"
        assert item["notified_at"] is None
        assert item["parent"] == {
            "id": meeting.pk,
            "kind": "meeting",
            "subject": meeting.subject,
            "due_at": "2026-03-02T08:00:00Z",
            "ends_at": None,
        }


def test_a_manager_sees_the_teams_reminders_and_filters_by_owner(
    api_client: ApiClient, manager: User, rep: User, teammate: User, outsider: User, book: Any
) -> None:
    monday = aware(ATHENS, 2026, 3, 2, 10, 0)
    mine, theirs, outside = book(rep, monday), book(teammate, monday), book(outsider, monday)
    client = api_client(manager)

    assert ids(client.get("/api/v1/reminders")) == reminders_of(mine) | reminders_of(theirs)
    assert ids(client.get("/api/v1/reminders", {"owner_id": teammate.pk})) == reminders_of(theirs)
    # someone outside the manager's teams has none, as far as the manager can tell
    assert ids(client.get("/api/v1/reminders", {"owner_id": outsider.pk})) == set()
    assert reminders_of(outside)


def test_a_rep_cannot_list_a_teammates_reminders(
    api_client: ApiClient, rep: User, teammate: User, book: Any
) -> None:
    book(teammate, aware(ATHENS, 2026, 3, 2, 10, 0))

    assert ids(api_client(rep).get("/api/v1/reminders", {"owner_id": teammate.pk})) == set()


def test_reminders_filter_by_purpose_and_due_time_and_leave_out_cancelled_ones(
    api_client: ApiClient, rep: User, book: Any
) -> None:
    monday = book(rep, aware(ATHENS, 2026, 3, 2, 10, 0))  # reminders due Friday 27 Feb, 09:00
    thursday = book(rep, aware(ATHENS, 2026, 3, 5, 10, 0))  # reminders due Wednesday 4 March
    cancelled = book(rep, aware(ATHENS, 2026, 3, 3, 10, 0))
    activity_cancel(actor=rep, activity_id=cancelled.pk)
    client = api_client(rep)

    everything = ids(client.get("/api/v1/reminders"))
    # a time without a zone is read in the rep's zone (Athens)
    before_the_weekend = ids(client.get("/api/v1/reminders", {"due_before": "2026-02-28T00:00:00"}))
    calls = ids(client.get("/api/v1/reminders", {"purpose": "meeting_call"}))

    assert everything == reminders_of(monday) | reminders_of(thursday)
    assert before_the_weekend == reminders_of(monday)
    assert calls == set(
        Activity.objects.filter(
            parent__in=[monday, thursday], purpose=ActivityPurpose.MEETING_CALL
        ).values_list("pk", flat=True)
    )


def test_reminders_page_with_a_cursor_in_a_fixed_number_of_queries(
    api_client: ApiClient, rep: User, book: Any, django_assert_num_queries: Any
) -> None:
    for day in range(3):
        book(rep, aware(ATHENS, 2026, 3, 2 + day, 10, 0))
    client = api_client(rep)
    client.get("/api/v1/reminders")

    with django_assert_num_queries(LIST_QUERIES):
        first = client.get("/api/v1/reminders", {"limit": 4})
    with django_assert_num_queries(LIST_QUERIES):
        rest = client.get("/api/v1/reminders", {"limit": 4, "cursor": first.json()["next_cursor"]})

    assert len(first.json()["items"]) == 4 and first.json()["next_cursor"]
    assert len(rest.json()["items"]) == 2 and rest.json()["next_cursor"] is None
    assert ids(first).isdisjoint(ids(rest))
    assert all(item["parent"] and item["owner"] and item["deal"] for item in rest.json()["items"])


def test_reminders_need_a_user(db: None) -> None:
    from django.test import Client

    response = Client().get("/api/v1/reminders")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
