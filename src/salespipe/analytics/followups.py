"""The arithmetic of the follow-up reports and the deal suggestions: pure functions over plain values.

The selectors in `analytics/selectors.py` count and pick samples in SQL; everything here works on what
they hand over, so each rule is tested without a database (`tests/unit/test_followup_math.py`). The
definitions are written out for people in docs/reports.md.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# A group of fewer closed deals than this says little about a win rate (one deal moves it by 10 points or
# more), so the reports flag it instead of inviting a conclusion.
MIN_GROUP_DEALS = 10

# Budget bases, most telling first, and how many won deals each needs before its median is offered: a
# customer's own past purchases say most, so three of them are enough.
BUDGET_BASES = ("organization", "industry_size", "pipeline")
BUDGET_MIN_SAMPLES: Mapping[str, int] = {"organization": 3, "industry_size": 5, "pipeline": 5}

# Won deals needed before their timing stands for "typical" in a close-date suggestion.
CLOSE_DATE_MIN_SAMPLES = 5
# Where in the spread of remaining cycles a deal of each urgency is expected to land: an urgent deal
# closes as fast as the quicker quarter of the won deals did, a deal in no hurry as the slower quarter.
URGENCY_QUANTILES: Mapping[str, float] = {"high": 0.25, "medium": 0.5, "low": 0.75}

CENT = Decimal("0.01")


# --- order statistics -----------------------------------------------------------------------------------


def percentile(values: Iterable[float], fraction: float) -> float | None:
    """The continuous percentile, as PostgreSQL's `percentile_cont` computes it: sort, then interpolate
    linearly between the two values around position `fraction * (n - 1)`. None for no values."""
    return sorted_percentile(sorted(float(value) for value in values), fraction)


def sorted_percentile(ordered: Sequence[float], fraction: float) -> float | None:
    """`percentile` of values already sorted."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be between 0 and 1, not {fraction}")
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def median(values: Iterable[float]) -> float | None:
    return percentile(values, 0.5)


def money_percentile(values: Iterable[Decimal], fraction: float) -> Decimal | None:
    """`percentile` in exact decimal arithmetic, rounded to cents (money never goes through a float)."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be between 0 and 1, not {fraction}")
    ordered = sorted(values)
    if not ordered:
        return None
    position = Decimal(str(fraction)) * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    value = ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def share(part: int, whole: int) -> float | None:
    """part ÷ whole, or None when there is nothing to divide (never a misleading 0 %)."""
    return part / whole if whole else None


def win_rate(won: int, lost: int) -> float | None:
    """Won ÷ (won + lost), over deals closed in the window (PRODUCT.md, formulas)."""
    return share(won, won + lost)


# --- response times -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseTimes:
    """How one rep (or a team, or everyone in view) answers information requests.

    `answered`, `on_time` and `median_minutes` count requests answered in the window; `open` and
    `overdue` are the requests waiting for an answer now, whenever they came in."""

    answered: int = 0
    on_time: int = 0
    median_minutes: float | None = None
    open: int = 0
    overdue: int = 0

    @property
    def on_time_share(self) -> float | None:
        return share(self.on_time, self.answered)


# --- trials, demos and gifts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosedDeals:
    """Deals closed in the window that share a trait (say, a trial was held): how they ended."""

    won: int = 0
    lost: int = 0
    median_cycle_days: float | None = None

    @property
    def deals(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> float | None:
        return win_rate(self.won, self.lost)

    @property
    def too_small(self) -> bool:
        return self.deals < MIN_GROUP_DEALS


@dataclass(frozen=True)
class FreemiumComparison:
    """Deals with a done trial, demo or gift of one kind against the deals without one."""

    with_activity: ClosedDeals
    without_activity: ClosedDeals

    @property
    def win_rate_difference(self) -> float | None:
        """With minus without, as a fraction (0.12 = 12 points better with it)."""
        with_rate, without_rate = self.with_activity.win_rate, self.without_activity.win_rate
        if with_rate is None or without_rate is None:
            return None
        return with_rate - without_rate

    @property
    def cycle_difference_days(self) -> float | None:
        """With minus without: negative when deals with the activity were won faster."""
        with_days, without_days = (
            self.with_activity.median_cycle_days,
            self.without_activity.median_cycle_days,
        )
        if with_days is None or without_days is None:
            return None
        return with_days - without_days

    @property
    def conclusive(self) -> bool:
        """Both groups are big enough for the difference to mean something."""
        return not (self.with_activity.too_small or self.without_activity.too_small)


# --- budget suggestion ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetSuggestion:
    """The median won value of the first basis with enough won deals, with its middle half as a range."""

    amount: Decimal
    low: Decimal
    high: Decimal
    basis: str
    sample_size: int


def budget_suggestion(samples: Mapping[str, Sequence[Decimal]]) -> BudgetSuggestion | None:
    """From won values per basis (`organization`, `industry_size`, `pipeline`), the first basis in that
    order with at least its minimum of samples; None when none has enough."""
    for basis in BUDGET_BASES:
        values = samples.get(basis, ())
        if len(values) >= BUDGET_MIN_SAMPLES[basis]:
            amount = money_percentile(values, 0.5)
            low = money_percentile(values, 0.25)
            high = money_percentile(values, 0.75)
            assert amount is not None and low is not None and high is not None
            return BudgetSuggestion(amount=amount, low=low, high=high, basis=basis, sample_size=len(values))
    return None


# --- close-date suggestion ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CloseDateSuggestion:
    """A suggested expected close date and how it was reached.

    `inputs` are the deal's facts used (`decision_date`, or `stage` with `urgency` when known); `basis` whose
    history gave the typical number of days (`owner`, `pipeline`, or `default` without enough history);
    `typical_days` that number; `late` says the date so reckoned had passed and today is offered instead."""

    date: dt.date
    inputs: tuple[str, ...]
    basis: str
    sample_size: int
    typical_days: float
    late: bool = False


def _on_or_after_today(date: dt.date, today: dt.date) -> tuple[dt.date, bool]:
    return (date, False) if date >= today else (today, True)


def close_date_from_decision(
    decision_date: dt.date, *, lag_days: Sequence[float], today: dt.date
) -> CloseDateSuggestion:
    """The decision date plus the median days from decision to signature of the pipeline's won deals
    (never less than 0), or plus nothing without enough such deals."""
    typical = median(lag_days) if len(lag_days) >= CLOSE_DATE_MIN_SAMPLES else None
    basis = "pipeline" if typical is not None else "default"
    days = max(0.0, typical or 0.0)
    date, late = _on_or_after_today(decision_date + dt.timedelta(days=math.ceil(days)), today)
    return CloseDateSuggestion(
        date=date,
        inputs=("decision_date",),
        basis=basis,
        sample_size=len(lag_days) if typical is not None else 0,
        typical_days=days,
        late=late,
    )


def close_date_from_stage(
    entered_on: dt.date,
    *,
    urgency: str,
    owner_days: Sequence[float],
    pipeline_days: Sequence[float],
    today: dt.date,
) -> CloseDateSuggestion | None:
    """The day the deal entered its stage plus the remaining cycle of won deals that passed through that
    stage (days from entering it to won): the owner's own deals when they have enough, else the pipeline's.
    Urgency picks the quantile: high the 25th percentile, medium (or unknown) the median, low the 75th."""
    fraction = URGENCY_QUANTILES.get(urgency, 0.5)
    for basis, days in (("owner", owner_days), ("pipeline", pipeline_days)):
        if len(days) >= CLOSE_DATE_MIN_SAMPLES:
            typical = max(0.0, percentile(days, fraction) or 0.0)
            date, late = _on_or_after_today(entered_on + dt.timedelta(days=math.ceil(typical)), today)
            return CloseDateSuggestion(
                date=date,
                inputs=("urgency", "stage") if urgency in URGENCY_QUANTILES else ("stage",),
                basis=basis,
                sample_size=len(days),
                typical_days=typical,
                late=late,
            )
    return None
