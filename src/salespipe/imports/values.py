"""Cell values as people and other CRMs write them: money and dates (issue 7, docs/import.md).

Pure functions. Each returns the value or raises `ValueError` with a reason a person can act on; the importer
turns that into a per-row error (row, column, value, why) and goes on with the other rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import list_currencies

# Symbols and codes a money cell may carry around its number.
CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF"}
_CODE = re.compile(r"\b([A-Z]{3})\b")
_ISO_CODES = frozenset(list_currencies())
# What is left of "nothing" once symbols and spaces are gone: accounting's dash for zero, or empty.
_EMPTY = {"", "-", "–", "—"}
_SPACES = re.compile(r"[\s\u00a0\u202f']")


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str | None  # the ISO code when the cell names one (`€`, `EUR`, `$`), else None


def parse_money(text: str) -> Money | None:
    """`" $431,370 "` → 431370 USD; `"1.234,56 €"` → 1234.56 EUR; `"(500)"` → -500; `"$-"` or `""` → None.

    Separators: with both `.` and `,`, the last one is the decimal point; with one kind repeated, they group
    thousands; a single one followed by exactly three digits groups thousands (`1,234`, `1.234`), by one or
    two digits it is the decimal point (`12,5`, `12.50`). Spaces, non-breaking spaces and `'` group too.
    Parentheses or a minus sign (before or after) make it negative."""
    raw = text.strip()
    if raw.isascii() and raw.isdigit():  # most cells of most files: a plain whole amount
        return Money(Decimal(raw), None)
    currency = None
    for symbol, code in CURRENCY_SYMBOLS.items():
        if symbol in raw:
            currency = code
            raw = raw.replace(symbol, "")
    if (found := _CODE.search(raw.upper())) is not None and found.group(1) in _ISO_CODES:
        currency = found.group(1)
        raw = re.sub(found.group(1), "", raw, flags=re.IGNORECASE)
    negative = False
    raw = raw.strip()
    if raw.startswith("(") and raw.endswith(")"):
        negative, raw = True, raw[1:-1]
    raw = _SPACES.sub("", raw)
    if raw.endswith("-") and len(raw) > 1:
        negative, raw = True, raw[:-1]
    if raw.startswith("-") and len(raw) > 1:
        negative, raw = not negative, raw[1:]
    if raw in _EMPTY:
        return None
    number = _normalised_number(raw, text)
    try:
        amount = Decimal(number)
    except InvalidOperation:
        raise ValueError(
            f"'{text.strip()}' is not an amount of money (e.g. 1234.50, 1.234,50 €, $1,234)"
        ) from None
    return Money(-amount if negative else amount, currency)


def _normalised_number(raw: str, text: str) -> str:
    if not re.fullmatch(r"[0-9.,]+", raw) or not re.search(r"[0-9]", raw):
        raise ValueError(f"'{text.strip()}' is not an amount of money (e.g. 1234.50, 1.234,50 €, $1,234)")
    dots, commas = raw.count("."), raw.count(",")
    if dots and commas:
        decimal = "." if raw.rfind(".") > raw.rfind(",") else ","
        grouping = "," if decimal == "." else "."
        return raw.replace(grouping, "").replace(decimal, ".")
    separator = "." if dots else "," if commas else ""
    if not separator:
        return raw
    if raw.count(separator) > 1:
        return raw.replace(separator, "")
    whole, fraction = raw.split(separator)
    if len(fraction) == 3 and whole:
        return whole + fraction  # 1,234 or 1.234: thousands
    return f"{whole or '0'}.{fraction}"


# --- dates ------------------------------------------------------------------------------------------------

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?")
_PARTS = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[T ].*)?")


def _year(text: str, today: dt.date) -> int:
    """A two-digit year is the one within ten years ahead of today, else the century before."""
    if len(text) == 4:
        return int(text)
    year = 2000 + int(text)
    return year if year <= today.year + 10 else year - 100


class _Unreadable(ValueError):
    """A date refused for how it is written (not for a day the calendar lacks)."""


def parse_date(text: str, *, day_first: bool | None = None, today: dt.date | None = None) -> dt.date | None:
    """`2026-11-27` (a time after it is ignored), `11/27/26` or `27/11/2026` (also with `.` or `-`) → a
    date; empty → None. A date like `03/04/2026` is either; `day_first` decides, and without it the value
    is refused as ambiguous (see `detect_day_first`)."""
    raw = text.strip()
    if not raw:
        return None
    today = today or dt.datetime.now(dt.UTC).date()
    try:
        if (iso := _ISO.fullmatch(raw)) is not None:
            return dt.date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        parts = _PARTS.fullmatch(raw)
        if parts is None:
            raise _Unreadable(f"'{raw}' is not a date (write 2026-11-27, 27/11/2026 or 11/27/2026)")
        first, second, year = int(parts.group(1)), int(parts.group(2)), _year(parts.group(3), today)
        if first > 12 and second <= 12:
            return dt.date(year, second, first)
        if second > 12 and first <= 12:
            return dt.date(year, first, second)
        if first == second:
            return dt.date(year, first, second)
        if day_first is None:
            raise _Unreadable(
                f"'{raw}' could be day/month or month/day; say which the file uses (day-first or month-first)"
            )
        return dt.date(year, second, first) if day_first else dt.date(year, first, second)
    except _Unreadable:
        raise
    except ValueError as error:  # from dt.date: 31 February and the like
        raise ValueError(f"'{raw}' is not a date in the calendar ({error})") from None


def detect_day_first(values: Iterable[str]) -> bool | None:
    """Whether a column's dates put the day first, from the values that can only be read one way (a first
    part above 12: day first; a second part above 12: month first); None when none tells. A column that
    has both kinds mixes the two orders, which no setting can read: ValueError."""
    day_first = month_first = False
    for text in values:
        parts = _PARTS.fullmatch(text.strip())
        if parts is None:
            continue
        first, second = int(parts.group(1)), int(parts.group(2))
        day_first |= first > 12 >= second
        month_first |= second > 12 >= first
    if day_first and month_first:
        raise ValueError("the column mixes day-first and month-first dates (both 27/11 and 11/27 appear)")
    return True if day_first else False if month_first else None
