"""The team dashboard (`/team/`) and the leaderboard (`/team/leaderboard/`), for managers and admins.

`/team/` shows a line per member of a team with their numbers for the period, their activity this week,
rotting deals, open information requests, weakest step, local time and working-hours overlap with the
viewer, and their first advice item; the team's funnel and its won value per month against the quota.
Columns sort through `?sort=` links (`-attainment`: highest first), so sorting needs no JavaScript;
team.js only draws the two charts from the figures the page already shows in tables, passed with
`json_script` because the CSP forbids inline scripts. A rep has no team dashboard: they are sent to their
own numbers. The figures come from `coaching.dashboard`; this module only words and formats them.

`/team/advice/<username>/` lists a person's advice (`coaching.selectors.advice_for`); the dashboard's
advice column asks it, through htmx, for each rep's first item once the row is on screen, since the advice
engine works one person at a time. Without JavaScript the column links to that page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET

from salespipe.analytics import funnel
from salespipe.analytics.funnel import WeakStep
from salespipe.analytics.periods import Period
from salespipe.analytics.views import money, percent
from salespipe.coaching import dashboard, selectors
from salespipe.coaching.dashboard import Overlap, RepLine, TeamDashboard
from salespipe.core.errors import InvalidInput, NotFound
from salespipe.core.web import actor_of, is_fragment_request, view_url
from salespipe.numbers import selectors as numbers
from salespipe.numbers.period_nav import period_nav
from salespipe.people.models import Role, Team, User

PAGE = "coaching/team.html"
LEADERBOARD_PAGE = "coaching/leaderboard.html"
ADVICE_PAGE = "coaching/advice.html"
DEFAULT_SORT = "name"


# --- presentation ---------------------------------------------------------------------------------------


def _locale() -> str:
    return translation.to_locale(translation.get_language() or "en")


def _money(amount: Decimal | None, currency: str) -> str:
    return "—" if amount is None else money(amount, currency)


def _percent(value: Decimal | float | None) -> str:
    return percent(None if value is None else float(value))


def _coverage(ratio: Decimal | None) -> str:
    if ratio is None:
        return "—"
    return _("%(ratio)s×") % {"ratio": format_decimal(ratio, format="#,##0.0", locale=_locale())}


def _duration(value: dt.timedelta) -> str:
    """Hours and minutes: 3 h 30 min, 45 min, 0 h."""
    minutes = int(value.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    if minutes:
        return _("%(minutes)s min") % {"minutes": minutes}
    return _("%(hours)s h") % {"hours": hours}


def _clock(moment: dt.datetime) -> str:
    return formats.time_format(moment, "TIME_FORMAT")


def _month(value: dt.date) -> str:
    return formats.date_format(value, "YEAR_MONTH_FORMAT")


def _offset(theirs: dt.datetime, mine: dt.datetime) -> str:
    """How far their clock is from mine: "+7 h", "−1 h 30 min", "" when the same."""
    difference = (theirs.utcoffset() or dt.timedelta(0)) - (mine.utcoffset() or dt.timedelta(0))
    if not difference:
        return ""
    sign = "+" if difference > dt.timedelta(0) else "−"
    return sign + _duration(abs(difference))


# --- links ----------------------------------------------------------------------------------------------


def team_url(name: str = "team", **query: str) -> str:
    """The dashboard (`team`) or the leaderboard (`leaderboard`) with the query's non-empty values."""
    params = {key: value for key, value in query.items() if value}
    base = view_url(f"coaching:{name}")
    return f"{base}?{urlencode(params)}" if params else base


def _numbers_url(user: User, period: str) -> str:
    return f"{view_url('numbers:numbers')}?{urlencode({'user': user.username, 'period': period})}"


def _board_url(user: User) -> str:
    return f"{view_url('deals:board')}?{urlencode({'owner': user.pk})}"


def _advice_url(user: User) -> str:
    return reverse("coaching:advice", args=[user.username])


# --- the request ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Asked:
    team: Team
    teams: list[Team]
    period: Period
    today: dt.date


def _asked(request: HttpRequest, actor: User, teams: list[Team]) -> Asked:
    """The team and period the query names. A team the actor may not open is a 404; a period that is not
    one is InvalidInput."""
    try:
        team = dashboard.dashboard_team(actor=actor, name=request.GET.get("team") or None, teams=teams)
    except NotFound as error:
        raise Http404(error.message) from None
    today = numbers.company_today()
    period = numbers.numbers_period(request.GET.get("period") or None, today=today)
    return Asked(team, teams, period, today)


def _without_team(request: HttpRequest, template: str, actor: User, teams: list[Team]) -> HttpResponse | None:
    """A rep goes to their own numbers; a manager of no team gets the page saying so."""
    if actor.role == Role.REP:
        return HttpResponseRedirect(reverse("numbers:numbers"))
    if not teams and not request.GET.get("team"):
        return render(
            request,
            template,
            {
                "empty": _(
                    "You manage no team yet: an administrator makes you a team's manager in the settings."
                )
            },
        )
    return None


def _refused(request: HttpRequest, template: str, error: InvalidInput, page: str) -> HttpResponse:
    return render(
        request,
        template,
        {"error": error.message, "back_url": team_url(page, team=request.GET.get("team", ""))},
        status=422,
    )


# --- the dashboard --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    note: str  # what the column counts (the header's title)
    url: str  # the link that sorts by it (the other way round when it is the current sort)
    sorted: str  # "ascending", "descending" or "" (aria-sort)
    number: bool = True


_COLUMNS: list[tuple[str, Any, Any, bool]] = [
    ("name", gettext_lazy("Rep"), "", False),
    ("attainment", gettext_lazy("Attainment"), gettext_lazy("Won ÷ quota in the period"), True),
    ("expected", gettext_lazy("Expected"), gettext_lazy("Open deals closing in the period, weighted"), True),
    ("gap", gettext_lazy("Gap"), gettext_lazy("Quota − won − expected: to build from new deals"), True),
    (
        "coverage",
        gettext_lazy("Coverage"),
        gettext_lazy("Open value in the period ÷ what is left of the quota"),
        True,
    ),
    ("commission", gettext_lazy("Commission"), gettext_lazy("Earned on what is won in the period"), True),
    (
        "booked",
        gettext_lazy("Booked"),
        gettext_lazy("Meetings and demos planned this week / next week"),
        True,
    ),
    ("calls", gettext_lazy("Calls"), gettext_lazy("Calls made this week"), True),
    ("meetings", gettext_lazy("Meetings"), gettext_lazy("Meetings and demos held this week"), True),
    (
        "rotting",
        gettext_lazy("Rotting"),
        gettext_lazy("Open deals with no progress for their stage's rotting days"),
        True,
    ),
    (
        "requests",
        gettext_lazy("Requests"),
        gettext_lazy("Open information requests (past their deadline)"),
        True,
    ),
    (
        "weakest",
        gettext_lazy("Weakest step"),
        gettext_lazy("Where they convert surely worse than the team"),
        False,
    ),
    (
        "overlap",
        gettext_lazy("Local time"),
        gettext_lazy("Their time now, and the hours you both work today"),
        False,
    ),
]
# Where a click on a column starts: names A to Z, everything else the biggest first.
_ASCENDING_FIRST = {"name"}


def _sort_of(request: HttpRequest) -> str:
    sort = request.GET.get("sort") or DEFAULT_SORT
    return sort if sort.removeprefix("-") in dashboard.SORTS else DEFAULT_SORT


def _columns(sort: str, query: dict[str, str]) -> list[Column]:
    current, descending = sort.removeprefix("-"), sort.startswith("-")
    columns = []
    for key, label, note, is_number in _COLUMNS:
        if key == current:
            following = key if descending else f"-{key}"
            state = "descending" if descending else "ascending"
        else:
            following = key if key in _ASCENDING_FIRST else f"-{key}"
            state = ""
        url = team_url("team", **query, sort=following)
        columns.append(Column(key, str(label), str(note), url, state, is_number))
    return columns


@dataclass(frozen=True)
class RepRow:
    name: str
    yours: bool
    numbers_url: str
    board_url: str
    advice_url: str
    attainment: str
    attainment_fill: int  # percent of the bar, capped at 100
    won: str
    quota: str
    expected: str
    gap: str
    coverage: str
    commission: str
    booked_this_week: int
    booked_next_week: int
    calls: int
    meetings: int
    open_deals: int
    rotting: int
    requests: int
    overdue_requests: int
    weakest: str
    weakest_evidence: str
    weakest_hint: str  # the skill to coach
    local_time: str
    local_offset: str
    at_work: bool
    overlap: str
    overlap_windows: str


# What a weak step asks the manager to coach (PRODUCT.md, practice 11).
SKILL_HINTS = {
    funnel.OPENING: gettext_lazy("Opening: a reason to talk and a first question that earns the next call."),
    funnel.QUALIFYING: gettext_lazy(
        "Qualifying: find the decision maker and confirm their authority before anything else."
    ),
    funnel.BOOKING: gettext_lazy(
        "Booking appointments: ask for the meeting once the decision maker is confirmed."
    ),
    funnel.PRESENTING: gettext_lazy(
        "Demos and presentations: present to the decision maker; offer a demo or a trial."
    ),
    funnel.CLOSING: gettext_lazy(
        "Closing: ask for the decision, probe budget and timeline, answer objections."
    ),
}


def _evidence(step: WeakStep) -> str:
    comparison = step.comparison
    low, high = comparison.interval
    return _(
        "%(stage)s → %(next)s: %(successes)s of %(trials)s (%(rate)s, 95%% interval %(low)s–%(high)s) "
        "against %(team_successes)s of %(team_trials)s (%(team_rate)s) for the rest of the team; "
        "%(sure)s sure it is lower."
    ) % {
        "stage": step.stage,
        "next": step.next_stage,
        "successes": comparison.successes,
        "trials": comparison.trials,
        "rate": _percent(comparison.rate),
        "low": _percent(low),
        "high": _percent(high),
        "team_successes": comparison.team_successes,
        "team_trials": comparison.team_trials,
        "team_rate": _percent(comparison.team_rate),
        "sure": _percent(comparison.probability_below),
    }


def _overlap_windows(overlap: Overlap) -> str:
    return ", ".join(f"{_clock(start)}–{_clock(end)}" for start, end in overlap.windows)


def _row(line: RepLine, board: TeamDashboard, actor: User) -> RepRow:
    currency, report = board.currency, line.numbers
    three = report.numbers
    viewer_now = board.now.astimezone(board.viewer_hours.zone)
    local = line.local_now
    local_time = _clock(local)
    if local.date() != viewer_now.date():
        local_time = f"{formats.date_format(local, 'D')} {local_time}"
    step = line.weakest_step
    return RepRow(
        name=str(line.user),
        yours=line.user.pk == actor.pk,
        numbers_url=_numbers_url(line.user, board.period.label),
        board_url=_board_url(line.user),
        advice_url=_advice_url(line.user),
        attainment=_percent(three.attainment),
        attainment_fill=0 if three.attainment is None else min(100, round(float(three.attainment) * 100)),
        won=money(report.won, currency),
        quota=_money(report.quota.value, currency),
        expected=money(report.expected, currency),
        gap=_money(three.gap, currency),
        coverage=_coverage(three.coverage),
        commission=_money(report.commission.earned, currency) if report.commission else "—",
        booked_this_week=line.activity.booked_this_week,
        booked_next_week=line.activity.booked_next_week,
        calls=line.activity.calls_done,
        meetings=line.activity.meetings_done,
        open_deals=line.health.open_deals,
        rotting=line.health.rotting_deals,
        requests=line.activity.info_requests,
        overdue_requests=line.activity.info_requests_overdue,
        weakest=f"{step.stage} → {step.next_stage}" if step else "—",
        weakest_evidence=_evidence(step) if step else "",
        weakest_hint=str(SKILL_HINTS[step.skill]) if step else "",
        local_time=local_time,
        local_offset=_offset(local, viewer_now),
        at_work=line.at_work,
        overlap=_duration(line.overlap.total),
        overlap_windows=_overlap_windows(line.overlap),
    )


def _summary(board: TeamDashboard) -> dict[str, str]:
    report, currency = board.report, board.currency
    three = report.numbers
    return {
        "quota": _money(three.quota, currency),
        "won": money(report.won, currency),
        "expected": money(three.expected, currency),
        "gap": _money(three.gap, currency),
        "attainment": _percent(three.attainment),
        "coverage": _coverage(three.coverage),
        "commission": _money(report.commission.earned, currency) if report.commission else "—",
    }


@dataclass(frozen=True)
class FunnelRow:
    name: str
    open_deals: int
    open_value: str
    entered: int
    advanced: int
    conversion: str


@dataclass(frozen=True)
class TrendRow:
    label: str
    won: str
    won_deals: int
    quota: str
    share: str


def _charts(board: TeamDashboard) -> dict[str, Any]:
    """What team.js draws: the same figures as the funnel and trend tables, with the words it needs."""
    return {
        "currency": board.currency,
        "locale": translation.get_language() or "en",
        "funnel": {
            "labels": [stage.name for stage in board.funnel],
            "entered": [stage.entered for stage in board.funnel],
            "advanced": [stage.advanced for stage in board.funnel],
            "open": [stage.open_deals for stage in board.funnel],
        },
        "trend": {
            "labels": [_month(month.month) for month in board.trend],
            "won": [float(month.won) for month in board.trend],
            "quota": [None if month.quota is None else float(month.quota) for month in board.trend],
        },
        "text": {
            "entered": _("Entered"),
            "advanced": _("Went further"),
            "open": _("Open now"),
            "won": _("Won"),
            "quota": _("Monthly quota"),
        },
    }


@require_GET
def team_page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    teams = dashboard.dashboard_teams(actor=actor)
    if (early := _without_team(request, PAGE, actor, teams)) is not None:
        return early
    try:
        asked = _asked(request, actor, teams)
    except InvalidInput as error:
        return _refused(request, PAGE, error, "team")
    sort = _sort_of(request)
    board = dashboard.team_dashboard(actor=actor, team=asked.team, teams=asked.teams, period=asked.period)
    currency = board.currency
    query = {"team": asked.team.name, "period": asked.period.label}
    lines = dashboard.sort_lines(board.lines, sort)
    context = {
        "title": _("Team %(team)s") % {"team": asked.team.name},
        "board": board,
        "team": asked.team,
        "teams": asked.teams if len(asked.teams) > 1 or actor.is_admin else [],
        "period": asked.period,
        "sort": sort,
        "nav": period_nav(
            asked.period,
            asked.today,
            lambda label: team_url("team", team=asked.team.name, sort=sort, period=label),
        ),
        "summary": _summary(board),
        "columns": _columns(sort, query),
        "rows": [_row(line, board, actor) for line in lines],
        "funnel": [
            FunnelRow(
                name=stage.name,
                open_deals=stage.open_deals,
                open_value=money(stage.open_value, currency),
                entered=stage.entered,
                advanced=stage.advanced,
                conversion=_percent(stage.conversion),
            )
            for stage in board.funnel
        ],
        "trend": [
            TrendRow(
                label=_month(month.month),
                won=money(month.won, currency),
                won_deals=month.won_deals,
                quota=_money(month.quota, currency),
                share=_percent(None if not month.quota else month.won / month.quota),
            )
            for month in board.trend
        ],
        "charts": _charts(board),
        "window_days": board.funnel_window_days,
        "weakness_days": dashboard.WEAKNESS_WINDOW_DAYS,
        "viewer_zone": board.viewer_hours.zone.key,
        "team_numbers_url": f"{reverse('numbers:numbers')}?{urlencode(query)}",
        "leaderboard_url": team_url("leaderboard", **query),
    }
    return render(request, PAGE, context)


# --- the leaderboard ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankRow:
    rank: int
    name: str
    yours: bool
    numbers_url: str
    attainment: str
    attainment_fill: int
    won: str
    won_deals: int
    quota: str
    expected: str


@require_GET
def leaderboard_page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    teams = dashboard.dashboard_teams(actor=actor)
    if (early := _without_team(request, LEADERBOARD_PAGE, actor, teams)) is not None:
        return early
    try:
        asked = _asked(request, actor, teams)
    except InvalidInput as error:
        return _refused(request, LEADERBOARD_PAGE, error, "leaderboard")
    report = dashboard.team_numbers(actor=actor, team=asked.team, period=asked.period)
    currency = report.currency
    query = {"team": asked.team.name, "period": asked.period.label}
    rows = []
    for ranked in dashboard.leaderboard(report.members):
        line = ranked.line
        attainment = line.numbers.attainment
        rows.append(
            RankRow(
                rank=ranked.rank,
                name=str(line.user),
                yours=line.user.pk == actor.pk,
                numbers_url=_numbers_url(line.user, asked.period.label),
                attainment=_percent(attainment),
                attainment_fill=0 if attainment is None else min(100, round(float(attainment) * 100)),
                won=money(line.won, currency),
                won_deals=line.won_deals,
                quota=_money(line.quota.value, currency),
                expected=money(line.expected, currency),
            )
        )
    without_quota = sum(1 for line in report.members if line.numbers.attainment is None)
    context = {
        "title": _("Leaderboard: team %(team)s") % {"team": asked.team.name},
        "team": asked.team,
        "teams": asked.teams if len(asked.teams) > 1 or actor.is_admin else [],
        "period": asked.period,
        "currency": currency,
        "nav": period_nav(
            asked.period,
            asked.today,
            lambda label: team_url("leaderboard", team=asked.team.name, period=label),
        ),
        "rows": rows,
        "dashboard_url": team_url("team", **query),
        "without_quota": (
            ngettext(
                "%(count)s person has no quota for the period: ranked after the others, by won value.",
                "%(count)s people have no quota for the period: ranked after the others, by won value.",
                without_quota,
            )
            % {"count": without_quota}
            if without_quota
            else ""
        ),
    }
    return render(request, LEADERBOARD_PAGE, context)


# --- a person's advice ----------------------------------------------------------------------------------

_SEVERITIES = {
    "high": gettext_lazy("Urgent"),
    "medium": gettext_lazy("Important"),
    "low": gettext_lazy("Worth a look"),
}


@dataclass(frozen=True)
class AdviceRow:
    code: str
    severity: str
    severity_label: str
    message: str


@require_GET
def advice_page(request: HttpRequest, username: str) -> HttpResponse:
    """Everything the advice engine says for one person, most important first; for htmx, only the first
    item (the dashboard's advice cell). Someone the actor may not see is a 404."""
    actor = actor_of(request)
    try:
        advice = selectors.advice_for(actor=actor, username=username)
    except NotFound as error:
        raise Http404(error.message) from None
    items = [
        AdviceRow(item.code, item.severity, str(_SEVERITIES.get(item.severity, item.severity)), item.message)
        for item in advice.items
    ]
    context = {
        "title": _("Advice for %(name)s") % {"name": advice.user},
        "advice": advice,
        "items": items,
        "top": items[0] if items else None,
        "numbers_url": _numbers_url(advice.user, numbers.numbers_period(None, today=advice.as_of).label),
        "board_url": _board_url(advice.user),
        "advice_url": _advice_url(advice.user),
        "api_url": f"/api/v1/advice?{urlencode({'user': advice.user.username})}",
    }
    if is_fragment_request(request):
        return render(request, f"{ADVICE_PAGE}#top", context)
    return render(request, ADVICE_PAGE, context)
