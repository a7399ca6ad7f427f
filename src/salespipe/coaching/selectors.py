"""Advice for a rep: the facts behind each rule, counted in SQL, and the rules applied (docs/advice.md).

Whose advice (`advice_for`): a rep gets their own; a manager their own and their teams' members'; an
admin anybody's. Anybody else does not exist for the actor (NotFound), as everywhere.

The facts come in a fixed number of queries whatever the number of deals (`tests/coaching/` pins them):

- the open stages of every pipeline: the first two, the last two, those at or past the appointment stage
  (the first one that needs a confirmed decision maker), their rotting days, and whether the rep has open
  deals in them;
- the median days deals spend in each of those stages, over the stays of the rep's team's deals that
  ended in the last `STAGE_EXIT_DAYS` days (two queries: how many per stage, then the sample's); for a
  stage the team left too few times, the company's (two more queries, only then);
- the median value of the rep's open deals (what makes a deal "big");
- ONE query for the rep's open deals: the count and value of every kind of deal the rules look at, and
  the biggest few of each, which the messages name (each kind an `ORDER BY value DESC LIMIT 3` over the
  deals read once, joined with UNION ALL, so no rule reads all the deals);
- ONE count of the rep's planned activities (appointments ahead, open and overdue information requests)
  and one read of the requests due first;
- the appointment → won records of the rep and of their team (`numbers.track_records`: the day's
  snapshots, else counted live), and My numbers' flow for the current quarter (`numbers_report`).

`analytics/advice.py` turns the facts into items.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from salespipe.activities.models import Activity, ActivityKind, ActivityOutcome
from salespipe.analytics import sql
from salespipe.analytics.advice import (
    NAMED_DEALS,
    NO_NEXT_ACTIVITY,
    PAST_CLOSE_DATE,
    ROTTING,
    AdviceFacts,
    AdviceItem,
    ClosingRecord,
    DealRef,
    Deals,
    InfoRequests,
    RequestRef,
    StageMedian,
    Thresholds,
    advise,
)
from salespipe.analytics.funnel import StageCohort, WeakStep, weakest_step
from salespipe.analytics.plan import COMPANY
from salespipe.core.money import base_currency
from salespipe.deals.models import (
    BUYING_AUTHORITY_ROLES,
    Deal,
    DealContact,
    DealStatus,
    Stage,
    StageChange,
    StageKind,
    StageStay,
)
from salespipe.insights import selectors as insights
from salespipe.numbers.selectors import (
    USER,
    NumbersScope,
    company_today,
    numbers_period,
    numbers_report,
    numbers_scope,
)
from salespipe.numbers.track_records import track_record_since, track_records_for
from salespipe.people.models import User

# The stays in a stage that tell how long deals usually spend there: those that ended this recently…
STAGE_EXIT_DAYS = 180
# … and how many of them a median needs (else the company's is used, else the stage is left out).
STAGE_MEDIAN_MIN_EXITS = 5
# The company's exits are a sample: at most this many entries into each stage, the most recent.
COMPANY_EXIT_SAMPLE = 2000
# A busy team's exits are a sample too: of a stage it left more often than this in the window, about this
# many, the most recent (a team of 20 leaves a stage some 17,000 times in half a year at a million deals).
TEAM_EXIT_SAMPLE = 2000

APPOINTMENT_KINDS = (ActivityKind.MEETING, ActivityKind.DEMO)
FREEMIUM_KINDS = (ActivityKind.TRIAL, ActivityKind.DEMO)
# A demo or meeting with one of these outcomes did not take place.
NOT_HELD = (ActivityOutcome.NO_SHOW, ActivityOutcome.CANCELLED_BY_PROSPECT, ActivityOutcome.RESCHEDULED)

# The kinds of open deals the rules look at; each is counted, and the biggest of each read.
TOP, LATE, AT_OR_PAST_APPOINTMENT = "top", "late", "at_or_past_appointment"
NO_DECISION_MAKER, MISSING_BUDGET_OR_TIMELINE = "no_decision_maker", "missing_budget_or_timeline"
MISSING_BUDGET, MISSING_DECISION_DATE = "missing_budget", "missing_decision_date"
NO_NEXT_STEP, ROTTING_DEALS, OVERDUE, STALLED, BIG_AT_RISK = (
    "no_next_step",
    "rotting",
    "overdue",
    "stalled",
    "big_at_risk",
)
LISTED = (
    TOP,
    LATE,
    AT_OR_PAST_APPOINTMENT,
    NO_DECISION_MAKER,
    MISSING_BUDGET_OR_TIMELINE,
    NO_NEXT_STEP,
    ROTTING_DEALS,
    STALLED,
    BIG_AT_RISK,
)
# Why a big deal is at risk, by the name `DealRef.reasons` gives it, and the kind of deal that says so.
REASONS = {ROTTING: ROTTING_DEALS, PAST_CLOSE_DATE: OVERDUE, NO_NEXT_ACTIVITY: NO_NEXT_STEP}
CENT = Decimal("0.01")


def advice_thresholds() -> Thresholds:
    """The ADVICE_* settings (docs/settings.md)."""
    return Thresholds(
        late_stage_deals=settings.ADVICE_LATE_STAGE_DEALS,
        few_appointments=settings.ADVICE_FEW_APPOINTMENTS,
        appointment_days=settings.ADVICE_APPOINTMENT_DAYS,
        crowded_top_percent=settings.ADVICE_CROWDED_TOP_PERCENT,
        crowded_top_deals=settings.ADVICE_CROWDED_TOP_DEALS,
        near_closing_deals=settings.ADVICE_NEAR_CLOSING_DEALS,
        min_trials=settings.ADVICE_MIN_TRIALS,
        certainty_percent=settings.ADVICE_CERTAINTY_PERCENT,
        stalled_percent=settings.ADVICE_STALLED_PERCENT,
        big_deal_percent=settings.ADVICE_BIG_DEAL_PERCENT,
        famine_months=settings.ADVICE_FAMINE_MONTHS,
    )


# --- the stages ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stages:
    names: dict[int, str]
    every: set[int]  # every stage of every pipeline, open or closed: where a deal can go
    firsts: set[int]  # the first open stage of each pipeline, where deals are created
    top: set[int]  # the first two open stages of each pipeline
    late: set[int]  # the last two
    at_or_past_appointment: set[int]  # from the first open stage needing a decision maker on
    rotting_days: dict[int, int]
    with_my_deals: set[int]  # open stages the rep has open deals in


def _stages(user: User) -> _Stages:
    """Every stage, in pipeline order, and whether the rep has open deals in it: one query."""
    mine = Deal.objects.filter(stage_id=OuterRef("pk"), owner_id=user.pk, status=DealStatus.OPEN)
    rows = (
        Stage.objects.annotate(mine=Exists(mine))
        .values("pk", "pipeline_id", "kind", "name", "rotting_days", "requires_decision_maker", "mine")
        .order_by("pipeline_id", "position")
    )
    found = _Stages(
        names={},
        every=set(),
        firsts=set(),
        top=set(),
        late=set(),
        at_or_past_appointment=set(),
        rotting_days={},
        with_my_deals=set(),
    )
    by_pipeline: dict[int, list[Any]] = {}
    for row in rows:
        found.every.add(row["pk"])
        if row["kind"] == StageKind.OPEN:
            by_pipeline.setdefault(row["pipeline_id"], []).append(row)
    for stages in by_pipeline.values():
        found.firsts.add(stages[0]["pk"])
        found.top.update(stage["pk"] for stage in stages[:2])
        found.late.update(stage["pk"] for stage in stages[-2:])
        gate = next((n for n, stage in enumerate(stages) if stage["requires_decision_maker"]), None)
        if gate is not None:
            found.at_or_past_appointment.update(stage["pk"] for stage in stages[gate:])
        for stage in stages:
            found.names[stage["pk"]] = stage["name"]
            if stage["rotting_days"] is not None:
                found.rotting_days[stage["pk"]] = stage["rotting_days"]
            if stage["mine"]:
                found.with_my_deals.add(stage["pk"])
    return found


# --- SQL around the ORM -------------------------------------------------------------------------------------


def _grouped(rows: QuerySet[Any, Any], columns: str, *, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """`columns` (aggregates the ORM does not spell, over the `k_*` columns of `rows`, with `params` for
    their placeholders) in ONE query, the ORM's query as a subquery. Only ORM-compiled SQL and fixed text
    from this module go in; the values stay bound parameters."""
    try:
        inner_sql, inner_params = rows.order_by().query.sql_with_params()
    except EmptyResultSet:
        return []
    statement = f"SELECT {columns} FROM ({inner_sql}) AS facts"  # noqa: S608 - see above
    sql.prepare()
    with connection.cursor() as cursor:
        cursor.execute(statement, (*params, *inner_params))
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# --- how long deals usually stay in a stage -----------------------------------------------------------------


def _stays(stays: QuerySet[StageStay], stage_ids: Sequence[int]) -> dict[int, tuple[int, float]]:
    """Per stage of `stage_ids`, how many of these ended `stays` there are and their median days (entered
    to left). One query, each stage's aggregates FILTERed to its rows rather than the rows grouped by
    stage: SQLite groups by sorting every row into a temporary b-tree first, which for a busy team's
    sample of 13,000 stays made the query three times as long (47 ms against 17)."""
    rows = stays.filter(left_at__isnull=False).values(
        k_stage=F("stage_id"), k_left=F("left_at"), k_entered=F("entered_at")
    )
    days = sql.days_between_sql("k_entered", "k_left")
    columns = ", ".join(
        f"COUNT(*) FILTER (WHERE k_stage = %s) AS stays_{n}, "
        f"{sql.percentile_sql(days, 0.5, where='k_stage = %s')} AS median_days_{n}"
        for n in range(len(stage_ids))
    )
    found = _grouped(
        rows, columns, params=[value for stage_id in stage_ids for value in (stage_id, stage_id)]
    )
    if not found:
        return {}
    row = found[0]
    return {
        stage_id: (int(row[f"stays_{n}"]), float(row[f"median_days_{n}"]))
        for n, stage_id in enumerate(stage_ids)
        if row[f"median_days_{n}"] is not None
    }


def _recent_start(stages: _Stages, since: dt.datetime, now: dt.datetime) -> dt.datetime:
    """Where the company's sample of exits starts: `since`, or later when some stage was entered more
    than `COMPANY_EXIT_SAMPLE` times since then (the time of its latest entry that many back), so that the
    sample stays the same size whatever the size of the company. The stages deals are created in are left
    out: their entries are mostly new deals, not moves. One query, a short index walk per stage on
    (to_stage, changed_at)."""
    nth_latest = (
        StageChange.objects.filter(to_stage_id=OuterRef("pk"), changed_at__gte=since, changed_at__lt=now)
        .order_by("-changed_at")
        .values("changed_at")[COMPANY_EXIT_SAMPLE - 1 : COMPANY_EXIT_SAMPLE]
    )
    moved_into = sorted(stages.every - stages.firsts)
    latest = Stage.objects.filter(pk__in=moved_into).aggregate(start=Max(Subquery(nth_latest)))
    return max(since, latest["start"]) if latest["start"] is not None else since


def _team_sample(
    exits: QuerySet[StageStay], stage_ids: Sequence[int], since: dt.datetime, now: dt.datetime
) -> dict[int, dt.datetime]:
    """Where the team's exits the medians take start, for each stage of `stage_ids` left since `since`:
    `since` (all of them), or, for a stage left more than `TEAM_EXIT_SAMPLE` times, the start of the most
    recent part of the window that holds about that many (its length in proportion, exits coming at a
    steady pace). The median of a day count per exit costs the database a date parse and Python a call per
    exit: a hundred thousand for a busy team, a few thousand per stage with the sample.

    One query: the exits counted through the members' (owner, left) index, which holds the stage too; a
    count FILTERed to each stage rather than a GROUP BY, which on SQLite sorts the team's hundred thousand
    exits of the half-year into a temporary b-tree first, three times the cost."""
    # A count of the stage, not of the key: the key is not in the index, and counting it would read each
    # exit's row.
    found = exits.aggregate(
        **{f"stage_{stage_id}": Count("stage", filter=Q(stage_id=stage_id)) for stage_id in stage_ids}
    )
    window = now - since
    return {
        stage_id: since if exits <= TEAM_EXIT_SAMPLE else now - window * (TEAM_EXIT_SAMPLE / exits)
        for stage_id in stage_ids
        if (exits := found[f"stage_{stage_id}"])
    }


def _stage_medians(user: User, stages: _Stages, now: dt.datetime) -> dict[int, StageMedian]:
    """The median stay in each stage the rep has open deals in: over the stays of their team's deals
    that ended in the last `STAGE_EXIT_DAYS` days (two queries, as costly as the team is busy, whatever the
    size of the company); for a stage the team left fewer than `STAGE_MEDIAN_MIN_EXITS` times, or for a
    rep without a team, over the company's (two more queries, on a sample of bounded size: every exit in
    the window, or in its most recent part when the company is big)."""
    wanted = set(stages.with_my_deals)
    since = now - dt.timedelta(days=STAGE_EXIT_DAYS)
    medians: dict[int, StageMedian] = {}
    if wanted and user.team_id is not None:
        team = User.objects.filter(team_id=user.team_id).values("pk")
        # No condition names the stage but inside an expression (the counts' FILTERs, the sample's start
        # below), so no (stage, left) index competes with the members' (owner, left) one: through the
        # stage, SQLite would read the whole company's stays of the half-year.
        team_exits = StageStay.objects.filter(owner_id__in=team, left_at__lt=now)
        starts = _team_sample(team_exits.filter(left_at__gte=since), sorted(wanted), since, now)
        # Each exit against its stage's start: one CASE per exit costs half an OR of a condition per
        # stage; other stages get no start (NULL), so their exits are left out too. The index range
        # begins at the earliest start: a busy team's half-year before its samples is not read.
        sample_start = Case(
            *(When(stage_id=stage_id, then=Value(start)) for stage_id, start in sorted(starts.items())),
            output_field=DateTimeField(),
        )
        exits = (
            team_exits.alias(k_from=sample_start)
            .filter(left_at__gte=min(starts.values(), default=since))
            .filter(left_at__gte=F("k_from"))
        )
        for stage_id, (stays, days) in _stays(exits, sorted(wanted)).items():
            if stays >= STAGE_MEDIAN_MIN_EXITS:
                medians[stage_id] = StageMedian(stages.names[stage_id], days, stays, "team")
    wanted -= set(medians)
    if wanted:
        start = _recent_start(stages, since, now)
        company = StageStay.objects.filter(stage_id__in=sorted(wanted), left_at__gte=start, left_at__lt=now)
        for stage_id, (stays, days) in _stays(company, sorted(wanted)).items():
            if stays >= STAGE_MEDIAN_MIN_EXITS:
                medians[stage_id] = StageMedian(stages.names[stage_id], days, stays, "company")
    return medians


# --- the rep's open deals -----------------------------------------------------------------------------------


def _median_open_value(user: User) -> Decimal | None:
    """The median base value of the rep's open deals that have a value: one query."""
    rows = Deal.objects.filter(owner_id=user.pk, status=DealStatus.OPEN, base_value__gt=0).values(
        k_value=F("base_value")
    )
    found = _grouped(rows, f"{sql.percentile_sql('k_value', 0.5)} AS median_value")
    value = found[0]["median_value"] if found else None
    return None if value is None else Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _any(conditions: Iterable[Q]) -> Q | None:
    """The conditions OR'd; None (nothing matches) when there are none."""
    found: Q | None = None
    for condition in conditions:
        found = condition if found is None else found | condition
    return found


def _kinds(
    user: User,
    stages: _Stages,
    medians: Mapping[int, StageMedian],
    median_value: Decimal | None,
    limits: Thresholds,
    now: dt.datetime,
    today: dt.date,
) -> dict[str, Q | None]:
    """Each kind of open deal the rules look at, as a condition on the rep's open deals (None: none)."""
    confirmed = DealContact.objects.filter(
        deal_id=OuterRef("pk"), role__in=BUYING_AUTHORITY_ROLES, authority_confirmed_at__isnull=False
    )
    meeting_planned = Activity.objects.filter(
        deal_id=OuterRef("pk"), kind__in=APPOINTMENT_KINDS, done_at__isnull=True, cancelled_at__isnull=True
    )
    freemium_done = Activity.objects.filter(
        deal_id=OuterRef("pk"), kind__in=FREEMIUM_KINDS, done_at__isnull=False
    ).exclude(outcome__in=NOT_HELD)

    at_or_past = (
        Q(stage_id__in=sorted(stages.at_or_past_appointment)) if stages.at_or_past_appointment else None
    )
    by_days: dict[int, list[int]] = {}
    for stage_id, days in stages.rotting_days.items():
        by_days.setdefault(days, []).append(stage_id)
    rotting = _any(
        Q(stage_id__in=sorted(ids), stage_entered_at__lt=cutoff)
        & (Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=cutoff))
        for days, ids in sorted(by_days.items())
        for cutoff in [now - dt.timedelta(days=days)]
    )
    stalled_by = _any(
        Q(stage_id=stage_id, stage_entered_at__lt=now - _stalled_after(median, limits))
        for stage_id, median in sorted(medians.items())
    )
    no_next = Q(next_activity_at__isnull=True)
    overdue = Q(expected_close_date__lt=today)
    kinds: dict[str, Q | None] = {
        TOP: Q(stage_id__in=sorted(stages.top)),
        LATE: Q(stage_id__in=sorted(stages.late)),
        AT_OR_PAST_APPOINTMENT: at_or_past,
        NO_DECISION_MAKER: (
            Q(Exists(meeting_planned)) if at_or_past is None else at_or_past | Q(Exists(meeting_planned))
        )
        & ~Q(Exists(confirmed)),
        MISSING_BUDGET_OR_TIMELINE: None
        if at_or_past is None
        else at_or_past & (Q(budget_amount__isnull=True) | Q(decision_date__isnull=True)),
        MISSING_BUDGET: None if at_or_past is None else at_or_past & Q(budget_amount__isnull=True),
        MISSING_DECISION_DATE: None if at_or_past is None else at_or_past & Q(decision_date__isnull=True),
        NO_NEXT_STEP: no_next,
        ROTTING_DEALS: rotting,
        OVERDUE: overdue,
        STALLED: None if stalled_by is None else stalled_by & ~Q(Exists(freemium_done)),
        BIG_AT_RISK: None,
    }
    if median_value is not None:
        big = (median_value * limits.big_deal_percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        at_risk = overdue | no_next if rotting is None else rotting | overdue | no_next
        kinds[BIG_AT_RISK] = Q(base_value__gte=big, base_value__gt=0) & at_risk
    return kinds


def _stalled_after(median: StageMedian, limits: Thresholds) -> dt.timedelta:
    # At least a day: a stage deals usually leave within hours stalls nobody in an afternoon.
    return max(dt.timedelta(days=median.days * limits.stalled_percent / 100), dt.timedelta(days=1))


def _open_deals(user: User) -> QuerySet[Deal]:
    return Deal.objects.filter(owner_id=user.pk, status=DealStatus.OPEN)


def _open_deal_kinds(
    user: User, kinds: Mapping[str, Q | None]
) -> tuple[dict[str, Any], dict[str, list[DealRef]]]:
    """How many open deals of each kind there are and what they are worth, and the biggest few of each
    listed kind, biggest first: ONE query.

    The rep's open deals are read once into a materialised table, each with a 0/1 flag per kind, so
    each kind's condition (some of them subqueries per deal: a meeting planned, a decision maker
    confirmed, a demo held) is compiled and evaluated once: the counts are aggregates of the flags, and
    each listed kind is its own `ORDER BY value DESC, id DESC LIMIT n` over the flagged rows, labelled
    with the kind and UNION ALL'd. The counts come on every row (a one-row LEFT JOIN, so they come with
    no deal listed too). Apart, the counts and the biggest cost a compilation and an evaluation of every
    condition each, about twice the time."""
    flagged = [name for name, condition in kinds.items() if condition is not None]
    listed = [name for name in LISTED if name in flagged]
    reasons = {reason: name for reason, name in REASONS.items() if name in flagged}
    rows = _open_deals(user).values(
        k_id=F("id"),
        k_title=F("title"),
        k_value=F("base_value"),
        **{f"k_{name}": sql.flag(condition) for name, condition in kinds.items() if condition is not None},
    )
    inner_sql, params = rows.order_by().query.sql_with_params()
    # ORM-compiled SQL and this function's fixed text only (the kinds go by their position in `listed`);
    # the values stay the inner query's parameters.
    aggregates = ", ".join(
        [
            "COUNT(*) AS open_deals",
            *(
                f"COUNT(*) FILTER (WHERE k_{name} = 1) AS {name}_deals, "
                f"SUM(k_value) FILTER (WHERE k_{name} = 1) AS {name}_value"
                for name in flagged
            ),
        ]
    )
    picked = ", ".join(["k_id", "k_title", "k_value", *(f"k_{name}" for name in reasons.values())])
    parts = " UNION ALL ".join(
        f"SELECT * FROM (SELECT {n} AS k_kind, {picked} FROM facts WHERE k_{name} = 1 "  # noqa: S608
        f"ORDER BY k_value DESC, k_id DESC LIMIT {NAMED_DEALS}) AS part_{n}"
        for n, name in enumerate(listed)
    )
    statement = (
        f"WITH facts AS MATERIALIZED ({inner_sql}) SELECT * FROM (SELECT {aggregates} FROM facts) AS totals"  # noqa: S608
    )
    if parts:
        statement += f" LEFT JOIN ({parts}) AS picked ON 1 = 1 ORDER BY k_kind, k_value DESC, k_id DESC"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        names = [column[0] for column in cursor.description]
        found = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    totals = found[0]
    counts = {"open_deals": totals["open_deals"]}
    for name in flagged:
        counts[f"{name}_deals"] = totals[f"{name}_deals"]
        counts[f"{name}_value"] = sql.cents(totals[f"{name}_value"])
    biggest: dict[str, list[DealRef]] = {name: [] for name in listed}
    for row in found:
        if row.get("k_kind") is None:
            continue
        name = listed[row["k_kind"]]
        why = (
            tuple(reason for reason, flag in reasons.items() if row[f"k_{flag}"])
            if name == BIG_AT_RISK
            else ()
        )
        biggest[name].append(DealRef(row["k_id"], row["k_title"], sql.cents(row["k_value"]), why))
    return counts, biggest


def _deals(name: str, counts: Mapping[str, Any], biggest: Mapping[str, list[DealRef]]) -> Deals:
    return Deals(
        count=int(counts.get(f"{name}_deals") or 0),
        value=Decimal(counts.get(f"{name}_value") or 0).quantize(CENT),
        biggest=tuple(biggest.get(name, ())),
    )


# --- planned activities -------------------------------------------------------------------------------------


def _planned(user: User, limits: Thresholds, now: dt.datetime) -> tuple[int, InfoRequests]:
    """Appointments planned ahead, and the information requests waiting for an answer: two queries."""
    planned = Activity.objects.filter(owner_id=user.pk, done_at__isnull=True, cancelled_at__isnull=True)
    request = Q(kind=ActivityKind.INFO_REQUEST)
    counts = planned.order_by().aggregate(
        appointments=Count(
            "pk",
            filter=Q(
                kind__in=APPOINTMENT_KINDS,
                due_at__gte=now,
                due_at__lt=now + dt.timedelta(days=limits.appointment_days),
            ),
        ),
        requests=Count("pk", filter=request),
        overdue=Count("pk", filter=request & Q(due_at__lt=now)),
    )
    first_due = []
    if counts["requests"]:
        first_due = [
            RequestRef(row["id"], row["subject"], row["due_at"], row["deal_id"], row["deal__title"] or "")
            for row in planned.filter(request)
            .order_by(F("due_at").asc(nulls_last=True), "id")
            .values("id", "subject", "due_at", "deal_id", "deal__title")[:NAMED_DEALS]
        ]
    return counts["appointments"], InfoRequests(
        open=counts["requests"], overdue=counts["overdue"], first_due=tuple(first_due)
    )


# --- the track record and the flow --------------------------------------------------------------------------


def _closing(user: User, today: dt.date) -> ClosingRecord:
    """The rep's appointment → won record against the rest of their team's (the company's for a rep
    without a team), over the last twelve months."""
    records = track_records_for(
        owner_id=user.pk,
        team_id=user.team_id,
        company=False,
        today=today,
        since=track_record_since(today, timezone.get_default_timezone()),
    )
    (_own_basis, own), (basis, group) = next(records), next(records)
    return ClosingRecord(
        won=own.appointment_won,
        lost=own.appointment_lost,
        others_won=group.appointment_won - own.appointment_won,
        others_lost=group.appointment_lost - own.appointment_lost,
        others="company" if basis == COMPANY else "team",
    )


# --- the advice ---------------------------------------------------------------------------------------------


def advice_facts(
    *, actor: User, user: User, now: dt.datetime | None = None, thresholds: Thresholds | None = None
) -> AdviceFacts:
    """Everything the rules look at for `user` (whom the actor may see), in a fixed number of queries."""
    now = now or timezone.now()
    limits = thresholds or advice_thresholds()
    today = company_today(now)
    stages = _stages(user)
    medians = _stage_medians(user, stages, now)
    median_value = _median_open_value(user)
    kinds = _kinds(user, stages, medians, median_value, limits, now, today)
    counts, biggest = _open_deal_kinds(user, kinds)
    appointments, requests = _planned(user, limits, now)
    scope = NumbersScope(USER, user.username, str(user), user=user, member_ids=(user.pk,))
    report = numbers_report(actor=actor, scope=scope, period=numbers_period(None, today=today), now=now)
    steps = insights.my_steps(user, now=now)
    return AdviceFacts(
        today=today,
        currency=base_currency(),
        open_deals=int(counts["open_deals"] or 0),
        top=_deals(TOP, counts, biggest),
        late=_deals(LATE, counts, biggest),
        appointments_ahead=appointments,
        at_or_past_appointment=_deals(AT_OR_PAST_APPOINTMENT, counts, biggest),
        no_decision_maker=_deals(NO_DECISION_MAKER, counts, biggest),
        missing_budget_or_timeline=_deals(MISSING_BUDGET_OR_TIMELINE, counts, biggest),
        missing_budget=int(counts.get(f"{MISSING_BUDGET}_deals") or 0),
        missing_decision_date=int(counts.get(f"{MISSING_DECISION_DATE}_deals") or 0),
        no_next_step=_deals(NO_NEXT_STEP, counts, biggest),
        rotting=_deals(ROTTING_DEALS, counts, biggest),
        stalled=_deals(STALLED, counts, biggest),
        stage_medians=tuple(medians[stage_id] for stage_id in sorted(medians)),
        median_open_value=median_value,
        big_at_risk=_deals(BIG_AT_RISK, counts, biggest),
        info_requests=requests,
        closing=_closing(user, today),
        weak_step=None if steps is None else weakest_of(steps.stages, steps.mine, steps.rest, limits),
        steps_window_days=insights.DEFAULT_WINDOW_DAYS if steps is None else steps.window_days,
        flow=tuple(report.flow),
    )


def weakest_of(
    stages: Sequence[insights.StageInfo],
    mine: Sequence[StageCohort],
    rest: Sequence[StageCohort],
    limits: Thresholds,
) -> WeakStep | None:
    """The weakest step of a person's cohorts against the rest of their team's, on the funnel's open
    `stages`, by the advice's thresholds: what the rep's advice and the team page both show."""
    return weakest_step(
        mine,
        rest,
        names=[stage.name for stage in stages],
        won=_("Won"),
        appointment=next(
            (index for index, stage in enumerate(stages) if stage.requires_decision_maker), None
        ),
        min_trials=limits.min_trials,
        certainty=limits.certainty_percent / 100,
    )


@dataclass(frozen=True)
class Advice:
    user: User
    as_of: dt.date  # today, in the company's time zone
    language: str  # the language the messages are in
    items: list[AdviceItem]


def advice_language(user: User) -> str:
    """The messages speak the language of the person the advice is for."""
    return user.language or settings.LANGUAGE_CODE


def advice_for(*, actor: User, username: str | None = None, now: dt.datetime | None = None) -> Advice:
    """The advice for `username` (the actor when None), most important first, in that person's language.
    Someone the actor may not see is NotFound."""
    scope = numbers_scope(actor=actor, user=username)
    assert scope.user is not None
    user = scope.user
    limits = advice_thresholds()
    facts = advice_facts(actor=actor, user=user, now=now, thresholds=limits)
    language = advice_language(user)
    with translation.override(language):
        items = advise(facts, limits)
    return Advice(user=user, as_of=facts.today, language=language, items=items)
