"""The Insights page and its CSV downloads.

`/insights/` shows how deals move through a pipeline over a window, for the actor's own deals (a rep),
their teams or one member (a manager), or anyone (an admin): the funnel with its drop-off, the open
pipeline per stage, conversion by month, days in each stage, win rate, cycle and velocity, lost reasons,
the activities done and the effect of trials, demos and gifts. The filters live in the address
(`?who=team:3&pipeline=1&days=90`), and `/insights/<table>.csv` with the same query downloads a table.

Rendered on the server and read the same without JavaScript (the bars are HTML and CSS, every chart has
its table); insights.js draws the conversion chart (Chart.js) from the figures the page passes with
`json_script`, as the CSP forbids inline scripts. The figures come from `insights.selectors`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from salespipe.activities.models import ActivityKind
from salespipe.analytics.followups import MIN_GROUP_DEALS, ClosedDeals
from salespipe.analytics.funnel import StageCohort
from salespipe.analytics.selectors import report_scope
from salespipe.analytics.views import days, money, percent, points
from salespipe.core.errors import InvalidInput, NotFound
from salespipe.core.spreadsheets import csv_lines
from salespipe.core.web import actor_of, view_url
from salespipe.deals.models import Pipeline
from salespipe.insights import exports, selectors
from salespipe.insights.forms import WINDOW_CHOICES, InsightsFilterForm
from salespipe.insights.selectors import EVERYONE, InsightsScope, MonthConversion, PipelineInsights
from salespipe.people.models import Role, User

PAGE = "insights/insights.html"


# --- presentation ---------------------------------------------------------------------------------------


def _percent(ratio: Decimal | float | None) -> str:
    return percent(None if ratio is None else float(ratio))


def _width(part: float | Decimal | int, whole: float | Decimal | int) -> float:
    """`part` as a percentage of `whole`, for the width of a bar."""
    return 0.0 if not whole else round(float(part) / float(whole) * 100, 2)


def _date(value: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(value), "DATE_FORMAT")


def _month(value: dt.date) -> str:
    return formats.date_format(value, "YEAR_MONTH_FORMAT")


# --- filters --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    selected: bool


@dataclass(frozen=True)
class ChoiceGroup:
    label: str  # "" for choices outside any group
    choices: list[Choice]


def _who_choices(actor: User, scope: InsightsScope) -> list[ChoiceGroup]:
    """Whose deals a manager or admin may pick: everyone in view, each team, each person. A rep has
    nothing to pick (their own deals)."""
    if actor.role == Role.REP:
        return []
    current = f"user:{scope.owner.pk}" if scope.owner else f"team:{scope.team.pk}" if scope.team else ""
    everyone = _("Everyone") if actor.is_admin else _("You and your teams")
    groups = [ChoiceGroup("", [Choice("", everyone, current == "")])]
    view = scope.people
    if view.teams:
        groups.append(
            ChoiceGroup(
                _("Teams"),
                [Choice(f"team:{team.pk}", team.name, current == f"team:{team.pk}") for team in view.teams],
            )
        )
    groups.append(
        ChoiceGroup(
            _("People"),
            [
                Choice(f"user:{person.pk}", str(person), current == f"user:{person.pk}")
                for person in view.people
            ],
        )
    )
    return groups


def _pipeline_choices(scope: InsightsScope) -> list[Choice]:
    """The active pipelines (one query), and the one shown even if it is no longer active."""
    pipelines = [(pipeline.pk, pipeline.name) for pipeline in Pipeline.objects.filter(is_active=True)]
    if scope.pipeline_id not in {pk for pk, _name in pipelines}:
        pipelines.append((scope.pipeline_id, scope.pipeline_name))
    return [Choice(str(pk), name, pk == scope.pipeline_id) for pk, name in pipelines]


def _query(scope: InsightsScope) -> dict[str, str]:
    """The page's own address parameters for this scope, as the filters write them."""
    who = f"user:{scope.owner.pk}" if scope.owner else f"team:{scope.team.pk}" if scope.team else ""
    query = {"pipeline": str(scope.pipeline_id), "days": str(scope.window.days)}
    return {"who": who, **query} if who else query


def insights_url(query: dict[str, str]) -> str:
    return f"{view_url('insights:insights')}?{urlencode(query)}" if query else view_url("insights:insights")


def csv_url(table: str, query: dict[str, str]) -> str:
    url = reverse("insights:csv", kwargs={"table": table})
    return f"{url}?{urlencode(query)}" if query else url


def _scope_of(request: HttpRequest, actor: User) -> InsightsScope:
    """The scope the address names. A malformed address is InvalidInput; a person, team or pipeline the
    actor may not see does not exist for them (404)."""
    form = InsightsFilterForm(request.GET)
    if not form.is_valid():
        raise InvalidInput(form.problems())
    try:
        return selectors.insights_scope(
            actor=actor,
            owner_id=form.owner_id(),
            team_id=form.team_id(),
            pipeline_id=form.pipeline_id(),
            window_days=form.window_days(),
            people=report_scope(actor=actor),
        )
    except NotFound as error:
        raise Http404(error.message) from None


def _whose(actor: User, scope: InsightsScope) -> str:
    if scope.owner is not None:
        return _("Your deals") if scope.owner.pk == actor.pk else str(scope.owner)
    if scope.team is not None:
        return _("Team %(name)s") % {"name": scope.team.name}
    if actor.is_admin:
        return _("The whole company")
    if actor.role == Role.MANAGER:
        return _("You and your teams")
    return _("Your deals")


# --- the page's rows ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelRow:
    name: str
    entered: int
    advanced: int
    conversion: str
    dropped: int
    drop_off: str
    reach: str
    width: float
    last: bool


@dataclass(frozen=True)
class OpenRow:
    name: str
    deals: int
    value: str
    weighted: str
    width: float  # the value's bar, against the biggest stage's
    weighted_share: float  # the weighted part of that bar


@dataclass(frozen=True)
class DurationRow:
    name: str
    left: int
    median: str
    width: float


@dataclass(frozen=True)
class ReasonRow:
    label: str
    other: bool
    deals: int
    share: str
    value: str
    width: float


@dataclass(frozen=True)
class CountRow:
    label: str
    count: int
    width: float


@dataclass(frozen=True)
class GroupCells:
    deals: int
    win_rate: str
    cycle: str
    too_small: bool


@dataclass(frozen=True)
class FreemiumRow:
    label: str
    with_activity: GroupCells
    without_activity: GroupCells
    difference: str


@dataclass(frozen=True)
class MonthCell:
    conversion: str
    entered: int
    advanced: int


@dataclass(frozen=True)
class ConversionRow:
    name: str
    cells: list[MonthCell]


def _funnel_rows(insights: PipelineInsights) -> list[FunnelRow]:
    widest = max((line.cohort.entered for line in insights.stages), default=0)
    return [
        FunnelRow(
            name=line.stage.name,
            entered=line.cohort.entered,
            advanced=line.cohort.advanced,
            conversion=_percent(line.cohort.conversion),
            dropped=line.cohort.dropped,
            drop_off=_percent(line.cohort.drop_off),
            reach=_percent(share),
            width=_width(line.cohort.entered, widest),
            last=index == len(insights.stages) - 1,
        )
        for index, (line, share) in enumerate(zip(insights.stages, insights.reach, strict=True))
    ]


def _open_rows(insights: PipelineInsights) -> list[OpenRow]:
    currency = insights.currency
    biggest = max((line.open.value for line in insights.stages), default=Decimal(0))
    return [
        OpenRow(
            name=line.stage.name,
            deals=line.open.deals,
            value=money(line.open.value, currency),
            weighted=money(line.open.weighted_value, currency),
            width=_width(line.open.value, biggest),
            weighted_share=_width(line.open.weighted_value, line.open.value),
        )
        for line in insights.stages
    ]


def _duration_rows(insights: PipelineInsights) -> list[DurationRow]:
    longest = max((line.duration.median_days or 0 for line in insights.stages), default=0)
    return [
        DurationRow(
            name=line.stage.name,
            left=line.duration.left,
            median=days(line.duration.median_days),
            width=_width(line.duration.median_days or 0, longest),
        )
        for line in insights.stages
    ]


def _reason_rows(insights: PipelineInsights) -> list[ReasonRow]:
    lost = insights.closed.lost
    most = max((line.deals for line in insights.lost_reasons), default=0)
    return [
        ReasonRow(
            label=_("Other reasons") if line.is_other else line.reason,
            other=line.is_other,
            deals=line.deals,
            share=_percent(line.deals / lost if lost else None),
            value=money(line.value, insights.currency),
            width=_width(line.deals, most),
        )
        for line in insights.lost_reasons
    ]


def _activity_rows(insights: PipelineInsights) -> list[CountRow]:
    labels = dict(ActivityKind.choices)
    most = max(insights.activities.values(), default=0)
    return [
        CountRow(label=str(labels[kind]), count=count, width=_width(count, most))
        for kind, count in insights.activities.items()
    ]


def _cells(group: ClosedDeals) -> GroupCells:
    return GroupCells(
        deals=group.deals,
        win_rate=percent(group.win_rate),
        cycle=days(group.median_cycle_days),
        too_small=group.too_small,
    )


def _freemium_rows(insights: PipelineInsights) -> list[FreemiumRow]:
    return [
        FreemiumRow(
            label=str(exports.FREEMIUM_LABELS[kind]),
            with_activity=_cells(comparison.with_activity),
            without_activity=_cells(comparison.without_activity),
            difference=points(comparison.win_rate_difference) if comparison.conclusive else "—",
        )
        for kind, comparison in insights.freemiums.comparisons.items()
    ]


def _conversion_rows(scope: InsightsScope, months: list[MonthConversion]) -> list[ConversionRow]:
    by_stage: dict[int, list[StageCohort]] = {stage.id: [] for stage in scope.open_stages}
    for month in months:
        for cohort in month.cohorts:
            by_stage[cohort.stage_id].append(cohort)
    return [
        ConversionRow(
            name=stage.name,
            cells=[
                MonthCell(_percent(cohort.conversion), cohort.entered, cohort.advanced)
                for cohort in by_stage[stage.id]
            ],
        )
        for stage in scope.open_stages
    ]


def _conversion_chart(scope: InsightsScope, months: list[MonthConversion]) -> dict[str, Any]:
    """What insights.js draws: the conversion table's figures, in percent, with the words it needs."""
    series = []
    for index, stage in enumerate(scope.open_stages):
        rates = [month.cohorts[index].conversion for month in months]
        series.append(
            {
                "label": stage.name,
                "data": [None if rate is None else round(float(rate) * 100, 1) for rate in rates],
            }
        )
    return {
        "labels": [_month(month.month) for month in months],
        "series": series,
        "locale": translation.get_language() or "en",
        "text": {"axis": _("Went further (%)")},
    }


def _figures(insights: PipelineInsights) -> dict[str, str]:
    closed, currency = insights.closed, insights.currency
    return {
        "win_rate": _percent(closed.win_rate),
        "cycle": days(closed.median_cycle_days),
        "average_won": "—" if closed.average_won_value is None else money(closed.average_won_value, currency),
        "won_value": money(closed.won_value, currency),
        "lost_value": money(closed.lost_value, currency),
        "open_value": money(insights.open_value, currency),
        "weighted_value": money(insights.weighted_value, currency),
        "velocity": "—" if insights.velocity is None else money(insights.velocity, currency),
    }


# --- the views ------------------------------------------------------------------------------------------


def _refused(request: HttpRequest, error: InvalidInput) -> HttpResponse:
    return render(request, PAGE, {"error": error.message, "back_url": insights_url({})}, status=422)


@require_GET
def insights_page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    try:
        scope = _scope_of(request, actor)
    except InvalidInput as error:
        return _refused(request, error)
    insights = selectors.pipeline_insights(actor=actor, scope=scope)
    months = insights.months
    query = _query(scope)
    return render(
        request,
        PAGE,
        {
            "insights": insights,
            "scope": scope,
            "whose": _whose(actor, scope),
            "who_choices": _who_choices(actor, scope),
            "pipeline_choices": _pipeline_choices(scope),
            "window_choices": [
                Choice(str(value), str(label), value == scope.window.days) for value, label in WINDOW_CHOICES
            ],
            "window_start": _date(scope.window.start),
            "window_end": _date(scope.window.end),
            "figures": _figures(insights),
            "funnel": _funnel_rows(insights),
            "open_rows": _open_rows(insights),
            "durations": _duration_rows(insights),
            "reasons": _reason_rows(insights),
            "activities": _activity_rows(insights),
            "freemiums": _freemium_rows(insights),
            "min_group_deals": MIN_GROUP_DEALS,
            "months": [_month(month.month) for month in months],
            "conversion_rows": _conversion_rows(scope, months),
            "conversion_chart": _conversion_chart(scope, months),
            "csv": {table.replace("-", "_"): csv_url(table, query) for table in exports.TABLES},
            "everyone": scope.kind == EVERYONE,
        },
    )


@require_GET
def insights_csv(request: HttpRequest, table: str) -> HttpResponseBase:
    """One of the page's tables as a CSV file, for the same filters (a streamed download)."""
    build = exports.TABLES.get(table)
    if build is None:
        raise Http404(_("There is no table '%(table)s' to download.") % {"table": table})
    actor = actor_of(request)
    try:
        scope = _scope_of(request, actor)
    except InvalidInput as error:
        return HttpResponse(error.message, status=422, content_type="text/plain; charset=utf-8")
    found = build(scope)
    response = StreamingHttpResponse(
        csv_lines(found.header, found.rows), content_type="text/csv; charset=utf-8"
    )
    today = timezone.localdate(scope.window.end)
    response["Content-Disposition"] = (
        f'attachment; filename="insights-{table}-{scope.window.days}d-{today:%Y-%m-%d}.csv"'
    )
    return response
