"""Each user's private iCalendar feed: their appointments, trial ends and reminders, in their time zone."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar, Event

from salespipe.activities.models import Activity, ActivityKind
from salespipe.activities.services import (
    activity_cancel,
    activity_complete,
    activity_reschedule,
    activity_schedule,
)
from salespipe.core.business_time import start_of_previous_working_day, working_hours_of
from salespipe.deals.models import Deal
from salespipe.notifications.models import CalendarFeed
from salespipe.notifications.services import calendar_feed_get_or_create, calendar_feed_rotate
from salespipe.people.models import User
from salespipe.people.tokens import token_create
from tests.factories import PersonFactory

SINGAPORE = ZoneInfo("Asia/Singapore")
NEW_YORK = ZoneInfo("America/New_York")
# Links in the feed start with SALESPIPE_BASE_URL, not the host a request came to (a proxy's, maybe).
BASE_URL = "https://sales.example.test"


@pytest.fixture(autouse=True)
def base_url(settings: Any) -> None:
    settings.BASE_URL = BASE_URL


def feed_url(user: User) -> str:
    return f"/calendar/{calendar_feed_get_or_create(user=user).secret}.ics"


def fetch(url: str) -> Calendar:
    response = Client().get(url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def by_summary(calendar: Calendar) -> dict[str, Event]:
    return {str(event["SUMMARY"]): event for event in calendar.events}


@pytest.fixture
def singapore_rep(rep: User) -> User:
    rep.time_zone = "Asia/Singapore"
    rep.save(update_fields=["time_zone"])
    return rep


@pytest.fixture
def deal(singapore_rep: User, make_deal: Any, confirm_decision_maker: Any) -> Deal:
    deal = make_deal(singapore_rep, title="Acme: 20 licences")
    confirm_decision_maker(deal)
    return deal


def schedule(owner: User, deal: Deal | None, kind: str, due_at: dt.datetime, **fields: Any) -> Activity:
    return activity_schedule(
        actor=owner, kind=kind, due_at=due_at, deal_id=deal.pk if deal else None, **fields
    )


@pytest.mark.django_db
def test_the_feed_holds_meetings_demos_trial_ends_and_reminders_in_the_owners_zone(
    singapore_rep: User, deal: Deal, outsider: User
) -> None:
    # given the rep's week, on Singapore time
    now = timezone.now()
    in_a_week = (
        (now + dt.timedelta(days=7)).astimezone(SINGAPORE).replace(hour=10, minute=0, second=0, microsecond=0)
    )
    person = PersonFactory(
        first_name="Maria", last_name="Georgiou", email="maria@acme.test", phone="+30 210 1234567"
    )
    meeting = schedule(
        singapore_rep,
        deal,
        ActivityKind.MEETING,
        in_a_week,
        subject="Kick-off",
        duration_minutes=45,
        person_id=person.pk,
        note="Bring the pricing sheet.",
    )
    demo = schedule(singapore_rep, deal, ActivityKind.DEMO, now - dt.timedelta(days=2), subject="Demo")
    activity_complete(actor=singapore_rep, activity_id=demo.pk, outcome="held")
    schedule(
        singapore_rep,
        deal,
        ActivityKind.TRIAL,
        now - dt.timedelta(days=1),
        subject="Pilot",
        ends_at=(now + dt.timedelta(days=13)).astimezone(SINGAPORE).replace(hour=23, minute=30),
    )
    # (scheduling the meeting gave the rep a call and an email to confirm it the working day before)
    # and what the feed leaves out: a call without a meeting, an old meeting, someone else's meeting
    old = schedule(singapore_rep, deal, ActivityKind.MEETING, now - dt.timedelta(days=40), subject="Old")
    activity_complete(actor=singapore_rep, activity_id=old.pk, outcome="no_show")
    schedule(singapore_rep, deal, ActivityKind.CALL, in_a_week, subject="Cold call")
    schedule(outsider, None, ActivityKind.MEETING, in_a_week, subject="Not yours")

    # when a calendar app fetches the feed, without signing in
    calendar = fetch(feed_url(singapore_rep))

    # then
    events = by_summary(calendar)
    assert set(events) == {
        "Kick-off – Acme: 20 licences",
        "Demo – Acme: 20 licences",
        "Trial ends: Pilot – Acme: 20 licences",
        "Call to confirm the appointment: Kick-off – Acme: 20 licences",
        "Email to confirm the appointment: Kick-off – Acme: 20 licences",
        "Trial check-in: how is it going? Pilot – Acme: 20 licences",
        "The trial ends: ask for the decision. Pilot – Acme: 20 licences",
    }
    kickoff = events["Kick-off – Acme: 20 licences"]
    assert kickoff.start == in_a_week
    assert kickoff.start.tzinfo.key == "Asia/Singapore"  # type: ignore[union-attr]
    assert kickoff.end - kickoff.start == dt.timedelta(minutes=45)
    assert str(kickoff["UID"]).startswith(f"activity-{meeting.pk}.")
    assert str(kickoff["STATUS"]) == "CONFIRMED"
    assert kickoff.stamp is not None
    description = str(kickoff["DESCRIPTION"])
    assert "Deal: Acme: 20 licences" in description
    assert "Person: Maria Georgiou (maria@acme.test, +30 210 1234567)" in description
    assert "Bring the pricing sheet." in description
    assert str(kickoff["URL"]) == f"{BASE_URL}/deals/{deal.pk}/"
    # the trial's end is an all-day event on the rep's own date
    trial_end = events["Trial ends: Pilot – Acme: 20 licences"]
    assert trial_end.start == (now + dt.timedelta(days=13)).astimezone(SINGAPORE).date()
    # a reminder without a duration takes 15 minutes
    reminder = events["Call to confirm the appointment: Kick-off – Acme: 20 licences"]
    assert reminder.end - reminder.start == dt.timedelta(minutes=15)
    assert reminder.start == start_of_previous_working_day(in_a_week, working_hours_of(singapore_rep))
    # and the zone is defined in the file (RFC 5545 asks for a VTIMEZONE for every TZID used)
    assert [zone.tz_name for zone in calendar.timezones] == ["Asia/Singapore"]
    assert calendar.get_missing_tzids() == set()
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Singapore"
    assert str(calendar["VERSION"]) == "2.0"
    assert "PRODID" in calendar


@pytest.mark.django_db
def test_a_cancelled_meeting_stays_in_the_feed_as_cancelled_and_a_moved_one_keeps_its_uid(
    singapore_rep: User, deal: Deal
) -> None:
    start = timezone.now() + dt.timedelta(days=3)
    cancelled = schedule(singapore_rep, deal, ActivityKind.MEETING, start, subject="Cancelled one")
    moved = schedule(singapore_rep, deal, ActivityKind.MEETING, start, subject="Moved one")
    url = feed_url(singapore_rep)
    uid_before = str(by_summary(fetch(url))["Moved one – Acme: 20 licences"]["UID"])

    activity_cancel(actor=singapore_rep, activity_id=cancelled.pk)
    activity_reschedule(actor=singapore_rep, activity_id=moved.pk, due_at=start + dt.timedelta(days=1))
    events = by_summary(fetch(url))

    assert str(events["Cancelled one – Acme: 20 licences"]["STATUS"]) == "CANCELLED"
    moved_event = events["Moved one – Acme: 20 licences"]
    assert str(moved_event["UID"]) == uid_before
    assert moved_event.start == (start + dt.timedelta(days=1)).replace(microsecond=0)


@pytest.mark.django_db
def test_a_new_york_feed_says_new_york_time_across_the_clock_change(rep: User, make_deal: Any) -> None:
    # given a rep in New York with a meeting before and one after the spring clock change
    rep.time_zone = "America/New_York"
    rep.save(update_fields=["time_zone"])
    deal = make_deal(rep, title="Globex renewal")
    before = dt.datetime(2027, 3, 12, 10, 0, tzinfo=NEW_YORK)
    after = dt.datetime(2027, 3, 15, 10, 0, tzinfo=NEW_YORK)
    for when in (before, after):
        Activity.objects.create(
            kind=ActivityKind.MEETING,
            subject=f"Call {when:%d}",
            owner=rep,
            deal=deal,
            due_at=when,
            created_at=timezone.now(),
        )

    # when the feed is read as of early March
    from salespipe.notifications.calendar import calendar_feed_render
    from salespipe.notifications.selectors import calendar_feed_activities

    now = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
    calendar = Calendar.from_ical(
        calendar_feed_render(
            owner_name="rep",
            owner_id=rep.pk,
            zone=rep.zone,
            now=now,
            activities=calendar_feed_activities(user=rep, now=now),
        )
    )

    # then both say 10:00 on the wall clock, which is 15:00 UTC before and 14:00 UTC after
    starts = sorted(event.start for event in calendar.events)
    assert [start.strftime("%H:%M %Z") for start in starts] == ["10:00 EST", "10:00 EDT"]
    assert [start.astimezone(dt.UTC).hour for start in starts] == [15, 14]
    [zone] = calendar.timezones
    assert zone.tz_name == "America/New_York"
    assert {str(rule["TZNAME"]) for rule in zone.walk() if rule.name in {"STANDARD", "DAYLIGHT"}} >= {
        "EST",
        "EDT",
    }


@pytest.mark.django_db
def test_a_rotated_secret_stops_working_at_once_and_the_new_one_works(
    singapore_rep: User, deal: Deal
) -> None:
    old_url = feed_url(singapore_rep)
    assert Client().get(old_url).status_code == 200

    new_feed = calendar_feed_rotate(user=singapore_rep)

    assert Client().get(old_url).status_code == 404
    assert Client().get(f"/calendar/{new_feed.secret}.ics").status_code == 200
    assert new_feed.rotated_at is not None
    assert CalendarFeed.objects.count() == 1


@pytest.mark.django_db
def test_an_unknown_secret_or_an_inactive_user_is_a_404(singapore_rep: User) -> None:
    url = feed_url(singapore_rep)
    assert Client().get("/calendar/" + "x" * 43 + ".ics").status_code == 404
    assert Client().get("/calendar/short.ics").status_code == 404

    singapore_rep.is_active = False
    singapore_rep.save(update_fields=["is_active"])

    assert Client().get(url).status_code == 404


@pytest.mark.django_db
def test_the_secret_is_long_random_and_one_per_user(singapore_rep: User, teammate: User) -> None:
    feed = calendar_feed_get_or_create(user=singapore_rep)

    assert len(feed.secret) >= 43
    assert calendar_feed_get_or_create(user=singapore_rep).secret == feed.secret
    assert calendar_feed_get_or_create(user=teammate).secret != feed.secret


@pytest.mark.django_db
def test_the_feed_costs_the_same_queries_whatever_it_holds(
    singapore_rep: User, deal: Deal, django_assert_num_queries: Any
) -> None:
    url = feed_url(singapore_rep)
    start = timezone.now() + dt.timedelta(days=1)
    schedule(singapore_rep, deal, ActivityKind.MEETING, start, person_id=PersonFactory().pk)
    with django_assert_num_queries(2):
        fetch(url)

    for offset in range(1, 20):
        schedule(
            singapore_rep,
            deal,
            ActivityKind.DEMO,
            start + dt.timedelta(hours=offset),
            person_id=PersonFactory().pk,
        )

    with django_assert_num_queries(2):
        # the meeting, its call and email the day before, and the demos
        assert len(fetch(url).events) == 22


# --- the API ------------------------------------------------------------------------------------------------


def api(user: User) -> Client:
    _, raw = token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.mark.django_db
def test_the_api_gives_the_feed_url_and_rotates_it(singapore_rep: User, deal: Deal) -> None:
    client = api(singapore_rep)

    # when the rep asks for their feed
    answer = client.get("/api/v1/users/me/calendar-feed")

    # then they get an absolute URL that a calendar app can read
    assert answer.status_code == 200
    body = answer.json()
    assert body["url"].startswith(f"{BASE_URL}/calendar/") and body["url"].endswith(".ics")
    assert body["rotated_at"] is None
    assert client.get("/api/v1/users/me/calendar-feed").json()["url"] == body["url"]
    path = body["url"].removeprefix(BASE_URL)
    assert Client().get(path).status_code == 200

    # when they rotate it
    rotated = client.post("/api/v1/users/me/calendar-feed/rotate")

    # then the old URL is dead and the new one works
    assert rotated.status_code == 200
    new_path = rotated.json()["url"].removeprefix(BASE_URL)
    assert new_path != path and rotated.json()["rotated_at"] is not None
    assert Client().get(path).status_code == 404
    assert Client().get(new_path).status_code == 200


@pytest.mark.django_db
def test_the_feed_endpoints_need_a_user() -> None:
    assert Client().get("/api/v1/users/me/calendar-feed").status_code == 401
    assert Client().post("/api/v1/users/me/calendar-feed/rotate").status_code == 401
