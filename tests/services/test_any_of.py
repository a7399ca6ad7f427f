"""`__any_of`: membership in a list with one parameter, the same statement whatever the list's length."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from salespipe.directory.models import Organization
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_any_of_finds_exactly_the_rows_whose_value_is_in_the_list() -> None:
    # given organizations with awkward names
    names = ["Acme", "O'Brien & Sons", 'The "Quoted" Co', "Αθηναϊκή"]
    made = [OrganizationFactory(name=name) for name in [*names, "Other"]]

    # then texts and ids are found by their lists, and an empty list finds nothing
    assert sorted(Organization.objects.filter(name__any_of=names).values_list("name", flat=True)) == sorted(
        names
    )
    wanted = [made[0].pk, made[3].pk, 10**9]
    assert sorted(Organization.objects.filter(pk__any_of=wanted).values_list("pk", flat=True)) == wanted[:2]
    assert not Organization.objects.filter(pk__any_of=[]).exists()


def test_lists_of_any_length_share_one_statement() -> None:
    # given the statements as the database receives them, before parameters are filled in
    sent: list[tuple[str, int]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append((sql, len(params or ())))
        return execute(sql, params, many, context)

    # when lists of one and of 5,000 ids are looked up
    with connection.execute_wrapper(record):
        list(Organization.objects.filter(pk__any_of=[1]))
        list(Organization.objects.filter(pk__any_of=list(range(5000))))

    # then both are the same statement with one parameter
    assert sent[0] == sent[1]
    assert sent[0][1] == 1
