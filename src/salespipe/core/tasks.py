"""Background work through Django's tasks framework, imported from one place.

Django 6 has the framework built in (`django.tasks`); on the 5.2 line the `django_tasks` backport
provides the same API. Code defines and enqueues tasks with the names exported here:

    from salespipe.core.tasks import enqueue_on_commit, periodic, task

    @periodic(every=dt.timedelta(minutes=1))
    @task()
    def notifications_send_due() -> int: ...

    enqueue_on_commit(email_deliver, key)

Which backend runs them (the database by default, Redis through RQ at scale) is a setting
(`TASKS_BACKEND`, docs/settings.md); `salespipe worker` runs them, and the periodic ones on schedule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import django
from django.db import transaction

if TYPE_CHECKING or django.VERSION >= (6, 0):
    from django.tasks import (
        DEFAULT_TASK_BACKEND_ALIAS,
        Task,
        TaskContext,
        TaskResult,
        TaskResultStatus,
        default_task_backend,
        task,
        task_backends,
    )
else:  # pragma: no cover - the Django 5.2 line
    from django_tasks import (
        DEFAULT_TASK_BACKEND_ALIAS,
        TaskContext,
        TaskResult,
        TaskResultStatus,
        default_task_backend,
        task,
        task_backends,
    )
    from django_tasks.base import Task

__all__ = [
    "DEFAULT_TASK_BACKEND_ALIAS",
    "MINUTE",
    "PeriodicJob",
    "Task",
    "TaskContext",
    "TaskResult",
    "TaskResultStatus",
    "backend_kind",
    "default_task_backend",
    "enqueue_on_commit",
    "periodic",
    "periodic_jobs",
    "task",
    "task_backends",
]

MINUTE = dt.timedelta(minutes=1)
P = ParamSpec("P")
R = TypeVar("R")


def enqueue_on_commit(job: Task[P, Any], *args: P.args, **kwargs: P.kwargs) -> None:
    """Enqueue a task once the current transaction commits (at once outside one), so a worker never
    picks up work about rows it cannot see yet, nor work of a change that was rolled back."""
    transaction.on_commit(partial(job.enqueue, *args, **kwargs))


@dataclass(frozen=True)
class PeriodicJob:
    """A task the worker enqueues on a fixed schedule: once per `every`, aligned to the clock (a job of
    every minute runs at the start of each minute). It takes no arguments."""

    name: str
    task: Task[[], Any]
    every: dt.timedelta


_PERIODIC_JOBS: dict[str, PeriodicJob] = {}


def periodic(*, every: dt.timedelta = MINUTE) -> Callable[[Task[[], R]], Task[[], R]]:
    """Register a task (one without arguments) to be enqueued by the worker once per `every`.

    A periodic job must be idempotent and catch up by itself: it does whatever is due *now* and not
    done yet, so a skipped run (every worker stopped for an hour) only delays the work."""
    if every < MINUTE:
        raise ValueError("The scheduler runs jobs at most once a minute.")

    def register(job: Task[[], R]) -> Task[[], R]:
        _PERIODIC_JOBS[job.module_path] = PeriodicJob(name=job.module_path, task=job, every=every)
        return job

    return register


def periodic_jobs() -> list[PeriodicJob]:
    """The registered periodic jobs, in name order. The apps' `tasks` modules register them on start."""
    return [_PERIODIC_JOBS[name] for name in sorted(_PERIODIC_JOBS)]


def backend_kind(alias: str = DEFAULT_TASK_BACKEND_ALIAS) -> str:
    """`database`, `rq`, or `immediate` (tasks run in the enqueuing process): what the worker runs."""
    from django.conf import settings

    path = str(settings.TASKS[alias]["BACKEND"])
    if path.startswith("django_tasks_db."):
        return "database"
    if path.startswith("django_tasks_rq."):
        return "rq"
    return "immediate"
