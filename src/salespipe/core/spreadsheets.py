"""Tables out to spreadsheet programs, safely: CSV streamed line by line and XLSX written in constant memory.

Text that comes from people (titles, names, notes) and starts with `=`, `+`, `-`, `@`, a tab or a carriage
return would run as a formula when a spreadsheet opens the file (CSV injection). In CSV it gets a leading
`'`, which spreadsheets show instead of running; in XLSX it is a text cell marked *quote prefix*, Excel's own
"this is text even if it looks like a formula", so the text itself stays as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Any

import xlsxwriter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def _iso(moment: dt.datetime) -> str:
    """An aware time in UTC, to the second: `2026-11-27T09:00:00Z`."""
    return moment.astimezone(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def safe_cell(value: Any) -> str:
    """A cell as CSV text: numbers as they are, None as empty, dates in ISO 8601 (times in UTC), text
    neutralised against formula injection. Text and empty cells, most of any export, are tested first: this
    runs for every cell of a million-row file."""
    if type(value) is str:
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if looks_like_formula(text) else text


class _Echo:
    """A file-like object whose `write` hands back what it is given, for streaming csv.writer rows."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The table as CSV text, one line at a time (a UTF-8 byte order mark first, so spreadsheet programs
    read Greek text right)."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    yield writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def xlsx_write(
    target: str | IO[bytes], header: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str
) -> int:
    """Write the table as a one-sheet XLSX workbook to `target` (a path or a binary file), row by row in
    constant memory (each row goes to disk as it is written). Numbers are numbers, dates and times are
    dates and times (times in UTC, as spreadsheets know no time zones), text is text. Returns the rows."""
    workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False})
    try:
        worksheet = workbook.add_worksheet(sheet[:31])
        bold = workbook.add_format({"bold": True})
        as_text = workbook.add_format({"quote_prefix": True})
        as_date = workbook.add_format({"num_format": "yyyy-mm-dd"})
        as_time = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        for column, name in enumerate(header):
            worksheet.write_string(0, column, name, bold)
        written = 0
        for written, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                _xlsx_cell(
                    worksheet, written, column, value, as_text=as_text, as_date=as_date, as_time=as_time
                )
        worksheet.freeze_panes(1, 0)
        return written
    finally:
        workbook.close()


def _xlsx_cell(worksheet: Any, row: int, column: int, value: Any, **formats: Any) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        worksheet.write_boolean(row, column, value)
    elif isinstance(value, int | float | Decimal):
        worksheet.write_number(row, column, float(value))
    elif isinstance(value, dt.datetime):
        utc = value.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
        worksheet.write_datetime(row, column, utc, formats["as_time"])
    elif isinstance(value, dt.date):
        worksheet.write_datetime(row, column, dt.datetime.combine(value, dt.time.min), formats["as_date"])
    else:
        text = str(value)
        if looks_like_formula(text):
            worksheet.write_string(row, column, text, formats["as_text"])
        else:
            worksheet.write_string(row, column, text)
