"""Fast row writers for generated and imported data: plain tuples straight into the database driver.

The ORM costs tens of microseconds per row, which is minutes at a million deals; these writers take
rows as tuples in a fixed column order and hand them to the driver in one call per batch: `executemany`
on SQLite, `COPY ... FROM STDIN` on PostgreSQL. Values must already be in the form the database
stores (see `Clock` for timestamps), and primary keys are assigned by the caller.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
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
            f"The bulk rows of {meta.label} leave {sorted(missing)} out; "
            "teach the writer's caller (the demo generator, the importer) about the new fields."
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
    raise RuntimeError(f"Bulk rows can be written to SQLite or PostgreSQL, not to {connection.vendor}.")


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


def allocate_ids(connection: BaseDatabaseWrapper, model: type[models.Model], count: int) -> list[int]:
    """`count` fresh primary keys of `model` for rows written by hand, safe beside other writers.

    PostgreSQL hands them out from the table's own sequence, so the services' inserts never collide with
    them. SQLite has one writer at a time: inside the writing transaction the ids above the highest are
    free, and SQLite moves its AUTOINCREMENT counter past the ids written."""
    if count <= 0:
        return []
    if connection.vendor != "postgresql":
        first = next_id(connection, model)
        return list(range(first, first + count))
    meta = model._meta
    assert meta.pk is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [int(row[0]) for row in cursor.fetchall()]


def reset_sequences(connection: BaseDatabaseWrapper, model_list: Sequence[type[models.Model]]) -> None:
    """Move PostgreSQL id sequences past the ids assigned by hand, so the services' inserts don't clash."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    if not statements:
        return
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def plain_indexes(connection: BaseDatabaseWrapper, table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the table's indexes that enforce nothing: not primary, not unique."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%' ORDER BY name",
                [table],
            )
        else:
            cursor.execute(
                "SELECT index_class.relname, pg_get_indexdef(index_class.oid) FROM pg_index "
                "JOIN pg_class index_class ON index_class.oid = pg_index.indexrelid "
                "JOIN pg_class table_class ON table_class.oid = pg_index.indrelid "
                "WHERE table_class.relname = %s AND pg_table_is_visible(table_class.oid) "
                "AND NOT pg_index.indisunique AND NOT pg_index.indisprimary ORDER BY 1",
                [table],
            )
        return [(str(name), str(statement)) for name, statement in cursor.fetchall()]


def indexes_drop(connection: BaseDatabaseWrapper, names: Sequence[str]) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"DROP INDEX {quote(name)}")


@contextmanager
def indexes_deferred(
    connection: BaseDatabaseWrapper, model_list: Sequence[type[models.Model]]
) -> Iterator[None]:
    """Drop the tables' plain indexes for a bulk load and build them again afterwards, failure or not.

    Each row of a big table feeds ten or so indexes; keeping them up to date row by row costs more than
    the rows themselves, while building an index over loaded rows is one sort. Unique and primary-key
    indexes stay, so constraints are enforced throughout. Only a killed process leaves the indexes
    missing, and then the half-loaded database is to be thrown away anyway.
    """
    dropped = [index for model in model_list for index in plain_indexes(connection, model._meta.db_table)]
    if dropped and connection.vendor == "postgresql" and connection.in_atomic_block:
        connection.check_constraints()  # PostgreSQL changes no index while deferred checks are pending
    indexes_drop(connection, [name for name, _ in dropped])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite" and dropped:
                # Building an index is mostly sorting, which SQLite can spread over helper threads.
                cursor.execute(f"PRAGMA threads = {min(8, os.cpu_count() or 1):d}")
            if connection.vendor == "postgresql" and connection.in_atomic_block and dropped:
                connection.check_constraints()
            for _, statement in dropped:
                cursor.execute(statement)


def _foreign_keys(connection: BaseDatabaseWrapper, table: str) -> list[tuple[str, str]]:
    """(name, definition) of the foreign keys going out of a PostgreSQL table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = to_regclass(%s) ORDER BY conname",
            [connection.ops.quote_name(table)],
        )
        return [(str(name), str(definition)) for name, definition in cursor.fetchall()]


@contextmanager
def foreign_keys_deferred(
    connection: BaseDatabaseWrapper, model_list: Sequence[type[models.Model]]
) -> Iterator[None]:
    """PostgreSQL: drop the tables' foreign keys for a bulk load and add them back afterwards.

    PostgreSQL checks a foreign key with a query and a row lock on the referenced row, per key and
    inserted row: most of a load's time. Adding the key back checks all rows in one join, and fails
    loudly should any row point nowhere. SQLite checks keys cheaply and keeps them.
    """
    if connection.vendor != "postgresql":
        yield
        return
    quote = connection.ops.quote_name
    if connection.in_atomic_block:
        connection.check_constraints()  # no ALTER TABLE while deferred checks are pending
    dropped = [
        (model._meta.db_table, name, definition)
        for model in model_list
        for name, definition in _foreign_keys(connection, model._meta.db_table)
    ]
    with connection.cursor() as cursor:
        for table, name, _ in dropped:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    try:
        yield
    finally:
        if connection.in_atomic_block:
            connection.check_constraints()  # no ALTER TABLE while deferred checks are pending
        with connection.cursor() as cursor:
            for table, name, definition in dropped:
                cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")


@contextmanager
def bulk_load_settings(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """SQLite: skip the disk syncs while loading, and restore the setting afterwards.

    A crash of the machine mid-load could then corrupt the file, but a half-loaded demo database is
    thrown away anyway. SQLite refuses the change inside a transaction, so a load inside one (a test's,
    say) runs with the settings as they are.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        row = cursor.fetchone()
        synchronous = int(row[0]) if row else 1
        cursor.execute("PRAGMA synchronous = OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous = {synchronous:d}")


def analyze(connection: BaseDatabaseWrapper, model_list: Sequence[type[models.Model]]) -> None:
    """Give the query planner statistics for freshly loaded tables: PostgreSQL's autovacuum would get
    there later, SQLite never by itself. Without them SQLite picks indexes blind and walks, say, the
    whole company's wins of six months instead of one team's (170 ms instead of 30 at a million deals).
    A full count: SQLite's sampled `analysis_limit` guesses far off on these tables.

    PostgreSQL also gets a VACUUM when not inside a transaction (it cannot run in one): it marks the
    loaded pages all-visible, without which every index-only scan visits the table for each row until
    autovacuum comes round. At a million deals that made the advice pages 290 ms instead of 140 and the
    team's insights 540 ms instead of 436, for 4 s of vacuuming after the load."""
    quote = connection.ops.quote_name
    command = "ANALYZE"
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        command = "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in model_list:
            cursor.execute(f"{command} {quote(model._meta.db_table)}")


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
