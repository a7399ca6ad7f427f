"""iCalendar (RFC 5545) for appointments: a user's feed, and one appointment as an email attachment.

Times are written in the owner's zone (`DTSTART;TZID=Europe/Athens:…` with its VTIMEZONE), so a calendar
shows 10:00 for a meeting at 10:00 in Athens whatever the reader's own zone. UIDs are stable per activity,
so a rescheduled meeting moves in the subscriber's calendar instead of appearing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings
from icalendar import Calendar, Event
from icalendar.enums import STATUS

from salespipe.activities.models import Activity, ActivityKind

PRODID = "-//Salespipe//Salespipe calendar//EN"
REFRESH = dt.timedelta(minutes=15)
# A meeting or demo without a duration is shown as an hour; a reminder or other task as 15 minutes.
DEFAULT_APPOINTMENT = dt.timedelta(minutes=60)
DEFAULT_TASK = dt.timedelta(minutes=15)
APPOINTMENT_KINDS = (ActivityKind.MEETING, ActivityKind.DEMO)

DealUrl = Callable[[int], str]


@cache
def _install_id() -> str:
    # UIDs must be globally unique: two Salespipe installations subscribed by one person must not clash.
    return hashlib.sha256(f"salespipe-calendar:{settings.SECRET_KEY}".encode()).hexdigest()[:12]


def activity_uid(activity: Activity, part: str = "") -> str:
    suffix = f"-{part}" if part else ""
    return f"activity-{activity.pk}{suffix}.{_install_id()}@salespipe"


def _summary(activity: Activity, prefix: str = "") -> str:
    subject = activity.subject or activity.get_kind_display()
    deal = activity.deal
    if deal is not None and deal.title not in subject:
        subject = f"{subject} – {deal.title}"
    return f"{prefix}{subject}"


def _description(activity: Activity) -> str:
    lines = [activity.get_kind_display()]
    if activity.deal is not None:
        lines.append(f"Deal: {activity.deal.title}")
    if activity.organization is not None:
        lines.append(f"Organization: {activity.organization.name}")
    if activity.person is not None:
        person = activity.person
        contact = ", ".join(part for part in (person.email, person.phone) if part)
        lines.append(f"Person: {person.full_name}" + (f" ({contact})" if contact else ""))
    if activity.outcome:
        lines.append(f"Outcome: {activity.get_outcome_display()}")
    if activity.note:
        lines.extend(["", activity.note])
    return "\n".join(lines)


def _status(activity: Activity) -> STATUS:
    return STATUS.CANCELLED if activity.cancelled_at is not None else STATUS.CONFIRMED


def _event(
    activity: Activity,
    *,
    uid: str,
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
    summary: str,
    stamp: dt.datetime,
    url: str | None,
) -> Event:
    return Event.new(
        uid=uid,
        start=start,
        end=end,
        summary=summary,
        stamp=stamp,
        created=activity.created_at,
        status=_status(activity),
        description=_description(activity),
        categories=[str(activity.get_kind_display())],
        url=url,
    )


def activity_events(
    activity: Activity, *, zone: ZoneInfo, stamp: dt.datetime, deal_url: DealUrl | None = None
) -> list[Event]:
    """The calendar events of one activity: its appointment (or reminder) at its due time, and for a
    trial its end as an all-day event on the owner's date."""
    url = deal_url(activity.deal_id) if deal_url and activity.deal_id else None
    if activity.kind == ActivityKind.TRIAL and activity.parent_id is None:
        if activity.ends_at is None:
            return []
        last_day = activity.ends_at.astimezone(zone).date()
        return [
            _event(
                activity,
                uid=activity_uid(activity, "end"),
                start=last_day,
                end=last_day + dt.timedelta(days=1),
                summary=_summary(activity, "Trial ends: "),
                stamp=stamp,
                url=url,
            )
        ]
    if activity.due_at is None:
        return []
    start = activity.due_at.astimezone(zone)
    default = DEFAULT_APPOINTMENT if activity.kind in APPOINTMENT_KINDS else DEFAULT_TASK
    length = dt.timedelta(minutes=activity.duration_minutes) if activity.duration_minutes else default
    return [
        _event(
            activity,
            uid=activity_uid(activity),
            start=start,
            # Added in UTC: a meeting across a clock change lasts its real length.
            end=(start.astimezone(dt.UTC) + length).astimezone(zone),
            summary=_summary(activity),
            stamp=stamp,
            url=url,
        )
    ]


def _calendar(*, name: str, uid: str, zone: ZoneInfo, events: Iterable[Event], now: dt.datetime) -> Calendar:
    calendar = Calendar.new(
        name=name, prodid=PRODID, uid=uid, method="PUBLISH", refresh_interval=REFRESH, subcomponents=events
    )
    calendar.add("X-WR-TIMEZONE", zone.key)
    calendar.add("X-PUBLISHED-TTL", REFRESH)
    starts = [event.start for event in calendar.events] or [now]
    first = min(_as_date(start) for start in starts) - dt.timedelta(days=1)
    last = max(_as_date(start) for start in starts) + dt.timedelta(days=2)
    # VTIMEZONE definitions only for the years the events span keep the feed small.
    calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def calendar_feed_render(
    *,
    owner_name: str,
    owner_id: int,
    zone: ZoneInfo,
    activities: Iterable[Activity],
    now: dt.datetime,
    deal_url: DealUrl | None = None,
) -> bytes:
    """A user's feed as an .ics document."""
    events = [
        event
        for activity in activities
        for event in activity_events(activity, zone=zone, stamp=now, deal_url=deal_url)
    ]
    calendar = _calendar(
        name=f"Salespipe: {owner_name}",
        uid=f"feed-{owner_id}.{_install_id()}@salespipe",
        zone=zone,
        events=events,
        now=now,
    )
    return bytes(calendar.to_ical())


def activity_ics(activity: Activity, *, zone: ZoneInfo, now: dt.datetime) -> bytes:
    """One appointment as an .ics file, e.g. for a reminder email; the same UID as in the owner's feed."""
    calendar = _calendar(
        name=_summary(activity),
        uid=activity_uid(activity, "invite"),
        zone=zone,
        events=activity_events(activity, zone=zone, stamp=now),
        now=now,
    )
    return bytes(calendar.to_ical())
