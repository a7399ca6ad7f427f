"""Money helpers: currency codes and conversion to the base currency used by reports."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel import Locale
from babel.numbers import get_currency_symbol, list_currencies, parse_pattern
from django.conf import settings
from django.utils.translation import gettext as _

from salespipe.core.errors import InvalidInput

CENT = Decimal("0.01")
# Whole units with the currency's sign, grouped as the locale groups them ("€12,400"). Parsed once here:
# given a pattern's text and a locale's name, babel parses both again on every call (40% of the time).
_WHOLE_UNITS = parse_pattern("¤#,##0")


@cache
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def currency_code(raw: str, *, field: str = "currency") -> str:
    code = (raw or "").strip().upper()
    if code not in _known_currencies():
        raise InvalidInput(
            _("'%(code)s' is not an ISO 4217 currency code; use three letters such as EUR, USD or GBP.")
            % {"code": raw},
            fields={field: _("unknown currency code")},
        )
    return code


def base_currency() -> str:
    return str(settings.BASE_CURRENCY)


def to_base(amount: Decimal, *, rate_to_base: Decimal) -> Decimal:
    """Amount in the base currency, rounded to cents; `rate_to_base` is base units per one unit."""
    return (amount * rate_to_base).quantize(CENT, rounding=ROUND_HALF_UP)


@cache
def _babel_locale(name: str) -> Locale:
    return Locale.parse(name)


def money_text(amount: Decimal, currency: str, *, locale: str) -> str:
    """`amount` in whole units of `currency`, written as people of `locale` (a name such as "el_GR")
    write money: what the reports, the numbers and the advice show."""
    # babel's format_currency with this pattern, but the sign put in here: given the currency, babel also
    # looks up the currency's name in the amount's plural form on every call, a third of the time, though
    # "¤" only asks for the sign. Without it, babel leaves the "¤" where the sign goes.
    written: str = _WHOLE_UNITS.apply(amount, _babel_locale(locale), currency_digits=False)
    return written.replace("¤", _currency_sign(currency, locale))


@cache
def _currency_sign(currency: str, locale: str) -> str:
    return get_currency_symbol(currency, _babel_locale(locale))
