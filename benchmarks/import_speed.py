"""How fast `salespipe import` brings in a Pipedrive deal export, and in how much memory (docs/import.md).

Builds a fresh database in a temporary SALESPIPE_HOME (or DATABASE_URL's), 20 reps, and a seeded
Pipedrive-shaped CSV of --rows deals over a quarter as many organizations and half as many people (70% open
in the pipeline's stages, 20% won, 10% lost with a reason); imports it, then imports it again (every row
found and unchanged: the re-import path). Prints rows a second, queries and peak memory of each run.

    .venv/bin/python benchmarks/import_speed.py --rows 100000
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

STAGES = ("Lead In", "Contact Made", "Needs Defined", "Demo Scheduled", "Proposal Made")
HEADER = [
    "Deal - ID", "Deal - Title", "Deal - Value", "Deal - Currency", "Deal - Organization",
    "Deal - Contact person", "Person - Email", "Deal - Stage", "Deal - Status", "Deal - Owner",
    "Deal - Expected close date", "Deal - Deal created", "Deal - Won time", "Deal - Lost time",
    "Deal - Lost reason",
]  # fmt: skip


DIRECTORY_COLUMNS = ("Deal - Organization", "Deal - Contact person", "Person - Email")


def write_export(path: Path, rows: int, reps: int, seed: int, *, deals_only: bool = False) -> None:
    rng = random.Random(seed)
    kept = [index for index, name in enumerate(HEADER) if not (deals_only and name in DIRECTORY_COLUMNS)]
    start = dt.date(2025, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([HEADER[index] for index in kept])
        for number in range(1, rows + 1):
            organization = rng.randrange(max(1, rows // 4))
            person = organization * 2 + rng.randrange(2)
            created = start + dt.timedelta(days=rng.randrange(600))
            roll = rng.random()
            status = "open" if roll < 0.7 else "won" if roll < 0.9 else "lost"
            closed = created + dt.timedelta(days=rng.randrange(5, 120))
            values = [
                number,
                f"Deal {number}",
                f"{rng.randrange(5, 5000) * 10:,}",
                "EUR",
                f"Company {organization}",
                f"Contact {person} Person",
                f"contact{person}@company{organization}.test",
                rng.choice(STAGES),
                status,
                f"rep{rng.randrange(reps)}",
                (closed + dt.timedelta(days=30)).isoformat(),
                f"{created.isoformat()} 10:00:00",
                f"{closed.isoformat()} 15:00:00" if status == "won" else "",
                f"{closed.isoformat()} 15:00:00" if status == "lost" else "",
                "Price" if status == "lost" else "",
            ]
            writer.writerow([values[index] for index in kept])


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, help="Rows per committed batch (default: the importer's).")
    parser.add_argument(
        "--deals-only",
        action="store_true",
        help="Leave the organization and person columns out: every row brings a deal and nothing else.",
    )
    parser.add_argument(
        "--keep-indexes",
        action="store_true",
        help="Keep every index through the import (see imports/index_deferral.py), to measure what it saves.",
    )
    parser.add_argument("--profile", type=Path, help="Write cProfile statistics of the first import here.")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="salespipe-import-bench-"))
    os.environ["SALESPIPE_HOME"] = str(home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salespipe.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from salespipe.deals.pipelines import pipeline_ensure_default
    from salespipe.imports import index_deferral, services
    from salespipe.imports.services import import_prepare, import_run, mapping_build
    from salespipe.people.models import Role, User

    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", interactive=False, verbosity=0)
    pipeline_ensure_default()
    admin = User.objects.create_user(username="bench-admin", role=Role.ADMIN)
    User.objects.bulk_create(User(username=f"rep{n}", role=Role.REP) for n in range(args.reps))
    export = home / "pipedrive-deals.csv"
    write_export(export, args.rows, args.reps, args.seed, deals_only=args.deals_only)
    if args.batch:
        services.BATCH_ROWS = args.batch
    if args.keep_indexes:
        index_deferral.MIN_ROWS = sys.maxsize
    size = export.stat().st_size / 2**20
    print(
        f"{connection.vendor}, {args.rows:,} {'deal-only ' if args.deals_only else ''}rows "
        f"in batches of {services.BATCH_ROWS:,}{', every index kept' if args.keep_indexes else ''}, "
        f"{size:.1f} MiB file; Python {sys.version.split()[0]}; peak before importing {peak_mib():.0f} MiB"
    )

    mapping = mapping_build(path=export, preset="pipedrive")
    for label in ("first import", "re-import"):
        job = import_prepare(actor=admin, path=export, mapping=mapping)
        queries = [0]

        def count(
            execute: Any, sql: str, params: Any, many: bool, context: Any, tally: list[int] = queries
        ) -> Any:
            tally[0] += 1
            return execute(sql, params, many, context)

        # Counted by a wrapper: Django's query log would format every statement's thousands of parameters.
        profiler = cProfile.Profile() if args.profile and label == "first import" else None
        with connection.execute_wrapper(count):
            started = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            job = import_run(job_id=job.pk)
            seconds = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        deals = job.counts["entities"]["deal"]
        print(
            f"{label}: {seconds:.1f} s, {args.rows / seconds:,.0f} rows/s, {queries[0]:,} "
            f"queries, peak {peak_mib():.0f} MiB; deals {deals}, failed rows {job.failed_rows}"
        )


if __name__ == "__main__":
    main()
