"""`core.bulk.analyze` after a bulk load: planner statistics, and on PostgreSQL pages marked all-visible."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction

from salespipe.core.bulk import analyze
from salespipe.deals.models import Deal
from salespipe.people.models import User

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the visibility map is PostgreSQL's"
)


def _all_visible_pages() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relallvisible FROM pg_class WHERE oid = to_regclass(%s)", ["deals_deal"])
        (pages,) = cursor.fetchone()
    return int(pages)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_postgresql_vacuums_so_index_only_scans_skip_the_table(
    rep: User, make_deal: Any
) -> None:
    # given: freshly written deals, never vacuumed
    for number in range(50):
        make_deal(rep, title=f"Deal {number}")
    assert _all_visible_pages() == 0

    # when
    analyze(connection, [Deal])

    # then
    assert _all_visible_pages() > 0


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_it_only_analyzes(rep: User, make_deal: Any) -> None:
    # given
    for number in range(50):
        make_deal(rep, title=f"Deal {number}")

    # when: VACUUM cannot run in a transaction block; this must not try
    with transaction.atomic():
        analyze(connection, [Deal])

    # then
    assert _all_visible_pages() == 0
