"""Writes about users and teams. Only admins manage people; everyone may change their own profile."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from salespipe.core.errors import InvalidInput, NotAllowed, NotFound
from salespipe.people.models import Role, Team, User, validate_time_zone


def _require_admin(actor: User, refusal: str) -> None:
    if not actor.is_admin:
        raise NotAllowed(refusal)


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
            raise InvalidInput(str(error.messages[0]), fields={"time_zone": _("unknown time zone")}) from None
    if workday_starts_at and workday_ends_at and workday_starts_at >= workday_ends_at:
        raise InvalidInput(
            _("The working day must start before it ends."), fields={"workday_ends_at": _("before the start")}
        )
    if weekdays is not None and (
        not weekdays or set(weekdays) - set("1234567") or len(set(weekdays)) != len(weekdays)
    ):
        raise InvalidInput(
            _("Working weekdays are ISO digits without repeats, e.g. 12345 for Monday to Friday."),
            fields={"working_weekdays": _("invalid")},
        )


def _team_or_error(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise InvalidInput(
            _("There is no team with id %(id)s.") % {"id": team_id}, fields={"team_id": _("unknown team")}
        )
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
        _require_admin(actor, _("Only an administrator can add users."))
    username = username.strip()
    if not username:
        raise InvalidInput(_("A user needs a username."), fields={"username": _("required")})
    if role not in Role.values:
        raise InvalidInput(
            _("Role must be one of %(roles)s.") % {"roles": ", ".join(Role.values)},
            fields={"role": _("unknown role")},
        )
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput(
            _("The username '%(username)s' is taken; pick another.") % {"username": username},
            fields={"username": _("taken")},
        )
    _check_profile(time_zone=time_zone, workday_starts_at=None, workday_ends_at=None, weekdays=None)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidInput(
                _("'%(email)s' is not an email address.") % {"email": email}, fields={"email": _("invalid")}
            ) from None
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
        raise InvalidInput(" ".join(error.messages), fields={"password": _("too weak")}) from None
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
        raise NotFound(_("There is no user with id %(id)s.") % {"id": user_id})
    unknown = set(changes) - _PROFILE_FIELDS - _ADMIN_FIELDS
    if unknown:
        raise InvalidInput(
            _("These user fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    if actor.pk != user.pk or set(changes) & _ADMIN_FIELDS:
        _require_admin(actor, _("Only an administrator can change another user's profile, role or team."))
    _check_profile(
        time_zone=changes.get("time_zone"),
        workday_starts_at=changes.get("workday_starts_at", user.workday_starts_at),
        workday_ends_at=changes.get("workday_ends_at", user.workday_ends_at),
        weekdays=changes.get("working_weekdays"),
    )
    if "role" in changes:
        if changes["role"] not in Role.values:
            raise InvalidInput(
                _("Role must be one of %(roles)s.") % {"roles": ", ".join(Role.values)},
                fields={"role": _("unknown role")},
            )
        if user.pk == actor.pk and changes["role"] != Role.ADMIN:
            raise InvalidInput(_("You cannot take away your own admin role; ask another admin."))
        changes["is_staff"] = changes["is_superuser"] = changes["role"] == Role.ADMIN
    if "team_id" in changes:
        _team_or_error(changes["team_id"])
    if changes.get("email"):
        try:
            validate_email(changes["email"])
        except ValidationError:
            raise InvalidInput(
                _("'%(email)s' is not an email address.") % {"email": changes["email"]},
                fields={"email": _("invalid")},
            ) from None
    for field, value in changes.items():
        setattr(user, field, value)
    user.save(update_fields=list(changes))
    _replan_if_hours_changed(user, changes)
    return user


_WORKING_TIME_FIELDS = {"time_zone", "workday_starts_at", "workday_ends_at", "working_weekdays"}


def _replan_if_hours_changed(user: User, changes: dict[str, Any]) -> None:
    """Reminders fall due on the owner's working days: when those change, the planned ones move."""
    if set(changes) & _WORKING_TIME_FIELDS:
        # Imported here: the activities app builds on people, not the other way round.
        from salespipe.activities.services import follow_ups_replan

        follow_ups_replan(owner=user)


_PREFERENCE_FIELDS = {
    "time_zone",
    "workday_starts_at",
    "workday_ends_at",
    "working_weekdays",
    "language",
    "daily_digest",
    "weekly_digest",
    "prospect_reminder_emails",
}


@transaction.atomic
def user_preferences_update(*, actor: User, **changes: Any) -> User:
    """The actor's own preferences: time zone, working hours and days, the language of their emails
    (and their prospects'; "" is the site's), the daily digest and (for those who manage a team) the
    weekly digest on or off, and whether their prospects get a reminder email before appointments (True,
    False, or None to do as their team does). Nothing changes unless every value is valid."""
    unknown = set(changes) - _PREFERENCE_FIELDS
    if unknown:
        raise InvalidInput(
            _("These are not preferences: %(fields)s. Preferences are %(known)s.")
            % {"fields": ", ".join(sorted(unknown)), "known": ", ".join(sorted(_PREFERENCE_FIELDS))},
            fields=dict.fromkeys(sorted(unknown), _("unknown")),
        )
    user = User.objects.select_for_update().get(pk=actor.pk)
    if "working_weekdays" in changes and isinstance(changes["working_weekdays"], str):
        changes["working_weekdays"] = changes["working_weekdays"].strip()
    _check_profile(
        time_zone=changes.get("time_zone"),
        workday_starts_at=changes.get("workday_starts_at", user.workday_starts_at),
        workday_ends_at=changes.get("workday_ends_at", user.workday_ends_at),
        weekdays=changes.get("working_weekdays"),
    )
    if "working_weekdays" in changes:
        changes["working_weekdays"] = "".join(sorted(changes["working_weekdays"]))
    if "language" in changes:
        known = [code for code, _name in settings.LANGUAGES]
        if changes["language"] not in ["", *known]:
            raise InvalidInput(
                _("Language must be one of %(languages)s, or empty for the site's language.")
                % {"languages": ", ".join(known)},
                fields={"language": _("unknown language")},
            )
    for flag in ("daily_digest", "weekly_digest", "prospect_reminder_emails"):
        value = changes.get(flag, False)
        if not isinstance(value, bool) and not (flag == "prospect_reminder_emails" and value is None):
            raise InvalidInput(
                _("%(field)s must be true or false.") % {"field": flag}, fields={flag: _("not a yes or no")}
            )
    for field, value in changes.items():
        setattr(user, field, value)
    if changes:
        user.save(update_fields=list(changes))
    _replan_if_hours_changed(user, changes)
    return user


@transaction.atomic
def team_create(
    *, actor: User, name: str, manager_id: int | None = None, prospect_reminder_emails: bool = False
) -> Team:
    _require_admin(actor, _("Only an administrator can create teams."))
    name = name.strip()
    if not name:
        raise InvalidInput(_("A team needs a name."), fields={"name": _("required")})
    manager = _manager_or_error(manager_id)
    try:
        with transaction.atomic():
            return Team.objects.create(
                name=name, manager=manager, prospect_reminder_emails=prospect_reminder_emails
            )
    except IntegrityError:
        raise InvalidInput(
            _("A team named '%(name)s' exists already.") % {"name": name}, fields={"name": _("taken")}
        ) from None


def _manager_or_error(manager_id: int | None) -> User | None:
    if manager_id is None:
        return None
    manager = User.objects.filter(pk=manager_id, is_active=True).first()
    if manager is None or manager.role not in (Role.MANAGER, Role.ADMIN):
        raise InvalidInput(
            _("User %(id)s cannot manage a team: give them the manager role first.") % {"id": manager_id},
            fields={"manager_id": _("not a manager")},
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
    prospect_reminder_emails: bool | None = None,
) -> Team:
    """`prospect_reminder_emails` is the team's default for members who have not chosen themselves."""
    _require_admin(actor, _("Only an administrator can change teams."))
    team = Team.objects.select_for_update().filter(pk=team_id).first()
    if team is None:
        raise NotFound(_("There is no team with id %(id)s.") % {"id": team_id})
    fields = []
    if name is not None:
        if not name.strip():
            raise InvalidInput(_("A team needs a name."), fields={"name": _("required")})
        if Team.objects.filter(name__iexact=name.strip()).exclude(pk=team.pk).exists():
            raise InvalidInput(
                _("A team named '%(name)s' exists already.") % {"name": name}, fields={"name": _("taken")}
            )
        team.name = name.strip()
        fields.append("name")
    if manager_id is not None or clear_manager:
        team.manager = None if clear_manager else _manager_or_error(manager_id)
        fields.append("manager")
    if prospect_reminder_emails is not None:
        team.prospect_reminder_emails = prospect_reminder_emails
        fields.append("prospect_reminder_emails")
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
                _("User '%(username)s' exists but is not an administrator; choose another username.")
                % {"username": username}
            )
        return existing, False
    if not password:
        raise InvalidInput(_("Give the admin a password (--admin-password or SALESPIPE_ADMIN_PASSWORD)."))
    return user_create(actor=None, username=username, password=password, role=Role.ADMIN, email=email), True
