"""The bit set an import counts records in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from salespipe.imports.loading import IdSet


@given(st.sets(st.integers(min_value=0, max_value=100_000)), st.integers(min_value=0, max_value=200_000))
def test_an_id_set_holds_exactly_the_ids_added(added: set[int], probe: int) -> None:
    ids = IdSet()
    ids.update(added)
    assert all(pk in ids for pk in added)
    assert (probe in ids) == (probe in added)
