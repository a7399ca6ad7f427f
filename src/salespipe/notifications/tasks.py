"""Background tasks of notifications; `salespipe worker` runs them (docs/followups.md)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from salespipe.core.tasks import MINUTE, TaskResultStatus, backend_kind, periodic, task
from salespipe.notifications import services


@task()
def email_deliver(key: str) -> str:
    """Send one queued email, unless it is sent or being sent already."""
    return services.email_deliver(key=key)


@periodic(every=MINUTE)
@task()
def notifications_send_due() -> dict[str, int]:
    """Every minute: whatever notification is due and not sent yet (prospects' appointment reminders,
    daily digests, managers' weekly digests, emails to retry); how many of each were queued. Each step
    is idempotent (an email keyed by what it is about is queued once). `salespipe remind` runs the same
    steps by hand."""
    return services.notifications_send_due()


# Finished tasks of the database backend are kept a while to look into, then deleted, so the table stays
# small: a week for the successful ones, a month for the failed.
KEEP_SUCCESSFUL_TASKS = dt.timedelta(days=7)
KEEP_FAILED_TASKS = dt.timedelta(days=30)


@periodic(every=dt.timedelta(hours=1))
@task()
def task_results_prune() -> int:
    """Every hour: delete old results of finished tasks from the database queue; returns how many."""
    if backend_kind() != "database":
        return 0
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    deleted, _ = DBTaskResult.objects.filter(
        Q(status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - KEEP_SUCCESSFUL_TASKS)
        | Q(status=TaskResultStatus.FAILED, finished_at__lt=now - KEEP_FAILED_TASKS)
    ).delete()
    return deleted
