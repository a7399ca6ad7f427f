"""What a column of an imported file can be: the fields the importer fills (docs/import.md#fields).

A field is named `<entity>.<name>` (`deal.value`, `person.email`). Which entities a row brings in follows
from the fields its file maps: a file with `organization.name` and `deal.title` gives each row an
organization and a deal of it; a file with only `person.*` columns is a list of people.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum

from salespipe.core.text import fold


class Entity(StrEnum):
    ORGANIZATION = "organization"
    PERSON = "person"
    DEAL = "deal"
    ACTIVITY = "activity"


class Kind(StrEnum):
    TEXT = "text"
    MONEY = "money"
    DATE = "date"
    NUMBER = "number"
    YES_NO = "yes/no"
    EMAIL = "email"


@dataclass(frozen=True)
class Field:
    key: str
    kind: Kind
    help: str
    # Header names a generic file is likely to use for it, besides the key itself, compared by `header_key`.
    aliases: tuple[str, ...] = ()

    @property
    def entity(self) -> Entity:
        return Entity(self.key.split(".", 1)[0])


FIELDS: tuple[Field, ...] = (
    Field(
        "organization.external_id",
        Kind.TEXT,
        "the organization's id in the other system",
        ("organization id", "company id", "account id", "accountid"),
    ),
    Field(
        "organization.name",
        Kind.TEXT,
        "name; organizations are matched by name or website",
        ("organization", "organisation", "company", "company name", "account", "account name", "customer"),
    ),
    Field("organization.website", Kind.TEXT, "website or domain", ("website", "domain", "web", "url")),
    Field("organization.phone", Kind.TEXT, "phone", ("company phone", "organization phone")),
    Field("organization.address", Kind.TEXT, "street address", ("address", "street")),
    Field("organization.city", Kind.TEXT, "city", ("city", "town")),
    Field("organization.country", Kind.TEXT, "ISO 3166 two-letter code", ("country", "country code")),
    Field("organization.industry", Kind.TEXT, "industry", ("industry", "sector")),
    Field(
        "person.external_id", Kind.TEXT, "the person's id in the other system", ("person id", "contact id")
    ),
    Field(
        "person.name",
        Kind.TEXT,
        "full name, split at the last space",
        ("person", "contact", "contact name", "contact person", "full name"),
    ),
    Field("person.first_name", Kind.TEXT, "first name", ("first name", "firstname", "given name")),
    Field("person.last_name", Kind.TEXT, "last name", ("last name", "lastname", "surname", "family name")),
    Field(
        "person.email",
        Kind.EMAIL,
        "email; people are matched by email, then by name and organization",
        ("email", "e mail", "email address", "contact email"),
    ),
    Field("person.phone", Kind.TEXT, "phone", ("phone", "telephone", "mobile", "contact phone")),
    Field("person.job_title", Kind.TEXT, "job title", ("job title", "title role", "position", "role")),
    Field(
        "deal.external_id",
        Kind.TEXT,
        "the deal's id in the other system; re-imports update by it",
        ("deal id", "opportunity id", "id", "record id"),
    ),
    Field(
        "deal.title",
        Kind.TEXT,
        "title",
        ("deal", "deal name", "deal title", "opportunity", "opportunity name", "title", "name"),
    ),
    Field(
        "deal.value",
        Kind.MONEY,
        "value, with or without its currency (`$1,200`, `1.200,50 €`)",
        ("value", "amount", "deal value", "deal amount", "price", "revenue"),
    ),
    Field(
        "deal.currency",
        Kind.TEXT,
        "ISO currency code, when the value cells do not say it",
        ("currency", "currency code"),
    ),
    Field(
        "deal.pipeline",
        Kind.TEXT,
        "pipeline name (else `--pipeline`, else the default pipeline)",
        ("pipeline",),
    ),
    Field(
        "deal.stage",
        Kind.TEXT,
        "stage name, mapped to the pipeline's stages",
        ("stage", "deal stage", "status stage"),
    ),
    Field("deal.status", Kind.TEXT, "open, won or lost (else from the stage)", ("status", "deal status")),
    Field("deal.won", Kind.YES_NO, "won (yes/no, true/false, 1/0)", ("won", "is won")),
    Field("deal.closed", Kind.YES_NO, "closed (yes/no); closed and not won is lost", ("closed", "is closed")),
    Field(
        "deal.owner",
        Kind.TEXT,
        "owner: a username, email or full name (or mapped under [owners])",
        ("owner", "deal owner", "sales rep", "salesperson", "assigned to", "user"),
    ),
    Field(
        "deal.expected_close_date",
        Kind.DATE,
        "expected close date (the close date of a closed deal)",
        ("close date", "expected close date", "closing date", "expected close"),
    ),
    Field(
        "deal.created_at",
        Kind.DATE,
        "when the deal was created",
        ("created", "create date", "created at", "created date", "date created"),
    ),
    Field("deal.won_at", Kind.DATE, "when it was won", ("won date", "won time", "won at", "date won")),
    Field("deal.lost_at", Kind.DATE, "when it was lost", ("lost date", "lost time", "lost at", "date lost")),
    Field("deal.closed_at", Kind.DATE, "when it was won or lost", ("closed at", "close time", "closed date")),
    Field(
        "deal.lost_reason",
        Kind.TEXT,
        "why it was lost",
        ("lost reason", "loss reason", "reason lost", "closed lost reason"),
    ),
    Field(
        "deal.probability",
        Kind.NUMBER,
        "a manual win probability in % (overrides the stage's rate)",
        ("probability override",),
    ),
    Field(
        "deal.source",
        Kind.TEXT,
        "where it came from (referral, website, event, partner, cold call, …)",
        ("source", "lead source", "deal source", "origin"),
    ),
    Field("activity.external_id", Kind.TEXT, "the activity's id in the other system", ("activity id",)),
    Field(
        "activity.kind",
        Kind.TEXT,
        "call, email, meeting, demo, trial, task, note, …",
        ("activity type", "type", "activity kind", "kind"),
    ),
    Field("activity.subject", Kind.TEXT, "subject", ("subject", "activity subject", "activity")),
    Field("activity.due_at", Kind.DATE, "due date", ("due date", "due", "activity date", "date")),
    Field(
        "activity.done_at",
        Kind.DATE,
        "when it was done",
        ("done date", "completed", "completed at", "done time", "marked as done time"),
    ),
    Field("activity.done", Kind.YES_NO, "done (yes/no)", ("done", "is done")),
    Field("activity.note", Kind.TEXT, "note", ("note", "notes", "description", "comment")),
    Field(
        "activity.owner",
        Kind.TEXT,
        "owner (else the deal's owner, else `--owner`)",
        ("activity owner", "assigned to user"),
    ),
    Field(
        "activity.deal_external_id",
        Kind.TEXT,
        "the deal's id in the other system, for an activities file",
        ("activity deal id",),
    ),
)

FIELDS_BY_KEY: dict[str, Field] = {field.key: field for field in FIELDS}
_PUNCTUATION = re.compile(r"[^\w]+")


@functools.lru_cache(maxsize=65536)
def header_key(header: str) -> str:
    """A header compared loosely: case, accents, punctuation and spacing aside (`Deal - Title` is
    `deal title`)."""
    return " ".join(_PUNCTUATION.sub(" ", fold(header)).split())


def guessed_field(header: str, taken: set[str]) -> str | None:
    """The field a generic file's column most likely is, by its header, unless that field is taken."""
    key = header_key(header)
    for field in FIELDS:
        if field.key not in taken and (key == header_key(field.key) or key in field.aliases):
            return field.key
    return None
