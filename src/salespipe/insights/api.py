"""REST endpoint for Insights: the pipeline's funnel and what the Insights page shows (docs/api.md,
docs/insights.md)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from salespipe.analytics import funnel
from salespipe.analytics.api import KindsOut, WindowOut
from salespipe.analytics.followups import MIN_GROUP_DEALS, ClosedDeals, FreemiumComparison
from salespipe.core.api_support import errors, request_user
from salespipe.insights import selectors
from salespipe.insights.selectors import PipelineInsights
from salespipe.people.api import TeamRef, UserRef

router = Router(tags=["insights"])

Money = str  # a decimal string with two places, in the base currency
Ratio = str  # a decimal string with four places, 0-1: "0.4500" for 45 %


def _money(amount: Decimal | None) -> Money | None:
    return None if amount is None else f"{amount:.2f}"


def _ratio(value: Decimal | None) -> Ratio | None:
    return None if value is None else f"{value:.4f}"


# --- schemas --------------------------------------------------------------------------------------------


class InsightsParams(Schema):
    owner_id: int | None = Field(
        None, description="Only this person's deals (yourself, or one in your view)."
    )
    team_id: int | None = Field(None, description="Only this team's members' deals (managers and admins).")
    pipeline_id: int | None = Field(None, description="The pipeline; the default one when left out.")
    days: int = Field(
        selectors.DEFAULT_WINDOW_DAYS, description="The window: the last this many days (1-1098)."
    )


class ScopeOut(Schema):
    kind: Literal["everyone", "team", "owner"] = Field(
        description="Everyone in your view (a rep: yourself), one team or one person."
    )
    owner: UserRef | None
    team: TeamRef | None


class PipelineOut(Schema):
    id: int
    name: str


class StageOut(Schema):
    id: int
    name: str
    position: int
    open_deals: int = Field(description="Open deals in the stage now.")
    open_value: Money = Field(description="Their value in the base currency.")
    weighted_value: Money = Field(description="Σ value × win probability (as in My numbers).")
    entered: int = Field(description="Deals that entered the stage in the window.")
    advanced: int = Field(description="Of those, how many later reached a further open or won stage.")
    conversion: Ratio | None = Field(description="advanced / entered; null when none entered.")
    dropped: int = Field(description="entered − advanced.")
    drop_off: Ratio | None = Field(description="dropped / entered.")
    reach: Ratio | None = Field(description="Product of the conversions up to this stage.")
    stays_ended: int = Field(description="Stays in the stage that ended in the window.")
    median_days: float | None = Field(description="Their median length in days.")


class TotalsOut(Schema):
    open_deals: int
    open_value: Money
    weighted_value: Money


class ClosedOut(Schema):
    won: int = Field(description="Deals of the pipeline won in the window.")
    lost: int
    won_value: Money
    lost_value: Money
    win_rate: Ratio | None = Field(description="won / (won + lost).")
    average_won_value: Money | None = Field(description="won_value / won.")
    median_cycle_days: float | None = Field(description="Median days from creation to won, of the won ones.")


class LostReasonOut(Schema):
    reason: str = Field(description="As written when the deal was lost; empty for `other`.")
    other: bool = Field(description="Every reason below the ten most frequent, added up.")
    deals: int
    share: Ratio | None = Field(description="deals / lost.")
    value: Money


class MonthStageOut(Schema):
    stage_id: int
    entered: int
    advanced: int
    conversion: Ratio | None


class MonthOut(Schema):
    month: str = Field(description="`YYYY-MM`, the company's calendar month.")
    stages: list[MonthStageOut]


class FreemiumsOut(Schema):
    min_group_deals: int = Field(description="Groups smaller than this are flagged `too_small`.")
    kinds: KindsOut = Field(description="As in `GET /api/v1/reports/freemiums`, for the same people.")


class InsightsOut(Schema):
    scope: ScopeOut
    pipeline: PipelineOut
    window: WindowOut
    currency: str = Field(description="The base currency every amount is in.")
    stages: list[StageOut] = Field(description="The pipeline's open stages, in order.")
    totals: TotalsOut
    closed: ClosedOut
    sales_velocity: Money | None = Field(
        description="open deals × win rate × average won value ÷ median cycle days: value per day."
    )
    lost_reasons: list[LostReasonOut]
    activities: dict[str, int] = Field(description="Activities done in the window per kind (any pipeline).")
    freemiums: FreemiumsOut
    conversion_by_month: list[MonthOut] = Field(description="The last six months' stage conversion cohorts.")


# --- the body -------------------------------------------------------------------------------------------


def _closed_deals(group: ClosedDeals) -> dict[str, Any]:
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
        "with_activity": _closed_deals(comparison.with_activity),
        "without_activity": _closed_deals(comparison.without_activity),
        "win_rate_difference": comparison.win_rate_difference,
        "cycle_difference_days": comparison.cycle_difference_days,
        "conclusive": comparison.conclusive,
    }


def insights_body(insights: PipelineInsights) -> dict[str, Any]:
    scope, closed = insights.scope, insights.closed
    return {
        "scope": {"kind": scope.kind, "owner": scope.owner, "team": scope.team},
        "pipeline": {"id": scope.pipeline_id, "name": scope.pipeline_name},
        "window": {"start": scope.window.start, "end": scope.window.end, "days": scope.window.days},
        "currency": insights.currency,
        "stages": [
            {
                "id": line.stage.id,
                "name": line.stage.name,
                "position": line.stage.position,
                "open_deals": line.open.deals,
                "open_value": _money(line.open.value),
                "weighted_value": _money(line.open.weighted_value),
                "entered": line.cohort.entered,
                "advanced": line.cohort.advanced,
                "conversion": _ratio(line.cohort.conversion),
                "dropped": line.cohort.dropped,
                "drop_off": _ratio(line.cohort.drop_off),
                "reach": _ratio(reach),
                "stays_ended": line.duration.left,
                "median_days": line.duration.median_days,
            }
            for line, reach in zip(insights.stages, insights.reach, strict=True)
        ],
        "totals": {
            "open_deals": insights.open_deals,
            "open_value": _money(insights.open_value),
            "weighted_value": _money(insights.weighted_value),
        },
        "closed": {
            "won": closed.won,
            "lost": closed.lost,
            "won_value": _money(closed.won_value),
            "lost_value": _money(closed.lost_value),
            "win_rate": _ratio(closed.win_rate),
            "average_won_value": _money(closed.average_won_value),
            "median_cycle_days": closed.median_cycle_days,
        },
        "sales_velocity": _money(insights.velocity),
        "lost_reasons": [
            {
                "reason": line.reason,
                "other": line.is_other,
                "deals": line.deals,
                "share": _ratio(funnel.share(line.deals, closed.lost)),
                "value": _money(line.value),
            }
            for line in insights.lost_reasons
        ],
        "activities": insights.activities,
        "freemiums": {
            "min_group_deals": MIN_GROUP_DEALS,
            "kinds": {kind: _comparison(value) for kind, value in insights.freemiums.comparisons.items()},
        },
        "conversion_by_month": [
            {
                "month": f"{month.month:%Y-%m}",
                "stages": [
                    {
                        "stage_id": cohort.stage_id,
                        "entered": cohort.entered,
                        "advanced": cohort.advanced,
                        "conversion": _ratio(cohort.conversion),
                    }
                    for cohort in month.cohorts
                ],
            }
            for month in insights.months
        ],
    }


# --- endpoint -------------------------------------------------------------------------------------------


@router.get("/insights", response={200: InsightsOut, **errors(404, 422)}, summary="Pipeline insights")
def insights(request: HttpRequest, params: Query[InsightsParams]) -> dict[str, Any]:
    """How deals move through a pipeline over the window, for your own deals, a team's or one person's
    in your view (an admin: anyone's): per open stage the open deals now (count, value, weighted), the
    cohort conversion to a further stage and the median days in it; win rate, cycle and sales velocity;
    lost reasons; activities done; trials, demos and gifts with and without; conversion by month. The
    formulas are in docs/insights.md. Someone out of view, or a pipeline that does not exist, is a 404."""
    actor = request_user(request)
    scope = selectors.insights_scope(
        actor=actor,
        owner_id=params.owner_id,
        team_id=params.team_id,
        pipeline_id=params.pipeline_id,
        window_days=params.days,
    )
    return insights_body(selectors.pipeline_insights(actor=actor, scope=scope))
