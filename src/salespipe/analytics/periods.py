"""Sales periods: months, fiscal quarters and fiscal years, named the way people type them.

Pure functions over dates. A fiscal year is named by the calendar year it starts in: with the fiscal
year starting in April, `2026` is April 2026 – March 2027 and `2026-Q1` is April–June 2026. Months are
calendar months whatever the fiscal year (`2026-11` is November 2026).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from salespipe.core.errors import InvalidInput

MONTH, QUARTER, YEAR = "month", "quarter", "year"
_MONTHS_IN = {MONTH: 1, QUARTER: 3, YEAR: 12}
_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|(?P<month>\d{2})))?$")
# A fiscal year starting in any month must end before the last day `datetime.date` holds.
_YEARS = range(1, 9999)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after `day`'s month (`day` is taken as its month)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    kind: str  # MONTH, QUARTER or YEAR
    starts_on: dt.date
    ends_on: dt.date  # the last day, inclusive
    label: str  # "2026", "2026-Q4" or "2026-11"

    @property
    def month_starts(self) -> list[dt.date]:
        """The first day of each month in the period."""
        return [add_months(self.starts_on, offset) for offset in range(_MONTHS_IN[self.kind])]

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.starts_on <= day <= self.ends_on


def _span(kind: str, starts_on: dt.date, label: str) -> Period:
    return Period(kind, starts_on, add_months(starts_on, _MONTHS_IN[kind]) - dt.timedelta(days=1), label)


def month_period(day: dt.date) -> Period:
    """The calendar month containing `day`."""
    return _span(MONTH, dt.date(day.year, day.month, 1), f"{day.year:04d}-{day.month:02d}")


def period_containing(day: dt.date, kind: str, *, fiscal_year_start_month: int = 1) -> Period:
    """The month, fiscal quarter or fiscal year that `day` falls in."""
    if kind == MONTH:
        return month_period(day)
    months_into_year = (day.month - fiscal_year_start_month) % 12
    fiscal_year = day.year if day.month >= fiscal_year_start_month else day.year - 1
    year_start = dt.date(fiscal_year, fiscal_year_start_month, 1)
    if kind == YEAR:
        return _span(YEAR, year_start, f"{fiscal_year:04d}")
    if kind == QUARTER:
        quarter = months_into_year // 3
        return _span(QUARTER, add_months(year_start, quarter * 3), f"{fiscal_year:04d}-Q{quarter + 1}")
    raise ValueError(f"unknown period kind {kind!r}")


def period_parse(text: str, *, fiscal_year_start_month: int = 1) -> Period:
    """`2026`, `2026-Q4` or `2026-11` as a period; anything else is refused with how to write it."""
    match = _PATTERN.match((text or "").strip().upper())
    month = int(match["month"]) if match and match["month"] else None
    if match is None or int(match["year"]) not in _YEARS or (month is not None and not 1 <= month <= 12):
        raise InvalidInput(
            _("'%(text)s' is not a period; write a year (2026), a quarter (2026-Q4) or a month (2026-11).")
            % {"text": text},
            fields={"period": _("use YYYY, YYYY-Qn or YYYY-MM")},
        )
    year = int(match["year"])
    if month is not None:
        return month_period(dt.date(year, month, 1))
    year_start = dt.date(year, fiscal_year_start_month, 1)
    if match["quarter"]:
        return period_containing(
            add_months(year_start, (int(match["quarter"]) - 1) * 3),
            QUARTER,
            fiscal_year_start_month=fiscal_year_start_month,
        )
    return period_containing(year_start, YEAR, fiscal_year_start_month=fiscal_year_start_month)
