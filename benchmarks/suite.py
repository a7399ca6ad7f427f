"""The benchmark suite: every page a rep and a manager use, timed on one seeded dataset, with the raw-SQL
limit beside the board, My numbers and the team dashboard.

    .venv/bin/python benchmarks/suite.py --deals 1000000 --reps 200        # or: make bench
    DEALS=100000 make bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sp_bench \
        .venv/bin/python benchmarks/suite.py --deals 100000

The database is SALESPIPE_HOME's SQLite (default: a folder named by the size under the system's temporary
folder, e.g. /tmp/salespipe-bench-1000000, kept between runs) or DATABASE_URL's. If it has no deals, the
suite fills it as `salespipe demo --reps R --deals N` does; if it has exactly N deals it is reused; any
other number of deals is refused (pick another --home or an empty database).

Then, in-process with Django's test client (middleware, views, queries and templates; no network), for the
rep with the most open deals and the manager of the biggest team (20 reps at 200 reps), it requests the
board, a deal page of theirs, the agenda, `GET /api/v1/deals?limit=50` (token auth), a search on the board
and in the API, My numbers (the manager: the team's), the advice page, the team dashboard (manager) and the
insights page (the manager: the team's). Each once to warm up, once counting queries, then --runs times:
median and 95th percentile. For the board, My numbers and the team dashboard the same figures are computed
by hand-written SQL (benchmarks/raw_sql.py) on the same connection, CHECKED EQUAL to the app's selectors
(the suite fails if they are not), timed the same way, and the table shows app ÷ raw SQL.

Last, a 1M-row-style export (`salespipe export deals --format csv`, all deals, in a subprocess: rows/s and
its peak RSS) and a 100k-row Pipedrive import into a fresh temporary SQLite database (or
--import-database), never the demo database (benchmarks/import_speed.py's file; rows/s and peak RSS).

Targets: 200 ms p95 per page at 1M deals (500 ms for the team dashboard and insights). The sessions and API
tokens it signs in with are removed at the end; signing in records the last login.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from _common import Measure, page_renderer, rendering, setup_django, side_by_side, timed, timed_call

TARGET_MS = 200.0
SLOW_TARGET_MS = 500.0  # the team dashboard and insights
SLOW_PAGES = ("team dashboard", "insights")
# The pages with a raw-SQL limit, and the row of their selectors timed beside the raw SQL.
RAW_LIMITED_PAGES = {
    "board": "board selectors",
    "my numbers": "numbers_report selector",
    "my numbers (team)": "numbers_report selector (team)",
    "team dashboard": "team_dashboard selector",
}


@dataclass
class Row:
    actor: str
    page: str
    measure: Measure
    raw: Measure | None = None
    # A page's templates alone, rendered again from the context the page had: with `raw`, the page's limit.
    rendering: Measure | None = None
    target_ms: float = TARGET_MS
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # A limited page, its raw SQL and its rendering timed in turn (`side_by_side`): the page's ratio.
    side_by_side: dict[str, float] | None = None
    client: Any = None  # the page's signed-in test client and headers

    @property
    def ratio(self) -> float | None:
        """App ÷ its limit: the raw SQL's time, plus the rendering's for a page (a selector has none). A
        page's from its three measures taken side by side, when the suite took them."""
        if self.side_by_side is not None:
            found = self.side_by_side
            return round(found["page"] / (found["raw_sql"] + found["rendering"]), 1)
        if self.raw is None or not self.raw.median_ms:
            return None
        limit = self.raw.median_ms + (self.rendering.median_ms if self.rendering else 0.0)
        return round(self.measure.median_ms / limit, 1)

    @property
    def target_met(self) -> bool | None:
        if not self.target_ms:
            return None
        return self.measure.p95_ms <= self.target_ms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deals", type=int, default=1_000_000, help="deals in the dataset (default 1M)")
    parser.add_argument("--reps", type=int, default=200, help="reps when building it (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="seed when building it (default 1)")
    parser.add_argument("--runs", type=int, default=9, help="timed runs per row (default 9)")
    parser.add_argument("--home", help="SALESPIPE_HOME of the SQLite dataset (ignored with DATABASE_URL)")
    parser.add_argument("--search", default="a", help="text of the search rows (default 'a': most deals)")
    parser.add_argument("--skip-import", action="store_true", help="leave out the 100k-row import")
    parser.add_argument("--skip-export", action="store_true", help="leave out the export of all deals")
    parser.add_argument("--import-rows", type=int, default=100_000, help="rows of the import (default 100k)")
    parser.add_argument(
        "--import-database",
        metavar="URL",
        help="an empty throwaway database for the import (it is flushed); default: a fresh temporary SQLite",
    )
    parser.add_argument(
        "--explain", action="store_true", help="also print the query plans of the heaviest queries"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--import-worker", action="store_true", help=argparse.SUPPRESS)
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--peak-rss-of"]:
        return _peak_rss_of(argv[1], argv[2:])
    args = parser.parse_args(argv)

    if args.import_worker:
        return _import_worker(args.import_rows)
    if not os.environ.get("DATABASE_URL"):
        home = args.home or os.path.join(tempfile.gettempdir(), f"salespipe-bench-{args.deals}")
        os.environ["SALESPIPE_HOME"] = home
    setup_django()
    from django.db import connection

    built = _dataset(deals=args.deals, reps=args.reps, seed=args.seed)
    if built is None:
        return 1
    context = _context()
    if context is None:
        return 1

    rows: list[Row] = []
    checks: list[dict[str, Any]] = []
    explains: list[dict[str, Any]] = []
    with _signed_in(context) as clients:
        rows += _pages(context, clients, args)
        raw_rows, checks, raw_calls = _raw_limits(context, clients, args.runs)
        rows += raw_rows
        _attach_raw(rows)
        _ratios_side_by_side(rows, raw_calls, max(args.runs, 15))
        if args.explain:
            explains = _explain(context)
    if not args.skip_export:
        rows.append(_export(context["deals"]))
    if not args.skip_import:
        rows.append(_import(args.import_rows, args.import_database))

    failed = [check for check in checks if not check["equal"]]
    summary: dict[str, Any] = {
        "database": connection.vendor,
        "database_version": _database_version(),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}, {os.cpu_count()} CPUs",
        "deals": context["deals"],
        "open_deals": context["open_deals"],
        "reps": context["reps"],
        "team_size": context["team_size"],
        "built_seconds": built,
        "runs": args.runs,
        "results": [_row_json(row) for row in rows],
        "raw_sql_checks": checks,
        "explain": explains,
    }
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        _print_table(summary, rows, checks, explains)
    if failed:
        print(
            "RAW SQL AND APP DIFFER: the ratios are not comparable; see raw_sql_checks.",
            file=sys.stderr,
        )
        return 1
    return 0


# --- the dataset --------------------------------------------------------------------------------------------


def _dataset(*, deals: int, reps: int, seed: int) -> float | None:
    """Reuse the database if it has exactly `deals` deals, fill it (as `salespipe demo`) if it has none.
    Returns the seconds spent building (0 when reused), or None when the database holds something else."""
    from django.core.management import call_command
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.executor import MigrationExecutor

    from salespipe.deals.models import Deal
    from salespipe.deals.pipelines import pipeline_ensure_default
    from salespipe.demo.generator import demo_generate

    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        _say("migrating the database…")
        call_command("migrate", interactive=False, verbosity=0)
    pipeline_ensure_default()
    found = Deal.objects.count()
    label = _database_label()
    if found == deals:
        _say(f"reusing {label}: {found:,} deals")
        return 0.0
    if found:
        print(
            f"{label} has {found:,} deals, not {deals:,}: give another --home (or an empty database), "
            f"or --deals {found}.",
            file=sys.stderr,
        )
        return None
    _say(f"building {deals:,} deals for {reps} reps in {label} (as `salespipe demo`)…")
    started = time.perf_counter()

    def progress(message: str) -> None:
        _say(f"{time.perf_counter() - started:8.1f}s  {message}")

    demo_generate(reps=reps, deals=deals, seed=seed, progress=progress)
    return round(time.perf_counter() - started, 1)


def _database_label() -> str:
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return str(settings["NAME"])
    return f"{connection.vendor}://{settings.get('HOST') or 'localhost'}/{settings['NAME']}"


def _database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def _context() -> dict[str, Any] | None:
    """Who and what the rows measure: the rep with the most open deals, the biggest team and its manager,
    the busiest rep of that team, and a deal of each's."""
    from django.db.models import Count, Q

    from _common import benchmark_actors
    from salespipe.deals.models import Deal, DealStatus
    from salespipe.people.models import Role, User

    actors = benchmark_actors()
    if actors is None:
        return None
    if actors.rep is None or actors.team is None or actors.team.manager is None:
        print("The suite needs a rep and a team with a manager (a demo database).", file=sys.stderr)
        return None
    team = actors.team
    open_deals = Q(deals__status=DealStatus.OPEN)
    member = (
        User.objects.filter(team=team, role=Role.REP, is_active=True)
        .annotate(open_deals=Count("deals", filter=open_deals))
        .order_by("-open_deals", "pk")
        .first()
    )
    biggest = Deal.objects.filter(status=DealStatus.OPEN).order_by("-value", "-id")
    return {
        "deals": actors.deals,
        "open_deals": Deal.objects.filter(status=DealStatus.OPEN).count(),
        "reps": User.objects.filter(role=Role.REP, is_active=True).count(),
        "rep": actors.rep,
        "team": team,
        "team_size": actors.team_size,
        "manager": team.manager,
        "member": member or actors.rep,
        "rep_deal": biggest.filter(owner=actors.rep).values_list("pk", flat=True).first(),
        "team_deal": biggest.filter(owner__team=team).values_list("pk", flat=True).first(),
    }


@contextmanager
def _signed_in(context: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A signed-in test client (a database session, as in production) and an API token for the rep and the
    manager; the sessions and the tokens are deleted afterwards, whatever happens."""
    from django.test import Client

    from salespipe.people.models import ApiToken
    from salespipe.people.tokens import token_create

    clients: dict[str, Any] = {}
    tokens: list[int] = []
    try:
        for role in ("rep", "manager"):
            user = context[role]
            client = Client()
            client.force_login(user)
            token, raw = token_create(user=user, name="benchmarks/suite.py")
            tokens.append(token.pk)
            clients[role] = client
            clients[f"{role}_api"] = (Client(), {"Authorization": f"Bearer {raw}"})
        yield clients
    finally:
        for name, client in clients.items():
            if not name.endswith("_api"):
                client.logout()
        ApiToken.objects.filter(pk__in=tokens).delete()


# --- the pages ----------------------------------------------------------------------------------------------


def _pages(context: dict[str, Any], clients: dict[str, Any], args: argparse.Namespace) -> list[Row]:
    from urllib.parse import urlencode

    team, member = context["team"], context["member"]
    search = urlencode({"q": args.search})
    cases: dict[str, list[tuple[str, str]]] = {
        "rep": [
            ("board", "/board/"),
            ("deal page", f"/deals/{context['rep_deal']}/" if context["rep_deal"] else ""),
            ("agenda", "/agenda/"),
            ("API deals, limit 50", "/api/v1/deals?limit=50"),
            (f"board search q={args.search}", f"/board/?{search}"),
            (f"API deals search q={args.search}", f"/api/v1/deals?status=open&limit=50&{search}"),
            ("my numbers", "/numbers/"),
            ("advice", f"/team/advice/{context['rep'].username}/"),
            ("insights", "/insights/"),
        ],
        "manager": [
            ("board", "/board/"),
            ("deal page (team's biggest)", f"/deals/{context['team_deal']}/" if context["team_deal"] else ""),
            ("agenda", "/agenda/"),
            ("API deals, limit 50", "/api/v1/deals?limit=50"),
            (f"board search q={args.search}", f"/board/?{search}"),
            (f"API deals search q={args.search}", f"/api/v1/deals?status=open&limit=50&{search}"),
            ("my numbers (team)", f"/numbers/?{urlencode({'team': team.name})}"),
            (f"advice ({member.username})", f"/team/advice/{member.username}/"),
            ("team dashboard", f"/team/?{urlencode({'team': team.name})}"),
            ("insights (team)", f"/insights/?{urlencode({'who': f'team:{team.pk}'})}"),
        ],
    }
    rows = []
    for role, pages in cases.items():
        user = context[role]
        actor = f"{role} ({user.username})"
        if role == "manager":
            actor = f"manager of {context['team_size']} ({user.username})"
        for page, url in pages:
            if not url:
                _say(f"  {actor}: no {page} to request; skipped")
                continue
            if url.startswith("/api/"):
                client, headers = clients[f"{role}_api"]
            else:
                client, headers = clients[role], {}
            measure = timed(client, url, headers, args.runs)
            if measure.status != 200:
                raise SystemExit(f"{actor} {url}: HTTP {measure.status}; the suite measures answers only")
            slow = any(page.startswith(name) for name in SLOW_PAGES)
            target = SLOW_TARGET_MS if slow else TARGET_MS
            rows.append(Row(actor, page, measure, target_ms=target, url=url, client=(client, headers)))
            if page in RAW_LIMITED_PAGES:
                rows[-1].rendering = rendering(client, url, args.runs)
            _progress(rows[-1])
    return rows


# --- the raw-SQL limits -------------------------------------------------------------------------------------


def _raw_limits(
    context: dict[str, Any], clients: dict[str, Any], runs: int
) -> tuple[list[Row], list[dict[str, Any]], dict[tuple[str, str], Callable[[], Any]]]:
    """For the board (rep, manager), My numbers (rep, the manager's team) and the team dashboard: check the
    raw SQL gives the app's figures, then time the app's selectors and the raw SQL alone, and put the raw
    SQL's time beside the pages measured before."""
    from django.utils import timezone

    import raw_sql
    from salespipe.coaching import dashboard
    from salespipe.numbers import selectors as numbers

    rep, manager, team = context["rep"], context["manager"], context["team"]
    # Whole seconds: SQLite's datetime() (the raw rotting condition) drops fractions.
    now = timezone.now().replace(microsecond=0)
    today = numbers.company_today(now)
    period = numbers.numbers_period(None, today=today)
    manager_actor = f"manager of {context['team_size']} ({manager.username})"

    def board(user: Any) -> tuple[Callable[[], Any], Callable[[], Any]]:
        return (lambda: raw_sql.board_app(actor=user), lambda: raw_sql.board_raw(actor=user))

    def my_numbers(user: Any, team_name: str | None) -> tuple[Callable[[], Any], Callable[[], Any]]:
        def app() -> Any:
            scope = numbers.numbers_scope(actor=user, team=team_name)
            report = numbers.numbers_report(actor=user, scope=scope, period=period, now=now)
            return raw_sql.numbers_app(report=report)

        def raw() -> Any:
            if team_name:
                return raw_sql.numbers_raw(team_id=team.pk, period=period, today=today)
            return raw_sql.numbers_raw(user_id=user.pk, period=period, today=today)

        return app, raw

    def team_lines() -> Any:
        teams = dashboard.dashboard_teams(actor=manager)
        chosen = dashboard.dashboard_team(actor=manager, name=team.name, teams=teams)
        found = dashboard.team_dashboard(actor=manager, team=chosen, teams=teams, period=period, now=now)
        return raw_sql.team_app(dashboard=found)

    cases = [
        (f"rep ({rep.username})", "board", "board selectors", *board(rep), TARGET_MS),
        (manager_actor, "board", "board selectors", *board(manager), TARGET_MS),
        (f"rep ({rep.username})", "my numbers", "numbers_report selector", *my_numbers(rep, None), TARGET_MS),
        (
            manager_actor,
            "my numbers (team)",
            "numbers_report selector (team)",
            *my_numbers(manager, team.name),
            TARGET_MS,
        ),
        (
            manager_actor,
            "team dashboard",
            "team_dashboard selector",
            team_lines,
            lambda: raw_sql.team_raw(team_id=team.pk, period=period, now=now),
            SLOW_TARGET_MS,
        ),
    ]
    rows: list[Row] = []
    checks: list[dict[str, Any]] = []
    raw_calls: dict[tuple[str, str], Callable[[], Any]] = {}
    for actor, page, selector_name, app, raw, target in cases:
        raw_calls[actor, page] = raw
        found = raw_sql.differences(app(), raw())
        checks.append({"actor": actor, "figures": page, "equal": not found, "differences": found[:20]})
        _say(f"  raw SQL = app for {actor}, {page}: {'yes' if not found else 'NO: ' + '; '.join(found[:3])}")
        raw_measure = timed_call(raw, runs)
        selector_measure = timed_call(app, runs)
        rows.append(Row(actor, selector_name, selector_measure, raw=raw_measure, target_ms=target))
        _progress(rows[-1])
        rows[-1].extra["raw_statements"] = raw_measure.queries
    return rows, checks, raw_calls


def _attach_raw(rows: list[Row]) -> None:
    """Put each selector row's raw-SQL measure beside the page of the same actor and figures."""
    by_key = {(row.actor, row.page): row for row in rows}
    for page, selector in RAW_LIMITED_PAGES.items():
        for row in rows:
            if row.page == page and (row.actor, selector) in by_key:
                row.raw = by_key[(row.actor, selector)].raw


def _ratios_side_by_side(
    rows: list[Row], raw_calls: dict[tuple[str, str], Callable[[], Any]], rounds: int
) -> None:
    """Time each limited page again, in turn with its raw SQL and its rendering, for its ratio: the page's
    own row and its limit's were measured minutes apart."""
    for row in rows:
        raw = raw_calls.get((row.actor, row.page))
        if raw is None or row.client is None or row.rendering is None:
            continue
        client, headers = row.client
        render, _status = page_renderer(client, row.url)
        page = functools.partial(client.get, row.url, headers=headers)
        row.side_by_side = side_by_side({"page": page, "raw_sql": raw, "rendering": render}, rounds)
        _say(f"  side by side, {row.actor}, {row.page}: {row.side_by_side}")


# --- export and import --------------------------------------------------------------------------------------


def _wait(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run `command`; its wall time in seconds, its peak RSS in MiB and its standard output.

    The peak comes from `getrusage` of the finished child, through a small launcher process (this file with
    --peak-rss-of): on Linux a child's `ru_maxrss` starts from the memory of the process that spawned it,
    so spawned straight from here (a few hundred MiB of Django and data) it would report this process's
    size instead of its own."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r", suffix=".json") as result:
        launcher = [sys.executable, __file__, "--peak-rss-of", result.name, *command]
        code = subprocess.run(launcher, env=env, stdout=out, check=False).returncode  # noqa: S603
        seconds = time.perf_counter() - started
        out.seek(0)
        output = out.read().decode()
        found = json.loads(result.read() or "{}")
    if code or found.get("exit_code"):
        raise SystemExit(f"{' '.join(command)} failed with exit code {found.get('exit_code', code)}")
    return seconds, found["peak_rss_mib"], output


def _peak_rss_of(result: str, command: list[str]) -> int:
    """The launcher: run `command` (its output is ours) and write its exit code and peak RSS to `result`."""
    process = subprocess.Popen(command)  # noqa: S603 - our own commands
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = code = os.waitstatus_to_exitcode(status)
    with open(result, "w", encoding="utf-8") as file:
        json.dump({"exit_code": code, "peak_rss_mib": usage.ru_maxrss / 1024}, file)
    return 0


def _export(deals: int) -> Row:
    """`salespipe export deals --format csv --output FILE`: every deal, as the command line runs it."""
    salespipe = str(Path(sys.executable).with_name("salespipe"))
    with tempfile.TemporaryDirectory(prefix="salespipe-export-bench-") as folder:
        output = Path(folder) / "deals.csv"
        _say(f"  exporting {deals:,} deals…")
        command = [salespipe, "export", "deals", "--format", "csv", "--output", str(output)]
        seconds, peak, _ = _wait(command, dict(os.environ))
        size = output.stat().st_size
    measure = Measure("", "", round(seconds * 1000, 1), round(seconds * 1000, 1), 0, round(size / 1024, 1), 0)
    measure.p95_ms = measure.median_ms
    row = Row("admin (CLI)", f"export {deals:,} deals, CSV", measure, target_ms=0)
    row.extra = {"rows": deals, "rows_per_second": round(deals / seconds), "peak_rss_mib": round(peak)}
    _say(f"  export: {seconds:.1f} s, {deals / seconds:,.0f} rows/s, peak {peak:.0f} MiB")
    return row


def _import(rows: int, database: str | None) -> Row:
    """The import of a `rows`-row Pipedrive file into a fresh database, in a subprocess of its own."""
    home = tempfile.mkdtemp(prefix="salespipe-import-bench-")
    env = dict(os.environ, SALESPIPE_HOME=home)
    env.pop("DATABASE_URL", None)
    if database:
        env["DATABASE_URL"] = database
    try:
        _say(f"  importing {rows:,} rows into a fresh database…")
        command = [sys.executable, __file__, "--import-worker", "--import-rows", str(rows)]
        _, peak, output = _wait(command, env)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    found = json.loads(output)
    seconds = found["seconds"]
    measure = Measure("", "", round(seconds * 1000, 1), round(seconds * 1000, 1), found["queries"], 0.0, 0)
    measure.p95_ms = measure.median_ms
    row = Row("admin", f"import {rows:,} Pipedrive rows into {found['database']}", measure, target_ms=0)
    row.extra = {
        "rows": rows,
        "rows_per_second": round(rows / seconds),
        "peak_rss_mib": round(peak),
        "database": found["database"],
        "failed_rows": found["failed_rows"],
    }
    _say(f"  import: {seconds:.1f} s, {rows / seconds:,.0f} rows/s, peak {peak:.0f} MiB")
    return row


def _import_worker(rows: int) -> int:
    """In the subprocess: a fresh database (this process's SALESPIPE_HOME or DATABASE_URL), 20 reps, the
    file of benchmarks/import_speed.py, and the import timed; JSON on stdout."""
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from import_speed import write_export
    from salespipe.deals.pipelines import pipeline_ensure_default
    from salespipe.imports.services import import_prepare, import_run, mapping_build
    from salespipe.people.models import Role, User

    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", interactive=False, verbosity=0)
    pipeline_ensure_default()
    reps = 20
    admin = User.objects.create_user(username="bench-admin", role=Role.ADMIN)
    User.objects.bulk_create(User(username=f"rep{n}", role=Role.REP) for n in range(reps))
    export = Path(os.environ["SALESPIPE_HOME"]) / "pipedrive-deals.csv"
    write_export(export, rows, reps, seed=7)
    mapping = mapping_build(path=export, preset="pipedrive")
    job = import_prepare(actor=admin, path=export, mapping=mapping)
    queries = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        job = import_run(job_id=job.pk)
        seconds = time.perf_counter() - started
    result = {
        "database": connection.vendor,
        "seconds": seconds,
        "queries": queries[0],
        "failed_rows": job.failed_rows,
    }
    print(json.dumps(result))
    return 0


# --- query plans --------------------------------------------------------------------------------------------


def _explain(context: dict[str, Any]) -> list[dict[str, Any]]:
    """The plan of the slowest query over deals, activities or stage history of the board's selectors
    (manager), of `numbers_report` (the manager's team) and of `team_dashboard`, and of the raw-SQL
    statements beside them: EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL."""
    from django.db import connection
    from django.utils import timezone

    import raw_sql
    from salespipe.activities.models import Activity
    from salespipe.coaching import dashboard
    from salespipe.deals.models import Deal, StageChange, StageStay
    from salespipe.numbers import selectors as numbers

    manager, team = context["manager"], context["team"]
    now = timezone.now()
    period = numbers.numbers_period(None, today=numbers.company_today(now))

    def team_numbers() -> None:
        scope = numbers.numbers_scope(actor=manager, team=team.name)
        numbers.numbers_report(actor=manager, scope=scope, period=period, now=now)

    def team_page() -> None:
        teams = dashboard.dashboard_teams(actor=manager)
        dashboard.team_dashboard(actor=manager, team=team, teams=teams, period=period, now=now)

    big_tables = [f'"{model._meta.db_table}"' for model in (Activity, Deal, StageChange, StageStay)]
    found = []
    for name, run in (
        ("board (manager): slowest query", lambda: raw_sql.board_app(actor=manager)),
        ("my numbers (team): slowest query", team_numbers),
        ("team dashboard: slowest query", team_page),
        ("raw SQL, board (manager)", lambda: raw_sql.board_raw(actor=manager)),
        (
            "raw SQL, my numbers (team)",
            lambda: raw_sql.numbers_raw(team_id=team.pk, period=period, today=numbers.company_today(now)),
        ),
        (
            "raw SQL, team dashboard lines: slowest statement",
            lambda: raw_sql.team_raw(team_id=team.pk, period=period, now=now.replace(microsecond=0)),
        ),
    ):
        run()  # warm
        statements: list[tuple[float, str, Any]] = []

        def timer(
            execute: Any,
            sql: str,
            params: Any,
            many: bool,
            context: Any,
            statements: list[tuple[float, str, Any]] = statements,
        ) -> Any:
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                statements.append(((time.perf_counter() - started) * 1000, sql, params))

        with connection.execute_wrapper(timer):
            run()
        # The slowest query over a big table (at a small size the noise of a tiny one could win).
        big = [statement for statement in statements if any(table in statement[1] for table in big_tables)]
        ms, sql, params = max(big or statements, key=lambda statement: statement[0])
        explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
        with connection.cursor() as cursor:
            cursor.execute(explain + sql, params)
            plan = [" ".join(str(part) for part in row) for row in cursor.fetchall()]
        found.append({"name": name, "ms": round(ms, 1), "sql": sql, "plan": plan})
    return found


# --- output -------------------------------------------------------------------------------------------------


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _progress(row: Row) -> None:
    raw = f"  raw {row.raw.median_ms:8.1f} ms" if row.raw else ""
    if row.rendering:
        raw += f"  rendering {row.rendering.median_ms:8.1f} ms"
    _say(f"  {row.actor:<32} {row.page:<34} {row.measure.median_ms:>8.1f} ms{raw}")


def _times(measure: Measure) -> dict[str, float]:
    return {"median_ms": measure.median_ms, "p95_ms": measure.p95_ms}


def _row_json(row: Row) -> dict[str, Any]:
    return {
        "actor": row.actor,
        "page": row.page,
        "url": row.url,
        **{key: value for key, value in asdict(row.measure).items() if key not in ("actor", "request")},
        "raw_sql": None if row.raw is None else {**_times(row.raw), "statements": row.raw.queries},
        "rendering": None
        if row.rendering is None
        else {**_times(row.rendering), "queries": row.rendering.queries, "kib": row.rendering.kib},
        "side_by_side": row.side_by_side,
        "ratio": row.ratio,
        "target_ms": row.target_ms or None,
        "target_met": row.target_met,
        **row.extra,
    }


def _print_table(
    summary: dict[str, Any], rows: list[Row], checks: list[dict[str, Any]], explains: list[dict[str, Any]]
) -> None:
    print(
        f"{summary['database_version']}, Python {summary['python']}, {summary['machine']}; "
        f"{summary['deals']:,} deals ({summary['open_deals']:,} open), {summary['reps']} reps, "
        f"a team of {summary['team_size']}; median and p95 of {summary['runs']} runs"
    )
    print()
    print(
        "| actor | page | median ms | p95 ms | queries | KiB "
        "| raw-SQL median ms (+ rendering; page, side by side) | ratio "
        "| target met |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        m = row.measure
        raw = f"{row.raw.median_ms:,.1f} ({row.raw.queries} stmt)" if row.raw else "-"
        if row.raw and row.side_by_side:
            found = row.side_by_side
            raw = (
                f"{found['raw_sql']:,.1f} ({row.raw.queries} stmt) + {found['rendering']:,.1f}, "
                f"page {found['page']:,.1f}"
            )
        elif row.raw and row.rendering:
            raw += f" + {row.rendering.median_ms:,.1f}"
        ratio = f"{row.ratio:,.1f}×" if row.ratio is not None else "-"
        met = "-" if row.target_met is None else ("✓" if row.target_met else "✗")
        if row.target_met is not None:
            met += f" ({row.target_ms:.0f})"
        kib = f"{m.kib:,.1f}" if m.kib else "-"
        page = row.page
        if "rows_per_second" in row.extra:
            page += f": {row.extra['rows_per_second']:,} rows/s, peak {row.extra['peak_rss_mib']} MiB"
        print(
            f"| {row.actor} | {page} | {m.median_ms:,.1f} | {m.p95_ms:,.1f} | {m.queries} | {kib} "
            f"| {raw} | {ratio} | {met} |"
        )
    print()
    for check in checks:
        verdict = "equal" if check["equal"] else "DIFFERENT: " + "; ".join(check["differences"][:5])
        print(f"raw SQL vs app, {check['actor']}, {check['figures']}: {verdict}")
    for explain in explains:
        print()
        print(f"{explain['name']} ({explain['ms']} ms):")
        print(f"  {explain['sql'][:300]}{'…' if len(explain['sql']) > 300 else ''}")
        for line in explain["plan"]:
            print(f"    {line}")


if __name__ == "__main__":
    raise SystemExit(main())
