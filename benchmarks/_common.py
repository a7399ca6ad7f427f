"""What the page benchmarks share: Django set up against the demo database, and one timed request.

The benchmarks run in-process with Django's test client against an existing database with demo data
(SALESPIPE_HOME or DATABASE_URL): each request goes through the whole middleware stack, the views, the
queries and the templates, but no network.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.test import Client


@dataclass
class Measure:
    actor: str
    request: str
    median_ms: float
    max_ms: float
    queries: int
    kib: float
    status: int
    p95_ms: float = 0.0  # the 95th percentile of the timed runs (the slowest one below 20 runs)


def p95(times: list[float]) -> float:
    """The 95th percentile of `times` (linear between the closest ranks, as numpy's default)."""
    if len(times) < 2:
        return times[0] if times else 0.0
    return statistics.quantiles(times, n=20, method="inclusive")[18]


def setup_django() -> None:
    """Set Django up for the test client: settings from the environment, and its host allowed."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salespipe.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def timed(client: Client, url: str, headers: dict[str, str], runs: int) -> Measure:
    """GET `url` once to warm up, once counting its queries, then `runs` times timed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, headers=headers)  # warm up: caches, connection, compiled templates
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    # Read now: the next request clears the connection's query log.
    query_count = len(queries.captured_queries)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
    return Measure(
        actor="",
        request="",
        median_ms=round(statistics.median(times), 1),
        max_ms=round(max(times), 1),
        queries=query_count,
        kib=round(len(response.content) / 1024, 1),
        status=response.status_code,
        p95_ms=round(p95(times), 1),
    )


def measures_table(results: list[Measure]) -> list[str]:
    """The measures as a Markdown table, as docs/benchmarks.md shows them; a size of 0 (no HTTP) is "-"."""
    lines = ["| actor | request | median | slowest | queries | size |", "|---|---|---|---|---|---|"]
    for result in results:
        size = f"{result.kib:,.1f} KiB" if result.kib else "-"
        lines.append(
            f"| {result.actor} | {result.request} | {result.median_ms:,.1f} ms | {result.max_ms:,.1f} ms "
            f"| {result.queries} | {size} |"
        )
    return lines


@dataclass
class Actors:
    """Who the page benchmarks sign in as: the rep with the most open deals, the biggest team (and so its
    manager), the first admin. Any of them may be missing from a database."""

    deals: int
    rep: Any
    team: Any
    admin: Any

    @property
    def team_size(self) -> int:
        return self.team.members.count() if self.team is not None else 0


def benchmark_actors() -> Actors | None:
    """The actors of the demo database, or None (and a word on stderr) when it has no deals."""
    import sys

    from django.db.models import Count, Q

    from salespipe.deals.models import Deal, DealStatus
    from salespipe.people.models import Role, Team, User

    deals = Deal.objects.count()
    if not deals:
        print("No deals in this database: run `salespipe demo` first.", file=sys.stderr)
        return None
    rep = (
        User.objects.filter(role=Role.REP, is_active=True)
        .annotate(open_deals=Count("deals", filter=Q(deals__status=DealStatus.OPEN)))
        .order_by("-open_deals", "pk")
        .first()
    )
    team = Team.objects.annotate(size=Count("members")).order_by("-size", "pk").first()
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    return Actors(deals=deals, rep=rep, team=team, admin=admin)


def rendering(client: Client, url: str, runs: int) -> Measure:
    """Time the page's templates alone, the "plus rendering" of a raw-SQL limit: the page's own template
    rendered again `runs` times from the context it was given (`page_renderer`). The context holds results
    already read, so no query runs (the measure counts them to show it): this is the time the HTML takes,
    which a page built on the raw SQL would spend too. Its size is the size of the HTML rendered, to compare
    with the page's."""
    render, status = page_renderer(client, url)
    # Timed as a selector is; its size and status are the page's.
    measure = timed_call(render, runs)
    return replace(measure, kib=round(len(render().encode()) / 1024, 1), status=status)


def page_renderer(client: Client, url: str) -> tuple[Callable[[], str], int]:
    """GET `url` once with template rendering instrumented (as Django's test runner does) to keep the page's
    own template and the context it was given; return what renders that context again, and the status."""
    from copy import copy

    from django.template.base import Template
    from django.template.context import RenderContext
    from django.test.signals import template_rendered
    from django.test.utils import instrumented_test_render

    kept: list[tuple[Template, Any]] = []

    def keep(sender: object, template: Template, context: Any, **kwargs: object) -> None:
        if not kept:  # the outermost template: the page's own, which extends and includes the rest
            kept.append((template, copy(context)))

    original = Template._render
    Template._render = instrumented_test_render  # type: ignore[method-assign]
    template_rendered.connect(keep)
    try:
        response = client.get(url)
    finally:
        Template._render = original  # type: ignore[method-assign]
        template_rendered.disconnect(keep)
    if not kept:
        raise SystemExit(f"{url}: no template rendered; nothing to time")
    template, context = kept[0]

    def render() -> str:
        # A fresh render context each time: {% extends %} and {% block %} keep their state there.
        again = copy(context)
        again.render_context = RenderContext()
        with again.render_context.push_state(template):
            return str(template._render(again))

    return render, response.status_code


def side_by_side(calls: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Each of `calls` once per round, in turn, for `rounds` rounds after one to warm up: their median ms,
    measured side by side. A ratio of two measures taken minutes apart is tilted by whatever the machine
    did in between (machines of this kind change speed by half from one half hour to the next); taken in
    turn, both see the same machine."""
    for call in calls.values():
        call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: round(statistics.median(found), 1) for name, found in times.items()}


def timed_call(run: Callable[[], object], runs: int) -> Measure:
    """Call `run` once to warm up, once counting its queries, then `runs` times timed: a selector alone,
    without HTTP or templates."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run()
    with CaptureQueriesContext(connection) as queries:
        run()
    count = len(queries.captured_queries)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return Measure(
        actor="",
        request="",
        median_ms=round(statistics.median(times), 1),
        max_ms=round(max(times), 1),
        queries=count,
        kib=0.0,
        status=200,
        p95_ms=round(p95(times), 1),
    )
