"""Reads about quotas and commission plans, scoped by the acting user.

A rep sees their own quotas and their team's; a manager also those of the teams they manage and of those
teams' members; an admin everything.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from salespipe.analytics.periods import Period, period_containing, period_parse
from salespipe.core.errors import NotFound
from salespipe.people.models import Role, Team, User
from salespipe.people.selectors import owner_scope, visible_user_ids
from salespipe.quotas.models import CommissionAssignment, CommissionPlan, Quota

# --- lists ----------------------------------------------------------------------------------------------


def quota_scope(actor: User) -> Q:
    """Quotas the actor may see, as a filter on Quota."""
    if actor.role == Role.ADMIN:
        return Q()
    mine = Q(user=actor.pk)
    if actor.role == Role.MANAGER:
        return mine | Q(user__team__manager=actor.pk) | Q(team__manager=actor.pk)
    if actor.team_id is not None:
        return mine | Q(team=actor.team_id)
    return mine


def _visible_team(actor: User, team_id: int) -> None:
    teams = Team.objects.filter(pk=team_id)
    if actor.role == Role.MANAGER:
        teams = teams.filter(manager=actor.pk)
    elif actor.role != Role.ADMIN:
        teams = teams.filter(members=actor.pk)
    if not teams.exists():
        raise NotFound(_("There is no team with id %(id)s, or you may not see it.") % {"id": team_id})


def _visible_user(actor: User, user_id: int) -> None:
    if not User.objects.filter(visible_user_ids(actor), pk=user_id).exists():
        raise NotFound(_("There is no user with id %(id)s, or you may not see their work.") % {"id": user_id})


def quota_list(
    *, actor: User, user_id: int | None = None, team_id: int | None = None, period: str | None = None
) -> QuerySet[Quota]:
    """Quotas in view, earliest period first. `user_id` narrows to one person's, `team_id` to a team's
    own and its members', `period` ("2026-Q4") to quotas for exactly that period. A person or team out of
    view is a NotFound."""
    quotas = Quota.objects.filter(quota_scope(actor)).select_related("user", "team", "set_by")
    if user_id is not None:
        _visible_user(actor, user_id)
        quotas = quotas.filter(user=user_id)
    if team_id is not None:
        _visible_team(actor, team_id)
        quotas = quotas.filter(Q(team=team_id) | Q(user__team=team_id))
    if period:
        parsed = period_parse(period, fiscal_year_start_month=settings.FISCAL_YEAR_START_MONTH)
        quotas = quotas.filter(period_kind=parsed.kind, starts_on=parsed.starts_on)
    # Teams first, then people, by name.
    team_first = F("team__name").asc(nulls_last=True)
    return quotas.order_by("starts_on", "period_kind", team_first, "user__username", "pk")


def quota_period(quota: Quota) -> Period:
    """The quota's period with its label ("2026-Q4"). A quota set before the fiscal year's first month
    was changed may no longer match a named period: its label is then its first and last day."""
    period = period_containing(
        quota.starts_on, quota.period_kind, fiscal_year_start_month=settings.FISCAL_YEAR_START_MONTH
    )
    if (period.starts_on, period.ends_on) == (quota.starts_on, quota.ends_on):
        return period
    label = f"{quota.starts_on.isoformat()}/{quota.ends_on.isoformat()}"
    return Period(quota.period_kind, quota.starts_on, quota.ends_on, label)


def quota_teams(*, actor: User) -> QuerySet[Team]:
    """The teams whose quotas the actor sets: all (an admin), the ones they manage (a manager)."""
    teams = Team.objects.order_by("name")
    if actor.role == Role.ADMIN:
        return teams
    if actor.role == Role.MANAGER:
        return teams.filter(manager=actor.pk)
    return teams.none()


def quota_people(*, actor: User) -> QuerySet[User]:
    """The active people whose quotas the actor sets, by team and name: everyone but administrators (an
    admin), the members of their teams but themselves (a manager)."""
    people = User.objects.filter(is_active=True).order_by("team__name", "username")
    if actor.role == Role.ADMIN:
        return people.exclude(role=Role.ADMIN)
    if actor.role == Role.MANAGER:
        return people.filter(team__manager=actor.pk).exclude(pk=actor.pk)
    return people.none()


def commission_plan_list(*, actor: User, include_inactive: bool = True) -> QuerySet[CommissionPlan]:
    """Plans with their tiers: all of them for admins and managers (who assign them), for a rep the plans
    they are or were on."""
    plans = CommissionPlan.objects.prefetch_related("tiers").order_by("name")
    if not include_inactive:
        plans = plans.filter(is_active=True)
    if actor.role in (Role.ADMIN, Role.MANAGER):
        return plans
    return plans.filter(pk__in=CommissionAssignment.objects.filter(user=actor.pk).values("plan"))


def commission_plan_get(*, actor: User, plan_id: int) -> CommissionPlan:
    plan = commission_plan_list(actor=actor).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(
            _("There is no commission plan with id %(id)s, or you may not see it.") % {"id": plan_id}
        )
    return plan


def commission_assignment_list(*, actor: User, user_id: int | None = None) -> QuerySet[CommissionAssignment]:
    """Who is on which plan, for the people in view (a rep: themselves), by person, latest first."""
    assignments = CommissionAssignment.objects.filter(owner_scope(actor, owner_field="user")).select_related(
        "user", "plan", "assigned_by"
    )
    if user_id is not None:
        _visible_user(actor, user_id)
        assignments = assignments.filter(user=user_id)
    return assignments.order_by("user__username", "-starts_on", "pk")
