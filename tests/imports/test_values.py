"""Money and dates as other CRMs and spreadsheets write them (`imports/values.py`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salespipe.imports.values import Money, detect_day_first, parse_date, parse_money

TODAY = dt.date(2026, 11, 27)


@pytest.mark.parametrize(
    ("text", "money"),
    [
        (" $431,370 ", Money(Decimal("431370"), "USD")),
        ("1.234,56 €", Money(Decimal("1234.56"), "EUR")),
        ("€1,234.56", Money(Decimal("1234.56"), "EUR")),
        ("(500)", Money(Decimal("-500"), None)),
        ("-1 234,5 EUR", Money(Decimal("-1234.5"), "EUR")),
        ("1234-", Money(Decimal("-1234"), None)),
        ("12,50", Money(Decimal("12.50"), None)),
        ("1.234.567", Money(Decimal("1234567"), None)),
        ("1'234.50 CHF", Money(Decimal("1234.50"), "CHF")),
        ("\u00a01\u00a0234,00\u00a0€", Money(Decimal("1234.00"), "EUR")),
        ("USD 99", Money(Decimal("99"), "USD")),
        ("0.5", Money(Decimal("0.5"), None)),
    ],
)
def test_money_in_the_forms_people_write_it(text: str, money: Money) -> None:
    assert parse_money(text) == money


@pytest.mark.parametrize("text", ["", "   ", "$-", "-", "€ —"])
def test_an_empty_or_dashed_money_cell_is_no_amount(text: str) -> None:
    assert parse_money(text) is None


@pytest.mark.parametrize("text", ["abc", "12 apples", "1,2,3.4.5x", "12.34.56,7,8"])
def test_what_is_not_money_is_refused_with_examples_of_what_is(text: str) -> None:
    with pytest.raises(ValueError, match="is not an amount of money"):
        parse_money(text)


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_any_amount_written_the_american_or_the_european_way_reads_back(amount: Decimal) -> None:
    whole, cents = f"{abs(amount):,.2f}".split(".")
    sign = "-" if amount < 0 else ""
    american = f"{sign}${whole}.{cents}"
    european = f"{sign}{whole.replace(',', '.')},{cents} €"

    assert parse_money(american) == Money(amount, "USD")
    assert parse_money(european) == Money(amount, "EUR")


@pytest.mark.parametrize(
    ("text", "day_first", "day"),
    [
        ("2026-11-27", None, dt.date(2026, 11, 27)),
        ("2026-11-27T09:30:00Z", None, dt.date(2026, 11, 27)),
        ("11/27/26", None, dt.date(2026, 11, 27)),
        ("27/11/2026", None, dt.date(2026, 11, 27)),
        ("27.11.2026", None, dt.date(2026, 11, 27)),
        ("03/04/2026", True, dt.date(2026, 4, 3)),
        ("03/04/2026", False, dt.date(2026, 3, 4)),
        ("5/5/99", None, dt.date(1999, 5, 5)),
        ("1/2/36", False, dt.date(2036, 1, 2)),
    ],
)
def test_dates_in_iso_and_either_order(text: str, day_first: bool | None, day: dt.date) -> None:
    assert parse_date(text, day_first=day_first, today=TODAY) == day


def test_an_ambiguous_date_without_an_order_says_what_to_choose() -> None:
    with pytest.raises(ValueError, match="could be day/month or month/day; say which the file uses"):
        parse_date("03/04/2026", today=TODAY)


@pytest.mark.parametrize(
    ("text", "why"), [("31/02/2026", "is not a date in the calendar"), ("soon", "is not a date")]
)
def test_what_is_not_a_date_is_refused(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_date(text, day_first=True, today=TODAY)


def test_the_order_of_a_column_is_detected_from_the_dates_that_can_only_be_read_one_way() -> None:
    assert detect_day_first(["03/04/2026", "27/11/2026", ""]) is True
    assert detect_day_first(["03/04/2026", "11/27/2026"]) is False
    assert detect_day_first(["03/04/2026", "2026-11-27"]) is None
    with pytest.raises(ValueError, match="mixes day-first and month-first"):
        detect_day_first(["27/11/2026", "11/27/2026"])
