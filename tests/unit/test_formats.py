"""Greek times read on a 24-hour clock."""

import datetime as dt

from django.utils import formats, translation


def test_greek_times_use_the_24_hour_clock_and_dates_day_first() -> None:
    moment = dt.datetime(2026, 12, 31, 15, 5)  # noqa: DTZ001 - formatting only

    with translation.override("el"):
        assert formats.date_format(moment, "DATETIME_FORMAT") == "31/12/2026 15:05"
        assert formats.time_format(moment.time()) == "15:05"
    with translation.override("en"):
        assert formats.time_format(moment.time()) == "3:05 p.m."
