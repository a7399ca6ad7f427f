"""Demo quotas and commission plans, so "My numbers" has something to say from the first run.

Each rep's quarterly quota is what they actually won in an average quarter of the last year, stretched by
a factor of their own (0.9–1.4): some reps run ahead of their quota, most are pushed a little, a few are
far behind — the spread a manager's team shows. Quotas run from four quarters back to two ahead, growing a
little each quarter. The first team has a yearly quota of its own for the current fiscal year; the others
add up their members'. Every rep is paid on one of two commission plans with accelerators.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum

from salespipe.analytics.periods import QUARTER, YEAR, add_months, period_containing
from salespipe.deals.models import Deal, DealStatus
from salespipe.quotas.models import CommissionAssignment, CommissionPlan, CommissionTier, Quota

QUARTERS_BACK, QUARTERS_AHEAD = 4, 2
QUARTERLY_GROWTH = Decimal("1.03")
# A rep with no wins in the last year still answers to a quota: this much a quarter.
FLOOR = Decimal(30_000)
THOUSAND = Decimal(1000)

# (name, base rate %, cap, [(from attainment %, rate %)])
PLANS: tuple[tuple[str, str, str | None, tuple[tuple[str, str], ...]], ...] = (
    ("Standard", "5", None, (("100", "8"), ("150", "10"))),
    ("Senior", "6", "60000", (("100", "10"), ("125", "12"))),
)


def _thousands(amount: Decimal) -> Decimal:
    return (amount / THOUSAND).quantize(Decimal(1), rounding=ROUND_HALF_UP) * THOUSAND


def write_quotas_and_plans(
    *, rep_ids: Sequence[int], team_ids: Sequence[int], today: dt.date, seed: int
) -> int:
    """Quotas for every rep (and the first team) and a commission plan for every rep. Answers the number
    of quotas written."""
    rng = random.Random(f"salespipe-demo:{seed}:quotas")
    start_month = settings.FISCAL_YEAR_START_MONTH
    year_ago = dt.datetime.combine(today - dt.timedelta(days=365), dt.time.min, tzinfo=dt.UTC)
    history = {
        row["owner_id"]: row
        for row in Deal.objects.filter(
            owner_id__in=list(rep_ids), status=DealStatus.WON, won_at__gte=year_ago
        )
        .values("owner_id")
        .annotate(won=Sum("base_value"), deals=Count("pk"))
        .order_by()
    }
    this_quarter = period_containing(today, QUARTER, fiscal_year_start_month=start_month)
    quarters = [
        period_containing(
            add_months(this_quarter.starts_on, 3 * offset), QUARTER, fiscal_year_start_month=start_month
        )
        for offset in range(-QUARTERS_BACK, QUARTERS_AHEAD + 1)
    ]
    quotas = []
    for rep_id in rep_ids:
        row = history.get(rep_id)
        quarterly = max(FLOOR, (row["won"] or Decimal(0)) / 4) if row else FLOOR
        average_deal = (row["won"] / row["deals"]) if row and row["deals"] else None
        stretch = Decimal(str(round(rng.uniform(0.9, 1.4), 2)))
        for index, quarter in enumerate(quarters):
            target = _thousands(quarterly * stretch * QUARTERLY_GROWTH ** (index - QUARTERS_BACK))
            deals = (
                int((target / average_deal).quantize(Decimal(1), rounding=ROUND_HALF_UP))
                if average_deal
                else None
            )
            quotas.append(
                Quota(
                    user_id=rep_id,
                    period_kind=QUARTER,
                    starts_on=quarter.starts_on,
                    ends_on=quarter.ends_on,
                    target_value=target,
                    target_deals=deals,
                )
            )
    if team_ids:
        year = period_containing(today, YEAR, fiscal_year_start_month=start_month)
        first_team_members = _members_sum(quotas, team_ids[0], year.starts_on, year.ends_on)
        if first_team_members:
            quotas.append(
                Quota(
                    team_id=team_ids[0],
                    period_kind=YEAR,
                    starts_on=year.starts_on,
                    ends_on=year.ends_on,
                    target_value=_thousands(first_team_members * Decimal("1.05")),
                )
            )
    with transaction.atomic():
        Quota.objects.bulk_create(quotas)
        plans = []
        for name, base_rate, cap, tiers in PLANS:
            # An admin may have made a plan of that name already: the demo pays on it as it is.
            plan, created = CommissionPlan.objects.get_or_create(
                name=name,
                defaults={"base_rate": Decimal(base_rate), "cap": None if cap is None else Decimal(cap)},
            )
            plans.append(plan)
            if not created:
                continue
            CommissionTier.objects.bulk_create(
                CommissionTier(plan=plan, from_attainment=Decimal(start), rate=Decimal(rate))
                for start, rate in tiers
            )
        since = add_months(quarters[0].starts_on, -12)
        CommissionAssignment.objects.bulk_create(
            # Every fourth rep is on the senior plan.
            CommissionAssignment(
                user_id=rep_id, plan=plans[1] if index % 4 == 3 else plans[0], starts_on=since
            )
            for index, rep_id in enumerate(rep_ids)
        )
    return len(quotas)


def _members_sum(quotas: Sequence[Quota], team_id: int, starts_on: dt.date, ends_on: dt.date) -> Decimal:
    """What the first team's members must sell in the year, from the quarters written (the team's members
    are looked up once here; the demo has just made them)."""
    from salespipe.people.models import User

    members = set(User.objects.filter(team_id=team_id).values_list("pk", flat=True))
    return sum(
        (
            quota.target_value
            for quota in quotas
            if quota.user_id in members and starts_on <= quota.starts_on and quota.ends_on <= ends_on
        ),
        Decimal(0),
    )
