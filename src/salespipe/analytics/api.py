"""REST endpoints for the follow-up reports and a deal's suggestions (docs/api.md, docs/reports.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from salespipe.analytics import selectors
from salespipe.analytics.followups import MIN_GROUP_DEALS, ClosedDeals, FreemiumComparison, ResponseTimes
from salespipe.analytics.selectors import DealSuggestions, FreemiumStats, Report, ReportWindow
from salespipe.core.api_support import errors, request_user
from salespipe.deals.selectors import deal_get
from salespipe.people.api import TeamRef, UserRef

router = Router(tags=["reports"])
suggestions_router = Router(tags=["deals"])

# --- schemas --------------------------------------------------------------------------------------------


class WindowOut(Schema):
    start: dt.datetime = Field(description="The window's start: `end` minus `days`.")
    end: dt.datetime = Field(description="Now, when the report was made.")
    days: int


class ReportFilters(Schema):
    team_id: int | None = Field(None, description="Only this team's members, beside the team's total.")
    owner_id: int | None = Field(None, description="Only this person, beside their team's total.")


class ResponseTimeParams(ReportFilters):
    days: int = Field(
        selectors.RESPONSE_WINDOW_DAYS, description="Count requests answered in the last this many days."
    )


class FreemiumParams(ReportFilters):
    days: int = Field(
        selectors.FREEMIUM_WINDOW_DAYS, description="Count deals closed in the last this many days."
    )


class ResponseTimeStats(Schema):
    answered: int = Field(description="Requests answered in the window.")
    answered_on_time: int = Field(description="Of those, answered by their deadline (done_at <= due_at).")
    on_time_share: float | None = Field(description="answered_on_time / answered, 0-1; null when none.")
    median_response_minutes: float | None = Field(
        description="Median working minutes from the request to its answer; null when none."
    )
    open: int = Field(description="Requests waiting for an answer now, whenever they came in.")
    overdue: int = Field(description="Of those, past their deadline.")


class OwnerResponseTimes(ResponseTimeStats):
    owner: UserRef
    team_id: int | None


class TeamResponseTimes(ResponseTimeStats):
    team: TeamRef = Field(description="The team's total, over all its members.")


class ResponseTimesOut(Schema):
    window: WindowOut
    owners: list[OwnerResponseTimes] = Field(description="One line per person in view.")
    teams: list[TeamResponseTimes] = Field(description="One total per team in view.")
    total: ResponseTimeStats = Field(description="Everything in view together.")


class ClosedDealsOut(Schema):
    deals: int = Field(description="Won plus lost.")
    won: int
    lost: int
    win_rate: float | None = Field(description="won / (won + lost), 0-1; null without closed deals.")
    median_cycle_days: float | None = Field(description="Median days from creation to won, of the won ones.")
    too_small: bool = Field(description=f"Fewer than {MIN_GROUP_DEALS} deals: too few to draw a conclusion.")


class ComparisonOut(Schema):
    with_activity: ClosedDealsOut = Field(description="Deals with at least one done before they closed.")
    without_activity: ClosedDealsOut
    win_rate_difference: float | None = Field(description="Win rate with minus without (0.1 = 10 points).")
    cycle_difference_days: float | None = Field(description="Median cycle with minus without.")
    conclusive: bool = Field(description="Both groups are big enough to compare.")


class KindsOut(Schema):
    trial: ComparisonOut
    demo: ComparisonOut
    gift: ComparisonOut
    any: ComparisonOut = Field(description="A trial, a demo or a gift, whichever.")


class OwnerFreemiums(Schema):
    owner: UserRef
    team_id: int | None
    kinds: KindsOut


class TeamFreemiums(Schema):
    team: TeamRef
    kinds: KindsOut


class FreemiumsOut(Schema):
    window: WindowOut
    min_group_deals: int = Field(description="Groups smaller than this are flagged `too_small`.")
    owners: list[OwnerFreemiums]
    teams: list[TeamFreemiums]
    total: KindsOut


class BudgetSuggestionOut(Schema):
    amount: Decimal = Field(description="The median won value of the basis, in `currency`.")
    low: Decimal = Field(description="25th percentile.")
    high: Decimal = Field(description="75th percentile.")
    currency: str = Field(description="The base currency.")
    basis: Literal["organization", "industry_size", "pipeline"]
    sample_size: int = Field(description="How many won deals the figures come from.")


class CloseDateSuggestionOut(Schema):
    date: dt.date
    inputs: list[Literal["decision_date", "urgency", "stage"]] = Field(description="The deal's facts used.")
    basis: Literal["owner", "pipeline", "default"] = Field(description="Whose history gave `typical_days`.")
    sample_size: int
    typical_days: float = Field(
        description="Days from the decision date to signature, or from entering the stage to won."
    )
    late: bool = Field(description="The date so reckoned had passed, so today is suggested.")


class ProbingTopicOut(Schema):
    fact: Literal["decision_maker", "budget", "decision_date", "urgency"]
    label: str
    questions: list[str] = Field(description="Questions that hint around the fact, in your language.")


class DealSuggestionsOut(Schema):
    deal_id: int
    is_open: bool = Field(description="A closed deal gets no suggestions.")
    budget_known: bool
    budget: BudgetSuggestionOut | None = Field(
        description="Null when the budget is known or history too thin."
    )
    close_date: CloseDateSuggestionOut | None
    missing: list[Literal["decision_maker", "budget", "decision_date", "urgency"]]
    questions: list[ProbingTopicOut]


# --- answers --------------------------------------------------------------------------------------------


def _window(window: ReportWindow) -> dict[str, Any]:
    return {"start": window.start, "end": window.end, "days": window.days}


def _response_stats(stats: ResponseTimes) -> dict[str, Any]:
    return {
        "answered": stats.answered,
        "answered_on_time": stats.on_time,
        "on_time_share": stats.on_time_share,
        "median_response_minutes": stats.median_minutes,
        "open": stats.open,
        "overdue": stats.overdue,
    }


def response_times_body(report: Report[ResponseTimes]) -> dict[str, Any]:
    return {
        "window": _window(report.window),
        "owners": [
            {"owner": line.owner, "team_id": line.owner.team_id, **_response_stats(line.stats)}
            for line in report.owners
        ],
        "teams": [{"team": line.team, **_response_stats(line.stats)} for line in report.teams],
        "total": _response_stats(report.total),
    }


def _closed(group: ClosedDeals) -> dict[str, Any]:
    return {
        "deals": group.deals,
        "won": group.won,
        "lost": group.lost,
        "win_rate": group.win_rate,
        "median_cycle_days": group.median_cycle_days,
        "too_small": group.too_small,
    }


def _comparison(comparison: FreemiumComparison) -> dict[str, Any]:
    return {
        "with_activity": _closed(comparison.with_activity),
        "without_activity": _closed(comparison.without_activity),
        "win_rate_difference": comparison.win_rate_difference,
        "cycle_difference_days": comparison.cycle_difference_days,
        "conclusive": comparison.conclusive,
    }


def _kinds(stats: FreemiumStats) -> dict[str, Any]:
    return {kind: _comparison(comparison) for kind, comparison in stats.comparisons.items()}


def freemiums_body(report: Report[FreemiumStats]) -> dict[str, Any]:
    return {
        "window": _window(report.window),
        "min_group_deals": MIN_GROUP_DEALS,
        "owners": [
            {"owner": line.owner, "team_id": line.owner.team_id, "kinds": _kinds(line.stats)}
            for line in report.owners
        ],
        "teams": [{"team": line.team, "kinds": _kinds(line.stats)} for line in report.teams],
        "total": _kinds(report.total),
    }


def suggestions_body(suggestions: DealSuggestions) -> dict[str, Any]:
    budget = suggestions.budget
    close = suggestions.close_date
    return {
        "deal_id": suggestions.deal_id,
        "is_open": suggestions.is_open,
        "budget_known": suggestions.budget_known,
        "budget": None
        if budget is None
        else {
            "amount": budget.amount,
            "low": budget.low,
            "high": budget.high,
            "currency": suggestions.currency,
            "basis": budget.basis,
            "sample_size": budget.sample_size,
        },
        "close_date": None
        if close is None
        else {
            "date": close.date,
            "inputs": list(close.inputs),
            "basis": close.basis,
            "sample_size": close.sample_size,
            "typical_days": close.typical_days,
            "late": close.late,
        },
        "missing": suggestions.missing,
        "questions": [
            {"fact": topic.fact, "label": topic.label, "questions": list(topic.questions)}
            for topic in suggestions.questions
        ],
    }


# --- endpoints ------------------------------------------------------------------------------------------


@router.get(
    "/reports/response-times",
    response={200: ResponseTimesOut, **errors(404)},
    summary="Response times to information requests",
)
def report_response_times(request: HttpRequest, params: Query[ResponseTimeParams]) -> dict[str, Any]:
    """Per person and per team in view (a rep: themselves and their team's total; a manager: their teams'
    members and totals; an admin: everyone): requests answered in the window, their median response time
    in working minutes and the share answered by the deadline; requests open now and overdue."""
    report = selectors.response_time_report(
        actor=request_user(request), days=params.days, team_id=params.team_id, owner_id=params.owner_id
    )
    return response_times_body(report)


@router.get(
    "/reports/freemiums",
    response={200: FreemiumsOut, **errors(404)},
    summary="Trials, demos and gifts: win rate and cycle with and without",
)
def report_freemiums(request: HttpRequest, params: Query[FreemiumParams]) -> dict[str, Any]:
    """Deals won or lost in the window, per person and per team in view, split by whether a trial, a demo
    or a gift was done on them before they closed: win rate and median cycle with and without."""
    report = selectors.freemium_report(
        actor=request_user(request), days=params.days, team_id=params.team_id, owner_id=params.owner_id
    )
    return freemiums_body(report)


@suggestions_router.get(
    "/deals/{deal_id}/suggestions",
    response={200: DealSuggestionsOut, **errors(404)},
    summary="Budget, close date and probing questions for a deal",
)
def deal_suggestions(request: HttpRequest, deal_id: int) -> dict[str, Any]:
    """For an open deal: a budget from similar won deals while its own is unknown (the organization's past
    purchases, else its industry's, else the pipeline's), a close date from its decision date or its
    stage and urgency, and questions that hint around each fact still missing."""
    actor = request_user(request)
    deal = deal_get(actor=actor, deal_id=deal_id)
    return suggestions_body(selectors.deal_suggestions(actor=actor, deal=deal))
