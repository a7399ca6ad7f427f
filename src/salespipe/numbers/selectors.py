"""My numbers: won, expected and gap for a rep, a team or the company, with the plan and the flow ahead.

The selectors add up deals in SQL — a handful of grouped queries whatever the number of deals — and hand
the sums to the pure functions in `salespipe.analytics` (forecast, plan, commission). Periods are the
company's (`TIME_ZONE`): a deal won at 23:30 on 31 December in Athens counts in December there.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from salespipe.analytics import sql
from salespipe.analytics.commission import CommissionRules, Tier, commission_due
from salespipe.analytics.forecast import (
    Expected,
    FlowMonth,
    MonthOutlook,
    OpenDeals,
    StageHistory,
    ThreeNumbers,
    expected_value,
    flow_ahead,
    money,
    three_numbers,
    win_probability,
)
from salespipe.analytics.periods import (
    QUARTER,
    Period,
    add_months,
    month_period,
    period_containing,
    period_parse,
)
from salespipe.analytics.plan import Plan, plan_rates, reverse_funnel
from salespipe.core.errors import InvalidInput, NotFound
from salespipe.core.money import base_currency
from salespipe.deals.models import Deal, DealStatus, Stage
from salespipe.numbers.track_records import track_record_since, track_records_for
from salespipe.people.models import Role, Team, User
from salespipe.people.selectors import user_can_manage
from salespipe.quotas.models import CommissionAssignment
from salespipe.quotas.resolution import QuotaBook, ResolvedQuota, quota_book

FLOW_MONTHS = 6
USER, TEAM_SCOPE, COMPANY_SCOPE = "user", "team", "company"
NUMBERS = ("won", "expected", "open", "undated", "overdue")


# --- whose numbers ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NumbersScope:
    """Whose numbers: one user, one team (its members' deals) or the whole company (admins)."""

    kind: str  # USER, TEAM_SCOPE or COMPANY_SCOPE
    name: str  # the username or team name; "" for the company
    label: str  # what people read
    user: User | None = None
    team: Team | None = None
    member_ids: tuple[int, ...] = ()

    def owns(self, owner_field: str = "owner_id") -> Q:
        """The rows of this scope's deals or activities."""
        if self.kind == COMPANY_SCOPE:
            return Q()
        return Q(**{f"{owner_field}__in": self.member_ids})

    @property
    def query(self) -> dict[str, str]:
        """The query parameters that name this scope (links to the deals behind a number)."""
        if self.kind == USER:
            return {"user": self.name}
        if self.kind == TEAM_SCOPE:
            return {"team": self.name}
        return {"company": "1"}


def numbers_scope(
    *, actor: User, user: str | None = None, team: str | None = None, company: bool = False
) -> NumbersScope:
    """The scope the actor asks for, if they may see it: their own numbers when nothing is named; a
    manager's teams and their members; anybody's for an admin. Others do not exist for them (404)."""
    if sum(bool(choice) for choice in (user, team, company)) > 1:
        raise InvalidInput(
            _("Ask for one user, one team or the company, not several at once."),
            fields={"user": _("one of user, team, company")},
        )
    if company:
        if not actor.is_admin:
            raise NotFound(_("Only administrators see the company's numbers."))
        return NumbersScope(COMPANY_SCOPE, "", _("Company"))
    if team:
        found = Team.objects.filter(name=team.strip()).select_related("manager").first()
        if found is None or not (actor.is_admin or found.manager_id == actor.pk):
            raise NotFound(_("There is no team '%(team)s', or you may not see it.") % {"team": team})
        members = tuple(User.objects.filter(team=found, is_active=True).values_list("pk", flat=True))
        return NumbersScope(TEAM_SCOPE, found.name, found.name, team=found, member_ids=members)
    target = actor
    if user and user.strip() != actor.username:
        found_user = User.objects.filter(username=user.strip(), is_active=True).select_related("team").first()
        if found_user is None or not user_can_manage(actor, found_user):
            raise NotFound(_("There is no user '%(user)s', or you may not see them.") % {"user": user})
        target = found_user
    return NumbersScope(USER, target.username, str(target), user=target, member_ids=(target.pk,))


def numbers_period(text: str | None, *, today: dt.date) -> Period:
    """The period named (`2026`, `2026-Q4`, `2026-11`), or the current fiscal quarter."""
    start_month = settings.FISCAL_YEAR_START_MONTH
    if not text:
        return period_containing(today, QUARTER, fiscal_year_start_month=start_month)
    return period_parse(text, fiscal_year_start_month=start_month)


def company_today(now: dt.datetime | None = None) -> dt.date:
    return timezone.localtime(now or timezone.now(), _company_zone()).date()


def _company_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=_company_zone())


# --- the report ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Commission:
    plans: tuple[str, ...]  # the plans behind it (a team's members may be on different ones)
    earned: Decimal  # on what is won
    projected: Decimal  # on won + expected


@dataclass(frozen=True)
class OwnerNumbers:
    """One member's line in a team's or the company's numbers."""

    user: User
    quota: ResolvedQuota
    won: Decimal
    won_deals: int
    expected: Decimal
    numbers: ThreeNumbers
    commission: Commission | None


@dataclass(frozen=True)
class OpenTally:
    """One owner's open deals in one stage, whatever their expected close date: how many, their value and
    how many of them rot."""

    deals: int
    value: Decimal
    rotting_deals: int


@dataclass(frozen=True)
class NumbersReport:
    scope: NumbersScope
    period: Period
    today: dt.date
    currency: str
    quota: ResolvedQuota
    won: Decimal
    won_deals: int
    expected: Expected
    open_value: Decimal  # open deals expected to close in the period, unweighted
    open_deals: int
    undated_value: Decimal  # open deals without an expected close date: in no period's numbers
    undated_deals: int
    overdue_value: Decimal  # open deals past their expected close date, whatever the period
    overdue_deals: int
    numbers: ThreeNumbers
    commission: Commission | None
    plan: Plan | None  # None when asked without the outlook
    flow: list[FlowMonth]  # empty when asked without the outlook
    members: list[OwnerNumbers] = field(default_factory=list)
    # (owner id, stage id) → every open deal there; only when asked (`tally_open_deals`), else empty.
    open_tally: dict[tuple[int, int], OpenTally] = field(default_factory=dict)

    @property
    def gap(self) -> Decimal | None:
        return self.numbers.gap


def numbers_report(
    *,
    actor: User,
    scope: NumbersScope,
    period: Period,
    now: dt.datetime | None = None,
    tally_open_deals: bool = False,
    rotting: Q | None = None,
    outlook: bool = True,
) -> NumbersReport:
    """Everything "My numbers" shows for the scope and period, in a fixed number of queries.

    `tally_open_deals` also counts every open deal of the scope per owner and stage, those matching
    `rotting` (a condition on deals) apart, into `open_tally`: the team page needs them, and they come
    from the very scan of open deals the numbers make, rather than from a second one. Without the
    `outlook` the report leaves out the plan and the months ahead (`plan` None, `flow` empty), and so the
    track records and the deals expected after the period: the team page and the leaderboard show
    neither."""
    today = company_today(now)
    this_month = month_period(today).starts_on
    # This month at least, without the outlook too: every overdue deal is expected before it ends.
    flow_months = [add_months(this_month, offset) for offset in range(FLOW_MONTHS if outlook else 1)]
    first_month = min(period.starts_on, this_month)
    last_month = max(period.month_starts[-1], flow_months[-1])

    book = _quota_book(scope, first_month, last_month)
    won_by_owner, tallied = _deal_figures(
        scope, period, this_month, add_months(last_month, 1), today, tally=tally_open_deals, rotting=rotting
    )
    groups = [group for group in tallied if not group.later]
    stages = _stage_histories({group.open_deals.stage_id for group in groups})
    min_closed = settings.WIN_RATE_MIN_CLOSED_DEALS

    owner_ids = _owner_ids(scope, won_by_owner, groups)
    in_period = [group for group in groups if group.month is not None and group.month in period]
    expected = expected_value(
        (group.open_deals for group in in_period), stages=stages, min_closed_deals=min_closed
    )
    won = money(sum((row.won for row in won_by_owner.values()), Decimal(0)))
    won_deals = sum(row.won_deals for row in won_by_owner.values())
    open_value = money(sum((group.open_deals.value for group in in_period), Decimal(0)))
    quota = _period_quota(book, scope, period)
    numbers = three_numbers(quota=quota.value, won=won, expected=expected.total, open_value=open_value)

    members: list[OwnerNumbers] = []
    commission = None
    rules_by_user = _commission_rules(owner_ids if scope.kind != USER else list(scope.member_ids), period)
    if scope.kind == USER:
        assert scope.user is not None
        commission = commission_on(rules_by_user.get(scope.user.pk), won, expected.total, quota.value)
    else:
        members = _members(scope, period, book, won_by_owner, in_period, stages, rules_by_user, owner_ids)
        earned = [line.commission for line in members if line.commission is not None]
        if earned:
            commission = Commission(
                plans=tuple(sorted({plan for line in earned for plan in line.plans})),
                earned=money(sum((line.earned for line in earned), Decimal(0))),
                projected=money(sum((line.projected for line in earned), Decimal(0))),
            )

    plan: Plan | None = None
    flow: list[FlowMonth] = []
    if outlook:
        records = []
        for basis, record in track_records_for(
            owner_id=scope.user.pk if scope.user is not None else None,
            team_id=scope.team.pk if scope.team is not None else (scope.user.team_id if scope.user else None),
            company=scope.kind == COMPANY_SCOPE,
            today=today,
            since=track_record_since(today, _company_zone()),
        ):
            records.append((basis, record))
            if record.sufficient:
                break
        rates = plan_rates(records)
        plan = reverse_funnel(
            gap=numbers.gap or Decimal(0), rates=rates, period_ends_on=period.ends_on, today=today
        )
        flow = flow_ahead(
            [
                MonthOutlook(
                    month=month,
                    won=money(sum((row.won_this_month for row in won_by_owner.values()), Decimal(0)))
                    if month == this_month
                    else Decimal("0.00"),
                    expected=expected_value(
                        (group.open_deals for group in groups if group.month == month),
                        stages=stages,
                        min_closed_deals=min_closed,
                    ).total,
                    quota=_month_quota(book, scope, month),
                )
                for month in flow_months
            ],
            famine_threshold_percent=settings.FAMINE_THRESHOLD_PERCENT,
            cycle_days=rates.cycle_days,
        )

    undated = [group for group in groups if group.month is None]
    overdue = [group for group in groups if group.overdue]
    return NumbersReport(
        scope=scope,
        period=period,
        today=today,
        currency=base_currency(),
        quota=quota,
        won=won,
        won_deals=won_deals,
        expected=expected,
        open_value=open_value,
        open_deals=sum(group.open_deals.deals for group in in_period),
        undated_value=money(sum((group.open_deals.value for group in undated), Decimal(0))),
        undated_deals=sum(group.open_deals.deals for group in undated),
        overdue_value=money(sum((group.open_deals.value for group in overdue), Decimal(0))),
        overdue_deals=sum(group.open_deals.deals for group in overdue),
        numbers=numbers,
        commission=commission,
        plan=plan,
        flow=flow,
        members=members,
        open_tally=_open_tally(tallied) if tally_open_deals else {},
    )


# --- quotas -------------------------------------------------------------------------------------------------


def _quota_book(scope: NumbersScope, first_month: dt.date, last_month: dt.date) -> QuotaBook:
    if scope.kind == COMPANY_SCOPE:
        return quota_book(company=True, first_month=first_month, last_month=last_month)
    if scope.kind == TEAM_SCOPE:
        assert scope.team is not None
        return quota_book(team_ids=[scope.team.pk], first_month=first_month, last_month=last_month)
    return quota_book(user_ids=list(scope.member_ids), first_month=first_month, last_month=last_month)


def _period_quota(book: QuotaBook, scope: NumbersScope, period: Period) -> ResolvedQuota:
    if scope.kind == COMPANY_SCOPE:
        return book.company_period(period)
    if scope.kind == TEAM_SCOPE:
        assert scope.team is not None
        return book.team_period(scope.team.pk, period)
    return book.user_period(scope.member_ids[0], period)


def _month_quota(book: QuotaBook, scope: NumbersScope, month: dt.date) -> Decimal | None:
    resolved = _period_quota(book, scope, month_period(month))
    return resolved.value


# --- won and open deals -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Won:
    won: Decimal
    won_deals: int
    won_this_month: Decimal


@dataclass(frozen=True)
class _OpenGroup:
    owner_id: int
    month: dt.date | None  # expected close month; None when the deal has no expected close date or `later`
    overdue: bool  # still open after its expected close date
    open_deals: OpenDeals
    later: bool = False  # expected to close after the months the numbers look at (tallied only)
    rotting_deals: int = 0  # tallied only


# The close month of the deals expected after the numbers' months, as text sorts after every "2026-12".
_LATER = "later"


def _deal_figures(
    scope: NumbersScope,
    period: Period,
    this_month: dt.date,
    end: dt.date,
    today: dt.date,
    *,
    tally: bool = False,
    rotting: Q | None = None,
) -> tuple[dict[int, _Won], list[_OpenGroup]]:
    """Won and open deals in ONE query: per owner, the value and count won in the period and the value won
    in the current month; and the open deals expected to close before `end` (those with no date and
    those overdue included), added up per owner, stage, probability override, close month and overdue or
    not, a few hundred rows at most. To `tally`, every open deal: those expected on or after `end` in one
    `later` group per owner, stage and probability, and in each group how many match `rotting`.

    SQL around the ORM: the ORM writes which deals (the scope, the statuses, the dates, read through the
    (owner, status, close date) and (owner, won_at) indexes), this function the grouping and the sums over
    them. Built by the ORM, the close month, the overdue flag and the three filtered sums took it longer to
    write than the database took to run them: 5 ms against 3 for a rep at a million deals. Only
    ORM-compiled SQL and fixed text go into the statement; every value stays a bound parameter."""
    ops = connection.ops
    period_start, period_end = _day_start(period.starts_on), _day_start(period.ends_on + dt.timedelta(days=1))
    month_start, month_end = _day_start(this_month), _day_start(add_months(this_month, 1))
    opened = Deal.objects.filter(scope.owns(), status=DealStatus.OPEN)
    if not tally:
        opened = opened.filter(Q(expected_close_date__lt=end) | Q(expected_close_date__isnull=True))
    columns: dict[str, Any] = {
        "k_owner": F("owner_id"),
        "k_stage": F("stage_id"),
        "k_probability": F("probability"),
        "k_closes": F("expected_close_date"),
        "k_value": F("base_value"),
    }
    if tally and rotting is not None:
        columns["k_rotting"] = sql.flag(rotting)
    won = Deal.objects.filter(
        scope.owns(),
        status=DealStatus.WON,
        won_at__gte=min(period_start, month_start),
        won_at__lt=max(period_end, month_end),
    ).values(k_owner=F("owner_id"), k_won_at=F("won_at"), k_value=F("base_value"))
    try:
        open_sql, open_params = opened.order_by().values(**columns).query.sql_with_params()
        won_sql, won_params = won.order_by().query.sql_with_params()
    except EmptyResultSet:  # a scope of nobody: a team without members
        return {}, []
    # "2026-12": SQLite's date functions call into Python for every row; text does not.
    close_month, month_params = "SUBSTR(CAST(k_closes AS TEXT), 1, 7)", []
    if tally:
        close_month = f"CASE WHEN k_closes >= %s THEN '{_LATER}' ELSE {close_month} END"
        month_params = [ops.adapt_datefield_value(end)]
    # No stage rots: nothing to count.
    rotting_sum = "SUM(k_rotting)" if "k_rotting" in columns else "0"
    won_in = "k_won_at >= %s AND k_won_at < %s"
    in_period = [ops.adapt_datetimefield_value(period_start), ops.adapt_datetimefield_value(period_end)]
    in_month = [ops.adapt_datetimefield_value(month_start), ops.adapt_datetimefield_value(month_end)]
    # The open part first: PostgreSQL types a UNION's columns from its first part, where no column is NULL.
    statement = (
        f"SELECT 'open', k_owner, k_stage, k_probability, {close_month}, "  # noqa: S608 - see above
        f"CASE WHEN k_closes < %s THEN 1 ELSE 0 END, COUNT(*), SUM(k_value), {rotting_sum}, NULL "
        f"FROM ({open_sql}) AS open_deals GROUP BY 2, 3, 4, 5, 6 "
        "UNION ALL "
        f"SELECT 'won', k_owner, NULL, NULL, NULL, 0, COUNT(*) FILTER (WHERE {won_in}), "
        f"SUM(k_value) FILTER (WHERE {won_in}), 0, SUM(k_value) FILTER (WHERE {won_in}) "
        f"FROM ({won_sql}) AS won_deals GROUP BY 2"
    )
    params = [
        *month_params,
        ops.adapt_datefield_value(today),
        *open_params,
        *in_period,
        *in_period,
        *in_month,
        *won_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    won_by_owner: dict[int, _Won] = {}
    groups: list[_OpenGroup] = []
    for (
        part,
        owner_id,
        stage_id,
        probability,
        month,
        overdue,
        deals,
        value,
        rotting_count,
        won_this_month,
    ) in rows:
        if part == "won":
            won_by_owner[owner_id] = _Won(sql.cents(value), deals, sql.cents(won_this_month))
            continue
        groups.append(
            _OpenGroup(
                owner_id=owner_id,
                month=None if month in (None, _LATER) else dt.date.fromisoformat(month + "-01"),
                overdue=bool(overdue),
                open_deals=OpenDeals(stage_id, probability, deals, sql.cents(value)),
                later=month == _LATER,
                rotting_deals=rotting_count,
            )
        )
    return won_by_owner, groups


def _open_tally(groups: Sequence[_OpenGroup]) -> dict[tuple[int, int], OpenTally]:
    tally: dict[tuple[int, int], OpenTally] = {}
    for group in groups:
        key = (group.owner_id, group.open_deals.stage_id)
        so_far = tally.get(key, OpenTally(0, Decimal(0), 0))
        tally[key] = OpenTally(
            so_far.deals + group.open_deals.deals,
            so_far.value + group.open_deals.value,
            so_far.rotting_deals + group.rotting_deals,
        )
    return tally


def _stage_histories(stage_ids: set[int]) -> dict[int, StageHistory]:
    rows = Stage.objects.filter(pk__in=stage_ids).values(
        "pk", "default_probability", "outcome__won_deals", "outcome__lost_deals"
    )
    return {
        row["pk"]: StageHistory(
            row["default_probability"], row["outcome__won_deals"] or 0, row["outcome__lost_deals"] or 0
        )
        for row in rows
    }


def _owner_ids(scope: NumbersScope, won: dict[int, _Won], groups: Sequence[_OpenGroup]) -> list[int]:
    if scope.kind != COMPANY_SCOPE:
        return list(scope.member_ids)
    return sorted(set(won) | {group.owner_id for group in groups})


# --- members and commissions --------------------------------------------------------------------------------


def _commission_rules(user_ids: Sequence[int], period: Period) -> dict[int, tuple[str, CommissionRules]]:
    """The plan each user is paid on in the period: the latest assignment overlapping it (the latest made,
    of two starting the same day). One query: the assignments joined to their plans and the plans' tiers,
    a row per tier, each user's chosen assignment first."""
    rows = (
        CommissionAssignment.objects.filter(user_id__in=list(user_ids), starts_on__lte=period.ends_on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=period.starts_on))
        .values_list(
            "user_id",
            "pk",
            "plan__name",
            "plan__base_rate",
            "plan__cap",
            "plan__tiers__from_attainment",
            "plan__tiers__rate",
        )
        .order_by("user_id", "-starts_on", "-pk", "plan__tiers__from_attainment")
    )
    chosen: dict[int, int] = {}  # user → the assignment paying them
    plans: dict[int, tuple[str, Decimal, Decimal | None, list[Tier]]] = {}
    for user_id, assignment_id, name, base_rate, cap, from_attainment, rate in rows:
        if chosen.setdefault(user_id, assignment_id) != assignment_id:
            continue
        plan = plans.setdefault(user_id, (name, base_rate, cap, []))
        if from_attainment is not None:  # a plan without tiers comes as one row of NULLs
            plan[3].append(Tier(from_attainment, rate))
    return {
        user_id: (name, CommissionRules(base_rate=base_rate, tiers=tiers, cap=cap))
        for user_id, (name, base_rate, cap, tiers) in plans.items()
    }


def commission_on(
    plan: tuple[str, CommissionRules] | None, won: Decimal, expected: Decimal, quota: Decimal | None
) -> Commission | None:
    """A person's commission on their plan (its name and rules), if they have one: earned on what is won,
    projected on won + expected."""
    if plan is None:
        return None
    name, rules = plan
    return Commission(
        plans=(name,),
        earned=commission_due(revenue=won, quota=quota, rules=rules),
        projected=commission_due(revenue=won + expected, quota=quota, rules=rules),
    )


def _members(
    scope: NumbersScope,
    period: Period,
    book: QuotaBook,
    won_by_owner: dict[int, _Won],
    in_period: Sequence[_OpenGroup],
    stages: dict[int, StageHistory],
    rules_by_user: dict[int, tuple[str, CommissionRules]],
    owner_ids: Sequence[int],
) -> list[OwnerNumbers]:
    users = User.objects.filter(pk__in=list(owner_ids)).order_by("first_name", "last_name", "username")
    groups_by_owner: dict[int, list[OpenDeals]] = defaultdict(list)
    for group in in_period:
        groups_by_owner[group.owner_id].append(group.open_deals)
    lines = []
    for user in users:
        won = _Won(Decimal(0), 0, Decimal(0))
        won = won_by_owner.get(user.pk, won)
        expected = expected_value(
            groups_by_owner.get(user.pk, []),
            stages=stages,
            min_closed_deals=settings.WIN_RATE_MIN_CLOSED_DEALS,
        ).total
        quota = book.user_period(user.pk, period)
        open_value = money(sum((group.value for group in groups_by_owner.get(user.pk, [])), Decimal(0)))
        lines.append(
            OwnerNumbers(
                user=user,
                quota=quota,
                won=money(won.won),
                won_deals=won.won_deals,
                expected=expected,
                numbers=three_numbers(
                    quota=quota.value, won=money(won.won), expected=expected, open_value=open_value
                ),
                commission=commission_on(rules_by_user.get(user.pk), money(won.won), expected, quota.value),
            )
        )
    if scope.kind == COMPANY_SCOPE:
        # The company's list is everyone who sells: reps always, others when they have something.
        lines = [line for line in lines if line.user.role == Role.REP or line.won or line.expected]
    return lines


# --- the deals behind a number ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DealBehind:
    deal: Deal
    probability: Decimal  # 0–1
    probability_source: str  # override, empirical or stage_default
    weighted_value: Decimal  # base value × probability


def numbers_deals(*, scope: NumbersScope, period: Period, number: str) -> QuerySet[Deal]:
    """The deals behind one of the numbers, biggest first: `won` (won in the period), `expected` and
    `open` (open, expected to close in the period: the same deals, weighted or not), `undated` (open
    without an expected close date, in no period's numbers) or `overdue` (open past their expected close
    date, in any period)."""
    if number not in NUMBERS:
        raise InvalidInput(
            _("'%(number)s' is not one of the numbers; use won, expected, open, undated or overdue.")
            % {"number": number},
            fields={"number": _("use won, expected, open, undated or overdue")},
        )
    deals = Deal.objects.filter(scope.owns()).select_related("owner", "stage", "organization")
    if number == "won":
        end = _day_start(period.ends_on + dt.timedelta(days=1))
        deals = deals.filter(status=DealStatus.WON, won_at__gte=_day_start(period.starts_on), won_at__lt=end)
    elif number == "undated":
        deals = deals.filter(status=DealStatus.OPEN, expected_close_date__isnull=True)
    elif number == "overdue":
        deals = deals.filter(status=DealStatus.OPEN, expected_close_date__lt=company_today())
    else:
        deals = deals.filter(
            status=DealStatus.OPEN,
            expected_close_date__gte=period.starts_on,
            expected_close_date__lte=period.ends_on,
        )
    return deals.order_by("-base_value", "-pk")


def deals_behind(deals: Sequence[Deal]) -> list[DealBehind]:
    """Each deal with the win probability the numbers used for it and where that came from (one query
    for the stages' closed history)."""
    stages = _stage_histories({deal.stage_id for deal in deals})
    rows = []
    for deal in deals:
        probability, source = win_probability(
            override=deal.probability,
            stage=stages[deal.stage_id],
            min_closed_deals=settings.WIN_RATE_MIN_CLOSED_DEALS,
        )
        if deal.status == DealStatus.WON:
            probability, source = Decimal(1), "won"
        rows.append(DealBehind(deal, probability, source, money(deal.base_value * probability)))
    return rows


@dataclass(frozen=True)
class DealsTotal:
    deals: int
    value: Decimal  # Σ base value
    weighted_value: Decimal  # Σ base value × the probability the numbers used (1 for won deals)


def numbers_deals_total(deals: QuerySet[Deal]) -> DealsTotal:
    """What all of `numbers_deals` add up to, the way the numbers count them (the drill-down's total
    line, whatever page is shown): one grouped query, and one for the stages' closed history."""
    rows = list(
        deals.order_by()
        .values("status", "stage_id", "probability")
        .annotate(deals=Count("pk"), value=Sum("base_value"))
    )
    won = sum((row["value"] or Decimal(0) for row in rows if row["status"] == DealStatus.WON), Decimal(0))
    open_groups = [
        OpenDeals(row["stage_id"], row["probability"], row["deals"], row["value"] or Decimal(0))
        for row in rows
        if row["status"] != DealStatus.WON
    ]
    stages = _stage_histories({group.stage_id for group in open_groups}) if open_groups else {}
    expected = expected_value(open_groups, stages=stages, min_closed_deals=settings.WIN_RATE_MIN_CLOSED_DEALS)
    return DealsTotal(
        deals=sum(row["deals"] for row in rows),
        value=money(sum((row["value"] or Decimal(0) for row in rows), Decimal(0))),
        weighted_value=money(won + expected.total),
    )
