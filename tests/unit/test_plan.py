"""The reverse-funnel plan, without a database: from the gap to wins, new deals, appointments and calls,
the day work must start by, and the weekly targets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salespipe.analytics.plan import (
    COMPANY,
    DEFAULTS,
    MIN_CLOSED_DEALS,
    OWN,
    TEAM,
    PlanDefaults,
    Rates,
    TrackRecord,
    WeekTarget,
    plan_rates,
    rates_from,
    reverse_funnel,
    spread,
)

PERIOD_END = dt.date(2026, 12, 31)
MONDAY = dt.date(2026, 10, 5)

# 40 closed deals, 10 won for 200 000; a 45-day cycle; 8 of the 20 closed deals that had an appointment won;
# 250 calls for 25 appointments.
RECORD = TrackRecord(
    won_deals=10,
    lost_deals=30,
    won_value=Decimal(200_000),
    cycle_days=45.4,
    appointment_won=8,
    appointment_lost=12,
    appointments=25,
    calls=250,
)
TOO_SHORT = TrackRecord(won_deals=3, lost_deals=MIN_CLOSED_DEALS - 4, won_value=Decimal(9_000), cycle_days=20)
NO_WIN = TrackRecord(won_deals=0, lost_deals=50, won_value=Decimal(0), cycle_days=None)


def rates(**changes: object) -> Rates:
    fields: dict[str, object] = {
        "basis": OWN,
        "win_rate": Decimal("0.25"),
        "avg_won_value": Decimal("20000.00"),
        "cycle_days": 45,
        "appointment_win_rate": Decimal("0.4"),
        "calls_per_appointment": Decimal(10),
    }
    fields.update(changes)
    return Rates(**fields)  # type: ignore[arg-type]


# --- the rates --------------------------------------------------------------------------------------------


def test_rates_come_from_the_track_record() -> None:
    assert rates_from([(OWN, RECORD)], PlanDefaults()) == Rates(
        basis=OWN,
        win_rate=Decimal("0.2500"),
        avg_won_value=Decimal("20000.00"),
        cycle_days=45,
        appointment_win_rate=Decimal("0.4000"),
        calls_per_appointment=Decimal("10.0000"),
    )


def test_the_first_sufficient_record_is_used_in_the_order_given() -> None:
    # given an own record too short, a team record without a win, and a sufficient company record
    records = [(OWN, TOO_SHORT), (TEAM, NO_WIN), (COMPANY, RECORD)]

    # then the company's is used
    assert rates_from(records, PlanDefaults()).basis == COMPANY

    # and a sufficient own record comes before the others
    assert rates_from([(OWN, RECORD), (TEAM, RECORD)], PlanDefaults()).basis == OWN
    assert rates_from([(OWN, TOO_SHORT), (TEAM, RECORD), (COMPANY, RECORD)], PlanDefaults()).basis == TEAM


def test_exactly_the_minimum_of_closed_deals_with_a_win_is_sufficient() -> None:
    enough = TrackRecord(
        won_deals=1, lost_deals=MIN_CLOSED_DEALS - 1, won_value=Decimal(5_000), cycle_days=30
    )
    one_short = TrackRecord(
        won_deals=1, lost_deals=MIN_CLOSED_DEALS - 2, won_value=Decimal(5_000), cycle_days=30
    )
    assert enough.sufficient
    assert not one_short.sufficient
    assert not NO_WIN.sufficient


def test_without_a_sufficient_record_the_defaults_are_used() -> None:
    # given
    defaults = PlanDefaults()

    # when
    chosen = rates_from([(OWN, TOO_SHORT), (TEAM, NO_WIN), (COMPANY, TOO_SHORT)], defaults)

    # then
    assert chosen == Rates(
        basis=DEFAULTS,
        win_rate=defaults.win_rate,
        avg_won_value=None,
        cycle_days=defaults.cycle_days,
        appointment_win_rate=defaults.appointment_win_rate,
        calls_per_appointment=defaults.calls_per_appointment,
    )
    assert rates_from([], defaults).basis == DEFAULTS


def test_a_rate_the_record_cannot_tell_falls_back_to_its_default_alone() -> None:
    # given a sufficient record with no cycle, no appointment won and no calls logged
    record = TrackRecord(won_deals=5, lost_deals=15, won_value=Decimal(50_000), cycle_days=None)

    # when
    chosen = rates_from([(OWN, record)], PlanDefaults())

    # then the record's own rates stay, the missing ones are the defaults
    assert (chosen.basis, chosen.win_rate, chosen.avg_won_value) == (
        OWN,
        Decimal("0.25"),
        Decimal("10000.00"),
    )
    defaults = PlanDefaults()
    assert chosen.cycle_days == defaults.cycle_days
    assert chosen.appointment_win_rate == defaults.appointment_win_rate
    assert chosen.calls_per_appointment == defaults.calls_per_appointment


# --- the plan -----------------------------------------------------------------------------------------------


def test_a_worked_plan_from_gap_to_calls_and_weeks() -> None:
    # given a gap of 100 000 on Monday 5 October, the quarter ending on 31 December
    chosen = rates_from([(OWN, RECORD)], PlanDefaults())

    # when
    plan = reverse_funnel(gap=Decimal(100_000), rates=chosen, period_ends_on=PERIOD_END, today=MONDAY)

    # then 100 000 ÷ 20 000 = 5 wins; 5 ÷ 25 % = 20 deals; ⌈5 ÷ 40 %⌉ = 13 appointments; 13 × 10 = 130 calls
    assert (plan.wins_needed, plan.deals_needed, plan.appointments_needed, plan.calls_needed) == (
        5,
        20,
        13,
        130,
    )
    # and the work must start 45 days before the quarter ends
    assert plan.start_by == dt.date(2026, 11, 16)
    assert plan.closable is True
    # spread over the seven weeks from 5 October to the week of 16 November, the earlier weeks heavier
    assert plan.weeks == [
        WeekTarget(dt.date(2026, 10, 5), 3, 2, 19),
        WeekTarget(dt.date(2026, 10, 12), 3, 2, 19),
        WeekTarget(dt.date(2026, 10, 19), 3, 2, 19),
        WeekTarget(dt.date(2026, 10, 26), 3, 2, 19),
        WeekTarget(dt.date(2026, 11, 2), 3, 2, 18),
        WeekTarget(dt.date(2026, 11, 9), 3, 2, 18),
        WeekTarget(dt.date(2026, 11, 16), 2, 1, 18),
    ]


def test_appointments_never_exceed_the_new_deals() -> None:
    # given appointments that win less often than deals do
    plan = reverse_funnel(
        gap=Decimal(100_000),
        rates=rates(appointment_win_rate=Decimal("0.1")),
        period_ends_on=PERIOD_END,
        today=MONDAY,
    )

    # then one appointment per new deal at most
    assert (plan.deals_needed, plan.appointments_needed, plan.calls_needed) == (20, 20, 200)


def test_a_part_of_a_win_needs_a_whole_win() -> None:
    plan = reverse_funnel(gap=Decimal("20000.01"), rates=rates(), period_ends_on=PERIOD_END, today=MONDAY)
    assert plan.wins_needed == 2


@pytest.mark.parametrize("gap", [Decimal(0), Decimal(-500)])
def test_no_gap_needs_nothing_and_is_closable(gap: Decimal) -> None:
    # given the day to start by long gone
    late = dt.date(2026, 12, 30)

    # when
    plan = reverse_funnel(gap=gap, rates=rates(), period_ends_on=PERIOD_END, today=late)

    # then
    assert (plan.wins_needed, plan.deals_needed, plan.appointments_needed, plan.calls_needed) == (0, 0, 0, 0)
    assert plan.closable is True
    assert plan.weeks == []


def test_after_the_day_to_start_by_the_gap_is_not_closable_and_the_work_spreads_to_the_period_end() -> None:
    # given Thursday 10 December, past the 16 November start-by day
    today = dt.date(2026, 12, 10)

    # when
    plan = reverse_funnel(gap=Decimal(100_000), rates=rates(), period_ends_on=PERIOD_END, today=today)

    # then the plan says it cannot close, and shows the catching up over the weeks left, this one first
    assert plan.start_by == dt.date(2026, 11, 16)
    assert plan.closable is False
    assert [week.week_starts_on for week in plan.weeks] == [
        dt.date(2026, 12, 7),
        dt.date(2026, 12, 14),
        dt.date(2026, 12, 21),
        dt.date(2026, 12, 28),
    ]
    assert [week.deals for week in plan.weeks] == [5, 5, 5, 5]
    assert sum(week.calls for week in plan.weeks) == plan.calls_needed == 130


def test_on_the_day_to_start_by_the_gap_is_still_closable_in_one_week() -> None:
    plan = reverse_funnel(
        gap=Decimal(100_000), rates=rates(), period_ends_on=PERIOD_END, today=dt.date(2026, 11, 16)
    )
    assert plan.closable is True
    assert [(week.week_starts_on, week.deals) for week in plan.weeks] == [(dt.date(2026, 11, 16), 20)]


def test_after_the_period_there_are_no_weeks_left() -> None:
    plan = reverse_funnel(
        gap=Decimal(100_000), rates=rates(), period_ends_on=PERIOD_END, today=dt.date(2027, 1, 4)
    )
    assert plan.closable is False
    assert plan.weeks == []


def test_without_an_average_won_value_the_plan_cannot_count_wins() -> None:
    # when
    plan = reverse_funnel(
        gap=Decimal(100_000),
        rates=rates(basis=DEFAULTS, avg_won_value=None),
        period_ends_on=PERIOD_END,
        today=MONDAY,
    )

    # then it still says by when and whether the gap can close
    assert (plan.wins_needed, plan.deals_needed, plan.appointments_needed, plan.calls_needed) == (
        None,
        None,
        None,
        None,
    )
    assert plan.start_by == dt.date(2026, 11, 16)
    assert plan.closable is True
    assert plan.weeks == []


# --- spreading the work ---------------------------------------------------------------------------------


def test_spreading_puts_the_remainder_in_the_first_parts() -> None:
    assert spread(10, 4) == [3, 3, 2, 2]
    assert spread(2, 4) == [1, 1, 0, 0]
    assert spread(0, 3) == [0, 0, 0]
    assert spread(5, 0) == []


@given(total=st.integers(0, 10_000), parts=st.integers(1, 60))
def test_a_spread_adds_up_differs_by_at_most_one_and_never_grows(total: int, parts: int) -> None:
    # when
    shares = spread(total, parts)

    # then
    assert len(shares) == parts
    assert sum(shares) == total
    assert max(shares) - min(shares) <= 1
    assert shares == sorted(shares, reverse=True)


@given(
    gap=st.decimals(min_value="0.01", max_value=10**8, places=2),
    win_rate=st.decimals(min_value=0, max_value=1, places=4),
    appointment_win_rate=st.decimals(min_value=0, max_value=1, places=4),
    avg_won_value=st.decimals(min_value=1, max_value=10**6, places=2),
    calls_per_appointment=st.decimals(min_value=0, max_value=50, places=4),
    cycle_days=st.integers(0, 400),
    today=st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2027, 3, 1)),
)
def test_the_weekly_targets_add_up_to_the_totals(
    gap: Decimal,
    win_rate: Decimal,
    appointment_win_rate: Decimal,
    avg_won_value: Decimal,
    calls_per_appointment: Decimal,
    cycle_days: int,
    today: dt.date,
) -> None:
    # given
    chosen = rates(
        win_rate=win_rate,
        appointment_win_rate=appointment_win_rate,
        avg_won_value=avg_won_value,
        calls_per_appointment=calls_per_appointment,
        cycle_days=cycle_days,
    )

    # when
    plan = reverse_funnel(gap=gap, rates=chosen, period_ends_on=PERIOD_END, today=today)

    # then the counts grow down the funnel and every week is a Monday no earlier than this week's
    assert plan.wins_needed is not None and plan.deals_needed is not None
    assert plan.appointments_needed is not None and plan.calls_needed is not None
    assert 1 <= plan.wins_needed <= plan.deals_needed
    assert plan.appointments_needed <= plan.deals_needed
    assert plan.closable == (plan.start_by >= today)
    assert all(week.week_starts_on.weekday() == 0 for week in plan.weeks)
    assert all(week.week_starts_on > today - dt.timedelta(days=7) for week in plan.weeks)
    # and the weeks, when any are left, carry the whole plan
    if today <= PERIOD_END:
        assert plan.weeks
        assert sum(week.deals for week in plan.weeks) == plan.deals_needed
        assert sum(week.appointments for week in plan.weeks) == plan.appointments_needed
        assert sum(week.calls for week in plan.weeks) == plan.calls_needed
    else:
        assert plan.weeks == []


def test_too_little_history_for_rates_still_tells_what_a_won_deal_is_worth_closest_history_first() -> None:
    # given: the rep's own record too short, with 3 wins for 9,000; the team's with none; the company's long
    rates = plan_rates([(OWN, TOO_SHORT), (TEAM, NO_WIN), (COMPANY, RECORD)])
    assert (rates.basis, rates.avg_won_value) == (COMPANY, Decimal("20000.00"))

    # when no record is long enough: the defaults, but a won deal worth the closest wins' average
    rates = plan_rates([(TEAM, NO_WIN), (OWN, TOO_SHORT)])
    assert (rates.basis, rates.avg_won_value) == (DEFAULTS, Decimal("3000.00"))
    assert rates.win_rate == PlanDefaults().win_rate

    # and nothing won anywhere: no worth to plan with
    assert plan_rates([(TEAM, NO_WIN)]).avg_won_value is None
