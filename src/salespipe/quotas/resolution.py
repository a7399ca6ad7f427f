"""Which quota applies to a user, a team or the company in a given month or period.

Quotas may be set per month, quarter or year, and people mix them: a yearly quota for a rep, a tighter
quarterly one for the quarter that matters. Each month takes the finest quota that covers it — the
month's own, else its share of the quarter's (a third), else of the year's (a twelfth). A period asked for
as a whole takes its exact quota when one is set for exactly that period, else the sum of its months.

A team without a quota of its own for a month has its members' quotas added up; the company has its teams'
(each resolved that way) plus those of people in no team.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from salespipe.analytics.periods import MONTH, QUARTER, YEAR, Period, add_months
from salespipe.people.models import User
from salespipe.quotas.models import Quota

CENT = Decimal("0.01")
_MONTHS = {MONTH: 1, QUARTER: 3, YEAR: 12}
_FINEST_FIRST = (MONTH, QUARTER, YEAR)

SET, MEMBERS, NONE = "set", "members", "none"


@dataclass(frozen=True)
class QuotaShare:
    value: Decimal  # unrounded share, so thirds add back up to the quarter
    deals: Decimal | None


@dataclass(frozen=True)
class ResolvedQuota:
    value: Decimal | None  # None: no quota covers any of the months
    deals: int | None
    source: str  # SET (the owner's own quotas), MEMBERS (added up from members), NONE


class QuotaBook:
    """Every quota that matters to one report, loaded in one query and answered from memory."""

    def __init__(self, quotas: Iterable[Quota], *, members: dict[int, list[int]], teamless: Sequence[int]):
        self._by_user: dict[int, list[Quota]] = defaultdict(list)
        self._by_team: dict[int, list[Quota]] = defaultdict(list)
        for quota in quotas:
            if quota.user_id is not None:
                self._by_user[quota.user_id].append(quota)
            elif quota.team_id is not None:
                self._by_team[quota.team_id].append(quota)
        self._members = members
        self._teamless = list(teamless)

    # --- one owner ---------------------------------------------------------------------------------------

    @staticmethod
    def _share(quotas: list[Quota], month: dt.date) -> QuotaShare | None:
        covering = [quota for quota in quotas if quota.starts_on <= month <= quota.ends_on]
        for kind in _FINEST_FIRST:
            for quota in covering:
                if quota.period_kind == kind:
                    months = Decimal(_MONTHS[kind])
                    deals = None if quota.target_deals is None else Decimal(quota.target_deals) / months
                    return QuotaShare(quota.target_value / months, deals)
        return None

    def user_month(self, user_id: int, month: dt.date) -> QuotaShare | None:
        return self._share(self._by_user.get(user_id, []), month)

    def team_month(self, team_id: int, month: dt.date) -> tuple[QuotaShare | None, str]:
        own = self._share(self._by_team.get(team_id, []), month)
        if own is not None:
            return own, SET
        return _add(self.user_month(user_id, month) for user_id in self._members.get(team_id, [])), MEMBERS

    def company_month(self, month: dt.date) -> QuotaShare | None:
        teams = (self.team_month(team_id, month)[0] for team_id in self._members)
        people = (self.user_month(user_id, month) for user_id in self._teamless)
        return _add([*teams, *people])

    # --- periods -----------------------------------------------------------------------------------------

    def user_period(self, user_id: int, period: Period) -> ResolvedQuota:
        exact = _exact(self._by_user.get(user_id, []), period)
        if exact is not None:
            return exact
        return _resolved(_add(self.user_month(user_id, month) for month in period.month_starts), SET)

    def team_period(self, team_id: int, period: Period) -> ResolvedQuota:
        exact = _exact(self._by_team.get(team_id, []), period)
        if exact is not None:
            return exact
        shares = [self.team_month(team_id, month) for month in period.month_starts]
        source = SET if any(source == SET and share for share, source in shares) else MEMBERS
        return _resolved(_add(share for share, _source in shares), source)

    def company_period(self, period: Period) -> ResolvedQuota:
        return _resolved(_add(self.company_month(month) for month in period.month_starts), MEMBERS)


def _exact(quotas: list[Quota], period: Period) -> ResolvedQuota | None:
    for quota in quotas:
        if quota.period_kind == period.kind and quota.starts_on == period.starts_on:
            return ResolvedQuota(quota.target_value, quota.target_deals, SET)
    return None


def _add(shares: Iterable[QuotaShare | None]) -> QuotaShare | None:
    present = [share for share in shares if share is not None]
    if not present:
        return None
    deals = [share.deals for share in present if share.deals is not None]
    return QuotaShare(
        sum((share.value for share in present), Decimal(0)), sum(deals, Decimal(0)) if deals else None
    )


def _resolved(share: QuotaShare | None, source: str) -> ResolvedQuota:
    if share is None:
        return ResolvedQuota(None, None, NONE)
    deals = None if share.deals is None else int(share.deals.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return ResolvedQuota(share.value.quantize(CENT, rounding=ROUND_HALF_UP), deals, source)


def quota_book(
    *,
    user_ids: Sequence[int] = (),
    team_ids: Sequence[int] = (),
    company: bool = False,
    first_month: dt.date,
    last_month: dt.date,
) -> QuotaBook:
    """The quotas of these users and teams (and the teams' members; for the company, everyone's) that
    overlap the months from `first_month` to `last_month`, in two queries (one for a user alone)."""
    ends = add_months(last_month, 1) - dt.timedelta(days=1)
    people = User.objects.filter(is_active=True)
    if not company:
        people = people.filter(Q(pk__in=user_ids) | Q(team_id__in=team_ids))
    members: dict[int, list[int]] = {team_id: [] for team_id in team_ids}
    teamless: list[int] = []
    # One person's quotas need nobody else's: their team does not change what they must sell.
    alone = not company and not team_ids
    everyone = (
        [(user_id, None) for user_id in user_ids] if alone else list(people.values_list("pk", "team_id"))
    )
    for user_id, team_id in everyone:
        if team_id is None:
            teamless.append(user_id)
        elif company or team_id in members:
            members.setdefault(team_id, []).append(user_id)
    owners = Q(user_id__in=[user_id for user_id, _team in everyone]) | Q(team_id__in=list(members))
    quotas = Quota.objects.filter(owners, starts_on__lte=ends, ends_on__gte=first_month)
    return QuotaBook(quotas, members=members, teamless=teamless)
