"""Reads about users and teams, and the one rule of who sees whose work."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from salespipe.core.errors import NotFound
from salespipe.people.models import ApiToken, Role, Team, User


def owner_scope(actor: User, *, owner_field: str = "owner") -> Q:
    """Rows owned by someone the actor may see: a rep, themselves; a manager, also their teams' members;
    an admin, everybody. Every selector of owned data filters with this."""
    if actor.role == Role.ADMIN:
        return Q()
    mine = Q(**{owner_field: actor.pk})
    if actor.role == Role.MANAGER:
        return mine | Q(**{f"{owner_field}__team__manager": actor.pk})
    return mine


def user_can_manage(actor: User, owner: User) -> bool:
    """Whether the actor may act on work owned by `owner` (same rule as owner_scope, for one row)."""
    if actor.role == Role.ADMIN or actor.pk == owner.pk:
        return True
    if actor.role == Role.MANAGER and owner.team_id is not None:
        return Team.objects.filter(pk=owner.team_id, manager=actor).exists()
    return False


def user_list(
    *, actor: User, team_id: int | None = None, role: str | None = None, include_inactive: bool = False
) -> QuerySet[User]:
    """The user directory: everyone sees who is on the sales team (names, roles, time zones). Admins'
    settings also list deactivated users (active ones first), so they can be brought back."""
    users = User.objects.select_related("team")
    if include_inactive and actor.is_admin:
        users = users.order_by("-is_active", "username")
    else:
        users = users.filter(is_active=True).order_by("username")
    if team_id is not None:
        users = users.filter(team_id=team_id)
    if role:
        users = users.filter(role=role)
    return users


def user_get(*, actor: User, user_id: int) -> User:
    try:
        return User.objects.select_related("team").get(pk=user_id, is_active=True)
    except User.DoesNotExist:
        raise NotFound(_("There is no user with id %(id)s.") % {"id": user_id}) from None


def team_list(*, actor: User) -> QuerySet[Team]:
    return Team.objects.select_related("manager").order_by("name")


def team_get(*, actor: User, team_id: int) -> Team:
    try:
        return Team.objects.select_related("manager").get(pk=team_id)
    except Team.DoesNotExist:
        raise NotFound(_("There is no team with id %(id)s.") % {"id": team_id}) from None


def visible_user_ids(actor: User) -> Q:
    """Users whose work the actor may see, as a filter on User."""
    if actor.role == Role.ADMIN:
        return Q()
    if actor.role == Role.MANAGER:
        return Q(pk=actor.pk) | Q(team__manager=actor.pk)
    return Q(pk=actor.pk)


def not_visible(what: str, ident: object) -> NotFound:
    return NotFound(f"There is no {what} with id {ident}, or you may not see it.")


def token_list(*, actor: User) -> QuerySet[ApiToken]:
    """The actor's own personal access tokens, revoked ones included (nobody sees another's)."""
    return ApiToken.objects.filter(user=actor).order_by("-id")
