"""The forecast's arithmetic, without a database: win probabilities, expected value, the three numbers
(won, expected, gap) and the famine months ahead."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salespipe.analytics.forecast import (
    EMPIRICAL,
    OVERRIDE,
    PROBABILITY_SOURCES,
    STAGE_DEFAULT,
    FlowMonth,
    MonthOutlook,
    OpenDeals,
    StageHistory,
    expected_value,
    flow_ahead,
    stage_probability,
    three_numbers,
    win_probability,
)

MIN_CLOSED = 30
CENT = Decimal("0.01")


# --- win probability ----------------------------------------------------------------------------------------


def test_a_stage_with_one_closed_deal_too_few_uses_its_default_probability() -> None:
    # given 29 closed deals, 12 of them won
    stage = StageHistory(default_probability=20, won_deals=12, lost_deals=17)

    # then
    assert stage_probability(stage, min_closed_deals=MIN_CLOSED) == (Decimal("0.2"), STAGE_DEFAULT)


def test_a_stage_with_exactly_enough_closed_deals_uses_its_won_share() -> None:
    # given 30 closed deals, 12 of them won
    stage = StageHistory(default_probability=20, won_deals=12, lost_deals=18)

    # then
    assert stage_probability(stage, min_closed_deals=MIN_CLOSED) == (Decimal("0.4"), EMPIRICAL)


def test_a_stage_with_no_closed_deals_uses_its_default_even_when_no_minimum_is_asked() -> None:
    stage = StageHistory(default_probability=40)
    assert stage_probability(stage, min_closed_deals=0) == (Decimal("0.4"), STAGE_DEFAULT)


def test_a_stage_whose_closed_deals_were_all_lost_is_empirically_hopeless() -> None:
    stage = StageHistory(default_probability=60, won_deals=0, lost_deals=30)
    assert stage_probability(stage, min_closed_deals=MIN_CLOSED) == (Decimal(0), EMPIRICAL)


@pytest.mark.parametrize("override", [0, 55, 100])
def test_a_manual_override_wins_over_history_and_default(override: int) -> None:
    # given a stage with plenty of history
    stage = StageHistory(default_probability=20, won_deals=12, lost_deals=18)

    # then the override is used as it is, zero included
    assert win_probability(override=override, stage=stage, min_closed_deals=MIN_CLOSED) == (
        Decimal(override) / 100,
        OVERRIDE,
    )


def test_without_an_override_the_stage_decides() -> None:
    stage = StageHistory(default_probability=20, won_deals=12, lost_deals=18)
    assert win_probability(override=None, stage=stage, min_closed_deals=MIN_CLOSED) == (
        Decimal("0.4"),
        EMPIRICAL,
    )


# --- expected value -----------------------------------------------------------------------------------------

STAGES = {
    1: StageHistory(default_probability=20),  # too little history: 20 %
    2: StageHistory(default_probability=10, won_deals=12, lost_deals=18),  # 40 % from history
}


def test_expected_value_weights_each_group_by_its_probability_and_says_where_each_part_came_from() -> None:
    # given
    groups = [
        OpenDeals(stage_id=1, override=None, deals=2, value=Decimal("2000.00")),
        OpenDeals(stage_id=2, override=None, deals=3, value=Decimal("5000.00")),
        OpenDeals(stage_id=2, override=50, deals=1, value=Decimal("10000.00")),
    ]

    # when
    expected = expected_value(groups, stages=STAGES, min_closed_deals=MIN_CLOSED)

    # then
    assert expected.total == Decimal("7400.00")
    assert expected.by_source == {
        OVERRIDE: Decimal("5000.00"),
        EMPIRICAL: Decimal("2000.00"),
        STAGE_DEFAULT: Decimal("400.00"),
    }
    assert expected.deals_by_source == {OVERRIDE: 1, EMPIRICAL: 3, STAGE_DEFAULT: 2}


def test_no_open_deals_expect_nothing_from_any_source() -> None:
    expected = expected_value([], stages=STAGES, min_closed_deals=MIN_CLOSED)
    assert expected.total == Decimal("0.00")
    assert set(expected.by_source.values()) == {Decimal("0.00")}
    assert set(expected.by_source) == set(PROBABILITY_SOURCES)


histories = st.builds(
    StageHistory,
    default_probability=st.integers(0, 100),
    won_deals=st.integers(0, 60),
    lost_deals=st.integers(0, 60),
)
random_stages = st.dictionaries(st.integers(1, 6), histories, min_size=1, max_size=6)


@st.composite
def stages_and_groups(draw: st.DrawFn) -> tuple[dict[int, StageHistory], list[OpenDeals]]:
    stages = draw(random_stages)
    groups = draw(
        st.lists(
            st.builds(
                OpenDeals,
                stage_id=st.sampled_from(sorted(stages)),
                override=st.none() | st.integers(0, 100),
                deals=st.integers(1, 50),
                value=st.decimals(min_value=0, max_value=10**9, places=2),
            ),
            max_size=12,
        )
    )
    return stages, groups


@given(case=stages_and_groups(), min_closed=st.integers(0, 60))
def test_expected_is_never_negative_nor_above_the_open_value(
    case: tuple[dict[int, StageHistory], list[OpenDeals]], min_closed: int
) -> None:
    # given
    stages, groups = case

    # when
    expected = expected_value(groups, stages=stages, min_closed_deals=min_closed)

    # then
    assert Decimal(0) <= expected.total <= sum((group.value for group in groups), Decimal(0))


@given(case=stages_and_groups(), min_closed=st.integers(0, 60))
def test_the_parts_by_source_add_up_to_the_total_within_a_cent(
    case: tuple[dict[int, StageHistory], list[OpenDeals]], min_closed: int
) -> None:
    # given
    stages, groups = case

    # when
    expected = expected_value(groups, stages=stages, min_closed_deals=min_closed)

    # then the three parts, each rounded half up to the cent (off by at most half a cent each), differ from
    # the total rounded once (at most half a cent more) by less than two cents; being whole cents, by one
    # cent at most
    assert abs(sum(expected.by_source.values(), Decimal(0)) - expected.total) <= CENT
    # and every deal is counted under exactly one source
    assert sum(expected.deals_by_source.values()) == sum(group.deals for group in groups)


def test_the_parts_by_source_can_be_a_cent_off_the_total() -> None:
    # given one cent at 50 % from each source: three parts of half a cent, each rounding up to a cent,
    # while their sum, 1.5 cents, rounds to 2
    stages = {
        1: StageHistory(default_probability=50),
        2: StageHistory(default_probability=0, won_deals=1, lost_deals=1),
    }
    groups = [
        OpenDeals(stage_id=1, override=None, deals=1, value=CENT),  # stage default
        OpenDeals(stage_id=2, override=None, deals=1, value=CENT),  # empirical
        OpenDeals(stage_id=1, override=50, deals=1, value=CENT),  # override
    ]

    # when
    expected = expected_value(groups, stages=stages, min_closed_deals=2)

    # then
    assert expected.total == Decimal("0.02")
    assert sum(expected.by_source.values(), Decimal(0)) == Decimal("0.03")


# --- the three numbers ------------------------------------------------------------------------------------


def test_the_gap_is_what_the_quota_asks_beyond_won_and_expected() -> None:
    # when
    numbers = three_numbers(
        quota=Decimal(60_000), won=Decimal(30_000), expected=Decimal(7_400), open_value=Decimal(17_000)
    )

    # then
    assert numbers.gap == Decimal("22600.00")
    assert numbers.remaining == Decimal("30000.00")
    assert numbers.attainment == Decimal("0.5000")
    assert numbers.coverage == Decimal("0.5667")  # 17 000 ÷ 30 000


def test_a_quota_beaten_by_won_and_expected_leaves_no_gap() -> None:
    numbers = three_numbers(
        quota=Decimal(35_000), won=Decimal(30_000), expected=Decimal(7_400), open_value=Decimal(17_000)
    )
    assert numbers.gap == Decimal("0.00")
    assert numbers.coverage == Decimal("3.4000")


def test_without_a_quota_there_is_no_gap_attainment_or_coverage() -> None:
    numbers = three_numbers(quota=None, won=Decimal(30_000), expected=Decimal(7_400), open_value=Decimal(1))
    assert (numbers.gap, numbers.attainment, numbers.coverage, numbers.remaining) == (None, None, None, None)
    assert (numbers.won, numbers.expected) == (Decimal(30_000), Decimal(7_400))


def test_once_the_quota_is_won_nothing_remains_to_cover() -> None:
    # when more than the quota is won
    numbers = three_numbers(
        quota=Decimal(50_000), won=Decimal(60_000), expected=Decimal(1_000), open_value=Decimal(5_000)
    )

    # then
    assert numbers.remaining == Decimal("0.00")
    assert numbers.coverage is None
    assert numbers.attainment == Decimal("1.2000")
    assert numbers.gap == Decimal("0.00")


def test_a_zero_quota_has_no_attainment() -> None:
    numbers = three_numbers(quota=Decimal(0), won=Decimal(10), expected=Decimal(0), open_value=Decimal(0))
    assert numbers.attainment is None
    assert numbers.coverage is None
    assert numbers.gap == Decimal("0.00")


money_amounts = st.decimals(min_value=0, max_value=10**9, places=2)


@given(quota=money_amounts, won=money_amounts, expected=money_amounts, open_value=money_amounts)
def test_the_gap_is_never_negative_and_is_quota_less_won_less_expected_when_positive(
    quota: Decimal, won: Decimal, expected: Decimal, open_value: Decimal
) -> None:
    # when
    numbers = three_numbers(quota=quota, won=won, expected=expected, open_value=open_value)

    # then
    assert numbers.gap is not None
    assert numbers.gap >= 0
    if quota - won - expected > 0:
        assert numbers.gap == quota - won - expected
    else:
        assert numbers.gap == 0
    assert numbers.remaining == max(Decimal(0), quota - won)
    assert (numbers.coverage is None) == (quota - won <= 0)


# --- the flow ahead ---------------------------------------------------------------------------------------

DECEMBER = dt.date(2026, 12, 1)


def flow_of(won: str, expected: str, quota: str | None, *, cycle_days: int = 45) -> FlowMonth:
    return flow_ahead(
        [
            MonthOutlook(
                month=DECEMBER,
                won=Decimal(won),
                expected=Decimal(expected),
                quota=None if quota is None else Decimal(quota),
            )
        ],
        famine_threshold_percent=60,
        cycle_days=cycle_days,
    )[0]


def test_a_month_at_exactly_the_threshold_share_of_its_quota_is_no_famine() -> None:
    month = flow_of("200.00", "400.00", "1000.00")
    assert month.share == Decimal("0.6000")
    assert month.famine is False


def test_a_month_one_cent_below_the_threshold_share_is_a_famine() -> None:
    month = flow_of("200.00", "399.99", "1000.00")
    assert month.famine is True
    # the share shown rounds to the threshold, the famine is decided on the exact amounts
    assert month.share == Decimal("0.6000")


def test_a_month_without_a_quota_has_no_share_and_no_famine() -> None:
    month = flow_of("0.00", "0.00", None)
    assert month.share is None
    assert month.famine is False


def test_prospecting_for_a_month_must_happen_a_sales_cycle_before_it_starts() -> None:
    assert flow_of("0", "0", "1000", cycle_days=45).prospect_by == dt.date(2026, 10, 17)
    assert flow_of("0", "0", "1000", cycle_days=0).prospect_by == DECEMBER


def test_the_flow_keeps_the_months_in_order_with_their_amounts() -> None:
    # given
    months = [
        MonthOutlook(dt.date(2026, 11, 1), Decimal(500), Decimal(100), Decimal(1000)),
        MonthOutlook(dt.date(2026, 12, 1), Decimal(0), Decimal(900), Decimal(1000)),
    ]

    # when
    flow = flow_ahead(months, famine_threshold_percent=60, cycle_days=30)

    # then
    assert [(month.month, month.won, month.expected, month.famine) for month in flow] == [
        (dt.date(2026, 11, 1), Decimal(500), Decimal(100), False),
        (dt.date(2026, 12, 1), Decimal(0), Decimal(900), False),
    ]
