"""REST endpoints for users, teams and personal access tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from salespipe.core.api_support import (
    InputSchema,
    Page,
    PageParams,
    PatchSchema,
    errors,
    page,
    request_user,
)
from salespipe.core.errors import NotAllowed
from salespipe.people import selectors, services, tokens
from salespipe.people.models import Role, Team, User

router = Router(tags=["users and teams"])

# --- schemas --------------------------------------------------------------------------------------------


class UserRef(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(user: User) -> str:
        return str(user)


class TeamRef(Schema):
    id: int
    name: str


class UserOut(Schema):
    id: int
    username: str
    name: str
    first_name: str
    last_name: str
    email: str
    role: Role
    team: TeamRef | None
    time_zone: str = Field(description="IANA time zone, e.g. Europe/Athens.")
    workday_starts_at: dt.time
    workday_ends_at: dt.time
    working_weekdays: str = Field(description="ISO weekday digits, 1 = Monday: `12345` is Mon-Fri.")
    is_active: bool

    @staticmethod
    def resolve_name(user: User) -> str:
        return str(user)


class MeOut(UserOut):
    language: str = Field(description="Language of your emails and your prospects'; \"\" is the site's.")
    daily_digest: bool = Field(
        description="Whether you get the agenda email at the start of each working day."
    )
    weekly_digest: bool = Field(
        description="Whether you get your teams' week by email on Monday morning (if you manage a team)."
    )
    prospect_reminder_emails: bool | None = Field(
        description="Whether your prospects get a reminder email the working day before an appointment; "
        "null does as your team does."
    )
    emails_prospects: bool = Field(description="What applies now: your choice, else your team's.")


class MePatch(PatchSchema):
    clearable = frozenset({"prospect_reminder_emails"})

    time_zone: str | None = Field(None, description="IANA time zone, e.g. Asia/Singapore.")
    workday_starts_at: dt.time | None = None
    workday_ends_at: dt.time | None = None
    working_weekdays: str | None = Field(None, description="ISO weekday digits, e.g. 12345 for Mon-Fri.")
    language: str | None = Field(None, description='"en", "el", or "" for the site\'s language.')
    daily_digest: bool | None = None
    weekly_digest: bool | None = None
    prospect_reminder_emails: bool | None = Field(None, description="null: as your team does.")


class UserFilters(Schema):
    team_id: int | None = None
    role: Role | None = None


class UserIn(InputSchema):
    username: str
    password: str = Field(description="Checked against the password rules (length, not common, ...).")
    role: Role = Role.REP
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    team_id: int | None = None
    time_zone: str = "UTC"


class UserPatch(PatchSchema):
    clearable = frozenset({"team_id"})

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    time_zone: str | None = None
    workday_starts_at: dt.time | None = None
    workday_ends_at: dt.time | None = None
    working_weekdays: str | None = None
    role: Role | None = Field(None, description="Admin only.")
    team_id: int | None = Field(None, description="Admin only; null takes the user off their team.")
    is_active: bool | None = Field(None, description="Admin only; false blocks sign-in and tokens.")


_TEAM_PROSPECT_EMAILS = (
    "Whether members' prospects get a reminder email the working day before an appointment, for members "
    "who have not chosen themselves."
)


class TeamOut(Schema):
    id: int
    name: str
    manager: UserRef | None
    prospect_reminder_emails: bool = Field(description=_TEAM_PROSPECT_EMAILS)
    created_at: dt.datetime


class TeamIn(InputSchema):
    name: str
    manager_id: int | None = None
    prospect_reminder_emails: bool = Field(False, description=_TEAM_PROSPECT_EMAILS)


class TeamPatch(PatchSchema):
    clearable = frozenset({"manager_id"})

    name: str | None = None
    manager_id: int | None = Field(None, description="A manager or admin; null leaves the team without one.")
    prospect_reminder_emails: bool | None = Field(None, description=_TEAM_PROSPECT_EMAILS)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The first characters of the token, to recognise it.")
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The token itself. It is shown this once and never stored: keep it.")


class TokenIn(InputSchema):
    name: str = Field(description="Where the token is used, e.g. 'reporting script'.")
    expires_in_days: int | None = Field(None, ge=1, description="Leave out for a token that does not expire.")


# --- users ----------------------------------------------------------------------------------------------


@router.get("/users", response={200: Page[UserOut], **errors()}, summary="List users")
def user_list(request: HttpRequest, filters: Query[UserFilters], paging: Query[PageParams]) -> dict[str, Any]:
    """The active users of the sales organization (everyone may see who is on the team), newest first."""
    users = selectors.user_list(actor=request_user(request), team_id=filters.team_id, role=filters.role)
    return page(users, cursor=paging.cursor, limit=paging.limit)


@router.get("/users/me", response={200: MeOut, **errors()}, summary="The signed-in user")
def user_me(request: HttpRequest) -> User:
    """The user the token or session belongs to, with their own preferences."""
    user = request_user(request)
    return selectors.user_get(actor=user, user_id=user.pk)


@router.patch("/users/me", response={200: MeOut, **errors()}, summary="Change your preferences")
def user_me_update(request: HttpRequest, payload: MePatch) -> User:
    """Your time zone, working hours and days, the language of your emails, the daily and weekly
    digests, and whether your prospects get reminder emails (null: as your team does). Bad input changes
    nothing."""
    user = request_user(request)
    services.user_preferences_update(actor=user, **payload.changes())
    return selectors.user_get(actor=user, user_id=user.pk)


@router.get("/users/{user_id}", response={200: UserOut, **errors(404)}, summary="Get a user")
def user_get(request: HttpRequest, user_id: int) -> User:
    return selectors.user_get(actor=request_user(request), user_id=user_id)


@router.post("/users", response={201: UserOut, **errors(403)}, summary="Add a user (admin)")
def user_create(request: HttpRequest, payload: UserIn) -> Status[User]:
    """Only an administrator adds users. The password must pass the password rules."""
    user = services.user_create(actor=request_user(request), **payload.model_dump())
    return Status(201, user)


@router.patch("/users/{user_id}", response={200: UserOut, **errors(403, 404)}, summary="Change a user")
def user_update(request: HttpRequest, user_id: int, payload: UserPatch) -> User:
    """Everyone may change their own profile (name, email, time zone, working hours and days); role,
    team and activation, and anybody else's profile, only an administrator."""
    return services.user_update(actor=request_user(request), user_id=user_id, **payload.changes())


# --- teams ----------------------------------------------------------------------------------------------


@router.get("/teams", response={200: Page[TeamOut], **errors()}, summary="List teams")
def team_list(request: HttpRequest, paging: Query[PageParams]) -> dict[str, Any]:
    teams = selectors.team_list(actor=request_user(request))
    return page(teams, cursor=paging.cursor, limit=paging.limit)


@router.post("/teams", response={201: TeamOut, **errors(403)}, summary="Create a team (admin)")
def team_create(request: HttpRequest, payload: TeamIn) -> Status[Team]:
    team = services.team_create(actor=request_user(request), **payload.model_dump())
    return Status(201, team)


@router.get("/teams/{team_id}", response={200: TeamOut, **errors(404)}, summary="Get a team")
def team_get(request: HttpRequest, team_id: int) -> Team:
    return selectors.team_get(actor=request_user(request), team_id=team_id)


@router.patch(
    "/teams/{team_id}", response={200: TeamOut, **errors(403, 404)}, summary="Change a team (admin)"
)
def team_update(request: HttpRequest, team_id: int, payload: TeamPatch) -> Team:
    """Rename a team, change its manager (`"manager_id": null` leaves it without one) or its default for
    prospect reminder emails."""
    changes = payload.changes()
    return services.team_update(
        actor=request_user(request),
        team_id=team_id,
        name=changes.get("name"),
        manager_id=changes.get("manager_id"),
        clear_manager="manager_id" in changes and changes["manager_id"] is None,
        prospect_reminder_emails=changes.get("prospect_reminder_emails"),
    )


# --- personal access tokens -----------------------------------------------------------------------------

tokens_router = Router(tags=["tokens"])


@tokens_router.get("/tokens", response={200: Page[TokenOut], **errors()}, summary="List your tokens")
def token_list(request: HttpRequest, paging: Query[PageParams]) -> dict[str, Any]:
    """Your own tokens, revoked ones included; the tokens themselves are never shown again."""
    return page(selectors.token_list(actor=request_user(request)), cursor=paging.cursor, limit=paging.limit)


@tokens_router.post("/tokens", response={201: TokenCreatedOut, **errors(403)}, summary="Create a token")
def token_create(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    """A new personal access token for yourself, from a signed-in session (not with a token, so a leaked
    token cannot make more of itself). The answer holds the token once: store it now."""
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        raise NotAllowed(
            "Tokens are created from a signed-in session or with `salespipe token create`, "
            "not with another token."
        )
    token, raw = tokens.token_create(user=request_user(request), **payload.model_dump())
    return Status(201, {**TokenOut.model_validate(token).model_dump(), "token": raw})


@tokens_router.delete("/tokens/{token_id}", response={204: None, **errors(404)}, summary="Revoke a token")
def token_revoke(request: HttpRequest, token_id: int) -> Status[None]:
    """Revoke one of your tokens: requests with it are refused from now on."""
    tokens.token_revoke(user=request_user(request), token_id=token_id)
    return Status(204, None)
