"""The worker's prospect step: when a meeting's email reminder falls due, the prospect gets a reminder of
the appointment (if the owner emails prospects), once, whatever the number of workers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from salespipe.activities.models import Activity, ActivityPurpose
from salespipe.activities.services import activity_cancel, activity_reschedule, activity_schedule
from salespipe.core.business_time import start_of_previous_working_day, working_hours_of
from salespipe.notifications.models import SentEmail
from salespipe.notifications.selectors import UNNOTIFIED
from salespipe.notifications.services import appointment_reminder_key, prospect_reminders_send_due
from salespipe.people.models import Team, User
from tests.factories import PersonFactory
from tests.notifications.conftest import Inbox, aware, race

ATHENS = "Europe/Athens"
# Scheduled on Wednesday 25 February 2026 for Monday 2 March at 10:00 in Athens: the email reminder is
# due at the start of the rep's previous working day, Friday 27 February at 09:00 (07:00 UTC).
BOOKED_AT = aware(ATHENS, 2026, 2, 25, 11, 0)
MEETING_AT = aware(ATHENS, 2026, 3, 2, 10, 0)
REMINDER_DUE = aware(ATHENS, 2026, 2, 27, 9, 0)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(BOOKED_AT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def seller(rep: User, team: Team) -> User:
    """Nikos, of a team that emails its prospects before appointments. Daily and weekly digests are off
    for everyone, so that only prospects' emails reach the inbox when the worker runs."""
    rep.first_name, rep.last_name, rep.email = "Nikos", "Papadakis", "nikos@seller.test"
    rep.time_zone = ATHENS
    rep.save()
    User.objects.update(daily_digest=False, weekly_digest=False)
    team.prospect_reminder_emails = True
    team.save()
    return rep


@pytest.fixture
def meeting(
    clock: time_machine.Coordinates, seller: User, make_deal: Any, confirm_decision_maker: Any
) -> Activity:
    deal = make_deal(seller, title="Acme: 20 licences")
    confirm_decision_maker(deal)
    person = PersonFactory(first_name="Maria", last_name="Georgiou", email="maria@acme.test")
    return activity_schedule(
        actor=seller,
        kind="meeting",
        subject="Product walkthrough",
        due_at=MEETING_AT,
        duration_minutes=45,
        deal_id=deal.pk,
        person_id=person.pk,
    )


def email_reminder(meeting: Activity) -> Activity:
    """The meeting's email reminder, as scheduling the meeting planned it."""
    return Activity.objects.get(
        parent=meeting, purpose=ActivityPurpose.MEETING_EMAIL, cancelled_at__isnull=True
    )


def send_due(capture: Any) -> int:
    """The worker's step, in a transaction that commits (so the delivery is enqueued)."""
    with capture(execute=True):
        return prospect_reminders_send_due()


def test_the_email_reminder_is_due_at_the_start_of_the_working_day_before_the_meeting(
    meeting: Activity,
) -> None:
    reminder = email_reminder(meeting)

    assert reminder.due_at == REMINDER_DUE
    assert reminder.due_at == start_of_previous_working_day(MEETING_AT, working_hours_of(meeting.owner))
    assert reminder.notified_at is None


def test_the_prospect_gets_the_reminder_over_smtp_with_the_appointment_attached_when_it_falls_due(
    meeting: Activity,
    clock: time_machine.Coordinates,
    smtp_inbox: Inbox,
    run_worker: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given the evening before the reminder is due, nothing goes out
    clock.move_to(REMINDER_DUE - dt.timedelta(seconds=1))
    assert send_due(django_capture_on_commit_callbacks) == 0
    assert email_reminder(meeting).notified_at is None

    # when the reminder falls due and the worker runs
    clock.move_to(REMINDER_DUE + dt.timedelta(seconds=30))
    queued = send_due(django_capture_on_commit_callbacks)
    run_worker()

    # then Maria got one email about Monday's meeting, with the meeting as a calendar file
    assert queued == 1
    [(recipients, message)] = smtp_inbox.received
    assert recipients == ["maria@acme.test"]
    assert message["Subject"] == "Reminder: our appointment on Monday 2 March 2026, 10:00"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and "Nikos Papadakis" in body.get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "appointment.ics"
    [event] = Calendar.from_ical(attachment.get_content()).events
    assert event.start == MEETING_AT
    assert event.end - event.start == dt.timedelta(minutes=45)
    assert str(event["SUMMARY"]) == "Product walkthrough – Acme: 20 licences"
    # and the reminder is marked as acted on, so the next minute's run leaves it alone
    assert email_reminder(meeting).notified_at == REMINDER_DUE + dt.timedelta(seconds=30)
    assert send_due(django_capture_on_commit_callbacks) == 0
    assert SentEmail.objects.get().key == appointment_reminder_key(meeting)


@pytest.mark.parametrize(
    ("own_choice", "team_choice", "emailed"),
    [
        (None, True, True),  # follows the team
        (None, False, False),
        (False, True, False),  # the rep's "no" wins over the team's "yes"
        (True, False, True),  # and their "yes" over the team's "no"
    ],
)
def test_whether_the_prospect_is_emailed_is_the_reps_choice_else_the_teams(
    meeting: Activity,
    seller: User,
    team: Team,
    clock: time_machine.Coordinates,
    django_capture_on_commit_callbacks: Any,
    own_choice: bool | None,
    team_choice: bool,
    emailed: bool,
) -> None:
    seller.prospect_reminder_emails = own_choice
    seller.save()
    team.prospect_reminder_emails = team_choice
    team.save()

    clock.move_to(REMINDER_DUE)
    queued = send_due(django_capture_on_commit_callbacks)

    assert queued == int(emailed)
    assert SentEmail.objects.count() == int(emailed)
    # looked at either way, and not again
    assert email_reminder(meeting).notified_at == REMINDER_DUE


def test_a_meeting_cancelled_before_its_reminder_falls_due_sends_no_email(
    meeting: Activity, seller: User, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    reminder = email_reminder(meeting)
    clock.move_to(aware(ATHENS, 2026, 2, 26, 15, 0))
    activity_cancel(actor=seller, activity_id=meeting.pk)

    clock.move_to(REMINDER_DUE)
    queued = send_due(django_capture_on_commit_callbacks)

    assert queued == 0
    assert not SentEmail.objects.exists()
    reminder.refresh_from_db()
    # cancelled with its meeting, it left the worker's queue then
    cancelled_at = aware(ATHENS, 2026, 2, 26, 15, 0)
    assert reminder.cancelled_at == cancelled_at and reminder.notified_at == cancelled_at


def test_a_reminder_looked_at_only_after_its_meeting_time_sends_no_email(
    meeting: Activity, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    # given no worker ran from Friday until an hour into Monday's meeting
    reminder = email_reminder(meeting)
    clock.move_to(MEETING_AT + dt.timedelta(hours=1))

    queued = send_due(django_capture_on_commit_callbacks)

    assert queued == 0
    assert not SentEmail.objects.exists()
    reminder.refresh_from_db()
    assert reminder.notified_at == MEETING_AT + dt.timedelta(hours=1)


def test_a_rescheduled_meeting_gets_a_new_reminder_at_its_new_time(
    meeting: Activity, seller: User, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    # given Maria was reminded of Monday's meeting on Friday
    clock.move_to(REMINDER_DUE)
    assert send_due(django_capture_on_commit_callbacks) == 1

    # when, on Friday afternoon, the meeting moves to Wednesday 4 March at 11:00
    clock.move_to(aware(ATHENS, 2026, 2, 27, 15, 0))
    new_time = aware(ATHENS, 2026, 3, 4, 11, 0)
    activity_reschedule(actor=seller, activity_id=meeting.pk, due_at=new_time)
    meeting.refresh_from_db()

    # then the reminder moved to Tuesday 09:00 and is waiting to be looked at again
    reminder = email_reminder(meeting)
    assert reminder.due_at == aware(ATHENS, 2026, 3, 3, 9, 0)
    assert reminder.notified_at is None
    clock.move_to(aware(ATHENS, 2026, 3, 3, 8, 59))
    assert send_due(django_capture_on_commit_callbacks) == 0
    # and on Tuesday at 09:00 she gets a reminder of the new time, under a key of its own
    clock.move_to(aware(ATHENS, 2026, 3, 3, 9, 0))
    assert send_due(django_capture_on_commit_callbacks) == 1
    emails = list(SentEmail.objects.order_by("id"))
    assert [email.key for email in emails] == [
        f"appointment-reminder:{meeting.pk}:20260302T0800Z",
        f"appointment-reminder:{meeting.pk}:20260304T0900Z",
    ]
    assert emails[1].subject == "Reminder: our appointment on Wednesday 4 March 2026, 11:00"


def test_the_prospect_is_written_to_in_the_reps_language(
    meeting: Activity, seller: User, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    seller.language = "el"
    seller.save()

    clock.move_to(REMINDER_DUE)
    send_due(django_capture_on_commit_callbacks)

    email = SentEmail.objects.get()
    assert email.language == "el"
    assert "Δευτέρα 2 Μαρτίου 2026, 10:00" in email.subject


def test_the_step_reads_due_reminders_in_one_query_and_costs_the_same_for_each_one(
    seller: User,
    clock: time_machine.Coordinates,
    make_deal: Any,
    confirm_decision_maker: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    def book(count: int) -> None:
        deal = make_deal(seller, title=f"Deal for {count}")
        confirm_decision_maker(deal)
        for hour in range(count):
            activity_schedule(
                actor=seller,
                kind="meeting",
                due_at=MEETING_AT + dt.timedelta(hours=hour),
                deal_id=deal.pk,
                person_id=PersonFactory().pk,
            )

    def queries_to_send(count: int) -> int:
        clock.move_to(BOOKED_AT)
        book(count)
        clock.move_to(REMINDER_DUE)
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=False):
            assert prospect_reminders_send_due() == count
        return len(queries)

    one, three = queries_to_send(1), queries_to_send(3)

    # one query finds what is due; each reminder then costs the same few (claim, key check, insert, ...)
    per_reminder = (three - one) // 2
    assert one == 1 + per_reminder
    assert per_reminder == PROSPECT_QUERIES_PER_REMINDER


# The claim (UPDATE of notified_at), the email key's check and its insert; in a test, which runs in a
# transaction, also the savepoints of the reminder's transaction and of the insert, and their releases.
PROSPECT_QUERIES_PER_REMINDER = 7


def test_the_due_reminders_are_found_on_the_partial_index_of_unnotified_engine_activities(db: None) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the plan is checked on SQLite; PostgreSQL chooses by its statistics")
    due = Activity.objects.filter(UNNOTIFIED, due_at__lte=BOOKED_AT, purpose=ActivityPurpose.MEETING_EMAIL)
    sql, params = due.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())

    assert "activity_purpose_unnotified" in plan


@pytest.mark.django_db(transaction=True)
def test_two_workers_acting_on_the_same_due_reminder_at_once_email_the_prospect_once(
    seller: User, make_deal: Any, confirm_decision_maker: Any, smtp_inbox: Inbox, run_worker: Any
) -> None:
    with time_machine.travel(BOOKED_AT, tick=False) as clock:
        deal = make_deal(seller)
        confirm_decision_maker(deal)
        meeting = activity_schedule(
            actor=seller, kind="meeting", due_at=MEETING_AT, deal_id=deal.pk, person_id=PersonFactory().pk
        )
        clock.move_to(REMINDER_DUE)

        # when two workers run the step at the same moment
        results = race(prospect_reminders_send_due)
        run_worker()

    # then one of them queued the email, and it went out once
    assert sorted(results) == [0, 1]
    assert len(smtp_inbox.received) == 1
    assert SentEmail.objects.count() == 1
    assert email_reminder(meeting).notified_at == REMINDER_DUE
