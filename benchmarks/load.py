"""Load test on loopback: the production server under 50 concurrent users of the API and the board.

    SALESPIPE_HOME=/tmp/big .venv/bin/salespipe demo --reps 200 --deals 1000000
    SALESPIPE_HOME=/tmp/big .venv/bin/python benchmarks/load.py             # or DATABASE_URL=postgres://…

It runs against an existing database with demo data (SALESPIPE_HOME or DATABASE_URL). It picks real
people (the managers of teams with deals, then reps with deals), creates an API token
(people/tokens.py) and a signed-in database session for each, and starts the production server as
`salespipe serve` does it in production (gunicorn, gthread, --workers × --threads, no migration, no
background worker) on a free port of 127.0.0.1. Then --users virtual users, each acting as one of those
people with a connection of its own, send requests one after the other with no pause between them
(a closed loop: the server is kept busy, so the throughput is its capacity, and the latency includes the
wait for a free thread). For --warmup seconds nothing is counted; then for --duration seconds every
request is. Each request is drawn from a fixed mix:

    board          GET /board/                                  (HTML, session cookie)      20 %
    deal list      GET /api/v1/deals?limit=50                   (API token)                 25 %
    deal           GET /api/v1/deals/{id}, an id from its list  (API token)                 30 %
    numbers        GET /api/v1/numbers (a manager: ?team=…)     (API token)                 10 %
    agenda         GET /api/v1/activities?state=planned&limit=50 (API token)                15 %

Any answer other than 2xx, and any failed or timed-out request, is an error; the script exits with 1
when there was one (in the warm-up too). It is bounded: it sends nothing after warm-up + duration, never
more than --max-requests requests in all, each with a timeout, and only to 127.0.0.1. The server is
stopped, and the tokens and sessions removed, at the end, also on Ctrl+C.
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import json
import logging
import os
import platform
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from _common import setup_django

HOST = "127.0.0.1"
# What a virtual user asks for, and how often (weights in per cent).
MIX = {"board": 20, "deal list": 25, "deal": 30, "numbers": 10, "agenda": 15}
DEAL_LIST_URL = "/api/v1/deals?limit=50"
AGENDA_URL = "/api/v1/activities?state=planned&limit=50"
TOKEN_NAME = "load test (benchmarks/load.py)"  # noqa: S105 - a name, not a secret


@dataclass
class Account:
    """A real person the virtual users act as, with the credentials made for the test."""

    username: str
    role: str
    team: str | None  # the team a manager looks at
    token_id: int
    token: str
    session_key: str
    session_cookie: str  # the Cookie header of the signed-in session


@dataclass
class Tally:
    """The requests of one kind: latencies of the successful ones and the errors, by cause."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def add(self, latency_ms: float, error: str | None) -> None:
        self.latencies_ms.append(latency_ms)
        if error is not None:
            self.errors[error] = self.errors.get(error, 0) + 1

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


@dataclass
class Run:
    """What the virtual users share: the clock, the cap, and the tallies of the measured window."""

    measure_from: float
    stop_at: float
    max_requests: int
    sent: int = 0
    warmup: Tally = field(default_factory=Tally)
    tallies: dict[str, Tally] = field(default_factory=lambda: {name: Tally() for name in MIX})
    last_answer: float = 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50, help="concurrent virtual users (default 50)")
    parser.add_argument(
        "--accounts", type=int, default=None, help="real people to act as (default: as many as --users)"
    )
    parser.add_argument("--duration", type=float, default=30, help="measured seconds (default 30)")
    parser.add_argument("--warmup", type=float, default=5, help="seconds before measuring (default 5)")
    parser.add_argument(
        "--max-requests", type=int, default=100_000, help="hard cap on requests sent (default 100,000)"
    )
    parser.add_argument("--timeout", type=float, default=30, help="seconds one request may take (default 30)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the request mix (default 1)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    if args.users < 1 or args.duration <= 0 or args.warmup < 0 or args.max_requests < 1:
        parser.error(
            "--users and --max-requests must be at least 1, --duration above 0, --warmup not below 0"
        )

    setup_django()
    # The settings log at INFO, and httpx logs every request at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from django.db import connection

    from salespipe.deals.models import Deal

    deals = Deal.objects.count()
    if not deals:
        print("No deals in this database: run `salespipe demo` first.", file=sys.stderr)
        return 1
    config: dict[str, Any] = {
        "database": connection.vendor,
        "deals": deals,
        "server": f"gunicorn gthread, {args.workers} workers × {args.threads} threads",
        "users": args.users,
        "warmup_s": args.warmup,
        "duration_s": args.duration,
        "cpus": os.cpu_count(),
        "load_average_before": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
    }

    # SIGTERM stops the run as Ctrl+C does, so the server is stopped and the credentials removed.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    accounts: list[Account] = []
    try:
        _accounts_create(args.accounts or args.users, into=accounts)
        if not accounts:
            print("No reps or managers with deals in this database.", file=sys.stderr)
            return 1
        config["accounts"] = len(accounts)
        config["managers"] = sum(1 for account in accounts if account.role == "manager")
        # The server gets the database to itself; this process has no more queries to make until the end.
        connection.close()
        with _server(args.workers, args.threads) as base_url:
            print(
                f"Server up at {base_url}; {args.users} users for {args.warmup:g} s warm-up + "
                f"{args.duration:g} s…",
                file=sys.stderr,
            )
            cpu_before = _cpu_seconds()
            run = asyncio.run(_load(base_url, accounts, args))
            client_cpu = _cpu_seconds() - cpu_before
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    finally:
        _accounts_remove(accounts)

    summary = _summary(run, config, client_cpu)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for line in _report(summary):
            print(line)
    return 1 if summary["errors"] or summary["warmup_errors"] else 0


# --- the people and their credentials --------------------------------------------------------------------


def _accounts_create(count: int, *, into: list[Account]) -> None:
    """Tokens and signed-in sessions for up to `count` people, added to `into` one by one (so that all
    made are removed, should this stop half-way): a fifth managers of teams with deals (a manager looks
    at a team), the rest reps with deals, each group by id."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db.models import Exists, OuterRef

    from salespipe.deals.models import Deal
    from salespipe.people.models import Role, Team, User
    from salespipe.people.tokens import token_create

    teams = (
        Team.objects.filter(manager__is_active=True)
        .filter(Exists(Deal.objects.filter(owner__team=OuterRef("pk"))))
        .select_related("manager")
        .order_by("manager_id", "name")
    )
    managers: dict[int, tuple[User, str]] = {}
    for team in teams:
        if team.manager is not None:
            managers.setdefault(team.manager.pk, (team.manager, team.name))
    manager_count = min(len(managers), max(1, count // 5)) if count > 1 else 0
    reps = list(
        User.objects.filter(role=Role.REP, is_active=True)
        .filter(Exists(Deal.objects.filter(owner=OuterRef("pk"))))
        .order_by("pk")[: count - manager_count]
    )
    people: list[tuple[User, str, str | None]] = [
        (user, "manager", team) for user, team in list(managers.values())[:manager_count]
    ]
    people += [(user, "rep", None) for user in reps]

    session_store = import_module(settings.SESSION_ENGINE).SessionStore
    for user, role, team_name in people:
        token, raw = token_create(user=user, name=TOKEN_NAME)
        # What django.contrib.auth.login() stores, without its side effects (last_login, sign-in signals).
        session = session_store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        key = session.session_key
        cookie = f"{settings.SESSION_COOKIE_NAME}={key}"
        into.append(Account(user.username, role, team_name, token.pk, raw, key, cookie))


def _accounts_remove(accounts: list[Account]) -> None:
    """Delete the test's tokens and sessions: they were never anyone's, so nothing of them is kept."""
    from django.conf import settings

    from salespipe.people.models import ApiToken

    if not accounts:
        return
    ApiToken.objects.filter(pk__in=[account.token_id for account in accounts], name=TOKEN_NAME).delete()
    session_store = import_module(settings.SESSION_ENGINE).SessionStore
    for account in accounts:
        session_store(account.session_key).delete()


# --- the server ---------------------------------------------------------------------------------------------


@contextmanager
def _server(workers: int, threads: int) -> Iterator[str]:
    """`salespipe serve` on a free loopback port, until it answers; stopped (SIGTERM, then SIGKILL) on the
    way out, whatever happens. Its output (the access log) goes to a temporary file."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    salespipe = Path(sys.executable).with_name("salespipe")
    command = [str(salespipe), "serve", "--host", HOST, "--port", str(port), "--no-migrate", "--no-worker"]
    command += ["--workers", str(workers), "--threads", str(threads)]
    base_url = f"http://{HOST}:{port}"
    with tempfile.TemporaryFile() as log:
        # A session of its own, so that Ctrl+C reaches this script only, and the script stops the server.
        server = subprocess.Popen(  # noqa: S603 - this project's own command, fixed arguments
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            _wait_until_up(server, base_url, log)
            yield base_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def _wait_until_up(server: subprocess.Popen[bytes], base_url: str, log: Any, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            tail = log.read().decode(errors="replace")[-3000:]
            raise SystemExit(f"The server stopped (exit {server.returncode}) before answering:\n{tail}")
        try:
            if httpx.get(f"{base_url}/accounts/login/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"The server did not answer on {base_url} within {seconds:g} s.")


# --- the load ----------------------------------------------------------------------------------------------


async def _load(base_url: str, accounts: list[Account], args: argparse.Namespace) -> Run:
    """--users virtual users at once, the i-th acting as the i-th person (round the list again when
    there are more users than people), each with a random generator of its own."""
    started = asyncio.get_running_loop().time()
    run = Run(
        measure_from=started + args.warmup,
        stop_at=started + args.warmup + args.duration,
        max_requests=args.max_requests,
    )
    users = []
    for index in range(args.users):
        rng = random.Random(args.seed * 100_003 + index)
        users.append(_virtual_user(base_url, accounts[index % len(accounts)], run, rng, args.timeout))
    await asyncio.gather(*users)
    return run


async def _virtual_user(
    base_url: str, account: Account, run: Run, rng: random.Random, timeout: float
) -> None:
    """One person's requests, one after the other on one keep-alive connection, until the time is up."""
    loop = asyncio.get_running_loop()
    names = list(MIX)
    weights = list(MIX.values())
    numbers_url = "/api/v1/numbers" + (f"?{urlencode({'team': account.team})}" if account.team else "")
    api = {"Authorization": f"Bearer {account.token}", "Accept": "application/json"}
    board = {"Cookie": account.session_cookie, "Accept": "text/html"}
    deal_ids: list[int] = []
    async with httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        follow_redirects=False,
    ) as client:
        # No cookies kept: the board's answers set a CSRF cookie that API requests must not carry.
        client.cookies.jar.set_policy(_NoCookies())
        while loop.time() < run.stop_at and run.sent < run.max_requests:
            name = rng.choices(names, weights)[0]
            if name == "deal" and not deal_ids:
                name = "deal list"
            url, headers = {
                "board": ("/board/", board),
                "deal list": (DEAL_LIST_URL, api),
                "deal": (f"/api/v1/deals/{rng.choice(deal_ids) if deal_ids else 0}", api),
                "numbers": (numbers_url, api),
                "agenda": (AGENDA_URL, api),
            }[name]
            run.sent += 1
            sent_at = loop.time()
            error: str | None = None
            try:
                response = await client.get(url, headers=headers)
                if not 200 <= response.status_code < 300:
                    error = f"HTTP {response.status_code}"
                elif name == "deal list" and not deal_ids:
                    deal_ids = [item["id"] for item in response.json()["items"]]
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                error = type(exc).__name__
            answered_at = loop.time()
            latency_ms = (answered_at - sent_at) * 1000
            if sent_at < run.measure_from:
                run.warmup.add(latency_ms, error)
            else:
                run.tallies[name].add(latency_ms, error)
                run.last_answer = max(run.last_answer, answered_at)


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """A cookie policy that keeps no cookie from the server's answers."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the report ---------------------------------------------------------------------------------------------


def _p95(values: list[float]) -> float:
    """The 95th percentile (linear between the closest ranks, as numpy's default)."""
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def _line(name: str, tally: Tally, seconds: float) -> dict[str, Any]:
    values = sorted(tally.latencies_ms)
    count = len(values)
    return {
        "request": name,
        "requests": count,
        "per_second": round(count / seconds, 1) if seconds else 0.0,
        "median_ms": round(statistics.median(values), 1) if values else None,
        "p95_ms": round(_p95(values), 1) if values else None,
        "max_ms": round(values[-1], 1) if values else None,
        "errors": tally.error_count,
        "error_causes": tally.errors,
    }


def _summary(run: Run, config: dict[str, Any], client_cpu: float) -> dict[str, Any]:
    # Measured from the end of the warm-up to the last answer of a request sent in the window.
    seconds = max(run.last_answer - run.measure_from, 0.0)
    overall = Tally()
    for tally in run.tallies.values():
        overall.latencies_ms.extend(tally.latencies_ms)
        for cause, count in tally.errors.items():
            overall.errors[cause] = overall.errors.get(cause, 0) + count
    return {
        **config,
        "measured_s": round(seconds, 2),
        "requests_sent": run.sent,
        "capped": run.sent >= run.max_requests,
        "client_cpu_s": round(client_cpu, 1),
        "results": [_line(name, tally, seconds) for name, tally in run.tallies.items()],
        "overall": _line("all", overall, seconds),
        "errors": overall.error_count,
        "warmup_requests": len(run.warmup.latencies_ms),
        "warmup_errors": run.warmup.error_count,
        "warmup_error_causes": run.warmup.errors,
    }


def _report(summary: dict[str, Any]) -> list[str]:
    lines = [
        f"database {summary['database']}, {summary['deals']:,} deals; {summary['server']}; "
        f"{summary['users']} users as {summary['accounts']} people ({summary['managers']} of them managers); "
        f"{summary['measured_s']:g} s measured after {summary['warmup_s']:g} s warm-up "
        f"({summary['warmup_requests']:,} requests, {summary['warmup_errors']} errors)",
        f"load generator: {summary['client_cpu_s']:g} s of CPU; load average before: "
        f"{summary['load_average_before']}; {summary['cpus']} CPUs",
    ]
    if summary["capped"]:
        lines.append(f"stopped at the cap of {summary['requests_sent']:,} requests")
    lines += [
        "",
        "| request | requests | req/s | median | p95 | max | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for line in [*summary["results"], summary["overall"]]:
        name = f"**{line['request']}**" if line["request"] == "all" else line["request"]
        if line["requests"]:
            lines.append(
                f"| {name} | {line['requests']:,} | {line['per_second']:,.1f} | {line['median_ms']:,.1f} ms "
                f"| {line['p95_ms']:,.1f} ms | {line['max_ms']:,.1f} ms | {line['errors']} |"
            )
        else:
            lines.append(f"| {name} | 0 | - | - | - | - | 0 |")
    causes = {**summary["overall"]["error_causes"]}
    for cause, count in summary["warmup_error_causes"].items():
        causes[f"{cause} (warm-up)"] = count
    if causes:
        lines += ["", "errors: " + ", ".join(f"{cause} × {count}" for cause, count in causes.items())]
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
