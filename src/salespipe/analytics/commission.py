"""Commission on won revenue: a base rate, higher (or lower) marginal rates above attainment tiers, a cap.

Pure functions over plain values. Rates are percentages of revenue; tiers start at a percentage of the
quota. Each rate applies only to the revenue inside its band, like tax brackets, so one more sale never
lowers the commission and crossing a tier does not pay the new rate on what was sold before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Tier:
    from_attainment: Decimal  # percent of quota at which the rate starts, > 0
    rate: Decimal  # percent of revenue


@dataclass(frozen=True)
class CommissionRules:
    base_rate: Decimal  # percent of revenue below the first tier
    tiers: Sequence[Tier] = ()
    cap: Decimal | None = None  # the most one period pays


def commission_due(*, revenue: Decimal, quota: Decimal | None, rules: CommissionRules) -> Decimal:
    """Commission on `revenue` won against `quota`, rounded to the cent.

    Without a quota (or a zero one) attainment has no meaning, so the whole revenue earns the base rate.
    """
    if revenue <= 0:
        return Decimal("0.00")
    bands = [(Decimal(0), rules.base_rate)]
    if quota is not None and quota > 0:
        bands += [
            (quota * tier.from_attainment / HUNDRED, tier.rate)
            for tier in sorted(rules.tiers, key=lambda tier: tier.from_attainment)
        ]
    total = Decimal(0)
    for index, (floor, rate) in enumerate(bands):
        ceiling = bands[index + 1][0] if index + 1 < len(bands) else None
        if revenue <= floor:
            break
        in_band = (revenue if ceiling is None else min(revenue, ceiling)) - floor
        total += in_band * rate / HUNDRED
    if rules.cap is not None:
        total = min(total, rules.cap)
    return total.quantize(CENT, rounding=ROUND_HALF_UP)
