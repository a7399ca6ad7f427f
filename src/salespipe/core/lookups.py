"""`field__any_of=[...]`: membership in a long list with one query parameter and one SQL text.

`__in` writes one placeholder per value, so each list length is a new statement: the database prepares it
again, and SQLite's driver keeps up to 128 prepared statements, which for lists of thousands of values held
hundreds of megabytes (an import's batches grew the process by 230 MiB over a million rows). `any_of`
passes the list as one value, a JSON array read by `json_each` on SQLite and an array compared with
`= ANY` on PostgreSQL, so the statement is the same whatever the length. For lists of ids and texts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.lookups import Lookup
from django.db.models.sql.compiler import SQLCompiler


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        values = self.rhs
        if isinstance(values, str | bytes) or not isinstance(values, Iterable):
            raise TypeError("any_of takes a list of values")
        return list(values)

    # The stubs type parameters as texts and numbers; the whole list is one parameter here.
    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        internal = self.lhs.output_field.get_internal_type()
        numeric = internal.endswith(("IntegerField", "AutoField")) or internal == "ForeignKey"
        if connection.vendor == "postgresql":
            array_type = "bigint[]" if numeric else "text[]"
            cast = "" if numeric else "::text"
            return f"{lhs}{cast} = ANY(%s::{array_type})", [*lhs_params, values]
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, json.dumps(values)]  # noqa: S608 - lhs is a column


def register() -> None:
    for field in (models.CharField, models.TextField, models.IntegerField, models.ForeignKey):
        field.register_lookup(AnyOf)
