"""The worker runs queued tasks, and enqueues each periodic job once per minute however many workers run."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from click.testing import CliRunner
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from salespipe.cli import main
from salespipe.core.tasks import MINUTE, backend_kind, periodic_jobs
from salespipe.notifications.models import PeriodicJobMark
from salespipe.notifications.tasks import notifications_send_due, task_results_prune
from salespipe.notifications.worker import periodic_tick

SEND_DUE = "salespipe.notifications.tasks.notifications_send_due"
PRUNE = "salespipe.notifications.tasks.task_results_prune"
TRACK_RECORDS = "salespipe.numbers.tasks.track_records_refresh_due"
WEBHOOK_RETRIES = "salespipe.webhooks.tasks.webhook_deliveries_retry_due"


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


def test_the_default_backend_is_the_database_and_the_periodic_jobs_are_registered() -> None:
    assert backend_kind() == "database"
    assert [(job.name, job.every) for job in periodic_jobs()] == [
        (SEND_DUE, MINUTE),
        (PRUNE, dt.timedelta(hours=1)),
        (TRACK_RECORDS, dt.timedelta(hours=1)),
        (WEBHOOK_RETRIES, MINUTE),
    ]


@pytest.mark.django_db
def test_a_periodic_job_is_enqueued_once_per_minute_however_often_the_worker_ticks() -> None:
    first = periodic_tick(now=at(2026, 3, 2, 10, 0, 5))
    same_minute = periodic_tick(now=at(2026, 3, 2, 10, 0, 55))
    next_minute = periodic_tick(now=at(2026, 3, 2, 10, 1, 0))
    # a clock that went back (another machine's, slightly behind) enqueues nothing either
    clock_behind = periodic_tick(now=at(2026, 3, 2, 10, 0, 59))

    assert (first, same_minute, next_minute, clock_behind) == (
        [SEND_DUE, PRUNE, TRACK_RECORDS, WEBHOOK_RETRIES],
        [],
        [SEND_DUE, WEBHOOK_RETRIES],
        [],
    )
    assert DBTaskResult.objects.filter(task_path=SEND_DUE).count() == 2
    assert PeriodicJobMark.objects.get(name=SEND_DUE).last_slot_at == at(2026, 3, 2, 10, 1)


@pytest.mark.django_db
def test_a_worker_back_after_an_hour_enqueues_the_job_once_not_sixty_times() -> None:
    periodic_tick(now=at(2026, 3, 2, 10, 0))
    later = periodic_tick(now=at(2026, 3, 2, 11, 0, 30))

    assert later == [SEND_DUE, PRUNE, TRACK_RECORDS, WEBHOOK_RETRIES]
    assert DBTaskResult.objects.filter(task_path=SEND_DUE).count() == 2


@pytest.mark.django_db(transaction=True)
def test_workers_ticking_at_the_same_moment_enqueue_the_job_once() -> None:
    # given four workers whose clocks reach the same minute together
    now = at(2026, 3, 2, 10, 0, 1)
    barrier = threading.Barrier(4)
    enqueued: list[list[str]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            enqueued.append(periodic_tick(now=now))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    # when they all tick
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then every due job was enqueued exactly once, by whichever worker claimed it
    assert errors == []
    claimed = sorted(name for names in enqueued for name in names)
    assert len(claimed) == 4
    assert len(set(claimed)) == 4
    assert DBTaskResult.objects.filter(task_path=SEND_DUE).count() == 1


@pytest.mark.django_db
def test_the_batch_worker_runs_the_due_periodic_jobs_and_records_their_results(run_worker: Any) -> None:
    ran = run_worker()

    assert ran == 4
    result = DBTaskResult.objects.get(task_path=SEND_DUE)
    assert result.status == "SUCCESSFUL"
    assert result.return_value == {
        "prospect_emails": 0,
        "digests": 0,
        "weekly_digests": 0,
        "emails_retried": 0,
    }


@pytest.mark.django_db
def test_old_task_results_are_pruned_and_recent_ones_kept(run_worker: Any) -> None:
    # given finished tasks of eight days ago, and some just finished
    run_worker()
    DBTaskResult.objects.update(finished_at=timezone.now() - dt.timedelta(days=8))
    notifications_send_due.enqueue()
    run_worker()

    # when the hourly prune runs
    deleted = task_results_prune.call()

    # then only the old ones are gone
    assert deleted == 4
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db
def test_salespipe_worker_batch_runs_what_is_due_and_says_how_much(run_worker: Any) -> None:
    result = CliRunner().invoke(main, ["worker", "--batch"])

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Ran 4 tasks."
    again = CliRunner().invoke(main, ["worker", "--batch"])
    assert again.stdout.strip() == "Ran 0 tasks."
