"""The Insights page's tables as CSV downloads: which rows each table has, and writing them safely.

Each table reads only the selector parts it needs (`insights/selectors.py`), so a download runs fewer
queries than the page. Numbers are written the way a program reads them (a dot for decimals, money to
the cent, shares 0-1 to four places, an empty cell for "unknown"); the header row is in the reader's
language. Text that comes from people (stage names, lost reasons) and starts with `=`, `+`, `-`, `@`, a
tab or a carriage return gets a leading `'`, so a spreadsheet shows it instead of running it as a formula.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salespipe.activities.models import ActivityKind
from salespipe.analytics import funnel
from salespipe.analytics.followups import ClosedDeals
from salespipe.core.money import base_currency
from salespipe.insights import selectors
from salespipe.insights.selectors import InsightsScope

FREEMIUM_LABELS = {
    "trial": gettext_lazy("Free trial"),
    "demo": gettext_lazy("Demo"),
    "gift": gettext_lazy("Small gift"),
    "any": gettext_lazy("Any of them"),
}


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[Any]]


RATIO = Decimal("0.0001")


def _ratio(value: Decimal | float | None) -> Decimal | None:
    """A share (or a difference of shares) to four places, as a number: a negative one stays a number."""
    return None if value is None else Decimal(value).quantize(RATIO)


def funnel_table(scope: InsightsScope) -> Table:
    cohorts = selectors.stage_conversions(scope)
    reach = funnel.reach(cohorts)
    return Table(
        header=[
            _("Stage"),
            _("Entered"),
            _("Went further"),
            _("Conversion"),
            _("Dropped off"),
            _("Drop-off"),
            _("Reach"),
        ],
        rows=[
            [
                stage.name,
                cohort.entered,
                cohort.advanced,
                _ratio(cohort.conversion),
                cohort.dropped,
                _ratio(cohort.drop_off),
                _ratio(share),
            ]
            for stage, cohort, share in zip(scope.open_stages, cohorts, reach, strict=True)
        ],
    )


def stages_table(scope: InsightsScope) -> Table:
    open_now = selectors.open_by_stage(scope)
    currency = base_currency()
    rows = []
    for stage in scope.open_stages:
        line = open_now.get(stage.id, selectors.OpenStage())
        rows.append([stage.name, line.deals, line.value, line.weighted_value])
    return Table(
        header=[
            _("Stage"),
            _("Open deals"),
            _("Open value (%(currency)s)") % {"currency": currency},
            _("Weighted value (%(currency)s)") % {"currency": currency},
        ],
        rows=rows,
    )


def conversion_table(scope: InsightsScope) -> Table:
    months = selectors.conversion_by_period(actor=scope.actor, scope=scope)
    names = {stage.id: stage.name for stage in scope.open_stages}
    return Table(
        header=[_("Month"), _("Stage"), _("Entered"), _("Went further"), _("Conversion")],
        rows=[
            [
                f"{month.month:%Y-%m}",
                names[cohort.stage_id],
                cohort.entered,
                cohort.advanced,
                _ratio(cohort.conversion),
            ]
            for month in months
            for cohort in month.cohorts
        ],
    )


def durations_table(scope: InsightsScope) -> Table:
    durations = selectors.stage_durations(scope)
    return Table(
        header=[_("Stage"), _("Stays ended"), _("Median days")],
        rows=[
            [stage.name, durations[stage.id].left, durations[stage.id].median_days]
            for stage in scope.open_stages
        ],
    )


def outcomes_table(scope: InsightsScope) -> Table:
    closed = selectors.closed_in_window(scope)
    open_now = selectors.open_by_stage(scope)
    open_deals = sum(line.deals for line in open_now.values())
    currency = base_currency()
    money_of = {"currency": currency}
    return Table(
        header=[_("Measure"), _("Value")],
        rows=[
            [_("Won deals"), closed.won],
            [_("Lost deals"), closed.lost],
            [_("Win rate"), _ratio(closed.win_rate)],
            [_("Won value (%(currency)s)") % money_of, closed.won_value],
            [_("Lost value (%(currency)s)") % money_of, closed.lost_value],
            [_("Average won deal (%(currency)s)") % money_of, closed.average_won_value],
            [_("Median sales cycle (days)"), closed.median_cycle_days],
            [_("Open deals"), open_deals],
            [_("Sales velocity (%(currency)s per day)") % money_of, closed.velocity(open_deals)],
        ],
    )


def lost_reasons_table(scope: InsightsScope) -> Table:
    closed = selectors.closed_in_window(scope)
    currency = base_currency()
    return Table(
        header=[_("Reason"), _("Deals"), _("Share"), _("Value (%(currency)s)") % {"currency": currency}],
        rows=[
            [
                _("Other reasons") if line.is_other else line.reason,
                line.deals,
                _ratio(funnel.share(line.deals, closed.lost)),
                line.value,
            ]
            for line in selectors.lost_reasons(scope, closed)
        ],
    )


def activities_table(scope: InsightsScope) -> Table:
    labels = dict(ActivityKind.choices)
    return Table(
        header=[_("Activity"), _("Done")],
        rows=[[labels[kind], done] for kind, done in selectors.activity_counts(scope).items()],
    )


def _closed_cells(group: ClosedDeals) -> list[Any]:
    return [group.deals, group.won, group.lost, _ratio(group.win_rate), group.median_cycle_days]


def freemiums_table(scope: InsightsScope) -> Table:
    stats = selectors.freemium_effect(scope)
    sides = []
    for side in (_("with"), _("without")):
        sides += [
            _("Deals %(side)s") % {"side": side},
            _("Won %(side)s") % {"side": side},
            _("Lost %(side)s") % {"side": side},
            _("Win rate %(side)s") % {"side": side},
            _("Median cycle days %(side)s") % {"side": side},
        ]
    return Table(
        header=[_("Done before closing"), *sides, _("Win rate difference"), _("Conclusive")],
        rows=[
            [
                FREEMIUM_LABELS[kind],
                *_closed_cells(comparison.with_activity),
                *_closed_cells(comparison.without_activity),
                _ratio(comparison.win_rate_difference),
                comparison.conclusive,
            ]
            for kind, comparison in stats.comparisons.items()
        ],
    )


# The tables a download can name (`/insights/<name>.csv`), also the files' names.
TABLES: dict[str, Callable[[InsightsScope], Table]] = {
    "funnel": funnel_table,
    "stages": stages_table,
    "conversion": conversion_table,
    "durations": durations_table,
    "outcomes": outcomes_table,
    "lost-reasons": lost_reasons_table,
    "activities": activities_table,
    "freemiums": freemiums_table,
}
