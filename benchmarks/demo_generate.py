"""Benchmark the demo-data generator: time, rows per second and peak memory.

    .venv/bin/python benchmarks/demo_generate.py --reps 200 --deals 1000000

Without DATABASE_URL the run goes into a fresh SQLite database in a temporary SALESPIPE_HOME, deleted
afterwards unless --keep is given. With DATABASE_URL it uses that database, which must have no deals
(create a throwaway one: `psql -h 127.0.0.1 -U postgres -c 'create database bench_demo'`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import sys
import tempfile
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date(2026, 11, 27))
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite database")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)

    home = None
    if not os.environ.get("DATABASE_URL"):
        home = tempfile.mkdtemp(prefix="salespipe-bench-")
        os.environ["SALESPIPE_HOME"] = home
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salespipe.settings")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from salespipe.demo.generator import demo_generate

    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        phases: dict[str, float] = {}

        def progress(message: str) -> None:
            elapsed = time.perf_counter() - started
            if message == "building indexes":
                # The load's own footprint, before the database's index sorts add theirs.
                phases["load_seconds"] = elapsed
                phases["load_peak_rss_mib"] = peak_rss_mib(resource.RUSAGE_SELF)
            print(f"{elapsed:8.1f}s  {message}", file=sys.stderr, flush=True)

        summary = demo_generate(
            reps=args.reps, deals=args.deals, seed=args.seed, today=args.today, progress=progress
        )
    finally:
        if home and not args.keep:
            shutil.rmtree(home, ignore_errors=True)

    peak_rss = peak_rss_mib(resource.RUSAGE_SELF)
    worker_peak_rss = peak_rss_mib(resource.RUSAGE_CHILDREN)
    tables = {
        "users": summary.managers + summary.reps,
        "organizations": summary.organizations,
        "people": summary.people,
        "deals": summary.deals,
        "stage_changes": summary.stage_changes,
        "deal_contacts": summary.deal_contacts,
        "activities": summary.activities,
    }
    total_rows = sum(tables.values())
    result = {
        "database": connection.vendor,
        "reps": args.reps,
        "deals": args.deals,
        "seconds": summary.seconds,
        "rows": total_rows,
        "rows_per_second": round(total_rows / summary.seconds),
        "tables": {
            name: {"rows": rows, "rows_per_second": round(rows / summary.seconds)}
            for name, rows in tables.items()
        },
        "load_seconds": round(phases.get("load_seconds", summary.seconds), 1),
        "peak_rss_mib": round(peak_rss),
        "load_peak_rss_mib": round(phases.get("load_peak_rss_mib", peak_rss)),
        "worker_peak_rss_mib": round(worker_peak_rss),
        "kept_home": home if args.keep else None,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"database      {result['database']}")
    print(f"seconds       {summary.seconds:.1f} (rows loaded after {result['load_seconds']}s, then indexes)")
    print(f"rows          {total_rows:,} ({result['rows_per_second']:,} rows/s overall)")
    for name, rows in tables.items():
        print(f"  {name:<14}{rows:>12,}  {round(rows / summary.seconds):>10,} rows/s")
    print(f"peak RSS      {peak_rss:.0f} MiB (while loading rows: {result['load_peak_rss_mib']} MiB)")
    print(f"worker RSS    {worker_peak_rss:.0f} MiB (the process that makes the deals, if one ran)")
    if args.keep and home:
        print(f"database kept in {home}")
    return 0


def peak_rss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kibibytes on Linux


if __name__ == "__main__":
    raise SystemExit(main())
