"""Commission: a base rate, marginal rates above attainment tiers (like tax brackets), and a cap."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salespipe.analytics.commission import CommissionRules, Tier, commission_due

QUOTA = Decimal(100_000)
# 5 % up to the quota, 8 % from 100 % to 150 % of it, 10 % above.
PLAN = CommissionRules(
    base_rate=Decimal(5), tiers=[Tier(Decimal(100), Decimal(8)), Tier(Decimal(150), Decimal(10))]
)


def due(revenue: str | int, *, quota: Decimal | None = QUOTA, rules: CommissionRules = PLAN) -> Decimal:
    return commission_due(revenue=Decimal(revenue), quota=quota, rules=rules)


# --- worked examples ---------------------------------------------------------------------------------------


def test_below_the_quota_all_revenue_earns_the_base_rate() -> None:
    assert due(60_000) == Decimal("3000.00")


def test_each_rate_is_paid_only_on_the_revenue_inside_its_band() -> None:
    # 100 000 × 5 % + 50 000 × 8 % + 30 000 × 10 %
    assert due(180_000) == Decimal("12000.00")


def test_the_cap_limits_what_one_period_pays() -> None:
    # given the plan capped at 10 000
    capped = CommissionRules(base_rate=PLAN.base_rate, tiers=PLAN.tiers, cap=Decimal(10_000))

    # then 12 000 earned pays 10 000, and 9 000 earned is paid in full
    assert due(180_000, rules=capped) == Decimal("10000.00")
    assert due(150_000, rules=capped) == Decimal("9000.00")


def test_a_fractional_result_is_rounded_half_up_to_the_cent() -> None:
    # 12.50 × 5 % = 0.625
    assert due("12.50") == Decimal("0.63")


# --- boundaries ---------------------------------------------------------------------------------------------


def test_revenue_exactly_at_the_quota_earns_only_the_base_rate() -> None:
    assert due(100_000) == Decimal("5000.00")


def test_revenue_exactly_at_a_higher_tier_earns_nothing_at_that_tier_yet() -> None:
    assert due(150_000) == Decimal("9000.00")


def test_one_cent_above_a_tier_earns_the_tier_rate_on_that_cent_only() -> None:
    # given a plan that pays nothing up to the quota and all of the revenue above it, so one cent shows
    all_above = CommissionRules(base_rate=Decimal(0), tiers=[Tier(Decimal(100), Decimal(100))])

    # then the quota pays nothing and the cent above it pays itself
    assert due(100_000, rules=all_above) == Decimal("0.00")
    assert due("100000.01", rules=all_above) == Decimal("0.01")

    # and in the worked plan, 100 above the quota earns 8 on them, not 5, nor 8 % of everything
    assert due(100_100) == Decimal("5008.00")


def test_without_a_quota_all_revenue_earns_the_base_rate() -> None:
    assert due(180_000, quota=None) == Decimal("9000.00")
    assert due(180_000, quota=Decimal(0)) == Decimal("9000.00")


@pytest.mark.parametrize("revenue", [0, -500])
def test_no_revenue_earns_nothing(revenue: int) -> None:
    assert due(revenue) == Decimal("0.00")


def test_a_tier_may_pay_less_than_the_base_and_still_only_on_its_band() -> None:
    # given a decelerator: 10 % up to the quota, 2 % above it
    decelerating = CommissionRules(base_rate=Decimal(10), tiers=[Tier(Decimal(100), Decimal(2))])

    # then 10 000 + 20 000 × 2 %
    assert due(120_000, rules=decelerating) == Decimal("10400.00")


# --- any plan, any revenue --------------------------------------------------------------------------------

rates = st.decimals(min_value=0, max_value=100, places=2)
amounts = st.decimals(min_value=0, max_value=10**9, places=2)
tier_lists = st.lists(
    st.tuples(st.decimals(min_value="0.01", max_value=1000, places=2), rates),
    max_size=5,
    unique_by=lambda tier: tier[0],  # the database keeps one tier per attainment
).map(lambda pairs: [Tier(start, rate) for start, rate in pairs])
plans = st.builds(
    CommissionRules,
    base_rate=rates,
    tiers=tier_lists,
    cap=st.none() | st.decimals(min_value=0, max_value=10**7, places=2),
)
quotas = st.none() | amounts


@given(rules=plans, quota=quotas, revenue=amounts, more=amounts)
def test_more_revenue_never_earns_less_commission(
    rules: CommissionRules, quota: Decimal | None, revenue: Decimal, more: Decimal
) -> None:
    # against the same quota, more revenue is also more attainment
    assert commission_due(revenue=revenue, quota=quota, rules=rules) <= commission_due(
        revenue=revenue + more, quota=quota, rules=rules
    )


@given(rules=plans, quota=quotas, revenue=amounts)
def test_commission_is_never_negative_never_above_the_cap_and_never_above_the_top_rate(
    rules: CommissionRules, quota: Decimal | None, revenue: Decimal
) -> None:
    # when
    paid = commission_due(revenue=revenue, quota=quota, rules=rules)

    # then
    assert paid >= 0
    if rules.cap is not None:
        assert paid <= rules.cap
    top_rate = max([rules.base_rate, *(tier.rate for tier in rules.tiers)])
    assert paid <= revenue * top_rate / 100 + Decimal("0.005")  # rounded half up to the cent at most


@given(rules=plans, quota=quotas, revenue=amounts, order=st.randoms(use_true_random=False))
def test_the_order_the_tiers_are_given_in_does_not_matter(
    rules: CommissionRules, quota: Decimal | None, revenue: Decimal, order: random.Random
) -> None:
    # given the same tiers shuffled
    shuffled = list(rules.tiers)
    order.shuffle(shuffled)
    reversed_tiers = list(reversed(rules.tiers))

    # then each order pays the same
    paid = commission_due(revenue=revenue, quota=quota, rules=rules)
    for tiers in (shuffled, reversed_tiers):
        reordered = CommissionRules(base_rate=rules.base_rate, tiers=tiers, cap=rules.cap)
        assert commission_due(revenue=revenue, quota=quota, rules=reordered) == paid
