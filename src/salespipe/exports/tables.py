"""What each export holds: its columns, the filters it takes, and its rows as the actor may see them.

The rows come from the same selectors as the pages and the API (`deal_list`, `activity_list`,
`organization_list`, `person_list`), so an export shows exactly what its user could look at: a rep their
own deals and activities, a manager their teams' too, an admin everybody's; organizations and people are
the whole shared directory. They are read in chunks (`QuerySet.iterator`), so a million rows never sit in
memory. Column names are fixed English identifiers in every language, so a file can be read back by a
program (and by the importer's generic preset); docs/export.md lists them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from salespipe.activities.selectors import ACTIVITY_STATES, activity_list
from salespipe.core.errors import InvalidInput
from salespipe.deals.models import DealStatus
from salespipe.deals.selectors import deal_list
from salespipe.directory.selectors import organization_list, person_list
from salespipe.people.models import Team, User
from salespipe.people.selectors import visible_user_ids

CHUNK_ROWS = 2000  # rows fetched at a time


def _first(*values: Any) -> Any:
    return values[0]


@dataclass(frozen=True)
class Column:
    """A column: its name, the fields it reads (paths through relations, as `values_list` takes them) and
    how those make the cell (the first of them as it is, by default)."""

    name: str
    fields: tuple[str, ...]
    value: Callable[..., Any] = _first


def _field(name: str, path: str | None = None) -> Column:
    return Column(name, (path or name,))


def _full_name(first: str | None, last: str | None) -> str:
    return f"{first or ''} {last or ''}".strip()


@dataclass(frozen=True)
class Filter:
    """A filter an export takes: `key=value` on the command line, `?key=value` on the web."""

    parse: Callable[[User, str], Any]  # the selector's value from the text, or InvalidInput
    argument: str  # the selector's keyword


@dataclass(frozen=True)
class ExportTable:
    name: str
    columns: list[Column]
    rows: Callable[..., QuerySet[Any]]  # the selector, called with actor= and the parsed filters
    filters: dict[str, Filter] = field(default_factory=dict)


@dataclass(frozen=True)
class Export:
    """An export ready to write: its header and its rows, each a list of cell values."""

    table: ExportTable
    header: list[str]
    rows: Iterator[list[Any]]


# --- parsing filters -----------------------------------------------------------------------------------


def _text(_actor: User, raw: str) -> str:
    return raw.strip()


def _number(what: str) -> Callable[[User, str], int]:
    def parse(_actor: User, raw: str) -> int:
        try:
            return int(raw)
        except ValueError:
            raise InvalidInput(
                _("%(what)s must be a whole number (an id), not '%(value)s'.") % {"what": what, "value": raw},
                fields={what: _("not a number")},
            ) from None

    return parse


def _day(what: str) -> Callable[[User, str], dt.date]:
    def parse(_actor: User, raw: str) -> dt.date:
        try:
            return dt.date.fromisoformat(raw.strip())
        except ValueError:
            raise InvalidInput(
                _("%(what)s must be a date written YYYY-MM-DD, e.g. 2026-11-27, not '%(value)s'.")
                % {"what": what, "value": raw},
                fields={what: _("not a date")},
            ) from None

    return parse


def _moment(what: str) -> Callable[[User, str], dt.datetime]:
    day = _day(what)

    def parse(actor: User, raw: str) -> dt.datetime:
        return dt.datetime.combine(day(actor, raw), dt.time.min, tzinfo=dt.UTC)

    return parse


def _choice(what: str, choices: Sequence[str]) -> Callable[[User, str], str]:
    def parse(_actor: User, raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise InvalidInput(
                _("%(what)s must be one of: %(choices)s.") % {"what": what, "choices": ", ".join(choices)},
                fields={what: _("unknown")},
            )
        return value

    return parse


def _owner(actor: User, raw: str) -> int:
    """A username (or a user's id, as the board links) the actor may see, as its id."""
    text = raw.strip()
    named = Q(pk=int(text)) if text.isdigit() else Q(username=text)
    found = User.objects.filter(visible_user_ids(actor), named).values_list("pk", flat=True).first()
    if found is None:
        raise InvalidInput(
            _("There is no user '%(user)s', or you may not see their work.") % {"user": raw},
            fields={"owner": _("unknown user")},
        )
    return found


def _team(actor: User, raw: str) -> int:
    """A team's name (or id, as the board links), as its id: any team for an admin, a manager's own teams,
    a rep's own."""
    text = raw.strip()
    teams = Team.objects.filter(Q(pk=int(text)) if text.isdigit() else Q(name=text))
    if not actor.is_admin:
        teams = teams.filter(manager=actor) if actor.is_manager else teams.filter(members=actor)
    found = teams.values_list("pk", flat=True).first()
    if found is None:
        raise InvalidInput(
            _("There is no team '%(team)s', or you may not see it.") % {"team": raw},
            fields={"team": _("unknown")},
        )
    return found


# --- the tables -------------------------------------------------------------------------------------------


DEALS = ExportTable(
    name="deals",
    columns=[
        _field("id"),
        _field("title"),
        _field("organization", "organization__name"),
        Column("person", ("person__first_name", "person__last_name"), _full_name),
        _field("owner", "owner__username"),
        _field("pipeline", "pipeline__name"),
        _field("stage", "stage__name"),
        *(
            _field(name)
            for name in (
                "status",
                "value",
                "currency",
                "base_value",
                "expected_close_date",
                "probability",
                "source",
                "budget_amount",
                "decision_date",
                "urgency",
                "lost_reason",
                "won_at",
                "lost_at",
                "stage_entered_at",
                "last_activity_at",
                "next_activity_at",
                "created_at",
            )
        ),
    ],
    rows=deal_list,
    filters={
        "status": Filter(_choice("status", DealStatus.values), "status"),
        "owner": Filter(_owner, "owner_id"),
        "team": Filter(_team, "team_id"),
        "pipeline": Filter(_number("pipeline"), "pipeline_id"),
        "stage": Filter(_number("stage"), "stage_id"),
        "organization": Filter(_number("organization"), "organization_id"),
        "search": Filter(_text, "search"),
        "close_from": Filter(_day("close_from"), "expected_close_from"),
        "close_to": Filter(_day("close_to"), "expected_close_to"),
    },
)

ORGANIZATIONS = ExportTable(
    name="organizations",
    columns=[
        _field(name)
        for name in (
            "id",
            "name",
            "website",
            "phone",
            "address",
            "city",
            "country",
            "industry",
            "size",
            "created_at",
        )
    ],
    rows=organization_list,
    filters={"search": Filter(_text, "search")},
)

PERSONS = ExportTable(
    name="persons",
    columns=[
        *(_field(name) for name in ("id", "first_name", "last_name", "email", "phone", "job_title")),
        _field("organization", "organization__name"),
        _field("created_at"),
    ],
    rows=person_list,
    filters={
        "search": Filter(_text, "search"),
        "organization": Filter(_number("organization"), "organization_id"),
        "email": Filter(_text, "email"),
    },
)

ACTIVITIES = ExportTable(
    name="activities",
    columns=[
        _field("id"),
        _field("kind"),
        _field("subject"),
        _field("owner", "owner__username"),
        _field("deal_id"),
        _field("deal", "deal__title"),
        Column("person", ("person__first_name", "person__last_name"), _full_name),
        *(
            _field(name)
            for name in (
                "due_at",
                "duration_minutes",
                "done_at",
                "cancelled_at",
                "outcome",
                "purpose",
                "note",
                "created_at",
            )
        ),
    ],
    rows=activity_list,
    filters={
        "owner": Filter(_owner, "owner_id"),
        "deal": Filter(_number("deal"), "deal_id"),
        "kind": Filter(_text, "kind"),
        "state": Filter(_choice("state", ACTIVITY_STATES), "state"),
        "due_from": Filter(_moment("due_from"), "due_from"),
        "due_to": Filter(_moment("due_to"), "due_to"),
    },
)

TABLES = {table.name: table for table in (DEALS, ORGANIZATIONS, PERSONS, ACTIVITIES)}
FORMATS = ("csv", "xlsx")


def export_table(name: str) -> ExportTable:
    table = TABLES.get(name)
    if table is None:
        raise InvalidInput(
            _("There is no export '%(name)s'; choose one of: %(names)s.")
            % {"name": name, "names": ", ".join(TABLES)},
            fields={"table": _("unknown")},
        )
    return table


def export_rows(*, actor: User, table: str, filters: Mapping[str, str] | None = None) -> Export:
    """The rows of `table` the actor may see, narrowed by `filters` (text, as typed), ready to write.
    A filter the table does not take, or a value that is not one, is InvalidInput and nothing is read."""
    found = export_table(table)
    arguments: dict[str, Any] = {}
    for key, raw in (filters or {}).items():
        spec = found.filters.get(key)
        if spec is None:
            raise InvalidInput(
                _("The %(table)s export has no filter '%(key)s'; it takes: %(keys)s.")
                % {"table": found.name, "key": key, "keys": ", ".join(found.filters)},
                fields={key: _("unknown filter")},
            )
        arguments[spec.argument] = spec.parse(actor, raw)
    # Plain values, not model instances: several times as many rows a second, and no related objects held.
    fields = [path for column in found.columns for path in column.fields]
    rows = found.rows(actor=actor, **arguments).values_list(*fields).iterator(chunk_size=CHUNK_ROWS)
    return Export(
        table=found, header=[column.name for column in found.columns], rows=_cells(found.columns, rows)
    )


def _cells(columns: Sequence[Column], rows: Iterator[tuple[Any, ...]]) -> Iterator[list[Any]]:
    spans = []
    start = 0
    for column in columns:
        spans.append((column.value, start, start + len(column.fields)))
        start += len(column.fields)
    for row in rows:
        yield [value(*row[begin:end]) for value, begin, end in spans]
