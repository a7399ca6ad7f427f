"""The background worker: runs queued tasks with the configured backend, and enqueues periodic jobs.

`salespipe worker` calls `worker_run`. Two things happen in it:

- the **task loop** of the backend: the database backend's worker (django-tasks-db) polls the task table,
  RQ's worker waits on Redis; the immediate backend needs none (tasks ran when enqueued);
- the **scheduler tick**, in a thread beside it, every few seconds: each periodic job whose time slot has
  come (every minute, at the start of the minute) is enqueued by exactly one of the running workers. The
  job's row in `PeriodicJobMark` is the lock: a conditional UPDATE moves its slot forward, and only the
  worker whose UPDATE changed the row enqueues.

Any number of workers may run, on any number of machines; each task still runs once and each periodic
job once per slot.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.utils import timezone

from salespipe.core.tasks import DEFAULT_TASK_BACKEND_ALIAS, backend_kind, periodic_jobs
from salespipe.notifications.models import PeriodicJobMark

logger = logging.getLogger("salespipe.worker")

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
# How often the scheduler looks at the clock: a job of every minute starts within this of the minute.
TICK_SECONDS = 5.0


def _slot(now: dt.datetime, every: dt.timedelta) -> dt.datetime:
    """The start of the period of length `every` that `now` falls in, aligned to the clock."""
    return EPOCH + ((now - EPOCH) // every) * every


def periodic_tick(*, now: dt.datetime | None = None) -> list[str]:
    """Enqueue every periodic job whose current slot has not been enqueued yet, by this worker or any
    other; returns the names of the jobs this call enqueued."""
    now = now or timezone.now()
    enqueued = []
    for job in periodic_jobs():
        slot = _slot(now, job.every)
        with transaction.atomic():
            PeriodicJobMark.objects.get_or_create(name=job.name, defaults={"last_slot_at": EPOCH})
            claimed = PeriodicJobMark.objects.filter(name=job.name, last_slot_at__lt=slot).update(
                last_slot_at=slot, enqueued_at=now
            )
            if claimed:
                # In the same transaction as the mark: with the database backend the two commit or roll
                # back together; with Redis a failed commit at worst enqueues a run twice, which an
                # idempotent job shrugs off.
                job.task.enqueue()
                enqueued.append(job.name)
    return enqueued


def _tick_loop(stop: threading.Event, parent_pid: int | None) -> None:
    try:
        while not stop.is_set():
            close_old_connections()
            try:
                for name in periodic_tick():
                    logger.info("Enqueued the periodic job %s.", name)
            except Exception:
                logger.exception("The scheduler tick failed; trying again in %s s.", TICK_SECONDS)
            if parent_pid is not None and os.getppid() != parent_pid:
                logger.warning("The server that started this worker has stopped; stopping too.")
                os.kill(os.getpid(), signal.SIGTERM)
                return
            stop.wait(TICK_SECONDS)
    finally:
        connections.close_all()


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def _run_database_tasks(*, batch: bool, interval: float) -> int:
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=list(settings.TASK_QUEUES),
        interval=interval,
        batch=batch,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=not batch,
        max_tasks=None,
        worker_id=_worker_id(),
        excluded_queue_names=[],
    )
    if not batch:
        # The first SIGTERM or Ctrl+C lets the running task finish; a second one stops it.
        worker.configure_signals()
    worker.run()
    return int(worker._run_tasks)


def _run_rq_tasks(*, batch: bool) -> int | None:
    import django_rq
    from django_tasks_rq import Job

    worker: Any = django_rq.get_worker(*settings.TASK_QUEUES, job_class=Job)
    worker.work(burst=batch, with_scheduler=not batch)
    # RQ keeps its counts in Redis, and drops them when the worker stops.
    return None


def _wait_for_stop() -> int:
    # The immediate backend ran every task when it was enqueued; only the scheduler has work to do.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(3600):
        pass
    return 0


def worker_run(*, batch: bool = False, interval: float = 1.0, parent_pid: int | None = None) -> int | None:
    """Run background work until stopped (SIGTERM or Ctrl+C), or with `batch` only the periodic jobs due
    now and every task queued, then return. Returns how many tasks this worker ran (None: RQ's worker
    does not say)."""
    kind = backend_kind()
    if batch:
        periodic_tick()
        if kind == "database":
            return _run_database_tasks(batch=True, interval=interval)
        if kind == "rq":
            return _run_rq_tasks(batch=True)
        return 0
    stop = threading.Event()
    ticker = threading.Thread(
        target=_tick_loop, args=(stop, parent_pid), name="salespipe-scheduler", daemon=True
    )
    ticker.start()
    logger.info("Worker %s started (%s backend).", _worker_id(), kind)
    try:
        if kind == "database":
            return _run_database_tasks(batch=False, interval=interval)
        if kind == "rq":
            return _run_rq_tasks(batch=False)
        return _wait_for_stop()
    finally:
        stop.set()
        ticker.join(timeout=TICK_SECONDS * 2)
        logger.info("Worker %s stopped.", _worker_id())
