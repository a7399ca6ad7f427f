"""`salespipe worker` and the worker `salespipe serve` starts, as real processes on a fresh data directory."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.notifications.conftest import free_port

SALESPIPE = str(Path(sys.executable).parent / "salespipe")
SEND_DUE = "salespipe.notifications.tasks.notifications_send_due"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    """The environment of a fresh install: its own SQLite database and mail directory, no Redis."""
    variables = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "TASKS_BACKEND", "EMAIL_URL", "EMAIL_HOST"}
    }
    return {**variables, "SALESPIPE_HOME": str(home), "PYTHONUNBUFFERED": "1"}


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def wait_for(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {seconds} s")


def send_due_runs(home: Path) -> int:
    database = home / "salespipe.sqlite3"
    if not database.exists():
        return 0
    with sqlite3.connect(database) as db:
        try:
            (count,) = db.execute(
                "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE task_path = ? AND status = ?",
                (SEND_DUE, "SUCCESSFUL"),
            ).fetchone()
        except sqlite3.OperationalError:  # not migrated yet
            return 0
    return int(count)


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1]
    except FileNotFoundError:
        return False
    return state not in {"Z", "X"}


def test_the_worker_runs_the_periodic_job_within_seconds_and_stops_cleanly_on_sigterm(
    env: dict[str, str], home: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    # given a fresh install
    subprocess.run([SALESPIPE, "init", "--admin-password", "a-long-test-password"], env=env, check=True)

    # when a worker starts
    worker = subprocess.Popen(
        [SALESPIPE, "worker", "--interval", "0.2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    processes.append(worker)

    # then the periodic job of this minute has run, once
    wait_for(lambda: send_due_runs(home) == 1, seconds=30, what="the periodic job's run")
    # and SIGTERM stops the worker at once, cleanly
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=15) == 0
    assert worker.stdout is not None
    assert b"Salespipe worker: database backend" in worker.stdout.read()


def test_a_worker_refuses_a_database_that_is_not_set_up(env: dict[str, str]) -> None:
    result = subprocess.run([SALESPIPE, "worker", "--batch"], env=env, capture_output=True, text=True)

    assert result.returncode == 1
    assert "run `salespipe init` first" in result.stderr


def _serve(
    env: dict[str, str], log: Path, processes: list[subprocess.Popen[bytes]]
) -> tuple[subprocess.Popen[bytes], int, int]:
    port = free_port()
    with log.open("wb") as output:
        server = subprocess.Popen(
            [SALESPIPE, "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    processes.append(server)

    def worker_started() -> bool:
        return "Background worker: running" in log.read_text()

    wait_for(worker_started, seconds=60, what="the worker's start")
    match = re.search(r"Background worker: running \(pid (\d+)\)", log.read_text())
    assert match is not None
    return server, port, int(match[1])


def test_serve_runs_a_worker_beside_the_app_and_stops_it_with_the_server(
    env: dict[str, str], home: Path, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    # given the one-command setup
    server, port, worker_pid = _serve(env, tmp_path / "serve.log", processes)

    # then the app answers and the background worker runs the periodic job
    wait_for(lambda: send_due_runs(home) >= 1, seconds=60, what="the periodic job's run")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=10) as answer:
        assert answer.status == 200
    assert is_running(worker_pid)

    # when the server is stopped
    server.terminate()
    server.wait(timeout=45)

    # then so is its worker
    assert not is_running(worker_pid)


def test_the_worker_stops_by_itself_when_the_server_is_killed_outright(
    env: dict[str, str], tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    server, _, worker_pid = _serve(env, tmp_path / "serve.log", processes)
    assert is_running(worker_pid)

    server.kill()
    server.wait(timeout=10)

    wait_for(lambda: not is_running(worker_pid), seconds=30, what="the orphaned worker's exit")


def test_serve_with_no_worker_starts_none(
    env: dict[str, str], tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    log = tmp_path / "serve.log"
    port = free_port()
    with log.open("wb") as output:
        server = subprocess.Popen(
            [SALESPIPE, "serve", "--port", str(port), "--workers", "1", "--no-worker"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    processes.append(server)
    wait_for(lambda: "Press Ctrl+C to stop." in log.read_text(), seconds=60, what="the server's start")

    server.terminate()
    server.wait(timeout=30)
    assert "Background worker" not in log.read_text()


# --- Redis (TASKS_BACKEND=rq), against the local server when there is one -----------------------------------

REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of its own, emptied by the test


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


QUEUE_AN_EMAIL = """
import datetime as dt, os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salespipe.settings")
django.setup()
from salespipe.notifications.services import email_send
email = email_send(
    key="rq-test", to=["maria@acme.test"], subject="Through Redis", template="appointment_reminder",
    context={"starts_at": dt.datetime.now(dt.UTC), "person_name": "Maria"}, language="en",
)
print(email.status)
"""


@pytest.mark.skipif(not redis_available(), reason="no Redis server on 127.0.0.1:6379")
def test_with_the_rq_backend_an_email_goes_through_redis_to_the_worker(
    env: dict[str, str], home: Path, tmp_path: Path
) -> None:
    import redis

    # given an install whose queue is in Redis and whose mail goes to files
    mail = tmp_path / "mail"
    env |= {"TASKS_BACKEND": "rq", "REDIS_URL": REDIS_URL, "EMAIL_URL": f"file://{mail}"}
    queue = redis.Redis.from_url(REDIS_URL)
    queue.flushdb()
    subprocess.run([SALESPIPE, "init", "--admin-password", "a-long-test-password"], env=env, check=True)
    try:
        # when the app queues an email
        queued = subprocess.run(
            [sys.executable, "-c", QUEUE_AN_EMAIL], env=env, capture_output=True, text=True, check=True
        )
        assert queued.stdout.strip() == "queued"
        assert queue.llen("rq:queue:default") == 1
        assert not mail.exists()

        # and a worker runs
        worker = subprocess.run(
            [SALESPIPE, "worker", "--batch"], env=env, capture_output=True, text=True, timeout=120
        )

        # then the email was taken from Redis and sent
        assert worker.returncode == 0, worker.stderr
        [written] = list(mail.iterdir())
        assert "Subject: Through Redis" in written.read_text()
        assert queue.llen("rq:queue:default") == 0
        with sqlite3.connect(home / "salespipe.sqlite3") as db:
            assert db.execute("SELECT status FROM notifications_sentemail").fetchall() == [("sent",)]
    finally:
        queue.flushdb()
