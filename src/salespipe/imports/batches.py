"""A file's rows, parsed, in batches: read here, or by a forked reader process beside the writer.

Reading the CSV and parsing its values is a third of an import's time, all of it Python; on two cores a
second process does it while this one writes the previous batch. The reader hands batches over a queue of
two (memory stays flat), never touches the database connection it inherited, and ignores Ctrl-C: the
writer stops it. Both ways give the same batches (a test holds them equal).
"""

from __future__ import annotations

import itertools
import multiprocessing
import pickle
import signal
import traceback
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

from salespipe.imports.mapping import Mapping
from salespipe.imports.reading import read_table
from salespipe.imports.rows import ParsedRow, RowParser

# Files smaller than this are read in the writing process: a reader process costs more than it saves.
BACKGROUND_MIN_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Batch:
    rows: list[ParsedRow]
    last_row: int  # the file row number of the batch's last row
    progress: float  # how far through the file reading is, 0 to 1


def _read(path: Path, mapping: Mapping, after: int, size: int) -> Iterator[Batch]:
    table = read_table(path)
    parse = RowParser(mapping).parse
    try:
        pending = (row for row in table.rows if row.number > after)
        while rows := list(itertools.islice(pending, size)):
            yield Batch([parse(row) for row in rows], rows[-1].number, table.progress())
    finally:
        table.rows.close()


def background_suits(path: Path) -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and path.stat().st_size >= BACKGROUND_MIN_BYTES


def parsed_batches(
    path: Path, *, mapping: Mapping, after: int, size: int, background: bool
) -> Generator[Batch]:
    """The batches of rows after row `after`, parsed; in a forked reader process when `background`."""
    if not background:
        yield from _read(path, mapping, after, size)
        return
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[Batch | BaseException | str | None] = context.Queue(maxsize=2)
    reader = context.Process(
        target=_read_into,
        args=(queue, path, mapping, after, size),
        name="salespipe-import-reader",
        daemon=True,
    )
    reader.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            if isinstance(item, str):
                raise RuntimeError(f"The import's reader failed:\n{item}")
            yield item
    finally:
        if reader.is_alive():
            reader.terminate()
        reader.join()
        queue.close()


def _read_into(
    queue: multiprocessing.Queue[Batch | BaseException | str | None],
    path: Path,
    mapping: Mapping,
    after: int,
    size: int,
) -> None:
    """Reader process body: only the file and the queue."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for batch in _read(path, mapping, after, size):
            queue.put(batch)
        queue.put(None)
    except Exception as error:  # handed to the writer, which raises it where it can say what happened
        text = traceback.format_exc()
        try:
            pickle.dumps(error)
        except Exception:  # an error that does not pickle: its traceback does
            queue.put(text)
        else:
            queue.put(error)
    queue.close()
    queue.join_thread()
