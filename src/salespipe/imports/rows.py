"""One row of a file as the records it brings in, or the problems that keep it out (docs/import.md).

Pure: the cells are read into typed values here; what they refer to in the database (a stage, an owner, an
existing organization) is resolved by `loading`.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from salespipe.core.text import domain_of, fold
from salespipe.imports.fields import FIELDS_BY_KEY, Entity, Kind, header_key
from salespipe.imports.mapping import Mapping
from salespipe.imports.reading import Row
from salespipe.imports.values import parse_date, parse_money

YES = frozenset({"yes", "y", "true", "t", "1", "x", "ναι"})
NO = frozenset({"no", "n", "false", "f", "0", "", "οχι"})

# What other systems call a status, read as open, won or lost (by header_key).
STATUSES = {
    "open": "open",
    "won": "won",
    "lost": "lost",
    "closed won": "won",
    "closed lost": "lost",
    "active": "open",
    "in progress": "open",
}

# Activity types as other systems name them (by header_key) → Salespipe's kinds.
ACTIVITY_KINDS = {
    "call": "call",
    "phone call": "call",
    "phone": "call",
    "email": "email",
    "e mail": "email",
    "mail": "email",
    "meeting": "meeting",
    "lunch": "meeting",
    "appointment": "meeting",
    "demo": "demo",
    "trial": "trial",
    "free trial": "trial",
    "gift": "gift",
    "task": "task",
    "to do": "task",
    "todo": "task",
    "deadline": "task",
    "note": "note",
    "info request": "info_request",
    "information request": "info_request",
}

# Lead sources as people write them (words of header_key) → Salespipe's sources; anything else is "other".
SOURCE_WORDS = (
    ("partner", "partner"),  # before "referral": a partner's referral came through the partner
    ("referral", "referral"),
    ("word of mouth", "referral"),
    ("web", "website"),
    ("online", "website"),
    ("organic", "website"),
    ("seo", "website"),
    ("trade show", "event"),
    ("seminar", "event"),
    ("event", "event"),
    ("conference", "event"),
    ("cold", "cold_call"),
    ("outbound", "cold_call"),
    ("inbound", "inbound"),
    ("phone inquiry", "inbound"),
    ("existing", "existing_customer"),
    ("customer", "existing_customer"),
)


@dataclass(frozen=True)
class Problem:
    """Why a row, or one of its records, was not imported: what the error report lists."""

    row: int
    column: str
    value: str
    reason: str


@dataclass
class OrganizationIn:
    external_id: str = ""
    name: str = ""
    website: str = ""
    domain: str = ""  # the website's host without `www.`: how organizations without a name match
    phone: str = ""
    address: str = ""
    city: str = ""
    country: str = ""
    industry: str = ""


@dataclass
class PersonIn:
    external_id: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    job_title: str = ""


@dataclass
class DealIn:
    external_id: str = ""
    title: str = ""
    value: Decimal | None = None
    currency: str = ""
    pipeline: str = ""
    stage: str = ""
    status: str = ""  # open, won, lost, or "" to follow the stage
    owner: str = ""
    expected_close_date: dt.date | None = None
    created_on: dt.date | None = None
    won_on: dt.date | None = None
    lost_on: dt.date | None = None
    closed_on: dt.date | None = None
    lost_reason: str = ""
    probability: int | None = None
    source: str = ""


@dataclass
class ActivityIn:
    external_id: str = ""
    kind: str = ""
    subject: str = ""
    due_on: dt.date | None = None
    done_on: dt.date | None = None
    done: bool | None = None
    note: str = ""
    owner: str = ""
    deal_external_id: str = ""


@dataclass
class ParsedRow:
    number: int
    organization: OrganizationIn | None = None
    person: PersonIn | None = None
    deal: DealIn | None = None
    activity: ActivityIn | None = None
    problems: list[Problem] = field(default_factory=list)


# Amounts repeat (round figures, list prices): each text is read once. A `Money` is immutable: rows share it.
_money = functools.lru_cache(maxsize=8192)(parse_money)


@functools.lru_cache(maxsize=4096)
def _is_email(text: str) -> bool:
    """Django's own check, once per address (a person's address repeats on each of their deals)."""
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True


def source_of(text: str) -> str:
    key = header_key(text)
    if not key:
        return ""
    for word, source in SOURCE_WORDS:
        if word in key:
            return source
    return "other"


def _probability(text: str) -> int:
    """`75`, `75%` or HubSpot's `0.75` → 75."""
    raw = text.strip().rstrip("%").strip().replace(",", ".")
    number = Decimal(raw)
    if "." in raw and number <= 1:
        number *= 100
    if not 0 <= number <= 100:
        raise ValueError(f"'{text}' is not a probability between 0 and 100%")
    return int(number.to_integral_value())


class RowParser:
    """Reads rows by one mapping. Keeps nothing between rows, so a file of any length streams through."""

    def __init__(self, mapping: Mapping, *, today: dt.date | None = None) -> None:
        self.mapping = mapping
        self.today = today or dt.datetime.now(dt.UTC).date()
        self.entities = mapping.entities
        self._columns = [(key, header, FIELDS_BY_KEY[key].kind) for key, header in mapping.columns.items()]
        self._dates: dict[str, dt.date | None] = {}

    def _date(self, text: str) -> dt.date | None:
        """A date cell; the same text is read once (close dates repeat across a file's rows). The memo is
        emptied when it grows, so a file of timestamps all different keeps memory flat."""
        if text not in self._dates:
            if len(self._dates) >= 20_000:
                self._dates.clear()
            self._dates[text] = parse_date(text, day_first=self.mapping.day_first, today=self.today)
        return self._dates[text]

    def _value(self, kind: Kind, text: str) -> object:
        if kind is Kind.TEXT:
            return text
        if kind is Kind.MONEY:
            return _money(text)
        if kind is Kind.DATE:
            return self._date(text)
        if kind is Kind.YES_NO:
            folded = fold(text)
            if folded in YES:
                return True
            if folded in NO:
                return False
            raise ValueError(f"'{text}' is neither yes nor no (write yes/no, true/false or 1/0)")
        if kind is Kind.EMAIL:
            if text and not _is_email(text):
                raise ValueError(f"'{text}' is not an email address")
            return text.lower()
        try:
            return _probability(text) if text else None
        except (ArithmeticError, ValueError):
            raise ValueError(f"'{text}' is not a probability between 0 and 100%") from None

    def parse(self, row: Row) -> ParsedRow:
        parsed = ParsedRow(number=row.number)
        values: dict[str, Any] = {}
        cells = row.cells
        for key, header, kind in self._columns:
            text = cells.get(header, "")
            if kind is Kind.TEXT:  # most columns: nothing to read
                values[key] = text
                continue
            try:
                values[key] = self._value(kind, text)
            except ValueError as error:
                parsed.problems.append(Problem(row.number, header, text, str(error)))
        if parsed.problems:
            return parsed
        if Entity.ORGANIZATION in self.entities:
            parsed.organization = self._organization(values)
        if Entity.PERSON in self.entities:
            parsed.person = self._person(values)
        if Entity.DEAL in self.entities:
            parsed.deal = self._deal(row, values, parsed.problems)
        if Entity.ACTIVITY in self.entities:
            parsed.activity = self._activity(row, values, parsed.problems)
        return parsed

    def _organization(self, values: dict[str, Any]) -> OrganizationIn | None:
        organization = OrganizationIn(
            external_id=(values.get("organization.external_id") or ""),
            name=(values.get("organization.name") or "")[:200],
            website=(values.get("organization.website") or "")[:200],
            phone=(values.get("organization.phone") or "")[:50],
            address=(values.get("organization.address") or "")[:300],
            city=(values.get("organization.city") or "")[:100],
            country=(values.get("organization.country") or "").upper()[:2],
            industry=(values.get("organization.industry") or "")[:100],
        )
        organization.domain = domain_of(organization.website)
        return organization if organization.name or organization.external_id or organization.domain else None

    def _person(self, values: dict[str, Any]) -> PersonIn | None:
        first, last = (values.get("person.first_name") or ""), (values.get("person.last_name") or "")
        if not (first or last) and (full := (values.get("person.name") or "")):
            first, _, last = full.rpartition(" ")
        person = PersonIn(
            external_id=(values.get("person.external_id") or ""),
            first_name=first.strip()[:100],
            last_name=(last.strip() or first.strip())[:100],
            email=(values.get("person.email") or "")[:254],
            phone=(values.get("person.phone") or "")[:50],
            job_title=(values.get("person.job_title") or "")[:100],
        )
        if person.last_name == person.first_name and not last.strip():
            person.first_name = ""
        if not person.last_name and person.email:
            person.last_name = person.email.split("@", 1)[0]
        return person if person.last_name or person.external_id else None

    def _deal(self, row: Row, values: dict[str, Any], problems: list[Problem]) -> DealIn | None:
        title = (values.get("deal.title") or "")[:200]
        if not title:
            if (values.get("deal.external_id") or "") or (values.get("deal.value") or ""):
                header = self.mapping.columns.get("deal.title", "")
                problems.append(Problem(row.number, header, "", "a deal needs a title; this cell is empty"))
            return None
        money = values.get("deal.value")
        value = money.amount if money is not None else None
        currency = (money.currency if money is not None else "") or (
            values.get("deal.currency") or ""
        ).upper()
        if value is not None and value < 0:
            header = self.mapping.columns["deal.value"]
            problems.append(
                Problem(row.number, header, row.cells.get(header, ""), "a deal's value cannot be negative")
            )
            return None
        status = ""
        if raw_status := (values.get("deal.status") or ""):
            status = STATUSES.get(header_key(raw_status), "")
            if not status:
                header = self.mapping.columns["deal.status"]
                reason = (
                    "deleted in the other system, so not imported"
                    if header_key(raw_status) == "deleted"
                    else "a status is open, won or lost"
                )
                problems.append(Problem(row.number, header, raw_status, reason))
                return None
        elif values.get("deal.won") is True:
            status = "won"
        elif values.get("deal.closed") is True:
            status = "lost"
        elif values.get("deal.closed") is False:
            status = "open"
        return DealIn(
            external_id=(values.get("deal.external_id") or "")[:80],
            title=title,
            value=value,
            currency=currency[:3],
            pipeline=(values.get("deal.pipeline") or ""),
            stage=(values.get("deal.stage") or ""),
            status=status,
            owner=(values.get("deal.owner") or ""),
            expected_close_date=values.get("deal.expected_close_date"),
            created_on=values.get("deal.created_at"),
            won_on=values.get("deal.won_at"),
            lost_on=values.get("deal.lost_at"),
            closed_on=values.get("deal.closed_at"),
            lost_reason=(values.get("deal.lost_reason") or "")[:200],
            probability=values.get("deal.probability"),
            source=source_of(values.get("deal.source") or ""),
        )

    def _activity(self, row: Row, values: dict[str, Any], problems: list[Problem]) -> ActivityIn | None:
        raw_kind, subject = (values.get("activity.kind") or ""), (values.get("activity.subject") or "")[:200]
        if not (raw_kind or subject):
            return None
        kind = ACTIVITY_KINDS.get(header_key(raw_kind), "") if raw_kind else "task"
        if not kind:
            header = self.mapping.columns["activity.kind"]
            problems.append(
                Problem(
                    row.number,
                    header,
                    raw_kind,
                    "not an activity type (call, email, meeting, demo, trial, gift, task, note)",
                )
            )
            return None
        return ActivityIn(
            external_id=(values.get("activity.external_id") or "")[:80],
            kind=kind,
            subject=subject or kind.replace("_", " ").capitalize(),
            due_on=values.get("activity.due_at"),
            done_on=values.get("activity.done_at"),
            done=values.get("activity.done"),
            note=(values.get("activity.note") or ""),
            owner=(values.get("activity.owner") or ""),
            deal_external_id=(values.get("activity.deal_external_id") or "")[:80],
        )
