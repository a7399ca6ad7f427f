"""Reading CSV files as people have them (`imports/reading.py`): files written here in each messy form."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from salespipe.imports.reading import read_table

ROWS = [
    ["Deal - Title", "Deal - Value", "Organization"],
    ["Φωτοβολταϊκά, 20 kW", "1.234,56 €", "Ηπειρωτική Α.Ε."],
    ["Café renovation", " $431,370 ", "Société Générale"],
]


def written(rows: list[list[str]], *, delimiter: str = ",", newline: str = "\r\n") -> str:
    def cell(value: str) -> str:
        return f'"{value}"' if delimiter in value or '"' in value or "\n" in value else value

    return "".join(delimiter.join(cell(value) for value in row) + newline for row in rows)


def cells(path: Path) -> tuple[str, str, list[str], list[tuple[int, dict[str, str]]]]:
    table = read_table(path)
    return table.encoding, table.delimiter, table.header, [(row.number, row.cells) for row in table.rows]


@pytest.mark.parametrize(
    ("encoding", "found"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("utf-16-le", "utf-16-le")],
)
def test_unicode_files_with_or_without_a_byte_order_mark(tmp_path: Path, encoding: str, found: str) -> None:
    path = tmp_path / "deals.csv"
    path.write_bytes(written(ROWS).encode(encoding))

    detected, delimiter, header, rows = cells(path)

    assert (detected, delimiter) == (found, ",")
    assert header == ROWS[0]
    stripped = [[value.strip() for value in values] for values in ROWS[1:]]
    assert [row for _number, row in rows] == [dict(zip(ROWS[0], values, strict=True)) for values in stripped]


def test_a_windows_greek_file_is_read_as_greek_and_a_western_one_as_western(tmp_path: Path) -> None:
    greek = tmp_path / "greek.csv"
    greek.write_bytes(
        written([ROWS[0], ["Φωτοβολταϊκά σε στέγη γραφείων", "100", "Ηπειρωτική Α.Ε."]]).encode("cp1253")
    )
    western = tmp_path / "western.csv"
    western.write_bytes(
        written([ROWS[0], ["Café renovation, façade", "100", "Société Générale à Genève"]]).encode("cp1252")
    )

    assert cells(greek)[0] == "cp1253"
    assert cells(greek)[3][0][1]["Organization"] == "Ηπειρωτική Α.Ε."
    assert cells(western)[0] == "cp1252"
    assert cells(western)[3][0][1]["Organization"] == "Société Générale à Genève"


@pytest.mark.parametrize("newline", ["\r", "\n", "\r\n"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_any_usual_delimiter_and_line_ending_old_macs_included(
    tmp_path: Path, delimiter: str, newline: str
) -> None:
    path = tmp_path / "deals.csv"
    path.write_bytes(written(ROWS, delimiter=delimiter, newline=newline).encode("utf-8"))

    _encoding, found, header, rows = cells(path)

    assert found == delimiter
    assert header == ROWS[0]
    assert rows[1][1]["Deal - Value"] == "$431,370"


def test_blank_rows_duplicated_headers_stray_whitespace_and_ragged_rows(tmp_path: Path) -> None:
    path = tmp_path / "messy.csv"
    path.write_text(
        ' Name , Amount,Amount,\n  Acme  , 10 , 20 ,x\n,,,\n\nGlobex,"1,000",\nInitech,5,6,7,extra\n',
        encoding="utf-8",
    )

    table = read_table(path)
    rows = [(row.number, row.cells) for row in table.rows]

    assert table.header == ["Name", "Amount", "Amount (2)", "Column 4"]
    assert table.renamed == {"Amount (2)": "Amount"}
    assert rows == [
        (2, {"Name": "Acme", "Amount": "10", "Amount (2)": "20", "Column 4": "x"}),
        (5, {"Name": "Globex", "Amount": "1,000", "Amount (2)": "", "Column 4": ""}),
        (6, {"Name": "Initech", "Amount": "5", "Amount (2)": "6", "Column 4": "7", "Column 5": "extra"}),
    ]


def test_a_quoted_cell_may_hold_line_breaks_and_the_next_record_keeps_its_number(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text('Title,Note\nAcme,"first line\nsecond line"\nGlobex,plain\n', encoding="utf-8")

    rows = [(row.number, row.cells) for row in read_table(path).rows]

    assert rows == [
        (2, {"Title": "Acme", "Note": "first line\nsecond line"}),
        (3, {"Title": "Globex", "Note": "plain"}),
    ]


def test_an_empty_file_has_no_header_and_no_rows() -> None:
    table = read_table(io.BytesIO(b""))

    assert (table.header, list(table.rows)) == ([], [])


def test_rows_come_one_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as file:
        file.write("Title,Value\n")
        for number in range(50_000):
            file.write(f"Deal {number},{number}\n")

    rows = read_table(path).rows
    first = next(rows)

    assert (first.number, first.cells) == (2, {"Title": "Deal 0", "Value": "0"})
    assert sum(1 for _row in rows) == 49_999
