"""Working time: when a rep's day starts and ends, and how much of it lies between two moments.

Pure functions over plain values (no ORM), so the rules are tested without a database:

- a working day is one of the owner's working weekdays, from `starts_at` to `ends_at` on their own
  wall clock, so 09:00 in Athens is 09:00 there in winter and in summer;
- a moment outside working hours waits for the next working start (work begun on Friday at 18:00 starts
  on Monday at 09:00);
- arithmetic is done in UTC, so a day on which the clocks change has its true length (23 or 25 hours
  of wall clock, never a phantom hour of work).

Results are aware datetimes in the owner's zone; every argument must be aware.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from salespipe.people.models import User

UTC = dt.UTC
ISO_WEEKDAYS = frozenset(range(1, 8))
MONDAY_TO_FRIDAY = frozenset(range(1, 6))
# A working week has at least one working day, so a window is always found within two weeks (the
# second week covers a working day whose hours vanish in a clock change).
_SEARCH_DAYS = 15


@dataclass(frozen=True)
class WorkingHours:
    """When one person works: their zone, the hours of their day and their working weekdays (ISO, 1 is
    Monday)."""

    zone: ZoneInfo
    starts_at: dt.time
    ends_at: dt.time
    weekdays: frozenset[int]

    def __post_init__(self) -> None:
        if not self.starts_at < self.ends_at:
            raise ValueError(f"A working day must start before it ends ({self.starts_at}-{self.ends_at}).")
        if not self.weekdays or not self.weekdays <= ISO_WEEKDAYS:
            raise ValueError(
                f"Working weekdays must be ISO weekday numbers 1-7, got {sorted(self.weekdays)}."
            )
        if self.starts_at.tzinfo is not None or self.ends_at.tzinfo is not None:
            raise ValueError("Working hours are wall-clock times without a zone; the zone is separate.")

    @classmethod
    def parse(cls, *, zone: str, starts_at: dt.time, ends_at: dt.time, weekdays: str) -> WorkingHours:
        """From the way a user stores them: an IANA zone name and ISO weekday digits ("12345")."""
        return cls(
            zone=ZoneInfo(zone),
            starts_at=starts_at,
            ends_at=ends_at,
            weekdays=frozenset(int(digit) for digit in weekdays),
        )


def working_hours_of(user: User) -> WorkingHours:
    """A user's working hours: their time zone, workday start and end, and working weekdays."""
    return WorkingHours.parse(
        zone=user.time_zone,
        starts_at=user.workday_starts_at,
        ends_at=user.workday_ends_at,
        weekdays=user.working_weekdays,
    )


# --- the working windows ----------------------------------------------------------------------------------


def _require_aware(value: dt.datetime, name: str) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}.")
    return value.astimezone(UTC)


def _window(day: dt.date, hours: WorkingHours) -> tuple[dt.datetime, dt.datetime] | None:
    """The working hours of one local date, in UTC; None on a day off (or on a day whose hours fall
    entirely into a clock change's gap)."""
    if day.isoweekday() not in hours.weekdays:
        return None
    start = dt.datetime.combine(day, hours.starts_at, tzinfo=hours.zone).astimezone(UTC)
    end = dt.datetime.combine(day, hours.ends_at, tzinfo=hours.zone).astimezone(UTC)
    return (start, end) if start < end else None


def _windows_forward(at: dt.datetime, hours: WorkingHours) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Working windows that end after `at` (UTC), earliest first, without end: every working week has a
    working day, so the next one is at most a week (and a clock change) away."""
    day = at.astimezone(hours.zone).date()
    while True:
        window = _window(day, hours)
        if window is not None and window[1] > at:
            yield window
        day += dt.timedelta(days=1)


def _local(moment: dt.datetime, hours: WorkingHours) -> dt.datetime:
    return moment.astimezone(hours.zone)


# --- the rules ----------------------------------------------------------------------------------------------


def is_working_time(at: dt.datetime, hours: WorkingHours) -> bool:
    """Whether the owner is at work at that moment (the start of the day included, its end not)."""
    moment = _require_aware(at, "at")
    window = _window(moment.astimezone(hours.zone).date(), hours)
    return window is not None and window[0] <= moment < window[1]


def next_working_start(at: dt.datetime, hours: WorkingHours) -> dt.datetime:
    """The earliest moment at or after `at` when the owner is at work: `at` itself during working hours,
    else the start of their next working day (Friday 18:00 → Monday 09:00)."""
    moment = _require_aware(at, "at")
    start, _ = next(_windows_forward(moment, hours))
    return _local(max(start, moment), hours)


def start_of_previous_working_day(before: dt.datetime, hours: WorkingHours) -> dt.datetime:
    """The start of the owner's working day on the last working day before the local date of `before`:
    a meeting on Monday at 10:00 → Friday at 09:00; on Wednesday → Tuesday at 09:00.

    The date is the owner's: a meeting at 01:00 UTC on Tuesday is still Monday evening in New York, so
    the day before it there is the Friday."""
    moment = _require_aware(before, "before")
    day = moment.astimezone(hours.zone).date()
    for _ in range(_SEARCH_DAYS):
        day -= dt.timedelta(days=1)
        window = _window(day, hours)
        if window is not None:
            return _local(window[0], hours)
    raise AssertionError("unreachable: a working week has a working day")  # pragma: no cover


def add_working_time(start: dt.datetime, duration: dt.timedelta, hours: WorkingHours) -> dt.datetime:
    """The moment when `duration` of the owner's working time has passed since `start`.

    Four working hours from Friday 16:00 with a 09:00-17:00 day are Monday 12:00. A start outside working
    hours begins at the next working start. A duration that ends exactly at the end of a working day
    gives that end (17:00), not the next morning."""
    if duration < dt.timedelta(0):
        raise ValueError(f"Working time to add must not be negative, got {duration}.")
    moment = _require_aware(start, "start")
    remaining = duration
    for window_start, window_end in _windows_forward(moment, hours):
        begin = max(window_start, moment)
        available = window_end - begin
        if remaining <= available:
            return _local(begin + remaining, hours)
        remaining -= available
    raise AssertionError("unreachable: the windows never run out")  # pragma: no cover


def working_time_between(a: dt.datetime, b: dt.datetime, hours: WorkingHours) -> dt.timedelta:
    """The owner's working time from `a` to `b` (negative when `b` is before `a`): from Friday 16:00 to
    Monday 10:00 is two hours with a 09:00-17:00 day. Used to measure response times."""
    first = _require_aware(a, "a")
    last = _require_aware(b, "b")
    if last < first:
        return -working_time_between(last, first, hours)
    total = dt.timedelta(0)
    for window_start, window_end in _windows_forward(first, hours):
        if window_start >= last:
            break
        total += min(window_end, last) - max(window_start, first)
    return total
