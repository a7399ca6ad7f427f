"""Imports: prepare one from a file and a mapping, run it in committed batches, resume it (docs/import.md).

`import_prepare` reads only the header and a sample, so a wrong preset or mapping is refused before a row is
written. `import_run` streams the file: rows are parsed, `BATCH_ROWS` at a time, and each batch is written and
committed with the import's progress in one transaction, so an interruption (Ctrl-C, a crash, a restart)
leaves whole batches in and nothing of the batch it stopped in; `import_run` on the same job goes on after
the last committed row. A dry run does the same work in one transaction and rolls it back: its report is
exactly what the import would do, and it writes nothing but its own report.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import hashlib
import itertools
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salespipe.core.errors import InvalidInput, NotAllowed, NotFound, RuleBroken
from salespipe.core.spreadsheets import safe_cell
from salespipe.deals.models import Pipeline
from salespipe.deals.services import stage_outcomes_rebuild
from salespipe.imports.batches import Batch, parsed_batches
from salespipe.imports.fields import FIELDS_BY_KEY, Kind, header_key
from salespipe.imports.index_deferral import dropped_indexes_rebuild, indexes_deferred, tables_to_defer
from salespipe.imports.loading import Loader, Totals
from salespipe.imports.mapping import Mapping, mapping_check, mapping_file_apply, mapping_for
from salespipe.imports.models import ImportJob, ImportStatus
from salespipe.imports.reading import read_table
from salespipe.imports.rows import Problem
from salespipe.imports.values import detect_day_first
from salespipe.people.models import Role, User

# Rows per committed batch: SQLite writes a batch's changed index pages once at its commit, so fewer, larger
# batches write far less (10,000 rows: a third of 2,000's time); memory still holds only a batch or two.
BATCH_ROWS = 10_000
# Rows read to find whether the file writes dates day first (27/11/2026) or month first (11/27/2026).
DATE_SAMPLE_ROWS = 5000
PROBLEMS_FILE = "problems.csv"


class _DryRunDone(Exception):
    """Raised at the end of a dry run to roll its transaction back."""


def imports_folder() -> Path:
    return Path(settings.SALESPIPE_HOME) / "imports"


def job_folder(job: ImportJob) -> Path:
    return imports_folder() / str(job.pk)


def problems_path(job: ImportJob) -> Path:
    return job_folder(job) / PROBLEMS_FILE


def _require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise NotAllowed(_("Only an administrator can import data; ask one to run the import."))


def _digest(path: Path) -> tuple[str, int]:
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


def _open_table(path: Path) -> Any:
    try:
        return read_table(path)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise InvalidInput(
            _("Cannot read %(file)s: %(error)s. Save it as CSV (UTF-8) or XLSX and try again.")
            % {"file": path.name, "error": error},
            fields={"file": _("unreadable")},
        ) from error


def unreadable(path: Path, encoding: str, error: UnicodeDecodeError) -> InvalidInput:
    """A file that stops being text in the encoding its start was read in."""
    return InvalidInput(
        _("%(file)s is not valid %(encoding)s text further on (%(error)s); save it as UTF-8 and try again.")
        % {"file": path.name, "encoding": encoding, "error": error.reason},
        fields={"file": _("unreadable")},
    )


def _detect_day_first(path: Path, mapping: Mapping) -> bool | None:
    """The order of day and month in the file's date columns, from its first rows; None when no date
    there tells (then an ambiguous date is refused row by row, asking for the order)."""
    columns = [header for key, header in mapping.columns.items() if FIELDS_BY_KEY[key].kind is Kind.DATE]
    if not columns:
        return None
    table = _open_table(path)
    try:
        sample = list(itertools.islice(table.rows, DATE_SAMPLE_ROWS))
    except UnicodeDecodeError as error:
        raise unreadable(path, table.encoding, error) from error
    finally:
        table.rows.close()
    try:
        return detect_day_first(row.cells.get(column, "") for row in sample for column in columns)
    except ValueError as error:
        raise InvalidInput(
            _("The dates of %(file)s cannot be read: %(error)s.") % {"file": path.name, "error": error},
            fields={"file": _("mixed date orders")},
        ) from error


def mapping_build(
    *,
    path: Path,
    preset: str,
    mapping_file: Path | None = None,
    columns: dict[str, str] | None = None,
    stages: dict[str, str] | None = None,
    owners: dict[str, str] | None = None,
    day_first: bool | None = None,
) -> Mapping:
    """The mapping of a file: the preset's (or the generic guesses), adjusted by a mapping file, or by the
    columns, stage names and owners chosen on the import page (field → header, file value → stage name,
    file value → username)."""
    table = _open_table(path)
    table.rows.close()
    if not table.header:
        raise InvalidInput(
            _("%(file)s is empty: it has no header row.") % {"file": path.name}, fields={"file": _("empty")}
        )
    mapping = mapping_for(table.header, preset=preset)
    if mapping_file is not None:
        mapping = mapping_file_apply(mapping, mapping_file, header=table.header)
    if columns is not None:
        unknown = [key for key in columns if key not in FIELDS_BY_KEY]
        missing = [header for header in columns.values() if header not in table.header]
        if unknown or missing:
            raise InvalidInput(
                _("The mapping names fields or columns that do not exist: %(names)s.")
                % {"names": ", ".join(unknown + missing)},
                fields={"mapping": _("unknown")},
            )
        mapping.columns = dict(columns)
        mapping.unmapped = [name for name in table.header if name not in columns.values()]
    if stages:
        mapping.stages |= {header_key(value): stage for value, stage in stages.items() if stage}
    if owners:
        mapping.owners |= {header_key(value): username for value, username in owners.items() if username}
    if day_first is not None:
        mapping.day_first = day_first
    mapping_check(mapping)
    if mapping.day_first is None:
        mapping.day_first = _detect_day_first(path, mapping)
    return mapping


def _pipeline(name: str | None) -> Pipeline | None:
    if not name:
        return None
    found = Pipeline.objects.filter(name__iexact=name.strip(), is_active=True).first()
    if found is None:
        names = ", ".join(Pipeline.objects.filter(is_active=True).values_list("name", flat=True))
        raise InvalidInput(
            _("There is no active pipeline '%(name)s'; the pipelines are: %(names)s.")
            % {"name": name, "names": names},
            fields={"pipeline": _("unknown")},
        )
    return found


def _owner(name: str | None) -> User | None:
    if not name:
        return None
    found = User.objects.filter(username=name.strip(), is_active=True).first()
    if found is None:
        raise InvalidInput(
            _("There is no active user '%(name)s' to own the rows that name no owner.") % {"name": name},
            fields={"owner": _("unknown")},
        )
    return found


@transaction.atomic
def import_prepare(
    *,
    actor: User,
    path: Path,
    mapping: Mapping,
    file_name: str | None = None,
    pipeline: str | None = None,
    owner: str | None = None,
    dry_run: bool = False,
) -> ImportJob:
    """A waiting import of `path` by `mapping`. Refuses, creating nothing, a non-admin, an unknown pipeline
    or owner."""
    if actor.pk is not None:
        _require_admin(actor)
    mapping_check(mapping)
    digest, size = _digest(path)
    return ImportJob.objects.create(
        created_by=actor if actor.pk is not None else None,
        file_name=(file_name or path.name)[:255],
        file_path=str(path.resolve()),
        file_sha256=digest,
        file_size=size,
        mapping=mapping.as_dict(),
        pipeline=_pipeline(pipeline),
        default_owner=_owner(owner),
        dry_run=dry_run,
    )


def _check_file(job: ImportJob) -> None:
    path = Path(job.file_path)
    if not path.is_file() or _digest(path)[0] != job.file_sha256:
        raise RuleBroken(
            _("The file %(file)s is gone or has changed since the import began; start a new import with it.")
            % {"file": job.file_name},
            code="import_file_changed",
        )


def import_resume(*, actor: User, import_id: int) -> ImportJob:
    """Queue an interrupted or failed import again: it goes on after its last committed row. Refuses an
    import that is queued, running or finished, or whose file is gone or changed."""
    from salespipe.core.tasks import enqueue_on_commit
    from salespipe.imports.tasks import import_job_run

    _require_admin(actor)
    job = ImportJob.objects.filter(pk=import_id).first()
    if job is None:
        raise NotFound(_("There is no import %(id)s.") % {"id": import_id})
    if job.status in (ImportStatus.WAITING, ImportStatus.RUNNING):
        raise RuleBroken(
            _("Import %(id)s is queued or running already; wait for it to end.") % {"id": job.pk},
            code="import_running",
        )
    if job.status == ImportStatus.FINISHED:
        raise RuleBroken(
            _("Import %(id)s is finished already; start a new import to bring the file in again.")
            % {"id": job.pk},
            code="import_not_resumable",
        )
    _check_file(job)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.WAITING, message="")
    job.status, job.message = ImportStatus.WAITING, ""
    enqueue_on_commit(import_job_run, job.pk)
    return job


def import_upload_discard(path: Path) -> None:
    """Delete an upload that will not be imported (refused, or its import could not be prepared)."""
    if path.parent == imports_folder() / "uploads":
        path.unlink(missing_ok=True)


def import_upload_keep(*, upload: IO[bytes], file_name: str) -> Path:
    """Keep an uploaded file where the background import can read it (under SALESPIPE_HOME/imports)."""
    folder = imports_folder() / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
    safe_name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in Path(file_name).name)[-100:]
    path = folder / f"{stamp}-{safe_name or 'upload'}"
    with path.open("wb") as target:
        shutil.copyfileobj(upload, target, 1 << 20)
    return path


class _ProblemLog:
    """The import's error report: one CSV line per problem, appended to as batches run (a resumed import
    adds to it), safe to open in a spreadsheet."""

    def __init__(self, path: Path, *, fresh: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        new = fresh or not path.exists()
        self._file = path.open("w" if new else "a", encoding="utf-8-sig" if new else "utf-8", newline="")
        self._writer = csv.writer(self._file)
        if new:
            self._writer.writerow(["row", "column", "value", "problem"])
        self.first: list[Problem] = []

    def __call__(self, problem: Problem) -> None:
        self._writer.writerow(
            [problem.row, safe_cell(problem.column), safe_cell(problem.value), problem.reason]
        )
        if len(self.first) < 20:
            self.first.append(problem)

    def close(self) -> None:
        self._file.close()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while an import runs, and run once at its end: an import makes millions
    of short-lived objects and next to no cycles, and the collector's passes over them took a quarter of
    its time. Memory stays flat (measured up to a million rows: docs/import.md)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.collect()


def import_run(
    *,
    job_id: int,
    progress: Callable[[ImportJob, float], None] | None = None,
    now: dt.datetime | None = None,
) -> ImportJob:
    """Run (or resume) an import. Each batch commits with the job's counts and last row; the job ends
    finished, interrupted (Ctrl-C: resumable) or failed (with the reason)."""
    job = (
        ImportJob.objects.select_related("created_by", "pipeline", "default_owner").filter(pk=job_id).first()
    )
    if job is None:
        raise NotFound(_("There is no import %(id)s.") % {"id": job_id})
    dropped_indexes_rebuild()  # an import killed mid-way may have left some
    if job.status == ImportStatus.FINISHED:
        raise RuleBroken(
            _("Import %(id)s is finished already; start a new import to bring the file in again.")
            % {"id": job.pk},
            code="import_not_resumable",
        )
    try:
        _check_file(job)
    except RuleBroken as error:
        _end(job, Totals.from_dict(job.counts), ImportStatus.FAILED, error.message)
        raise
    path = Path(job.file_path)
    resuming = job.committed_row > 0
    totals = Totals.from_dict(job.counts) if resuming else Totals()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, started_at=timezone.now(), message=""
    )
    job.status = ImportStatus.RUNNING
    log = _ProblemLog(problems_path(job), fresh=not resuming)
    table = _open_table(path)
    table.rows.close()  # only its encoding is needed here: the batches read the file themselves
    mapping = Mapping.from_dict(job.mapping)
    loader = Loader(
        actor_id=job.created_by_id,
        mapping=mapping,
        pipeline=job.pipeline,
        default_owner=job.default_owner,
        totals=totals,
        report=log,
        now=now or timezone.now(),
    )
    batches = parsed_batches(path, mapping=mapping, after=job.committed_row, size=BATCH_ROWS)
    try:
        with _collector_paused():
            _load(job, batches, loader, totals, progress)
    except KeyboardInterrupt:
        _end(job, totals, ImportStatus.INTERRUPTED, _interrupted_message(job))
        raise
    except UnicodeDecodeError as error:
        reason = _(
            "The file is not valid %(encoding)s text after row %(row)s (%(error)s); save it as UTF-8 and "
            "import it again."
        ) % {"encoding": table.encoding, "row": job.rows_read, "error": error}
        _end(job, totals, ImportStatus.FAILED, reason)
        raise InvalidInput(job.message, fields={"file": _("unreadable")}) from error
    except Exception as error:
        _end(job, totals, ImportStatus.FAILED, f"{_interrupted_message(job)} {error}")
        raise
    finally:
        log.close()
        batches.close()
    _end(job, totals, ImportStatus.FINISHED, "")
    return job


def _load(
    job: ImportJob,
    batches: Iterator[Batch],
    loader: Loader,
    totals: Totals,
    progress: Callable[[ImportJob, float], None] | None,
) -> None:
    """The batches of the file after the last committed row: each in its own transaction with the job's
    progress, or, in a dry run, all in one that is rolled back."""
    if job.dry_run:
        try:
            with transaction.atomic():
                for batch in batches:
                    loader.load(batch.rows)
                    job.rows_read = batch.last_row
                    if progress is not None:
                        progress(job, batch.progress)
                raise _DryRunDone
        except _DryRunDone:
            return
    rows_before = max(0, job.committed_row - 1)  # the header is row 1
    with ExitStack() as deferral:
        for number, batch in enumerate(batches):
            if number == 0:  # the first batch read tells how many rows the file holds
                tables = tables_to_defer(loader.mapping.entities, _rows_to_come(batch, rows_before))
                deferral.enter_context(indexes_deferred(job, tables))
            with transaction.atomic():
                loader.load(batch.rows)
                job.rows_read = job.committed_row = batch.last_row
                job.progress = batch.progress
                job.counts = totals.as_dict()
                job.failed_rows = totals.failed_rows
                job.save(update_fields=["rows_read", "committed_row", "progress", "counts", "failed_rows"])
            if progress is not None:
                progress(job, batch.progress)
    if loader.closed_deals_touched:
        # The stage-to-won rates count closed deals by the stages they passed: recount them once.
        stage_outcomes_rebuild()


def _rows_to_come(first: Batch, rows_before: int) -> int:
    """The rows from the first batch of this run to the end of the file, estimated from how far through
    the file that batch ends."""
    rows_read = first.last_row - 1  # the header is row 1
    if first.progress <= 0:
        return 0
    return int(rows_read / min(first.progress, 1.0)) - rows_before


def _interrupted_message(job: ImportJob) -> str:
    if job.dry_run or not job.committed_row:
        return _("Stopped before any row was imported.")
    return _(
        "Stopped: rows 2 to %(row)s are imported, nothing after them; run the import again to go on from "
        "row %(next)s."
    ) % {"row": job.committed_row, "next": job.committed_row + 1}


def _end(job: ImportJob, totals: Totals, status: str, message: str) -> None:
    job.status = status
    job.message = message
    job.counts = totals.as_dict()
    job.failed_rows = totals.failed_rows
    job.finished_at = timezone.now()
    if status == ImportStatus.FINISHED:
        job.progress = 1.0
    ImportJob.objects.filter(pk=job.pk).update(
        status=status,
        progress=job.progress,
        message=message,
        counts=job.counts,
        failed_rows=job.failed_rows,
        rows_read=job.rows_read,
        finished_at=job.finished_at,
    )
