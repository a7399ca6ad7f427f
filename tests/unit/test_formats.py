"""Greek times read on a 24-hour clock; money in whole units, written as each language writes it."""

import datetime as dt
from decimal import Decimal

from babel.numbers import format_currency
from django.utils import formats, translation

from salespipe.core.money import money_text


def test_greek_times_use_the_24_hour_clock_and_dates_day_first() -> None:
    moment = dt.datetime(2026, 12, 31, 15, 5)  # noqa: DTZ001 - formatting only

    with translation.override("el"):
        assert formats.date_format(moment, "DATETIME_FORMAT") == "31/12/2026 15:05"
        assert formats.time_format(moment.time()) == "15:05"
    with translation.override("en"):
        assert formats.time_format(moment.time()) == "3:05 p.m."


def test_money_is_written_in_whole_units_the_way_each_language_writes_it() -> None:
    amount = Decimal("1234567.5")

    assert money_text(amount, "EUR", locale="en") == "€1,234,568"
    assert money_text(amount, "EUR", locale="el_GR") == "€1.234.568"  # the sign first, Greek grouping
    assert money_text(Decimal("-2500"), "USD", locale="en_US") == "-$2,500"
    # the same text as babel's own formatting of the same pattern, which the helper parses once and
    # whose sign it puts in itself
    for locale in ("de", "fr_CH", "ja_JP", "ar_EG", "hi_IN"):
        for currency in ("GBP", "JPY", "CHF"):
            for figure in (amount, Decimal("-0.4"), Decimal("12345678901.49")):
                assert money_text(figure, currency, locale=locale) == format_currency(
                    figure, currency, locale=locale, format="¤#,##0", currency_digits=False
                )
