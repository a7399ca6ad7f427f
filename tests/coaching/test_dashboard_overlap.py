"""The team dashboard's working-hours overlap and weeks: pure functions of working hours and clocks."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from salespipe.coaching.dashboard import Overlap, week_bounds, working_hours_overlap
from salespipe.core.business_time import MONDAY_TO_FRIDAY, WorkingHours, working_time_between
from tests.unit.test_business_time import working_hours

ATHENS = ZoneInfo("Europe/Athens")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
SINGAPORE = ZoneInfo("Asia/Singapore")
LONDON = ZoneInfo("Europe/London")


def hours(
    zone: ZoneInfo, starts: int = 9, ends: int = 17, weekdays: frozenset[int] = MONDAY_TO_FRIDAY
) -> WorkingHours:
    return WorkingHours(zone=zone, starts_at=dt.time(starts), ends_at=dt.time(ends), weekdays=weekdays)


def stretches(overlap: Overlap) -> list[tuple[str, str]]:
    return [(f"{start:%a %H:%M}", f"{end:%a %H:%M}") for start, end in overlap.windows]


def test_a_manager_in_athens_shares_the_last_hour_of_the_day_with_a_rep_in_new_york() -> None:
    # given: Friday 27 November 2026, Athens at UTC+2 and New York at UTC-5

    # when
    overlap = working_hours_overlap(hours(ATHENS), hours(NEW_YORK), day=dt.date(2026, 11, 27))

    # then: 09:00 in New York is 16:00 in Athens
    assert stretches(overlap) == [("Fri 16:00", "Fri 17:00")]
    assert overlap.total == dt.timedelta(hours=1)
    assert all(start.tzinfo == ATHENS for start, _end in overlap.windows)


def test_the_overlap_follows_each_zones_own_clock_change() -> None:
    # given: Wednesday 28 October 2026, Europe is back on winter time but the US not yet (until 1 November)

    # when
    overlap = working_hours_overlap(hours(ATHENS), hours(NEW_YORK), day=dt.date(2026, 10, 28))

    # then: six hours apart for that week, so two hours shared
    assert stretches(overlap) == [("Wed 15:00", "Wed 17:00")]


def test_people_in_the_same_zone_with_the_same_hours_share_the_whole_day() -> None:
    overlap = working_hours_overlap(hours(ATHENS), hours(ATHENS, 10, 18), day=dt.date(2026, 11, 27))

    assert stretches(overlap) == [("Fri 10:00", "Fri 17:00")]
    assert overlap.total == dt.timedelta(hours=7)


def test_nothing_is_shared_on_my_day_off() -> None:
    overlap = working_hours_overlap(hours(ATHENS), hours(ATHENS), day=dt.date(2026, 11, 28))

    assert overlap.windows == ()
    assert overlap.total == dt.timedelta(0)


def test_nothing_is_shared_when_my_working_day_falls_on_their_weekend() -> None:
    # given: Friday 11:00-17:00 in New York is Saturday 00:00-06:00 in Singapore, where the rep works
    # 00:00-23:00, from Monday to Friday or, another week, to Saturday
    manager = hours(NEW_YORK, 11, 17)
    friday = dt.date(2026, 11, 27)

    # when
    weekdays_only = working_hours_overlap(manager, hours(SINGAPORE, 0, 23), day=friday)
    with_saturday = working_hours_overlap(
        manager, hours(SINGAPORE, 0, 23, weekdays=frozenset(range(1, 7))), day=friday
    )

    # then
    assert weekdays_only.total == dt.timedelta(0)
    assert with_saturday.total == dt.timedelta(hours=6)


def test_their_next_morning_can_overlap_my_afternoon() -> None:
    # given: a rep in Tokyo starting at 06:00 on Friday, which is Thursday 16:00 in New York

    # when
    overlap = working_hours_overlap(hours(NEW_YORK), hours(TOKYO, 6, 15), day=dt.date(2026, 11, 26))

    # then: the shared hour is on my Thursday, from their Friday
    assert stretches(overlap) == [("Thu 16:00", "Thu 17:00")]


def test_a_long_day_can_meet_two_of_their_working_days() -> None:
    # given: a manager in London working 00:30-23:30 on Tuesday, a rep in Tokyo (UTC+9) working 06:00-10:00
    manager = WorkingHours(
        zone=LONDON, starts_at=dt.time(0, 30), ends_at=dt.time(23, 30), weekdays=MONDAY_TO_FRIDAY
    )

    # when
    overlap = working_hours_overlap(manager, hours(TOKYO, 6, 10), day=dt.date(2026, 11, 24))

    # then: the end of their Tuesday morning and the start of their Wednesday morning
    assert stretches(overlap) == [("Tue 00:30", "Tue 01:00"), ("Tue 21:00", "Tue 23:30")]
    assert overlap.total == dt.timedelta(hours=3)


days = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2030, 12, 31))


@settings(max_examples=300, deadline=None)
@given(mine=working_hours(), theirs=working_hours(), day=days)
def test_the_shared_time_is_their_working_time_within_my_working_day(
    mine: WorkingHours, theirs: WorkingHours, day: dt.date
) -> None:
    # when
    overlap = working_hours_overlap(mine, theirs, day=day)

    # then: each stretch lies inside my working day, in order, and adds up to what the working-time rules
    # count for them between the start and the end of my day
    my_start = dt.datetime.combine(day, mine.starts_at, tzinfo=mine.zone)
    my_end = dt.datetime.combine(day, mine.ends_at, tzinfo=mine.zone)
    if day.isoweekday() not in mine.weekdays or my_start.astimezone(dt.UTC) >= my_end.astimezone(dt.UTC):
        assert overlap.windows == ()
        return
    for start, end in overlap.windows:
        assert my_start.astimezone(dt.UTC) <= start.astimezone(dt.UTC) < end.astimezone(dt.UTC)
        assert end.astimezone(dt.UTC) <= my_end.astimezone(dt.UTC)
    assert overlap.total == working_time_between(my_start, my_end, theirs)


# --- weeks ------------------------------------------------------------------------------------------------


def test_a_week_starts_on_monday_at_midnight_on_the_persons_own_clock() -> None:
    # given: Sunday 29 November 2026 at 23:30 in Athens is still Sunday 16:30 in New York, and already
    # Monday 05:30 in Singapore
    now = dt.datetime(2026, 11, 29, 21, 30, tzinfo=dt.UTC)

    # when
    athens, new_york, singapore = (week_bounds(now, zone) for zone in (ATHENS, NEW_YORK, SINGAPORE))

    # then
    assert athens == (
        dt.datetime(2026, 11, 23, tzinfo=ATHENS),
        dt.datetime(2026, 11, 30, tzinfo=ATHENS),
        dt.datetime(2026, 12, 7, tzinfo=ATHENS),
    )
    assert new_york[0] == dt.datetime(2026, 11, 23, tzinfo=NEW_YORK)
    assert singapore[0] == dt.datetime(2026, 11, 30, tzinfo=SINGAPORE)
