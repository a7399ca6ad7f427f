"""Working-time rules: the day before a meeting, deadlines in working hours, response times."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salespipe.core.business_time import (
    MONDAY_TO_FRIDAY,
    WorkingHours,
    add_working_time,
    is_working_time,
    next_working_start,
    start_of_previous_working_day,
    working_time_between,
)

UTC = dt.UTC
ATHENS = ZoneInfo("Europe/Athens")
SINGAPORE = ZoneInfo("Asia/Singapore")
NEW_YORK = ZoneInfo("America/New_York")


def nine_to_five(zone: ZoneInfo) -> WorkingHours:
    return WorkingHours(zone=zone, starts_at=dt.time(9), ends_at=dt.time(17), weekdays=MONDAY_TO_FRIDAY)


def at(zone: ZoneInfo, *parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=zone)


def utc(moment: dt.datetime) -> dt.datetime:
    # Aware datetimes that share a tzinfo compare by wall clock, so an hour repeated when the clocks go
    # back would compare equal to its twin; instants are compared in UTC.
    return moment.astimezone(UTC)


# --- examples -----------------------------------------------------------------------------------------------


def test_the_working_day_before_a_monday_meeting_is_the_friday_at_the_start_of_the_day() -> None:
    # given a meeting on Monday 2026-03-02 at 10:00 in Athens
    meeting = at(ATHENS, 2026, 3, 2, 10, 0)

    # when
    due = start_of_previous_working_day(meeting, nine_to_five(ATHENS))

    # then
    assert due == at(ATHENS, 2026, 2, 27, 9, 0)
    assert due.tzinfo == ATHENS


def test_the_working_day_before_a_wednesday_meeting_is_the_tuesday() -> None:
    meeting = at(SINGAPORE, 2026, 3, 4, 15, 30)

    assert start_of_previous_working_day(meeting, nine_to_five(SINGAPORE)) == at(SINGAPORE, 2026, 3, 3, 9)


def test_the_day_before_is_reckoned_on_the_owners_clock_east_and_west_of_utc() -> None:
    # given one instant: Tuesday 01:00 UTC is Tuesday 09:00 in Singapore but Monday 20:00 in New York
    meeting = dt.datetime(2026, 3, 3, 1, 0, tzinfo=UTC)

    # then in Singapore the day before is Monday; in New York the day before Monday is the Friday
    assert start_of_previous_working_day(meeting, nine_to_five(SINGAPORE)) == at(SINGAPORE, 2026, 3, 2, 9)
    assert start_of_previous_working_day(meeting, nine_to_five(NEW_YORK)) == at(NEW_YORK, 2026, 2, 27, 9)


def test_the_day_before_across_the_spring_clock_change_starts_at_nine_on_the_wall_clock() -> None:
    # given New York moves its clocks forward on Sunday 2026-03-08; the Friday before is still winter time
    meeting = at(NEW_YORK, 2026, 3, 9, 10, 0)

    # when
    due = start_of_previous_working_day(meeting, nine_to_five(NEW_YORK))

    # then 09:00 local on the Friday is 14:00 UTC (EST), while the Monday's 09:00 is 13:00 UTC (EDT)
    assert due.astimezone(UTC) == dt.datetime(2026, 3, 6, 14, 0, tzinfo=UTC)
    assert next_working_start(meeting.replace(hour=8), nine_to_five(NEW_YORK)).astimezone(UTC) == (
        dt.datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    )


def test_a_personal_working_week_is_respected() -> None:
    # given a rep who works Sunday to Thursday, 08:30-16:30
    hours = WorkingHours(
        zone=ATHENS, starts_at=dt.time(8, 30), ends_at=dt.time(16, 30), weekdays=frozenset({7, 1, 2, 3, 4})
    )

    # then the working day before a Sunday meeting is the Thursday, and before a Monday one the Sunday
    assert start_of_previous_working_day(at(ATHENS, 2026, 3, 8, 11), hours) == at(ATHENS, 2026, 3, 5, 8, 30)
    assert start_of_previous_working_day(at(ATHENS, 2026, 3, 9, 11), hours) == at(ATHENS, 2026, 3, 8, 8, 30)


def test_four_working_hours_from_friday_afternoon_end_on_monday_at_noon() -> None:
    friday_four_pm = at(ATHENS, 2026, 3, 6, 16, 0)

    deadline = add_working_time(friday_four_pm, dt.timedelta(hours=4), nine_to_five(ATHENS))

    assert deadline == at(ATHENS, 2026, 3, 9, 12, 0)


def test_working_time_started_outside_working_hours_begins_at_the_next_working_start() -> None:
    # given a request logged on Saturday evening in Singapore
    saturday = at(SINGAPORE, 2026, 3, 7, 20, 0)

    # then four working hours run from Monday 09:00
    assert add_working_time(saturday, dt.timedelta(hours=4), nine_to_five(SINGAPORE)) == at(
        SINGAPORE, 2026, 3, 9, 13, 0
    )
    # and a request logged before the day starts counts from 09:00 the same day
    early = at(SINGAPORE, 2026, 3, 10, 7, 15)
    assert add_working_time(early, dt.timedelta(minutes=90), nine_to_five(SINGAPORE)) == at(
        SINGAPORE, 2026, 3, 10, 10, 30
    )


def test_working_time_that_fills_the_day_exactly_ends_at_the_end_of_the_day() -> None:
    assert add_working_time(
        at(NEW_YORK, 2026, 3, 10, 13), dt.timedelta(hours=4), nine_to_five(NEW_YORK)
    ) == at(NEW_YORK, 2026, 3, 10, 17)


def test_working_time_across_the_autumn_clock_change_counts_wall_clock_hours() -> None:
    # given Athens moves its clocks back on Sunday 2026-10-25 (a 25-hour day, but nobody works on it)
    friday = at(ATHENS, 2026, 10, 23, 15, 0)
    monday = at(ATHENS, 2026, 10, 26, 11, 0)

    # then Friday 15-17 and Monday 09-11 are four working hours, not five
    assert working_time_between(friday, monday, nine_to_five(ATHENS)) == dt.timedelta(hours=4)
    assert add_working_time(friday, dt.timedelta(hours=4), nine_to_five(ATHENS)) == monday


def test_working_time_on_the_night_of_a_clock_change_when_people_work_through_it() -> None:
    # given a 24/7 support desk in New York, on the Sunday the clocks go forward (02:00 → 03:00)
    desk = WorkingHours(zone=NEW_YORK, starts_at=dt.time(0), ends_at=dt.time(23, 59), weekdays=frozenset({7}))
    sunday = at(NEW_YORK, 2026, 3, 8, 0, 0)

    # then the working day lasts 22 h 59 min of real time, and three hours from midnight are 04:00
    assert working_time_between(sunday, at(NEW_YORK, 2026, 3, 8, 23, 59), desk) == dt.timedelta(
        hours=22, minutes=59
    )
    assert add_working_time(sunday, dt.timedelta(hours=3), desk) == at(NEW_YORK, 2026, 3, 8, 4, 0)


def test_working_time_between_friday_afternoon_and_monday_morning() -> None:
    hours = nine_to_five(SINGAPORE)
    friday = at(SINGAPORE, 2026, 3, 6, 16, 0)
    monday = at(SINGAPORE, 2026, 3, 9, 10, 0)

    assert working_time_between(friday, monday, hours) == dt.timedelta(hours=2)
    assert working_time_between(monday, friday, hours) == -dt.timedelta(hours=2)
    assert working_time_between(friday, friday, hours) == dt.timedelta(0)


def test_next_working_start_during_working_hours_is_now() -> None:
    hours = nine_to_five(NEW_YORK)
    tuesday_noon = at(NEW_YORK, 2026, 3, 10, 12, 0)

    assert next_working_start(tuesday_noon, hours) == tuesday_noon
    assert next_working_start(at(NEW_YORK, 2026, 3, 10, 17, 0), hours) == at(NEW_YORK, 2026, 3, 11, 9, 0)
    assert next_working_start(at(NEW_YORK, 2026, 3, 13, 18, 0), hours) == at(NEW_YORK, 2026, 3, 16, 9, 0)


def test_is_working_time_includes_the_start_and_excludes_the_end() -> None:
    hours = nine_to_five(ATHENS)

    assert is_working_time(at(ATHENS, 2026, 3, 10, 9, 0), hours)
    assert not is_working_time(at(ATHENS, 2026, 3, 10, 17, 0), hours)
    assert not is_working_time(at(ATHENS, 2026, 3, 8, 12, 0), hours)  # a Sunday


def test_naive_datetimes_and_impossible_hours_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_working_start(dt.datetime(2026, 3, 10, 12), nine_to_five(ATHENS))  # noqa: DTZ001
    with pytest.raises(ValueError, match="start before it ends"):
        WorkingHours(zone=ATHENS, starts_at=dt.time(17), ends_at=dt.time(9), weekdays=MONDAY_TO_FRIDAY)
    with pytest.raises(ValueError, match="ISO weekday"):
        WorkingHours(zone=ATHENS, starts_at=dt.time(9), ends_at=dt.time(17), weekdays=frozenset({0}))
    with pytest.raises(ValueError, match="negative"):
        add_working_time(at(ATHENS, 2026, 3, 10, 9), -dt.timedelta(hours=1), nine_to_five(ATHENS))


def test_working_hours_parse_the_way_users_store_them() -> None:
    hours = WorkingHours.parse(
        zone="Asia/Singapore", starts_at=dt.time(8), ends_at=dt.time(16), weekdays="135"
    )

    assert hours == WorkingHours(
        zone=SINGAPORE, starts_at=dt.time(8), ends_at=dt.time(16), weekdays=frozenset({1, 3, 5})
    )


# --- properties ---------------------------------------------------------------------------------------------

ZONES = [
    "UTC",
    "Europe/Athens",
    "Asia/Singapore",
    "America/New_York",
    "Australia/Lord_Howe",  # a half-hour clock change
    "Asia/Kathmandu",  # a +05:45 offset
    "Pacific/Chatham",
]


@st.composite
def working_hours(draw: st.DrawFn) -> WorkingHours:
    start_minute = draw(st.integers(min_value=0, max_value=22 * 60))
    end_minute = draw(st.integers(min_value=start_minute + 30, max_value=24 * 60 - 1))
    return WorkingHours(
        zone=ZoneInfo(draw(st.sampled_from(ZONES))),
        starts_at=dt.time(start_minute // 60, start_minute % 60),
        ends_at=dt.time(end_minute // 60, end_minute % 60),
        weekdays=frozenset(draw(st.sets(st.integers(min_value=1, max_value=7), min_size=1))),
    )


moments = st.datetimes(
    min_value=dt.datetime(2024, 1, 1),  # noqa: DTZ001 - hypothesis adds the zone
    max_value=dt.datetime(2030, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
durations = st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=30))


def inside_working_hours(moment: dt.datetime, hours: WorkingHours) -> bool:
    """Within a working day, its end included (a deadline may fall at 17:00 sharp)."""
    local = moment.astimezone(hours.zone)
    if local.isoweekday() not in hours.weekdays:
        return False
    day = local.date()
    start = dt.datetime.combine(day, hours.starts_at, tzinfo=hours.zone).astimezone(UTC)
    end = dt.datetime.combine(day, hours.ends_at, tzinfo=hours.zone).astimezone(UTC)
    return start <= moment.astimezone(UTC) <= end


@settings(max_examples=300, deadline=None)
@given(hours=working_hours(), start=moments, duration=durations)
def test_added_working_time_always_ends_inside_working_hours(
    hours: WorkingHours, start: dt.datetime, duration: dt.timedelta
) -> None:
    assert inside_working_hours(add_working_time(start, duration, hours), hours)


@settings(max_examples=300, deadline=None)
@given(hours=working_hours(), start=moments, duration=durations)
def test_the_working_time_between_a_start_and_its_deadline_is_the_time_added(
    hours: WorkingHours, start: dt.datetime, duration: dt.timedelta
) -> None:
    assert working_time_between(start, add_working_time(start, duration, hours), hours) == duration


@settings(max_examples=200, deadline=None)
@given(hours=working_hours(), start=moments, shorter=durations, longer=durations)
def test_adding_more_working_time_never_gives_an_earlier_deadline(
    hours: WorkingHours, start: dt.datetime, shorter: dt.timedelta, longer: dt.timedelta
) -> None:
    shorter, longer = sorted((shorter, longer))

    assert utc(add_working_time(start, shorter, hours)) <= utc(add_working_time(start, longer, hours))


@settings(max_examples=200, deadline=None)
@given(hours=working_hours(), earlier=moments, later=moments)
def test_a_later_start_never_gives_an_earlier_deadline(
    hours: WorkingHours, earlier: dt.datetime, later: dt.datetime
) -> None:
    earlier, later = sorted((earlier, later))

    four_hours = dt.timedelta(hours=4)

    assert utc(add_working_time(earlier, four_hours, hours)) <= utc(
        add_working_time(later, four_hours, hours)
    )


@settings(max_examples=300, deadline=None)
@given(hours=working_hours(), moment=moments)
def test_the_next_working_start_is_working_time_and_nothing_before_it_is(
    hours: WorkingHours, moment: dt.datetime
) -> None:
    start = next_working_start(moment, hours)

    assert start >= moment
    assert is_working_time(start, hours)
    assert working_time_between(moment, start, hours) == dt.timedelta(0)


@settings(max_examples=300, deadline=None)
@given(hours=working_hours(), moment=moments)
def test_the_previous_working_day_starts_on_an_earlier_date_on_a_working_weekday(
    hours: WorkingHours, moment: dt.datetime
) -> None:
    due = start_of_previous_working_day(moment, hours)

    assert due < moment
    assert due.astimezone(hours.zone).date() < moment.astimezone(hours.zone).date()
    assert due.astimezone(hours.zone).isoweekday() in hours.weekdays
    assert is_working_time(due, hours)
    # and no working day lies between it and the moment's own date
    days_between = (moment.astimezone(hours.zone).date() - due.astimezone(hours.zone).date()).days
    skipped = {
        (due.astimezone(hours.zone).date() + dt.timedelta(days=offset)).isoweekday()
        for offset in range(1, days_between)
    }
    assert not skipped & hours.weekdays


@settings(max_examples=200, deadline=None)
@given(hours=working_hours(), a=moments, b=moments, c=moments)
def test_working_time_adds_up_over_consecutive_spans(
    hours: WorkingHours, a: dt.datetime, b: dt.datetime, c: dt.datetime
) -> None:
    assert working_time_between(a, b, hours) + working_time_between(b, c, hours) == working_time_between(
        a, c, hours
    )
