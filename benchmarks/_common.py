"""What the page benchmarks share: Django set up against the demo database, and one timed request.

The benchmarks run in-process with Django's test client against an existing database with demo data
(SALESPIPE_HOME or DATABASE_URL): each request goes through the whole middleware stack, the views, the
queries and the templates, but no network.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
