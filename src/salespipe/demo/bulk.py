"""Fast row writers for generated data: plain tuples straight into the database driver.

The ORM costs tens of microseconds per row, which is minutes at a million deals; these writers take
rows as tuples in a fixed column order and hand them to the driver in one call per batch: `executemany`
on SQLite, `COPY ... FROM STDIN` on PostgreSQL. Values must already be in the form the database
stores (see `Clock` for timestamps), and primary keys are assigned by the caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.core.management.color import no_style
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

Row = tuple[object, ...]


@dataclass(frozen=True)
class TableSpec:
    """Where a model's rows go and in which column order a row tuple lists them."""

    model: type[models.Model]
    table: str
    columns: tuple[str, ...]


def table_spec(model: type[models.Model], field_names: Sequence[str]) -> TableSpec:
    """A spec for `model` from its field names, refusing to leave a column out.

    A model that gains a column breaks the generator loudly here instead of failing later on a NOT NULL
    constraint or, worse, writing rows the services would never write.
    """
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    missing = {field.name for field in meta.concrete_fields} - set(field_names)
    if missing:
        raise RuntimeError(
            f"The demo generator does not fill {sorted(missing)} of {meta.label}; "
            "teach salespipe.demo.generator about the new fields."
        )
    columns = tuple(field.column for field in fields if isinstance(field, models.Field) and field.column)
    if len(columns) != len(fields):
        raise RuntimeError(
            f"{meta.label}: only concrete fields can be written, not relations of other models."
        )
    return TableSpec(model=model, table=meta.db_table, columns=columns)


class RowWriter(Protocol):
    def write(self, spec: TableSpec, rows: Iterable[Row]) -> int:
        """Insert the rows; returns how many were written."""


class SqliteRowWriter:
    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        connection.ensure_connection()
        # The raw sqlite3 connection: Django's cursor wrapper rewrites every query's placeholders.
        self._raw = connection.connection
        self._quote = connection.ops.quote_name

    def write(self, spec: TableSpec, rows: Iterable[Row]) -> int:
        rows = rows if isinstance(rows, list) else list(rows)
        if not rows:
            return 0
        columns = ", ".join(self._quote(column) for column in spec.columns)
        placeholders = ", ".join("?" * len(spec.columns))
        cursor = self._raw.cursor()
        try:
            cursor.executemany(
                f"INSERT INTO {self._quote(spec.table)} ({columns}) VALUES ({placeholders})",  # noqa: S608
                rows,
            )
        finally:
            cursor.close()
        return len(rows)


class PostgresRowWriter:
    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        connection.ensure_connection()
        self._raw = connection.connection
        self._quote = connection.ops.quote_name

    def write(self, spec: TableSpec, rows: Iterable[Row]) -> int:
        columns = ", ".join(self._quote(column) for column in spec.columns)
        count = 0
        with (
            self._raw.cursor() as cursor,
            cursor.copy(f"COPY {self._quote(spec.table)} ({columns}) FROM STDIN") as copy,
        ):
            write_row = copy.write_row
            for row in rows:
                write_row(row)
                count += 1
        return count


def row_writer(connection: BaseDatabaseWrapper) -> RowWriter:
    if connection.vendor == "sqlite":
        return SqliteRowWriter(connection)
    if connection.vendor == "postgresql":
        return PostgresRowWriter(connection)
    raise RuntimeError(f"Demo data can be written to SQLite or PostgreSQL, not to {connection.vendor}.")


def next_id(connection: BaseDatabaseWrapper, model: type[models.Model]) -> int:
    """The first free primary key above every existing row of `model`."""
    meta = model._meta
    quote = connection.ops.quote_name
    pk_column = meta.pk.column if meta.pk else None
    if not pk_column:
        raise RuntimeError(f"{meta.label} has no primary key column.")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX({quote(pk_column)}) FROM {quote(meta.db_table)}")  # noqa: S608
        row = cursor.fetchone()
    return int(row[0] or 0) + 1 if row else 1


def reset_sequences(connection: BaseDatabaseWrapper, model_list: Sequence[type[models.Model]]) -> None:
    """Move PostgreSQL id sequences past the ids assigned by hand, so the services' inserts don't clash."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    if not statements:
        return
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


class Clock:
    """Timestamps as the database stores them, from whole minutes counted from a UTC midnight.

    Formatting a datetime per row is the single biggest cost of generating millions of rows; with the
    day and minute texts precomputed a timestamp is two list lookups and a concatenation. SQLite keeps
    Django's naive UTC text ("2026-11-27 09:30:00"); PostgreSQL gets an explicit "+00" offset.
    """

    def __init__(self, *, first_day: dt.date, days: int, vendor: str) -> None:
        self.first_day = first_day
        self.days = days
        suffix = "+00" if vendor == "postgresql" else ""
        self.day_texts: list[str] = [
            (first_day + dt.timedelta(days=offset)).isoformat() for offset in range(days)
        ]
        self.minute_texts: list[str] = [
            f" {minute // 60:02d}:{minute % 60:02d}:00{suffix}" for minute in range(24 * 60)
        ]

    def stamp(self, minutes: int) -> str:
        return self.day_texts[minutes // 1440] + self.minute_texts[minutes % 1440]

    def date(self, day: int) -> str:
        return self.day_texts[day]

    def aware(self, minutes: int) -> dt.datetime:
        """The same instant as an aware datetime, for the few values that go through the ORM."""
        midnight = dt.datetime.combine(self.first_day, dt.time(), tzinfo=dt.UTC)
        return midnight + dt.timedelta(minutes=minutes)
