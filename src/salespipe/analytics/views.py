"""The follow-up reports page and the deal page's suggestions panel.

The reports page shows the actor's scope: a rep their own line beside their team's total; a manager each
member and the team total; an admin the teams (and a team's members once one is chosen). Both tables come
from the selectors in four queries besides the session: the scope (two) and one per report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar
from urllib.parse import urlencode

from babel.numbers import format_decimal, format_percent
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET

from salespipe.analytics import selectors
from salespipe.analytics.followups import MIN_GROUP_DEALS, ClosedDeals, FreemiumComparison, ResponseTimes
from salespipe.analytics.forms import KINDS, ReportFilterForm
from salespipe.analytics.probing import ProbingTopic
from salespipe.analytics.selectors import DealSuggestions, FreemiumStats, Report
from salespipe.core.money import money_text
from salespipe.core.web import actor_of
from salespipe.deals.models import Deal
from salespipe.people.models import Role, User

PAGE = "analytics/follow_up.html"

StatsT = TypeVar("StatsT")

# --- presentation ---------------------------------------------------------------------------------------


def _locale() -> str:
    return translation.to_locale(translation.get_language() or "en")


def percent(value: float | None) -> str:
    return "—" if value is None else format_percent(value, locale=_locale())


def points(value: float | None) -> str:
    """A difference of two rates, signed, in percentage points."""
    if value is None:
        return "—"
    number = format_decimal(round(value * 100), format="+#,##0;-#,##0", locale=_locale())
    return _("%(points)s pts") % {"points": number}


def days(value: float | None) -> str:
    if value is None:
        return "—"
    return ngettext("%(days)s day", "%(days)s days", round(value)) % {
        "days": format_decimal(round(value, 1), format="#,##0.#", locale=_locale())
    }


def working_time(minutes: float | None) -> str:
    """Working minutes as a person says them: 45 min, 3 h 05 min."""
    if minutes is None:
        return "—"
    whole = round(minutes)
    if whole < 60:
        return _("%(minutes)s min") % {"minutes": whole}
    return _("%(hours)s h %(minutes)02d min") % {"hours": whole // 60, "minutes": whole % 60}


def money(amount: Decimal, currency: str) -> str:
    return money_text(amount, currency, locale=_locale())


def _date(value: dt.date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


# --- the reports page -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line(Generic[StatsT]):
    """A table row: whose figures, a link to narrow to them, and whether it is a total."""

    label: str
    stats: StatsT
    who: str = ""
    total: bool = False
    yours: bool = False
    url: str = ""


@dataclass(frozen=True)
class ResponseRow:
    line: Line[ResponseTimes]
    median: str
    on_time: str


@dataclass(frozen=True)
class GroupCells:
    deals: int
    win_rate: str
    cycle: str
    too_small: bool


@dataclass(frozen=True)
class FreemiumRow:
    line: Line[FreemiumComparison]
    with_activity: GroupCells
    without_activity: GroupCells
    difference: str


def _lines(
    report: Report[StatsT], actor: User, *, show_people: bool, show_total: bool, query: dict[str, str]
) -> list[Line[StatsT]]:
    """The rows to show; a person's or a team's links to the page narrowed to them, other choices kept."""

    def url(who: str) -> str:
        return "?" + urlencode({**query, "who": who})

    lines: list[Line[StatsT]] = []
    if show_people:
        for line in report.owners:
            who = f"user:{line.owner.pk}"
            lines.append(
                Line(str(line.owner), line.stats, who, yours=line.owner.pk == actor.pk, url=url(who))
            )
    for team_line in report.teams:
        who = f"team:{team_line.team.pk}"
        label = _("Team %(name)s") % {"name": team_line.team.name}
        lines.append(Line(label, team_line.stats, who, total=True, url=url(who)))
    if show_total:
        lines.append(Line(_("Everyone in view"), report.total, total=True))
    return lines


def _response_rows(lines: list[Line[ResponseTimes]]) -> list[ResponseRow]:
    return [
        ResponseRow(
            line=line,
            median=working_time(line.stats.median_minutes),
            on_time=percent(line.stats.on_time_share),
        )
        for line in lines
    ]


def _cells(group: ClosedDeals) -> GroupCells:
    return GroupCells(
        deals=group.deals,
        win_rate=percent(group.win_rate),
        cycle=days(group.median_cycle_days),
        too_small=group.too_small,
    )


def _freemium_rows(lines: list[Line[FreemiumStats]], kind: str) -> list[FreemiumRow]:
    rows = []
    for line in lines:
        comparison = line.stats.comparisons[kind]
        rows.append(
            FreemiumRow(
                line=Line(
                    line.label, comparison, who=line.who, total=line.total, yours=line.yours, url=line.url
                ),
                with_activity=_cells(comparison.with_activity),
                without_activity=_cells(comparison.without_activity),
                difference=points(comparison.win_rate_difference) if comparison.conclusive else "—",
            )
        )
    return rows


def _everyone_label(actor: User) -> str:
    if actor.role == Role.ADMIN:
        return _("All teams")
    if actor.role == Role.MANAGER:
        return _("Your teams")
    return _("You and your team")


@require_GET
def follow_up_report(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    scope = selectors.report_scope(actor=actor)
    defaults = {"requests_days": selectors.RESPONSE_WINDOW_DAYS, "deals_days": selectors.FREEMIUM_WINDOW_DAYS}
    form = ReportFilterForm(
        {**defaults, "kind": "any", **request.GET.dict()}, scope=scope, everyone_label=_everyone_label(actor)
    )
    # A stale or tampered choice falls back to its default, and the form says what was wrong.
    form.is_valid()
    team_id, owner_id = form.team_id(), form.owner_id()
    # The choices come from the scope, so narrowing to one of them always succeeds.
    narrowed = scope.narrowed(team_id=team_id, owner_id=owner_id)
    responses = selectors.response_time_report(actor=actor, days=form.requests_window(), scope=narrowed)
    freemiums = selectors.freemium_report(actor=actor, days=form.deals_window(), scope=narrowed)
    # An admin's first view is per team; people show once a team (or a person) is chosen.
    show_people = not (actor.is_admin and team_id is None and owner_id is None and narrowed.teams)
    show_total = len(narrowed.teams) > 1 or (not show_people)
    kind = form.freemium_kind()
    query = {
        "requests_days": str(form.requests_window()),
        "deals_days": str(form.deals_window()),
        "kind": kind,
    }
    return render(
        request,
        PAGE,
        {
            "actor": actor,
            "form": form,
            "responses": responses,
            "response_rows": _response_rows(
                _lines(responses, actor, show_people=show_people, show_total=show_total, query=query)
            ),
            "freemiums": freemiums,
            "freemium_rows": _freemium_rows(
                _lines(freemiums, actor, show_people=show_people, show_total=show_total, query=query), kind
            ),
            "kind_label": dict(KINDS)[kind],
            "min_group_deals": MIN_GROUP_DEALS,
        },
    )


# --- the deal page's suggestions panel ------------------------------------------------------------------


@dataclass(frozen=True)
class SuggestionsPanel:
    """What the deal page shows of `DealSuggestions`, in words."""

    is_open: bool
    budget_known: bool
    budget: str
    budget_range: str
    budget_basis: str
    close_date: str
    close_reason: str
    close_late: bool
    questions: list[ProbingTopic]


_BUDGET_BASES = {
    "organization": lambda n: ngettext(
        "the median of this organization's %(n)s past purchase",
        "the median of this organization's %(n)s past purchases",
        n,
    ),
    "industry_size": lambda n: ngettext(
        "the median of %(n)s won deal with organizations of the same industry",
        "the median of %(n)s won deals with organizations of the same industry",
        n,
    ),
    "pipeline": lambda n: ngettext(
        "the median of the %(n)s latest won deal in this pipeline",
        "the median of the %(n)s latest won deals in this pipeline",
        n,
    ),
}

_URGENCY_QUANTILE = {
    "high": gettext_lazy("as fast as the quicker quarter of them (the urgency is high)"),
    "medium": gettext_lazy("in the median time"),
    "low": gettext_lazy("as slowly as the slower quarter of them (the urgency is low)"),
}


def _close_reason(suggestions: DealSuggestions, deal: Deal) -> str:
    close = suggestions.close_date
    assert close is not None
    if close.inputs == ("decision_date",):
        if close.basis == "default":
            return _(
                "The decision date: too few won deals to know the usual time from decision to signature."
            )
        return ngettext(
            "The decision date plus %(days)s, the median time from decision to signature of %(n)s won deal.",
            "The decision date plus %(days)s, the median time from decision to signature of %(n)s won deals.",
            close.sample_size,
        ) % {"days": days(close.typical_days), "n": close.sample_size}
    whose = (
        ngettext("your %(n)s won deal", "your %(n)s won deals", close.sample_size)
        if close.basis == "owner"
        else ngettext("the pipeline's %(n)s won deal", "the pipeline's %(n)s won deals", close.sample_size)
    ) % {"n": close.sample_size}
    pace = _URGENCY_QUANTILE.get(deal.urgency, _URGENCY_QUANTILE["medium"])
    return _("%(days)s after entering %(stage)s, as %(whose)s from that stage took %(pace)s.") % {
        "days": days(close.typical_days),
        "stage": deal.stage.name,
        "whose": whose,
        "pace": pace,
    }


def deal_suggestions_panel(*, actor: User, deal: Deal) -> SuggestionsPanel:
    """The panel's content for a deal the actor may see (two queries, see the selector)."""
    suggestions = selectors.deal_suggestions(actor=actor, deal=deal)
    budget = suggestions.budget
    close = suggestions.close_date
    return SuggestionsPanel(
        is_open=suggestions.is_open,
        budget_known=suggestions.budget_known,
        budget=money(budget.amount, suggestions.currency) if budget else "",
        budget_range=_("%(low)s to %(high)s")
        % {"low": money(budget.low, suggestions.currency), "high": money(budget.high, suggestions.currency)}
        if budget
        else "",
        budget_basis=_BUDGET_BASES[budget.basis](budget.sample_size) % {"n": budget.sample_size}
        if budget
        else "",
        close_date=_date(close.date) if close else "",
        close_reason=_close_reason(suggestions, deal) if close else "",
        close_late=bool(close and close.late),
        questions=suggestions.questions,
    )
