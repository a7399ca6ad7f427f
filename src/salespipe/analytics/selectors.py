"""Reads for the follow-up reports and the deal suggestions, scoped by the acting user.

Who sees what (docs/reports.md):

- the people in view get a line each: a rep themselves, a manager themselves and their teams' members,
  an admin everybody; narrowed by `team_id` (that team's members) or `owner_id` (that one person);
- the teams in view get a total line each: a rep's own team, a manager's teams, every team for an admin;
  narrowed to the team asked for, or to the team of the person asked for, so one person is always seen
  beside their team. A team total is an aggregate: a rep sees their team's median, never a teammate's.

Each report is three queries whatever the number of people or rows: the people, the teams, and one
aggregate query grouping the rows per owner, per team and in total (`sql.rollup`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import connection
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from salespipe.activities.models import Activity, ActivityKind, ActivityOutcome
from salespipe.analytics import followups, probing, sql
from salespipe.analytics.followups import (
    BudgetSuggestion,
    CloseDateSuggestion,
    ClosedDeals,
    FreemiumComparison,
    ResponseTimes,
)
from salespipe.analytics.probing import ProbingTopic
from salespipe.core.errors import InvalidInput, NotFound
from salespipe.deals.models import BUYING_AUTHORITY_ROLES, Deal, DealContact, DealStatus, StageChange
from salespipe.people.models import Role, Team, User
from salespipe.people.selectors import visible_user_ids

RESPONSE_WINDOW_DAYS = 90
FREEMIUM_WINDOW_DAYS = 365
MAX_WINDOW_DAYS = 3 * 366

# Outcomes of a demo (or a meeting) that did not take place: such a demo did not show the prospect anything.
NOT_HELD = (ActivityOutcome.NO_SHOW, ActivityOutcome.CANCELLED_BY_PROSPECT, ActivityOutcome.RESCHEDULED)
FREEMIUM_KINDS = ("trial", "demo", "gift", "any")

# How many recent won deals each basis of a suggestion looks at: recent prices say more than old ones,
# and the query stays a short index walk however many deals were ever won.
BUDGET_SAMPLE_LIMIT = 100
OWNER_CYCLE_SAMPLE_LIMIT = 100
PIPELINE_CYCLE_SAMPLE_LIMIT = 200

StatsT = TypeVar("StatsT")


# --- windows and scope ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportWindow:
    """The trailing window [start, end) a report counts in."""

    start: dt.datetime
    end: dt.datetime
    days: int


def report_window(*, days: int, now: dt.datetime | None = None) -> ReportWindow:
    if not 1 <= days <= MAX_WINDOW_DAYS:
        raise InvalidInput(
            _("The window is a number of days from 1 to %(most)s, e.g. 90.") % {"most": MAX_WINDOW_DAYS},
            fields={"days": _("out of range")},
        )
    end = now or timezone.now()
    return ReportWindow(start=end - dt.timedelta(days=days), end=end, days=days)


@dataclass(frozen=True)
class ReportScope:
    """Who gets a line (`people`) and whose team totals show (`teams`); see the module's docstring."""

    people: list[User]
    teams: list[Team]
    # An admin's unnarrowed view: every row, with no list of ids to filter by.
    everything: bool = False

    @property
    def rows(self) -> Q:
        """The rows a report aggregates: those of the people and of every member of the teams."""
        if self.everything:
            return Q()
        return Q(owner_id__in=[person.pk for person in self.people]) | Q(
            owner__team_id__in=[team.pk for team in self.teams]
        )

    def narrowed(self, *, team_id: int | None = None, owner_id: int | None = None) -> ReportScope:
        """To one team's members and total, or to one person beside their team's total. A team or a
        person not in this scope does not exist for the actor."""
        if team_id is None and owner_id is None:
            return self
        people, teams = self.people, self.teams
        if team_id is not None:
            teams = [team for team in teams if team.pk == team_id]
            if not teams:
                raise NotFound(_("There is no team with id %(id)s, or you may not see it.") % {"id": team_id})
            people = [person for person in people if person.team_id == team_id]
        if owner_id is not None:
            people = [person for person in people if person.pk == owner_id]
            if not people:
                raise NotFound(
                    _("There is no user with id %(id)s, or you may not see them.") % {"id": owner_id}
                )
            teams = [team for team in teams if team.pk == people[0].team_id]
        return ReportScope(people=people, teams=teams)


def report_scope(*, actor: User) -> ReportScope:
    """Everyone and every team in the actor's view, in two queries."""
    users = User.objects.filter(visible_user_ids(actor), is_active=True).select_related("team")
    people = list(users.order_by("team__name", "first_name", "last_name", "username"))
    teams = Team.objects.all()
    if actor.role == Role.MANAGER:
        teams = teams.filter(manager=actor)
    elif actor.role != Role.ADMIN:
        teams = teams.filter(pk=actor.team_id) if actor.team_id is not None else teams.none()
    return ReportScope(people=people, teams=list(teams.order_by("name")), everything=actor.is_admin)


def _scope(actor: User, scope: ReportScope | None, team_id: int | None, owner_id: int | None) -> ReportScope:
    whole = report_scope(actor=actor) if scope is None else scope
    return whole.narrowed(team_id=team_id, owner_id=owner_id)


@dataclass(frozen=True)
class OwnerLine(Generic[StatsT]):
    owner: User
    stats: StatsT


@dataclass(frozen=True)
class TeamLine(Generic[StatsT]):
    team: Team
    stats: StatsT


@dataclass(frozen=True)
class Report(Generic[StatsT]):
    window: ReportWindow
    owners: list[OwnerLine[StatsT]]
    teams: list[TeamLine[StatsT]]
    total: StatsT


def _report(
    scope: ReportScope,
    window: ReportWindow,
    groups: dict[tuple[str, int | None], dict[str, Any]],
    stats_of: Callable[[dict[str, Any] | None], StatsT],
    has_data: Callable[[StatsT], bool],
) -> Report[StatsT]:
    owners = []
    for person in scope.people:
        stats = stats_of(groups.get(("owner", person.pk)))
        # Managers and admins sell now and then; they get a line when they have something to show.
        if person.role == Role.REP or has_data(stats):
            owners.append(OwnerLine(owner=person, stats=stats))
    return Report(
        window=window,
        owners=owners,
        teams=[TeamLine(team=team, stats=stats_of(groups.get(("team", team.pk)))) for team in scope.teams],
        total=stats_of(groups.get(("all", None))),
    )


def _count(row: dict[str, Any] | None, name: str) -> int:
    return int(row[name] or 0) if row else 0


def _number(row: dict[str, Any] | None, name: str) -> float | None:
    value = row[name] if row else None
    return None if value is None else float(value)


# --- response times -------------------------------------------------------------------------------------


def _response_measures() -> list[sql.Measure]:
    return [
        sql.Measure("answered", "SUM(k_answered)"),
        sql.Measure("on_time", "SUM(k_on_time)"),
        sql.Measure("median_minutes", sql.percentile_sql("k_minutes", 0.5)),
        sql.Measure("open", "SUM(k_open)"),
        sql.Measure("overdue", "SUM(k_overdue)"),
    ]


def _response_times(row: dict[str, Any] | None) -> ResponseTimes:
    return ResponseTimes(
        answered=_count(row, "answered"),
        on_time=_count(row, "on_time"),
        median_minutes=_number(row, "median_minutes"),
        open=_count(row, "open"),
        overdue=_count(row, "overdue"),
    )


def response_time_report(
    *,
    actor: User,
    days: int = RESPONSE_WINDOW_DAYS,
    team_id: int | None = None,
    owner_id: int | None = None,
    now: dt.datetime | None = None,
    scope: ReportScope | None = None,
) -> Report[ResponseTimes]:
    """Information requests per owner, per team and in total: those answered in the trailing window
    (by the time of the answer, `done_at`), their median response time in working minutes and the share
    answered by the deadline (`done_at <= due_at`); and those open now, and how many of them are overdue."""
    window = report_window(days=days, now=now)
    scope = _scope(actor, scope, team_id, owner_id)
    answered = Q(outcome=ActivityOutcome.ANSWERED, done_at__gte=window.start, done_at__lt=window.end)
    waiting = Q(done_at__isnull=True, cancelled_at__isnull=True)
    rows = (
        Activity.objects.filter(scope.rows, answered | waiting, kind=ActivityKind.INFO_REQUEST)
        .annotate(
            k_owner=F("owner_id"),
            k_team=F("owner__team_id"),
            k_answered=Case(When(done_at__isnull=False, then=1), default=0),
            # A request without a deadline cannot be late.
            k_on_time=Case(
                When(
                    Q(done_at__isnull=False) & (Q(due_at__isnull=True) | Q(done_at__lte=F("due_at"))), then=1
                ),
                default=0,
            ),
            k_minutes=F("response_minutes"),
            k_open=Case(When(done_at__isnull=True, then=1), default=0),
            k_overdue=Case(When(done_at__isnull=True, due_at__lt=window.end, then=1), default=0),
        )
        .values("k_owner", "k_team", "k_answered", "k_on_time", "k_minutes", "k_open", "k_overdue")
    )
    groups = sql.rollup(rows, _response_measures())
    return _report(scope, window, groups, _response_times, lambda stats: bool(stats.answered or stats.open))


# --- trials, demos and gifts ----------------------------------------------------------------------------


def _flag(kind: str, present: bool) -> str:
    column = "(k_trial + k_demo + k_gift)" if kind == "any" else f"k_{kind}"
    return f"{column} > 0" if present else f"{column} = 0"


def _freemium_measures() -> list[sql.Measure]:
    cycle = sql.days_between_sql("k_created", "k_won_at")
    measures = []
    for kind in FREEMIUM_KINDS:
        for side, present in (("with", True), ("without", False)):
            condition = _flag(kind, present)
            measures += [
                sql.Measure(
                    f"{kind}_{side}_won", f"SUM(CASE WHEN {condition} AND k_won = 1 THEN 1 ELSE 0 END)"
                ),
                sql.Measure(
                    f"{kind}_{side}_lost", f"SUM(CASE WHEN {condition} AND k_won = 0 THEN 1 ELSE 0 END)"
                ),
                sql.Measure(
                    f"{kind}_{side}_cycle",
                    sql.percentile_sql(cycle, 0.5, where=f"{condition} AND k_won = 1"),
                ),
            ]
    return measures


@dataclass(frozen=True)
class FreemiumStats:
    """Per kind (`trial`, `demo`, `gift`, `any` of them): deals with a done one against deals without."""

    comparisons: dict[str, FreemiumComparison]

    @property
    def deals(self) -> int:
        any_kind = self.comparisons["any"]
        return any_kind.with_activity.deals + any_kind.without_activity.deals


def _freemium_stats(row: dict[str, Any] | None) -> FreemiumStats:
    def closed(kind: str, side: str) -> ClosedDeals:
        return ClosedDeals(
            won=_count(row, f"{kind}_{side}_won"),
            lost=_count(row, f"{kind}_{side}_lost"),
            median_cycle_days=_number(row, f"{kind}_{side}_cycle"),
        )

    return FreemiumStats(
        comparisons={
            kind: FreemiumComparison(
                with_activity=closed(kind, "with"), without_activity=closed(kind, "without")
            )
            for kind in FREEMIUM_KINDS
        }
    )


def _done_before_closing(kind: str) -> Exists:
    """A trial, demo or gift on the deal that took place, by the time the deal was won or lost."""
    return Exists(
        Activity.objects.filter(
            deal_id=OuterRef("pk"),
            kind=kind,
            done_at__isnull=False,
            done_at__lte=Coalesce(OuterRef("won_at"), OuterRef("lost_at")),
        ).exclude(outcome__in=NOT_HELD)
    )


def _freemium_rows(
    scope: ReportScope, window: ReportWindow, columns: Mapping[str, Any] | None = None
) -> QuerySet[Any, Any]:
    """The deals won or lost in the window, each flagged by the trials, demos and gifts done on it (and
    with `columns`, if any)."""
    closed = Q(status=DealStatus.WON, won_at__gte=window.start, won_at__lt=window.end) | Q(
        status=DealStatus.LOST, lost_at__gte=window.start, lost_at__lt=window.end
    )
    flags = {
        f"k_{kind}": Case(When(_done_before_closing(kind), then=1), default=0)
        for kind in (ActivityKind.TRIAL, ActivityKind.DEMO, ActivityKind.GIFT)
    }
    rows: QuerySet[Any, Any] = (
        Deal.objects.filter(scope.rows, closed)
        .annotate(
            k_owner=F("owner_id"),
            k_team=F("owner__team_id"),
            k_won=Case(When(status=DealStatus.WON, then=1), default=0),
            k_created=F("created_at"),
            k_won_at=F("won_at"),
            **flags,
            **(columns or {}),
        )
        .values("k_owner", "k_team", "k_won", "k_created", "k_won_at", *flags, *(columns or {}))
    )
    return rows


def freemium_report(
    *,
    actor: User,
    days: int = FREEMIUM_WINDOW_DAYS,
    team_id: int | None = None,
    owner_id: int | None = None,
    now: dt.datetime | None = None,
    scope: ReportScope | None = None,
) -> Report[FreemiumStats]:
    """Deals won or lost in the trailing window, per owner, per team and in total, split by whether a
    trial, a demo or a gift was done on them before they closed: win rate and median cycle (days from
    creation to won) with and without."""
    window = report_window(days=days, now=now)
    scope = _scope(actor, scope, team_id, owner_id)
    groups = sql.rollup(_freemium_rows(scope, window), _freemium_measures())
    return _report(scope, window, groups, _freemium_stats, lambda stats: stats.deals > 0)


def freemium_total(
    *, scope: ReportScope, days: int = FREEMIUM_WINDOW_DAYS, now: dt.datetime | None = None
) -> FreemiumStats:
    """`freemium_report`'s total alone (what Insights shows): one query, without the per-owner and
    per-team groupings."""
    stats, _measured = freemium_total_with(scope=scope, days=days, now=now, columns={}, measures=[])
    return stats


def freemium_total_with(
    *,
    scope: ReportScope,
    days: int = FREEMIUM_WINDOW_DAYS,
    now: dt.datetime | None = None,
    columns: Mapping[str, Any],
    measures: Sequence[sql.Measure],
) -> tuple[FreemiumStats, dict[str, Any]]:
    """`freemium_total`, and `measures` over the same deals in the same query (SQL over their rows'
    columns, `columns` added to them: ORM expressions named `k_*`), by name, None when no deal closed: for
    a page that also shows what those deals add up to (Insights' win rate and cycle) and so reads them
    once."""
    window = report_window(days=days, now=now)
    rows = _freemium_rows(scope, window, columns)
    groups = sql.rollup(rows, [*_freemium_measures(), *measures], levels=("all",))
    found = groups.get(("all", None))
    return _freemium_stats(found), {measure.name: (found or {}).get(measure.name) for measure in measures}


# --- deal suggestions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DealSuggestions:
    """What the deal page and the API offer for an open deal: a budget and a close date from similar won
    deals, and questions for the facts still missing. A closed deal gets none of them."""

    deal_id: int
    is_open: bool
    currency: str
    budget_known: bool
    budget: BudgetSuggestion | None
    close_date: CloseDateSuggestion | None
    missing: list[str]
    questions: list[ProbingTopic]


@dataclass(frozen=True)
class _Basis:
    """Won deals that are "similar" in one respect, and how many of the most recent ones to look at.

    A `narrow` basis (one organization's deals: a handful) is found through the organization's index and
    sorted; the others walk all won deals newest first until they have enough. SQLite keeps no
    statistics, so the query says which: a narrow basis leaves the won status out of its condition
    (winning is what sets `won_at`), else SQLite walks every won deal of the company in time order to
    find one organization's two purchases."""

    condition: Q
    limit: int
    narrow: bool = False


@dataclass(frozen=True)
class _Samples:
    budgets: dict[str, list[Decimal]]
    decision_lags: list[float]
    owner_cycles: list[float]
    pipeline_cycles: list[float]


def _entries_into(stage_id: int) -> QuerySet[StageChange]:
    """Stage changes into a stage, for looking up per deal. The stage is compared as an expression
    (`to_stage_id + 0`) so that no index on it can serve: SQLite, which keeps no statistics, would
    otherwise walk every entry into the stage for each deal instead of the deal's few stage changes
    (seconds instead of milliseconds on 50 000 deals)."""
    if connection.vendor != "sqlite":  # PostgreSQL estimates the plain column from its statistics
        return StageChange.objects.filter(to_stage_id=stage_id)
    return StageChange.objects.alias(into_stage=F("to_stage_id") + 0).filter(into_stage=stage_id)


def _bases(deal: Deal) -> dict[str, _Basis]:
    """Every group of won deals the deal's suggestions draw on (docs/reports.md)."""
    bases: dict[str, _Basis] = {}
    if deal.budget_amount is None:
        valued = Q(base_value__gt=0)
        bases["pipeline"] = _Basis(valued & Q(pipeline_id=deal.pipeline_id), BUDGET_SAMPLE_LIMIT)
        organization = deal.organization
        if organization is not None:
            bases["organization"] = _Basis(
                valued & Q(organization_id=organization.pk), BUDGET_SAMPLE_LIMIT, narrow=True
            )
            if organization.industry.strip():
                # Similar organizations: the same industry and, when it is known, the same size band.
                similar = Q(organization__industry__iexact=organization.industry.strip())
                if organization.size:
                    similar &= Q(organization__size=organization.size)
                bases["industry_size"] = _Basis(valued & similar, BUDGET_SAMPLE_LIMIT)
    same_pipeline = Q(pipeline_id=deal.pipeline_id)
    if deal.decision_date is not None:
        bases["decision_lag"] = _Basis(
            same_pipeline & Q(decision_date__isnull=False), PIPELINE_CYCLE_SAMPLE_LIMIT
        )
    else:
        passed = same_pipeline & Q(Exists(_entries_into(deal.stage_id).filter(deal_id=OuterRef("pk"))))
        bases["pipeline_cycle"] = _Basis(passed, PIPELINE_CYCLE_SAMPLE_LIMIT)
        bases["owner_cycle"] = _Basis(
            passed & Q(owner_id=deal.owner_id), OWNER_CYCLE_SAMPLE_LIMIT, narrow=True
        )
    return bases


def _samples(deal: Deal, zone: dt.tzinfo) -> _Samples:
    """The samples of every basis in ONE query, however many deals were ever won.

    Each basis is an `ORDER BY won_at DESC LIMIT n` subquery over the won deals (an index walk that stops
    early); their ids are UNION ALL'd and the deals read once, with a flag per basis saying which they
    belong to. A deal found through one basis may belong to another too; kept in won order and capped per
    basis, each basis ends up with exactly its own most recent n."""
    bases = _bases(deal)
    ever_won = Deal.objects.filter(won_at__isnull=False).exclude(pk=deal.pk)
    won = ever_won.filter(status=DealStatus.WON)
    # Only won deals have a `won_at` (the services clear it when a deal leaves won), so both find the same
    # deals. SQLite is steered to a narrow basis's own index by leaving the status out (`_Basis`);
    # PostgreSQL weighs its statistics and, given the status, walks the owner's won deals newest first
    # through `deal_owner_won` and stops at enough (a manager's deal page at 1M: 41 ms → 2 ms for that part).
    narrow_won = ever_won if connection.vendor == "sqlite" else won
    union = sql.union_of_ids(
        [
            (narrow_won if basis.narrow else won)
            .filter(basis.condition)
            .order_by("-won_at", "-id")
            .values("id")[: basis.limit]
            for basis in bases.values()
        ]
    )
    samples = _Samples(budgets={}, decision_lags=[], owner_cycles=[], pipeline_cycles=[])
    if union is None:
        return samples
    entered = _entries_into(deal.stage_id).filter(deal_id=OuterRef("pk")).order_by("-changed_at", "-id")
    flags = {
        f"in_{name}": Case(When(basis.condition, then=Value(True)), default=Value(False))
        for name, basis in bases.items()
    }
    rows = (
        won.filter(pk__in=RawSQL(*union))  # noqa: S611 - ORM-compiled SQL, bound parameters
        .annotate(entered=Subquery(entered.values("changed_at")[:1]), **flags)
        .values("base_value", "won_at", "decision_date", "entered", *flags)
        .order_by("-won_at", "-id")
    )
    taken = dict.fromkeys(bases, 0)
    for row in rows:
        for name, basis in bases.items():
            if not row[f"in_{name}"] or taken[name] >= basis.limit:
                continue
            taken[name] += 1
            if name == "decision_lag":
                samples.decision_lags.append(
                    float((row["won_at"].astimezone(zone).date() - row["decision_date"]).days)
                )
            elif name == "pipeline_cycle":
                samples.pipeline_cycles.append(_days(row["entered"], row["won_at"]))
            elif name == "owner_cycle":
                samples.owner_cycles.append(_days(row["entered"], row["won_at"]))
            else:
                samples.budgets.setdefault(name, []).append(row["base_value"])
    return samples


def _days(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 86400


def _close_date(
    deal: Deal, samples: _Samples, *, zone: dt.tzinfo, today: dt.date
) -> CloseDateSuggestion | None:
    if deal.decision_date is not None:
        return followups.close_date_from_decision(
            deal.decision_date, lag_days=samples.decision_lags, today=today
        )
    return followups.close_date_from_stage(
        deal.stage_entered_at.astimezone(zone).date(),
        urgency=deal.urgency,
        owner_days=samples.owner_cycles,
        pipeline_days=samples.pipeline_cycles,
        today=today,
    )


def deal_suggestions(*, actor: User, deal: Deal, now: dt.datetime | None = None) -> DealSuggestions:
    """Suggestions for a deal the actor may see (get it with `deals.selectors.deal_get`).

    Two queries: the samples of similar won deals, and whether a decision maker is confirmed. The
    samples come from every won deal of the company, not only those the actor may see: only medians and
    ranges are shown, never a deal."""
    currency = str(settings.BASE_CURRENCY)
    if deal.status != DealStatus.OPEN:
        return DealSuggestions(deal.pk, False, currency, deal.budget_amount is not None, None, None, [], [])
    zone = actor.zone
    today = (now or timezone.now()).astimezone(zone).date()
    samples = _samples(deal, zone)
    budget = None if deal.budget_amount is not None else followups.budget_suggestion(samples.budgets)
    close_date = _close_date(deal, samples, zone=zone, today=today)
    confirmed = DealContact.objects.filter(
        deal_id=deal.pk, role__in=BUYING_AUTHORITY_ROLES, authority_confirmed_at__isnull=False
    ).exists()
    missing = probing.missing_facts(
        decision_maker_confirmed=confirmed,
        budget_known=deal.budget_amount is not None,
        decision_date_known=deal.decision_date is not None,
        urgency_known=bool(deal.urgency),
    )
    return DealSuggestions(
        deal_id=deal.pk,
        is_open=True,
        currency=currency,
        budget_known=deal.budget_amount is not None,
        budget=budget,
        close_date=close_date,
        missing=missing,
        questions=probing.probing_topics(missing),
    )
