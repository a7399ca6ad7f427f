"""REST endpoint of the team dashboard: the same lines as `/team/`, as JSON (docs/api.md, docs/team.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from salespipe.coaching import dashboard
from salespipe.coaching.dashboard import RepLine, TeamDashboard
from salespipe.core.api_support import errors, request_user
from salespipe.numbers import selectors as numbers
from salespipe.numbers.api import PeriodOut
from salespipe.people.api import TeamRef, UserRef

router = Router(tags=["team"])

Money = str  # a decimal string with two places, in the base currency
Ratio = str  # a decimal string with four places


def _money(amount: Decimal | None) -> Money | None:
    return None if amount is None else f"{amount:.2f}"


def _ratio(value: Decimal | float | None) -> Ratio | None:
    return None if value is None else f"{Decimal(str(value)):.4f}"


# --- schemas ------------------------------------------------------------------------------------------------


class TeamParams(Schema):
    team: str | None = Field(
        None, description="A team name: one you manage (any for an admin); default your first by name."
    )
    period: str | None = Field(
        None, description="`2026`, `2026-Q4` or `2026-11`; default the current quarter."
    )
    sort: str = Field(
        "name",
        description="The members' order: a column (`name`, `attainment`, `won`, `expected`, `gap`, "
        "`coverage`, `commission`, `booked`, `calls`, `meetings`, `rotting`, `requests`, `weakest`, "
        "`local_time`, `overlap`), `-` first for the highest first (`-attainment`); missing figures last.",
        pattern=r"^-?(" + "|".join(dashboard.SORTS) + ")$",
    )


class TotalsOut(Schema):
    quota: Money | None
    won: Money
    expected: Money
    gap: Money | None
    attainment: Ratio | None
    coverage: Ratio | None
    commission_earned: Money | None


class WeakStepOut(Schema):
    stage: str = Field(description="The stage deals entered …")
    next_stage: str = Field(description="… and the next one they did or did not reach (or beyond).")
    successes: int = Field(description="The rep's deals that went further.")
    trials: int = Field(description="The rep's deals that entered the stage in the window.")
    rate: Ratio | None
    interval: list[Ratio] = Field(description="Wilson 95 % interval of the rep's rate: [low, high].")
    team_successes: int = Field(description="The rest of the team's, the rep left out.")
    team_trials: int
    team_rate: Ratio | None
    probability_below: Ratio = Field(description="How sure it is that the rep's rate is below the team's.")
    skill: Literal["opening", "qualifying", "booking", "presenting", "closing"] = Field(
        description="What to coach: the first step is the opening; before the appointment stage, "
        "qualifying the decision maker; into it, booking appointments; out of it, demos and presentations; "
        "after it, closing."
    )


class OverlapOut(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime


class MemberOut(Schema):
    user: UserRef
    quota: Money | None
    won: Money
    won_deals: int
    expected: Money
    gap: Money | None
    attainment: Ratio | None
    coverage: Ratio | None
    commission_earned: Money | None = Field(description="Null when no commission plan is assigned.")
    appointments_this_week: int = Field(description="Meetings and demos planned this week (their calendar).")
    appointments_next_week: int
    calls_this_week: int = Field(description="Calls made this week.")
    meetings_this_week: int = Field(description="Meetings and demos held this week.")
    open_deals: int
    rotting_deals: int = Field(description="Open deals with no progress for their stage's rotting days.")
    info_requests_open: int
    info_requests_overdue: int = Field(description="Open information requests past their deadline.")
    weakest_step: WeakStepOut | None = Field(description="Null when no step is significantly weak.")
    time_zone: str
    local_time: dt.datetime = Field(description="Now, on the person's clock (with its UTC offset).")
    at_work: bool = Field(description="Inside their working hours now.")
    overlap_minutes: int = Field(description="Minutes of your working day today when they are at work too.")
    overlap: list[OverlapOut] = Field(description="Those stretches, in your time zone.")
    links: dict[str, str] = Field(
        description="`numbers` and `board`: their pages; `advice`: their advice (`GET /api/v1/advice`)."
    )


class TeamOut(Schema):
    team: TeamRef
    period: PeriodOut
    as_of: dt.date = Field(description="Today in the company's time zone (TIME_ZONE).")
    currency: str
    totals: TotalsOut = Field(description="The team's own numbers for the period.")
    members: list[MemberOut]


# --- the body -----------------------------------------------------------------------------------------------


def _member(line: RepLine, board: TeamDashboard) -> dict[str, Any]:
    report, step = line.numbers, line.weakest_step
    three = report.numbers
    comparison = step.comparison if step else None
    user = line.user
    numbers_query = urlencode({"user": user.username, "period": board.period.label})
    return {
        "user": user,
        "quota": _money(report.quota.value),
        "won": _money(report.won),
        "won_deals": report.won_deals,
        "expected": _money(report.expected),
        "gap": _money(three.gap),
        "attainment": _ratio(three.attainment),
        "coverage": _ratio(three.coverage),
        "commission_earned": _money(report.commission.earned) if report.commission else None,
        "appointments_this_week": line.activity.booked_this_week,
        "appointments_next_week": line.activity.booked_next_week,
        "calls_this_week": line.activity.calls_done,
        "meetings_this_week": line.activity.meetings_done,
        "open_deals": line.health.open_deals,
        "rotting_deals": line.health.rotting_deals,
        "info_requests_open": line.activity.info_requests,
        "info_requests_overdue": line.activity.info_requests_overdue,
        "weakest_step": None
        if step is None or comparison is None
        else {
            "stage": step.stage,
            "next_stage": step.next_stage,
            "successes": comparison.successes,
            "trials": comparison.trials,
            "rate": _ratio(comparison.rate),
            "interval": [_ratio(bound) for bound in comparison.interval],
            "team_successes": comparison.team_successes,
            "team_trials": comparison.team_trials,
            "team_rate": _ratio(comparison.team_rate),
            "probability_below": _ratio(comparison.probability_below),
            "skill": step.skill,
        },
        "time_zone": user.time_zone,
        "local_time": line.local_now.replace(microsecond=0),
        "at_work": line.at_work,
        "overlap_minutes": int(line.overlap.total.total_seconds() // 60),
        "overlap": [{"starts_at": start, "ends_at": end} for start, end in line.overlap.windows],
        "links": {
            "numbers": f"{reverse('numbers:numbers')}?{numbers_query}",
            "board": f"{reverse('deals:board')}?{urlencode({'owner': user.pk})}",
            "advice": f"/api/v1/advice?{urlencode({'user': user.username})}",
        },
    }


def team_body(board: TeamDashboard, *, sort: str = "name") -> dict[str, Any]:
    report, period = board.report, board.period
    three = report.numbers
    return {
        "team": board.team,
        "period": {
            "label": period.label,
            "kind": period.kind,
            "starts_on": period.starts_on,
            "ends_on": period.ends_on,
        },
        "as_of": report.today,
        "currency": board.currency,
        "totals": {
            "quota": _money(three.quota),
            "won": _money(report.won),
            "expected": _money(three.expected),
            "gap": _money(three.gap),
            "attainment": _ratio(three.attainment),
            "coverage": _ratio(three.coverage),
            "commission_earned": _money(report.commission.earned) if report.commission else None,
        },
        "members": [_member(line, board) for line in dashboard.sort_lines(board.lines, sort)],
    }


# --- the endpoint -------------------------------------------------------------------------------------------


@router.get("/team", response={200: TeamOut, **errors(404, 422)}, summary="The team dashboard")
def team(request: HttpRequest, params: Query[TeamParams]) -> dict[str, Any]:
    """A line per member of a team you manage (any team for an admin) for a period: attainment, expected,
    gap, coverage and commission earned; appointments planned this week and next, calls and meetings done
    this week; open and rotting deals; open and overdue information requests; the weakest step with its
    evidence; local time, whether they are at work and the working hours you share today; links to their
    numbers, board and advice. A rep, or a team you may not see, is a 404. docs/team.md has the
    definitions."""
    actor = request_user(request)
    teams = dashboard.dashboard_teams(actor=actor)
    chosen = dashboard.dashboard_team(actor=actor, name=params.team, teams=teams)
    period = numbers.numbers_period(params.period, today=numbers.company_today())
    board = dashboard.team_dashboard(actor=actor, team=chosen, teams=teams, period=period, with_charts=False)
    return team_body(board, sort=params.sort)
