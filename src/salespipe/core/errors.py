"""One error hierarchy for the whole product.

Each error carries a stable machine code, a message that says what was wrong and how to fix it, and
optionally per-field messages. The API maps them to an HTTP status, the CLI to an exit code and the
web pages to a message, each in one place.
"""

from __future__ import annotations

from collections.abc import Mapping


class SalespipeError(Exception):
    http_status = 400
    exit_code = 1
    default_code = "error"

    def __init__(self, message: str, *, code: str | None = None, fields: Mapping[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.fields: dict[str, str] = dict(fields or {})

    def as_body(self) -> dict[str, object]:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class InvalidInput(SalespipeError):
    """The request itself is malformed or a value is out of range."""

    http_status = 422
    exit_code = 2
    default_code = "invalid"


class RuleBroken(SalespipeError):
    """The input is well formed but a business rule forbids the change (a stage gate, say)."""

    http_status = 409
    exit_code = 3
    default_code = "rule_broken"


class NotFound(SalespipeError):
    """The thing does not exist, or the acting user may not see it: the two are indistinguishable."""

    http_status = 404
    exit_code = 4
    default_code = "not_found"


class NotAllowed(SalespipeError):
    """The user may see the thing but not change it."""

    http_status = 403
    exit_code = 5
    default_code = "forbidden"


class StaleVersion(SalespipeError):
    """Somebody else changed the record since the client read it."""

    http_status = 412
    exit_code = 6
    default_code = "stale_version"


class VersionRequired(SalespipeError):
    """An edit came without the version it was based on, so a lost update could not be ruled out."""

    http_status = 428
    exit_code = 6
    default_code = "version_required"
