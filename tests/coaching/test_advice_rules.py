"""The advice rules over plain facts, without a database (`analytics/advice.py`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from salespipe.analytics.advice import (
    ANSWER_INFO_REQUEST,
    BIG_DEAL_AT_RISK,
    CLOSING_SKILLS,
    CODES,
    CONFIRM_DECISION_MAKER,
    FAMINE_AHEAD,
    HIGH,
    LOW,
    MEDIUM,
    MORE_COLD_CALLS,
    MORE_RESEARCH_AND_PRESENTATIONS,
    NO_NEXT_STEP,
    OFFER_TRIAL_OR_DEMO,
    PROBE_BUDGET_AND_TIMELINE,
    ROTTING_DEAL,
    WEAK_STEP,
    AdviceFacts,
    AdviceItem,
    ClosingRecord,
    DealRef,
    Deals,
    InfoRequests,
    RequestRef,
    StageMedian,
    Thresholds,
    advice_order,
    advise,
)
from salespipe.analytics.forecast import FlowMonth
from salespipe.analytics.funnel import CLOSING, StageCohort, WeakStep, weakest_step

TODAY = dt.date(2026, 11, 27)
DEFAULTS = Thresholds()


def facts(**fields: object) -> AdviceFacts:
    return AdviceFacts(today=TODAY, currency="EUR", **fields)  # type: ignore[arg-type]


def deals(*values: int, count: int | None = None) -> Deals:
    """Deals worth `values`, biggest first as the selector hands them, named "Deal 1", "Deal 2", …"""
    refs = tuple(
        DealRef(n, f"Deal {n}", Decimal(value)) for n, value in enumerate(sorted(values, reverse=True), 1)
    )
    return Deals(count=len(values) if count is None else count, value=Decimal(sum(values)), biggest=refs[:3])


def codes(found: list[AdviceItem]) -> list[str]:
    return [item.code for item in found]


def only(code: str, found: list[AdviceItem]) -> AdviceItem:
    return next(item for item in found if item.code == code)


# --- pipeline balance ---------------------------------------------------------------------------------------


def test_many_deals_near_closing_and_no_appointments_ahead_call_for_cold_calls() -> None:
    # given
    state = facts(open_deals=6, late=deals(5000, 4000, 3000, 2000, 1000, 500), appointments_ahead=0)

    # when
    found = advise(state, DEFAULTS)

    # then
    assert codes(found) == [MORE_COLD_CALLS]
    item = found[0]
    assert item.severity == HIGH
    assert item.evidence["late_stage"]["deals"] == 6
    assert item.evidence["appointments_ahead"] == 0
    assert item.evidence["thresholds"] == {"late_stage_deals": 5, "few_appointments": 2}
    assert "“Deal 1” (€5,000), “Deal 2” (€4,000), “Deal 3” (€3,000) and 3 more" in item.message
    assert "no appointment is planned in the next 14 days" in item.message


def test_a_few_appointments_ahead_make_cold_calls_a_medium_matter_and_enough_of_them_none() -> None:
    late = deals(1, 1, 1, 1, 1)

    assert only(MORE_COLD_CALLS, advise(facts(late=late, appointments_ahead=2), DEFAULTS)).severity == MEDIUM
    assert advise(facts(late=late, appointments_ahead=3), DEFAULTS) == []
    assert advise(facts(late=deals(1, 1, 1, 1), appointments_ahead=0), DEFAULTS) == []


def test_a_crowded_top_of_funnel_with_little_near_closing_calls_for_research_and_presentations() -> None:
    # given: 12 of 14 open deals (86 %) in the first two stages, one near closing
    state = facts(open_deals=14, top=deals(*[100] * 12), late=deals(900), appointments_ahead=0)

    # when
    found = advise(state, DEFAULTS)

    # then
    assert codes(found) == [MORE_RESEARCH_AND_PRESENTATIONS]
    assert found[0].evidence["top_share"] == round(12 / 14, 4)
    assert "12 of your 14 open deals (86%)" in found[0].message
    assert "only 1 is near closing" in found[0].message


def test_the_top_of_funnel_is_not_crowded_below_the_share_or_the_count() -> None:
    # 9 deals are too few to call crowded; 10 of 15 (67 %) is below 70 %
    assert advise(facts(open_deals=9, top=deals(*[1] * 9)), DEFAULTS) == []
    assert advise(facts(open_deals=15, top=deals(*[1] * 10)), DEFAULTS) == []
    # and a crowded top with two deals near closing is not "little near closing"
    assert advise(facts(open_deals=12, top=deals(*[1] * 10), late=deals(1, 1)), DEFAULTS) == []


@given(
    open_deals=st.integers(0, 60),
    top=st.integers(0, 60),
    late=st.integers(0, 60),
    appointments=st.integers(0, 20),
    late_stage_deals=st.integers(1, 20),
    few_appointments=st.integers(0, 20),
    crowded_top_percent=st.integers(1, 100),
    crowded_top_deals=st.integers(1, 20),
    near_closing_deals=st.integers(0, 30),
)
def test_the_two_balance_items_never_come_together_whatever_the_thresholds(
    open_deals: int,
    top: int,
    late: int,
    appointments: int,
    late_stage_deals: int,
    few_appointments: int,
    crowded_top_percent: int,
    crowded_top_deals: int,
    near_closing_deals: int,
) -> None:
    limits = Thresholds(
        late_stage_deals=late_stage_deals,
        few_appointments=few_appointments,
        crowded_top_percent=crowded_top_percent,
        crowded_top_deals=crowded_top_deals,
        near_closing_deals=near_closing_deals,
    )
    state = facts(
        open_deals=max(open_deals, top, late),
        top=Deals(count=top),
        late=Deals(count=late),
        appointments_ahead=appointments,
    )

    found = set(codes(advise(state, limits)))

    assert not {MORE_COLD_CALLS, MORE_RESEARCH_AND_PRESENTATIONS} <= found


# --- closing skills -----------------------------------------------------------------------------------------


def test_closing_far_below_the_rest_of_the_team_on_enough_deals_calls_for_closing_skills() -> None:
    # given: 2 of 20 appointments closed, against 60 of 100 for the others
    state = facts(
        closing=ClosingRecord(won=2, lost=18, others_won=60, others_lost=40),
        at_or_past_appointment=deals(7000, 3000),
    )

    # when
    item = only(CLOSING_SKILLS, advise(state, DEFAULTS))

    # then
    assert item.severity == MEDIUM
    assert item.evidence["rate"] == 0.1
    assert item.evidence["others_rate"] == 0.6
    assert item.evidence["probability_below"] > 0.99
    low, high = item.evidence["interval"]
    assert 0 < low < 0.1 < high < 0.6
    assert item.evidence["thresholds"] == {"min_trials": 10, "certainty_percent": 95}
    assert "you won 2 of the 20 deals you had an appointment on (10%)" in item.message
    assert "against 60% of 100 for the rest of your team" in item.message
    assert "“Deal 1” (€7,000) and “Deal 2” (€3,000)" in item.message
    assert item.value_at_stake == Decimal(10_000)


def test_a_bad_run_on_a_few_deals_is_not_a_weakness() -> None:
    # 0 of 3 against 60 of 100: bad luck as likely as bad closing
    state = facts(closing=ClosingRecord(won=0, lost=3, others_won=60, others_lost=40))

    assert advise(state, DEFAULTS) == []


def test_closing_like_the_rest_of_the_team_is_not_a_weakness() -> None:
    state = facts(closing=ClosingRecord(won=55, lost=45, others_won=60, others_lost=40))

    assert advise(state, DEFAULTS) == []


def test_a_rep_without_a_team_is_compared_with_the_rest_of_the_company() -> None:
    state = facts(closing=ClosingRecord(won=1, lost=19, others_won=50, others_lost=50, others="company"))

    item = only(CLOSING_SKILLS, advise(state, DEFAULTS))

    assert item.evidence["compared_with"] == "company"
    assert "for the rest of the company" in item.message


STAGES = ["Lead", "Contacted", "Qualified", "Appointment", "Demo/Trial", "Proposal"]


def weak(mine: list[tuple[int, int]], rest: list[tuple[int, int]]) -> WeakStep | None:
    """The weakest of the default pipeline's steps, (entered, advanced) per stage on each side."""
    return weakest_step(
        [StageCohort(n, *pair) for n, pair in enumerate(mine)],
        [StageCohort(n, *pair) for n, pair in enumerate(rest)],
        names=STAGES,
        won="Won",
        appointment=3,
        min_trials=10,
        certainty=0.95,
    )


EVEN = [(100, 50)] * 6


def test_a_step_far_below_the_rest_of_the_team_names_the_skill_and_its_evidence() -> None:
    # given a rep who books an appointment for 3 of 30 qualified deals, against 50 of 100 for the others
    step = weak([(40, 20), (40, 20), (30, 3), (10, 5), (10, 5), (10, 5)], EVEN)

    # when it is advised on
    assert step is not None
    item = only(WEAK_STEP, advise(facts(weak_step=step, steps_window_days=90), DEFAULTS))

    # then it is the booking step, with the numbers behind it
    assert (step.stage, step.next_stage, step.skill) == ("Qualified", "Appointment", "booking")
    assert item.severity == MEDIUM
    assert item.evidence["skill"] == "booking"
    assert (item.evidence["entered"], item.evidence["advanced"], item.evidence["rate"]) == (30, 3, 0.1)
    assert (item.evidence["others_entered"], item.evidence["others_rate"]) == (100, 0.5)
    assert item.evidence["probability_below"] > 0.99
    assert item.message.startswith("Ask for the appointment")
    assert (
        "Qualified → Appointment: 3 of the 30 deals that entered Qualified in the last 90 days"
        in item.message
    )
    assert "against 50% of 100 for the rest of your team" in item.message


def test_of_several_weak_steps_the_one_that_loses_most_is_the_weakest() -> None:
    # 10 % against 50 % at the opening, 30 % against 50 % at the demo: the opening loses more
    step = weak([(50, 5), (40, 20), (40, 20), (40, 20), (50, 15), (10, 5)], EVEN)

    assert step is not None and (step.stage, step.skill) == ("Lead", "opening")


def test_a_few_deals_or_a_step_no_worse_than_the_team_is_no_weakness() -> None:
    # 0 of 5 is too few to tell; 45 of 100 against 50 of 100 is not sure enough; better than the team is
    # never weak
    assert weak([(5, 0), (100, 45), (100, 90), (100, 50), (100, 50), (100, 50)], EVEN) is None
    assert advise(facts(weak_step=None), DEFAULTS) == []


def test_a_weak_last_step_is_left_to_closing_skills_when_that_says_it_already() -> None:
    # given a rep weak at Proposal → Won, and whose appointments close far below the team's too
    step = weak([(100, 50)] * 5 + [(40, 4)], EVEN)
    assert step is not None and step.skill == CLOSING
    closing = ClosingRecord(won=2, lost=18, others_won=60, others_lost=40)

    # then only the closing item speaks, once; without the appointments' record the step speaks
    assert codes(advise(facts(weak_step=step, closing=closing), DEFAULTS)) == [CLOSING_SKILLS]
    assert codes(advise(facts(weak_step=step), DEFAULTS)) == [WEAK_STEP]
    assert only(WEAK_STEP, advise(facts(weak_step=step), DEFAULTS)).message.startswith(
        "Brush up your closing"
    )


# --- deals that need something ------------------------------------------------------------------------------


def test_each_kind_of_neglected_deal_has_its_item_and_none_without_such_deals() -> None:
    kinds = {
        CONFIRM_DECISION_MAKER: ("no_decision_maker", HIGH, "Confirm the decision maker on 4 deals"),
        PROBE_BUDGET_AND_TIMELINE: ("missing_budget_or_timeline", MEDIUM, "Probe budget and timeline on 4"),
        NO_NEXT_STEP: ("no_next_step", MEDIUM, "Plan a next step on 4 open deals"),
        ROTTING_DEAL: ("rotting", MEDIUM, "Revive or close 4 rotting deals"),
        OFFER_TRIAL_OR_DEMO: ("stalled", LOW, "Offer a free trial or a demo on 4 deals"),
    }
    for code, (field, severity, words) in kinds.items():
        # when
        found = advise(facts(**{field: deals(4000, 3000, 2000, 1000)}), DEFAULTS)

        # then
        assert codes(found) == [code]
        assert found[0].severity == severity
        assert words in found[0].message
        assert "“Deal 1” (€4,000), “Deal 2” (€3,000), “Deal 3” (€2,000) and 1 more" in found[0].message
        assert found[0].evidence["deals"] == 4
        assert found[0].evidence["value"] == "10000.00"
        assert [deal["id"] for deal in found[0].evidence["biggest"]] == [1, 2, 3]
        assert advise(facts(**{field: Deals()}), DEFAULTS) == []


def test_one_deal_is_named_alone_and_in_the_singular() -> None:
    found = advise(facts(no_next_step=deals(2500)), DEFAULTS)

    assert found[0].message == "Plan a next step on 1 open deal with nothing scheduled: “Deal 1” (€2,500)."


def test_probing_says_how_many_lack_a_budget_and_how_many_a_decision_date() -> None:
    state = facts(missing_budget_or_timeline=deals(1, 1, 1), missing_budget=1, missing_decision_date=3)

    item = only(PROBE_BUDGET_AND_TIMELINE, advise(state, DEFAULTS))

    assert "(1 without a budget, 3 without a decision date)" in item.message
    assert (item.evidence["without_budget"], item.evidence["without_decision_date"]) == (1, 3)


def test_stalled_deals_show_the_medians_they_were_measured_against() -> None:
    state = facts(stalled=deals(500), stage_medians=(StageMedian("Qualified", 6.04, 12, "team"),))

    item = only(OFFER_TRIAL_OR_DEMO, advise(state, DEFAULTS))

    assert item.evidence["stage_medians"] == [
        {"stage": "Qualified", "days": 6.0, "exits": 12, "basis": "team"}
    ]
    assert "more than 200% of the usual time" in item.message


def test_big_deals_at_risk_are_high_and_name_the_median_they_are_big_against() -> None:
    big = DealRef(7, "Big one", Decimal(20_000), ("rotting", "no_next_step"))
    state = facts(big_at_risk=Deals(1, Decimal(20_000), (big,)), median_open_value=Decimal(4000))

    item = only(BIG_DEAL_AT_RISK, advise(state, DEFAULTS))

    assert item.severity == HIGH
    assert "“Big one” (€20,000)" in item.message
    assert "200% of your median open deal of €4,000" in item.message
    assert item.evidence["biggest"] == [
        {"id": 7, "title": "Big one", "value": "20000.00", "reasons": ["rotting", "no_next_step"]}
    ]
    assert item.evidence["median_open_value"] == "4000.00"


# --- information requests -----------------------------------------------------------------------------------


def test_an_overdue_information_request_is_high_and_one_still_in_time_medium() -> None:
    due = dt.datetime(2026, 11, 27, 14, 0, tzinfo=dt.UTC)
    waiting = (RequestRef(1, "Price list", due, 5, "Acme"), RequestRef(2, "References", None))

    overdue = only(ANSWER_INFO_REQUEST, advise(facts(info_requests=InfoRequests(2, 1, waiting)), DEFAULTS))
    in_time = only(ANSWER_INFO_REQUEST, advise(facts(info_requests=InfoRequests(2, 0, waiting)), DEFAULTS))

    assert overdue.severity == HIGH
    assert "2 open, 1 of them past its deadline: “Price list” on “Acme” and “References”" in overdue.message
    assert in_time.severity == MEDIUM
    assert in_time.evidence["first_due"][0] == {
        "id": 1,
        "subject": "Price list",
        "due_at": "2026-11-27T14:00:00+00:00",
        "deal_id": 5,
        "deal_title": "Acme",
    }
    assert advise(facts(info_requests=InfoRequests()), DEFAULTS) == []


# --- famine -------------------------------------------------------------------------------------------------


def month(day: dt.date, expected: int, quota: int | None, famine: bool, cycle_days: int = 60) -> FlowMonth:
    share = None if quota is None else Decimal(expected) / Decimal(quota)
    return FlowMonth(
        month=day,
        won=Decimal(0),
        expected=Decimal(expected),
        quota=None if quota is None else Decimal(quota),
        share=share,
        famine=famine,
        prospect_by=day - dt.timedelta(days=cycle_days),
    )


def test_a_famine_month_ahead_says_when_to_prospect_and_what_is_short() -> None:
    flow = (
        month(dt.date(2026, 11, 1), 9000, 10_000, False),
        month(dt.date(2027, 1, 1), 3000, 10_000, True, cycle_days=30),
        month(dt.date(2027, 2, 1), 2000, 10_000, True, cycle_days=30),
        month(dt.date(2027, 3, 1), 0, 10_000, True),  # beyond the three months looked at
    )

    item = only(FAMINE_AHEAD, advise(facts(flow=flow), DEFAULTS))

    assert [found["month"] for found in item.evidence["months"]] == ["2027-01", "2027-02"]
    assert item.evidence["shortfall"] == "15000.00"
    assert item.value_at_stake == Decimal(15_000)
    assert (
        "fall short in January 2027 (30% of the quota) and February 2027 (20% of the quota)" in item.message
    )
    assert "Find new deals for January 2027 by Dec. 2, 2026" in item.message
    assert item.severity == HIGH  # 2 December is within two weeks


def test_a_famine_month_far_enough_ahead_is_medium_and_one_too_late_to_prospect_for_says_so() -> None:
    later = (month(dt.date(2027, 2, 1), 0, 10_000, True, cycle_days=30),)
    late = (month(dt.date(2026, 12, 1), 0, 10_000, True),)

    assert only(FAMINE_AHEAD, advise(facts(flow=later), Thresholds(famine_months=1))).severity == MEDIUM
    assert (
        "should have been found by Oct. 2, 2026: prospect now"
        in advise(facts(flow=late), DEFAULTS)[0].message
    )
    assert advise(facts(flow=(month(dt.date(2026, 12, 1), 0, None, False),)), DEFAULTS) == []


# --- order and language -------------------------------------------------------------------------------------


def test_items_come_by_severity_then_value_at_stake_then_code() -> None:
    # given: two high (one with more at stake), two medium of equal value (ordered by code), one low
    state = facts(
        no_decision_maker=deals(1000),
        big_at_risk=deals(50_000),
        median_open_value=Decimal(1000),
        no_next_step=deals(3000),
        rotting=deals(3000),
        stalled=deals(90_000),
    )

    # when
    found = advise(state, DEFAULTS)

    # then
    assert codes(found) == [
        BIG_DEAL_AT_RISK,
        CONFIRM_DECISION_MAKER,
        NO_NEXT_STEP,
        ROTTING_DEAL,
        OFFER_TRIAL_OR_DEMO,
    ]
    assert found == sorted(found, key=advice_order)
    assert [item.evidence["value_at_stake"] for item in found] == [
        "50000.00",
        "1000.00",
        "3000.00",
        "3000.00",
        "90000.00",
    ]


def test_codes_are_stable() -> None:
    assert CODES == (
        "more_cold_calls",
        "more_research_and_presentations",
        "closing_skills",
        "confirm_decision_maker",
        "probe_budget_and_timeline",
        "no_next_step",
        "rotting_deal",
        "answer_info_request",
        "offer_trial_or_demo",
        "famine_ahead",
        "big_deal_at_risk",
        "weak_step",
    )


def test_messages_format_money_and_months_the_way_the_language_does() -> None:
    state = facts(no_next_step=deals(12_500), flow=(month(dt.date(2026, 12, 1), 0, 10_000, True),))

    with translation.override("el"):
        found = advise(state, DEFAULTS)

    assert "(€12.500)" in only(NO_NEXT_STEP, found).message
    assert "Δεκέμβριος 2026" in only(FAMINE_AHEAD, found).message
