"""Sales periods: how people type them, which days they hold, and fiscal years that start in April."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salespipe.analytics.periods import (
    MONTH,
    QUARTER,
    YEAR,
    Period,
    add_months,
    month_period,
    period_containing,
    period_parse,
)
from salespipe.core.errors import InvalidInput

APRIL = 4


# --- parsing ------------------------------------------------------------------------------------------------


def test_a_year_is_its_twelve_calendar_months_by_default() -> None:
    assert period_parse("2026") == Period(YEAR, dt.date(2026, 1, 1), dt.date(2026, 12, 31), "2026")


def test_a_quarter_is_three_months_of_the_fiscal_year() -> None:
    assert period_parse("2026-Q4") == Period(QUARTER, dt.date(2026, 10, 1), dt.date(2026, 12, 31), "2026-Q4")


def test_a_month_is_the_calendar_month_and_ends_on_its_last_day() -> None:
    assert period_parse("2026-11") == Period(MONTH, dt.date(2026, 11, 1), dt.date(2026, 11, 30), "2026-11")
    assert period_parse("2028-02").ends_on == dt.date(2028, 2, 29)


@pytest.mark.parametrize("text", ["2026-q4", " 2026-Q4 ", "\t2026-q4\n"])
def test_a_quarter_may_be_typed_in_lower_case_and_with_spaces_around(text: str) -> None:
    assert period_parse(text) == period_parse("2026-Q4")


@pytest.mark.parametrize(
    "text", ["2026-Q5", "2026-Q0", "2026-13", "2026-00", "26", "", "  ", "2026/11", "2026-1", "20261", "Q4"]
)
def test_anything_else_is_refused_with_the_forms_that_are_accepted(text: str) -> None:
    # when
    with pytest.raises(InvalidInput) as refused:
        period_parse(text)

    # then the message names the three accepted forms, and the field says it too
    assert "2026" in refused.value.message
    assert "2026-Q4" in refused.value.message
    assert "2026-11" in refused.value.message
    assert "period" in refused.value.fields


@pytest.mark.parametrize("text", ["0000", "0000-11", "9999", "9999-Q4", "9999-12"])
def test_a_year_the_calendar_cannot_hold_whole_is_refused_not_a_crash(text: str) -> None:
    with pytest.raises(InvalidInput, match="2026-Q4"):
        period_parse(text, fiscal_year_start_month=APRIL)


def test_the_earliest_and_latest_years_read_back_from_their_labels() -> None:
    for text in ("0001", "0001-Q1", "0001-01", "9998", "9998-Q4", "9998-12"):
        for start_month in (1, APRIL, 12):
            period = period_parse(text, fiscal_year_start_month=start_month)
            assert period.label == text
            assert period_parse(period.label, fiscal_year_start_month=start_month) == period


# --- fiscal years -----------------------------------------------------------------------------------------


def test_with_the_fiscal_year_starting_in_april_its_first_quarter_is_april_to_june() -> None:
    assert period_parse("2026-Q1", fiscal_year_start_month=APRIL) == Period(
        QUARTER, dt.date(2026, 4, 1), dt.date(2026, 6, 30), "2026-Q1"
    )


def test_with_the_fiscal_year_starting_in_april_a_year_runs_to_the_next_march() -> None:
    assert period_parse("2026", fiscal_year_start_month=APRIL) == Period(
        YEAR, dt.date(2026, 4, 1), dt.date(2027, 3, 31), "2026"
    )


def test_january_falls_in_the_last_quarter_of_the_fiscal_year_that_began_the_april_before() -> None:
    # when
    quarter = period_containing(dt.date(2027, 1, 15), QUARTER, fiscal_year_start_month=APRIL)

    # then
    assert quarter == Period(QUARTER, dt.date(2027, 1, 1), dt.date(2027, 3, 31), "2026-Q4")
    assert period_parse("2026-Q4", fiscal_year_start_month=APRIL) == quarter
    assert period_containing(dt.date(2027, 1, 15), YEAR, fiscal_year_start_month=APRIL).label == "2026"


def test_months_stay_calendar_months_whatever_the_fiscal_year() -> None:
    assert period_parse("2027-01", fiscal_year_start_month=APRIL) == month_period(dt.date(2027, 1, 31))


def test_a_period_knows_its_months_and_days() -> None:
    quarter = period_parse("2026-Q4")
    assert quarter.month_starts == [dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)]
    assert quarter.days == 92
    assert dt.date(2026, 12, 31) in quarter
    assert dt.date(2027, 1, 1) not in quarter


def test_adding_months_crosses_years_both_ways() -> None:
    assert add_months(dt.date(2026, 11, 27), 2) == dt.date(2027, 1, 1)
    assert add_months(dt.date(2026, 1, 31), -1) == dt.date(2025, 12, 1)


# --- any day, any kind, any fiscal year -----------------------------------------------------------------

# From the second year on: a day early in year 1 belongs to a fiscal year 0 that no date can start.
days = st.dates(min_value=dt.date(2, 1, 1), max_value=dt.date(9998, 12, 31))
kinds = st.sampled_from([MONTH, QUARTER, YEAR])
start_months = st.integers(min_value=1, max_value=12)


@given(day=days, kind=kinds, start_month=start_months)
def test_the_period_containing_a_day_holds_it_in_consecutive_months_and_reads_back_from_its_label(
    day: dt.date, kind: str, start_month: int
) -> None:
    # when
    period = period_containing(day, kind, fiscal_year_start_month=start_month)

    # then it contains the day
    assert day in period
    assert period.kind == kind

    # and its months follow one another from its first day to the day after its last
    months = period.month_starts
    assert months[0] == period.starts_on
    assert all(add_months(earlier, 1) == later for earlier, later in itertools.pairwise(months))
    assert add_months(months[-1], 1) == period.ends_on + dt.timedelta(days=1)
    assert len(months) == {MONTH: 1, QUARTER: 3, YEAR: 12}[kind]

    # and what people would type for it names the same period
    assert period_parse(period.label, fiscal_year_start_month=start_month) == period
    assert period_parse(period.label.lower(), fiscal_year_start_month=start_month) == period
