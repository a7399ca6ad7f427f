"""When the follow-up engine's tasks fall due: pure rules, no database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from salespipe.activities.followups import (
    info_request_deadline,
    meeting_reminder_due,
    next_step_deadline,
    response_minutes,
    trial_check_in_due,
    trial_decision_due,
)
from salespipe.core.business_time import WorkingHours

ATHENS = ZoneInfo("Europe/Athens")
NINE_TO_FIVE = WorkingHours(
    zone=ATHENS, starts_at=dt.time(9), ends_at=dt.time(17), weekdays=frozenset({1, 2, 3, 4, 5})
)


def athens(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    # November 2026: the 27th is a Friday, the 30th a Monday.
    return dt.datetime(2026, month, day, hour, minute, tzinfo=ATHENS)


def test_a_monday_meeting_is_prepared_on_friday_morning() -> None:
    assert meeting_reminder_due(athens(30, 10), now=athens(25, 12), hours=NINE_TO_FIVE) == athens(27, 9)


def test_a_meeting_too_close_for_the_day_before_is_prepared_at_once() -> None:
    now = athens(27, 11)
    assert meeting_reminder_due(athens(27, 14), now=now, hours=NINE_TO_FIVE) == now
    # booked on Friday afternoon for Monday: the Friday start has passed, so at once too
    assert meeting_reminder_due(athens(30, 10), now=athens(27, 15), hours=NINE_TO_FIVE) == athens(27, 15)


def test_a_request_on_friday_afternoon_is_due_on_monday() -> None:
    deadline = info_request_deadline(athens(27, 16), response_hours=4, hours=NINE_TO_FIVE)
    assert deadline == athens(30, 12)
    assert info_request_deadline(athens(28, 20), response_hours=4, hours=NINE_TO_FIVE) == athens(30, 13)


def test_response_time_counts_working_minutes_only() -> None:
    assert response_minutes(athens(27, 16), athens(30, 10), hours=NINE_TO_FIVE) == 120
    assert response_minutes(athens(27, 16), athens(27, 16, 45), hours=NINE_TO_FIVE) == 45
    # answered (by phone) before the request was typed in: immediate, never negative
    assert response_minutes(athens(27, 16), athens(27, 15), hours=NINE_TO_FIVE) == 0


def test_the_next_step_is_due_within_two_working_days() -> None:
    assert next_step_deadline(athens(26, 15), hours=NINE_TO_FIVE) == athens(30, 15)
    assert next_step_deadline(athens(27, 18), hours=NINE_TO_FIVE) == athens(1, 17, month=12)


def test_a_trial_is_checked_halfway_and_decided_at_its_end() -> None:
    starts, ends = athens(23, 9), athens(7, 9, month=12)
    assert trial_check_in_due(starts, ends, hours=NINE_TO_FIVE) == athens(30, 9)
    assert trial_decision_due(ends, hours=NINE_TO_FIVE) == ends
    # a trial ending on a Saturday is decided on Monday morning
    assert trial_decision_due(athens(28, 12), hours=NINE_TO_FIVE) == athens(30, 9)


@given(
    meeting_offset=st.integers(min_value=1, max_value=60 * 24 * 30),
    now_offset=st.integers(min_value=0, max_value=60 * 24 * 30),
)
def test_the_reminder_is_never_in_the_past_nor_after_the_meeting(
    meeting_offset: int, now_offset: int
) -> None:
    now = athens(2, 0, month=11) + dt.timedelta(minutes=now_offset)
    meeting = now + dt.timedelta(minutes=meeting_offset)
    due = meeting_reminder_due(meeting, now=now, hours=NINE_TO_FIVE)
    assert now <= due < meeting
