"""Benchmark the deal page and the agenda: server time and queries, per deal and per role.

    SALESPIPE_HOME=/tmp/big .venv/bin/salespipe demo --reps 200 --deals 1000000
    SALESPIPE_HOME=/tmp/big .venv/bin/python benchmarks/deal_page.py

It runs against an existing database with demo data (SALESPIPE_HOME or DATABASE_URL), in-process with
Django's test client, like benchmarks/board.py. The deal page (/deals/<id>/) is requested by the deal's
owner for the deal with the most activities, the one with the most stage changes and a typical one (the
median activity count of a seeded sample of deals), and by the owner's manager for the first of them;
the timeline's "show more" (/deals/<id>/timeline/?before=…, as htmx asks for it) for the deals whose
timeline has a second page. The agenda (/agenda/) is requested by the rep with the most planned
activities, by the manager of the biggest team, and by that manager for the busiest member of the team.

Each case is requested once to warm up, once to count its queries, then --runs times; that is repeated
--repeat times over all the cases in turn, and the table shows the median of each repetition, the
queries of one request and the size of the answer. The sessions it signs in with are removed at the end;
nothing else is written.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from dataclasses import dataclass, field
from typing import Any

from _common import setup_django, timed


@dataclass
class Case:
    actor: str
    request: str
    url: str
    headers: dict[str, str]
    client: Any
    medians_ms: list[float] = field(default_factory=list)
    queries: int = 0
    kib: float = 0.0
    status: int = 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=9, help="timed requests per case (default 9)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions over all cases (default 3)")
    parser.add_argument("--sample", type=int, default=200, help="deals sampled for a typical one")
    parser.add_argument("--seed", type=int, default=1, help="seed of that sample (default 1)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)

    setup_django()
    from django.db import connection
    from django.db.models import Count, Q
    from django.test import Client
    from django.urls import reverse

    from salespipe.activities.models import Activity
    from salespipe.deals.models import Deal, StageChange
    from salespipe.deals.timeline import deal_timeline
    from salespipe.people.models import Role, Team, User

    deals = Deal.objects.count()
    if not deals:
        print("No deals in this database: run `salespipe demo` first.", file=sys.stderr)
        return 1

    def counts(deal_id: int) -> tuple[int, int]:
        return (
            Activity.objects.filter(deal_id=deal_id).count(),
            StageChange.objects.filter(deal_id=deal_id).count(),
        )

    def top(model: Any) -> int:
        row = model.objects.values("deal_id").annotate(n=Count("id")).order_by("-n", "deal_id").first()
        return int(row["deal_id"])

    print("  choosing deals and people…", file=sys.stderr)
    most_activities = top(Activity)
    most_changes = top(StageChange)
    max_id = Deal.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    rng = random.Random(args.seed)
    sample = list(
        Deal.objects.filter(pk__in=rng.sample(range(1, max_id + 1), min(args.sample, max_id))).values_list(
            "pk", flat=True
        )
    )
    by_activities = sorted(sample, key=lambda pk: (counts(pk)[0], pk))
    typical = by_activities[len(by_activities) // 2]
    median_counts = [counts(pk)[0] for pk in by_activities]

    clients: dict[int, Any] = {}

    def client_for(user: Any) -> Any:
        if user.pk not in clients:
            client = Client()
            client.force_login(user)
            clients[user.pk] = client
        return clients[user.pk]

    cases: list[Case] = []
    htmx = {"HX-Request": "true"}
    chosen = [
        ("most activities", most_activities),
        ("most stage changes", most_changes),
        ("typical", typical),
    ]
    for label, deal_id in chosen:
        deal = Deal.objects.select_related("owner", "owner__team__manager").get(pk=deal_id)
        activities, changes = counts(deal_id)
        name = f"deal page, {label} ({activities} act., {changes} changes)"
        url = reverse("deals:detail", args=[deal_id])
        owner = deal.owner
        cases.append(Case(f"owner ({owner.username})", name, url, {}, client_for(owner)))
        more = deal_timeline(deal=deal).next_before
        if more is not None:
            more_url = f"{reverse('deals:detail_timeline', args=[deal_id])}?before={more}"
            cases.append(
                Case(
                    f"owner ({owner.username})", f"timeline more, {label}", more_url, htmx, client_for(owner)
                )
            )
        manager = owner.team.manager if owner.team else None
        if label == "most activities" and manager is not None:
            cases.append(Case(f"manager ({manager.username})", name, url, {}, client_for(manager)))

    planned = Q(activities__done_at__isnull=True, activities__cancelled_at__isnull=True)
    busiest = User.objects.annotate(planned=Count("activities", filter=planned)).order_by("-planned", "pk")
    rep = busiest.filter(role=Role.REP, is_active=True).first()
    team = Team.objects.annotate(size=Count("members")).order_by("-size", "pk").first()
    manager = team.manager if team else None
    members = busiest.filter(team=team, is_active=True)
    member = (members.exclude(pk=manager.pk) if manager else members).first()
    agenda = reverse("activities:agenda")
    if rep is not None:
        cases.append(Case(f"rep ({rep.username})", "agenda", agenda, {}, client_for(rep)))
    if manager is not None:
        cases.append(Case(f"manager ({manager.username})", "agenda, own", agenda, {}, client_for(manager)))
        if member is not None:
            cases.append(
                Case(
                    f"manager ({manager.username})",
                    f"agenda of {member.username}",
                    f"{agenda}?owner={member.pk}",
                    {},
                    client_for(manager),
                )
            )

    for repetition in range(args.repeat):
        for case in cases:
            measure = timed(case.client, case.url, case.headers, args.runs)
            case.medians_ms.append(measure.median_ms)
            case.queries, case.kib, case.status = measure.queries, measure.kib, measure.status
            print(
                f"  {repetition + 1}/{args.repeat} {case.actor:<24} {case.request:<52} "
                f"{measure.median_ms:>8.1f} ms",
                file=sys.stderr,
            )
    for client in clients.values():
        client.logout()

    summary: dict[str, Any] = {
        "database": connection.vendor,
        "deals": deals,
        "runs": args.runs,
        "repeat": args.repeat,
        "sample_activity_counts": {
            "min": median_counts[0] if median_counts else None,
            "median": statistics.median(median_counts) if median_counts else None,
            "max": median_counts[-1] if median_counts else None,
        },
        "results": [
            {
                "actor": case.actor,
                "request": case.request,
                "url": case.url,
                "medians_ms": case.medians_ms,
                "queries": case.queries,
                "kib": case.kib,
                "status": case.status,
            }
            for case in cases
        ],
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"database {connection.vendor}, {deals:,} deals, median of {args.runs} runs, {args.repeat} times")
    print()
    print("| actor | request | medians | queries | size | status |")
    print("|---|---|---|---|---|---|")
    for case in cases:
        medians = " / ".join(f"{m:,.1f}" for m in case.medians_ms)
        print(
            f"| {case.actor} | {case.request} | {medians} ms | {case.queries} | {case.kib:,.1f} KiB "
            f"| {case.status} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
