"""The "My numbers" page and the deals behind each number.

`/numbers/` shows won, expected and gap against the quota for the actor, or for whom they pick (a
manager: themselves, their teams and the teams' members; an admin also the company), with the plan that
turns the gap into work and the flow of the coming months. Every number links to `/numbers/deals/`, the
deals it adds up.

Both pages are rendered on the server and read the same without JavaScript; numbers.js draws the flow
chart (Chart.js) from the figures the page already shows, passed with `json_script` because the CSP
forbids inline scripts. The figures come from `numbers.selectors`; this module only words and formats them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from salespipe.analytics.forecast import EMPIRICAL, OVERRIDE, PROBABILITY_SOURCES, STAGE_DEFAULT, FlowMonth
from salespipe.analytics.plan import COMPANY, DEFAULTS, OWN, TEAM, Plan, WeekTarget
from salespipe.analytics.views import money, percent
from salespipe.core.errors import InvalidInput, NotFound
from salespipe.core.web import actor_of, view_url
from salespipe.numbers import selectors
from salespipe.numbers.period_nav import period_nav
from salespipe.numbers.selectors import COMPANY_SCOPE, TEAM_SCOPE, USER, NumbersReport, NumbersScope
from salespipe.people.models import Role, Team, User

PAGE = "numbers/numbers.html"
DEALS_PAGE = "numbers/deals.html"
DEALS_PER_PAGE = 50

_SOURCES = {
    OVERRIDE: gettext_lazy("Set on the deal"),
    EMPIRICAL: gettext_lazy("Stage history"),
    STAGE_DEFAULT: gettext_lazy("Stage default"),
    "won": gettext_lazy("Won"),
}
_SOURCE_NOTES = {
    OVERRIDE: gettext_lazy("the deal's own probability, set by hand"),
    EMPIRICAL: gettext_lazy("the share of closed deals that passed the stage and were won"),
    STAGE_DEFAULT: gettext_lazy("the stage's default probability (too little closed history to measure)"),
}
_NUMBER_TITLES = {
    "won": gettext_lazy("Won in %(period)s"),
    "expected": gettext_lazy("Expected in %(period)s"),
    "open": gettext_lazy("Open deals closing in %(period)s"),
    "undated": gettext_lazy("Open deals without an expected close date"),
    "overdue": gettext_lazy("Open deals past their expected close date"),
}
_NUMBER_NOTES = {
    "won": gettext_lazy("Deals won from %(start)s to %(end)s: their value adds up to the won number."),
    "expected": gettext_lazy(
        "Open deals expected to close from %(start)s to %(end)s, each weighted by its win probability: "
        "the weighted values add up to the expected number."
    ),
    "open": gettext_lazy(
        "The open deals expected to close from %(start)s to %(end)s at their full value: coverage compares "
        "this total with what is left of the quota."
    ),
    "undated": gettext_lazy(
        "They count in no period's numbers until they get an expected close date. Open each one and set it."
    ),
    "overdue": gettext_lazy(
        "Still open after the day they were expected to close, whatever the period: win them, lose them or "
        "give them a new date, so the numbers stay honest."
    ),
}


# --- presentation ---------------------------------------------------------------------------------------


def _locale() -> str:
    return translation.to_locale(translation.get_language() or "en")


def _money(amount: Decimal | None, currency: str) -> str:
    return "—" if amount is None else money(amount, currency)


def _percent(ratio: Decimal | None) -> str:
    return percent(None if ratio is None else float(ratio))


def _coverage(ratio: Decimal | None) -> str:
    """Coverage as a multiple of what is left to win: 2.5×."""
    if ratio is None:
        return "—"
    return _("%(ratio)s×") % {"ratio": format_decimal(ratio, format="#,##0.0", locale=_locale())}


def _date(value: dt.date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def _month(value: dt.date) -> str:
    return formats.date_format(value, "YEAR_MONTH_FORMAT")


def _share(part: Decimal, whole: Decimal) -> float:
    """`part` as a percentage of `whole`, for the width of a bar."""
    return 0.0 if whole <= 0 else round(float(part / whole * 100), 2)


# --- links ----------------------------------------------------------------------------------------------


def numbers_url(query: dict[str, str], period: str | None = None) -> str:
    params = {**query, **({"period": period} if period else {})}
    return f"{view_url('numbers:numbers')}?{urlencode(params)}" if params else view_url("numbers:numbers")


def deals_url(query: dict[str, str], period: str, number: str) -> str:
    return f"{view_url('numbers:deals')}?{urlencode({'number': number, 'period': period, **query})}"


def _scope_of(request: HttpRequest, actor: User) -> NumbersScope:
    """The scope the query names; one the actor may not see does not exist for them (404). Naming more
    than one is refused (InvalidInput)."""
    try:
        return selectors.numbers_scope(
            actor=actor,
            user=request.GET.get("user") or None,
            team=request.GET.get("team") or None,
            company=request.GET.get("company") == "1",
        )
    except NotFound as error:
        raise Http404(error.message) from None


def _refused(request: HttpRequest, template: str, error: InvalidInput, **context: Any) -> HttpResponse:
    """The page with what was wrong in the address and a way back to the current numbers."""
    return render(
        request, template, {"error": error.message, "back_url": numbers_url({}), **context}, status=422
    )


# --- whose numbers: the picker --------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    value: str  # "user:<username>", "team:<name>" or "company"
    label: str
    selected: bool


@dataclass(frozen=True)
class ChoiceGroup:
    label: str
    choices: list[Choice]


def _picker(actor: User, scope: NumbersScope) -> list[ChoiceGroup]:
    """Whose numbers a manager or admin may open: themselves, the company (admins), their teams (all
    teams for an admin) and each team's people. Two queries; a rep has no choice to make."""
    if actor.role == Role.REP:
        return []
    current = {USER: f"user:{scope.name}", TEAM_SCOPE: f"team:{scope.name}", COMPANY_SCOPE: "company"}
    selected = current[scope.kind]

    def choice(value: str, label: str) -> Choice:
        return Choice(value, label, value == selected)

    teams = Team.objects.order_by("name")
    people = User.objects.filter(is_active=True).exclude(pk=actor.pk).select_related("team")
    if not actor.is_admin:
        teams = teams.filter(manager=actor)
        people = people.filter(team__manager=actor)
    team_list = list(teams)
    by_team: dict[int | None, list[User]] = {}
    for person in people.order_by("first_name", "last_name", "username"):
        by_team.setdefault(person.team_id, []).append(person)

    groups = [ChoiceGroup(_("You"), [choice(f"user:{actor.username}", str(actor))])]
    overall = [choice("company", _("Company"))] if actor.is_admin else []
    overall += [choice(f"team:{team.name}", _("Team %(name)s") % {"name": team.name}) for team in team_list]
    if overall:
        groups.append(ChoiceGroup(_("Company and teams") if actor.is_admin else _("Your teams"), overall))
    for team in team_list:
        members = by_team.get(team.pk, [])
        if members:
            label = _("People in %(team)s") % {"team": team.name}
            groups.append(ChoiceGroup(label, [choice(f"user:{m.username}", str(m)) for m in members]))
    if by_team.get(None):
        groups.append(
            ChoiceGroup(_("In no team"), [choice(f"user:{m.username}", str(m)) for m in by_team[None]])
        )
    return groups


def _picked(request: HttpRequest) -> HttpResponse:
    """The picker's choice (`who=user:maria`) as the page's own address (`user=maria`), so what is shown
    can be bookmarked and shared."""
    kind, _sep, name = request.GET["who"].partition(":")
    queries = {"user": {"user": name}, "team": {"team": name}, "company": {"company": "1"}}
    return HttpResponseRedirect(numbers_url(queries.get(kind, {}), request.GET.get("period") or None))


# --- periods --------------------------------------------------------------------------------------------


# --- the numbers page -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BarSegment:
    kind: str  # won, expected or gap
    label: str
    amount: str
    width: float  # percent of the bar


@dataclass(frozen=True)
class SourceRow:
    label: str
    note: str
    deals: int
    amount: str


@dataclass(frozen=True)
class PlanView:
    basis: str
    win_rate: str
    avg_won_value: str
    cycle_days: int
    wins_needed: int | None
    deals_needed: int | None
    appointments_needed: int | None
    calls_needed: int | None
    start_by: dt.date
    closable: bool
    status: str  # one sentence on where the plan stands
    weeks: list[WeekTarget]


@dataclass(frozen=True)
class FlowRow:
    month: dt.date
    label: str
    won: str
    expected: str
    outlook: str  # won + expected
    quota: str
    share: str
    famine: bool
    prospect_by: dt.date
    url: str  # the deals expected to close in the month
    won_url: str


@dataclass(frozen=True)
class MemberRow:
    name: str
    url: str
    won_url: str
    expected_url: str
    quota: str
    won: str
    won_deals: int
    expected: str
    gap: str
    attainment: str
    commission: str
    yours: bool


def _title(actor: User, scope: NumbersScope) -> str:
    if scope.kind == COMPANY_SCOPE:
        return _("The company's numbers")
    if scope.kind == TEAM_SCOPE:
        return _("Numbers of team %(team)s") % {"team": scope.label}
    if scope.user is not None and scope.user.pk == actor.pk:
        return _("My numbers")
    return _("Numbers of %(name)s") % {"name": scope.label}


def _basis(basis: str, *, actor: User, scope: NumbersScope) -> str:
    """Whose history the plan's rates come from, in words."""
    yours = scope.user is not None and scope.user.pk == actor.pk
    if basis == OWN:
        if scope.kind == TEAM_SCOPE:
            return _("the team's last 12 months")
        if scope.kind == COMPANY_SCOPE:
            return _("the company's last 12 months")
        return _("your own last 12 months") if yours else _("their own last 12 months")
    if basis == TEAM:
        return _("your team's last 12 months") if yours else _("their team's last 12 months")
    if basis == COMPANY:
        return _("the company's last 12 months")
    assert basis == DEFAULTS
    return _("default assumptions (too few deals closed in the last 12 months to measure)")


def _plan_status(report: NumbersReport, plan: Plan) -> str:
    currency = report.currency
    if report.numbers.quota is None:
        return _("Without a quota there is no gap to plan for.")
    if not report.gap:
        return _("Won and expected cover the quota: no new deals are needed in this period.")
    if not plan.closable:
        return _(
            "The gap of %(gap)s can no longer be closed from new deals inside the period: a new deal takes "
            "about %(days)s days to win and the period ends on %(end)s. Focus on the open deals."
        ) % {
            "gap": _money(report.gap, currency),
            "days": plan.rates.cycle_days,
            "end": _date(report.period.ends_on),
        }
    if plan.wins_needed is None:
        return _(
            "Too few deals have been won to know the average deal size, so the plan cannot count the deals "
            "needed for the gap of %(gap)s. Start new deals by %(start)s."
        ) % {"gap": _money(report.gap, currency), "start": _date(plan.start_by)}
    return _("To build the gap of %(gap)s from scratch, start the new deals by %(start)s.") % {
        "gap": _money(report.gap, currency),
        "start": _date(plan.start_by),
    }


def _plan_view(report: NumbersReport, actor: User) -> PlanView:
    plan = report.plan
    assert plan is not None, "My numbers asks for its report with the outlook"
    rates = plan.rates
    return PlanView(
        basis=_basis(rates.basis, actor=actor, scope=report.scope),
        win_rate=_percent(rates.win_rate),
        avg_won_value=_money(rates.avg_won_value, report.currency) if rates.avg_won_value else _("unknown"),
        cycle_days=rates.cycle_days,
        wins_needed=plan.wins_needed,
        deals_needed=plan.deals_needed,
        appointments_needed=plan.appointments_needed,
        calls_needed=plan.calls_needed,
        start_by=plan.start_by,
        closable=plan.closable,
        status=_plan_status(report, plan),
        weeks=plan.weeks,
    )


def _bar(report: NumbersReport) -> list[BarSegment]:
    """Won, expected and gap side by side; the bar is the quota long, or longer when the outlook is."""
    numbers, currency = report.numbers, report.currency
    if numbers.quota is None:
        return []
    gap = numbers.gap or Decimal(0)
    whole = max(numbers.quota, report.won + numbers.expected)
    parts = [
        ("won", _("Won"), report.won),
        ("expected", _("Expected"), numbers.expected),
        ("gap", _("Gap"), gap),
    ]
    return [
        BarSegment(kind, label, money(amount, currency), _share(amount, whole))
        for kind, label, amount in parts
    ]


def _sources(report: NumbersReport) -> list[SourceRow]:
    expected = report.expected
    return [
        SourceRow(
            label=str(_SOURCES[source]),
            note=str(_SOURCE_NOTES[source]),
            deals=expected.deals_by_source.get(source, 0),
            amount=money(expected.by_source.get(source, Decimal(0)), report.currency),
        )
        for source in PROBABILITY_SOURCES
    ]


def _flow_rows(flow: list[FlowMonth], query: dict[str, str], currency: str) -> list[FlowRow]:
    return [
        FlowRow(
            month=month.month,
            label=_month(month.month),
            won=money(month.won, currency),
            expected=money(month.expected, currency),
            outlook=money(month.won + month.expected, currency),
            quota=_money(month.quota, currency),
            share=_percent(month.share),
            famine=month.famine,
            prospect_by=month.prospect_by,
            url=deals_url(query, f"{month.month:%Y-%m}", "expected"),
            won_url=deals_url(query, f"{month.month:%Y-%m}", "won"),
        )
        for month in flow
    ]


def _flow_chart(flow: list[FlowMonth], rows: list[FlowRow], currency: str) -> dict[str, Any]:
    """What numbers.js draws: the same figures as the flow table, with the words it needs."""
    return {
        "labels": [row.label for row in rows],
        "won": [float(month.won) for month in flow],
        "expected": [float(month.expected) for month in flow],
        "quota": [None if month.quota is None else float(month.quota) for month in flow],
        "famine": [month.famine for month in flow],
        "urls": [row.url for row in rows],
        "currency": currency,
        "locale": translation.get_language() or "en",
        "text": {
            "won": _("Won"),
            "expected": _("Expected"),
            "famine": _("A famine month: find the deals to fill it now."),
            "quota": _("Monthly quota"),
            "famine_legend": _("Famine month"),
        },
    }


def _member_rows(report: NumbersReport, actor: User, period: str) -> list[MemberRow]:
    currency = report.currency
    rows = []
    for line in report.members:
        query = {"user": line.user.username}
        rows.append(
            MemberRow(
                name=str(line.user),
                url=numbers_url(query, period),
                won_url=deals_url(query, period, "won"),
                expected_url=deals_url(query, period, "expected"),
                quota=_money(line.quota.value, currency),
                won=money(line.won, currency),
                won_deals=line.won_deals,
                expected=money(line.expected, currency),
                gap=_money(line.numbers.gap, currency),
                attainment=_percent(line.numbers.attainment),
                commission=_money(line.commission.earned, currency) if line.commission else "—",
                yours=line.user.pk == actor.pk,
            )
        )
    return rows


def _gauge(report: NumbersReport) -> dict[str, Any] | None:
    attainment = report.numbers.attainment
    if attainment is None:
        return None
    return {
        "text": _percent(attainment),
        "fill": min(100, round(float(attainment) * 100)),
        "over": attainment >= 1,
    }


@require_GET
def numbers_page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if request.GET.get("who"):
        return _picked(request)
    try:
        scope = _scope_of(request, actor)
    except InvalidInput as error:
        return _refused(request, PAGE, error)
    today = selectors.company_today()
    try:
        period = selectors.numbers_period(request.GET.get("period"), today=today)
    except InvalidInput as error:
        return _refused(request, PAGE, error, title=_title(actor, scope), back_url=numbers_url(scope.query))
    report = selectors.numbers_report(actor=actor, scope=scope, period=period)
    query, currency, label = scope.query, report.currency, period.label
    numbers = report.numbers
    flow_rows = _flow_rows(report.flow, query, currency)
    context = {
        "actor": actor,
        "report": report,
        "title": _title(actor, scope),
        "picker": _picker(actor, scope),
        "period": period,
        "nav": period_nav(period, today, lambda label: numbers_url(query, label)),
        "figures": {
            "quota": _money(numbers.quota, currency),
            "won": money(report.won, currency),
            "expected": money(numbers.expected, currency),
            "gap": _money(numbers.gap, currency),
            "open": money(report.open_value, currency),
            "remaining": _money(numbers.remaining, currency),
            "attainment": _percent(numbers.attainment),
            "coverage": _coverage(numbers.coverage),
            "undated": money(report.undated_value, currency),
            "overdue": money(report.overdue_value, currency),
        },
        "links": {number: deals_url(query, label, number) for number in selectors.NUMBERS},
        "gauge": _gauge(report),
        "bar": _bar(report),
        "sources": _sources(report),
        "commission": report.commission,
        "commission_figures": (
            {
                "plans": ", ".join(report.commission.plans),
                "earned": money(report.commission.earned, currency),
                "projected": money(report.commission.projected, currency),
            }
            if report.commission
            else None
        ),
        "plan": _plan_view(report, actor),
        "flow": flow_rows,
        "flow_chart": _flow_chart(report.flow, flow_rows, currency),
        "famine_threshold": settings.FAMINE_THRESHOLD_PERCENT,
        "members": _member_rows(report, actor, label),
        # Quotas are set by managers and admins; a rep is only told there is none.
        "set_quota_url": f"{reverse('quotas:quotas')}?{urlencode({'period': label})}"
        if actor.role != Role.REP
        else "",
    }
    return render(request, PAGE, context)


# --- the deals behind a number --------------------------------------------------------------------------


@dataclass(frozen=True)
class DealRow:
    deal_id: int
    title: str
    organization: str
    owner: str
    stage: str
    value: str
    probability: str
    source: str
    weighted: str
    day: dt.date | None  # won on, or expected to close on


@require_GET
def numbers_deals_page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    number = request.GET.get("number", "")
    try:
        scope = _scope_of(request, actor)
    except InvalidInput as error:
        return _refused(request, DEALS_PAGE, error)
    try:
        period = selectors.numbers_period(request.GET.get("period"), today=selectors.company_today())
        deals = selectors.numbers_deals(scope=scope, period=period, number=number)
    except InvalidInput as error:
        return _refused(request, DEALS_PAGE, error, back_url=numbers_url(scope.query))
    total = selectors.numbers_deals_total(deals)
    page = Paginator(deals, DEALS_PER_PAGE).get_page(request.GET.get("page"))
    currency = settings.BASE_CURRENCY
    rows = [
        DealRow(
            deal_id=row.deal.pk,
            title=row.deal.title,
            organization=row.deal.organization.name if row.deal.organization else "",
            owner=str(row.deal.owner),
            stage=row.deal.stage.name,
            value=money(row.deal.base_value, currency),
            probability=percent(float(row.probability)),
            source=str(_SOURCES[row.probability_source]),
            weighted=money(row.weighted_value, currency),
            day=(
                timezone.localdate(row.deal.won_at)
                if row.deal.won_at and number == "won"
                else row.deal.expected_close_date
            ),
        )
        for row in selectors.deals_behind(list(page.object_list))
    ]
    query = {"number": number, "period": period.label, **scope.query}
    start, end = _date(period.starts_on), _date(period.ends_on)
    return render(
        request,
        DEALS_PAGE,
        {
            "title": _NUMBER_TITLES[number] % {"period": period.label},
            "note": _NUMBER_NOTES[number] % {"start": start, "end": end},
            "whose": scope.label,
            "number": number,
            "rows": rows,
            "page": page,
            "page_url": f"{reverse('numbers:deals')}?{urlencode(query)}&page=",
            "total": total,
            "total_figures": {
                "deals": total.deals,
                "value": money(total.value, currency),
                "weighted": money(total.weighted_value, currency),
            },
            "back_url": numbers_url(scope.query, period.label),
        },
    )
