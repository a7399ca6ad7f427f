"""Writes about users and teams. Only admins manage people; everyone may change their own profile."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from salespipe.core.errors import InvalidInput, NotAllowed, NotFound
from salespipe.people.models import Role, Team, User, validate_time_zone


def _require_admin(actor: User, what: str) -> None:
    if not actor.is_admin:
        raise NotAllowed(f"Only an administrator can {what}.")


def _check_profile(
    *,
    time_zone: str | None,
    workday_starts_at: dt.time | None,
    workday_ends_at: dt.time | None,
    weekdays: str | None,
) -> None:
    if time_zone is not None:
        try:
            validate_time_zone(time_zone)
        except ValidationError as error:
            raise InvalidInput(str(error.messages[0]), fields={"time_zone": "unknown time zone"}) from None
    if workday_starts_at and workday_ends_at and workday_starts_at >= workday_ends_at:
        raise InvalidInput(
            "The working day must start before it ends.", fields={"workday_ends_at": "before the start"}
        )
    if weekdays is not None and (
        not weekdays or set(weekdays) - set("1234567") or len(set(weekdays)) != len(weekdays)
    ):
        raise InvalidInput(
            "Working weekdays are ISO digits without repeats, e.g. 12345 for Monday to Friday.",
            fields={"working_weekdays": "invalid"},
        )


def _team_or_error(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise InvalidInput(f"There is no team with id {team_id}.", fields={"team_id": "unknown team"})
    return team


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    role: str = Role.REP,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    team_id: int | None = None,
    time_zone: str = "UTC",
) -> User:
    """A new user. `actor=None` is the operator at the command line (init), who is trusted."""
    if actor is not None:
        _require_admin(actor, "add users")
    username = username.strip()
    if not username:
        raise InvalidInput("A user needs a username.", fields={"username": "required"})
    if role not in Role.values:
        raise InvalidInput(f"Role must be one of {', '.join(Role.values)}.", fields={"role": "unknown role"})
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput(f"The username '{username}' is taken; pick another.", fields={"username": "taken"})
    _check_profile(time_zone=time_zone, workday_starts_at=None, workday_ends_at=None, weekdays=None)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidInput(f"'{email}' is not an email address.", fields={"email": "invalid"}) from None
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        team=_team_or_error(team_id),
        time_zone=time_zone,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise InvalidInput(" ".join(error.messages), fields={"password": "too weak"}) from None
    user.set_password(password)
    user.save()
    return user


_PROFILE_FIELDS = {
    "first_name",
    "last_name",
    "email",
    "time_zone",
    "workday_starts_at",
    "workday_ends_at",
    "working_weekdays",
}
_ADMIN_FIELDS = {"role", "team_id", "is_active"}


@transaction.atomic
def user_update(*, actor: User, user_id: int, **changes: Any) -> User:
    """Profile fields by the user themselves or an admin; role, team and activation by an admin only."""
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound(f"There is no user with id {user_id}.")
    unknown = set(changes) - _PROFILE_FIELDS - _ADMIN_FIELDS
    if unknown:
        raise InvalidInput(f"These user fields cannot be changed: {', '.join(sorted(unknown))}.")
    if actor.pk != user.pk or set(changes) & _ADMIN_FIELDS:
        _require_admin(actor, "change another user's profile, role or team")
    _check_profile(
        time_zone=changes.get("time_zone"),
        workday_starts_at=changes.get("workday_starts_at", user.workday_starts_at),
        workday_ends_at=changes.get("workday_ends_at", user.workday_ends_at),
        weekdays=changes.get("working_weekdays"),
    )
    if "role" in changes:
        if changes["role"] not in Role.values:
            raise InvalidInput(
                f"Role must be one of {', '.join(Role.values)}.", fields={"role": "unknown role"}
            )
        if user.pk == actor.pk and changes["role"] != Role.ADMIN:
            raise InvalidInput("You cannot take away your own admin role; ask another admin.")
        changes["is_staff"] = changes["is_superuser"] = changes["role"] == Role.ADMIN
    if "team_id" in changes:
        _team_or_error(changes["team_id"])
    if changes.get("email"):
        try:
            validate_email(changes["email"])
        except ValidationError:
            raise InvalidInput(
                f"'{changes['email']}' is not an email address.", fields={"email": "invalid"}
            ) from None
    for field, value in changes.items():
        setattr(user, field, value)
    user.save(update_fields=list(changes))
    return user


@transaction.atomic
def team_create(*, actor: User, name: str, manager_id: int | None = None) -> Team:
    _require_admin(actor, "create teams")
    name = name.strip()
    if not name:
        raise InvalidInput("A team needs a name.", fields={"name": "required"})
    manager = _manager_or_error(manager_id)
    try:
        with transaction.atomic():
            return Team.objects.create(name=name, manager=manager)
    except IntegrityError:
        raise InvalidInput(f"A team named '{name}' exists already.", fields={"name": "taken"}) from None


def _manager_or_error(manager_id: int | None) -> User | None:
    if manager_id is None:
        return None
    manager = User.objects.filter(pk=manager_id, is_active=True).first()
    if manager is None or manager.role not in (Role.MANAGER, Role.ADMIN):
        raise InvalidInput(
            f"User {manager_id} cannot manage a team: give them the manager role first.",
            fields={"manager_id": "not a manager"},
        )
    return manager


@transaction.atomic
def team_update(
    *,
    actor: User,
    team_id: int,
    name: str | None = None,
    manager_id: int | None = None,
    clear_manager: bool = False,
) -> Team:
    _require_admin(actor, "change teams")
    team = Team.objects.select_for_update().filter(pk=team_id).first()
    if team is None:
        raise NotFound(f"There is no team with id {team_id}.")
    fields = []
    if name is not None:
        if not name.strip():
            raise InvalidInput("A team needs a name.", fields={"name": "required"})
        if Team.objects.filter(name__iexact=name.strip()).exclude(pk=team.pk).exists():
            raise InvalidInput(f"A team named '{name}' exists already.", fields={"name": "taken"})
        team.name = name.strip()
        fields.append("name")
    if manager_id is not None or clear_manager:
        team.manager = None if clear_manager else _manager_or_error(manager_id)
        fields.append("manager")
    if fields:
        team.save(update_fields=fields)
    return team


@transaction.atomic
def admin_ensure(*, username: str, password: str | None, email: str = "") -> tuple[User, bool]:
    """The first administrator (idempotent): returns the user and whether it was created now."""
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        if existing.role != Role.ADMIN:
            raise InvalidInput(
                f"User '{username}' exists but is not an administrator; choose another username."
            )
        return existing, False
    if not password:
        raise InvalidInput("Give the admin a password (--admin-password or SALESPIPE_ADMIN_PASSWORD).")
    return user_create(actor=None, username=username, password=password, role=Role.ADMIN, email=email), True
