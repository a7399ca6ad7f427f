"""Benchmark Insights: server time and queries of the page, the API, a CSV and each selector part, for a
rep, a team and the company, at the default window (90 days).

    SALESPIPE_HOME=/tmp/big .venv/bin/salespipe demo --reps 200 --deals 1000000
    SALESPIPE_HOME=/tmp/big .venv/bin/python benchmarks/insights.py

Against an existing database with demo data (SALESPIPE_HOME or DATABASE_URL), in-process with Django's
test client (the whole middleware stack, views, queries and templates; no network). For a rep (the one with
the most open deals), the manager of the biggest team (20 reps at 200 reps) looking at that team, and an
admin looking at everybody, it measures `GET /insights/`, `GET /api/v1/insights`, `GET /insights/funnel.csv`
and `pipeline_insights` alone, then each selector part on its own (one query each) to show where the time
goes. Each is run once to warm up, then --runs times: the median and the slowest run, the queries of one
run and the size of the answer. The sessions it signs in with are removed at the end; nothing else is
written.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from _common import Measure, benchmark_actors, measures_table, setup_django, timed, timed_call


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per row (default 5)")
    parser.add_argument("--only", choices=("rep", "team", "admin"), help="measure one actor only")
    parser.add_argument("--no-parts", action="store_true", help="leave out the per-part rows")
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
    cases: list[tuple[str, str, Any, dict[str, str]]] = [
        ("rep", "rep", rep, {}),
        (
            "team",
            f"manager, team of {team_size}",
            team.manager if team else None,
            {"who": f"team:{team.pk}"} if team else {},
        ),
        ("admin", "admin, company", admin, {}),
    ]
    results: list[Measure] = []
    for key, label, user, query in cases:
        if args.only and key != args.only:
            continue
        if user is None:
            print(f"No {label} in this database; skipped.", file=sys.stderr)
            continue
        client = Client()
        client.force_login(user)
        actor = f"{label} ({user.username})"
        api_query = {"team_id": query["who"].split(":")[1]} if "who" in query else {}
        requests = [
            ("insights selector", None),
            ("page /insights/", "/insights/?" + _encode(query)),
            ("API /insights", "/api/v1/insights?" + _encode(api_query)),
            ("CSV /insights/funnel.csv", "/insights/funnel.csv?" + _encode(query)),
        ]
        for name, url in requests:
            if url is None:
                measure = _selector(user, api_query, args.runs)
            elif url.startswith("/insights/funnel.csv"):
                measure = _download(client, url, args.runs)
            else:
                measure = timed(client, url, {}, args.runs)
            measure.actor, measure.request = actor, name
            results.append(measure)
            print(f"  {actor:<36} {name:<34} {measure.median_ms:>8.1f} ms", file=sys.stderr)
        if not args.no_parts:
            for name, part in _parts():
                measure = _part(user, api_query, part, args.runs)
                measure.actor, measure.request = actor, f"part: {name}"
                results.append(measure)
                print(f"  {actor:<36} {name:<34} {measure.median_ms:>8.1f} ms", file=sys.stderr)
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
    print(f"database {connection.vendor}, {deals:,} deals, median of {args.runs} runs, window 90 days")
    print()
    for line in measures_table(results):
        print(line)
    return 0


def _encode(query: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(query)


def _parts() -> list[tuple[str, Callable[..., Any]]]:
    from salespipe.insights import selectors

    return [
        ("open deals by stage", selectors.open_by_stage),
        ("stage conversions", selectors.stage_conversions),
        (
            "conversions, window and 6 months",
            lambda scope: selectors._cohort_counts(scope, months=selectors.PERIOD_MONTHS),
        ),
        ("days in stage", selectors.stage_durations),
        ("closed in window", selectors.closed_in_window),
        ("activities", selectors.activity_counts),
        ("trials, demos, gifts", selectors.freemium_effect),
        ("conversion by month", lambda scope: selectors.conversion_by_period(actor=scope.actor, scope=scope)),
        ("step conversions", lambda scope: selectors.step_conversions(actor=scope.actor, scope=scope)),
    ]


def _measure(run: Callable[[], None], runs: int) -> Measure:

    return timed_call(run, runs)


def _download(client: Any, url: str, runs: int) -> Measure:
    """A streamed CSV, read to its end (`_common.timed` reads whole responses only)."""
    size = 0

    def run() -> None:
        nonlocal size
        response = client.get(url)
        size = sum(len(chunk) for chunk in response.streaming_content)

    measure = _measure(run, runs)
    measure.kib = round(size / 1024, 1)
    return measure


def _selector(user: Any, query: dict[str, str], runs: int) -> Measure:
    """`pipeline_insights` (what the page and the API compute): its queries and the math, no HTTP and
    no template."""
    from salespipe.insights import selectors

    def run() -> None:
        selectors.pipeline_insights(actor=user, team_id=int(query["team_id"]) if query else None)

    return _measure(run, runs)


def _part(user: Any, query: dict[str, str], part: Callable[..., Any], runs: int) -> Measure:
    """One selector part on its own, the scope resolved beforehand (so one query, mostly)."""
    from salespipe.insights import selectors

    scope = selectors.insights_scope(actor=user, team_id=int(query["team_id"]) if query else None)
    return _measure(lambda: part(scope), runs)


if __name__ == "__main__":
    raise SystemExit(main())
