"""The funnel's arithmetic: stage conversion, drop-off, win rate, sales velocity and lost reasons.

Pure functions over plain values: `insights/selectors.py` counts in SQL and hands the counts over, and the
coaching code compares a rep's step conversions with their team's through the same types. Definitions
(PRODUCT.md, "Formulas"; written out for people in docs/insights.md):

- stage conversion (cohort): of the deals that entered stage *i* in the window, the share that later
  reached stage *i+1* or beyond (a later open stage or the won stage; being lost is not getting further);
- drop-off: the rest of that cohort, in deals and as a share;
- win rate = won ÷ (won + lost), over the deals closed in the window;
- sales-cycle length = median days from creation to won (measured in SQL);
- sales velocity = (open deals × win rate × average won value) ÷ cycle length: value won per day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from salespipe.analytics.forecast import money, ratio
from salespipe.analytics.stats import StepComparison, compare_to_team

OTHER_REASONS = ""  # the `reason` of the line that adds up every reason below the top ones


# --- stage conversion -----------------------------------------------------------------------------------


def conversion(entered: int, advanced: int) -> Decimal | None:
    """advanced ÷ entered, 0–1 to four places; None when nobody entered (never a misleading 0 %)."""
    _check_cohort(entered, advanced)
    return ratio(Decimal(advanced), Decimal(entered))


def drop_off(entered: int, advanced: int) -> Decimal | None:
    """The share of the cohort that did not get further: 1 − conversion, None when nobody entered."""
    _check_cohort(entered, advanced)
    return ratio(Decimal(entered - advanced), Decimal(entered))


def _check_cohort(entered: int, advanced: int) -> None:
    if entered < 0 or advanced < 0 or advanced > entered:
        raise ValueError(f"a cohort needs 0 <= advanced <= entered, not {advanced} of {entered}")


class StageCohort(NamedTuple):
    """The deals that entered one stage in a window (`entered`) and how many of them later reached a
    further stage (`advanced`). A plain tuple `(stage_id, entered, advanced)` too."""

    stage_id: int
    entered: int
    advanced: int

    @property
    def conversion(self) -> Decimal | None:
        return conversion(self.entered, self.advanced)

    @property
    def dropped(self) -> int:
        """Deals of the cohort that went no further (still in the stage, moved back, or lost)."""
        return self.entered - self.advanced

    @property
    def drop_off(self) -> Decimal | None:
        return drop_off(self.entered, self.advanced)


def cohorts_total(groups: Iterable[Sequence[StageCohort]]) -> list[StageCohort]:
    """Several people's cohorts added up stage by stage (a team's step conversions from its members').

    Every group lists the same stages in the same order; a deal belongs to one owner, so the sums count
    each deal once."""
    total: list[StageCohort] | None = None
    for group in groups:
        if total is None:
            total = list(group)
            continue
        _check_same_stages(total, group)
        total = [
            StageCohort(mine.stage_id, mine.entered + theirs.entered, mine.advanced + theirs.advanced)
            for mine, theirs in zip(total, group, strict=True)
        ]
    return total or []


def cohorts_without(total: Sequence[StageCohort], part: Sequence[StageCohort]) -> list[StageCohort]:
    """`total` less `part`, stage by stage: the rest of a team without one of its members."""
    _check_same_stages(total, part)
    rest = []
    for whole, mine in zip(total, part, strict=True):
        if mine.entered > whole.entered or mine.advanced > whole.advanced:
            raise ValueError(f"stage {whole.stage_id}: the part is bigger than the total")
        rest.append(StageCohort(whole.stage_id, whole.entered - mine.entered, whole.advanced - mine.advanced))
    return rest


def _check_same_stages(first: Sequence[StageCohort], second: Sequence[StageCohort]) -> None:
    if [cohort.stage_id for cohort in first] != [cohort.stage_id for cohort in second]:
        raise ValueError("cohorts of different stages cannot be added up")


def reach(cohorts: Sequence[StageCohort]) -> list[Decimal | None]:
    """For each stage, the share of deals entering the first stage that would get past it at these
    conversions: the product of the conversions up to and including it. None from the first stage
    nobody entered."""
    shares: list[Decimal | None] = []
    running: Decimal | None = Decimal(1)
    for cohort in cohorts:
        rate = cohort.conversion
        running = None if running is None or rate is None else running * rate
        shares.append(None if running is None else running.quantize(Decimal("0.0001")))
    return shares


def share(part: int, whole: int) -> Decimal | None:
    """part ÷ whole, 0–1 to four places; None when the whole is nothing."""
    return ratio(Decimal(part), Decimal(whole))


# --- deals closed in the window -------------------------------------------------------------------------


def win_rate(won: int, lost: int) -> Decimal | None:
    """won ÷ (won + lost), 0–1 to four places; None without closed deals."""
    if won < 0 or lost < 0:
        raise ValueError(f"deal counts cannot be negative: {won} won, {lost} lost")
    return ratio(Decimal(won), Decimal(won + lost))


def average_value(total: Decimal, deals: int) -> Decimal | None:
    """total ÷ deals, to the cent; None without deals."""
    if deals <= 0:
        return None
    return money(total / deals)


def sales_velocity(
    *, open_deals: int, won: int, lost: int, won_value: Decimal, cycle_days: Decimal | None
) -> Decimal | None:
    """(open deals × win rate × average won value) ÷ cycle length in days: the value the pipeline turns
    into wins per day, to the cent.

    With win rate = won ÷ (won + lost) and average won value = won value ÷ won, the formula is
    open deals × won value ÷ ((won + lost) × cycle days), computed in that form so nothing is rounded
    before the end. None when it cannot be known: no deal closed in the window, or no cycle length (no
    deal won) or one of zero days."""
    if open_deals < 0 or won < 0 or lost < 0:
        raise ValueError("deal counts cannot be negative")
    if won + lost == 0 or cycle_days is None or cycle_days <= 0:
        return None
    return money(Decimal(open_deals) * won_value / (Decimal(won + lost) * cycle_days))


# --- lost reasons ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReasonCount:
    """Deals lost for one reason (`OTHER_REASONS`: every reason below the top ones) and their value."""

    reason: str
    deals: int
    value: Decimal

    @property
    def is_other(self) -> bool:
        return self.reason == OTHER_REASONS


def top_reasons(
    top: Sequence[ReasonCount], *, total_deals: int, total_value: Decimal, limit: int
) -> list[ReasonCount]:
    """The `limit` most frequent reasons (as counted, most first), and one "other" line with what is
    left of the totals when anything is: the lines always add up to the totals."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    shown = list(top[:limit])
    rest_deals = total_deals - sum(line.deals for line in shown)
    rest_value = total_value - sum((line.value for line in shown), Decimal(0))
    if rest_deals < 0:
        raise ValueError("the top reasons count more deals than the total")
    if rest_deals:
        shown.append(ReasonCount(OTHER_REASONS, rest_deals, rest_value))
    return shown


# --- coaching hints ---------------------------------------------------------------------------------------

OPENING, QUALIFYING, BOOKING, PRESENTING, CLOSING = (
    "opening",
    "qualifying",
    "booking",
    "presenting",
    "closing",
)


def step_skill(step: int, *, appointment: int | None, last: int) -> str:
    """The selling skill a weak step calls for. `step` is the index of the open stage the step starts from
    (the last step, from the last open stage, ends in Won); `appointment` the index of the appointment stage
    (the first open stage whose gate wants a confirmed decision maker), None when the pipeline has none.

    Before the appointment the rep qualifies (finds and confirms the decision maker) — the very first step is
    the opening itself; the step into the appointment stage is booking it; from the appointment on, the steps
    are the demo, trial or proposal (presenting), and the last one, into Won, is closing."""
    if step == last:
        return CLOSING
    if appointment is None:
        return OPENING if step == 0 else QUALIFYING
    if step >= appointment:
        return PRESENTING
    if step + 1 == appointment:
        return BOOKING
    return OPENING if step == 0 else QUALIFYING


# --- the weakest step ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeakStep:
    """A step (deals entering `stage` that reach `next_stage` or beyond) where a rep converts worse than
    the rest of their team, surely enough to act on."""

    stage_id: int
    stage: str
    next_stage: str
    comparison: StepComparison
    skill: str  # what to coach: `step_skill`

    @property
    def shortfall(self) -> float:
        """How many points below the team, weighted by how sure it is: what picks the weakest step."""
        rate, team_rate = self.comparison.rate, self.comparison.team_rate
        if rate is None or team_rate is None:
            return 0.0
        return (team_rate - rate) * self.comparison.probability_below


def weakest_step(
    mine: Sequence[StageCohort],
    rest: Sequence[StageCohort],
    *,
    names: Sequence[str],
    won: str,
    appointment: int | None,
    min_trials: int,
    certainty: float,
) -> WeakStep | None:
    """Of the steps where a rep (`mine`, one cohort per open stage of `names`, in order) converts
    significantly worse than the rest of their team (`rest`), the one where they lose most; None when no
    step is. `won` names the stage after the last open one; `appointment` is the appointment stage's index
    (see `step_skill`).

    Only a step where the rep's rate is below the rest's, on at least `min_trials` deals each side, is
    compared: the comparison's uniform prior would otherwise find 10 of 10 "surely below" 1,000 of 1,000,
    and the rest cannot be weak anyway."""
    next_names = [*names[1:], won]
    candidates = []
    for index, (own, theirs) in enumerate(zip(mine, rest, strict=True)):
        if min(own.entered, theirs.entered) < min_trials or (
            own.advanced * theirs.entered >= theirs.advanced * own.entered
        ):
            continue
        comparison = compare_to_team(
            own.advanced,
            own.entered,
            theirs.advanced,
            theirs.entered,
            min_trials=min_trials,
            certainty=certainty,
        )
        if comparison.weak:
            skill = step_skill(index, appointment=appointment, last=len(names) - 1)
            candidates.append(WeakStep(own.stage_id, names[index], next_names[index], comparison, skill))
    return max(candidates, key=lambda step: step.shortfall) if candidates else None
