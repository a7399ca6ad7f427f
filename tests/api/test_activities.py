"""Activities over HTTP: the agenda, scheduling, logging, completing, rescheduling and cancelling."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from django.utils import timezone

from salespipe.activities.services import activity_schedule
from salespipe.people.models import User
from tests.api.conftest import ApiClient

JSON = "application/json"


def _in(days: int) -> str:
    return (timezone.now() + dt.timedelta(days=days)).isoformat()


def test_scheduling_a_call_on_a_deal_answers_201_and_marks_the_deal(
    api_client: ApiClient, rep: User, make_deal: Any
) -> None:
    # given
    deal = make_deal(rep)
    client = api_client(rep)

    # when
    response = client.post(
        "/api/v1/activities",
        {"kind": "call", "due_at": _in(1), "deal_id": deal.pk, "subject": "Ask about the budget"},
        content_type=JSON,
    )

    # then
    assert response.status_code == 201
    activity = response.json()
    assert (activity["kind"], activity["state"], activity["subject"]) == (
        "call",
        "planned",
        "Ask about the budget",
    )
    assert activity["deal"] == {"id": deal.pk, "title": deal.title}
    assert activity["owner"]["username"] == "rep"
    assert client.get(f"/api/v1/deals/{deal.pk}").json()["next_activity_at"] is not None


def test_a_due_time_without_a_zone_is_refused_with_422(api_client: ApiClient, rep: User) -> None:
    # when
    response = api_client(rep).post(
        "/api/v1/activities", {"kind": "call", "due_at": "2030-01-01T10:00:00"}, content_type=JSON
    )

    # then
    assert response.status_code == 422
    assert "due_at" in response.json()["error"]["fields"]


def test_an_unknown_kind_is_refused_with_422(api_client: ApiClient, rep: User) -> None:
    # when
    response = api_client(rep).post(
        "/api/v1/activities", {"kind": "lunch", "due_at": _in(1)}, content_type=JSON
    )

    # then
    assert response.status_code == 422
    assert "kind" in response.json()["error"]["fields"]


def test_scheduling_on_another_reps_deal_is_a_404(
    api_client: ApiClient, rep: User, teammate: User, make_deal: Any
) -> None:
    # given
    deal = make_deal(teammate)

    # when
    response = api_client(rep).post(
        "/api/v1/activities", {"kind": "call", "due_at": _in(1), "deal_id": deal.pk}, content_type=JSON
    )

    # then
    assert response.status_code == 404


def test_recording_a_call_logs_it_as_done(api_client: ApiClient, rep: User) -> None:
    # when
    response = api_client(rep).post(
        "/api/v1/activities/record",
        {"kind": "call", "outcome": "connected", "note": "Interested"},
        content_type=JSON,
    )

    # then
    assert response.status_code == 201
    assert (response.json()["state"], response.json()["outcome"]) == ("done", "connected")


def test_completing_a_meeting_needs_its_outcome(api_client: ApiClient, rep: User) -> None:
    # given
    client = api_client(rep)
    meeting = client.post(
        "/api/v1/activities", {"kind": "meeting", "due_at": _in(1)}, content_type=JSON
    ).json()

    # when
    without = client.post(f"/api/v1/activities/{meeting['id']}/complete", {}, content_type=JSON)
    held = client.post(f"/api/v1/activities/{meeting['id']}/complete", {"outcome": "held"}, content_type=JSON)
    again = client.post(
        f"/api/v1/activities/{meeting['id']}/complete", {"outcome": "held"}, content_type=JSON
    )

    # then
    assert without.status_code == 422
    assert held.status_code == 200
    assert held.json()["state"] == "done"
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "activity_done"


def test_rescheduling_and_cancelling_a_planned_activity(api_client: ApiClient, rep: User) -> None:
    # given
    client = api_client(rep)
    call = client.post("/api/v1/activities", {"kind": "call", "due_at": _in(1)}, content_type=JSON).json()
    later = (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)

    # when
    moved = client.post(
        f"/api/v1/activities/{call['id']}/reschedule", {"due_at": later.isoformat()}, content_type=JSON
    )
    cancelled = client.post(f"/api/v1/activities/{call['id']}/cancel")
    moved_again = client.post(
        f"/api/v1/activities/{call['id']}/reschedule", {"due_at": later.isoformat()}, content_type=JSON
    )

    # then
    assert dt.datetime.fromisoformat(moved.json()["due_at"]) == later
    assert cancelled.json()["state"] == "cancelled"
    assert moved_again.status_code == 409


def test_editing_an_activity_changes_only_the_fields_sent(api_client: ApiClient, rep: User) -> None:
    # given
    client = api_client(rep)
    call = client.post(
        "/api/v1/activities",
        {"kind": "call", "due_at": _in(1), "subject": "Intro", "note": "Bring prices"},
        content_type=JSON,
    ).json()

    # when
    response = client.patch(f"/api/v1/activities/{call['id']}", {"duration_minutes": 30}, content_type=JSON)

    # then
    assert response.status_code == 200
    assert (response.json()["subject"], response.json()["note"], response.json()["duration_minutes"]) == (
        "Intro",
        "Bring prices",
        30,
    )


def test_the_agenda_filters_by_state(api_client: ApiClient, rep: User) -> None:
    # given
    overdue = activity_schedule(actor=rep, kind="call", due_at=timezone.now() - dt.timedelta(hours=2))
    planned = activity_schedule(actor=rep, kind="email", due_at=timezone.now() + dt.timedelta(hours=2))
    client = api_client(rep)

    # when
    overdue_ids = [a["id"] for a in client.get("/api/v1/activities", {"state": "overdue"}).json()["items"]]
    planned_ids = [a["id"] for a in client.get("/api/v1/activities", {"state": "planned"}).json()["items"]]
    unknown = client.get("/api/v1/activities", {"state": "someday"})

    # then
    assert overdue_ids == [overdue.pk]
    assert planned_ids == [planned.pk, overdue.pk]
    assert unknown.status_code == 422


def test_a_due_window_without_a_zone_is_read_in_the_users_time_zone(api_client: ApiClient, rep: User) -> None:
    # given: the rep works in Athens (UTC+2 in winter)
    activity_schedule(actor=rep, kind="call", due_at=dt.datetime(2030, 1, 15, 7, 30, tzinfo=dt.UTC))

    # when
    before_nine_athens = api_client(rep).get(
        "/api/v1/activities", {"due_from": "2030-01-15T09:00:00", "due_to": "2030-01-15T10:00:00"}
    )

    # then
    assert [a["due_at"] for a in before_nine_athens.json()["items"]] == ["2030-01-15T07:30:00Z"]


def test_a_rep_gets_404_for_another_reps_activity(api_client: ApiClient, rep: User, outsider: User) -> None:
    # given
    theirs = activity_schedule(actor=outsider, kind="call", due_at=timezone.now() + dt.timedelta(days=1))
    client = api_client(rep)

    # when
    responses = [
        client.get(f"/api/v1/activities/{theirs.pk}"),
        client.post(f"/api/v1/activities/{theirs.pk}/cancel"),
        client.delete(f"/api/v1/activities/{theirs.pk}"),
    ]

    # then
    assert [r.status_code for r in responses] == [404, 404, 404]


def test_deleting_an_activity_answers_204(api_client: ApiClient, rep: User) -> None:
    # given
    activity = activity_schedule(actor=rep, kind="call", due_at=timezone.now() + dt.timedelta(days=1))
    client = api_client(rep)

    # when
    response = client.delete(f"/api/v1/activities/{activity.pk}")

    # then
    assert response.status_code == 204
    assert client.get(f"/api/v1/activities/{activity.pk}").status_code == 404


# --- the follow-up engine over HTTP ---------------------------------------------------------------------


def test_a_meeting_without_a_confirmed_decision_maker_answers_409_and_books_nothing(
    api_client: ApiClient, rep: User, make_deal: Any
) -> None:
    deal = make_deal(rep)
    client = api_client(rep)

    response = client.post(
        "/api/v1/activities", {"kind": "meeting", "due_at": _in(3), "deal_id": deal.pk}, content_type=JSON
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "decision_maker_required"
    assert client.get("/api/v1/activities").json()["items"] == []


def test_a_meetings_reminders_are_listed_by_purpose_with_their_meeting(
    api_client: ApiClient, rep: User, make_deal: Any, confirm_decision_maker: Any
) -> None:
    deal = make_deal(rep)
    confirm_decision_maker(deal)
    client = api_client(rep)
    meeting = client.post(
        "/api/v1/activities", {"kind": "meeting", "due_at": _in(7), "deal_id": deal.pk}, content_type=JSON
    ).json()

    calls = client.get("/api/v1/activities", {"purpose": "meeting_call"}).json()["items"]
    emails = client.get("/api/v1/activities", {"purpose": "meeting_email"}).json()["items"]

    assert [(a["kind"], a["parent_id"], a["state"]) for a in calls] == [("call", meeting["id"], "planned")]
    assert [(a["kind"], a["parent_id"]) for a in emails] == [("email", meeting["id"])]
    assert meeting["purpose"] is None
    assert calls[0]["due_at"] < meeting["due_at"]


@time_machine.travel(dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC), tick=False)
def test_an_information_request_is_logged_with_its_deadline_and_answered_with_its_response_time(
    api_client: ApiClient, rep: User, make_deal: Any
) -> None:
    deal = make_deal(rep)
    client = api_client(rep)

    # a request that came in on a Friday at 18:00 in Athens, the rep's zone, after hours: due in 2 working
    # hours, so at 11:00 on Monday
    logged = client.post(
        "/api/v1/activities/info-requests",
        {
            "subject": "Price list for 50 seats",
            "deal_id": deal.pk,
            "received_at": "2026-11-27T16:00:00+00:00",
            "response_hours": 2,
        },
        content_type=JSON,
    )
    assert logged.status_code == 201
    request = logged.json()
    assert (request["kind"], request["received_at"], request["due_at"]) == (
        "info_request",
        "2026-11-27T16:00:00Z",
        "2026-11-30T09:00:00Z",
    )

    answered = client.post(
        f"/api/v1/activities/{request['id']}/complete",
        {"done_at": "2026-11-30T08:30:00+00:00", "note": "Sent"},
        content_type=JSON,
    ).json()

    assert (answered["outcome"], answered["response_minutes"], answered["answered_on_time"]) == (
        "answered",
        90,
        True,
    )


def test_an_information_request_from_the_future_answers_422(api_client: ApiClient, rep: User) -> None:
    response = api_client(rep).post(
        "/api/v1/activities/info-requests", {"received_at": _in(2)}, content_type=JSON
    )

    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"received_at": "in the future"}
