"""A big import into small tables builds their indexes once at the end instead of row by row (docs/import.md).

Each new deal feeds about two dozen index entries (the deal's eleven, its stage changes' and stays'), kept
up to date row by row in random order; building an index over rows already written is one sort. When the
rest of a file holds far more rows than a table has (a team's first import into a new Salespipe, say),
the table's plain indexes are dropped before the first batch and built again after the last. Unique and
primary-key indexes stay, so every constraint holds throughout; so do those the importer finds existing
records by, or each batch would scan the table; and a table already big keeps all of its indexes, so the
pages of people working beside the import stay fast.

SQLite only: PostgreSQL's `COPY` keeps indexes cheaply, and dropping one there locks the table.

What was dropped is recorded on the job, and committed, before the first `DROP`. The import builds the
indexes again however it ends (finished, interrupted, failed); should its process be killed instead,
the next import, a resumed one, and `salespipe migrate` (which `make run` calls) build them from the record.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection, models

from salespipe.activities.models import Activity
from salespipe.core.bulk import analyze, indexes_drop, plain_indexes
from salespipe.deals.models import Deal, StageChange, StageStay
from salespipe.directory.models import Organization, Person
from salespipe.imports.fields import Entity
from salespipe.imports.models import ImportJob

# Fewer rows left than this and the indexes are kept: dropping and building them costs more than it saves.
MIN_ROWS = 20_000
# A table is left alone unless the rows still to come outnumber its rows this many times over.
TABLE_SHARE = 2

# The tables each entity's rows are written to, the first being the one whose size decides.
TABLES: dict[Entity, tuple[type[models.Model], ...]] = {
    Entity.ORGANIZATION: (Organization,),
    Entity.PERSON: (Person,),
    Entity.DEAL: (Deal, StageChange, StageStay),
    Entity.ACTIVITY: (Activity,),
}


# The columns the importer finds existing records by (imports/loading.py): their indexes stay, or each batch
# would scan the whole table to match its rows.
LOOKUP_COLUMNS: dict[type[models.Model], frozenset[str]] = {
    Organization: frozenset({"search_name", "domain"}),
    Person: frozenset({"email", "search_name"}),
    Deal: frozenset({"organization_id"}),
}


def tables_to_defer(entities: Iterable[Entity], rows_left: int) -> list[type[models.Model]]:
    """The tables whose indexes are better built after the `rows_left` rows still to import."""
    if connection.vendor != "sqlite" or rows_left < MIN_ROWS:
        return []
    chosen: list[type[models.Model]] = []
    for entity in entities:
        deciding, *others = TABLES[entity]
        if deciding._default_manager.count() * TABLE_SHARE < rows_left:
            chosen += [deciding, *others]
    return chosen


@contextmanager
def indexes_deferred(job: ImportJob, model_list: list[type[models.Model]]) -> Iterator[None]:
    """Drop the tables' plain indexes, run the block, build them again — recorded on the job meanwhile."""
    dropped = [index for model in model_list for index in _deferrable(model)]
    if not dropped:
        yield
        return
    # Committed before anything is dropped: the record is what rebuilds them after a killed process.
    ImportJob.objects.filter(pk=job.pk).update(indexes_dropped=dropped)
    indexes_drop(connection, [name for name, _ in dropped])
    try:
        yield
    finally:
        _build(dropped)
        # Fresh statistics: the planner chose its indexes for the tables as they were before the import.
        analyze(connection, model_list)
        ImportJob.objects.filter(pk=job.pk).update(indexes_dropped=[])


def _deferrable(model: type[models.Model]) -> list[list[str]]:
    """[name, statement] of the table's plain indexes but those the importer's lookups use."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    lookups = LOOKUP_COLUMNS.get(model, frozenset())
    return [
        [name, statement]
        for name, statement in plain_indexes(connection, table)
        if constraints[name]["columns"][0] not in lookups
    ]


def dropped_indexes_rebuild() -> None:
    """Build the indexes that imports killed mid-way left dropped."""
    if connection.vendor != "sqlite":
        return
    for job in ImportJob.objects.exclude(indexes_dropped=[]).only("pk", "indexes_dropped"):
        _build(job.indexes_dropped)
        ImportJob.objects.filter(pk=job.pk).update(indexes_dropped=[])


def _build(indexes: list[list[str]]) -> None:
    """Create the named indexes that do not exist (another import's rebuild may have got there first)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        existing = {str(name) for (name,) in cursor.fetchall()}
        for name, statement in indexes:
            if name not in existing:
                cursor.execute(statement)
