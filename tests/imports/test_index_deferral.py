"""A big import into small tables builds their indexes after its last batch (imports/index_deferral.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salespipe.core.bulk import plain_indexes
from salespipe.deals.models import Deal, StageChange, StageStay
from salespipe.directory.models import Organization, Person
from salespipe.imports import index_deferral, services
from salespipe.imports.models import ImportJob, ImportStatus
from salespipe.people.models import User
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="PostgreSQL keeps its indexes through an import"
    ),
]

TABLES = (Deal, StageChange, StageStay, Organization, Person)


@pytest.fixture
def sophie(db: None) -> User:
    return UserFactory(username="sophie")


@pytest.fixture(autouse=True)
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 10 rows, and 20 rows to come are worth deferring: the import of a big file in miniature."""
    monkeypatch.setattr(services, "BATCH_ROWS", 10)
    monkeypatch.setattr(index_deferral, "MIN_ROWS", 20)


def _deals(rows: int, *, first: int = 1) -> str:
    """Rows of 32 KiB, so that how far through the file a batch ends tells the rows to come (the reader
    runs ahead of the rows by a buffer)."""
    padding = "x" * 32_000
    return "Deal ID,Deal,Value,Organization,Owner,Stage,Status,Padding\n" + "".join(
        f"D-{n},Deal {n},{n * 10},Org {n % 7},sophie,Qualified,{'open' if n % 3 else 'won'},{padding}\n"
        for n in range(first, first + rows)
    )


def _indexes() -> dict[str, list[tuple[str, str]]]:
    return {model._meta.db_table: plain_indexes(connection, model._meta.db_table) for model in TABLES}


def _deferrable(table: str) -> set[str]:
    """The table's plain indexes but those the importer looks records up by."""
    kept = {
        "deals_deal": "deals_deal_organization_id",
        "directory_organization": ("directory_organization_search_name", "directory_organization_domain"),
    }.get(table, ())
    return {name for name, _ in plain_indexes(connection, table) if not name.startswith(kept)}


def _dropped(captured: CaptureQueriesContext) -> set[str]:
    return {
        query["sql"].removeprefix("DROP INDEX ").strip('"')
        for query in captured.captured_queries
        if query["sql"].startswith("DROP INDEX")
    }


def test_a_big_import_into_empty_tables_builds_their_indexes_once_after_the_last_batch(
    run_import: Any, sophie: User
) -> None:
    # given the tables' indexes
    before = _indexes()

    # when 60 rows are imported into empty tables
    with CaptureQueriesContext(connection) as captured:
        job = run_import(_deals(60))

    # then the deals', stage history's and organizations' plain indexes were dropped, and are all back
    tables = ("deals_deal", "deals_stagechange", "deals_stagestay", "directory_organization")
    assert _dropped(captured) == set().union(*(_deferrable(table) for table in tables))
    assert "deal_owner_status_close" in _dropped(captured)
    assert _indexes() == before
    # and the import is whole, with nothing left to rebuild
    assert (job.status, Deal.objects.count(), StageStay.objects.count()) == (ImportStatus.FINISHED, 60, 80)
    assert ImportJob.objects.get().indexes_dropped == []


def test_a_table_already_bigger_than_the_rest_of_the_file_keeps_its_indexes(
    run_import: Any, sophie: User
) -> None:
    # given 60 deals over 7 organizations
    run_import(_deals(60))

    # when 40 more rows come, fewer than twice the deals but more than twice the organizations
    with CaptureQueriesContext(connection) as captured:
        run_import(_deals(40, first=61))

    # then only the organizations' indexes were dropped (and built again)
    assert (
        _dropped(captured)
        == _deferrable("directory_organization")
        == {"directory_organization_created_by_id_f9c718ee", "organization_industry_size"}
    )
    assert Deal.objects.count() == 100


def test_a_file_of_few_rows_drops_nothing(run_import: Any, sophie: User) -> None:
    with CaptureQueriesContext(connection) as captured:
        run_import(_deals(15))
    assert _dropped(captured) == set()
    assert Deal.objects.count() == 15


def test_an_interrupted_import_builds_the_indexes_before_it_stops(run_import: Any, sophie: User) -> None:
    # given the indexes, and a Ctrl-C after the second batch
    before = _indexes()
    batches = []

    def interrupt(job: ImportJob, fraction: float) -> None:
        batches.append(fraction)
        if len(batches) == 2:
            raise KeyboardInterrupt

    # when a big import is interrupted
    with pytest.raises(KeyboardInterrupt):
        run_import(_deals(60), progress=interrupt)

    # then its two batches are in and every index is back
    job = ImportJob.objects.get()
    assert (job.status, job.committed_row, Deal.objects.count()) == (ImportStatus.INTERRUPTED, 21, 20)
    assert _indexes() == before
    assert job.indexes_dropped == []


def _kill_mid_import(job: ImportJob) -> list[list[str]]:
    """What a killed import leaves: its record of the dropped indexes, and the indexes gone."""
    dropped = [list(index) for index in plain_indexes(connection, "deals_deal")]
    ImportJob.objects.filter(pk=job.pk).update(indexes_dropped=dropped, status=ImportStatus.RUNNING)
    with connection.cursor() as cursor:
        for name, _ in dropped:
            cursor.execute(f'DROP INDEX "{name}"')
    return dropped


def test_indexes_a_killed_import_left_dropped_are_built_by_the_next_import(
    run_import: Any, sophie: User
) -> None:
    # given an import killed while the deals' indexes were dropped
    before = _indexes()
    killed = run_import(_deals(5))
    _kill_mid_import(killed)
    assert plain_indexes(connection, "deals_deal") == []

    # when another (small) import runs
    run_import(_deals(5, first=6))

    # then the indexes are back and the record is cleared
    assert _indexes() == before
    assert ImportJob.objects.get(pk=killed.pk).indexes_dropped == []


def test_indexes_a_killed_import_left_dropped_are_built_by_migrate(run_import: Any, sophie: User) -> None:
    # given an import killed while the deals' indexes were dropped
    before = _indexes()
    killed = run_import(_deals(5))
    _kill_mid_import(killed)

    # when the database is migrated (as `make run` does at each start)
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    # then the indexes are back
    assert _indexes() == before
    assert ImportJob.objects.get(pk=killed.pk).indexes_dropped == []
