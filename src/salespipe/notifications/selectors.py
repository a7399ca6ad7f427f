"""Reads for notifications: the calendar feed behind a secret, and what the feed shows."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from salespipe.activities.models import Activity, ActivityKind
from salespipe.notifications.models import CalendarFeed, SentEmail
from salespipe.people.models import User

# The feed shows the past month (what happened lately) and the coming year, at most this many events.
CALENDAR_PAST = dt.timedelta(days=30)
CALENDAR_AHEAD = dt.timedelta(days=366)
CALENDAR_MAX_ACTIVITIES = 2000


def calendar_feed_by_secret(*, secret: str) -> CalendarFeed | None:
    """The feed a secret URL opens, with its user; None for an unknown or rotated secret or an inactive
    user."""
    return CalendarFeed.objects.select_related("user").filter(secret=secret, user__is_active=True).first()


def calendar_feed_activities(*, user: User, now: dt.datetime) -> list[Activity]:
    """The user's own meetings and demos, reminders and other follow-ups (activities with a parent), and
    trials ending, from a month ago to a year ahead, cancelled ones included. One query."""
    since, until = now - CALENDAR_PAST, now + CALENDAR_AHEAD
    due_in_window = Q(due_at__gte=since, due_at__lt=until)
    shown = (
        Q(due_in_window, kind__in=[ActivityKind.MEETING, ActivityKind.DEMO])
        | Q(due_in_window, parent__isnull=False)
        | Q(kind=ActivityKind.TRIAL, parent__isnull=True, ends_at__gte=since, ends_at__lt=until)
    )
    return list(
        Activity.objects.filter(shown, owner=user)
        .select_related("deal", "person", "organization")
        .order_by("due_at", "id")[:CALENDAR_MAX_ACTIVITIES]
    )


def email_get(*, key: str) -> SentEmail | None:
    return SentEmail.objects.filter(key=key).first()
