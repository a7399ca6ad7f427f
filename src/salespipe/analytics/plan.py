"""The reverse-funnel plan: turn the gap into new deals, appointments and calls, and say by when.

Pure functions over plain values. From a track record (the owner's trailing twelve months, else their
team's, else the company's, else fixed defaults — the first with enough closed deals):

    wins_needed         = ⌈gap ÷ average won value⌉
    deals_needed        = ⌈wins_needed ÷ win rate⌉                      new deals to open
    appointments_needed = min(deals_needed, ⌈wins_needed ÷ appointment win rate⌉)
    calls_needed        = ⌈appointments_needed × calls per appointment⌉
    start_by            = last day of the period − sales-cycle length

A deal opened after `start_by` cannot be expected to close inside the period, so when that day has passed
the gap is no longer closable from scratch (`closable` is false) and the plan says so.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

RATIO = Decimal("0.0001")
CENT = Decimal("0.01")

OWN, TEAM, COMPANY, DEFAULTS = "own", "team", "company", "defaults"
# A track record with fewer closed deals than this (or no win) says too little to plan from.
MIN_CLOSED_DEALS = 10


@dataclass(frozen=True)
class TrackRecord:
    """Trailing-twelve-month history of a rep, a team or the company."""

    won_deals: int
    lost_deals: int
    won_value: Decimal  # Σ base value of the won deals
    cycle_days: float | None  # median days from creation to won
    appointment_won: int = 0  # closed deals that reached the appointment stage, won
    appointment_lost: int = 0  # … and lost
    appointments: int = 0  # deals that entered the appointment stage
    calls: int = 0  # calls made (completed)

    @property
    def closed_deals(self) -> int:
        return self.won_deals + self.lost_deals

    @property
    def sufficient(self) -> bool:
        return self.won_deals > 0 and self.closed_deals >= MIN_CLOSED_DEALS


@dataclass(frozen=True)
class PlanDefaults:
    """What to assume when no track record is long enough (settings can change them)."""

    win_rate: Decimal = Decimal("0.20")
    appointment_win_rate: Decimal = Decimal("0.35")
    cycle_days: int = 60
    calls_per_appointment: Decimal = Decimal(8)
    avg_won_value: Decimal | None = None  # unknown: wins cannot be counted from money


@dataclass(frozen=True)
class Rates:
    basis: str
    win_rate: Decimal
    avg_won_value: Decimal | None
    cycle_days: int
    appointment_win_rate: Decimal
    calls_per_appointment: Decimal


def rates_from(records: Iterable[tuple[str, TrackRecord]], defaults: PlanDefaults) -> Rates:
    """The rates of the first sufficient track record, in the order given, else the defaults.

    Within a chosen record, a rate it cannot tell (no appointments logged, say) falls back to the default
    on its own, so one missing habit does not discard the rest of the record.
    """
    for basis, record in records:
        if not record.sufficient:
            continue
        appointment_closed = record.appointment_won + record.appointment_lost
        return Rates(
            basis=basis,
            win_rate=_round(Decimal(record.won_deals) / Decimal(record.closed_deals)),
            avg_won_value=(record.won_value / record.won_deals).quantize(CENT, rounding=ROUND_HALF_UP),
            cycle_days=round(record.cycle_days) if record.cycle_days is not None else defaults.cycle_days,
            appointment_win_rate=(
                _round(Decimal(record.appointment_won) / Decimal(appointment_closed))
                if record.appointment_won > 0
                else defaults.appointment_win_rate
            ),
            calls_per_appointment=(
                _round(Decimal(record.calls) / Decimal(record.appointments))
                if record.appointments > 0 and record.calls > 0
                else defaults.calls_per_appointment
            ),
        )
    return Rates(
        basis=DEFAULTS,
        win_rate=defaults.win_rate,
        avg_won_value=defaults.avg_won_value,
        cycle_days=defaults.cycle_days,
        appointment_win_rate=defaults.appointment_win_rate,
        calls_per_appointment=defaults.calls_per_appointment,
    )


def plan_rates(records: Sequence[tuple[str, TrackRecord]]) -> Rates:
    """The rates of the first sufficient record (`rates_from`), on the default assumptions otherwise, where
    too little history for rates still tells what a won deal is worth: the closest record that won any."""
    known = next((record.won_value / record.won_deals for _, record in records if record.won_deals), None)
    known_value = None if known is None else known.quantize(CENT, rounding=ROUND_HALF_UP)
    return rates_from(records, PlanDefaults(avg_won_value=known_value))


@dataclass(frozen=True)
class WeekTarget:
    week_starts_on: dt.date  # a Monday
    deals: int
    appointments: int
    calls: int


@dataclass(frozen=True)
class Plan:
    rates: Rates
    wins_needed: int | None  # None when the average won value is unknown
    deals_needed: int | None
    appointments_needed: int | None
    calls_needed: int | None
    start_by: dt.date
    closable: bool
    weeks: list[WeekTarget]


def spread(total: int, parts: int) -> list[int]:
    """`total` split into `parts` whole numbers that differ by at most one, the larger ones first
    (work started earlier has more time to turn into sales)."""
    if parts <= 0:
        return []
    share, extra = divmod(total, parts)
    return [share + 1 if index < extra else share for index in range(parts)]


def reverse_funnel(*, gap: Decimal, rates: Rates, period_ends_on: dt.date, today: dt.date) -> Plan:
    start_by = period_ends_on - dt.timedelta(days=rates.cycle_days)
    if gap <= 0:
        return Plan(rates, 0, 0, 0, 0, start_by, True, [])
    if rates.avg_won_value is None or rates.avg_won_value <= 0:
        return Plan(rates, None, None, None, None, start_by, start_by >= today, [])
    wins = math.ceil(gap / rates.avg_won_value)
    deals = math.ceil(wins / max(rates.win_rate, RATIO))
    appointments = min(deals, math.ceil(wins / max(rates.appointment_win_rate, RATIO)))
    calls = math.ceil(appointments * rates.calls_per_appointment)
    closable = start_by >= today
    # The work is spread over the weeks left before it must have started; when that day has passed, over
    # what is left of the period, so the rep still sees what catching up would take.
    last_day = start_by if closable else period_ends_on
    monday = today - dt.timedelta(days=today.weekday())
    week_count = max(1, (last_day - monday).days // 7 + 1) if last_day >= today else 0
    mondays = [monday + dt.timedelta(weeks=index) for index in range(week_count)]
    weeks = [
        WeekTarget(week, week_deals, week_appointments, week_calls)
        for week, week_deals, week_appointments, week_calls in zip(
            mondays,
            spread(deals, week_count),
            spread(appointments, week_count),
            spread(calls, week_count),
            strict=True,
        )
    ]
    return Plan(rates, wins, deals, appointments, calls, start_by, closable, weeks)


def _round(value: Decimal) -> Decimal:
    return value.quantize(RATIO, rounding=ROUND_HALF_UP)
