"""Reads of activities: a user's own, those of the people they manage, and those on deals they see."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from salespipe.activities.models import Activity
from salespipe.core.errors import InvalidInput, NotFound
from salespipe.people.models import User
from salespipe.people.selectors import owner_scope

ACTIVITY_STATES = ("planned", "overdue", "done", "cancelled")


def _visible(actor: User) -> Q:
    return owner_scope(actor) | owner_scope(actor, owner_field="deal__owner")


def activity_list(
    *,
    actor: User,
    owner_id: int | None = None,
    deal_id: int | None = None,
    person_id: int | None = None,
    kind: str | None = None,
    state: str | None = None,
    due_from: dt.datetime | None = None,
    due_to: dt.datetime | None = None,
) -> QuerySet[Activity]:
    activities = Activity.objects.filter(_visible(actor)).select_related("owner", "deal", "person")
    filters = {
        "owner_id": owner_id,
        "deal_id": deal_id,
        "person_id": person_id,
        "kind": kind,
        "due_at__gte": due_from,
        "due_at__lt": due_to,
    }
    activities = activities.filter(**{key: value for key, value in filters.items() if value is not None})
    if state is not None:
        if state not in ACTIVITY_STATES:
            raise InvalidInput(
                f"State must be one of: {', '.join(ACTIVITY_STATES)}.", fields={"state": "unknown"}
            )
        if state in ("planned", "overdue"):
            activities = activities.filter(done_at__isnull=True, cancelled_at__isnull=True)
        if state == "overdue":
            activities = activities.filter(due_at__lt=timezone.now())
        if state == "done":
            activities = activities.filter(done_at__isnull=False)
        if state == "cancelled":
            activities = activities.filter(cancelled_at__isnull=False)
    return activities.order_by("-id")


def activity_get(*, actor: User, activity_id: int) -> Activity:
    activity = (
        Activity.objects.filter(_visible(actor), pk=activity_id)
        .select_related("owner", "deal", "person")
        .first()
    )
    if activity is None:
        raise NotFound(f"There is no activity with id {activity_id}, or you may not see it.")
    return activity
