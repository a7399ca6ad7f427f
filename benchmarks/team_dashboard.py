"""Benchmark the team dashboard: server time and queries of `/team/`, its API and the leaderboard.

    SALESPIPE_HOME=/tmp/big .venv/bin/salespipe demo --reps 200 --deals 1000000
    SALESPIPE_HOME=/tmp/big .venv/bin/python benchmarks/team_dashboard.py

Against an existing database with demo data (SALESPIPE_HOME or DATABASE_URL), in-process with Django's
test client (the whole middleware stack, views, queries and templates; no network). For the manager of the
biggest team (20 reps at 200 reps) and an admin looking at the same team, it measures the selector
`team_dashboard` alone (the SQL and the math, without HTTP or rendering), `GET /api/v1/team`, the page
`/team/` and the leaderboard for the current quarter and for the year, and one rep's advice as the
dashboard's advice cell asks for it (htmx). Each is run once to warm up, then --runs times: the median and
the slowest run, the queries of one run and the size of the answer.

Nothing is written to the database: sessions live in memory for the run (so each request makes one query
fewer than in production, the session's) and signing in does not record the last login.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

from _common import Measure, measures_table, setup_django, timed, timed_call


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=9, help="timed runs per row (default 9)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)

    setup_django()
    from django.conf import settings
    from django.contrib.auth.models import update_last_login
    from django.contrib.auth.signals import user_logged_in
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from salespipe.deals.models import Deal
    from salespipe.people.models import Role, Team, User

    # Read-only: sessions in memory, and no last-login update when the client signs in.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")

    deals = Deal.objects.count()
    if not deals:
        print("No deals in this database: run `salespipe demo` first.", file=sys.stderr)
        return 1
    team = Team.objects.annotate(size=Count("members")).order_by("-size", "pk").first()
    if team is None or team.manager is None:
        print("No team with a manager in this database.", file=sys.stderr)
        return 1
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    rep = team.members.filter(role=Role.REP, is_active=True).order_by("pk").first()
    size = team.members.count()
    cases: list[tuple[str, Any]] = [(f"manager, team of {size}", team.manager), ("admin, same team", admin)]
    results: list[Measure] = []
    for label, user in cases:
        if user is None:
            print(f"No {label} in this database; skipped.", file=sys.stderr)
            continue
        client = Client()
        client.force_login(user)
        for period in ("", "2026"):
            query = "&".join(
                f"{key}={value}" for key, value in {"team": team.name, "period": period}.items() if value
            )
            shown = period or "this quarter"
            rows: list[tuple[str, str | None]] = [
                (f"team_dashboard selector, {shown}", None),
                (f"API /team, {shown}", f"/api/v1/team?{query}"),
                (f"page /team/, {shown}", f"/team/?{query}"),
                (f"page /team/leaderboard/, {shown}", f"/team/leaderboard/?{query}"),
            ]
            for name, url in rows:
                measure = (
                    _selector(user, team, period, args.runs)
                    if url is None
                    else timed(client, url, {}, args.runs)
                )
                measure.actor, measure.request = f"{label} ({user.username})", name
                results.append(measure)
                print(f"  {measure.actor:<40} {name:<40} {measure.median_ms:>8.1f} ms", file=sys.stderr)
        if rep is not None:
            measure = timed(client, f"/team/advice/{rep.username}/", {"HX-Request": "true"}, args.runs)
            measure.actor, measure.request = f"{label} ({user.username})", "advice cell (htmx), one rep"
            results.append(measure)
            print(
                f"  {measure.actor:<40} {measure.request:<40} {measure.median_ms:>8.1f} ms", file=sys.stderr
            )

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


def _selector(user: Any, team: Any, period: str, runs: int) -> Measure:
    """`team_dashboard` alone: its queries and the math, no HTTP and no template."""

    from salespipe.coaching import dashboard
    from salespipe.numbers import selectors

    def run() -> None:
        teams = dashboard.dashboard_teams(actor=user)
        chosen = dashboard.dashboard_team(actor=user, name=team.name, teams=teams)
        period_shown = selectors.numbers_period(period or None, today=selectors.company_today())
        dashboard.team_dashboard(actor=user, team=chosen, teams=teams, period=period_shown)

    return timed_call(run, runs)


if __name__ == "__main__":
    raise SystemExit(main())
