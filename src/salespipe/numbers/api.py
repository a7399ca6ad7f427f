"""REST endpoints for My numbers and the deals behind each number (docs/api.md, docs/numbers.md).

`salespipe numbers --json` prints the same body (`numbers_body`, validated by `NumbersOut`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlencode

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from salespipe.analytics.forecast import PROBABILITY_SOURCES, FlowMonth
from salespipe.analytics.plan import Plan
from salespipe.core.api_support import PageParams, errors, page, request_user
from salespipe.numbers import selectors
from salespipe.numbers.selectors import Commission, NumbersReport, NumbersScope, OwnerNumbers
from salespipe.people.api import UserRef

router = Router(tags=["numbers"])

Money = str  # a decimal string with two places, in the base currency
Ratio = str  # a decimal string with four places, e.g. "0.9512" for 95.12 %


def _money(amount: Decimal | None) -> Money | None:
    return None if amount is None else f"{amount:.2f}"


def _ratio(value: Decimal | None) -> Ratio | None:
    return None if value is None else f"{value:.4f}"


# --- schemas ------------------------------------------------------------------------------------------------


class ScopeOut(Schema):
    kind: Literal["user", "team", "company"]
    name: str = Field(description="The username or team name; empty for the company.")
    label: str = Field(description="The person's full name, or the team's name.")


class PeriodOut(Schema):
    label: str = Field(description="`YYYY`, `YYYY-Qn` or `YYYY-MM`.")
    kind: Literal["month", "quarter", "year"]
    starts_on: dt.date
    ends_on: dt.date = Field(description="The period's last day.")


class SourceOut(Schema):
    value: Money = Field(description="Expected value from deals whose probability came from this source.")
    deals: int


class CountedMoney(Schema):
    value: Money
    deals: int


class CommissionOut(Schema):
    plans: list[str] = Field(description="The commission plans behind it; empty when none is assigned.")
    earned: Money = Field(description="On what is won in the period.")
    projected: Money = Field(
        description="On won + expected: what the period pays if the forecast comes true."
    )


class WeekOut(Schema):
    week_starts_on: dt.date = Field(description="A Monday.")
    deals: int
    appointments: int
    calls: int


class PlanOut(Schema):
    basis: Literal["own", "team", "company", "defaults"] = Field(
        description="Whose trailing-12-month history the rates come from: the first with enough closed deals."
    )
    win_rate: Ratio
    avg_won_value: Money | None = Field(description="Null when no history tells it.")
    cycle_days: int = Field(description="Median days from creation to won.")
    appointment_win_rate: Ratio = Field(description="Won share of closed deals that had a meeting held.")
    calls_per_appointment: str = Field(description="Calls made per meeting held.")
    wins_needed: int | None
    deals_needed: int | None = Field(description="New deals to open to close the gap.")
    appointments_needed: int | None
    calls_needed: int | None
    start_by: dt.date = Field(
        description="Period end minus the cycle: new deals opened later close too late."
    )
    closable: bool = Field(
        description="False when start_by has passed: the gap can no longer be closed from new deals."
    )
    weeks: list[WeekOut] = Field(description="The work spread over the weeks left before start_by.")


class FlowOut(Schema):
    month: str = Field(description="`YYYY-MM`.")
    won: Money = Field(description="Already won in the month (the current month only).")
    expected: Money = Field(description="Open deals expected to close in the month, weighted.")
    quota: Money | None = Field(description="The month's share of the quota.")
    share: Ratio | None = Field(description="(won + expected) / quota.")
    famine: bool = Field(description="share below FAMINE_THRESHOLD_PERCENT.")
    prospect_by: dt.date = Field(description="The month's first day minus the sales cycle.")


class MemberOut(Schema):
    user: UserRef
    quota: Money | None
    won: Money
    won_deals: int
    expected: Money
    gap: Money | None
    attainment: Ratio | None
    coverage: Ratio | None
    commission: CommissionOut | None


class NumbersOut(Schema):
    scope: ScopeOut
    period: PeriodOut
    as_of: dt.date = Field(description="Today in the company's time zone (TIME_ZONE).")
    currency: str = Field(description="The base currency every amount is in.")
    quota: Money | None = Field(description="Null when no quota is set.")
    quota_source: Literal["set", "members", "none"] = Field(
        description="`set`: set for this user or team; `members`: a team's members' quotas added up."
    )
    quota_deals: int | None = Field(description="Target number of won deals, when set.")
    won: Money
    won_deals: int
    expected: Money = Field(
        description="Σ value × win probability of open deals expected to close in the period."
    )
    expected_deals: int
    expected_by_source: dict[str, SourceOut] = Field(
        description="The part of `expected` from each probability source: override, empirical, stage_default."
    )
    open_value: Money = Field(description="The same open deals, unweighted.")
    undated: CountedMoney = Field(description="Open deals without an expected close date: in no period.")
    overdue: CountedMoney = Field(
        description="Open deals past their expected close date (any period): update or close them."
    )
    gap: Money | None = Field(description="max(0, quota − won − expected); null without a quota.")
    attainment: Ratio | None = Field(description="won / quota.")
    coverage: Ratio | None = Field(description="open_value / (quota − won); null when nothing remains.")
    commission: CommissionOut
    plan: PlanOut
    flow: list[FlowOut]
    members: list[MemberOut] = Field(description="A team's or the company's people, one line each.")
    links: dict[str, str] = Field(
        description="API paths of the deals behind won, expected, open, undated and overdue."
    )


class NumbersParams(Schema):
    user: str | None = Field(None, description="A username; leave all out for your own numbers.")
    team: str | None = Field(None, description="A team name (its manager or an admin).")
    company: bool = Field(False, description="The whole company (admins).")
    period: str | None = Field(
        None, description="`2026`, `2026-Q4` or `2026-11`; default the current quarter."
    )


class DealsParams(NumbersParams, PageParams):
    number: Literal["won", "expected", "open", "undated", "overdue"]


class DealBehindOut(Schema):
    id: int
    title: str
    owner: UserRef
    stage: str
    status: str
    value: Money = Field(description="In the deal's own currency.")
    currency: str
    base_value: Money = Field(description="In the base currency.")
    probability: Ratio = Field(description="The win probability the numbers used, 0–1 (1 for won deals).")
    probability_source: Literal["override", "empirical", "stage_default", "won"]
    weighted_value: Money
    expected_close_date: dt.date | None
    won_at: dt.datetime | None


class DealsBehindPage(Schema):
    items: list[DealBehindOut]
    next_cursor: str | None


# --- bodies -------------------------------------------------------------------------------------------------


def _commission(commission: Commission | None) -> dict[str, Any]:
    if commission is None:
        return {"plans": [], "earned": "0.00", "projected": "0.00"}
    return {
        "plans": list(commission.plans),
        "earned": _money(commission.earned),
        "projected": _money(commission.projected),
    }


def _plan(plan: Plan | None) -> dict[str, Any]:
    assert plan is not None, "My numbers' API and CLI ask for their report with the outlook"
    rates = plan.rates
    return {
        "basis": rates.basis,
        "win_rate": _ratio(rates.win_rate),
        "avg_won_value": _money(rates.avg_won_value),
        "cycle_days": rates.cycle_days,
        "appointment_win_rate": _ratio(rates.appointment_win_rate),
        "calls_per_appointment": f"{rates.calls_per_appointment:.2f}",
        "wins_needed": plan.wins_needed,
        "deals_needed": plan.deals_needed,
        "appointments_needed": plan.appointments_needed,
        "calls_needed": plan.calls_needed,
        "start_by": plan.start_by,
        "closable": plan.closable,
        "weeks": [
            {
                "week_starts_on": week.week_starts_on,
                "deals": week.deals,
                "appointments": week.appointments,
                "calls": week.calls,
            }
            for week in plan.weeks
        ],
    }


def _flow(month: FlowMonth) -> dict[str, Any]:
    return {
        "month": f"{month.month:%Y-%m}",
        "won": _money(month.won),
        "expected": _money(month.expected),
        "quota": _money(month.quota),
        "share": _ratio(month.share),
        "famine": month.famine,
        "prospect_by": month.prospect_by,
    }


def _member(line: OwnerNumbers) -> dict[str, Any]:
    return {
        "user": line.user,
        "quota": _money(line.quota.value),
        "won": _money(line.won),
        "won_deals": line.won_deals,
        "expected": _money(line.expected),
        "gap": _money(line.numbers.gap),
        "attainment": _ratio(line.numbers.attainment),
        "coverage": _ratio(line.numbers.coverage),
        "commission": None if line.commission is None else _commission(line.commission),
    }


def deals_link(scope: NumbersScope, period_label: str, number: str) -> str:
    return "/api/v1/numbers/deals?" + urlencode({**scope.query, "period": period_label, "number": number})


def numbers_body(report: NumbersReport) -> dict[str, Any]:
    period, expected = report.period, report.expected
    return {
        "scope": {"kind": report.scope.kind, "name": report.scope.name, "label": report.scope.label},
        "period": {
            "label": period.label,
            "kind": period.kind,
            "starts_on": period.starts_on,
            "ends_on": period.ends_on,
        },
        "as_of": report.today,
        "currency": report.currency,
        "quota": _money(report.quota.value),
        "quota_source": report.quota.source,
        "quota_deals": report.quota.deals,
        "won": _money(report.won),
        "won_deals": report.won_deals,
        "expected": _money(expected.total),
        "expected_deals": report.open_deals,
        "expected_by_source": {
            source: {"value": _money(expected.by_source[source]), "deals": expected.deals_by_source[source]}
            for source in PROBABILITY_SOURCES
        },
        "open_value": _money(report.open_value),
        "undated": {"value": _money(report.undated_value), "deals": report.undated_deals},
        "overdue": {"value": _money(report.overdue_value), "deals": report.overdue_deals},
        "gap": _money(report.numbers.gap),
        "attainment": _ratio(report.numbers.attainment),
        "coverage": _ratio(report.numbers.coverage),
        "commission": _commission(report.commission),
        "plan": _plan(report.plan),
        "flow": [_flow(month) for month in report.flow],
        "members": [_member(line) for line in report.members],
        "links": {number: deals_link(report.scope, period.label, number) for number in selectors.NUMBERS},
    }


# --- endpoints ----------------------------------------------------------------------------------------------


@router.get("/numbers", response={200: NumbersOut, **errors(404, 422)}, summary="My numbers")
def numbers(request: HttpRequest, params: Query[NumbersParams]) -> dict[str, Any]:
    """Won, expected and gap against the quota for a user, a team or the company and a period, with
    attainment, coverage, commission, the reverse-funnel plan and the flow of the next six months. The
    formulas are in docs/numbers.md; `links` lead to the deals behind each number."""
    actor = request_user(request)
    scope = selectors.numbers_scope(actor=actor, user=params.user, team=params.team, company=params.company)
    period = selectors.numbers_period(params.period, today=selectors.company_today())
    return numbers_body(selectors.numbers_report(actor=actor, scope=scope, period=period))


@router.get(
    "/numbers/deals", response={200: DealsBehindPage, **errors(404, 422)}, summary="The deals behind a number"
)
def numbers_deals(request: HttpRequest, params: Query[DealsParams]) -> dict[str, Any]:
    """The deals behind `won`, `expected`, `open`, `undated` or `overdue`, newest first, each with the win
    probability the numbers used and its source."""
    actor = request_user(request)
    scope = selectors.numbers_scope(actor=actor, user=params.user, team=params.team, company=params.company)
    period = selectors.numbers_period(params.period, today=selectors.company_today())
    found = page(
        selectors.numbers_deals(scope=scope, period=period, number=params.number),
        cursor=params.cursor,
        limit=params.limit,
    )
    return {
        "items": [
            {
                "id": row.deal.pk,
                "title": row.deal.title,
                "owner": row.deal.owner,
                "stage": row.deal.stage.name,
                "status": row.deal.status,
                "value": _money(row.deal.value),
                "currency": row.deal.currency,
                "base_value": _money(row.deal.base_value),
                "probability": _ratio(row.probability.quantize(Decimal("0.0001"))),
                "probability_source": row.probability_source,
                "weighted_value": _money(row.weighted_value),
                "expected_close_date": row.deal.expected_close_date,
                "won_at": row.deal.won_at,
            }
            for row in selectors.deals_behind(found["items"])
        ],
        "next_cursor": found["next_cursor"],
    }
