"""Benchmark My numbers: server time and queries of the numbers, for a rep, a team and the company.

    SALESPIPE_HOME=/tmp/big .venv/bin/salespipe demo --reps 200 --deals 1000000
    SALESPIPE_HOME=/tmp/big .venv/bin/python benchmarks/my_numbers.py

Against an existing database with demo data (SALESPIPE_HOME or DATABASE_URL), in-process with Django's
test client (the whole middleware stack, views, queries and templates; no network). For a rep (the one with
the most open deals), the manager of the biggest team (20 reps at 200 reps) and an admin, it measures
`GET /api/v1/numbers` and the page `/numbers/` for the current quarter and for the year, and the selector
`numbers_report` alone (the SQL and the math, without HTTP or rendering). Each is run once to warm up, then
--runs times: the median and the slowest run, the queries of one run and the size of the answer. The
sessions it signs in with are removed at the end; nothing else is written.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

from _common import Measure, benchmark_actors, measures_table, setup_django, timed, timed_call


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=9, help="timed runs per row (default 9)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)

    setup_django()
    from django.db import connection
    from django.test import Client

    actors = benchmark_actors()
    if actors is None:
        return 1
    deals, rep, team, admin = actors.deals, actors.rep, actors.team, actors.admin
    team_size = team.members.count() if team else 0
    cases: list[tuple[str, Any, dict[str, str]]] = [
        ("rep", rep, {}),
        (
            f"manager, team of {team_size}",
            team.manager if team else None,
            {"team": team.name} if team else {},
        ),
        ("admin, company", admin, {"company": "1"}),
    ]
    results: list[Measure] = []
    for label, user, scope in cases:
        if user is None:
            print(f"No {label} in this database; skipped.", file=sys.stderr)
            continue
        client = Client()
        client.force_login(user)
        for period in ("", "2026"):
            query = "&".join(f"{key}={value}" for key, value in {**scope, "period": period}.items() if value)
            shown = period or "this quarter"
            for name, url in (
                (f"numbers selector, {shown}", None),
                (f"API /numbers, {shown}", f"/api/v1/numbers?{query}"),
                (f"page /numbers/, {shown}", f"/numbers/?{query}"),
            ):
                measure = (
                    _selector(user, scope, period, args.runs)
                    if url is None
                    else timed(client, url, {}, args.runs)
                )
                measure.actor, measure.request = f"{label} ({user.username})", name
                results.append(measure)
                print(f"  {measure.actor:<36} {name:<34} {measure.median_ms:>8.1f} ms", file=sys.stderr)
        client.logout()

    summary: dict[str, Any] = {
        "database": connection.vendor,
        "deals": deals,
        "runs": args.runs,
        "results": [asdict(result) for result in results],
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"database {connection.vendor}, {deals:,} deals, median of {args.runs} runs")
    print()
    for line in measures_table(results):
        print(line)
    return 0


def _selector(user: Any, scope: dict[str, str], period: str, runs: int) -> Measure:
    """`numbers_report` alone: its queries and the math, no HTTP and no template."""

    from salespipe.numbers import selectors

    def run() -> None:
        found = selectors.numbers_scope(
            actor=user, user=scope.get("user"), team=scope.get("team"), company=bool(scope.get("company"))
        )
        chosen = selectors.numbers_period(period or None, today=selectors.company_today())
        selectors.numbers_report(actor=user, scope=found, period=chosen)

    return timed_call(run, runs)


if __name__ == "__main__":
    raise SystemExit(main())
