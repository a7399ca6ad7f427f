"""The follow-up engine: the decision-maker gate on meetings, the call and email the day before every
appointment, the next step after it, information requests and trials. The clock is frozen: Friday
27 November 2026 (Monday is the 30th)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from salespipe.activities.models import Activity, ActivityKind, ActivityPurpose
from salespipe.activities.services import (
    activity_cancel,
    activity_complete,
    activity_record,
    activity_reschedule,
    activity_schedule,
    activity_update,
    info_request_log,
)
from salespipe.core.errors import InvalidInput, RuleBroken
from salespipe.deals.models import Deal, Stage
from salespipe.deals.pipelines import stage_update
from salespipe.deals.services import deal_win
from salespipe.people.models import User

pytestmark = pytest.mark.django_db

ATHENS = ZoneInfo("Europe/Athens")
NEW_YORK = ZoneInfo("America/New_York")
SINGAPORE = ZoneInfo("Asia/Singapore")
UTC = dt.UTC
REMINDERS = (ActivityPurpose.MEETING_CALL, ActivityPurpose.MEETING_EMAIL)


@pytest.fixture
def friday_morning() -> Iterator[dt.datetime]:
    """Friday 27 November 2026, 08:00 UTC (10:00 in Athens)."""
    moment = dt.datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        yield moment


@pytest.fixture
def athens_rep(rep: User) -> User:
    rep.time_zone = "Europe/Athens"
    rep.save(update_fields=["time_zone"])
    return rep


@pytest.fixture
def deal(athens_rep: User, make_deal: Any, confirm_decision_maker: Any) -> Deal:
    deal = make_deal(athens_rep, title="Acme: 20 licences")
    confirm_decision_maker(deal)
    return deal


def reminders_of(meeting: Activity) -> dict[str, Activity]:
    return {
        reminder.purpose: reminder
        for reminder in Activity.objects.filter(parent=meeting, purpose__in=REMINDERS).order_by("id")
    }


def meeting_on(owner: User, deal: Deal, due_at: dt.datetime, **fields: Any) -> Activity:
    return activity_schedule(actor=owner, kind="meeting", due_at=due_at, deal_id=deal.pk, **fields)


# --- the decision-maker gate ------------------------------------------------------------------------------


def test_no_meeting_is_booked_before_a_decision_maker_is_confirmed(
    athens_rep: User, make_deal: Any, friday_morning: dt.datetime
) -> None:
    deal = make_deal(athens_rep)

    with pytest.raises(RuleBroken) as refusal:
        meeting_on(athens_rep, deal, friday_morning + dt.timedelta(days=3))

    assert refusal.value.code == "decision_maker_required"
    assert "decision maker" in refusal.value.message
    assert not Activity.objects.exists()
    # a call is fine: it is how the decision maker is found
    activity_schedule(actor=athens_rep, kind="call", due_at=friday_morning, deal_id=deal.pk)


def test_an_admin_can_switch_the_meeting_gate_off_for_a_stage(
    admin_user: User, athens_rep: User, make_deal: Any, stages: dict[str, Stage], friday_morning: dt.datetime
) -> None:
    deal = make_deal(athens_rep)
    stage_update(actor=admin_user, stage_id=deal.stage_id, meeting_requires_decision_maker=False)

    meeting = meeting_on(athens_rep, deal, friday_morning + dt.timedelta(days=3))

    assert meeting.kind == ActivityKind.MEETING
    # other stages keep their gate
    assert Stage.objects.get(pk=stages["Qualified"].pk).meeting_requires_decision_maker


def test_a_won_deal_needs_no_gate_for_its_kick_off(
    athens_rep: User, make_deal: Any, friday_morning: dt.datetime
) -> None:
    deal = make_deal(athens_rep)
    deal_win(actor=athens_rep, deal_id=deal.pk)

    assert meeting_on(athens_rep, deal, friday_morning + dt.timedelta(days=3)).pk


# --- the call and the email the day before --------------------------------------------------------------


def test_a_monday_meeting_gets_its_call_and_email_on_friday_at_the_start_of_the_day(
    athens_rep: User, deal: Deal
) -> None:
    # booked on Wednesday for Monday 10:00
    with time_machine.travel(dt.datetime(2026, 11, 25, 12, 0, tzinfo=UTC), tick=False):
        meeting = meeting_on(
            athens_rep, deal, dt.datetime(2026, 11, 30, 10, 0, tzinfo=ATHENS), subject="Demo"
        )

    reminders = reminders_of(meeting)
    assert set(reminders) == set(REMINDERS)
    assert {r.kind for r in reminders.values()} == {"call", "email"}
    for reminder in reminders.values():
        assert reminder.due_at == dt.datetime(2026, 11, 27, 9, 0, tzinfo=ATHENS)
        assert (reminder.owner, reminder.deal, reminder.person) == (athens_rep, deal, meeting.person)
        assert reminder.is_planned
    assert reminders[ActivityPurpose.MEETING_CALL].subject == "Call to confirm the appointment: Demo"


def test_a_meeting_in_three_hours_gets_its_reminders_at_once(
    athens_rep: User, deal: Deal, friday_morning: dt.datetime
) -> None:
    meeting = meeting_on(athens_rep, deal, friday_morning + dt.timedelta(hours=3))

    assert [r.due_at for r in reminders_of(meeting).values()] == [friday_morning, friday_morning]


def test_a_past_meeting_logged_late_gets_no_reminders(
    athens_rep: User, deal: Deal, friday_morning: dt.datetime
) -> None:
    meeting = meeting_on(athens_rep, deal, friday_morning - dt.timedelta(hours=1))

    assert reminders_of(meeting) == {}


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        # Tuesday 1 December 01:00 UTC is Tuesday 09:00 in Singapore: prepared on Monday at 09:00 there
        ("Asia/Singapore", dt.datetime(2026, 11, 30, 9, 0, tzinfo=SINGAPORE)),
        # ... and Monday 20:00 in New York: prepared on the Friday before, at 09:00 there
        ("America/New_York", dt.datetime(2026, 11, 27, 9, 0, tzinfo=NEW_YORK)),
    ],
)
def test_the_day_before_is_the_owners_day_east_and_west_of_utc(
    athens_rep: User, deal: Deal, zone: str, expected: dt.datetime
) -> None:
    athens_rep.time_zone = zone
    athens_rep.save(update_fields=["time_zone"])
    with time_machine.travel(dt.datetime(2026, 11, 26, 0, 0, tzinfo=UTC), tick=False):
        meeting = meeting_on(athens_rep, deal, dt.datetime(2026, 12, 1, 1, 0, tzinfo=UTC))

    assert {r.due_at for r in reminders_of(meeting).values()} == {expected}


def test_the_owners_working_hours_set_the_time(
    athens_rep: User, deal: Deal, friday_morning: dt.datetime
) -> None:
    # a rep who works Sunday to Thursday from 08:00
    athens_rep.workday_starts_at = dt.time(8, 0)
    athens_rep.working_weekdays = "71234"
    athens_rep.save(update_fields=["workday_starts_at", "working_weekdays"])

    meeting = meeting_on(athens_rep, deal, dt.datetime(2026, 11, 30, 10, 0, tzinfo=ATHENS))

    assert {r.due_at for r in reminders_of(meeting).values()} == {
        dt.datetime(2026, 11, 29, 8, 0, tzinfo=ATHENS)
    }


def test_rescheduling_moves_the_reminders_and_replaces_done_ones(
    athens_rep: User, deal: Deal, friday_morning: dt.datetime
) -> None:
    meeting = meeting_on(athens_rep, deal, dt.datetime(2026, 11, 30, 10, 0, tzinfo=ATHENS))
    before = reminders_of(meeting)
    # the rep made the call already; the email is still to do
    activity_complete(
        actor=athens_rep, activity_id=before[ActivityPurpose.MEETING_CALL].pk, outcome="connected"
    )
    Activity.objects.filter(pk=before[ActivityPurpose.MEETING_EMAIL].pk).update(notified_at=friday_morning)

    # the prospect moves it to Thursday
    activity_reschedule(
        actor=athens_rep, activity_id=meeting.pk, due_at=dt.datetime(2026, 12, 3, 11, 0, tzinfo=ATHENS)
    )

    after = reminders_of(meeting)
    wednesday = dt.datetime(2026, 12, 2, 9, 0, tzinfo=ATHENS)
    # the planned email moved, and the worker will look at it again
    assert after[ActivityPurpose.MEETING_EMAIL].pk == before[ActivityPurpose.MEETING_EMAIL].pk
    assert after[ActivityPurpose.MEETING_EMAIL].due_at == wednesday
    assert after[ActivityPurpose.MEETING_EMAIL].notified_at is None
    # the call made for the old time stays done; a new one confirms the new time
    calls = Activity.objects.filter(parent=meeting, purpose=ActivityPurpose.MEETING_CALL).order_by("id")
    assert [(c.done_at is not None, c.due_at) for c in calls] == [
        (True, before[ActivityPurpose.MEETING_CALL].due_at),
        (False, wednesday),
    ]


def test_cancelling_the_meeting_cancels_its_reminders(
    athens_rep: User, deal: Deal, friday_morning: dt.datetime
) -> None:
    meeting = meeting_on(athens_rep, deal, dt.datetime(2026, 12, 2, 10, 0, tzinfo=ATHENS))

    activity_cancel(actor=athens_rep, activity_id=meeting.pk)

    assert all(r.cancelled_at == friday_morning for r in reminders_of(meeting).values())
    deal.refresh_from_db()
    assert deal.next_activity_at is None


def test_a_meeting_moved_too_close_keeps_reminders_due_at_once(
    athens_rep: User, deal: Deal, friday_morning: dt.datetime
) -> None:
    meeting = meeting_on(athens_rep, deal, dt.datetime(2026, 12, 2, 10, 0, tzinfo=ATHENS))

    activity_reschedule(
        actor=athens_rep, activity_id=meeting.pk, due_at=friday_morning + dt.timedelta(hours=2)
    )

    assert {r.due_at for r in reminders_of(meeting).values()} == {friday_morning}


# --- completing an appointment, and the next step ---------------------------------------------------------


def test_a_meeting_needs_its_outcome_and_completing_it_settles_its_reminders(
    athens_rep: User, deal: Deal, friday_morning: dt.datetime
) -> None:
    meeting = meeting_on(athens_rep, deal, friday_morning + dt.timedelta(hours=2))

    with pytest.raises(InvalidInput, match="held, no_show, cancelled_by_prospect, rescheduled"):
        activity_complete(actor=athens_rep, activity_id=meeting.pk, outcome="done")
    activity_complete(actor=athens_rep, activity_id=meeting.pk, outcome="cancelled_by_prospect")

    assert all(r.cancelled_at is not None for r in reminders_of(meeting).values())


def test_a_held_meeting_with_nothing_planned_soon_asks_for_a_next_step(
    athens_rep: User, deal: Deal, friday_morning: dt.datetime
) -> None:
    meeting = meeting_on(athens_rep, deal, friday_morning - dt.timedelta(hours=1), subject="Demo")
    # something planned, but not within 2 working days: a call in two weeks
    activity_schedule(
        actor=athens_rep, kind="call", due_at=friday_morning + dt.timedelta(days=14), deal_id=deal.pk
    )

    activity_complete(actor=athens_rep, activity_id=meeting.pk, outcome="held")

    prompt = Activity.objects.get(purpose=ActivityPurpose.NEXT_STEP)
    assert (prompt.parent, prompt.owner, prompt.kind, prompt.due_at) == (
        meeting,
        athens_rep,
        "task",
        friday_morning,
    )
    assert prompt.subject == "Agree the next step after: Demo"
    # the deal is flagged: the prompt is not a next step
    deal.refresh_from_db()
    assert deal.next_activity_at == friday_morning + dt.timedelta(days=14)

    # scheduling the follow-up settles the prompt
    activity_schedule(
        actor=athens_rep, kind="call", due_at=friday_morning + dt.timedelta(days=1), deal_id=deal.pk
    )
    prompt.refresh_from_db()
    assert prompt.done_at == friday_morning


def test_a_held_meeting_followed_up_soon_needs_no_prompt(
    athens_rep: User, deal: Deal, friday_morning: dt.datetime
) -> None:
    meeting = meeting_on(athens_rep, deal, friday_morning - dt.timedelta(hours=1))
    # Monday counts: within 2 working days of Friday
    activity_schedule(
        actor=athens_rep,
        kind="email",
        due_at=dt.datetime(2026, 11, 30, 12, 0, tzinfo=ATHENS),
        deal_id=deal.pk,
    )

    activity_complete(actor=athens_rep, activity_id=meeting.pk, outcome="held")

    assert not Activity.objects.filter(purpose=ActivityPurpose.NEXT_STEP).exists()


def test_a_held_meeting_logged_afterwards_asks_for_a_next_step_too(
    athens_rep: User, deal: Deal, friday_morning: dt.datetime
) -> None:
    meeting = activity_record(actor=athens_rep, kind="meeting", outcome="held", deal_id=deal.pk)

    assert Activity.objects.get(purpose=ActivityPurpose.NEXT_STEP).parent == meeting
    deal.refresh_from_db()
    assert deal.next_activity_at is None


def test_a_no_show_asks_for_no_next_step(athens_rep: User, deal: Deal, friday_morning: dt.datetime) -> None:
    meeting = meeting_on(athens_rep, deal, friday_morning - dt.timedelta(hours=1))

    activity_complete(actor=athens_rep, activity_id=meeting.pk, outcome="no_show")

    assert not Activity.objects.filter(purpose=ActivityPurpose.NEXT_STEP).exists()


# --- information requests ---------------------------------------------------------------------------------


def test_a_request_on_friday_afternoon_is_due_on_monday_and_its_response_time_counts_working_time(
    athens_rep: User, deal: Deal
) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 27, 16, 0, tzinfo=ATHENS), tick=False):
        request = info_request_log(actor=athens_rep, deal_id=deal.pk, subject="Price list for 50 seats")
    assert request.kind == ActivityKind.INFO_REQUEST
    assert request.received_at == dt.datetime(2026, 11, 27, 16, 0, tzinfo=ATHENS)
    assert request.due_at == dt.datetime(2026, 11, 30, 12, 0, tzinfo=ATHENS)

    with time_machine.travel(dt.datetime(2026, 11, 30, 10, 30, tzinfo=ATHENS), tick=False):
        answered = activity_complete(actor=athens_rep, activity_id=request.pk, note="Sent the price list")

    assert answered.outcome == "answered"
    assert answered.response_minutes == 150  # 16:00-17:00 on Friday, 09:00-10:30 on Monday


def test_a_request_received_earlier_and_with_its_own_deadline(
    athens_rep: User, deal: Deal, friday_morning: dt.datetime, settings: Any
) -> None:
    settings.INFO_REQUEST_RESPONSE_HOURS = 2
    received = dt.datetime(2026, 11, 27, 9, 0, tzinfo=ATHENS)

    by_setting = info_request_log(actor=athens_rep, deal_id=deal.pk, received_at=received)
    by_hours = info_request_log(actor=athens_rep, deal_id=deal.pk, received_at=received, response_hours=1)
    by_date = info_request_log(
        actor=athens_rep, deal_id=deal.pk, received_at=received, deadline=received + dt.timedelta(days=3)
    )

    assert by_setting.due_at == dt.datetime(2026, 11, 27, 11, 0, tzinfo=ATHENS)
    assert by_hours.due_at == dt.datetime(2026, 11, 27, 10, 0, tzinfo=ATHENS)
    assert by_date.due_at == received + dt.timedelta(days=3)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"received_at": dt.datetime(2026, 11, 28, 9, 0, tzinfo=UTC)}, "in the future"),
        ({"deadline": dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC)}, "deadline must come after"),
        ({"response_hours": 0}, "positive number of working hours"),
        ({"received_at": dt.datetime(2026, 11, 27, 9, 0)}, "time zone"),  # noqa: DTZ001
    ],
)
def test_a_bad_request_is_refused_and_nothing_is_logged(
    athens_rep: User, deal: Deal, friday_morning: dt.datetime, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        info_request_log(actor=athens_rep, deal_id=deal.pk, **fields)

    assert not Activity.objects.exists()


def test_a_request_cannot_be_recorded_as_done_without_being_logged(athens_rep: User, deal: Deal) -> None:
    with pytest.raises(InvalidInput, match="Log an information request when it comes in"):
        activity_record(actor=athens_rep, kind="info_request", deal_id=deal.pk)


# --- trials, demos and gifts ----------------------------------------------------------------------------


def test_a_trial_gets_a_check_in_halfway_and_a_decision_call_at_its_end(
    athens_rep: User, deal: Deal, friday_morning: dt.datetime
) -> None:
    starts = dt.datetime(2026, 11, 30, 9, 0, tzinfo=ATHENS)
    ends = dt.datetime(2026, 12, 14, 9, 0, tzinfo=ATHENS)

    trial = activity_schedule(
        actor=athens_rep, kind="trial", due_at=starts, ends_at=ends, deal_id=deal.pk, subject="Pilot"
    )

    follow_ups = {a.purpose: a for a in Activity.objects.filter(parent=trial)}
    assert follow_ups[ActivityPurpose.TRIAL_CHECK_IN].due_at == dt.datetime(2026, 12, 7, 9, 0, tzinfo=ATHENS)
    assert follow_ups[ActivityPurpose.TRIAL_DECISION].due_at == ends
    assert {a.kind for a in follow_ups.values()} == {"call"}

    # extending the trial moves both; converting it settles what is left
    activity_update(actor=athens_rep, activity_id=trial.pk, ends_at=ends + dt.timedelta(days=14))
    moved = {a.purpose: a.due_at for a in Activity.objects.filter(parent=trial)}
    assert moved[ActivityPurpose.TRIAL_DECISION] == ends + dt.timedelta(days=14)
    assert moved[ActivityPurpose.TRIAL_CHECK_IN] == dt.datetime(2026, 12, 14, 9, 0, tzinfo=ATHENS)

    with pytest.raises(InvalidInput, match="converted, not_converted"):
        activity_complete(actor=athens_rep, activity_id=trial.pk)
    activity_complete(actor=athens_rep, activity_id=trial.pk, outcome="converted")
    assert not Activity.objects.filter(parent=trial, done_at__isnull=True, cancelled_at__isnull=True).exists()


def test_a_trial_needs_an_end(athens_rep: User, deal: Deal, friday_morning: dt.datetime) -> None:
    with pytest.raises(InvalidInput, match="A trial needs an end date"):
        activity_schedule(actor=athens_rep, kind="trial", due_at=friday_morning, deal_id=deal.pk)


def test_demos_and_gifts_have_outcomes(athens_rep: User, deal: Deal, friday_morning: dt.datetime) -> None:
    demo = activity_schedule(actor=athens_rep, kind="demo", due_at=friday_morning, deal_id=deal.pk)
    gift = activity_schedule(actor=athens_rep, kind="gift", due_at=friday_morning, deal_id=deal.pk)

    with pytest.raises(InvalidInput, match="Say how the demo went"):
        activity_complete(actor=athens_rep, activity_id=demo.pk)

    assert activity_complete(actor=athens_rep, activity_id=demo.pk, outcome="held").outcome == "held"
    assert activity_complete(actor=athens_rep, activity_id=gift.pk).outcome == "delivered"


# --- cost -----------------------------------------------------------------------------------------------

# The deal with its owner and stage, the gate's contact check, the insert, the two reminders, settling
# next-step prompts, the deal's marks; and the savepoint pair.
MEETING_SCHEDULE_QUERIES = 9


def test_scheduling_a_meeting_costs_the_same_queries_whatever_the_deal_holds(
    athens_rep: User, deal: Deal, friday_morning: dt.datetime, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(MEETING_SCHEDULE_QUERIES):
        meeting_on(athens_rep, deal, friday_morning + dt.timedelta(days=3))
    for day in range(20):
        activity_schedule(
            actor=athens_rep, kind="call", due_at=friday_morning + dt.timedelta(days=day), deal_id=deal.pk
        )

    with django_assert_num_queries(MEETING_SCHEDULE_QUERIES):
        meeting_on(athens_rep, deal, friday_morning + dt.timedelta(days=4))


def test_engine_tasks_done_or_cancelled_leave_the_workers_queue(
    athens_rep: User, deal: Deal, friday_morning: dt.datetime
) -> None:
    meeting = meeting_on(athens_rep, deal, dt.datetime(2026, 12, 2, 10, 0, tzinfo=ATHENS))
    reminders = reminders_of(meeting)
    other = meeting_on(athens_rep, deal, dt.datetime(2026, 12, 3, 10, 0, tzinfo=ATHENS))

    # the rep sends the confirmation email by hand: the automatic one to the prospect is not needed
    activity_complete(actor=athens_rep, activity_id=reminders[ActivityPurpose.MEETING_EMAIL].pk)
    activity_cancel(actor=athens_rep, activity_id=other.pk)

    unnotified = Activity.objects.filter(notified_at__isnull=True).exclude(purpose="")
    assert list(unnotified) == [reminders[ActivityPurpose.MEETING_CALL]]
    # a hand-planned activity is never the worker's
    assert Activity.objects.get(pk=other.pk).notified_at is None


def test_a_rep_who_moves_to_new_york_gets_the_reminders_on_new_york_working_days(
    athens_rep: User, deal: Deal, friday_morning: dt.datetime
) -> None:
    from salespipe.people.services import user_preferences_update

    # booked on Friday for Tuesday 1 December, 10:00 Athens time (03:00 in New York)
    meeting = meeting_on(athens_rep, deal, dt.datetime(2026, 12, 1, 10, 0, tzinfo=ATHENS))
    assert {r.due_at for r in reminders_of(meeting).values()} == {
        dt.datetime(2026, 11, 30, 9, 0, tzinfo=ATHENS)
    }

    user_preferences_update(actor=athens_rep, time_zone="America/New_York")

    # Tuesday 03:00 in New York: the working day before is Monday, from 09:00 there
    assert {r.due_at for r in reminders_of(meeting).values()} == {
        dt.datetime(2026, 11, 30, 9, 0, tzinfo=NEW_YORK)
    }
