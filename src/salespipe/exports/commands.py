"""`salespipe export`: deals, organizations, persons or activities to CSV or XLSX, streamed.

The command line reads as an administrator would (everything) unless `--user NAME` says whose view to export:
then exactly what that person may see. Without `--output` the file goes to standard output (an XLSX is
written to a temporary file first, then copied out, so memory stays flat either way).
"""

from __future__ import annotations

import shutil
import sys
import tempfile

import click

# Named here as well as in `exports.tables` (a test holds them equal): the command line is built before
# Django is set up, and the tables import models.
TABLE_NAMES = ("deals", "organizations", "persons", "activities")
FORMATS = ("csv", "xlsx")


def _filters(pairs: tuple[str, ...]) -> dict[str, str]:
    from salespipe.core.errors import InvalidInput

    found: dict[str, str] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            raise InvalidInput(
                f"Write each filter as KEY=VALUE, e.g. --filter status=won; '{pair}' is not.",
                fields={"--filter": "KEY=VALUE"},
            )
        found[key.strip()] = value
    return found


@click.command(short_help="Export deals, organizations, persons or activities to CSV or XLSX.")
@click.argument("table", type=click.Choice(TABLE_NAMES))
@click.option("--format", "file_format", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option(
    "--output", "output", type=click.Path(dir_okay=False, writable=True), help="The file (default: stdout)."
)
@click.option("--user", "username", help="Export as this user would see it (default: everything).")
@click.option("--filter", "filters", multiple=True, metavar="KEY=VALUE", help="Narrow the rows; repeatable.")
def export(
    table: str, file_format: str, output: str | None, username: str | None, filters: tuple[str, ...]
) -> None:
    """Write TABLE (deals, organizations, persons or activities) as CSV or XLSX, one row per record, in
    constant memory. Text that a spreadsheet would run as a formula is neutralised. Column names and the
    filters each table takes: docs/export.md.

    \b
    Filters (--filter KEY=VALUE):
      deals: status, owner, team, pipeline, stage, organization, search, close_from, close_to
      organizations: search
      persons: search, organization, email
      activities: owner, deal, kind, state, due_from, due_to
    """
    from salespipe.cli import _django, _errors, _operator, _require_database, _user

    _django()
    with _errors():
        _require_database()
        from salespipe.core.spreadsheets import csv_lines, xlsx_write
        from salespipe.exports.tables import export_rows

        actor = _user(username) if username else _operator()
        found = export_rows(actor=actor, table=table, filters=_filters(filters))
        if file_format == "csv":
            if output is None:
                for line in csv_lines(found.header, found.rows):
                    click.echo(line, nl=False)
            else:
                with open(output, "w", encoding="utf-8", newline="") as file:
                    file.writelines(csv_lines(found.header, found.rows))
            return
        if output is not None:
            xlsx_write(output, found.header, found.rows, sheet=table)
            return
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as temporary:
            xlsx_write(temporary.name, found.header, found.rows, sheet=table)
            with open(temporary.name, "rb") as written:
                shutil.copyfileobj(written, sys.stdout.buffer)
