"""Insights: how deals move through a pipeline, for a rep, a team or everyone in view, over a window.

Per open stage of the chosen pipeline (the default one unless another is named): the open deals now
(count, value, weighted value), the cohort conversion to a further stage and the median days deals spent
in the stage; for the deals closed in the window: win rate, median cycle, average won value and the sales
velocity they give the open pipeline; why deals were lost; the activities done; and whether trials, demos
and gifts helped (`analytics.selectors.freemium_total`, for the same people and window). The formulas
are in `analytics/funnel.py` and docs/insights.md.

Whose deals (`insights_scope`): a rep's own; a manager's own and their teams' members'; an admin's
everybody's; narrowed to one person (`owner_id`) or one team (`team_id`) in that view. Anything else does
not exist for the actor (NotFound). A rep sees no team: a team's funnel shows its members' deals.

Every part is one grouped query whatever the number of deals (`tests/insights/` pins them); Python only
puts the few grouped rows together. Times are the company's (`TIME_ZONE`) where months are concerned.
"""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from salespipe.activities.models import Activity, ActivityKind
from salespipe.analytics import funnel, sql
from salespipe.analytics.forecast import OpenDeals, StageHistory, expected_value, money
from salespipe.analytics.funnel import ReasonCount, StageCohort
from salespipe.analytics.periods import add_months
from salespipe.analytics.selectors import (
    FreemiumStats,
    ReportScope,
    ReportWindow,
    freemium_total,
    freemium_total_with,
    report_scope,
    report_window,
)
from salespipe.core.errors import InvalidInput, NotFound
from salespipe.core.money import base_currency
from salespipe.deals.models import Deal, DealStatus, Stage, StageKind, StageStay
from salespipe.people.models import Role, Team, User

DEFAULT_WINDOW_DAYS = 90
PERIOD_MONTHS = 6  # months of "conversion over time"
MAX_PERIOD_MONTHS = 36
TOP_LOST_REASONS = 10

EVERYONE, TEAM, OWNER = "everyone", "team", "owner"


# --- whose deals, which pipeline, which window ----------------------------------------------------------


@dataclass(frozen=True)
class StageInfo:
    """A stage of the chosen pipeline, with what closed history says about it (for win probabilities)."""

    id: int
    name: str
    position: int
    kind: str
    history: StageHistory
    # The appointment stage's gate: where coaching hints turn from qualifying to presenting.
    requires_decision_maker: bool = False


@dataclass(frozen=True)
class InsightsScope:
    """Whose deals (`kind`: everyone in the actor's view, one `team` or one `owner`), in which pipeline,
    over which window. `people` is the actor's whole view: whom a page may offer to pick."""

    actor: User
    kind: str
    owner: User | None
    team: Team | None
    pipeline_id: int
    pipeline_name: str
    stages: list[StageInfo]  # all of the pipeline's stages, by position
    window: ReportWindow
    people: ReportScope

    @property
    def open_stages(self) -> list[StageInfo]:
        return [stage for stage in self.stages if stage.kind == StageKind.OPEN]

    @property
    def everything(self) -> bool:
        """An administrator's unnarrowed view: every deal."""
        return self.kind == EVERYONE and self.actor.is_admin

    @property
    def owner_ids(self) -> list[int] | None:
        """The people whose deals count, None for an administrator's whole view (everybody's, whoever
        they are). A team's are its active members; a manager's view themselves and their teams'."""
        if self.owner is not None:
            return [self.owner.pk]
        if self.team is not None:
            return [person.pk for person in self.people.people if person.team_id == self.team.pk]
        if self.everything:
            return None
        if self.actor.role == Role.REP:
            return [self.actor.pk]
        return [person.pk for person in self.people.people]

    def rows(self, owner: str = "owner") -> Q:
        """The rows (deals, activities) of the people in scope.

        A list of ids, not a join to the people or a subquery: with the ids in hand, SQLite walks each
        person's rows through the owner indexes rather than the whole company's through another one."""
        ids = self.owner_ids
        return Q() if ids is None else Q(**{f"{owner}_id__in": ids})

    @property
    def report_scope(self) -> ReportScope:
        """The same rows as a `ReportScope` whose total is exactly them (for `freemium_total`)."""
        ids = self.owner_ids
        if ids is None:
            return ReportScope(people=[], teams=[], everything=True)
        people = [self.owner] if self.owner is not None else self.people.people
        return ReportScope(people=[person for person in people if person.pk in ids], teams=[])


def insights_scope(
    *,
    actor: User,
    owner_id: int | None = None,
    team_id: int | None = None,
    pipeline_id: int | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    now: dt.datetime | None = None,
    people: ReportScope | None = None,
) -> InsightsScope:
    """Check what the actor asks for and resolve it, in three queries (the actor's view: people and teams;
    the pipeline's stages), two when `people` (from `analytics.selectors.report_scope`) is given.

    A person or team outside the actor's view, or a pipeline that does not exist, is NotFound; a window
    out of range InvalidInput. Naming a person and their team is the person."""
    window = report_window(days=window_days, now=now)
    view = report_scope(actor=actor) if people is None else people
    if team_id is not None and actor.role == Role.REP:
        # A rep's view holds their team only for the reports' team totals; their funnel is their own.
        raise NotFound(_("There is no team with id %(id)s, or you may not see it.") % {"id": team_id})
    narrowed = view.narrowed(team_id=team_id, owner_id=owner_id)
    owner = narrowed.people[0] if owner_id is not None else None
    team = narrowed.teams[0] if owner is None and team_id is not None else None
    stages = _stages(pipeline_id)
    kind = OWNER if owner is not None else TEAM if team is not None else EVERYONE
    return InsightsScope(
        actor=actor,
        kind=kind,
        owner=owner,
        team=team,
        pipeline_id=stages[0][0],
        pipeline_name=stages[0][1],
        stages=[stage for _pipeline, _name, stage in stages],
        window=window,
        people=view,
    )


def _stages(pipeline_id: int | None) -> list[tuple[int, str, StageInfo]]:
    """The pipeline's stages with their closed history, by position: one query."""
    found = Stage.objects.filter(
        Q(pipeline__is_default=True) if pipeline_id is None else Q(pipeline_id=pipeline_id)
    ).order_by("position")
    rows = found.values(
        "pk",
        "name",
        "position",
        "kind",
        "default_probability",
        "pipeline_id",
        "pipeline__name",
        "outcome__won_deals",
        "outcome__lost_deals",
        "requires_decision_maker",
    )
    stages = [
        (
            row["pipeline_id"],
            row["pipeline__name"],
            StageInfo(
                id=row["pk"],
                name=row["name"],
                position=row["position"],
                kind=row["kind"],
                history=StageHistory(
                    row["default_probability"],
                    row["outcome__won_deals"] or 0,
                    row["outcome__lost_deals"] or 0,
                ),
                requires_decision_maker=row["requires_decision_maker"],
            ),
        )
        for row in rows
    ]
    if not stages:
        if pipeline_id is None:
            raise NotFound(_("There is no default pipeline yet; an administrator must set one up."))
        raise NotFound(_("There is no pipeline with id %(id)s.") % {"id": pipeline_id})
    return stages


# --- SQL helpers ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grouping:
    """One way of grouping the rows of `_grouped`: by its `keys` (at most two), over the rows `where` says
    (SQL over the rows' `k_*` columns; "" for all of them). The groupings of one query come out in the
    same columns, so the keys in the same place must be of one type (PostgreSQL refuses to mix them)."""

    keys: tuple[str, ...] = ()
    where: str = ""


def _grouped(
    rows: QuerySet[Any, Any],
    measures: Sequence[sql.Measure],
    *groupings: Grouping,
    params: Sequence[Any] = (),
) -> list[list[dict[str, Any]]]:
    """The measures over `rows` (a `.values()` queryset of `k_*` columns) grouped each way asked, in ONE
    query: the ORM's query as a common table expression, grouped by each grouping and UNION ALL'd, with
    aggregates the ORM does not spell (percentiles). Answers one list of rows per grouping, each row with
    its keys (`key_1`, `key_2`) and measures. Only ORM-compiled SQL and fixed text from this module go
    in; the values stay bound parameters: the measures' own (`%s` in their SQL) are `params`, in order."""
    try:
        inner_sql, inner_params = rows.order_by().query.sql_with_params()
    except EmptyResultSet:
        return [[] for _grouping in groupings]
    measured = ", ".join(f"{measure.sql} AS {measure.name}" for measure in measures)
    selects = []
    for index, grouping in enumerate(groupings):
        keys = [*grouping.keys, *(["NULL"] * (2 - len(grouping.keys)))]
        where = f" WHERE {grouping.where}" if grouping.where else ""
        group_by = f" GROUP BY {', '.join(grouping.keys)}" if grouping.keys else ""
        selects.append(
            f"SELECT {index} AS grouping_index, {keys[0]} AS key_1, {keys[1]} AS key_2, {measured} "  # noqa: S608
            f"FROM insight{where}{group_by}"
        )
    # Materialized when several groupings read the rows, so they are computed once; for one grouping a
    # plain subquery, which SQLite streams into the grouping (a third faster on a team's 50,000 entries).
    materialized = "MATERIALIZED " if len(groupings) > 1 else ""
    statement = f"WITH insight AS {materialized}({inner_sql}) " + " UNION ALL ".join(selects)
    # Each grouping's SELECT names the measures again, and with them their parameters.
    params = [*inner_params, *(list(params) * len(groupings))]
    sql.prepare()
    answer: list[list[dict[str, Any]]] = [[] for _grouping in groupings]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        names = [column[0] for column in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            answer[row.pop("grouping_index")].append(row)
    return answer


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _stays(scope: InsightsScope) -> QuerySet[StageStay]:
    """The stage stays (`deals.StageStay`) of the deals in scope in the pipeline's open stages: through
    the (owner, time) indexes for people, the (stage, time) ones for an administrator's whole view."""
    stage_ids = [stage.id for stage in scope.open_stages]
    if scope.everything:
        return StageStay.objects.filter(stage_id__in=stage_ids)
    # The stage as an expression for people, so no (stage, time) index competes with their (owner, time)
    # ones: through the stage, SQLite would read the whole company's stays of the window.
    return StageStay.objects.alias(k_in=F("stage_id") + 0).filter(scope.rows(), k_in__in=stage_ids)


def _entries(scope: InsightsScope, start: dt.datetime, end: dt.datetime) -> QuerySet[Any, Any]:
    """Entries into the pipeline's open stages from `start` to `end`, of the deals in scope, each with
    `k_advanced` 1 when the deal later reached a further stage (an open or won stage of the pipeline at a
    higher position, after the entry by time, then by the history's order, whenever that happened; a lost
    stage is no step forward), else 0. The stays carry that, kept as deals move."""
    return (
        _stays(scope)
        .filter(entered_at__gte=start, entered_at__lt=end)
        .annotate(
            k_stage=F("stage_id"),
            k_advanced=Case(
                When(advanced=True, then=Value(1)), default=Value(0), output_field=IntegerField()
            ),
        )
    )


def _first_since(start: dt.datetime) -> Q:
    """An entry that is its deal's first into the stage since `start` (its previous one there came before,
    or there was none): counting these counts each deal of a cohort once. And since a deal that went further
    after a later entry went further after the first one too, the first entry's `advanced` is the deal's."""
    return Q(previous_entry_at__isnull=True) | Q(previous_entry_at__lt=start)


def _beyond(scope: InsightsScope, stage: StageInfo) -> list[int]:
    """The stages a deal in `stage` goes further to: the pipeline's open and won stages after it."""
    return [
        other.id
        for other in scope.stages
        if other.position > stage.position and other.kind in (StageKind.OPEN, StageKind.WON)
    ]


def _cohorts(scope: InsightsScope, counts: dict[int, tuple[int, int]]) -> list[StageCohort]:
    return [StageCohort(stage.id, *counts.get(stage.id, (0, 0))) for stage in scope.open_stages]


# --- the parts ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenStage:
    """A stage's open deals now: how many, their value and their weighted value, in the base currency."""

    deals: int = 0
    value: Decimal = Decimal("0.00")
    weighted_value: Decimal = Decimal("0.00")


def open_by_stage(scope: InsightsScope) -> dict[int, OpenStage]:
    """The open deals of the pipeline per stage, weighted by the same win probability as My numbers
    (override, else the stage's empirical rate once `WIN_RATE_MIN_CLOSED_DEALS` closed deals passed it,
    else its default): one query grouping by stage and override."""
    # A person's open deals are read from their (owner, status, …, stage, probability, value) index alone
    # when named by the pipeline's stages rather than by the pipeline, which that index lacks (a deal's
    # stage is always one of its pipeline's: the services and imports set the two together): no look-up
    # of each deal's row, a third of the time for a team's 12,000 open deals. Everybody's are read by
    # the pipeline, as before: in the table's order, where the stage index would jump about it by value.
    in_pipeline = (
        Q(pipeline_id=scope.pipeline_id)
        if scope.everything
        else Q(stage_id__in=[stage.id for stage in scope.stages])
    )
    rows = (
        Deal.objects.filter(scope.rows(), in_pipeline, status=DealStatus.OPEN)
        .values("stage_id", "probability")
        .annotate(deals=Count("pk"), value=Sum("base_value"))
        .order_by()
    )
    groups: dict[int, list[OpenDeals]] = defaultdict(list)
    for row in rows:
        groups[row["stage_id"]].append(
            OpenDeals(row["stage_id"], row["probability"], row["deals"], row["value"] or Decimal(0))
        )
    histories = {stage.id: stage.history for stage in scope.stages}
    answer = {}
    for stage_id, stage_groups in groups.items():
        if stage_id not in histories:
            continue  # a deal of this pipeline left in a stage of another one: not this funnel's
        answer[stage_id] = OpenStage(
            deals=sum(group.deals for group in stage_groups),
            value=money(sum((group.value for group in stage_groups), Decimal(0))),
            weighted_value=expected_value(
                stage_groups, stages=histories, min_closed_deals=settings.WIN_RATE_MIN_CLOSED_DEALS
            ).total,
        )
    return answer


def stage_conversions(scope: InsightsScope) -> list[StageCohort]:
    """Per open stage, the deals that entered it in the window and how many of them later reached a
    further stage (PRODUCT.md: stage conversion, cohort): one query."""
    window, _months = _cohort_counts(scope, months=0)
    return window


@dataclass(frozen=True)
class MonthConversion:
    month: dt.date  # its first day
    cohorts: list[StageCohort]  # per open stage: entered in the month, advanced since


def _company_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _month_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=_company_zone())


def _cohort_counts(
    scope: InsightsScope, *, months: int, window: bool = True
) -> tuple[list[StageCohort], list[MonthConversion]]:
    """The stage cohorts of the window (when `window`) and of each of the last `months` calendar months,
    from ONE reading of the stage entries since the earlier of the two starts, counted once."""
    end = scope.window.end
    this_month = timezone.localtime(end, _company_zone()).date().replace(day=1)
    firsts = [add_months(this_month, offset) for offset in range(1 - months, 1)]
    bounds = [_month_start(first) for first in [*firsts, add_months(this_month, 1)]]
    window_start = scope.window.start
    # Every start a cohort has (the window's, the months'), in order. An entry and the deal's previous
    # entry into the stage are each placed by how many of them they are at or after; from the two places
    # Python tells which cohorts the entry is in and whether it is the deal's first there.
    starts = sorted({*([window_start] if window else []), *(bounds if months else [])})
    places = len(starts) + 1
    # The entries from each start to the next (the last: to the end) are counted apart, UNION ALL'd: each
    # part is a range of every person's index of entries, so its place needs no comparison and its grouping
    # sorts a seventh of the rows. Each row is grouped by one integer for its stage, its previous entry's
    # place and "went further", as sorting on one number is faster than on three columns. Less than half
    # the time of one grouping of all the entries labelled by month (a team's 100,000 entries).
    labelled = _stays(scope).annotate(
        k_key=ExpressionWrapper(
            F("stage_id") * (2 * places)
            + _place("previous_entry_at", starts) * 2
            + sql.flag(Q(advanced=True)),
            output_field=BigIntegerField(),
        )
    )
    begun = [start for start in starts if start < end]
    parts = [
        labelled.filter(entered_at__gte=start, entered_at__lt=stop)
        .annotate(k_place=Value(place))
        .values("k_place", "k_key")
        .annotate(entries=Count("*"))
        .order_by()
        for place, (start, stop) in enumerate(itertools.pairwise([*begun, end]), start=1)
    ]
    # None begun only when the months asked start at the very end (the first instant of a month).
    rows = parts[0].union(*parts[1:], all=True) if parts else []
    counted: dict[tuple[int, int, int], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        stage, rest = divmod(row["k_key"], 2 * places)
        counts = counted[(stage, row["k_place"], rest // 2)]
        counts[0] += row["entries"]
        counts[1] += row["entries"] if rest % 2 else 0

    def cohort(start: dt.datetime, stop: dt.datetime | None) -> dict[int, tuple[int, int]]:
        """The entries from `start` to `stop` (None: to the end) that are their deal's first since
        `start` (its previous entry came before `start`, or there was none), per stage."""
        first = starts.index(start)
        last = len(starts) if stop is None else starts.index(stop)
        found: dict[int, tuple[int, int]] = {}
        for (stage, entered_place, previous_place), (entries, advanced) in counted.items():
            if first < entered_place <= last and previous_place <= first:
                entered_before, advanced_before = found.get(stage, (0, 0))
                found[stage] = (entered_before + entries, advanced_before + advanced)
        return found

    return (
        _cohorts(scope, cohort(window_start, None)) if window else [],
        [
            MonthConversion(first, _cohorts(scope, cohort(start, stop)))
            for first, (start, stop) in zip(firsts, itertools.pairwise(bounds), strict=True)
        ],
    )


def _place(field: str, starts: list[dt.datetime]) -> Case:
    """How many of `starts` (in order) the time in `field` is at or after (an empty one is before them
    all). Found by halves, so a row meets a few comparisons rather than one per start, and no date
    function runs per row: the months are the company's on SQLite and PostgreSQL alike."""

    def between(low: int, high: int) -> Case | Value:
        if low == high:
            return Value(low)
        middle = (low + high) // 2
        return Case(
            When(**{f"{field}__lt": starts[middle]}, then=between(low, middle)),
            default=between(middle + 1, high),
            output_field=IntegerField(),
        )

    return Case(
        When(**{f"{field}__isnull": True}, then=Value(0)),
        default=between(0, len(starts)),
        output_field=IntegerField(),
    )


@dataclass(frozen=True)
class StageDuration:
    left: int  # deals that left the stage in the window: the sample
    median_days: float | None


def stage_durations(scope: InsightsScope) -> dict[int, StageDuration]:
    """Per open stage, the median days deals spent in it, over the stays that ended in the window (the
    deal's stage change out of it, against the one into it). One query."""
    window = scope.window
    rows = (
        _stays(scope)
        .filter(left_at__gte=window.start, left_at__lt=window.end)
        .annotate(k_stage=F("stage_id"), k_left_at=F("left_at"), k_entered_at=F("entered_at"))
        .values("k_stage", "k_left_at", "k_entered_at")
    )
    # A count and a median per stage, each over its own stage's rows (FILTER), in one grouping of all the
    # rows: grouping by stage would sort the team's 50,000 stays first, a fifth of the query's time.
    days = sql.days_between_sql("k_entered_at", "k_left_at")
    measures = []
    for place in range(len(scope.open_stages)):
        measures += [
            sql.Measure(f"stays_{place}", "COUNT(*) FILTER (WHERE k_stage = %s)"),
            sql.Measure(f"median_days_{place}", sql.percentile_sql(days, 0.5, where="k_stage = %s")),
        ]
    # The stage of each measure's FILTER: the count's, then the median's.
    params = [stage.id for stage in scope.open_stages for _measure in range(2)]
    (found,) = _grouped(rows, measures, Grouping(), params=params)
    row = found[0] if found else {}
    return {
        stage.id: StageDuration(
            left=int(row.get(f"stays_{place}") or 0),
            median_days=_float(row.get(f"median_days_{place}")),
        )
        for place, stage in enumerate(scope.open_stages)
    }


@dataclass(frozen=True)
class ClosedInWindow:
    """The pipeline's deals won or lost in the window."""

    won: int = 0
    lost: int = 0
    won_value: Decimal = Decimal("0.00")
    lost_value: Decimal = Decimal("0.00")
    median_cycle_days: float | None = None  # creation to won, of the won ones

    @property
    def win_rate(self) -> Decimal | None:
        return funnel.win_rate(self.won, self.lost)

    @property
    def average_won_value(self) -> Decimal | None:
        return funnel.average_value(self.won_value, self.won)

    def velocity(self, open_deals: int) -> Decimal | None:
        """Sales velocity of `open_deals` at this win rate, average won value and cycle (per day)."""
        cycle = self.median_cycle_days
        return funnel.sales_velocity(
            open_deals=open_deals,
            won=self.won,
            lost=self.lost,
            won_value=self.won_value,
            cycle_days=None if cycle is None else Decimal(str(round(cycle, 6))),
        )


def closed_in_window(scope: InsightsScope) -> ClosedInWindow:
    """Won and lost deals of the pipeline closed in the window, their values and the median cycle (days
    from creation to won): one query."""
    window = scope.window
    closed = Q(status=DealStatus.WON, won_at__gte=window.start, won_at__lt=window.end) | Q(
        status=DealStatus.LOST, lost_at__gte=window.start, lost_at__lt=window.end
    )
    is_won = Q(status=DealStatus.WON)
    rows = (
        Deal.objects.filter(scope.rows(), closed, pipeline_id=scope.pipeline_id)
        .annotate(
            k_won=sql.flag(is_won),
            k_value=F("base_value"),
            k_created=F("created_at"),
            k_won_at=F("won_at"),
        )
        .values("k_won", "k_value", "k_created", "k_won_at")
    )
    (found,) = _grouped(rows, _closed_measures(), Grouping())
    return _closed(found[0] if found else {})


def _closed_measures(where: str = "") -> list[sql.Measure]:
    """What `ClosedInWindow` holds, over rows with `k_won` (1 won, 0 lost), `k_value`, `k_created` and
    `k_won_at`; only over those `where` (fixed SQL) says, when it says."""
    only = f" FILTER (WHERE {where})" if where else ""
    return [
        sql.Measure("closed_won", f"SUM(k_won){only}"),
        sql.Measure("closed_lost", f"SUM(1 - k_won){only}"),
        sql.Measure("closed_won_value", f"SUM(CASE WHEN k_won = 1 THEN k_value ELSE 0 END){only}"),
        sql.Measure("closed_lost_value", f"SUM(CASE WHEN k_won = 0 THEN k_value ELSE 0 END){only}"),
        sql.Measure(
            "closed_cycle",
            sql.percentile_sql(
                sql.days_between_sql("k_created", "k_won_at"),
                0.5,
                where=f"k_won = 1 AND {where}" if where else "k_won = 1",
            ),
        ),
    ]


def _closed(row: dict[str, Any]) -> ClosedInWindow:
    return ClosedInWindow(
        won=int(row.get("closed_won") or 0),
        lost=int(row.get("closed_lost") or 0),
        won_value=_decimal(row.get("closed_won_value")),
        lost_value=_decimal(row.get("closed_lost_value")),
        median_cycle_days=_float(row.get("closed_cycle")),
    )


def _decimal(value: Any) -> Decimal:
    """A sum of money from raw SQL (a Decimal on PostgreSQL, an int or float on SQLite), to the cent."""
    return money(Decimal(str(value or 0)))


def lost_reasons(scope: InsightsScope, closed: ClosedInWindow) -> list[ReasonCount]:
    """Why the pipeline's deals lost in the window were lost: the most frequent reasons with their
    deals and value, and one "other" line for the rest (`closed` gives the totals). One query."""
    window = scope.window
    rows = (
        Deal.objects.filter(
            scope.rows(),
            pipeline_id=scope.pipeline_id,
            status=DealStatus.LOST,
            lost_at__gte=window.start,
            lost_at__lt=window.end,
        )
        .values("lost_reason")
        .annotate(deals=Count("pk"), value=Sum("base_value"))
        .order_by("-deals", "lost_reason")[:TOP_LOST_REASONS]
    )
    top = [ReasonCount(row["lost_reason"], row["deals"], money(row["value"] or Decimal(0))) for row in rows]
    return funnel.top_reasons(
        top, total_deals=closed.lost, total_value=closed.lost_value, limit=TOP_LOST_REASONS
    )


def activity_counts(scope: InsightsScope) -> dict[str, int]:
    """Activities of the people in scope done in the window, per kind (every kind, zeros too), whatever
    the pipeline: a call or a note is not always about a deal. One query."""
    window = scope.window
    # Everybody's too, as "every owner": the (owner, kind, done_at) index then serves instead of a scan.
    people = Q(owner_id__in=User.objects.values("pk")) if scope.everything else scope.rows()
    rows = (
        Activity.objects.filter(
            people,
            # Every kind, named: the (owner, kind, done_at) index then seeks instead of reading all.
            kind__in=ActivityKind.values,
            done_at__gte=window.start,
            done_at__lt=window.end,
        )
        # Per person and kind, the index's own order, then added up here (a few hundred rows): grouped by
        # kind alone, SQLite would sort the team's 80,000 activities first, two thirds of the query's time.
        .values("owner_id", "kind")
        .annotate(done=Count("*"))
        .order_by()
    )
    done = dict.fromkeys(ActivityKind.values, 0)
    for row in rows:
        done[row["kind"]] += row["done"]
    return done


def freemium_effect(scope: InsightsScope) -> FreemiumStats:
    """Deals closed in the window with and without a trial, demo or gift done before closing, for the
    same people (every pipeline): the follow-up reports' own figures (one query)."""
    return freemium_total(scope=scope.report_scope, days=scope.window.days, now=scope.window.end)


def closed_and_freemium_effect(scope: InsightsScope) -> tuple[ClosedInWindow, FreemiumStats]:
    """`closed_in_window` and `freemium_effect` in one query: the pipeline's deals closed in the window are
    some of the deals the trials' figures read anyway (the same people's, every pipeline's), so they are
    counted there, flagged by pipeline, rather than looked up again (a team's 11,000 deals)."""
    stats, found = freemium_total_with(
        scope=scope.report_scope,
        days=scope.window.days,
        now=scope.window.end,
        columns={"k_value": F("base_value"), "k_in_pipeline": sql.flag(Q(pipeline_id=scope.pipeline_id))},
        measures=_closed_measures(where="k_in_pipeline = 1"),
    )
    return _closed(found), stats


# --- the whole picture ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageInsight:
    """One open stage of the funnel."""

    stage: StageInfo
    open: OpenStage
    cohort: StageCohort
    duration: StageDuration


@dataclass(frozen=True)
class PipelineInsights:
    scope: InsightsScope
    currency: str
    stages: list[StageInsight]  # the open stages, by position
    closed: ClosedInWindow
    open_deals: int
    open_value: Decimal
    weighted_value: Decimal
    velocity: Decimal | None  # base currency per day
    lost_reasons: list[ReasonCount]
    activities: dict[str, int]
    freemiums: FreemiumStats
    reach: list[Decimal | None] = field(default_factory=list)  # per stage, see `funnel.reach`
    months: list[MonthConversion] = field(default_factory=list)  # see `conversion_by_period`

    @property
    def cohorts(self) -> list[StageCohort]:
        return [line.cohort for line in self.stages]


def pipeline_insights(
    *,
    actor: User,
    owner_id: int | None = None,
    team_id: int | None = None,
    pipeline_id: int | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    now: dt.datetime | None = None,
    months: int = PERIOD_MONTHS,
    scope: InsightsScope | None = None,
) -> PipelineInsights:
    """Everything the Insights page and API show, the conversion of the last `months` months included
    (as `conversion_by_period` counts it, in the same query as the window's cohorts; 0 for none): three
    queries for the scope (none when `scope` is given) and six for the figures, whatever the number of
    deals."""
    if not 0 <= months <= MAX_PERIOD_MONTHS:
        raise InvalidInput(
            _("Ask for 0 to %(most)s months.") % {"most": MAX_PERIOD_MONTHS},
            fields={"months": _("out of range")},
        )
    if scope is None:
        scope = insights_scope(
            actor=actor,
            owner_id=owner_id,
            team_id=team_id,
            pipeline_id=pipeline_id,
            window_days=window_days,
            now=now,
        )
    open_now = open_by_stage(scope)
    cohorts, by_month = _cohort_counts(scope, months=months)
    durations = stage_durations(scope)
    closed, freemiums = closed_and_freemium_effect(scope)
    stages = [
        StageInsight(stage, open_now.get(stage.id, OpenStage()), cohort, durations[stage.id])
        for stage, cohort in zip(scope.open_stages, cohorts, strict=True)
    ]
    open_deals = sum(line.open.deals for line in stages)
    return PipelineInsights(
        scope=scope,
        currency=base_currency(),
        stages=stages,
        closed=closed,
        open_deals=open_deals,
        open_value=money(sum((line.open.value for line in stages), Decimal(0))),
        weighted_value=money(sum((line.open.weighted_value for line in stages), Decimal(0))),
        velocity=closed.velocity(open_deals),
        lost_reasons=lost_reasons(scope, closed),
        activities=activity_counts(scope),
        freemiums=freemiums,
        reach=funnel.reach(cohorts),
        months=by_month,
    )


# --- conversion over time -------------------------------------------------------------------------------


def conversion_by_period(
    *,
    actor: User,
    owner_id: int | None = None,
    team_id: int | None = None,
    pipeline_id: int | None = None,
    months: int = PERIOD_MONTHS,
    now: dt.datetime | None = None,
    scope: InsightsScope | None = None,
) -> list[MonthConversion]:
    """Stage conversion per calendar month (the company's) for the last `months` months, this one
    included: the cohort of each month is the deals that entered the stage in it, and they count as
    advanced when they reached a further stage by now (so the latest months' cohorts are still young).
    One grouped query, besides resolving the scope when it is not given (the scope's window is not used).
    `pipeline_insights` has the same figures in its own query (`months`)."""
    if not 1 <= months <= MAX_PERIOD_MONTHS:
        raise InvalidInput(
            _("Ask for 1 to %(most)s months.") % {"most": MAX_PERIOD_MONTHS},
            fields={"months": _("out of range")},
        )
    if scope is None:
        scope = insights_scope(
            actor=actor, owner_id=owner_id, team_id=team_id, pipeline_id=pipeline_id, now=now
        )
    _window, by_month = _cohort_counts(scope, months=months, window=False)
    return by_month


# --- step conversions per person, for coaching ----------------------------------------------------------


@dataclass(frozen=True)
class StepConversions:
    """Each person's step conversions in a team (or in the actor's whole view), and the total.

    `stages` are the pipeline's open stages by position; every list in `owners` and `total` has one
    `StageCohort(stage_id, entered, advanced)` per stage in that order, zeros included: the deals the
    person owns that entered the stage in the window, and how many of those later reached a further
    stage (an open or won stage at a higher position; being lost is not getting further). `owners` has
    every active person in scope, and anyone else who owns such deals (say, someone since deactivated).
    `total` is the sum over `owners`; `rest(owner_id)` is the total without that person: what a rep is
    compared against."""

    scope: InsightsScope
    stages: list[StageInfo]
    owners: dict[int, list[StageCohort]]
    total: list[StageCohort]

    def rest(self, owner_id: int) -> list[StageCohort]:
        """The team's cohorts without `owner_id`'s (the whole total for someone not in `owners`)."""
        if owner_id not in self.owners:
            return list(self.total)
        return funnel.cohorts_without(self.total, self.owners[owner_id])


def step_conversions(
    *,
    actor: User,
    team_id: int | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    now: dt.datetime | None = None,
    pipeline_id: int | None = None,
    scope: InsightsScope | None = None,
) -> StepConversions:
    """Per person, the stage-to-stage conversion cohorts of `team_id`'s members (None: everyone in the
    actor's view; a rep's view is themselves) in the window, and their total. See `StepConversions`.

    ONE query for the counts, grouped by owner and stage, whatever the number of deals; resolving the
    scope takes three more (none when `scope` is given: then `team_id`, `window_days`, `now` and
    `pipeline_id` are the scope's). A team out of view is NotFound."""
    if scope is None:
        scope = insights_scope(
            actor=actor, team_id=team_id, pipeline_id=pipeline_id, window_days=window_days, now=now
        )
    (rows,) = _grouped(
        _entries(scope, scope.window.start, scope.window.end)
        .filter(_first_since(scope.window.start))
        .annotate(k_owner=F("owner_id"))
        .values("k_owner", "k_stage", "k_advanced"),
        [sql.Measure("entered", "COUNT(*)"), sql.Measure("advanced", "SUM(k_advanced)")],
        Grouping(("k_owner", "k_stage")),
    )
    counts: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    for row in rows:
        counts[row["key_1"]][row["key_2"]] = (int(row["entered"]), int(row["advanced"]))
    members = {person.pk for person in _people_in(scope)}
    owners = {
        owner_id: _cohorts(scope, counts.get(owner_id, {})) for owner_id in sorted(members | set(counts))
    }
    total = funnel.cohorts_total(owners.values()) or _cohorts(scope, {})
    return StepConversions(scope=scope, stages=scope.open_stages, owners=owners, total=total)


def _people_in(scope: InsightsScope) -> list[User]:
    """The active people whose deals the scope covers (from the view already read: no query)."""
    if scope.owner is not None:
        return [scope.owner]
    if scope.team is not None:
        return [person for person in scope.people.people if person.team_id == scope.team.pk]
    if scope.actor.role == Role.REP:
        return [scope.actor]
    return list(scope.people.people)


@dataclass(frozen=True)
class MySteps:
    """One person's step cohorts in the default pipeline and the rest of their team's, as a total (what
    their advice compares; a rep may see the team's total, not its members')."""

    stages: list[StageInfo]  # the open stages, by position
    mine: list[StageCohort]
    rest: list[StageCohort]
    window_days: int


def my_steps(user: User, *, now: dt.datetime, window_days: int = DEFAULT_WINDOW_DAYS) -> MySteps | None:
    """`user`'s step conversions against the rest of their team's (its active members) over the window
    ending `now`; None for someone in no team, or when there is no default pipeline. Two queries: the
    stages, and one count of the team's entries grouped by whether they are the person's."""
    if user.team_id is None:
        return None
    try:
        stages = [stage for _pipeline, _name, stage in _stages(None) if stage.kind == StageKind.OPEN]
    except NotFound:
        return None
    window = report_window(days=window_days, now=now)
    team = User.objects.filter(team_id=user.team_id, is_active=True).values("pk")
    rows = (
        # The stage as an expression: the members' (owner, time) index serves, not the company's.
        StageStay.objects.alias(k_in=F("stage_id") + 0)
        .filter(
            owner_id__in=team,
            k_in__in=[stage.id for stage in stages],
            entered_at__gte=window.start,
            entered_at__lt=window.end,
        )
        .filter(_first_since(window.start))
        .annotate(k_mine=sql.flag(Q(owner_id=user.pk)))
        .values("k_mine", "stage_id")
        # COUNT(*) and a sum, not counts of the key: the key is not in the (owner, time) index that
        # holds everything else counted here.
        .annotate(entered=Count("*"), advanced=Sum(sql.flag(Q(advanced=True))))
        .order_by()
    )
    counts: dict[int, dict[int, tuple[int, int]]] = {0: {}, 1: {}}
    for row in rows:
        counts[row["k_mine"]][row["stage_id"]] = (row["entered"], row["advanced"])
    return MySteps(
        stages=stages,
        mine=[StageCohort(stage.id, *counts[1].get(stage.id, (0, 0))) for stage in stages],
        rest=[StageCohort(stage.id, *counts[0].get(stage.id, (0, 0))) for stage in stages],
        window_days=window.days,
    )
