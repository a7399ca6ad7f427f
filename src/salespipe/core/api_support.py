"""What every REST endpoint shares: who is asking, the one error body, cursor pages and deal ETags.

The endpoints themselves live beside their domain (`deals/api.py`, ...) and stay thin: parse the
request, call a selector or a service with the requesting user as actor, render the result.
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.operation import Operation
from ninja.responses import Response
from ninja.security import APIKeyCookie, HttpBearer
from pydantic import ConfigDict, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from salespipe.core.errors import InvalidInput, SalespipeError, StaleVersion
from salespipe.people.models import User
from salespipe.people.tokens import token_authenticate

logger = logging.getLogger("salespipe.api")

# --- who is asking ------------------------------------------------------------------------------------


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` with a personal access token (`salespipe token create`)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return token_authenticate(token.strip()) if token.strip() else None


class SessionAuth(APIKeyCookie):
    """The signed-in web session, so the web UI and the docs page can call the API.

    Unsafe methods need the CSRF token, as anywhere else on the site. A request without a signed-in
    session is left to the other schemes untouched, so a bad token answers 401, not a CSRF error."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        return user if isinstance(user, User) and user.is_authenticated and user.is_active else None


def request_user(request: HttpRequest) -> User:
    """The user the request authenticated as: the actor of every selector and service call."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise AuthenticationError()
    return user


# --- the one error body ---------------------------------------------------------------------------------


class ErrorDetail(Schema):
    code: str = Field(description="Stable machine-readable code, e.g. `decision_maker_required`.")
    message: str = Field(description="What was wrong and how to fix it, for a person to read.")
    fields: dict[str, str] = Field(
        description="Per-field problems, keyed by the field's path in the request (e.g. `stages.0.name`)."
    )


class ErrorOut(Schema):
    """Every 4xx and 5xx answer has this body."""

    error: ErrorDetail


STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "rule_broken",
    412: "stale_version",
    422: "invalid",
    428: "version_required",
    429: "throttled",
    500: "server_error",
}


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The documented error answers of an endpoint; 401 (no or bad credentials) and 422 (bad input)
    can happen anywhere, so they are always listed."""
    return dict.fromkeys(sorted({401, 422, *statuses}), ErrorOut)


# Every endpoint names its body parameter `payload`, so its name can be dropped from error paths.
BODY_PARAM = "payload"


def _field_path(location: Sequence[Any]) -> str:
    # ninja reports ("body", "payload", "stages", 0, "name") or ("query", "limit"); a client knows
    # neither the source nor the parameter name, only the path inside what it sent.
    parts = list(location[1:])
    if location and location[0] == "body" and parts and parts[0] == BODY_PARAM:
        parts = parts[1:]
    return ".".join(str(part) for part in parts) or str(location[0] if location else "body")


def _validation_fields(exc: NinjaValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in exc.errors:
        fields.setdefault(_field_path(error.get("loc", ())), str(error.get("msg", "invalid")))
    return fields


def install_error_handlers(api: NinjaAPI) -> None:
    """Map every failure to one JSON body: `{"error": {"code", "message", "fields"}}`."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(SalespipeError)
    def salespipe_error(request: HttpRequest, exc: SalespipeError) -> HttpResponse:
        return respond(request, exc.http_status, exc.as_body())

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields = _validation_fields(exc)
        listing = "; ".join(f"{path}: {message}" for path, message in fields.items())
        return respond(
            request,
            422,
            error_body(
                "invalid", _("The request has invalid values (%(problems)s).") % {"problems": listing}, fields
            ),
        )

    @api.exception_handler(Http404)
    @api.exception_handler(ObjectDoesNotExist)
    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return respond(
            request, 404, error_body("not_found", _("There is no such thing, or you may not see it."))
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        if request.headers.get("Authorization"):
            message = _(
                "The token is unknown, revoked or expired. Create a new one with "
                "`salespipe token create --user NAME --name WHERE` or POST /api/v1/tokens."
            )
        else:
            message = _(
                "Sign in, or send a personal access token as `Authorization: Bearer <token>` "
                "(create one with `salespipe token create --user NAME --name WHERE`)."
            )
        response = respond(request, 401, error_body("unauthenticated", message))
        response["WWW-Authenticate"] = 'Bearer realm="salespipe"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = STATUS_CODES.get(exc.status_code, "error")
        message = str(exc)
        if exc.status_code == 403 and "CSRF" in message:
            code, message = (
                "csrf_failed",
                _("The CSRF token is missing or wrong; send the X-CSRFToken header."),
            )
        elif exc.status_code == 400 and message.startswith("Cannot parse request body"):
            code, message = "malformed_body", _("The request body is not valid JSON.")
        return respond(request, exc.status_code, error_body(code, message))

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.error("Unhandled error in %s %s", request.method, request.path, exc_info=exc)
        return respond(
            request,
            500,
            error_body("server_error", _("Something went wrong on the server; it has been logged.")),
        )


def _json_method_not_allowed(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            answer = _json_response(
                405,
                error_body(
                    "method_not_allowed",
                    _("%(method)s is not allowed here; use one of: %(allowed)s.")
                    % {"method": request.method, "allowed": allowed},
                ),
            )
            answer["Allow"] = allowed
            return answer
        return response

    return wrapped


def _json_response(status: int, body: dict[str, Any]) -> HttpResponse:
    return Response(body, status=status)


def _no_such_endpoint(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return _json_response(
        404,
        error_body(
            "not_found",
            _("There is no endpoint at %(path)s; the reference is at /api/v1/docs.") % {"path": request.path},
        ),
    )


class SalespipeAPI(NinjaAPI):
    """NinjaAPI whose every answer, even for an unknown path or method, carries the one error body."""

    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                # The API authenticates each request itself (token or session) and answers 401 in JSON;
                # the site's sign-in redirect must not stand in front of it.
                pattern.callback = login_not_required(_json_method_not_allowed(pattern.callback))
        patterns.append(re_path(r"^.*$", login_not_required(_no_such_endpoint), name="no-such-endpoint"))
        return patterns, app_name, namespace

    def get_openapi_operation_id(self, operation: Operation) -> str:
        # Endpoint function names are unique across the API and read well in generated clients.
        return operation.view_func.__name__


# --- input schemas --------------------------------------------------------------------------------------


class InputSchema(Schema):
    """A request body: unknown fields are refused, so a typo never goes silently unapplied."""

    model_config = ConfigDict(extra="forbid")


class PatchSchema(InputSchema):
    """A partial update: only the fields present in the body change. `null` clears a field only
    where the field may be empty (listed in `clearable`); elsewhere leave the field out instead."""

    clearable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*")
    @classmethod
    def _null_only_where_clearable(cls, value: object, info: ValidationInfo) -> object:
        if value is None and info.field_name not in cls.clearable:
            raise PydanticCustomError(
                "null_not_allowed", _("cannot be null; leave the field out to keep its value")
            )
        return value

    def changes(self, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
        changed = self.model_dump(exclude_unset=True)
        for name in exclude:
            changed.pop(name, None)
        return changed


# --- cursor pagination ----------------------------------------------------------------------------------

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
_CURSOR_PREFIX = "id:"

ItemT = TypeVar("ItemT")
ModelT = TypeVar("ModelT", bound=Model)


class PageParams(Schema):
    limit: int = Field(
        DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"Rows per page, 1-{MAX_PAGE_SIZE}."
    )
    cursor: str | None = Field(
        None, description="`next_cursor` of the previous page; leave it out for the first page."
    )


class Page(Schema, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        return f"{getattr(params[0], '__name__', 'Item')}Page"


def cursor_encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{last_id}".encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    digits = raw.removeprefix(_CURSOR_PREFIX)
    if not raw.startswith(_CURSOR_PREFIX) or not digits.isdigit() or int(digits) < 1:
        raise InvalidInput(
            _("The cursor is not one this API handed out; start again without it."),
            fields={"cursor": _("invalid cursor")},
        )
    return int(digits)


def page(queryset: QuerySet[ModelT], *, cursor: str | None, limit: int) -> dict[str, Any]:
    """One page of rows, newest (highest id) first, continuing after `cursor`.

    Keyset pagination on the primary key: one indexed range scan of `limit + 1` rows whatever the table
    size, and no COUNT(*). The extra row only tells whether a next page exists."""
    rows = queryset.order_by("-pk")
    if cursor:
        rows = rows.filter(pk__lt=cursor_decode(cursor))
    fetched = list(rows[: limit + 1])
    items = fetched[:limit]
    has_more = len(fetched) > limit
    return {"items": items, "next_cursor": cursor_encode(items[-1].pk) if has_more else None}


# --- deal versions: ETag and If-Match -------------------------------------------------------------------

_DEAL_ETAG = re.compile(r'^(?:W/)?"deal-(?P<deal>\d+)-v(?P<version>\d+)"$')
ANY_VERSION = "*"


def if_match_version(if_match: str | None, *, deal_id: int) -> int | None:
    """The deal version an `If-Match` header names: None when absent or `*` (any version).

    An ETag of another form, or of another deal, can never match: 412, as HTTP prescribes."""
    if if_match is None or not if_match.strip() or if_match.strip() == ANY_VERSION:
        return None
    for candidate in if_match.split(","):
        match = _DEAL_ETAG.match(candidate.strip())
        if match and int(match["deal"]) == deal_id:
            return int(match["version"])
    raise StaleVersion(
        _(
            "If-Match %(if_match)s is not an ETag of deal %(deal)s; send the ETag header of "
            'GET /api/v1/deals/%(deal)s, e.g. "deal-%(deal)s-v3".'
        )
        % {"if_match": if_match, "deal": deal_id},
        fields={"If-Match": _("not this deal's ETag")},
    )


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return ANY_VERSION in tags or etag in tags


ETAG_HEADER_DOC: dict[str, Any] = {
    "ETag": {
        "description": 'The deal\'s current version, e.g. `"deal-42-v3"`; send it back as If-Match.',
        "schema": {"type": "string"},
    }
}
