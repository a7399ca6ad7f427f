"""SQL the ORM does not spell: percentiles, day counts, and one query that groups the same rows three ways.

The reports aggregate in the database, so their cost does not grow with what Python has to read: a
median of 30 000 response times is one number coming back, not 30 000 rows. PostgreSQL has
`percentile_cont`; SQLite has no percentile, so an aggregate function of the same definition
(`followups.percentile`) is registered on its connections. Only ORM-compiled SQL and fixed text from this
module go into the statements; every value stays a bound parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import NotSupportedError, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Case, IntegerField, Model, Q, QuerySet, Value, When
from django.db.models.expressions import BaseExpression

from salespipe.analytics.followups import sorted_percentile

PERCENTILE_FUNCTION = "salespipe_percentile"
CENT = Decimal("0.01")
LEVELS = ("owner", "team", "all")


class _SqlitePercentile:
    """`salespipe_percentile(value, fraction)`: SQLite's stand-in for `percentile_cont`; NULLs are
    skipped, as every SQL aggregate skips them."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: float | None, fraction: float) -> None:
        # Called once per row (a hundred thousand stays on a busy team's page): as little as can be.
        if value is not None:
            self.values.append(value)
        self.fraction = fraction

    def finalize(self) -> float | None:
        # SQLite hands over ints and floats only: sorted in place, without `percentile`'s copy converting
        # each to a float (a busy team's page reads a hundred thousand day counts).
        self.values.sort()
        return sorted_percentile(self.values, self.fraction)


def _vendor(db: BaseDatabaseWrapper) -> str:
    if db.vendor not in ("postgresql", "sqlite"):
        raise NotSupportedError(f"The reports run on SQLite or PostgreSQL, not on {db.vendor}.")
    return db.vendor


def cents(value: Any) -> Decimal:
    """Money read without the ORM, as the ORM gives it: SQLite answers an int or a float (whose error on a
    sum of cents is far below half a cent), PostgreSQL a Decimal; None (a sum of nothing) is zero."""
    return Decimal(0 if value is None else str(value)).quantize(CENT)


def flag(condition: Q | BaseExpression) -> Case:
    """1 for the rows matching `condition` (a Q, or a boolean expression such as Exists), else 0: a
    column of an ORM-compiled subquery that the SQL around it counts (`SUM(k_x)`) or filters on
    (`FILTER (WHERE k_x = 1)`), the condition compiled once."""
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def prepare(db: BaseDatabaseWrapper = connection) -> None:
    """Make this module's functions available on the connection (a no-op on PostgreSQL)."""
    if _vendor(db) == "sqlite":
        db.ensure_connection()
        db.connection.create_aggregate(PERCENTILE_FUNCTION, 2, _SqlitePercentile)


def percentile_sql(
    expression: str, fraction: float, *, where: str = "", db: BaseDatabaseWrapper = connection
) -> str:
    """An aggregate: the continuous percentile of `expression` over the rows matching `where` (NULLs
    skipped), a float. The FILTER clause keeps other rows away from the aggregate altogether, which on
    SQLite spares a call into Python per row."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be between 0 and 1, not {fraction}")
    only = f" FILTER (WHERE {where})" if where else ""
    if _vendor(db) == "postgresql":
        ordered = f"ORDER BY CAST({expression} AS double precision)"
        return f"percentile_cont({fraction!r}) WITHIN GROUP ({ordered}){only}"
    return f"{PERCENTILE_FUNCTION}({expression}, {fraction!r}){only}"


def days_between_sql(start: str, end: str, db: BaseDatabaseWrapper = connection) -> str:
    """Days (with fractions) from timestamp `start` to timestamp `end`."""
    if _vendor(db) == "postgresql":
        return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)"
    return f"(julianday({end}) - julianday({start}))"


@dataclass(frozen=True)
class Measure:
    """One aggregate column of a rollup: its name and its SQL over the rows' columns."""

    name: str
    sql: str


def rollup(
    rows: QuerySet[Any, Any], measures: Sequence[Measure], *, levels: Sequence[str] = LEVELS
) -> dict[tuple[str, int | None], dict[str, Any]]:
    """The measures over `rows` per owner, per team and over all of them (or at the `levels` asked), in
    ONE query.

    `rows` is a `.values()` queryset naming its owner `k_owner` and the owner's team `k_team`. It is
    computed once, as a materialised common table expression, and grouped each way asked, joined by
    UNION ALL. Answers `{("owner", id): {...}, ("team", id): {...}, ("all", None): {...}}`; a team key of
    None stands for owners without a team. A page that shows only the total asks for `levels=("all",)`:
    the other groupings sort the rows and cost about as much again."""
    unknown = set(levels) - set(LEVELS)
    if unknown or not levels:
        raise ValueError(f"levels are some of {LEVELS}, not {tuple(levels)}")
    try:
        inner_sql, params = rows.order_by().query.sql_with_params()
    except EmptyResultSet:
        return {}
    columns = ", ".join(f"{measure.sql} AS {measure.name}" for measure in measures)
    # Fixed text and the measures' SQL from this package only; the values are the inner query's parameters.
    # (level, key column, GROUP BY): fixed text; the measures' SQL is this package's, the values are the
    # inner query's parameters.
    groupings = {
        "owner": ("k_owner", " GROUP BY k_owner"),
        "team": ("k_team", " GROUP BY k_team"),
        "all": ("NULL", ""),
    }
    grouped = {
        level: f"SELECT '{level}' AS grouping_level, {key} AS grouping_key, {columns} FROM report{group_by}"  # noqa: S608
        for level, (key, group_by) in groupings.items()
    }
    # MATERIALIZED even when read once: a measure naming a column twice would otherwise compute it twice,
    # a correlated subquery (the freemium flags) included: three times slower on SQLite.
    statement = f"WITH report AS MATERIALIZED ({inner_sql}) " + " UNION ALL ".join(
        grouped[level] for level in LEVELS if level in levels
    )
    prepare()
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        names = [column[0] for column in cursor.description]
        answer: dict[tuple[str, int | None], dict[str, Any]] = {}
        for row in cursor.fetchall():
            values = dict(zip(names, row, strict=True))
            key = values.pop("grouping_key")
            answer[(values.pop("grouping_level"), None if key is None else int(key))] = values
    return answer


def union_of_ids(parts: Sequence[QuerySet[Model, Any]]) -> tuple[str, tuple[Any, ...]] | None:
    """SQL selecting the ids of several sliced, ordered `.values("id")` querysets, UNION ALL'd.

    Each part keeps its own ORDER BY and LIMIT, so each walks its index and stops early. Django only
    builds sliced compound queries on databases that allow them bare (not SQLite), so the UNION ALL is
    spelled out around the ORM-compiled parts. None when no part can match anything."""
    compiled = []
    for part in parts:
        try:
            compiled.append(part.query.sql_with_params())
        except EmptyResultSet:
            continue
    if not compiled:
        return None
    sql = " UNION ALL ".join(
        f"SELECT id FROM ({part_sql}) AS part_{n}"  # noqa: S608 - ORM-compiled SQL only
        for n, (part_sql, _) in enumerate(compiled)
    )
    return sql, tuple(param for _, part_params in compiled for param in part_params)
