"""`salespipe import`: organizations, people, deals and activities from a CSV or XLSX file (docs/import.md).

It shows how it reads the file (encoding, delimiter, which column is which field) before a row is written,
asks to confirm the generic preset's guesses, shows progress, and ends with what it did per entity and where
the error report is. Interrupted (Ctrl-C), it says which rows are in; `--resume ID` goes on from there.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

# Named here as well as in `imports.presets` (a test holds them equal): the command line is built before
# Django is set up.
PRESET_NAMES = ("pipedrive", "hubspot", "salesforce", "generic")
EXIT_ROWS_FAILED = 1
EXIT_INTERRUPTED = 130


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


def _show_fields() -> None:
    from salespipe.imports.fields import FIELDS

    width = max(len(field.key) for field in FIELDS)
    for field in FIELDS:
        click.echo(f"{field.key.ljust(width)}  {field.kind.value:<7} {field.help}")


def _show_mapping(preview: Any) -> None:
    mapping = preview.mapping
    where = f"encoding {preview.encoding}"
    if preview.delimiter:
        where += f", delimiter {preview.delimiter!r}"
    click.echo(f"Reading the file as {where}; preset {mapping.preset}.", err=True)
    fields = {header: key for key, header in mapping.columns.items()}
    for header in preview.header:
        if header in fields:
            click.echo(f"  {header!r} → {fields[header]}", err=True)
    if mapping.unmapped:
        click.echo(f"  not imported: {', '.join(repr(name) for name in mapping.unmapped)}", err=True)
    if mapping.day_first is not None:
        click.echo(f"  dates: {'day' if mapping.day_first else 'month'} first", err=True)
    found_values = (("stage", preview.stages), ("owner", preview.owners), ("pipeline", preview.pipelines))
    for label, values in found_values:
        missing = [found for found in values if not found.matched]
        if missing:
            names = ", ".join(f"{found.value!r} ({_rows(found.rows)})" for found in missing[:10])
            click.echo(f"  no {label} here for: {names}", err=True)


def _show_outcome(job: Any, problems_file: Path) -> None:
    counts = job.counts
    verb = "would be" if job.dry_run else "were"
    click.echo(f"{'Dry run: ' if job.dry_run else ''}{_rows(counts.get('rows', 0))} read.")
    for entity, tally in counts.get("entities", {}).items():
        click.echo(
            f"  {entity}: {tally['created']} {verb} created, {tally['updated']} updated, "
            f"{tally['unchanged']} unchanged, {tally['failed']} failed"
        )
    if job.failed_rows:
        click.echo(f"Not imported: {_rows(job.failed_rows)}; why, row by row: {problems_file}")
    for kind, values in counts.get("unmatched", {}).items():
        table = {"stage": "stages", "owner": "owners", "pipeline": "pipelines"}.get(kind)
        listed = ", ".join(f"{value!r} ({_rows(rows)})" for value, rows in list(values.items())[:10])
        click.echo(f"  no {kind} here for: {listed}")
        if table:
            example = next(iter(values))
            click.echo(f'    map them in a mapping file: [{table}] "{example}" = "…" (then --mapping FILE)')


@click.command("import", short_help="Import organizations, people, deals and activities from CSV or XLSX.")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--preset", type=click.Choice(PRESET_NAMES), default="generic", show_default=True)
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TOML mapping file: columns, stages, owners, pipelines, day_first, currency, source.",
)
@click.option("--owner", help="Username that owns the rows naming no owner.")
@click.option("--pipeline", help="Pipeline for deals whose rows name none (default: the default pipeline).")
@click.option("--dry-run", is_flag=True, help="Show exactly what would happen; write nothing.")
@click.option("--day-first/--month-first", "day_first", default=None, help="How the file writes dates.")
@click.option("--yes", is_flag=True, help="Import with the generic preset's guessed columns without asking.")
@click.option("--resume", "resume_id", type=int, metavar="ID", help="Go on with an interrupted import.")
@click.option("--fields", "list_fields", is_flag=True, help="List the fields columns can be mapped to.")
def import_(
    file: Path | None,
    preset: str,
    mapping_file: Path | None,
    owner: str | None,
    pipeline: str | None,
    dry_run: bool,
    day_first: bool | None,
    yes: bool,
    resume_id: int | None,
    list_fields: bool,
) -> None:
    """Import FILE (CSV in any usual encoding and delimiter, or XLSX) with a preset for Pipedrive, HubSpot
    or Salesforce deal exports, or the generic preset that guesses columns from their headers. Re-importing
    a file updates what it brought in before instead of copying it. Rows that cannot be imported are
    listed, with the reason, in an error report; the other rows are imported. Exit code 0 when every row
    was imported, 1 when some were not, 2 for a file or mapping that cannot be used, 130 when interrupted.
    """
    from salespipe.cli import _django, _errors, _require_database

    if list_fields:
        _show_fields()
        return
    if file is None and resume_id is None:
        raise click.UsageError("Name the FILE to import (or --resume ID, or --fields).")
    _django()
    with _errors():
        _require_database()
        from salespipe.deals.models import Pipeline
        from salespipe.imports.services import import_prepare, import_run, mapping_build, problems_path

        if resume_id is not None:
            job_id = resume_id
        else:
            assert file is not None
            mapping = mapping_build(path=file, preset=preset, mapping_file=mapping_file, day_first=day_first)
            from salespipe.imports.selectors import import_preview

            chosen = Pipeline.objects.filter(name__iexact=pipeline).first() if pipeline else None
            preview = import_preview(path=file, mapping=mapping, pipeline=chosen)
            _show_mapping(preview)
            if mapping.preset == "generic" and not (yes or dry_run):
                if not sys.stdin.isatty():
                    raise click.UsageError(
                        "The generic preset guessed the columns above; confirm with --yes, "
                        "or give a --mapping file."
                    )
                click.confirm("Import with these columns?", abort=True, err=True)
            from salespipe.cli import _operator

            job_id = import_prepare(
                actor=_operator(), path=file, mapping=mapping, pipeline=pipeline, owner=owner, dry_run=dry_run
            ).pk
        with click.progressbar(length=1000, label="Importing", file=sys.stderr) as bar:
            done = [0]

            def progress(_job: Any, fraction: float) -> None:
                step = int(fraction * 1000) - done[0]
                if step > 0:
                    bar.update(step)
                    done[0] += step

            try:
                job = import_run(job_id=job_id, progress=progress)
            except KeyboardInterrupt:
                from salespipe.imports.models import ImportJob

                stopped = ImportJob.objects.get(pk=job_id)
                click.echo(f"\n{stopped.message}", err=True)
                if stopped.committed_row:
                    click.echo(f"Resume with: salespipe import --resume {job_id}", err=True)
                sys.exit(EXIT_INTERRUPTED)
        click.echo(f"Import {job.pk}:")
        _show_outcome(job, problems_path(job))
        if job.failed_rows:
            sys.exit(EXIT_ROWS_FAILED)
