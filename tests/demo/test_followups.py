"""The demo data keeps the follow-up engine's rules, as if the services had written every row.

Each test reads a small generated dataset with SQL and checks one rule against the pure working-time
functions of `core.business_time`, computed here again for every row.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

import pytest
from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery

from salespipe.activities.models import Activity, ActivityKind, ActivityOutcome, ActivityPurpose
from salespipe.core.business_time import (
    WorkingHours,
    add_working_time,
    next_working_start,
    start_of_previous_working_day,
    working_hours_of,
    working_time_between,
)
from salespipe.deals.models import (
    BUYING_AUTHORITY_ROLES,
    Deal,
    DealContact,
    DealStatus,
    StageChange,
    StageKind,
)
from salespipe.deals.pipelines import pipeline_ensure_default
from salespipe.demo import names
from salespipe.demo.generator import DemoSummary, demo_generate
from salespipe.people.models import Role, Team, User

TODAY = dt.date(2026, 11, 27)
NOW = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
MEETING_OUTCOMES = {
    ActivityOutcome.HELD,
    ActivityOutcome.NO_SHOW,
    ActivityOutcome.CANCELLED_BY_PROSPECT,
    ActivityOutcome.RESCHEDULED,
}
REMINDERS = {
    ActivityPurpose.MEETING_CALL: ActivityKind.CALL,
    ActivityPurpose.MEETING_EMAIL: ActivityKind.EMAIL,
}

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> DemoSummary:
    return demo_generate(reps=8, deals=600, seed=11, today=TODAY)


def hours_by_user() -> dict[int, WorkingHours]:
    return {user.pk: working_hours_of(user) for user in User.objects.all()}


def two_working_days(hours: WorkingHours) -> dt.timedelta:
    day = dt.date(2026, 1, 5)
    return 2 * (dt.datetime.combine(day, hours.ends_at) - dt.datetime.combine(day, hours.starts_at))


def meeting_gate_at_booking() -> tuple[Subquery, Exists]:
    """For a meeting: whether the deal's stage when it was booked had the meeting gate on, and whether a
    decision maker or economic buyer was confirmed by then."""
    stage_then = (
        StageChange.objects.filter(deal=OuterRef("deal"), changed_at__lte=OuterRef("created_at"))
        .order_by("-changed_at", "-id")
        .values("to_stage__meeting_requires_decision_maker")[:1]
    )
    confirmed_then = DealContact.objects.filter(
        deal=OuterRef("deal"),
        role__in=BUYING_AUTHORITY_ROLES,
        authority_confirmed_at__lte=OuterRef("created_at"),
    )
    return Subquery(stage_then), Exists(confirmed_then)


def withdrawn_at() -> Subquery:
    """For a meeting: when its deal's buyer turned out not to decide and the rep withdrew the confirmed
    authority (the demo's wrong-buyer reps), as the note they wrote then says; None if nobody did."""
    note = Activity.objects.filter(
        deal=OuterRef("deal"), kind=ActivityKind.NOTE, subject__in=names.AUTHORITY_WITHDRAWN
    )
    return Subquery(note.order_by("done_at").values("done_at")[:1])


def test_no_meeting_was_booked_before_the_decision_maker_was_confirmed(demo: DemoSummary) -> None:
    # given the meetings of a generated demo, with the gate of the deal's stage when each was booked
    gate_on, confirmed = meeting_gate_at_booking()
    meetings = Activity.objects.filter(kind=ActivityKind.MEETING).annotate(
        gate_on=gate_on, confirmed=confirmed
    )

    # when those booked without a confirmed buyer where the gate was on are looked for
    unconfirmed = meetings.filter(gate_on=True, confirmed=False).annotate(withdrawn_at=withdrawn_at())

    # then there are none but on deals whose confirmation was withdrawn after they were booked; every
    # meeting was booked while its deal was open, before it took place
    assert meetings.count() > 100
    assert not meetings.filter(gate_on=None).exists()
    assert not unconfirmed.filter(withdrawn_at=None).exists()
    assert not unconfirmed.filter(created_at__gte=F("withdrawn_at")).exists()
    assert not meetings.filter(created_at__gt=F("due_at")).exists()
    open_stage_then = (
        StageChange.objects.filter(deal=OuterRef("deal"), changed_at__lte=OuterRef("created_at"))
        .order_by("-changed_at", "-id")
        .values("to_stage__kind")[:1]
    )
    assert (
        not meetings.annotate(kind_then=Subquery(open_stage_then)).exclude(kind_then=StageKind.OPEN).exists()
    )


def test_a_stage_without_the_meeting_gate_gets_meetings_before_a_decision_maker_is_confirmed() -> None:
    # given an admin who let the early stages book meetings without a confirmed decision maker
    pipeline = pipeline_ensure_default()
    early = pipeline.stages.filter(kind=StageKind.OPEN, requires_decision_maker=False, position__lt=3)
    early.exclude(position=0).update(meeting_requires_decision_maker=False)

    # when the demo is generated
    demo_generate(reps=8, deals=600, seed=11, today=TODAY)

    # then meetings on those stages' deals happen without one, and nowhere else
    gate_on, confirmed = meeting_gate_at_booking()
    meetings = Activity.objects.filter(kind=ActivityKind.MEETING).annotate(
        gate_on=gate_on, confirmed=confirmed
    )
    assert meetings.filter(gate_on=False, confirmed=False).exists()
    assert (
        not meetings.filter(gate_on=True, confirmed=False)
        .annotate(withdrawn=withdrawn_at())
        .filter(withdrawn=None)
    )


def test_every_meeting_ahead_has_its_call_and_email_reminders_due_the_working_day_before(
    demo: DemoSummary,
) -> None:
    # given the meetings planned for after now
    hours = hours_by_user()
    ahead = Activity.objects.filter(
        kind=ActivityKind.MEETING, done_at=None, cancelled_at=None, due_at__gt=NOW
    )

    # when their reminders are counted and compared with the meeting
    reminders = Activity.objects.filter(parent__in=ahead).exclude(purpose="")
    counted = ahead.annotate(
        calls=Count("follow_ups", filter=Q(follow_ups__purpose=ActivityPurpose.MEETING_CALL)),
        emails=Count("follow_ups", filter=Q(follow_ups__purpose=ActivityPurpose.MEETING_EMAIL)),
        planned=Count("follow_ups", filter=Q(follow_ups__done_at=None, follow_ups__cancelled_at=None)),
    )

    # then each has one call and one email, planned for the meeting's owner, deal and person, made when
    # the meeting was booked and due at the start of the owner's previous working day, or now
    assert ahead.count() > 5
    assert set(counted.values_list("calls", "emails", "planned")) == {(1, 1, 2)}
    for purpose, kind in REMINDERS.items():
        assert not reminders.filter(purpose=purpose).exclude(kind=kind).exists()
    assert not reminders.exclude(
        owner=F("parent__owner"),
        deal=F("parent__deal"),
        person=F("parent__person"),
        created_at=F("parent__created_at"),
    ).exists()
    for due, meeting_due, owner in reminders.values_list("due_at", "parent__due_at", "owner_id"):
        assert due == max(start_of_previous_working_day(meeting_due, hours[owner]), NOW)
        assert due < meeting_due
    assert reminders.filter(due_at__gt=NOW).exists()


def test_past_meetings_reminders_were_done_before_them_or_cancelled_with_them(demo: DemoSummary) -> None:
    # given the meetings held, missed or cancelled
    hours = hours_by_user()
    past = Activity.objects.filter(kind=ActivityKind.MEETING).exclude(done_at=None, cancelled_at=None)
    done = past.exclude(done_at=None)
    cancelled = past.exclude(cancelled_at=None)

    # when their reminders are read
    reminders = Activity.objects.filter(parent__in=past, purpose__in=REMINDERS).values_list(
        "parent_id", "purpose", "due_at", "done_at", "cancelled_at", "outcome", "created_at"
    )
    meetings = {
        meeting_id: (due, created, cancelled_at, owner)
        for meeting_id, due, created, cancelled_at, owner in past.values_list(
            "id", "due_at", "created_at", "cancelled_at", "owner_id"
        )
    }
    by_meeting: dict[int, set[str]] = defaultdict(set)

    # then each meeting had its two reminders, due the working day before it (or at once when booked
    # later than that); done by the meeting with an outcome, unless it was cancelled before they fell due
    for meeting_id, purpose, due, done_at, cancelled_at, outcome, created in reminders:
        meeting_due, booked, meeting_cancelled, owner = meetings[meeting_id]
        by_meeting[meeting_id].add(purpose)
        assert due == max(start_of_previous_working_day(meeting_due, hours[owner]), booked)
        assert created == booked
        if cancelled_at is not None:
            assert cancelled_at == meeting_cancelled
            assert meeting_cancelled is not None and due >= meeting_cancelled
        else:
            assert done_at is not None and due <= done_at <= (meeting_cancelled or meeting_due)
            assert outcome
    assert by_meeting == {meeting_id: set(REMINDERS) for meeting_id in meetings}

    # and every meeting that took place has its outcome, mostly held
    outcomes = list(done.values_list("outcome", flat=True))
    assert set(outcomes) <= MEETING_OUTCOMES
    assert len(set(outcomes)) >= 3
    assert outcomes.count(ActivityOutcome.HELD) > 0.7 * len(outcomes)
    assert cancelled.exists()
    assert not cancelled.exclude(outcome="").exists()


def test_held_meetings_are_followed_by_a_next_step_within_two_working_days(demo: DemoSummary) -> None:
    # given the meetings held while their deal was open, and every activity of those deals
    hours = hours_by_user()
    held = list(
        Activity.objects.filter(kind=ActivityKind.MEETING, outcome=ActivityOutcome.HELD)
        .filter(
            Q(deal__won_at=None, deal__lost_at=None)
            | Q(deal__won_at__gt=F("done_at"))
            | Q(deal__lost_at__gt=F("done_at"))
        )
        .values_list("id", "deal_id", "owner_id", "done_at", "created_at")
    )
    by_deal: dict[int, list[Activity]] = defaultdict(list)
    for activity in Activity.objects.filter(deal_id__in={deal for _, deal, _, _, _ in held}):
        by_deal[activity.deal_id].append(activity)

    # when each is matched with what was planned by the time it ended, or with the engine's prompt
    prompted = 0
    for meeting_id, deal_id, owner, held_at, _ in held:
        deadline = add_working_time(held_at, two_working_days(hours[owner]), hours[owner])
        prompts = [
            activity
            for activity in by_deal[deal_id]
            if activity.parent_id == meeting_id and activity.purpose == ActivityPurpose.NEXT_STEP
        ]
        followed = [
            activity
            for activity in by_deal[deal_id]
            if activity.purpose == ""
            and activity.pk != meeting_id
            and activity.created_at <= held_at
            and (activity.done_at or held_at) >= held_at
            and (activity.cancelled_at or held_at) >= held_at
            and activity.due_at is not None
            and activity.due_at <= deadline
        ]

        # then it was followed by a planned activity in time, or the engine asked for a next step at once
        assert followed or prompts, f"meeting {meeting_id} has no next step"
        for prompt in prompts:
            assert (prompt.kind, prompt.owner_id) == (ActivityKind.TASK, owner)
            assert prompt.due_at == prompt.created_at == held_at
            assert prompt.cancelled_at is not None or prompt.outcome in ("", ActivityOutcome.DONE)
        prompted += bool(prompts)

    # and the prompt was needed now and then, not usually; settled when the rep planned the next step
    assert len(held) > 50
    assert 0 < prompted < 0.3 * len(held)
    prompts = Activity.objects.filter(purpose=ActivityPurpose.NEXT_STEP)
    assert not prompts.exclude(
        parent__kind=ActivityKind.MEETING, parent__outcome=ActivityOutcome.HELD
    ).exists()
    settled = prompts.exclude(done_at=None)
    assert settled.exists()
    planned_then = Activity.objects.filter(
        deal=OuterRef("deal"), created_at=OuterRef("done_at"), purpose=""
    ).exclude(kind=ActivityKind.NOTE)
    assert not settled.exclude(Exists(planned_then)).exists()
    assert not prompts.filter(done_at=None, cancelled_at=None).exclude(deal__status=DealStatus.OPEN).exists()


def test_information_requests_have_deadlines_and_response_times_in_working_hours(demo: DemoSummary) -> None:
    # given the information requests of a generated demo
    hours = hours_by_user()
    requests = Activity.objects.filter(kind=ActivityKind.INFO_REQUEST)
    allowed = dt.timedelta(hours=float(settings.INFO_REQUEST_RESPONSE_HOURS))

    # when deadlines and response times are computed again from the owner's working hours
    rows = requests.values_list("owner_id", "received_at", "due_at", "done_at", "response_minutes", "outcome")

    # then each was due within the response time, and each answer took the working minutes recorded
    assert requests.count() > 50
    for owner, received, due, done, minutes, outcome in rows:
        assert received is not None
        assert due == add_working_time(received, allowed, hours[owner])
        if done is None:
            assert (minutes, outcome) == (None, "")
        else:
            assert outcome == ActivityOutcome.ANSWERED
            assert minutes is not None
            assert dt.timedelta(minutes=minutes) == working_time_between(received, done, hours[owner])

    # and reps differ: some answer within the hour, some take most of a day; some answers came late and a
    # few requests wait overdue
    medians = [
        statistics.median(minutes)
        for minutes in _minutes_by_owner(requests.exclude(response_minutes=None)).values()
        if len(minutes) >= 3
    ]
    assert min(medians) < 60
    assert max(medians) > 4 * min(medians)
    assert requests.filter(done_at__gt=F("due_at")).exists()
    assert requests.filter(done_at=None, cancelled_at=None, due_at__lt=NOW).exists()
    assert not requests.filter(done_at=None, cancelled_at=None).exclude(deal__status=DealStatus.OPEN).exists()
    per_rep = requests.values("owner").annotate(
        answered=Count("id", filter=Q(done_at__isnull=False)),
        in_time=Count("id", filter=Q(done_at__lte=F("due_at"))),
    )
    shares = [row["in_time"] / row["answered"] for row in per_rep if row["answered"] >= 3]
    assert max(shares) - min(shares) > 0.25


def _minutes_by_owner(answered: QuerySet[Activity]) -> dict[int, list[int]]:
    by_owner: dict[int, list[int]] = defaultdict(list)
    for owner, minutes in answered.values_list("owner_id", "response_minutes"):
        by_owner[owner].append(minutes)
    return by_owner


def test_trials_have_a_check_in_halfway_and_a_decision_call_at_their_end(demo: DemoSummary) -> None:
    # given the trials of a generated demo and their follow-ups
    hours = hours_by_user()
    trials = {trial.pk: trial for trial in Activity.objects.filter(kind=ActivityKind.TRIAL)}
    follow_ups: dict[int, dict[str, Activity]] = defaultdict(dict)
    for task in Activity.objects.filter(parent__kind=ActivityKind.TRIAL):
        follow_ups[task.parent_id][task.purpose] = task

    # when each is compared with its length, its check-in and decision call
    lengths = {days for _, days in names.TRIALS}
    for trial_id, trial in trials.items():
        assert trial.due_at is not None and trial.ends_at is not None
        owner_hours = hours[trial.owner_id]
        check_in = follow_ups[trial_id][ActivityPurpose.TRIAL_CHECK_IN]
        decision = follow_ups[trial_id][ActivityPurpose.TRIAL_DECISION]

        # then it runs as long as its name says, checked in on halfway and decided at its end (both moved
        # into working hours), both calls for the trial's owner, deal and person, made with the trial
        assert (trial.ends_at - trial.due_at).days in lengths
        midway = trial.due_at + (trial.ends_at - trial.due_at) / 2
        assert check_in.due_at == next_working_start(midway, owner_hours)
        assert decision.due_at == next_working_start(trial.ends_at, owner_hours)
        assert set(follow_ups[trial_id]) == {ActivityPurpose.TRIAL_CHECK_IN, ActivityPurpose.TRIAL_DECISION}
        for task in (check_in, decision):
            assert task.kind == ActivityKind.CALL
            assert (task.owner_id, task.deal_id, task.person_id) == (
                trial.owner_id,
                trial.deal_id,
                trial.person_id,
            )
            assert task.created_at == trial.created_at
            if trial.done_at is not None:
                # completing a trial cancels what had not happened yet
                assert task.done_at is not None or task.cancelled_at == trial.done_at
                assert task.done_at is None or task.done_at <= trial.done_at
        if trial.done_at is None:
            assert trial.deal is not None and trial.deal.status == DealStatus.OPEN
            assert decision.is_planned
        else:
            assert trial.outcome in (ActivityOutcome.CONVERTED, ActivityOutcome.NOT_CONVERTED)

    # and both outcomes occur, with a few trials still running
    done = [trial for trial in trials.values() if trial.done_at is not None]
    assert len(done) > 20
    assert {trial.outcome for trial in done} == {ActivityOutcome.CONVERTED, ActivityOutcome.NOT_CONVERTED}


def test_demos_gifts_and_trials_have_outcomes_and_go_with_more_won_deals(demo: DemoSummary) -> None:
    # given the closed deals and the demos, trials and gifts that took place
    done = Activity.objects.exclude(done_at=None)
    closed = Deal.objects.filter(status__in=[DealStatus.WON, DealStatus.LOST])

    # when the deals with a held demo or a trial are set against the others
    tried = Activity.objects.filter(
        deal=OuterRef("pk"), kind__in=[ActivityKind.DEMO, ActivityKind.TRIAL]
    ).exclude(done_at=None)
    with_demo = closed.filter(Exists(tried))
    without = closed.exclude(Exists(tried))

    def win_rate(deals: QuerySet[Deal]) -> float:
        counted = deals.aggregate(won=Count("id", filter=Q(status=DealStatus.WON)), all=Count("id"))
        return float(counted["won"] / counted["all"])

    # then demos were held or missed, gifts delivered, and deals with a demo or trial were won more often
    assert set(done.filter(kind=ActivityKind.DEMO).values_list("outcome", flat=True)) == {
        ActivityOutcome.HELD,
        ActivityOutcome.NO_SHOW,
    }
    assert set(done.filter(kind=ActivityKind.GIFT).values_list("outcome", flat=True)) == {
        ActivityOutcome.DELIVERED
    }
    assert with_demo.count() > 30
    assert without.count() > 30
    assert win_rate(with_demo) > win_rate(without) + 0.2


def test_engine_tasks_are_marked_as_handled_by_the_worker_once_due_done_or_cancelled(
    demo: DemoSummary,
) -> None:
    # given the engine's tasks (reminders, next-step prompts, trial calls)
    engine = Activity.objects.exclude(purpose="")
    planned = engine.filter(done_at=None, cancelled_at=None)
    settled = engine.exclude(done_at=None, cancelled_at=None)

    # when their marks are compared with when they fell due and when they were done or cancelled
    marks = settled.values_list("due_at", "done_at", "cancelled_at", "notified_at")

    # then the worker handled every task that fell due before now, so it does not act on the demo's
    # history; one done or cancelled first left its queue then; those ahead (and what people plan
    # themselves) wait for it
    assert settled.count() > 100
    for due, done, cancelled, notified in marks:
        assert notified == min(due, done or cancelled)
    assert not planned.filter(due_at__lt=NOW).exclude(notified_at=F("due_at")).exists()
    assert planned.filter(due_at__lt=NOW).exists()
    assert not planned.filter(due_at__gte=NOW).exclude(notified_at=None).exists()
    assert planned.filter(due_at__gte=NOW).exists()
    assert settled.filter(notified_at__lt=F("due_at")).exists()
    assert not Activity.objects.filter(purpose="").exclude(notified_at=None).exists()


def test_some_reps_and_one_team_email_their_prospects_and_languages_are_mixed() -> None:
    # given a demo with three teams
    demo_generate(reps=25, deals=0, seed=7, today=TODAY)

    # when the notification settings are read
    reps = User.objects.filter(role=Role.REP).select_related("team")
    emailing_teams = Team.objects.filter(prospect_reminder_emails=True)

    # then one team emails its prospects (one of its reps opting out), two more reps do so on their own,
    # most users get the daily digest, and some work in Greek, some in English
    assert emailing_teams.count() == 1
    assert reps.filter(prospect_reminder_emails=False, team__in=emailing_teams).count() == 1
    assert reps.filter(prospect_reminder_emails=True).exclude(team__in=emailing_teams).count() == 2
    emailing = [user for user in reps if user.emails_prospects]
    assert len(emailing) == emailing_teams.get().members.filter(role=Role.REP).count() - 1 + 2
    assert {"en", "el"} <= set(User.objects.values_list("language", flat=True))
    assert 0 < User.objects.filter(daily_digest=False).count() < User.objects.count() / 3
