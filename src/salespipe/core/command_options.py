"""What the command groups acting for someone share: `--as USERNAME`, `--json`, and running on the database.

Imported by the command modules before Django is set up, so nothing here imports models at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

acting_option = click.option(
    "--as",
    "acting",
    default=None,
    metavar="USERNAME",
    help="Act as this user, with their rights (default: as an administrator).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON (the API's shape).")


def acting_user(username: str | None) -> Any:
    """The user a command acts as: the one `--as` names, else the command line's administrator."""
    from salespipe import cli

    return cli._user(username) if username else cli._operator()


def run_on_database(work: Callable[[], None]) -> None:
    """Set Django up and run `work` on a migrated database, its errors as a message and an exit code."""
    from salespipe.cli import _run_with_database

    _run_with_database(work)
