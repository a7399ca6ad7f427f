"""When the follow-up engine's tasks fall due: pure rules over times and an owner's working hours.

The seed's discipline (PRODUCT.md, practices 7 and 8), as times:

- the day before every appointment, a call and an email to the prospect, at the start of the owner's
  working day on the working day before it, or at once when that has passed;
- an information request is answered within a number of working hours of the owner;
- after an appointment is held, the deal needs a next step within 2 working days;
- a trial gets a check-in halfway through and a decision call when it ends.

The services in `activities/services.py` create, move and cancel the activities; these functions only say
when. All take and return aware datetimes.
"""

from __future__ import annotations

import datetime as dt

from salespipe.core.business_time import (
    WorkingHours,
    add_working_time,
    next_working_start,
    start_of_previous_working_day,
    working_time_between,
)

# How many working days after a held appointment its follow-up may be planned for.
NEXT_STEP_WORKING_DAYS = 2


def meeting_reminder_due(meeting_at: dt.datetime, *, now: dt.datetime, hours: WorkingHours) -> dt.datetime:
    """The call and the email before an appointment: the start of the owner's previous working day, or
    now when the appointment is too close for that (a meeting booked at 11:00 for 14:00)."""
    return max(start_of_previous_working_day(meeting_at, hours), now)


def info_request_deadline(
    received_at: dt.datetime, *, response_hours: float, hours: WorkingHours
) -> dt.datetime:
    """A request that came in on Friday at 16:00 with 4 working hours to answer is due Monday at 12:00."""
    return add_working_time(received_at, dt.timedelta(hours=response_hours), hours)


def response_minutes(received_at: dt.datetime, answered_at: dt.datetime, *, hours: WorkingHours) -> int:
    """Working minutes from a request to its answer; nights and weekends do not count against the rep,
    and an answer given before the request was logged counts as immediate."""
    taken = working_time_between(received_at, answered_at, hours)
    return max(0, round(taken.total_seconds() / 60))


def working_day_length(hours: WorkingHours) -> dt.timedelta:
    start = dt.datetime.combine(dt.date(2000, 1, 3), hours.starts_at)
    end = dt.datetime.combine(dt.date(2000, 1, 3), hours.ends_at)
    return end - start


def next_step_deadline(held_at: dt.datetime, *, hours: WorkingHours) -> dt.datetime:
    """By when a held appointment's follow-up must be planned for: 2 working days of the owner later."""
    return add_working_time(held_at, working_day_length(hours) * NEXT_STEP_WORKING_DAYS, hours)


def trial_check_in_due(starts: dt.datetime, ends: dt.datetime, *, hours: WorkingHours) -> dt.datetime:
    """Halfway through the trial, moved to working time (a Saturday midpoint calls on Monday)."""
    return next_working_start(starts + (ends - starts) / 2, hours)


def trial_decision_due(ends: dt.datetime, *, hours: WorkingHours) -> dt.datetime:
    """When the trial ends, or the next working moment after."""
    return next_working_start(ends, hours)
