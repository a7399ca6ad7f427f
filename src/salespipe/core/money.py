"""Money helpers: currency codes and conversion to the base currency used by reports."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel.numbers import list_currencies
from django.conf import settings
from django.utils.translation import gettext as _

from salespipe.core.errors import InvalidInput

CENT = Decimal("0.01")


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
