"""Setting quotas and managing commission plans: who may, and the checks that keep them sound.

An administrator sets anyone's quota and any team's; a manager those of the teams they manage and of
those teams' members, never their own; a rep none. Commission plans are an administrator's; assigning a
plan to a person is also their manager's. A refusal changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salespipe.analytics.periods import period_parse
from salespipe.core.errors import InvalidInput, NotAllowed, NotFound, RuleBroken
from salespipe.core.money import CENT
from salespipe.people.models import Role, Team, User
from salespipe.people.selectors import owner_scope
from salespipe.quotas.models import CommissionAssignment, CommissionPlan, CommissionTier, Quota
from salespipe.quotas.selectors import quota_scope

# The largest amounts the columns hold (16 digits, 2 of them decimals) and a sane bound on won deals.
MAX_AMOUNT = Decimal("99999999999999.99")
MAX_ATTAINMENT = Decimal("99999.99")
MAX_TARGET_DEALS = 1_000_000

# How the messages below name a field; the keys are the services' (and the API's) argument names.
_FIELD_NAMES = {
    "target_value": gettext_lazy("Target revenue"),
    "target_deals": gettext_lazy("Target won deals"),
    "base_rate": gettext_lazy("Base rate"),
    "cap": gettext_lazy("Cap"),
    "from_attainment": gettext_lazy("From attainment"),
    "rate": gettext_lazy("Rate"),
}


def _field_name(field: str) -> str:
    return str(_FIELD_NAMES.get(field.rsplit(".", 1)[-1], field))


def _decimal(raw: Any, *, field: str) -> Decimal:
    try:
        number = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            _("%(field)s must be a number, such as 120000 or 7.5; got '%(raw)s'.")
            % {"field": _field_name(field), "raw": raw},
            fields={field: _("not a number")},
        ) from None
    if not number.is_finite():
        raise InvalidInput(
            _("%(field)s must be a number.") % {"field": _field_name(field)},
            fields={field: _("not a number")},
        )
    return number


def _amount(raw: Any, *, field: str) -> Decimal:
    """An amount of money in the base currency: not negative, to the cent."""
    amount = _decimal(raw, field=field)
    if not 0 <= amount <= MAX_AMOUNT:
        raise InvalidInput(
            _("%(field)s must be between 0 and %(max)s (in %(currency)s).")
            % {"field": _field_name(field), "max": MAX_AMOUNT, "currency": settings.BASE_CURRENCY},
            fields={field: _("out of range")},
        )
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _rate(raw: Any, *, field: str) -> Decimal:
    """A commission rate: a percent from 0 to 100, to two decimals."""
    rate = _decimal(raw, field=field)
    if not 0 <= rate <= 100:
        raise InvalidInput(
            _("%(field)s is a percent from 0 to 100; got %(rate)s.")
            % {"field": _field_name(field), "rate": raw},
            fields={field: _("out of range")},
        )
    return rate.quantize(CENT, rounding=ROUND_HALF_UP)


def _target_deals(raw: int | None) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_TARGET_DEALS:
        raise InvalidInput(
            _("Target won deals is a whole number from 0 to %(max)s; leave it empty for no target.")
            % {"max": MAX_TARGET_DEALS},
            fields={"target_deals": _("out of range")},
        )
    return raw


# --- quotas ---------------------------------------------------------------------------------------------


def _require_quota_setter(actor: User) -> None:
    if actor.role not in (Role.ADMIN, Role.MANAGER):
        raise NotAllowed(_("Quotas are set by your manager or an administrator; ask them to change a quota."))


def _refuse_own_quota() -> NotAllowed:
    return NotAllowed(_("Your own quota is set by an administrator; ask them to change it."))


def _quota_user(actor: User, user_id: int) -> User:
    user = User.objects.select_related("team").filter(pk=user_id, is_active=True).first()
    if user is not None and user.pk == actor.pk and not actor.is_admin:
        raise _refuse_own_quota()
    if user is None or not (actor.is_admin or (user.team is not None and user.team.manager_id == actor.pk)):
        raise NotFound(
            _("There is no active user with id %(id)s whose quotas you set.") % {"id": user_id},
            fields={"user_id": _("unknown user")},
        )
    return user


def _quota_team(actor: User, team_id: int) -> Team:
    team = Team.objects.filter(pk=team_id).first()
    if team is None or not (actor.is_admin or team.manager_id == actor.pk):
        raise NotFound(
            _("There is no team with id %(id)s whose quotas you set.") % {"id": team_id},
            fields={"team_id": _("unknown team")},
        )
    return team


@transaction.atomic
def quota_set(
    *,
    actor: User,
    period: str,
    target_value: Any,
    target_deals: int | None = None,
    user_id: int | None = None,
    team_id: int | None = None,
) -> Quota:
    """Set the quota of one person or one team for a period ("2026", "2026-Q4", "2026-11"): a new one, or
    a new target for the one they have."""
    _require_quota_setter(actor)
    if (user_id is None) == (team_id is None):
        raise InvalidInput(
            _("A quota is for one person or one team: give the user or the team, not both."),
            fields={"user_id": _("give a user or a team"), "team_id": _("give a user or a team")},
        )
    parsed = period_parse(period, fiscal_year_start_month=settings.FISCAL_YEAR_START_MONTH)
    value = _amount(target_value, field="target_value")
    deals = _target_deals(target_deals)
    user = _quota_user(actor, user_id) if user_id is not None else None
    team = _quota_team(actor, team_id) if team_id is not None else None
    owner: dict[str, Any] = {"user": user} if user is not None else {"team": team}
    quota, _created = Quota.objects.update_or_create(
        **owner,
        period_kind=parsed.kind,
        starts_on=parsed.starts_on,
        defaults={
            "ends_on": parsed.ends_on,
            "target_value": value,
            "target_deals": deals,
            "set_by_id": actor.pk,
        },
    )
    # What the caller shows next, without asking the database again.
    quota.user, quota.team = user, team
    quota.set_by = actor if actor.pk else None
    return quota


@transaction.atomic
def quota_delete(*, actor: User, quota_id: int) -> None:
    _require_quota_setter(actor)
    quota = (
        Quota.objects.select_for_update(of=("self",))
        .select_related("user__team", "team")
        .filter(quota_scope(actor), pk=quota_id)
        .first()
    )
    if quota is None:
        raise NotFound(_("There is no quota with id %(id)s, or you may not see it.") % {"id": quota_id})
    if quota.user_id is not None and quota.user_id == actor.pk and not actor.is_admin:
        raise _refuse_own_quota()
    quota.delete()


# --- commission plans -----------------------------------------------------------------------------------


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise NotAllowed(_("Only an administrator can create or change commission plans."))


def _plan_name(raw: str, *, plan_id: int | None = None) -> str:
    name = (raw or "").strip()
    if not name:
        raise InvalidInput(_("A commission plan needs a name."), fields={"name": _("required")})
    if len(name) > 100:
        raise InvalidInput(_("A plan's name has at most 100 characters."), fields={"name": _("too long")})
    others = CommissionPlan.objects.filter(name__iexact=name)
    if plan_id is not None:
        others = others.exclude(pk=plan_id)
    if others.exists():
        raise InvalidInput(
            _("There is a commission plan named '%(name)s' already; pick another name.") % {"name": name},
            fields={"name": _("taken")},
        )
    return name


def _tiers(raw: Iterable[tuple[Any, Any]]) -> list[tuple[Decimal, Decimal]]:
    """The tiers in order of attainment. Each starts at an attainment above 0 % and no two at the same."""
    tiers: list[tuple[Decimal, Decimal]] = []
    for index, (raw_from, raw_rate) in enumerate(raw):
        field = f"tiers.{index}.from_attainment"
        start = _decimal(raw_from, field=field)
        if not 0 < start <= MAX_ATTAINMENT:
            raise InvalidInput(
                _(
                    "Tier %(n)s: from attainment is a percent of quota above 0 (100 is the quota itself), "
                    "at most %(max)s; got %(raw)s."
                )
                % {"n": index + 1, "max": MAX_ATTAINMENT, "raw": raw_from},
                fields={field: _("out of range")},
            )
        rate_field = f"tiers.{index}.rate"
        rate = _decimal(raw_rate, field=rate_field)
        if not 0 <= rate <= 100:
            raise InvalidInput(
                _("Tier %(n)s: the rate is a percent from 0 to 100; got %(raw)s.")
                % {"n": index + 1, "raw": raw_rate},
                fields={rate_field: _("out of range")},
            )
        tiers.append(
            (start.quantize(CENT, rounding=ROUND_HALF_UP), rate.quantize(CENT, rounding=ROUND_HALF_UP))
        )
    starts = [start for start, _rate_value in tiers]
    duplicates = sorted({start for start in starts if starts.count(start) > 1})
    if duplicates:
        raise InvalidInput(
            _("Two tiers start at %(attainment)s %% attainment; give each tier its own starting point.")
            % {"attainment": duplicates[0]},
            fields={"tiers": _("duplicate from attainment")},
        )
    return sorted(tiers)


def _replace_tiers(plan: CommissionPlan, tiers: list[tuple[Decimal, Decimal]]) -> None:
    plan.tiers.all().delete()
    CommissionTier.objects.bulk_create(
        CommissionTier(plan=plan, from_attainment=start, rate=rate) for start, rate in tiers
    )


def _plan_with_tiers(plan_id: int) -> CommissionPlan:
    return CommissionPlan.objects.prefetch_related("tiers").get(pk=plan_id)


@transaction.atomic
def commission_plan_create(
    *,
    actor: User,
    name: str,
    base_rate: Any,
    cap: Any = None,
    tiers: Iterable[tuple[Any, Any]] = (),
) -> CommissionPlan:
    """A new plan: `base_rate` percent of won revenue, `tiers` as (from attainment %, rate %) pairs paid on
    the revenue above each tier's start (marginal, like tax brackets), and an optional cap per period."""
    _require_admin(actor)
    plan = CommissionPlan.objects.create(
        name=_plan_name(name),
        base_rate=_rate(base_rate, field="base_rate"),
        cap=None if cap is None else _amount(cap, field="cap"),
    )
    _replace_tiers(plan, _tiers(tiers))
    return _plan_with_tiers(plan.pk)


@transaction.atomic
def commission_plan_update(
    *,
    actor: User,
    plan_id: int,
    name: str | None = None,
    base_rate: Any = None,
    cap: Any = None,
    clear_cap: bool = False,
    tiers: Iterable[tuple[Any, Any]] | None = None,
    is_active: bool | None = None,
) -> CommissionPlan:
    """Change what is given; `tiers` replaces all the plan's tiers, `clear_cap` removes the cap. An
    inactive plan keeps its assignments but cannot be assigned any more."""
    _require_admin(actor)
    plan = CommissionPlan.objects.select_for_update().filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(_("There is no commission plan with id %(id)s.") % {"id": plan_id})
    fields: list[str] = []
    if name is not None:
        plan.name = _plan_name(name, plan_id=plan.pk)
        fields.append("name")
    if base_rate is not None:
        plan.base_rate = _rate(base_rate, field="base_rate")
        fields.append("base_rate")
    if clear_cap or cap is not None:
        plan.cap = None if clear_cap else _amount(cap, field="cap")
        fields.append("cap")
    if is_active is not None:
        plan.is_active = is_active
        fields.append("is_active")
    new_tiers = _tiers(tiers) if tiers is not None else None
    if fields:
        plan.save(update_fields=fields)
    if new_tiers is not None:
        _replace_tiers(plan, new_tiers)
    return _plan_with_tiers(plan.pk)


# --- commission plan assignments ------------------------------------------------------------------------


def _require_assigner(actor: User) -> None:
    if actor.role not in (Role.ADMIN, Role.MANAGER):
        raise NotAllowed(
            _("Commission plans are assigned by your manager or an administrator; ask them to change yours.")
        )


def _refuse_own_plan() -> NotAllowed:
    return NotAllowed(_("Your own commission plan is assigned by an administrator; ask them to change it."))


def _assignee(actor: User, user_id: int) -> User:
    """The person, locked so that two assignments for them are checked one after the other."""
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is not None and user.pk == actor.pk and not actor.is_admin:
        raise _refuse_own_plan()
    managed = user is not None and (
        actor.is_admin
        or (user.team_id is not None and Team.objects.filter(pk=user.team_id, manager=actor.pk).exists())
    )
    if user is None or not managed:
        raise NotFound(
            _("There is no active user with id %(id)s whose commission plan you assign.") % {"id": user_id},
            fields={"user_id": _("unknown user")},
        )
    return user


def _until(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else _("further notice")


@transaction.atomic
def commission_assign(
    *, actor: User, user_id: int, plan_id: int, starts_on: dt.date, ends_on: dt.date | None = None
) -> CommissionAssignment:
    """Put a person on a plan from `starts_on` until `ends_on` (None: until further notice).

    A person is on one plan at a time. The one rule for changing plans: a new assignment that starts
    after an open-ended one continues it, and the open-ended one ends the day before. Any other overlap
    is refused (`commission_assignment_overlaps`): end or remove the other assignment first.
    """
    _require_assigner(actor)
    if ends_on is not None and ends_on < starts_on:
        raise InvalidInput(
            _("The plan cannot end (%(end)s) before it starts (%(start)s).")
            % {"end": ends_on.isoformat(), "start": starts_on.isoformat()},
            fields={"ends_on": _("before the first day")},
        )
    user = _assignee(actor, user_id)
    plan = CommissionPlan.objects.filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(
            _("There is no commission plan with id %(id)s.") % {"id": plan_id},
            fields={"plan_id": _("unknown")},
        )
    if not plan.is_active:
        raise InvalidInput(
            _("The plan '%(plan)s' is inactive; reactivate it or pick another.") % {"plan": plan.name},
            fields={"plan_id": _("inactive plan")},
        )
    overlapping = CommissionAssignment.objects.select_related("plan").filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on), user=user
    )
    if ends_on is not None:
        overlapping = overlapping.filter(starts_on__lte=ends_on)
    continued: list[CommissionAssignment] = []
    for other in overlapping.order_by("starts_on"):
        if other.ends_on is None and other.starts_on < starts_on:
            continued.append(other)
            continue
        raise RuleBroken(
            _(
                "%(user)s is on the plan '%(plan)s' from %(start)s until %(end)s, which overlaps. Start "
                "the new plan after that one ends, or remove that assignment first."
            )
            % {
                "user": user,
                "plan": other.plan.name,
                "start": other.starts_on.isoformat(),
                "end": _until(other.ends_on),
            },
            code="commission_assignment_overlaps",
            fields={"starts_on": _("overlaps another assignment")},
        )
    for other in continued:
        other.ends_on = starts_on - dt.timedelta(days=1)
        other.save(update_fields=["ends_on"])
    assignment = CommissionAssignment.objects.create(
        user=user, plan=plan, starts_on=starts_on, ends_on=ends_on, assigned_by_id=actor.pk
    )
    assignment.assigned_by = actor if actor.pk else None
    return assignment


@transaction.atomic
def commission_unassign(*, actor: User, assignment_id: int) -> None:
    """Remove an assignment, by the person's manager or an administrator. A plan it had ended (by a
    later assignment continuing it) keeps its end."""
    _require_assigner(actor)
    assignment = (
        # Only this row: the scope joins the user's team, the nullable side of an outer join.
        CommissionAssignment.objects.select_for_update(of=("self",))
        .filter(owner_scope(actor, owner_field="user"), pk=assignment_id)
        .first()
    )
    if assignment is None:
        raise NotFound(
            _("There is no commission plan assignment with id %(id)s, or you may not see it.")
            % {"id": assignment_id}
        )
    if assignment.user_id == actor.pk and not actor.is_admin:
        raise _refuse_own_plan()
    assignment.delete()
