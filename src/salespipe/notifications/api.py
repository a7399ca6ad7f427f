"""REST endpoints for the signed-in user's private calendar feed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema

from salespipe.core.api_support import errors, request_user
from salespipe.notifications import services
from salespipe.notifications.models import CalendarFeed

router = Router(tags=["calendar feed"])


class CalendarFeedOut(Schema):
    url: str = Field(
        description="The private iCalendar (.ics) URL to subscribe to in a calendar app. Anyone with it sees "
        "your appointments: keep it secret, and rotate it if it leaks."
    )
    created_at: dt.datetime
    rotated_at: dt.datetime | None = Field(description="When the URL was last replaced; null if never.")


def _out(request: HttpRequest, feed: CalendarFeed) -> dict[str, Any]:
    path = reverse("notifications:calendar_feed", kwargs={"secret": feed.secret})
    return {
        "url": request.build_absolute_uri(path),
        "created_at": feed.created_at,
        "rotated_at": feed.rotated_at,
    }


@router.get(
    "/users/me/calendar-feed", response={200: CalendarFeedOut, **errors()}, summary="Your calendar feed URL"
)
def calendar_feed_get(request: HttpRequest) -> dict[str, Any]:
    """Your meetings, demos, trial ends and reminders as an iCalendar feed, created on first use."""
    return _out(request, services.calendar_feed_get_or_create(user=request_user(request)))


@router.post(
    "/users/me/calendar-feed/rotate",
    response={200: CalendarFeedOut, **errors()},
    summary="Replace your calendar feed URL",
)
def calendar_feed_rotate(request: HttpRequest) -> dict[str, Any]:
    """A new secret URL; the old one stops working at once (404). Subscribe again with the new URL."""
    return _out(request, services.calendar_feed_rotate(user=request_user(request)))
