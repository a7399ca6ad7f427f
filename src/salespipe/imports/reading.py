"""Reading a CSV file as people actually have them (issue 7, docs/import.md): any of the usual encodings,
delimiters and line endings, blank rows, duplicated headers, stray whitespace. Streams: the rows come one at
a time, so a file of a million rows is read in constant memory.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from charset_normalizer import from_bytes

SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
# The single-byte encodings exports from Windows come in; charset-normalizer picks among them when a file
# is not UTF-8 (Greek text decides between the two).
SINGLE_BYTE = ["cp1252", "cp1253"]


@dataclass(frozen=True)
class Row:
    number: int  # the record's place in the file, the header being 1: what an error report names
    cells: dict[str, str]  # by header, stripped


def _no_rows() -> Generator[Row]:
    yield from ()


@dataclass
class Table:
    encoding: str  # "xlsx" for a workbook
    delimiter: str
    header: list[str]
    renamed: dict[str, str] = field(default_factory=dict)  # a duplicated header's new name → the original
    rows: Generator[Row] = field(default_factory=lambda: _no_rows())
    # How far through the file reading is, 0 to 1 (by bytes of a CSV file, by rows of a workbook).
    progress: Callable[[], float] = field(default=lambda: 0.0)


def detect_encoding(sample: bytes) -> str:
    """A byte order mark says it; else strict UTF-8 if the sample decodes as UTF-8 (an incomplete character
    at the sample's end allowed); else UTF-16 without a mark when every other byte is zero; else the
    Windows code page the text reads best in."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4:
        return "utf-16-le"
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4:
        return "utf-16-be"
    best = from_bytes(sample, cp_isolation=SINGLE_BYTE).best()
    return best.encoding if best is not None else "cp1252"


def detect_delimiter(text: str) -> str:
    """The delimiter of the first lines, by csv.Sniffer among `, ; tab |`; a comma when it cannot tell."""
    try:
        return csv.Sniffer().sniff(text, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _unique(names: list[str]) -> tuple[list[str], dict[str, str]]:
    """Headers stripped, with a duplicated one numbered (`Amount`, `Amount (2)`), an empty one named by its
    column (`Column 4`)."""
    seen: dict[str, int] = {}
    unique, renamed = [], {}
    for index, raw in enumerate(names, start=1):
        name = raw.strip().lstrip("\ufeff").strip() or f"Column {index}"
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            renamed[f"{name} ({seen[name]})"] = name
            name = f"{name} ({seen[name]})"
        unique.append(name)
    return unique, renamed


def _rows(header: list[str], records: Iterable[list[str]], close: Callable[[], None]) -> Generator[Row]:
    try:
        width = len(header)
        for number, values in enumerate(records, start=2):
            cells = [value.strip() for value in values]
            if not any(cells):
                continue
            if len(cells) == width:  # most rows: no header to add, no cell to pad
                yield Row(number, dict(zip(header, cells, strict=True)))
                continue
            names = header + [f"Column {index}" for index in range(width + 1, len(cells) + 1)]
            padded = cells + [""] * (width - len(cells))
            yield Row(number, dict(zip(names, padded, strict=False)))
    finally:
        close()


def _cell_text(value: object) -> str:
    """A workbook cell as the text a CSV export would have: dates in ISO, whole numbers without `.0`."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _read_workbook(stream: IO[bytes]) -> Table:
    """The first sheet of an XLSX workbook, read in openpyxl's streaming mode."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a damaged file
        stream.close()
        raise ValueError(f"the workbook cannot be read ({error})") from None
    sheet = book.worksheets[0]
    total = max(sheet.max_row or 1, 1)
    records = ([_cell_text(value) for value in values] for values in sheet.iter_rows(values_only=True))
    first = next(records, None)

    def close() -> None:
        book.close()
        stream.close()

    if first is None:
        close()
        return Table(encoding="xlsx", delimiter="", header=[])
    header, renamed = _unique(first)
    table = Table(encoding="xlsx", delimiter="", header=header, renamed=renamed)
    done = [0]

    def counting() -> Iterator[list[str]]:
        for values in records:
            done[0] += 1
            yield values

    table.rows = _rows(header, counting(), close)
    table.progress = lambda: min(1.0, (done[0] + 1) / total)
    return table


def read_table(source: Path | IO[bytes]) -> Table:
    """The file (CSV or XLSX) as a header and a stream of rows. Blank rows are skipped (their numbers too
    are counted); cells are stripped; a row shorter than the header has empty cells, extra cells are kept
    under `Column N`. A file that cannot be read raises ValueError saying why."""
    stream = open(source, "rb") if isinstance(source, Path) else source  # noqa: SIM115 - closed when rows end
    size = stream.seek(0, 2) if stream.seekable() else 0
    stream.seek(0)
    sample = stream.read(SAMPLE_BYTES)
    stream.seek(0)
    if sample.startswith(b"PK\x03\x04"):
        return _read_workbook(stream)
    encoding = detect_encoding(sample)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="", errors="strict")
    head = sample.decode(encoding, errors="ignore")
    delimiter = detect_delimiter("\n".join(head.splitlines()[:20]))
    reader = csv.reader(text, delimiter=delimiter)
    try:
        first = next(reader)
    except StopIteration:
        stream.close()
        return Table(encoding=encoding, delimiter=delimiter, header=[])
    header, renamed = _unique(first)
    raw = getattr(stream, "raw", stream)

    def progress() -> float:
        # The buffered reader's position runs ahead of the rows by at most a buffer: close enough.
        return min(1.0, raw.tell() / size) if size and not raw.closed else 1.0

    return Table(
        encoding=encoding,
        delimiter=delimiter,
        header=header,
        renamed=renamed,
        rows=_rows(header, reader, stream.close),
        progress=progress,
    )
