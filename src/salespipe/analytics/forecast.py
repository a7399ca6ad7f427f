"""The three numbers (won, expected, gap), win probabilities and the flow of sales over the coming months.

Pure functions over plain values: the selectors add up deals in SQL and hand the sums over. Definitions
(PRODUCT.md, "Formulas"):

- win probability of an open deal: its manual override, else the empirical stage-to-won rate once enough
  closed deals have passed through its stage, else the stage's default;
- expected = Σ value × win probability over open deals expected to close in the period;
- gap = max(0, quota − won − expected): what must still be built from scratch;
- attainment = won ÷ quota; coverage = open value closing in the period ÷ (quota − won).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")

OVERRIDE, EMPIRICAL, STAGE_DEFAULT = "override", "empirical", "stage_default"
PROBABILITY_SOURCES = (OVERRIDE, EMPIRICAL, STAGE_DEFAULT)


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """numerator ÷ denominator to four places, or None when the denominator is not positive."""
    if denominator <= 0:
        return None
    return (numerator / denominator).quantize(RATIO, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class StageHistory:
    """What closed history says about one stage."""

    default_probability: int  # percent
    won_deals: int = 0  # closed deals that passed through the stage and were won
    lost_deals: int = 0


def stage_probability(stage: StageHistory, *, min_closed_deals: int) -> tuple[Decimal, str]:
    """Win probability (0–1) of a deal in this stage without an override, and where it came from."""
    closed = stage.won_deals + stage.lost_deals
    if closed >= min_closed_deals and closed > 0:
        return Decimal(stage.won_deals) / Decimal(closed), EMPIRICAL
    return Decimal(stage.default_probability) / HUNDRED, STAGE_DEFAULT


def win_probability(
    *, override: int | None, stage: StageHistory, min_closed_deals: int
) -> tuple[Decimal, str]:
    """Win probability (0–1) of an open deal, and its source: override, empirical or stage_default."""
    if override is not None:
        return Decimal(override) / HUNDRED, OVERRIDE
    return stage_probability(stage, min_closed_deals=min_closed_deals)


@dataclass(frozen=True)
class OpenDeals:
    """Open deals of one stage with one probability override (None: no override), added up."""

    stage_id: int
    override: int | None
    deals: int
    value: Decimal  # in the base currency


@dataclass(frozen=True)
class Expected:
    total: Decimal
    by_source: Mapping[str, Decimal] = field(default_factory=dict)
    deals_by_source: Mapping[str, int] = field(default_factory=dict)


def expected_value(
    groups: Iterable[OpenDeals], *, stages: Mapping[int, StageHistory], min_closed_deals: int
) -> Expected:
    """Σ value × win probability over the groups, rounded once at the end, with the part from each source."""
    by_source = dict.fromkeys(PROBABILITY_SOURCES, Decimal(0))
    deals_by_source = dict.fromkeys(PROBABILITY_SOURCES, 0)
    for group in groups:
        probability, source = win_probability(
            override=group.override, stage=stages[group.stage_id], min_closed_deals=min_closed_deals
        )
        by_source[source] += group.value * probability
        deals_by_source[source] += group.deals
    return Expected(
        total=money(sum(by_source.values(), Decimal(0))),
        by_source={source: money(amount) for source, amount in by_source.items()},
        deals_by_source=deals_by_source,
    )


@dataclass(frozen=True)
class ThreeNumbers:
    quota: Decimal | None
    won: Decimal
    expected: Decimal
    gap: Decimal | None  # None without a quota: there is nothing to fall short of
    attainment: Decimal | None  # won ÷ quota
    coverage: Decimal | None  # open value in the period ÷ what is left of the quota
    remaining: Decimal | None  # quota − won, never below zero


def three_numbers(
    *, quota: Decimal | None, won: Decimal, expected: Decimal, open_value: Decimal
) -> ThreeNumbers:
    if quota is None:
        return ThreeNumbers(None, won, expected, None, None, None, None)
    remaining = max(ZERO, money(quota - won))
    return ThreeNumbers(
        quota=quota,
        won=won,
        expected=expected,
        gap=max(ZERO, money(quota - won - expected)),
        attainment=ratio(won, quota),
        coverage=ratio(open_value, remaining),
        remaining=remaining,
    )


@dataclass(frozen=True)
class MonthOutlook:
    month: dt.date  # first day of the month
    won: Decimal  # already won in the month (only the current month has any)
    expected: Decimal
    quota: Decimal | None  # the month's share of the quota


@dataclass(frozen=True)
class FlowMonth:
    month: dt.date
    won: Decimal
    expected: Decimal
    quota: Decimal | None
    share: Decimal | None  # (won + expected) ÷ quota
    famine: bool
    prospect_by: dt.date  # when prospecting must happen for deals to close in this month


def flow_ahead(
    months: Sequence[MonthOutlook], *, famine_threshold_percent: int, cycle_days: int
) -> list[FlowMonth]:
    """Each month's outlook against its quota. A month below the threshold share of its quota is a
    *famine* month; deals to fill it must be found a sales cycle before it starts."""
    threshold = Decimal(famine_threshold_percent) / HUNDRED
    flow = []
    for month in months:
        outlook = month.won + month.expected
        share = ratio(outlook, month.quota) if month.quota is not None else None
        flow.append(
            FlowMonth(
                month=month.month,
                won=month.won,
                expected=month.expected,
                quota=month.quota,
                share=share,
                famine=share is not None and outlook < month.quota * threshold,  # type: ignore[operator]
                prospect_by=month.month - dt.timedelta(days=cycle_days),
            )
        )
    return flow
