"""Benchmark the pipeline board: server time and queries of /board/ and of "Load more", per role.

    SALESPIPE_HOME=/tmp/big .venv/bin/salespipe demo --reps 200 --deals 1000000
    SALESPIPE_HOME=/tmp/big .venv/bin/python benchmarks/board.py

It runs against an existing database with demo data (SALESPIPE_HOME or DATABASE_URL), in-process with
Django's test client: each request goes through the whole middleware stack, the views, the queries and
the templates, but no network. For a rep (the one with the most open deals), a manager (of the biggest
team) and an admin it measures the default board, the board with a text search and a close-period
filter, and the second page of the biggest column. Each is requested once to warm up, then --runs times;
the table shows the median and the slowest run, the queries of one request and the size of the answer.
The sessions it signs in with are removed at the end; nothing else is written.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

from _common import Measure, measures_table, setup_django, timed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=9, help="timed requests per row (default 9)")
    parser.add_argument("--search", default="a", help="text for the search row (default: 'a')")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)

    setup_django()
    from django.db import connection
    from django.db.models import Count, Q
    from django.test import Client

    from salespipe.deals.models import Deal, DealStatus
    from salespipe.people.models import Role, Team, User

    deals = Deal.objects.count()
    if not deals:
        print("No deals in this database: run `salespipe demo` first.", file=sys.stderr)
        return 1
    open_deals = Deal.objects.filter(status=DealStatus.OPEN).count()

    rep = (
        User.objects.filter(role=Role.REP, is_active=True)
        .annotate(open_deals=Count("deals", filter=Q(deals__status=DealStatus.OPEN)))
        .order_by("-open_deals", "pk")
        .first()
    )
    team = Team.objects.annotate(size=Count("members")).order_by("-size", "pk").first()
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    actors = [
        ("rep", rep),
        ("manager", team.manager if team else None),
        ("admin", admin),
    ]

    results: list[Measure] = []
    for role, user in actors:
        if user is None:
            print(f"No {role} in this database; skipped.", file=sys.stderr)
            continue
        client = Client()
        client.force_login(user)
        requests = [
            ("board", "/board/", {}),
            ("board, search + this quarter", f"/board/?q={args.search}&close=this_quarter", {}),
        ]
        more = _second_page_of_biggest_column(user)
        if more is not None:
            requests.append((f"load more ({more[0]})", more[1], {"HX-Request": "true"}))
        for name, url, headers in requests:
            measure = timed(client, url, headers, args.runs)
            measure.actor = f"{role} ({user.username})"
            measure.request = name
            results.append(measure)
            print(f"  {measure.actor:<28} {name:<34} {measure.median_ms:>8.1f} ms", file=sys.stderr)
        client.logout()

    summary: dict[str, Any] = {
        "database": connection.vendor,
        "deals": deals,
        "open_deals": open_deals,
        "runs": args.runs,
        "results": [asdict(result) for result in results],
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"database {connection.vendor}, {deals:,} deals ({open_deals:,} open), median of {args.runs} runs")
    print()
    for line in measures_table(results):
        print(line)
    return 0


def _second_page_of_biggest_column(user: Any) -> tuple[str, str] | None:
    """The biggest column of the default pipeline and the "Load more" URL of its second page."""
    from django.urls import reverse

    from salespipe.deals import selectors
    from salespipe.deals.models import Pipeline, StageKind

    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is None:
        return None
    stages = list(pipeline.stages.filter(kind=StageKind.OPEN))
    filters = selectors.BoardFilters()
    totals = selectors.board_column_totals(actor=user, stages=stages, filters=filters)
    if not totals:
        return None
    stage = max(stages, key=lambda s: totals.get(s.pk, selectors.BoardColumnTotals()).count)
    cursor = selectors.board_column_page(actor=user, stage_id=stage.pk, filters=filters).cursor
    if cursor is None:
        return None
    url = reverse("deals:board_column", args=[stage.pk])
    return stage.name, f"{url}?after_value={cursor.value}&after_id={cursor.deal_id}"


if __name__ == "__main__":
    raise SystemExit(main())
