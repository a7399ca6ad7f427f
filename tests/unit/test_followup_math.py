"""The follow-up reports' arithmetic, without a database: percentiles, rates, the with/without
comparison, the budget basis fallback and the close-date rules."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salespipe.analytics.followups import (
    MIN_GROUP_DEALS,
    BudgetSuggestion,
    ClosedDeals,
    FreemiumComparison,
    ResponseTimes,
    budget_suggestion,
    close_date_from_decision,
    close_date_from_stage,
    median,
    money_percentile,
    percentile,
    share,
    win_rate,
)
from salespipe.analytics.probing import FACTS, QUESTIONS, missing_facts, probing_topics

TODAY = dt.date(2026, 11, 27)
numbers = st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=50)
amounts = st.lists(
    st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=50,
)


# --- percentiles ----------------------------------------------------------------------------------------


def test_the_median_of_an_odd_count_is_the_middle_value_and_of_an_even_count_the_mean_of_the_two() -> None:
    assert median([240, 30, 90]) == 90
    assert median([10, 30, 50, 90, 240, 5]) == 40


def test_percentiles_interpolate_between_neighbours_as_postgresql_does() -> None:
    # percentile_cont(0.25) over 1000, 2000, 4000: position 0.5 between 1000 and 2000
    assert percentile([1000, 2000, 4000], 0.25) == 1500
    assert percentile([10, 20, 30, 40, 50], 0.75) == 40
    assert percentile([7], 0.9) == 7


def test_no_values_have_no_percentile() -> None:
    assert median([]) is None
    assert money_percentile([], 0.5) is None


@pytest.mark.parametrize("fraction", [-0.1, 1.5])
def test_a_fraction_outside_0_to_1_is_a_programming_error(fraction: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        percentile([1.0], fraction)


@given(numbers)
def test_the_median_agrees_with_the_standard_library(values: list[float]) -> None:
    assert median(values) == pytest.approx(statistics.median(values), rel=1e-9, abs=1e-6)


@given(numbers, st.floats(min_value=0, max_value=1), st.floats(min_value=0, max_value=1))
def test_a_percentile_lies_within_the_values_and_grows_with_the_fraction(
    values: list[float], low: float, high: float
) -> None:
    low, high = sorted((low, high))
    lower, upper = percentile(values, low), percentile(values, high)
    assert lower is not None and upper is not None
    assert min(values) - 1e-6 <= lower <= upper + 1e-6 <= max(values) + 2e-6


@given(amounts, st.sampled_from([0.25, 0.5, 0.75]))
def test_money_percentiles_are_exact_cents_and_match_the_float_version(
    values: list[Decimal], fraction: float
) -> None:
    exact = money_percentile(values, fraction)
    assert exact is not None
    assert exact == exact.quantize(Decimal("0.01"))
    assert float(exact) == pytest.approx(percentile([float(v) for v in values], fraction), abs=0.01)


# --- rates ----------------------------------------------------------------------------------------------


def test_a_share_of_nothing_is_unknown_not_zero() -> None:
    assert share(0, 0) is None
    assert share(2, 3) == pytest.approx(2 / 3)
    assert win_rate(3, 2) == pytest.approx(0.6)
    assert win_rate(0, 0) is None


def test_response_times_say_the_share_answered_on_time() -> None:
    assert ResponseTimes(answered=4, on_time=3).on_time_share == 0.75
    assert ResponseTimes(open=2, overdue=1).on_time_share is None


def test_a_group_under_the_minimum_is_too_small_to_compare() -> None:
    small = ClosedDeals(won=MIN_GROUP_DEALS - 1, lost=0)
    enough = ClosedDeals(won=MIN_GROUP_DEALS - 5, lost=5)
    assert small.too_small
    assert not enough.too_small
    assert not FreemiumComparison(small, enough).conclusive
    assert FreemiumComparison(enough, enough).conclusive


def test_the_comparison_gives_the_difference_in_win_rate_and_cycle() -> None:
    # given
    comparison = FreemiumComparison(
        with_activity=ClosedDeals(won=6, lost=4, median_cycle_days=30.0),
        without_activity=ClosedDeals(won=3, lost=7, median_cycle_days=45.0),
    )

    # then
    assert comparison.win_rate_difference == pytest.approx(0.3)
    assert comparison.cycle_difference_days == -15.0


def test_without_deals_on_one_side_there_is_no_difference() -> None:
    comparison = FreemiumComparison(ClosedDeals(won=2), ClosedDeals())
    assert comparison.win_rate_difference is None
    assert comparison.cycle_difference_days is None


@given(st.integers(0, 500), st.integers(0, 500))
def test_a_win_rate_is_between_0_and_1(won: int, lost: int) -> None:
    rate = ClosedDeals(won=won, lost=lost).win_rate
    assert rate is None if won + lost == 0 else 0 <= rate <= 1


# --- budget ---------------------------------------------------------------------------------------------


def money(*values: int) -> list[Decimal]:
    return [Decimal(value) for value in values]


def test_three_own_purchases_are_enough() -> None:
    assert budget_suggestion({"organization": money(1000, 4000, 2000), "pipeline": money(1, 2, 3, 4, 5)}) == (
        BudgetSuggestion(
            amount=Decimal("2000.00"),
            low=Decimal("1500.00"),
            high=Decimal("3000.00"),
            basis="organization",
            sample_size=3,
        )
    )


def test_other_bases_need_five_and_fall_back_in_order() -> None:
    # given
    four = money(10, 20, 30, 40)
    five = money(10, 20, 30, 40, 50)

    # then
    suggestion = budget_suggestion({"organization": money(1, 2), "industry_size": five, "pipeline": five})
    assert suggestion is not None and suggestion.basis == "industry_size"
    suggestion = budget_suggestion({"organization": money(1, 2), "industry_size": four, "pipeline": five})
    assert suggestion is not None and (suggestion.basis, suggestion.amount) == ("pipeline", Decimal("30.00"))
    assert budget_suggestion({"industry_size": four, "pipeline": four}) is None
    assert budget_suggestion({}) is None


@given(amounts)
def test_a_suggested_budget_lies_within_its_range(values: list[Decimal]) -> None:
    suggestion = budget_suggestion({"pipeline": values})
    if len(values) < 5:
        assert suggestion is None
    else:
        assert suggestion is not None
        assert min(values) <= suggestion.low <= suggestion.amount <= suggestion.high <= max(values)


# --- close date -----------------------------------------------------------------------------------------


def test_a_decision_date_is_moved_by_the_median_lag_rounded_up_to_whole_days() -> None:
    close = close_date_from_decision(dt.date(2027, 1, 15), lag_days=[0, 1, 2.5, 3, 10], today=TODAY)
    assert (close.date, close.basis, close.sample_size, close.typical_days) == (
        dt.date(2027, 1, 18),
        "pipeline",
        5,
        2.5,
    )


def test_deals_won_before_their_decision_date_never_move_the_date_earlier() -> None:
    close = close_date_from_decision(dt.date(2027, 1, 15), lag_days=[-9, -8, -7, -6, -5], today=TODAY)
    assert close.date == dt.date(2027, 1, 15)


def test_without_enough_lags_the_decision_date_itself_is_suggested() -> None:
    close = close_date_from_decision(dt.date(2027, 1, 15), lag_days=[5, 5, 5, 5], today=TODAY)
    assert (close.date, close.basis, close.sample_size) == (dt.date(2027, 1, 15), "default", 0)


def test_a_date_gone_by_becomes_today_and_is_marked_late() -> None:
    close = close_date_from_decision(dt.date(2026, 11, 1), lag_days=[], today=TODAY)
    assert (close.date, close.late) == (TODAY, True)


@pytest.mark.parametrize(("urgency", "days"), [("high", 20), ("medium", 30), ("low", 40), ("", 30)])
def test_urgency_chooses_the_quantile_of_the_remaining_cycle(urgency: str, days: int) -> None:
    close = close_date_from_stage(
        dt.date(2026, 11, 20),
        urgency=urgency,
        owner_days=[10, 20, 30, 40, 50],
        pipeline_days=[1, 1, 1, 1, 1],
        today=TODAY,
    )
    assert close is not None
    assert (close.date, close.basis) == (dt.date(2026, 11, 20) + dt.timedelta(days=days), "owner")
    assert close.inputs == (("urgency", "stage") if urgency else ("stage",))


def test_the_pipeline_stands_in_for_an_owner_with_too_little_history_and_nothing_for_less() -> None:
    close = close_date_from_stage(
        TODAY, urgency="", owner_days=[1, 2], pipeline_days=[5, 6, 7, 8, 9], today=TODAY
    )
    assert close is not None and (close.basis, close.typical_days) == ("pipeline", 7)
    assert (
        close_date_from_stage(TODAY, urgency="high", owner_days=[1], pipeline_days=[1], today=TODAY) is None
    )


@given(
    st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 1, 1)),
    st.lists(st.floats(min_value=-100, max_value=400), min_size=5, max_size=30),
    st.sampled_from(["high", "medium", "low", ""]),
)
def test_a_suggested_close_date_is_never_before_today(
    entered: dt.date, days: list[float], urgency: str
) -> None:
    close = close_date_from_stage(entered, urgency=urgency, owner_days=days, pipeline_days=days, today=TODAY)
    assert close is not None
    reckoned = entered + dt.timedelta(days=math.ceil(close.typical_days))
    assert close.date == max(reckoned, TODAY)
    assert close.late == (reckoned < TODAY)
    assert close.typical_days >= 0


# --- probing --------------------------------------------------------------------------------------------


def test_missing_facts_come_in_the_order_a_rep_finds_them_out() -> None:
    assert missing_facts(
        decision_maker_confirmed=False, budget_known=True, decision_date_known=False, urgency_known=False
    ) == ["decision_maker", "decision_date", "urgency"]
    assert (
        missing_facts(
            decision_maker_confirmed=True, budget_known=True, decision_date_known=True, urgency_known=True
        )
        == []
    )


def test_every_fact_has_questions_including_the_seeds_hints() -> None:
    assert set(QUESTIONS) == set(FACTS)
    topics = {topic.fact: topic for topic in probing_topics(FACTS)}
    assert "What did you spend on this the last time?" in topics["budget"].questions
    assert "Which other projects compete for this budget?" in topics["budget"].questions
    assert (
        "What happens if this is not solved by the end of the quarter?" in topics["decision_date"].questions
    )
    assert all(topic.questions and topic.label for topic in topics.values())
