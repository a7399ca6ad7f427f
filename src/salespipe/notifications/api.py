"""REST endpoints for the signed-in user's private calendar feed, and the follow-up engine's reminders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from salespipe.activities.models import ActivityKind, ActivityPurpose
from salespipe.core.api_support import Page, PageParams, errors, page, request_user
from salespipe.deals.api import DealRef
from salespipe.notifications import selectors, services
from salespipe.notifications.models import CalendarFeed
from salespipe.people.api import UserRef

router = Router(tags=["calendar feed"])


class CalendarFeedOut(Schema):
    url: str = Field(
        description="The private iCalendar (.ics) URL to subscribe to in a calendar app. Anyone with it sees "
        "your appointments: keep it secret, and rotate it if it leaks."
    )
    created_at: dt.datetime
    rotated_at: dt.datetime | None = Field(description="When the URL was last replaced; null if never.")


def _out(feed: CalendarFeed) -> dict[str, Any]:
    # SALESPIPE_BASE_URL, not the request's host: behind a proxy that is an internal name.
    path = reverse("notifications:calendar_feed", kwargs={"secret": feed.secret})
    return {"url": services.app_url(path), "created_at": feed.created_at, "rotated_at": feed.rotated_at}


@router.get(
    "/users/me/calendar-feed", response={200: CalendarFeedOut, **errors()}, summary="Your calendar feed URL"
)
def calendar_feed_get(request: HttpRequest) -> dict[str, Any]:
    """Your meetings, demos, trial ends and reminders as an iCalendar feed, created on first use."""
    return _out(services.calendar_feed_get_or_create(user=request_user(request)))


@router.post(
    "/users/me/calendar-feed/rotate",
    response={200: CalendarFeedOut, **errors()},
    summary="Replace your calendar feed URL",
)
def calendar_feed_rotate(request: HttpRequest) -> dict[str, Any]:
    """A new secret URL; the old one stops working at once (404). Subscribe again with the new URL."""
    return _out(services.calendar_feed_rotate(user=request_user(request)))


# --- reminders ------------------------------------------------------------------------------------------


class ReminderParent(Schema):
    id: int
    kind: ActivityKind
    subject: str
    due_at: dt.datetime | None = Field(description="When the meeting or trial starts.")
    ends_at: dt.datetime | None = Field(description="When a trial ends.")


class ReminderOut(Schema):
    id: int
    purpose: ActivityPurpose = Field(
        description="meeting_call and meeting_email (the day before an appointment), next_step (after a "
        "held meeting), trial_check_in, trial_decision."
    )
    kind: ActivityKind
    subject: str
    owner: UserRef
    deal: DealRef | None
    person_id: int | None
    parent: ReminderParent | None = Field(description="The meeting or trial the reminder belongs to.")
    due_at: dt.datetime | None
    notified_at: dt.datetime | None = Field(
        description="When the worker acted on it falling due (e.g. emailed the prospect); null before."
    )


class ReminderFilters(Schema):
    owner_id: int | None = Field(None, description="One owner among those you may see.")
    purpose: ActivityPurpose | None = None
    due_before: dt.datetime | None = Field(
        None, description="Due before; a time without a zone is read in your time zone."
    )


@router.get(
    "/reminders", response={200: Page[ReminderOut], **errors()}, summary="List reminders", tags=["reminders"]
)
def reminder_list(
    request: HttpRequest, filters: Query[ReminderFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """Planned reminders and follow-up tasks the follow-up engine created: yours, and a manager's teams'
    too (an admin's: everybody's), each with the meeting or trial it belongs to; newest first."""
    actor = request_user(request)
    due_before = filters.due_before
    if due_before is not None and timezone.is_naive(due_before):
        due_before = timezone.make_aware(due_before, actor.zone)
    reminders = selectors.reminder_list(
        actor=actor, owner_id=filters.owner_id, purpose=filters.purpose, due_before=due_before
    )
    return page(reminders, cursor=paging.cursor, limit=paging.limit)
