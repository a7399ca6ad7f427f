"""Writing the Insights tables as CSV: what a cell becomes, and the text a spreadsheet would run."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salespipe.core.spreadsheets import FORMULA_STARTS, csv_lines, safe_cell


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        (12, "12"),
        (Decimal("-0.1200"), "-0.1200"),  # a negative difference is a number, not a formula
        (Decimal("1500.00"), "1500.00"),
        (70.0, "70.00"),
        (True, "1"),
        ("Price too high", "Price too high"),
        ("-3 seats", "'-3 seats"),
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
    ],
)
def test_a_cell_is_written_as_a_program_reads_it_and_text_is_never_a_formula(
    value: object, cell: str
) -> None:
    assert safe_cell(value) == cell


@given(st.text())
def test_no_text_cell_starts_like_a_formula(text: str) -> None:
    # when
    cell = safe_cell(text)

    # then
    assert not cell.startswith(FORMULA_STARTS)
    assert cell.removeprefix("'") == text or cell == text


def test_the_lines_read_back_as_the_table_after_a_byte_order_mark() -> None:
    # when
    body = "".join(csv_lines(["Reason", "Deals"], [['Τιμή, "πολύ" υψηλή', 3], ["\rline", None]]))

    # then
    assert body.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(body[1:]))) == [
        ["Reason", "Deals"],
        ['Τιμή, "πολύ" υψηλή', "3"],
        ["'\rline", ""],
    ]
