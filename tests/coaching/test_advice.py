"""Advice for a rep, from scenarios whose right answer is known (`coaching/selectors.py`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from salespipe.activities.models import ActivityKind, ActivityOutcome
from salespipe.analytics.advice import (
    ANSWER_INFO_REQUEST,
    BIG_DEAL_AT_RISK,
    CLOSING_SKILLS,
    CONFIRM_DECISION_MAKER,
    FAMINE_AHEAD,
    HIGH,
    MEDIUM,
    MORE_COLD_CALLS,
    MORE_RESEARCH_AND_PRESENTATIONS,
    NO_NEXT_STEP,
    OFFER_TRIAL_OR_DEMO,
    PROBE_BUDGET_AND_TIMELINE,
    ROTTING_DEAL,
    SEVERITIES,
    WEAK_STEP,
    AdviceItem,
)
from salespipe.coaching import selectors as coaching_selectors
from salespipe.coaching.selectors import Advice, advice_facts, advice_for
from salespipe.deals.models import Stage
from salespipe.deals.services import deal_move
from salespipe.people.models import User
from salespipe.quotas.models import Quota
from tests.analytics.conftest import activity
from tests.coaching.conftest import NOW, appointments, days_ago, planned, stay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("advice_clock")]


def advice(user: User, actor: User | None = None) -> Advice:
    return advice_for(actor=actor or user, username=user.username)


def codes(user: User) -> list[str]:
    return [item.code for item in advice(user).items]


def item(user: User, code: str) -> AdviceItem:
    return next(found for found in advice(user).items if found.code == code)


def test_a_rep_whose_deals_are_looked_after_gets_no_advice(rep: User, open_deal: Any) -> None:
    # given
    for stage in ("Lead", "Qualified", "Appointment", "Proposal"):
        open_deal(rep, stage)

    # when
    found = advice(rep)

    # then
    assert found.items == []
    assert (found.user, found.as_of, found.language) == (rep, NOW.date(), "en")


# --- pipeline balance ---------------------------------------------------------------------------------------


def test_many_late_stage_deals_and_no_appointments_call_for_cold_calls_not_research(
    rep: User, open_deal: Any
) -> None:
    # given: six deals near closing, one early, nothing booked
    for value in (1000, 2000, 3000):
        open_deal(rep, "Demo/Trial", value=value)
        open_deal(rep, "Proposal", value=value + 500)
    open_deal(rep, "Lead")

    # when
    found = codes(rep)

    # then
    assert MORE_COLD_CALLS in found
    assert MORE_RESEARCH_AND_PRESENTATIONS not in found
    cold_calls = item(rep, MORE_COLD_CALLS)
    assert cold_calls.severity == HIGH
    assert cold_calls.evidence["late_stage"]["deals"] == 6
    assert [deal["value"] for deal in cold_calls.evidence["late_stage"]["biggest"]] == [
        "3500.00",
        "3000.00",
        "2500.00",
    ]


def test_appointments_booked_ahead_keep_cold_calls_away(rep: User, open_deal: Any) -> None:
    # given
    for _ in range(6):
        open_deal(rep, "Proposal")
    appointments(rep, 3, in_days=13)
    appointments(rep, 5, in_days=15)  # beyond the 14 days

    # then
    assert MORE_COLD_CALLS not in codes(rep)


def test_a_crowded_top_of_funnel_with_little_near_closing_calls_for_research_not_cold_calls(
    rep: User, open_deal: Any
) -> None:
    # given: twelve deals in the first two stages, one near closing, no appointments
    for n in range(6):
        open_deal(rep, "Lead", value=100 + n)
        open_deal(rep, "Contacted", value=200 + n)
    open_deal(rep, "Proposal")

    # when
    found = codes(rep)

    # then
    assert MORE_RESEARCH_AND_PRESENTATIONS in found
    assert MORE_COLD_CALLS not in found
    research = item(rep, MORE_RESEARCH_AND_PRESENTATIONS)
    assert research.evidence["top_stages"]["deals"] == 12
    assert research.evidence["late_stage_deals"] == 1


def test_a_balanced_pipeline_gets_neither_balance_item(rep: User, open_deal: Any) -> None:
    for stage in ("Lead", "Lead", "Contacted", "Qualified", "Appointment", "Demo/Trial", "Proposal"):
        open_deal(rep, stage)
    appointments(rep, 3)

    assert advice(rep).items == []


# --- closing skills -----------------------------------------------------------------------------------------


def close_with_appointment(closed_deal: Any, owner: User, *, won: int, lost: int) -> None:
    """Deals closed a month ago, each after a meeting that was held."""
    for n in range(won + lost):
        closed_at = days_ago(30)
        outcome = {"won": closed_at} if n < won else {"lost": closed_at}
        deal = closed_deal(owner, created=days_ago(90), **outcome)
        activity(owner, deal, ActivityKind.MEETING, done=days_ago(40), outcome=ActivityOutcome.HELD)


def test_a_rep_closing_far_fewer_appointments_than_the_team_on_enough_deals_needs_closing_skills(
    rep: User, teammate: User, closed_deal: Any
) -> None:
    # given: 1 of 12 appointments won, against 30 of 50 for the teammate
    close_with_appointment(closed_deal, rep, won=1, lost=11)
    close_with_appointment(closed_deal, teammate, won=30, lost=20)

    # when
    found = item(rep, CLOSING_SKILLS)

    # then
    assert (found.evidence["won"], found.evidence["lost"]) == (1, 11)
    assert (found.evidence["others_won"], found.evidence["others_lost"]) == (30, 20)
    assert found.evidence["compared_with"] == "team"
    assert found.evidence["probability_below"] >= 0.95
    assert CLOSING_SKILLS not in codes(teammate)


def test_a_rep_with_too_few_appointments_is_not_told_to_brush_up_closing(
    rep: User, teammate: User, closed_deal: Any
) -> None:
    # given: 0 of 3, against 30 of 50
    close_with_appointment(closed_deal, rep, won=0, lost=3)
    close_with_appointment(closed_deal, teammate, won=30, lost=20)

    # then
    assert CLOSING_SKILLS not in codes(rep)


def through_the_first_step(
    owner: User, make_deal: Any, stages: dict[str, Stage], *, made: int, moved: int
) -> None:
    """`made` new deals (entering Lead) two days ago, of which `moved` went on to Contacted."""
    with time_machine.travel(days_ago(2), tick=False):
        for index in range(made):
            deal = make_deal(owner, title=f"{owner.username} {index}")
            if index < moved:
                deal_move(actor=owner, deal_id=deal.pk, stage_id=stages["Contacted"].pk)


def test_a_step_where_the_rep_converts_far_below_the_team_names_the_skill_to_work_on(
    rep: User, teammate: User, manager: User, make_deal: Any, stages: dict[str, Stage]
) -> None:
    # given: the rep moved 1 of 12 new deals on, the teammate 11 of 12
    through_the_first_step(rep, make_deal, stages, made=12, moved=1)
    through_the_first_step(teammate, make_deal, stages, made=12, moved=11)

    # when the rep (and their manager) ask for the rep's advice
    found = item(rep, WEAK_STEP)

    # then it is the opening, with the evidence; the teammate has no weak step
    assert found.evidence["skill"] == "opening"
    assert (found.evidence["stage"], found.evidence["next_stage"]) == ("Lead", "Contacted")
    assert (found.evidence["advanced"], found.evidence["entered"]) == (1, 12)
    assert (found.evidence["others_advanced"], found.evidence["others_entered"]) == (11, 12)
    assert found.message.startswith("Work on your opening")
    assert [i.code for i in advice(rep, actor=manager).items] == codes(rep)
    assert WEAK_STEP not in codes(teammate)


def test_a_rep_with_too_few_deals_through_a_step_is_not_told_to_work_on_it(
    rep: User, teammate: User, make_deal: Any, stages: dict[str, Stage]
) -> None:
    # given: the rep moved none of 3 deals on, the teammate 11 of 12
    through_the_first_step(rep, make_deal, stages, made=3, moved=0)
    through_the_first_step(teammate, make_deal, stages, made=12, moved=11)

    # then
    assert WEAK_STEP not in codes(rep)


# --- deals that need something ------------------------------------------------------------------------------


def test_deals_at_the_appointment_stage_or_with_a_meeting_planned_need_a_confirmed_decision_maker(
    rep: User, open_deal: Any
) -> None:
    # given
    at_appointment = open_deal(rep, "Appointment", value=3000, confirmed=False)
    meeting_planned = open_deal(rep, "Qualified", value=2000, confirmed=False)
    planned(rep, ActivityKind.MEETING, due=NOW + dt.timedelta(days=5), deal=meeting_planned)
    open_deal(rep, "Qualified", value=9000, confirmed=False)  # too early to need one
    open_deal(rep, "Proposal", value=8000)  # confirmed

    # when
    found = item(rep, CONFIRM_DECISION_MAKER)

    # then
    assert found.severity == HIGH
    assert [deal["id"] for deal in found.evidence["biggest"]] == [at_appointment.pk, meeting_planned.pk]
    assert found.evidence["value"] == "5000.00"


def test_a_cancelled_meeting_does_not_need_a_decision_maker(rep: User, open_deal: Any) -> None:
    deal = open_deal(rep, "Qualified", confirmed=False)
    meeting = planned(rep, ActivityKind.MEETING, due=NOW + dt.timedelta(days=5), deal=deal)
    meeting.cancelled_at = NOW
    meeting.save(update_fields=["cancelled_at"])

    assert CONFIRM_DECISION_MAKER not in codes(rep)


def test_deals_at_or_past_the_appointment_stage_without_budget_or_decision_date_need_probing(
    rep: User, open_deal: Any
) -> None:
    # given
    open_deal(rep, "Proposal", budget_amount=None)
    open_deal(rep, "Appointment", decision_date=None)
    open_deal(rep, "Qualified", budget_amount=None, decision_date=None)  # too early to ask

    # when
    found = item(rep, PROBE_BUDGET_AND_TIMELINE)

    # then
    assert found.evidence["deals"] == 2
    assert (found.evidence["without_budget"], found.evidence["without_decision_date"]) == (1, 1)


def test_a_deal_with_nothing_planned_needs_a_next_step(rep: User, open_deal: Any) -> None:
    # given
    deal = open_deal(rep, "Contacted", next_activity_at=None)
    open_deal(rep, "Contacted")

    # when
    found = item(rep, NO_NEXT_STEP)

    # then
    assert [listed["id"] for listed in found.evidence["biggest"]] == [deal.pk]
    assert (
        found.message == f"Plan a next step on 1 open deal with nothing scheduled: “{deal.title}” (€1,000)."
    )


def test_the_value_of_the_deals_behind_an_item_adds_up_to_the_cent(rep: User, open_deal: Any) -> None:
    # given: values whose sum a binary float misses (100.1 + 200.2 + 300.3 is 600.5999999999999 there)
    for value in ("100.10", "200.20", "300.30"):
        open_deal(rep, "Qualified", value=Decimal(value), next_activity_at=None)

    # when
    found = item(rep, NO_NEXT_STEP)

    # then
    assert found.evidence["value"] == "600.60"
    assert [deal["value"] for deal in found.evidence["biggest"]] == ["300.30", "200.20", "100.10"]


def test_open_deals_of_no_kind_an_item_names_are_counted_all_the_same(rep: User, open_deal: Any) -> None:
    # given: two deals looked after in Qualified, neither at the top of the funnel nor late, before the
    # appointment
    open_deal(rep, "Qualified")
    open_deal(rep, "Qualified", value=3000)

    # when
    facts = advice_facts(actor=rep, user=rep, now=NOW)

    # then
    assert facts.open_deals == 2
    assert facts.median_open_value == Decimal("2000.00")
    assert (facts.top.count, facts.late.count, facts.no_next_step.count, facts.big_at_risk.count) == (
        0,
        0,
        0,
        0,
    )


def test_a_deal_without_progress_for_its_stage_s_rotting_days_is_rotting(rep: User, open_deal: Any) -> None:
    # given: Lead rots after 14 days
    rotting = open_deal(rep, "Lead", stage_entered_at=days_ago(20), last_activity_at=days_ago(15))
    open_deal(rep, "Lead", stage_entered_at=days_ago(20), last_activity_at=days_ago(13))  # worked on
    open_deal(rep, "Lead", stage_entered_at=days_ago(13), last_activity_at=None)  # moved recently

    # when
    found = item(rep, ROTTING_DEAL)

    # then
    assert [listed["id"] for listed in found.evidence["biggest"]] == [rotting.pk]


def test_information_requests_waiting_must_be_answered_and_overdue_ones_first(
    rep: User, info_request: Any
) -> None:
    # given
    info_request(rep, received=days_ago(1), due=NOW + dt.timedelta(hours=3))
    assert item(rep, ANSWER_INFO_REQUEST).severity == MEDIUM

    # when
    late = info_request(rep, received=days_ago(2), due=days_ago(1))
    info_request(rep, received=days_ago(3), due=days_ago(2), answered=days_ago(2.5))

    # then
    found = item(rep, ANSWER_INFO_REQUEST)
    assert found.severity == HIGH
    assert (found.evidence["open"], found.evidence["overdue"]) == (2, 1)
    assert found.evidence["first_due"][0]["id"] == late.pk


def qualified_stays(deal_of: Any, owner: User, stages: dict[str, Stage], *, count: int, days: int) -> None:
    """`count` deals of `owner` that spent `days` days in Qualified, two months ago."""
    for _ in range(count):
        deal = deal_of(owner, "Appointment")
        stay(
            deal,
            stages["Qualified"],
            entered=days_ago(60),
            left=days_ago(60 - days),
            to=stages["Appointment"],
        )


def test_a_deal_stalled_well_past_the_team_s_median_days_in_its_stage_calls_for_a_trial_or_demo(
    rep: User, teammate: User, open_deal: Any, stages: dict[str, Stage]
) -> None:
    # given: the team's deals spend 5 days in Qualified; this one has been there 12
    qualified_stays(open_deal, teammate, stages, count=5, days=5)
    stalled = open_deal(rep, "Qualified", stage_entered_at=days_ago(12))
    open_deal(rep, "Qualified", stage_entered_at=days_ago(9))  # within twice the median

    # when
    found = item(rep, OFFER_TRIAL_OR_DEMO)

    # then
    assert [listed["id"] for listed in found.evidence["biggest"]] == [stalled.pk]
    assert found.evidence["stage_medians"] == [
        {"stage": "Qualified", "days": 5.0, "exits": 5, "basis": "team"}
    ]


def test_a_busy_team_s_median_is_that_of_its_most_recent_exits(
    rep: User, teammate: User, open_deal: Any, stages: dict[str, Stage], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a team that left Qualified 13 times in the half year, more than a sample of 5 (scaled down from
    # 2,000): 8 deals long ago that stayed 30 days, then 5 in the last month that stayed 5
    monkeypatch.setattr(coaching_selectors, "TEAM_EXIT_SAMPLE", 5)
    for days_in, left in [(30, 170), (30, 160), (30, 150), (30, 140), (30, 130), (30, 120), (30, 110)]:
        stay(
            open_deal(teammate, "Appointment"),
            stages["Qualified"],
            entered=days_ago(left + days_in),
            left=days_ago(left),
            to=stages["Appointment"],
        )
    stay(
        open_deal(teammate, "Appointment"),
        stages["Qualified"],
        entered=days_ago(130),
        left=days_ago(100),
        to=stages["Appointment"],
    )
    for left in (25, 20, 15, 10, 5):
        stay(
            open_deal(teammate, "Appointment"),
            stages["Qualified"],
            entered=days_ago(left + 5),
            left=days_ago(left),
            to=stages["Appointment"],
        )
    stalled = open_deal(rep, "Qualified", stage_entered_at=days_ago(12))

    # when
    found = item(rep, OFFER_TRIAL_OR_DEMO)

    # then the median is of the exits in the last 180 × 5/13 = 69 days: the five recent ones, 5 days each
    assert found.evidence["stage_medians"] == [
        {"stage": "Qualified", "days": 5.0, "exits": 5, "basis": "team"}
    ]
    assert [listed["id"] for listed in found.evidence["biggest"]] == [stalled.pk]


def test_a_busy_team_s_stages_are_sampled_each_from_its_own_start(
    rep: User, teammate: User, open_deal: Any, stages: dict[str, Stage], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a sample of 5 (scaled down from 2,000): the team left Qualified 13 times in the half year, the
    # last 5 in the past month after 5 days there, the 8 before after 30; and Appointment 5 times only,
    # four months ago, after 10 days there
    monkeypatch.setattr(coaching_selectors, "TEAM_EXIT_SAMPLE", 5)
    for days_in, left in [(30, 170 - 10 * n) for n in range(8)] + [(5, 25 - 5 * n) for n in range(5)]:
        stay(
            open_deal(teammate, "Demo/Trial"),
            stages["Qualified"],
            entered=days_ago(left + days_in),
            left=days_ago(left),
            to=stages["Demo/Trial"],
        )
    for left in (150, 140, 130, 120, 110):
        stay(
            open_deal(teammate, "Proposal"),
            stages["Appointment"],
            entered=days_ago(left + 10),
            left=days_ago(left),
            to=stages["Proposal"],
        )
    open_deal(rep, "Qualified")
    open_deal(rep, "Appointment")

    # when
    medians = advice_facts(actor=rep, user=rep, now=NOW).stage_medians

    # then Qualified's median is of its recent exits alone, Appointment's of all of its exits, however old
    assert [(median.stage, median.days, median.exits, median.basis) for median in medians] == [
        ("Qualified", 5.0, 5, "team"),
        ("Appointment", 10.0, 5, "team"),
    ]


def test_a_stalled_deal_that_had_a_trial_is_not_offered_one_again(
    rep: User, teammate: User, open_deal: Any, stages: dict[str, Stage]
) -> None:
    qualified_stays(open_deal, teammate, stages, count=5, days=5)
    stalled = open_deal(rep, "Qualified", stage_entered_at=days_ago(12))
    activity(rep, stalled, ActivityKind.TRIAL, done=days_ago(3), outcome=ActivityOutcome.NOT_CONVERTED)

    assert OFFER_TRIAL_OR_DEMO not in codes(rep)


def test_too_little_team_history_falls_back_to_the_company_then_to_nothing(
    rep: User, outsider: User, open_deal: Any, stages: dict[str, Stage]
) -> None:
    # given: no history at all
    open_deal(rep, "Qualified", stage_entered_at=days_ago(12))
    assert OFFER_TRIAL_OR_DEMO not in codes(rep)

    # when: another team's deals spent 4 days there
    qualified_stays(open_deal, outsider, stages, count=5, days=4)

    # then
    found = item(rep, OFFER_TRIAL_OR_DEMO)
    assert found.evidence["stage_medians"] == [
        {"stage": "Qualified", "days": 4.0, "exits": 5, "basis": "company"}
    ]


def test_a_famine_month_in_the_next_three_calls_for_prospecting(rep: User, open_deal: Any) -> None:
    # given: a December quota and nothing expected to close in December
    Quota.objects.create(
        user=rep,
        period_kind="month",
        starts_on=dt.date(2026, 12, 1),
        ends_on=dt.date(2026, 12, 31),
        target_value=Decimal(10_000),
    )
    open_deal(rep, "Proposal", expected_close_date=dt.date(2027, 1, 15))

    # when
    found = item(rep, FAMINE_AHEAD)

    # then
    assert found.severity == HIGH
    assert [month["month"] for month in found.evidence["months"]] == ["2026-12"]
    assert found.evidence["shortfall"] == "10000.00"


def test_a_month_expected_to_make_its_quota_is_no_famine(rep: User, open_deal: Any) -> None:
    Quota.objects.create(
        user=rep,
        period_kind="month",
        starts_on=dt.date(2026, 12, 1),
        ends_on=dt.date(2026, 12, 31),
        target_value=Decimal(1000),
    )
    open_deal(rep, "Proposal", value=5000, probability=90, expected_close_date=dt.date(2026, 12, 15))

    assert FAMINE_AHEAD not in codes(rep)


def test_a_big_deal_without_a_next_step_is_at_risk(rep: User, open_deal: Any) -> None:
    # given: four deals of 1,000 and one of 10,000 with nothing planned
    for _ in range(4):
        open_deal(rep, "Qualified")
    big = open_deal(rep, "Proposal", value=10_000, next_activity_at=None)

    # when
    found = item(rep, BIG_DEAL_AT_RISK)

    # then
    assert found.evidence["biggest"] == [
        {"id": big.pk, "title": big.title, "value": "10000.00", "reasons": ["no_next_step"]}
    ]
    assert found.evidence["median_open_value"] == "1000.00"


def test_a_big_deal_that_is_looked_after_is_not_at_risk_nor_a_small_one_that_is_not(
    rep: User, open_deal: Any
) -> None:
    for _ in range(4):
        open_deal(rep, "Qualified", next_activity_at=None)
    open_deal(rep, "Proposal", value=10_000)

    assert BIG_DEAL_AT_RISK not in codes(rep)


# --- order and language -------------------------------------------------------------------------------------


def test_items_come_most_important_first(rep: User, open_deal: Any, info_request: Any) -> None:
    # given
    for _ in range(4):
        open_deal(rep, "Qualified")
    open_deal(rep, "Proposal", value=10_000, next_activity_at=None)
    open_deal(rep, "Lead", value=500, stage_entered_at=days_ago(20), last_activity_at=None)
    info_request(rep, received=days_ago(2), due=days_ago(1))

    # when
    found = advice(rep).items

    # then
    assert [found_item.code for found_item in found] == [
        BIG_DEAL_AT_RISK,  # high, 10,000 at stake
        ANSWER_INFO_REQUEST,  # high, nothing at stake
        NO_NEXT_STEP,  # medium, 10,000
        ROTTING_DEAL,  # medium, 500
    ]
    ranks = [(SEVERITIES.index(found_item.severity), -found_item.value_at_stake) for found_item in found]
    assert ranks == sorted(ranks)


def test_a_greek_speaking_rep_gets_the_advice_in_greek(rep: User, open_deal: Any) -> None:
    # given
    rep.language = "el"
    rep.save(update_fields=["language"])
    open_deal(rep, "Contacted", value=12_500, next_activity_at=None)

    # when
    found = advice(rep, actor=User.objects.get(username="manager"))

    # then
    assert found.language == "el"
    assert "(€12.500)" in found.items[0].message  # Greek groups thousands with a dot
