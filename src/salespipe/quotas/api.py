"""REST endpoints for quotas and commission plans (docs/api.md, docs/numbers.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from salespipe.core.api_support import InputSchema, Page, PageParams, PatchSchema, errors, page, request_user
from salespipe.people.api import TeamRef, UserRef
from salespipe.quotas import selectors, services
from salespipe.quotas.models import CommissionAssignment, CommissionPlan, PeriodKind, Quota

router = Router(tags=["quotas and commissions"])

# --- schemas --------------------------------------------------------------------------------------------


class QuotaOut(Schema):
    id: int
    user: UserRef | None = Field(description="Whose quota it is; null for a team's.")
    team: TeamRef | None = Field(description="The team's quota; null for a person's.")
    period: str = Field(description='The period as typed: "2026", "2026-Q4" or "2026-11".')
    period_kind: PeriodKind
    starts_on: dt.date = Field(description="The period's first day.")
    ends_on: dt.date = Field(description="The period's last day (inclusive).")
    target_value: Decimal = Field(description="Won value to reach in the period, in the base currency.")
    target_deals: int | None = Field(description="Won deals to reach; null for no such target.")
    set_by: UserRef | None
    updated_at: dt.datetime

    @staticmethod
    def resolve_period(quota: Quota) -> str:
        return selectors.quota_period(quota).label


class QuotaFilters(Schema):
    user_id: int | None = Field(None, description="One person's quotas.")
    team_id: int | None = Field(None, description="A team's own quotas and its members'.")
    period: str | None = Field(None, description='Quotas for exactly this period, e.g. "2026-Q4".')


class QuotaIn(InputSchema):
    user_id: int | None = Field(None, description="The person the quota is for; or give `team_id`.")
    team_id: int | None = Field(None, description="The team the quota is for; or give `user_id`.")
    period: str = Field(description='A fiscal year "2026", quarter "2026-Q4" or month "2026-11".')
    target_value: Decimal = Field(description='Won value to reach, in the base currency, e.g. "120000.00".')
    target_deals: int | None = Field(None, description="Won deals to reach; leave out for none.")


class CommissionTierOut(Schema):
    from_attainment: Decimal = Field(description="Percent of quota from which `rate` applies, e.g. 100.")
    rate: Decimal = Field(description="Percent paid on the revenue above `from_attainment`.")


class CommissionPlanOut(Schema):
    id: int
    name: str
    base_rate: Decimal = Field(description="Percent of won revenue paid below the first tier.")
    cap: Decimal | None = Field(description="The most the plan pays for one period; null for no cap.")
    is_active: bool = Field(description="Only active plans can be assigned.")
    tiers: list[CommissionTierOut] = Field(description="By attainment; marginal rates, like tax brackets.")
    created_at: dt.datetime

    @staticmethod
    def resolve_tiers(plan: CommissionPlan) -> list[Any]:
        return list(plan.tiers.all())


class CommissionTierIn(InputSchema):
    from_attainment: Decimal = Field(description="Percent of quota, above 0 (100 is the quota itself).")
    rate: Decimal = Field(description="Percent, 0-100.")


class CommissionPlanIn(InputSchema):
    name: str
    base_rate: Decimal = Field(description="Percent, 0-100.")
    cap: Decimal | None = Field(None, description="The most paid for one period; leave out for no cap.")
    tiers: list[CommissionTierIn] = Field(default_factory=list, description="Distinct `from_attainment`s.")


class CommissionPlanPatch(PatchSchema):
    clearable = frozenset({"cap"})

    name: str | None = None
    base_rate: Decimal | None = None
    cap: Decimal | None = Field(None, description="null removes the cap.")
    tiers: list[CommissionTierIn] | None = Field(None, description="Replaces all the plan's tiers.")
    is_active: bool | None = Field(None, description="false: the plan can no longer be assigned.")


class CommissionPlanRef(Schema):
    id: int
    name: str


class CommissionAssignmentOut(Schema):
    id: int
    user: UserRef
    plan: CommissionPlanRef
    starts_on: dt.date
    ends_on: dt.date | None = Field(description="The last day; null until further notice.")
    assigned_by: UserRef | None
    created_at: dt.datetime


class AssignmentFilters(Schema):
    user_id: int | None = Field(None, description="One person's assignments.")


class CommissionAssignmentIn(InputSchema):
    user_id: int
    plan_id: int = Field(description="An active plan.")
    starts_on: dt.date
    ends_on: dt.date | None = Field(None, description="Leave out for until further notice.")


def _tier_pairs(tiers: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    return [(tier["from_attainment"], tier["rate"]) for tier in tiers]


# --- quotas ---------------------------------------------------------------------------------------------


@router.get("/quotas", response={200: Page[QuotaOut], **errors(404)}, summary="List quotas")
def quota_list(
    request: HttpRequest, filters: Query[QuotaFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """The quotas you may see, newest first: a rep their own and their team's, a manager also those of
    their teams and members, an admin all. A person or team out of view is a 404."""
    quotas = selectors.quota_list(
        actor=request_user(request), user_id=filters.user_id, team_id=filters.team_id, period=filters.period
    )
    return page(quotas, cursor=paging.cursor, limit=paging.limit)


@router.put("/quotas", response={200: QuotaOut, **errors(403, 404)}, summary="Set a quota")
def quota_set(request: HttpRequest, payload: QuotaIn) -> Quota:
    """Set the quota of one person (`user_id`) or one team (`team_id`) for a period: a new one, or a new
    target for the one they have. Managers set those of their teams and members (not their own), admins
    anyone's; reps get 403."""
    return services.quota_set(actor=request_user(request), **payload.model_dump())


@router.delete("/quotas/{quota_id}", response={204: None, **errors(403, 404)}, summary="Delete a quota")
def quota_delete(request: HttpRequest, quota_id: int) -> Status[None]:
    services.quota_delete(actor=request_user(request), quota_id=quota_id)
    return Status(204, None)


# --- commission plans -----------------------------------------------------------------------------------


@router.get("/commission-plans", response={200: Page[CommissionPlanOut], **errors()}, summary="List plans")
def commission_plan_list(request: HttpRequest, paging: Query[PageParams]) -> dict[str, Any]:
    """Commission plans with their tiers, newest first: all of them for managers and admins, for a rep the
    plans they are or were on."""
    plans = selectors.commission_plan_list(actor=request_user(request))
    return page(plans, cursor=paging.cursor, limit=paging.limit)


@router.post(
    "/commission-plans", response={201: CommissionPlanOut, **errors(403)}, summary="Create a plan (admin)"
)
def commission_plan_create(request: HttpRequest, payload: CommissionPlanIn) -> Status[CommissionPlan]:
    plan = services.commission_plan_create(
        actor=request_user(request),
        name=payload.name,
        base_rate=payload.base_rate,
        cap=payload.cap,
        tiers=_tier_pairs(payload.model_dump()["tiers"]),
    )
    return Status(201, plan)


# --- assignments ----------------------------------------------------------------------------------------


@router.get(
    "/commission-plans/assignments",
    response={200: Page[CommissionAssignmentOut], **errors(404)},
    summary="List plan assignments",
)
def commission_assignment_list(
    request: HttpRequest, filters: Query[AssignmentFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """Who is on which plan, newest first, for the people you may see (a rep: themselves)."""
    assignments = selectors.commission_assignment_list(actor=request_user(request), user_id=filters.user_id)
    return page(assignments, cursor=paging.cursor, limit=paging.limit)


@router.post(
    "/commission-plans/assignments",
    response={201: CommissionAssignmentOut, **errors(403, 404, 409)},
    summary="Put someone on a plan",
)
def commission_assign(request: HttpRequest, payload: CommissionAssignmentIn) -> Status[CommissionAssignment]:
    """Managers assign plans to their teams' members, admins to anyone. A new assignment after an
    open-ended one ends that one the day before; any other overlap is a 409
    `commission_assignment_overlaps`."""
    assignment = services.commission_assign(actor=request_user(request), **payload.model_dump())
    return Status(201, assignment)


@router.delete(
    "/commission-plans/assignments/{assignment_id}",
    response={204: None, **errors(403, 404)},
    summary="Remove a plan assignment",
)
def commission_unassign(request: HttpRequest, assignment_id: int) -> Status[None]:
    services.commission_unassign(actor=request_user(request), assignment_id=assignment_id)
    return Status(204, None)


# Registered after the assignments, whose fixed path would otherwise be taken for a plan id.
@router.patch(
    "/commission-plans/{plan_id}",
    response={200: CommissionPlanOut, **errors(403, 404)},
    summary="Change a plan (admin)",
)
def commission_plan_update(
    request: HttpRequest, plan_id: int, payload: CommissionPlanPatch
) -> CommissionPlan:
    """Change what the body gives; `tiers` replaces all the tiers, `"cap": null` removes the cap."""
    changes = payload.changes()
    return services.commission_plan_update(
        actor=request_user(request),
        plan_id=plan_id,
        name=changes.get("name"),
        base_rate=changes.get("base_rate"),
        cap=changes.get("cap"),
        clear_cap="cap" in changes and changes["cap"] is None,
        tiers=_tier_pairs(changes["tiers"]) if "tiers" in changes else None,
        is_active=changes.get("is_active"),
    )
