"""The funnel's arithmetic (analytics/funnel.py): known values, and properties over any counts."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salespipe.analytics import funnel
from salespipe.analytics.funnel import ReasonCount, StageCohort

counts = st.integers(min_value=0, max_value=10_000)
amounts = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def cohorts(draw: st.DrawFn, stage_ids: list[int] | None = None) -> list[StageCohort]:
    ids = stage_ids or draw(st.lists(st.integers(1, 50), min_size=1, max_size=8, unique=True))
    made = []
    for stage_id in ids:
        entered = draw(counts)
        made.append(StageCohort(stage_id, entered, draw(st.integers(0, entered))))
    return made


# --- known values ---------------------------------------------------------------------------------------


def test_conversion_is_the_share_of_the_cohort_that_went_further() -> None:
    assert funnel.conversion(8, 6) == Decimal("0.7500")
    assert funnel.drop_off(8, 6) == Decimal("0.2500")
    assert funnel.conversion(3, 1) == Decimal("0.3333")


def test_an_empty_cohort_has_no_conversion_rather_than_zero() -> None:
    assert funnel.conversion(0, 0) is None
    assert StageCohort(1, 0, 0).drop_off is None


def test_a_cohort_cannot_go_further_than_it_entered() -> None:
    with pytest.raises(ValueError, match="advanced"):
        funnel.conversion(2, 3)


def test_velocity_is_open_deals_times_win_rate_times_average_won_over_cycle_days() -> None:
    # 30 open × (10 ÷ 40) × (50,000 ÷ 10) ÷ 25 days = 1,500 a day
    velocity = funnel.sales_velocity(
        open_deals=30, won=10, lost=30, won_value=Decimal("50000"), cycle_days=Decimal(25)
    )
    assert velocity == Decimal("1500.00")


@pytest.mark.parametrize(
    ("won", "lost", "cycle"),
    [(0, 0, Decimal(20)), (3, 1, None), (3, 1, Decimal(0))],
    ids=["nothing closed", "no cycle", "cycle of zero days"],
)
def test_velocity_is_unknown_without_closed_deals_or_a_cycle(
    won: int, lost: int, cycle: Decimal | None
) -> None:
    assert (
        funnel.sales_velocity(open_deals=5, won=won, lost=lost, won_value=Decimal(900), cycle_days=cycle)
        is None
    )


def test_win_rate_is_won_over_won_and_lost() -> None:
    assert funnel.win_rate(1, 3) == Decimal("0.2500")
    assert funnel.win_rate(0, 0) is None


def test_reach_multiplies_the_conversions_stage_after_stage() -> None:
    steps = [StageCohort(1, 100, 50), StageCohort(2, 40, 20), StageCohort(3, 0, 0), StageCohort(4, 5, 5)]
    assert funnel.reach(steps) == [Decimal("0.5000"), Decimal("0.2500"), None, None]


def test_top_reasons_add_what_is_left_as_one_other_line() -> None:
    top = [ReasonCount("Price", 5, Decimal(500)), ReasonCount("Timing", 3, Decimal(90))]
    lines = funnel.top_reasons(top, total_deals=10, total_value=Decimal(700), limit=2)
    assert lines[-1] == ReasonCount(funnel.OTHER_REASONS, 2, Decimal(110))
    assert lines[-1].is_other


def test_top_reasons_add_no_other_line_when_nothing_is_left() -> None:
    top = [ReasonCount("Price", 5, Decimal(500))]
    assert funnel.top_reasons(top, total_deals=5, total_value=Decimal(500), limit=10) == top


def test_the_rest_of_a_team_is_its_total_without_the_member() -> None:
    team = [[StageCohort(1, 10, 4), StageCohort(2, 4, 1)], [StageCohort(1, 6, 6), StageCohort(2, 6, 2)]]
    total = funnel.cohorts_total(team)
    assert total == [StageCohort(1, 16, 10), StageCohort(2, 10, 3)]
    assert funnel.cohorts_without(total, team[0]) == team[1]


def test_cohorts_of_different_stages_do_not_add_up() -> None:
    with pytest.raises(ValueError, match="different stages"):
        funnel.cohorts_total([[StageCohort(1, 1, 1)], [StageCohort(2, 1, 1)]])


# --- properties -----------------------------------------------------------------------------------------


@given(entered=counts, data=st.data())
def test_conversion_and_drop_off_are_shares_that_add_up_to_one(entered: int, data: st.DataObject) -> None:
    advanced = data.draw(st.integers(0, entered))
    rate, lost = funnel.conversion(entered, advanced), funnel.drop_off(entered, advanced)
    if entered == 0:
        assert rate is None and lost is None
        return
    assert rate is not None and lost is not None
    assert Decimal(0) <= rate <= Decimal(1)
    assert abs(rate + lost - 1) <= Decimal("0.0001")


@given(steps=cohorts())
def test_reach_never_grows_from_one_stage_to_the_next(steps: list[StageCohort]) -> None:
    shares = funnel.reach(steps)
    known = [share for share in shares if share is not None]
    assert all(Decimal(0) <= share <= Decimal(1) for share in known)
    assert all(later <= earlier + Decimal("0.0001") for earlier, later in itertools.pairwise(known))
    # once unknown, unknown for good
    first_unknown = next((index for index, share in enumerate(shares) if share is None), len(shares))
    assert all(share is None for share in shares[first_unknown:])


@given(won=counts, lost=counts)
def test_win_rate_is_between_zero_and_one(won: int, lost: int) -> None:
    rate = funnel.win_rate(won, lost)
    assert rate is None if won + lost == 0 else Decimal(0) <= rate <= Decimal(1)  # type: ignore[operator]


@given(
    open_deals=counts,
    more=st.integers(1, 1000),
    won=st.integers(1, 1000),
    lost=counts,
    won_value=amounts,
    cycle=st.integers(1, 1000),
)
def test_velocity_is_never_negative_and_grows_with_the_open_deals(
    open_deals: int, more: int, won: int, lost: int, won_value: Decimal, cycle: int
) -> None:
    def velocity(deals: int) -> Decimal:
        found = funnel.sales_velocity(
            open_deals=deals, won=won, lost=lost, won_value=won_value, cycle_days=Decimal(cycle)
        )
        assert found is not None
        return found

    assert velocity(open_deals) >= 0
    assert velocity(open_deals + more) >= velocity(open_deals)


@given(
    open_deals=st.integers(1, 1000),
    won=st.integers(1, 1000),
    lost=counts,
    won_value=amounts,
    cycle=st.integers(1, 1000),
)
def test_velocity_matches_its_definition_from_the_rounded_parts(
    open_deals: int, won: int, lost: int, won_value: Decimal, cycle: int
) -> None:
    # given: the formula as PRODUCT.md writes it, on exact fractions
    rate = Decimal(won) / Decimal(won + lost)
    average = won_value / won
    expected = Decimal(open_deals) * rate * average / cycle

    # when
    velocity = funnel.sales_velocity(
        open_deals=open_deals, won=won, lost=lost, won_value=won_value, cycle_days=Decimal(cycle)
    )

    # then
    assert velocity is not None
    assert abs(velocity - expected) <= Decimal("0.005") + expected * Decimal("1e-20")


@given(
    counted=st.lists(st.tuples(counts, amounts), max_size=15),
    extra=st.tuples(counts, amounts),
    limit=st.integers(1, 12),
)
def test_top_reasons_always_add_up_to_the_totals(
    counted: list[tuple[int, Decimal]], extra: tuple[int, Decimal], limit: int
) -> None:
    # given: reasons most frequent first, and deals lost for reasons not in the list
    lines = sorted(
        (ReasonCount(f"reason {n}", deals, value) for n, (deals, value) in enumerate(counted)),
        key=lambda line: -line.deals,
    )
    total_deals = sum(line.deals for line in lines) + extra[0]
    total_value = sum((line.value for line in lines), Decimal(0)) + extra[1]

    # when
    shown = funnel.top_reasons(lines, total_deals=total_deals, total_value=total_value, limit=limit)

    # then
    assert sum(line.deals for line in shown) == total_deals
    if any(line.is_other for line in shown):
        assert sum((line.value for line in shown), Decimal(0)) == total_value
    assert len([line for line in shown if not line.is_other]) <= limit
    assert sum(1 for line in shown if line.is_other) <= 1


@given(data=st.data(), members=st.integers(1, 6))
def test_a_team_total_less_any_member_is_the_rest_of_the_team(data: st.DataObject, members: int) -> None:
    # given
    ids = data.draw(st.lists(st.integers(1, 50), min_size=1, max_size=6, unique=True))
    people = [data.draw(cohorts(ids)) for _ in range(members)]
    total = funnel.cohorts_total(people)

    # when
    rest = funnel.cohorts_without(total, people[0])

    # then
    assert funnel.cohorts_total([rest, people[0]]) == total
    assert rest == (funnel.cohorts_total(people[1:]) or [StageCohort(i, 0, 0) for i in ids])
