"""The physical limit beside the app: the board, My numbers and the team dashboard computed by the
fewest hand-written SQL statements, on the same database and connection as the app.

Each `*_raw` function returns the same figures as the app's selectors, in the same types (Decimal rounded
the way the app rounds them), so `benchmarks/suite.py` can assert they are equal before it reports the
ratio app ÷ raw SQL: a limit that computed something else would make the ratio meaningless.

The SQL is plain SQL that SQLite and PostgreSQL both run, parameters bound by the driver, except one
expression: "now minus a stage's rotting days" (SQLite's `datetime()`, PostgreSQL's interval arithmetic),
and the median and day counts of a track record counted live, spelled by the app's `analytics.sql`.
What the statements read is what the app reads: table names come from the models, the values (stage
kinds, statuses, activity kinds) from their choices.
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

CENT = Decimal("0.01")
# As Django's SQLite backend turns an aggregate's float into a Decimal (15 significant digits).
_FLOAT_TO_DECIMAL = decimal.Context(prec=15).create_decimal_from_float


def _decimal(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return _FLOAT_TO_DECIMAL(value)
    return Decimal(value)


def _money(value: Any) -> Decimal:
    return _decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _tables() -> dict[str, str]:
    from salespipe.activities.models import Activity
    from salespipe.deals.models import Deal, DealContact, Pipeline, Stage, StageOutcome, StageStay
    from salespipe.directory.models import Organization
    from salespipe.numbers.models import TrackRecordSnapshot
    from salespipe.people.models import Team, User
    from salespipe.quotas.models import CommissionAssignment, CommissionPlan, CommissionTier, Quota

    models = {
        "deal": Deal,
        "stage": Stage,
        "pipeline": Pipeline,
        "outcome": StageOutcome,
        "contact": DealContact,
        "organization": Organization,
        "user": User,
        "team": Team,
        "activity": Activity,
        "stay": StageStay,
        "quota": Quota,
        "assignment": CommissionAssignment,
        "plan": CommissionPlan,
        "tier": CommissionTier,
        "snapshot": TrackRecordSnapshot,
    }
    return {name: model._meta.db_table for name, model in models.items()}


def _run(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _datetime(value: dt.datetime) -> Any:
    from django.db import connection

    return connection.ops.adapt_datetimefield_value(value)


def _date(value: dt.date) -> Any:
    from django.db import connection

    return connection.ops.adapt_datefield_value(value)


def _owners(actor: Any) -> tuple[str, list[Any]]:
    """Whose deals the actor sees (people.selectors.owner_scope): a rep, their own; a manager, their own
    and their teams' members', read first (one statement) and then named in the query, as the app names
    them: given the subquery instead, PostgreSQL guessed a hundred owners for a team of 21 and read every
    open deal of the company (232 ms instead of ~40 at 1M). Admins are not measured here."""
    from salespipe.people.models import Role

    tables = _tables()
    if actor.role == Role.MANAGER:
        ids = [
            row[0]
            for row in _run(
                f"SELECT u.id FROM {tables['user']} u WHERE u.id = %s "  # noqa: S608 - table names from models
                f"OR u.team_id IN (SELECT t.id FROM {tables['team']} t WHERE t.manager_id = %s)",
                [actor.pk, actor.pk],
            )
        ]
        values = ", ".join(["(%s)"] * len(ids))
        return f"SELECT v.column1 AS id FROM (VALUES {values}) AS v", ids  # noqa: S608 - placeholders only
    if actor.role == Role.REP:
        return "SELECT %s AS id", [actor.pk]
    raise ValueError("the raw-SQL board is measured for reps and managers")


# The closed deals that passed a deal's stage (its outcome row `o`, LEFT JOINed: none yet is none closed).
_CLOSED = "(COALESCE(o.won_deals, 0) + COALESCE(o.lost_deals, 0))"


def _probability(min_closed_deals: int) -> tuple[str, list[Any]]:
    """A deal's win probability (0-1): its override, else the stage's empirical rate when enough closed
    deals passed it, else the stage's default (analytics.forecast.win_probability)."""
    return (
        "(CASE WHEN d.probability IS NOT NULL THEN d.probability / 100.0 "
        f"WHEN {_CLOSED} >= %s AND {_CLOSED} > 0 THEN o.won_deals * 1.0 / {_CLOSED} "
        "ELSE s.default_probability / 100.0 END)",
        [min_closed_deals],
    )


def _probability_source(min_closed_deals: int) -> tuple[str, list[Any]]:
    """Where `_probability` took a deal's probability from, as the index of its source in
    analytics.forecast.PROBABILITY_SOURCES: 0 its override, 1 the stage's empirical rate, 2 the stage's
    default (the same conditions, in the same order)."""
    return (
        "(CASE WHEN d.probability IS NOT NULL THEN 0 "
        f"WHEN {_CLOSED} >= %s AND {_CLOSED} > 0 THEN 1 ELSE 2 END)",
        [min_closed_deals],
    )


# --- the board ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardColumn:
    count: int
    value: Decimal
    weighted_value: Decimal
    card_ids: tuple[int, ...]  # the first page, biggest value first


def board_raw(*, actor: Any, size: int = 20) -> dict[int, BoardColumn]:
    """The default board of a rep or manager: per open stage of the default pipeline, the count, value and
    weighted value of the open deals in the actor's scope, and the first `size` cards by value with what a
    card shows (title, value, organization, owner, the progress dates, a confirmed decision maker), in ONE
    statement of window functions.

    The owners are read first, then their open deals through the owner index (CROSS JOIN keeps that order
    on SQLite, which otherwise walks the stage index through every deal to save the ranking's sort), and
    the columns of other pipelines are dropped after the ranking. The ranking carries ids and figures only;
    what a card shows is read for the cards alone, and their organization and owner looked up per card:
    joined, PostgreSQL expected thousands of ranked rows and hashed every organization."""
    from salespipe.deals.models import BUYING_AUTHORITY_ROLES, DealStatus, StageKind

    tables = _tables()
    owners, owner_params = _owners(actor)
    roles = ", ".join(["%s"] * len(BUYING_AUTHORITY_ROLES))
    sql = f"""
        SELECT r.stage_id, r.deals, r.total_value, r.weighted_points, d.id, d.title, d.value, d.currency,
               (SELECT org.name FROM {tables["organization"]} org WHERE org.id = d.organization_id),
               (SELECT u.username FROM {tables["user"]} u WHERE u.id = d.owner_id),
               (SELECT u.first_name FROM {tables["user"]} u WHERE u.id = d.owner_id),
               (SELECT u.last_name FROM {tables["user"]} u WHERE u.id = d.owner_id),
               d.stage_entered_at, d.last_activity_at, d.next_activity_at,
               EXISTS (SELECT 1 FROM {tables["contact"]} c
                       WHERE c.deal_id = d.id AND c.role IN ({roles})
                         AND c.authority_confirmed_at IS NOT NULL) AS confirmed
        FROM (
            SELECT d.id, d.stage_id,
                   ROW_NUMBER() OVER (PARTITION BY d.stage_id ORDER BY d.value DESC, d.id DESC) AS place,
                   COUNT(*) OVER (PARTITION BY d.stage_id) AS deals,
                   SUM(d.base_value) OVER (PARTITION BY d.stage_id) AS total_value,
                   SUM(d.base_value * COALESCE(d.probability, s.default_probability))
                       OVER (PARTITION BY d.stage_id) AS weighted_points
            FROM ({owners}) owners
            CROSS JOIN {tables["deal"]} d
            CROSS JOIN {tables["stage"]} s
            WHERE d.owner_id = owners.id AND d.status = %s AND s.id = d.stage_id
        ) r
        CROSS JOIN {tables["deal"]} d
        WHERE d.id = r.id AND r.place <= %s
          AND r.stage_id IN (SELECT s.id FROM {tables["stage"]} s
                             JOIN {tables["pipeline"]} p ON p.id = s.pipeline_id
                             WHERE s.kind = %s AND p.is_default = %s AND p.is_active = %s)
        ORDER BY r.stage_id, r.place
    """  # noqa: S608 - table names from the models, values bound
    params = [*BUYING_AUTHORITY_ROLES, *owner_params, DealStatus.OPEN, size, StageKind.OPEN, True, True]
    columns: dict[int, BoardColumn] = {}
    for row in _run(sql, params):
        stage_id = row[0]
        column = columns.get(stage_id)
        if column is None:
            column = BoardColumn(
                count=row[1],
                value=_money(row[2]),
                weighted_value=(_decimal(row[3]) / 100).quantize(CENT, ROUND_HALF_UP),
                card_ids=(),
            )
        columns[stage_id] = BoardColumn(
            column.count, column.value, column.weighted_value, (*column.card_ids, row[4])
        )
    return columns


def board_app(*, actor: Any, size: int = 20) -> dict[int, BoardColumn]:
    """The same figures from the board's selectors (what `/board/` shows, without the template)."""
    from salespipe.deals import selectors
    from salespipe.deals.models import StageKind

    all_stages = selectors.board_stages(actor=actor)
    pipelines = {stage.pipeline.pk: stage.pipeline for stage in all_stages}.values()
    pipeline = next((p for p in pipelines if p.is_default), None)
    stages = [s for s in all_stages if pipeline and s.pipeline_id == pipeline.pk and s.kind == StageKind.OPEN]
    columns = selectors.board_columns(actor=actor, stages=stages, filters=selectors.BoardFilters(), size=size)
    return {
        stage_id: BoardColumn(
            count=total.count,
            value=total.value,
            weighted_value=total.weighted_value,
            card_ids=tuple(card.deal.pk for card in columns.pages[stage_id].cards),
        )
        for stage_id, total in columns.totals.items()
    }


# --- My numbers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowLine:
    """One month of the flow ahead."""

    month: dt.date
    expected: Decimal
    quota: Decimal | None  # the month's share of the quota


@dataclass(frozen=True)
class MemberNumbers:
    """One member's line in a team's numbers."""

    user_id: int
    won: Decimal
    won_deals: int
    expected: Decimal
    quota: Decimal | None
    earned: Decimal | None  # commission; None without a plan
    projected: Decimal | None


@dataclass(frozen=True)
class Numbers:
    won: Decimal
    won_deals: int
    expected: Decimal
    expected_by_source: dict[str, Decimal]  # the sources table: override, empirical, stage default
    deals_by_source: dict[str, int]
    open_value: Decimal
    open_deals: int
    undated_value: Decimal
    undated_deals: int
    overdue_value: Decimal
    overdue_deals: int
    numbers: Any  # analytics.forecast.ThreeNumbers: the period's quota, won, expected, gap, attainment…
    won_this_month: Decimal
    flow: list[FlowLine]
    plan: Any  # analytics.plan.Plan, whole: the rates and their basis, what is needed, by when, per week
    commission: Any  # numbers.selectors.Commission | None: plans, earned, projected
    members: list[MemberNumbers]  # a team's, in the page's order; none for one person


def _period_bounds(period: Any) -> tuple[dt.datetime, dt.datetime]:
    """Won in the period: from its first day's midnight to the next day after its last, on the company's
    clock (numbers.selectors._day_start)."""
    from django.conf import settings

    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(period.starts_on, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(period.ends_on + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def _day(value: Any) -> dt.date:
    """A date column's value: SQLite's driver hands over the text Django stored."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _placeholders(values: list[Any]) -> tuple[str, list[Any]]:
    """`IN (…)` for these values; one NULL, matching nothing, for none (a team without active members)."""
    values = values or [None]
    return ", ".join(["%s"] * len(values)), values


@dataclass
class _OwnerDeals:
    """One owner's sums from the deals statement, as read (weighted values unrounded)."""

    won: Decimal = Decimal("0.00")
    won_deals: int = 0
    won_this_month: Decimal = Decimal("0.00")
    expected_by_source: tuple[Decimal, ...] = (Decimal(0),) * 3  # forecast.PROBABILITY_SOURCES' order
    deals_by_source: tuple[int, ...] = (0,) * 3
    open_value: Decimal = Decimal(0)
    undated_value: Decimal = Decimal(0)
    undated_deals: int = 0
    overdue_value: Decimal = Decimal(0)
    overdue_deals: int = 0
    flow: tuple[Decimal, ...] = ()  # weighted value expected to close in each month of the flow

    @property
    def expected(self) -> Decimal:
        return sum(self.expected_by_source, Decimal(0))


def _numbers_deals(
    owners: str, owner_params: list[Any], *, period: Any, today: dt.date, flow_months: list[dt.date]
) -> tuple[list[tuple[int, int | None]], dict[int, _OwnerDeals]]:
    """Statement 1 of My numbers: the members (id and team; a team's in the page's order, first name, last
    name, username, ranked by the database, whose collation the app's ORDER BY uses too) and their deals
    grouped by owner, in three parts (numbered: UNION ALL promises no order). Won deals through the
    (owner, won_at) index, over the period and the current month at once: value and count in the period,
    value this month. Open deals through the (owner, status, close date) index, each with its win
    probability and where it comes from (the inner SELECT names them once for all the sums): in the
    period, the weighted value and the count per source (the sources table; their sum is the expected
    value) and the value; without a close date; overdue; and the weighted value per month of the flow.
    The owners are read first (CROSS JOIN: SQLite otherwise reads the company's won deals of the period by
    status and date). Per owner rather than in total: a team's page has a line per member."""
    from django.conf import settings

    from salespipe.analytics.periods import add_months, month_period
    from salespipe.deals.models import DealStatus

    tables = _tables()
    width = 17  # figure columns: the open part's; the others fill theirs with NULL
    start, end = _period_bounds(period)
    month_start, month_end = _period_bounds(month_period(flow_months[0]))
    won_in = "d.won_at >= %s AND d.won_at < %s"
    in_period = [_datetime(start), _datetime(end)]
    in_month = [_datetime(month_start), _datetime(month_end)]
    won_columns = [
        (f"SUM(CASE WHEN {won_in} THEN d.base_value END)", in_period),
        (f"COUNT(CASE WHEN {won_in} THEN 1 END)", in_period),
        (f"SUM(CASE WHEN {won_in} THEN d.base_value END)", in_month),
    ]
    due = "k.closes_on >= %s AND k.closes_on <= %s"
    due_params = [_date(period.starts_on), _date(period.ends_on)]
    overdue = [_date(today)]
    open_columns = [
        *((f"SUM(CASE WHEN {due} AND k.source = {n} THEN k.value * k.p END)", due_params) for n in range(3)),
        *((f"COUNT(CASE WHEN {due} AND k.source = {n} THEN 1 END)", due_params) for n in range(3)),
        (f"SUM(CASE WHEN {due} THEN k.value END)", due_params),
        ("SUM(CASE WHEN k.closes_on IS NULL THEN k.value END)", []),
        ("COUNT(CASE WHEN k.closes_on IS NULL THEN 1 END)", []),
        ("SUM(CASE WHEN k.closes_on < %s THEN k.value END)", overdue),
        ("COUNT(CASE WHEN k.closes_on < %s THEN 1 END)", overdue),
        *(
            (
                "SUM(CASE WHEN k.closes_on >= %s AND k.closes_on < %s THEN k.value * k.p END)",
                [_date(month), _date(add_months(month, 1))],
            )
            for month in flow_months
        ),
    ]
    assert len(open_columns) == width

    def columns(found: list[tuple[str, list[Any]]]) -> tuple[str, list[Any]]:
        padded = [*(text for text, _params in found), *["NULL"] * (width - len(found))]
        return ", ".join(padded), [param for _text, params in found for param in params]

    probability, probability_params = _probability(settings.WIN_RATE_MIN_CLOSED_DEALS)
    source, source_params = _probability_source(settings.WIN_RATE_MIN_CLOSED_DEALS)
    members_sql, members_params = columns(
        [("u.team_id", []), ("ROW_NUMBER() OVER (ORDER BY u.first_name, u.last_name, u.username)", [])]
    )
    won_sql, won_params = columns(won_columns)
    open_sql, open_params = columns(open_columns)
    # The open part first: PostgreSQL types a UNION's columns part by part, and a column of NULLs in the
    # first two parts would be text.
    sql = f"""
        SELECT 2, k.owner_id, {open_sql}
        FROM (
            SELECT d.owner_id, d.base_value AS value, d.expected_close_date AS closes_on,
                   {probability} AS p, {source} AS source
            FROM ({owners}) owners CROSS JOIN {tables["deal"]} d CROSS JOIN {tables["stage"]} s
            LEFT JOIN {tables["outcome"]} o ON o.stage_id = d.stage_id
            WHERE d.owner_id = owners.id AND s.id = d.stage_id AND d.status = %s
        ) k
        GROUP BY k.owner_id
        UNION ALL
        SELECT 1, d.owner_id, {won_sql}
        FROM ({owners}) owners CROSS JOIN {tables["deal"]} d
        WHERE d.owner_id = owners.id AND d.status = %s AND d.won_at >= %s AND d.won_at < %s
        GROUP BY d.owner_id
        UNION ALL
        SELECT 0, u.id, {members_sql}
        FROM ({owners}) owners CROSS JOIN {tables["user"]} u
        WHERE u.id = owners.id
    """  # noqa: S608 - table names from the models, values bound
    params = [
        *open_params,
        *probability_params,
        *source_params,
        *owner_params,
        DealStatus.OPEN,
        *won_params,
        *owner_params,
        DealStatus.WON,
        _datetime(min(start, month_start)),
        _datetime(max(end, month_end)),
        *members_params,
        *owner_params,
    ]
    places: list[tuple[int, int, int | None]] = []
    deals: dict[int, _OwnerDeals] = {}
    for part, owner_id, *figures in _run(sql, params):
        if part == 0:
            team_id = None if figures[0] is None else int(figures[0])
            places.append((int(figures[1]), owner_id, team_id))
            continue
        owner = deals.setdefault(owner_id, _OwnerDeals())
        if part == 1:
            owner.won, owner.won_this_month = _money(figures[0]), _money(figures[2])
            owner.won_deals = int(figures[1])
            continue
        owner.expected_by_source = tuple(_decimal(value) for value in figures[0:3])
        owner.deals_by_source = tuple(int(count) for count in figures[3:6])
        owner.open_value = _decimal(figures[6])
        owner.undated_value, owner.undated_deals = _decimal(figures[7]), int(figures[8])
        owner.overdue_value, owner.overdue_deals = _decimal(figures[9]), int(figures[10])
        owner.flow = tuple(_decimal(value) for value in figures[11:])
    members = [(owner_id, team_id) for _place, owner_id, team_id in sorted(places)]
    return members, deals


class _QuotaRow(NamedTuple):
    """What `quotas.resolution.QuotaBook` reads of a `Quota`, without building the model instance."""

    user_id: int | None
    team_id: int | None
    period_kind: str
    starts_on: dt.date
    ends_on: dt.date
    target_value: Decimal
    target_deals: int | None


def _numbers_quotas(
    member_ids: list[int], team_id: int | None, first_month: dt.date, last_month: dt.date
) -> Any:
    """Statement 2: the quotas of the members (and of the team, for a team's page) overlapping the months
    the page resolves — the period's and the flow's — through the quotas' (user, start) and (team, start)
    indexes, in the app's order. Resolved by the app's own `QuotaBook`, fed the columns it reads: which
    quota covers a month, a quarter's third, a team's members added up are rules, not reading."""
    from salespipe.analytics.periods import add_months
    from salespipe.quotas.resolution import QuotaBook

    tables = _tables()
    in_members, member_params = _placeholders(member_ids)
    owners = f"q.user_id IN ({in_members})"
    if team_id is not None:
        owners = f"({owners} OR q.team_id = %s)"
        member_params = [*member_params, team_id]
    sql = f"""
        SELECT q.user_id, q.team_id, q.period_kind, q.starts_on, q.ends_on, q.target_value, q.target_deals
        FROM {tables["quota"]} q
        WHERE {owners} AND q.starts_on <= %s AND q.ends_on >= %s
        ORDER BY q.starts_on, q.period_kind
    """  # noqa: S608 - table names from the models, values bound
    ends = add_months(last_month, 1) - dt.timedelta(days=1)
    quotas = [
        _QuotaRow(user, team, kind, _day(starts_on), _day(ends_on), _money(value), deals)
        for user, team, kind, starts_on, ends_on, value, deals in _run(
            sql, [*member_params, _date(ends), _date(first_month)]
        )
    ]
    if team_id is None:
        return QuotaBook(quotas, members={}, teamless=member_ids)  # type: ignore[arg-type]
    return QuotaBook(quotas, members={team_id: member_ids}, teamless=[])  # type: ignore[arg-type]


def _numbers_commission_plans(member_ids: list[int], period: Any) -> dict[int, tuple[str, Any]]:
    """Statement 3: the members' commission plans, with their tiers, in one join: per member the latest
    assignment overlapping the period (the first row of each member, latest first) and its plan's name,
    base rate, cap and tiers (one row per tier). Returns each member's plan name and
    `analytics.commission.CommissionRules`."""
    from salespipe.analytics.commission import CommissionRules, Tier

    tables = _tables()
    in_members, member_params = _placeholders(member_ids)
    sql = f"""
        SELECT a.user_id, a.id, p.name, p.base_rate, p.cap, t.from_attainment, t.rate
        FROM {tables["assignment"]} a
        JOIN {tables["plan"]} p ON p.id = a.plan_id
        LEFT JOIN {tables["tier"]} t ON t.plan_id = p.id
        WHERE a.user_id IN ({in_members}) AND a.starts_on <= %s AND (a.ends_on IS NULL OR a.ends_on >= %s)
        ORDER BY a.user_id, a.starts_on DESC, a.id DESC, t.from_attainment
    """  # noqa: S608 - table names from the models, values bound
    chosen: dict[int, tuple[int, str, Decimal, Decimal | None, list[Any]]] = {}
    for user_id, assignment_id, name, base_rate, cap, from_attainment, rate in _run(
        sql, [*member_params, _date(period.ends_on), _date(period.starts_on)]
    ):
        plan = chosen.setdefault(
            user_id, (assignment_id, name, _money(base_rate), None if cap is None else _money(cap), [])
        )
        if plan[0] == assignment_id and from_attainment is not None:
            plan[4].append(Tier(_money(from_attainment), _money(rate)))
    return {
        user_id: (name, CommissionRules(base_rate=base_rate, tiers=tiers, cap=cap))
        for user_id, (_id, name, base_rate, cap, tiers) in chosen.items()
    }


def _numbers_track_records(
    *, user_id: int | None, team_id: int | None, today: dt.date
) -> list[tuple[str, Any]]:
    """Statement 4: today's track-record snapshots of the levels the plan falls back through (a user's
    own, their team's, the company's; a team's own, the company's), in one statement; then, as
    `numbers.track_records.track_records_for`, the records in that order up to the first sufficient one,
    each from its snapshot or, without one, counted live (`_track_record_live`, one statement each)."""
    from django.conf import settings

    from salespipe.analytics.plan import COMPANY, OWN, TEAM, TrackRecord
    from salespipe.numbers.models import TrackRecordLevel
    from salespipe.numbers.track_records import COMPANY_KEY, track_record_since

    levels: list[tuple[str, str, int]] = []
    if user_id is not None:
        levels.append((OWN, TrackRecordLevel.OWNER, user_id))
    if team_id is not None:
        levels.append((OWN if user_id is None else TEAM, TrackRecordLevel.TEAM, team_id))
    levels.append((COMPANY, TrackRecordLevel.ALL, COMPANY_KEY))
    wanted = " OR ".join(["(r.level = %s AND r.key = %s)"] * len(levels))
    sql = f"""
        SELECT r.level, r.key, r.won_deals, r.lost_deals, r.won_value, r.cycle_days, r.appointment_won,
               r.appointment_lost, r.appointments, r.calls
        FROM {_tables()["snapshot"]} r
        WHERE r.as_of = %s AND ({wanted})
    """  # noqa: S608 - table names from the models, values bound
    params = [_date(today), *(value for _basis, level, key in levels for value in (level, key))]
    snapshots = {}
    for level, key, won_deals, lost_deals, won_value, cycle_days, *appointments_and_calls in _run(
        sql, params
    ):
        appointment_won, appointment_lost, appointments, calls = appointments_and_calls
        snapshots[(level, key)] = TrackRecord(
            won_deals=won_deals,
            lost_deals=lost_deals,
            won_value=_money(won_value),
            cycle_days=cycle_days,
            appointment_won=appointment_won,
            appointment_lost=appointment_lost,
            appointments=appointments,
            calls=calls,
        )
    since = track_record_since(today, zoneinfo.ZoneInfo(settings.TIME_ZONE))
    records = []
    for basis, level, key in levels:
        record = snapshots.get((level, key))
        if record is None:
            record = _track_record_live(level, key, since)
        records.append((basis, record))
        if record.sufficient:
            break
    return records


def _track_record_live(level: str, key: int, since: dt.datetime) -> Any:
    """A track record without today's snapshot (numbers.track_records.track_record_live: two queries),
    in ONE statement of two parts: the deals of the level's owners won or lost since `since`, with
    whether a meeting was held on them (won, lost, won value, median days from creation to won, won and
    lost after a meeting), and their calls and meetings done since then. The median is the app's SQL
    (`analytics.sql.percentile_sql`: PostgreSQL's percentile_cont, SQLite's registered aggregate)."""
    from salespipe.activities.models import ActivityKind
    from salespipe.analytics import sql as report_sql
    from salespipe.analytics.plan import TrackRecord
    from salespipe.deals.models import DealStatus
    from salespipe.numbers.models import TrackRecordLevel
    from salespipe.numbers.track_records import NOT_HELD

    tables = _tables()
    if level == TrackRecordLevel.OWNER:
        owns, owner_params = "{alias}.owner_id = %s", [key]
    elif level == TrackRecordLevel.TEAM:
        owns = f"{{alias}}.owner_id IN (SELECT u.id FROM {tables['user']} u WHERE u.team_id = %s)"  # noqa: S608
        owner_params = [key]
    else:
        owns, owner_params = "1 = 1", []
    not_held = ", ".join(["%s"] * len(NOT_HELD))
    cycle = report_sql.percentile_sql(
        report_sql.days_between_sql("k.created_at", "k.won_at"), 0.5, where="k.won = 1"
    )
    sql = f"""
        SELECT 1, SUM(k.won), SUM(1 - k.won), SUM(CASE WHEN k.won = 1 THEN k.value ELSE 0 END), {cycle},
               SUM(CASE WHEN k.met = 1 AND k.won = 1 THEN 1 ELSE 0 END),
               SUM(CASE WHEN k.met = 1 AND k.won = 0 THEN 1 ELSE 0 END), 0, 0
        FROM (
            SELECT CASE WHEN d.status = %s THEN 1 ELSE 0 END AS won, d.base_value AS value,
                   d.created_at, d.won_at,
                   CASE WHEN EXISTS (SELECT 1 FROM {tables["activity"]} a
                                     WHERE a.deal_id = d.id AND a.kind = %s AND a.done_at IS NOT NULL
                                       AND a.outcome NOT IN ({not_held})) THEN 1 ELSE 0 END AS met
            FROM {tables["deal"]} d
            WHERE {owns.format(alias="d")}
              AND ((d.status = %s AND d.won_at >= %s) OR (d.status = %s AND d.lost_at >= %s))
        ) k
        UNION ALL
        SELECT 2, 0, 0, 0, NULL, 0, 0,
               COUNT(CASE WHEN a.kind = %s AND a.purpose = %s THEN 1 END),
               COUNT(CASE WHEN a.kind = %s AND a.outcome NOT IN ({not_held}) THEN 1 END)
        FROM {tables["activity"]} a
        WHERE {owns.format(alias="a")} AND a.done_at >= %s AND a.kind IN (%s, %s)
    """  # noqa: S608 - table names from the models, values bound
    start = _datetime(since)
    params = [
        DealStatus.WON,
        ActivityKind.MEETING,
        *NOT_HELD,
        *owner_params,
        DealStatus.WON,
        start,
        DealStatus.LOST,
        start,
        ActivityKind.CALL,
        "",
        ActivityKind.MEETING,
        *NOT_HELD,
        *owner_params,
        start,
        ActivityKind.CALL,
        ActivityKind.MEETING,
    ]
    report_sql.prepare()
    deals, activities = (row[1:] for row in sorted(_run(sql, params)))
    won_deals, lost_deals, won_value, cycle_days, appointment_won, appointment_lost = deals[:6]
    return TrackRecord(
        won_deals=int(won_deals or 0),
        lost_deals=int(lost_deals or 0),
        won_value=Decimal(str(won_value or 0)).quantize(CENT),
        cycle_days=None if cycle_days is None else float(cycle_days),
        appointment_won=int(appointment_won or 0),
        appointment_lost=int(appointment_lost or 0),
        appointments=int(activities[7]),
        calls=int(activities[6]),
    )


def numbers_raw(
    *, user_id: int | None = None, team_id: int | None = None, period: Any, today: dt.date
) -> Numbers:
    """Everything My numbers shows for one user or a team's active members: won in the period and this
    month; the open deals expected to close in it (value, count, weighted value per probability source),
    without a close date, overdue; the quota of the period and of each month ahead; the three numbers;
    commission earned and projected; the plan (the reverse funnel from the first sufficient track record);
    the flow of the next months; and, for a team, each member's line. FOUR statements, each its own
    function below: (1) the members and their deals per owner; (2) their quotas; (3) their commission
    plans and tiers; (4) today's track-record snapshots (a level without one is counted live, one
    statement more each, as the app does). The app: the won query, the open groups, the stages' closed
    history, the quota book, the commission assignments and tiers, the members, the snapshots.

    The arithmetic is the app's own pure functions, fed from the rows read here: the quota resolution
    (`QuotaBook`), `three_numbers`, `commission_due`, `plan_rates`, `reverse_funnel`, `flow_ahead`. The
    page cannot avoid it; the limit is about reading."""
    from django.conf import settings

    from salespipe.analytics.forecast import PROBABILITY_SOURCES, MonthOutlook, flow_ahead, three_numbers
    from salespipe.analytics.periods import add_months, month_period
    from salespipe.analytics.plan import plan_rates, reverse_funnel
    from salespipe.numbers.selectors import FLOW_MONTHS, commission_on

    tables = _tables()
    if team_id is not None:
        owners = f"SELECT u.id AS id FROM {tables['user']} u WHERE u.team_id = %s AND u.is_active = %s"  # noqa: S608
        owner_params: list[Any] = [team_id, True]
    else:
        owners, owner_params = "SELECT %s AS id", [user_id]
    this_month = month_period(today).starts_on
    flow_months = [add_months(this_month, offset) for offset in range(FLOW_MONTHS)]

    roster, deals = _numbers_deals(owners, owner_params, period=period, today=today, flow_months=flow_months)
    member_ids = [member_id for member_id, _team in roster]
    book = _numbers_quotas(
        member_ids,
        team_id,
        min(period.starts_on, this_month),
        max(period.month_starts[-1], flow_months[-1]),
    )
    plans = _numbers_commission_plans(member_ids, period)
    # A user's plan falls back on their team's record: the team read with them in statement 1.
    records_team_id = team_id if team_id is not None else next((team for _id, team in roster), None)
    records = _numbers_track_records(user_id=user_id, team_id=records_team_id, today=today)

    def quota_of(of: Any) -> Any:
        return book.team_period(team_id, of) if team_id is not None else book.user_period(user_id, of)

    owners_deals = list(deals.values())
    by_source = [sum((owner.expected_by_source[n] for owner in owners_deals), Decimal(0)) for n in range(3)]
    won = _money(sum((owner.won for owner in owners_deals), Decimal(0)))
    expected = _money(sum(by_source, Decimal(0)))
    open_value = _money(sum((owner.open_value for owner in owners_deals), Decimal(0)))
    quota = quota_of(period)
    numbers = three_numbers(quota=quota.value, won=won, expected=expected, open_value=open_value)

    members = []
    if team_id is None:
        paid = commission_on(plans.get(user_id), won, expected, quota.value)
    else:
        lines = []
        for member_id in member_ids:
            owner = deals.get(member_id, _OwnerDeals())
            member_quota = book.user_period(member_id, period).value
            member_expected = _money(owner.expected)
            line = commission_on(plans.get(member_id), owner.won, member_expected, member_quota)
            lines.append(line)
            members.append(
                MemberNumbers(
                    user_id=member_id,
                    won=owner.won,
                    won_deals=owner.won_deals,
                    expected=member_expected,
                    quota=member_quota,
                    earned=None if line is None else line.earned,
                    projected=None if line is None else line.projected,
                )
            )
        paid = _members_commission(lines)

    rates = plan_rates(records)
    plan = reverse_funnel(
        gap=numbers.gap or Decimal(0), rates=rates, period_ends_on=period.ends_on, today=today
    )
    won_this_month = _money(sum((owner.won_this_month for owner in owners_deals), Decimal(0)))
    flow = flow_ahead(
        [
            MonthOutlook(
                month=month,
                won=won_this_month if month == this_month else Decimal("0.00"),
                expected=_money(sum((owner.flow[index] for owner in owners_deals if owner.flow), Decimal(0))),
                quota=quota_of(month_period(month)).value,
            )
            for index, month in enumerate(flow_months)
        ],
        famine_threshold_percent=settings.FAMINE_THRESHOLD_PERCENT,
        cycle_days=rates.cycle_days,
    )
    return Numbers(
        won=won,
        won_deals=sum(owner.won_deals for owner in owners_deals),
        expected=expected,
        expected_by_source={source: _money(by_source[n]) for n, source in enumerate(PROBABILITY_SOURCES)},
        deals_by_source={
            source: sum(owner.deals_by_source[n] for owner in owners_deals)
            for n, source in enumerate(PROBABILITY_SOURCES)
        },
        open_value=open_value,
        open_deals=sum(sum(owner.deals_by_source) for owner in owners_deals),
        undated_value=_money(sum((owner.undated_value for owner in owners_deals), Decimal(0))),
        undated_deals=sum(owner.undated_deals for owner in owners_deals),
        overdue_value=_money(sum((owner.overdue_value for owner in owners_deals), Decimal(0))),
        overdue_deals=sum(owner.overdue_deals for owner in owners_deals),
        numbers=numbers,
        won_this_month=won_this_month,
        flow=[FlowLine(month.month, month.expected, month.quota) for month in flow],
        plan=plan,
        commission=paid,
        members=members,
    )


def numbers_app(*, report: Any) -> Numbers:
    """The same figures from `numbers.selectors.numbers_report`'s answer."""
    return Numbers(
        won=report.won,
        won_deals=report.won_deals,
        expected=report.expected.total,
        expected_by_source=dict(report.expected.by_source),
        deals_by_source=dict(report.expected.deals_by_source),
        open_value=report.open_value,
        open_deals=report.open_deals,
        undated_value=report.undated_value,
        undated_deals=report.undated_deals,
        overdue_value=report.overdue_value,
        overdue_deals=report.overdue_deals,
        numbers=report.numbers,
        won_this_month=report.flow[0].won,
        flow=[FlowLine(month.month, month.expected, month.quota) for month in report.flow],
        plan=report.plan,
        commission=report.commission,
        members=[
            MemberNumbers(
                user_id=line.user.pk,
                won=line.won,
                won_deals=line.won_deals,
                expected=line.expected,
                quota=line.quota.value,
                earned=None if line.commission is None else line.commission.earned,
                projected=None if line.commission is None else line.commission.projected,
            )
            for line in report.members
        ],
    )


# --- the team dashboard -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberLine:
    won: Decimal
    won_deals: int
    expected: Decimal
    open_deals: int
    rotting_deals: int
    booked_this_week: int
    booked_next_week: int
    calls_done: int
    meetings_done: int
    info_requests: int
    info_requests_overdue: int
    weakest_step: Any  # analytics.funnel.WeakStep | None: from the member's step cohorts against the rest's
    quota: Decimal | None  # the period's, as the line shows it ("won of quota")
    numbers: Any  # analytics.forecast.ThreeNumbers, whole: quota, won, expected, gap, attainment, coverage…
    commission: Any  # numbers.selectors.Commission | None, whole: plan, earned, projected


@dataclass(frozen=True)
class TrendLine:
    month: dt.date
    won: Decimal
    won_deals: int
    quota: Decimal | None  # the team's for the month: its own, else its members' added up


@dataclass(frozen=True)
class TeamFigures:
    numbers: Any  # the summary: the team's ThreeNumbers, whole
    commission: Any  # the summary's: the members' commissions added up (numbers.selectors.Commission | None)
    lines: dict[int, MemberLine]
    funnel: list[Any]  # coaching.dashboard.FunnelStage, as the app's
    trend: list[TrendLine]


def _week_starts(now: dt.datetime, zone: zoneinfo.ZoneInfo) -> list[dt.datetime]:
    """Monday 00:00 of this week, next week and the week after on that zone's clock
    (coaching.dashboard.week_bounds)."""
    today = now.astimezone(zone).date()
    monday = today - dt.timedelta(days=today.weekday())
    return [dt.datetime.combine(monday + dt.timedelta(weeks=n), dt.time.min, tzinfo=zone) for n in range(3)]


def team_raw(*, team_id: int, period: Any, now: dt.datetime) -> TeamFigures:
    """Everything the team dashboard shows: the team's summary (quota, won, expected, gap, attainment,
    coverage, commission earned); per active member, the same numbers against their own quota, open and
    rotting deals, appointments booked this week and next, calls and meetings done this week, open and
    overdue information requests, and the weakest step of their funnel against the rest of the team's;
    the team's funnel (open deals and value, entries and advances per open stage) and its monthly trend of
    wins against its quota. TEN statements: (1) the members and their time zones (each one's week runs on
    their own clock); (2) the members' deals grouped by owner and stage, in two parts (won in the period;
    open: expected value and value in the period, all open, rotting); (3-5) their activities grouped by
    owner (appointments booked, requests open, calls and meetings done); (6) the default pipeline's open
    stages; (7) their step cohorts (stage entries in the window grouped by owner and stage); (8) the
    quotas of the members and of the team overlapping the period's months and the trend's, in one
    statement (`_numbers_quotas`, My numbers' own); (9) the members' commission plans and tiers
    (`_numbers_commission_plans`); (10) their wins per month of the trend. No track records and no flow
    months: the page shows neither the plan nor the flow ahead (the app's team numbers compute both all
    the same).

    The arithmetic is the app's own pure functions over the rows read here: the quota resolution
    (`QuotaBook`: a member's quota, the team's own or its members' added up, per period and per month),
    `three_numbers`, `commission_due`, and `analytics.funnel.weakest_step` over the cohorts."""
    from django.conf import settings
    from django.db import connection

    from salespipe.activities.models import ActivityKind
    from salespipe.analytics.forecast import three_numbers
    from salespipe.analytics.periods import add_months, month_period
    from salespipe.analytics.selectors import NOT_HELD
    from salespipe.coaching.dashboard import TREND_MONTHS, FunnelStage
    from salespipe.deals.models import DealStatus, StageKind
    from salespipe.numbers.selectors import commission_on, company_today

    tables = _tables()
    members = _run(
        f"SELECT u.id, u.time_zone FROM {tables['user']} u WHERE u.team_id = %s AND u.is_active = %s",  # noqa: S608
        [team_id, True],
    )
    if not members:
        return TeamFigures(None, None, {}, [], [])
    start, end = _period_bounds(period)
    won = "d.status = %s AND d.won_at >= %s AND d.won_at < %s"
    won_params = [DealStatus.WON, _datetime(start), _datetime(end)]
    due = "d.status = %s AND d.expected_close_date >= %s AND d.expected_close_date <= %s"
    due_params = [DealStatus.OPEN, _date(period.starts_on), _date(period.ends_on)]
    probability, probability_params = _probability(settings.WIN_RATE_MIN_CLOSED_DEALS)
    if connection.vendor == "sqlite":
        since = "datetime(%s, '-' || s.rotting_days || ' days')"
    else:
        since = "(CAST(%s AS timestamptz) - s.rotting_days * INTERVAL '86400 seconds')"
    now_param = _datetime(now)
    member_ids = [member[0] for member in members]
    in_members = ", ".join(["%s"] * len(member_ids))
    # Two parts (numbered), each through its own index: won in the period (owner, won_at), open (owner,
    # status, close date); an owner's won and open rows are put together below.
    deals_sql = f"""
        SELECT 1, d.owner_id, NULL, SUM(d.base_value), COUNT(*), NULL, 0, 0, NULL, NULL
        FROM {tables["deal"]} d
        WHERE d.owner_id IN ({in_members}) AND {won}
        GROUP BY d.owner_id
        UNION ALL
        SELECT 2, d.owner_id, d.stage_id, NULL, 0,
               SUM(CASE WHEN {due} THEN d.base_value * {probability} END),
               COUNT(*),
               COUNT(CASE WHEN s.kind = %s AND s.rotting_days IS NOT NULL
                           AND d.stage_entered_at < {since}
                           AND (d.last_activity_at IS NULL OR d.last_activity_at < {since}) THEN 1 END),
               SUM(d.base_value),
               SUM(CASE WHEN {due} THEN d.base_value END)
        FROM {tables["deal"]} d CROSS JOIN {tables["stage"]} s
        LEFT JOIN {tables["outcome"]} o ON o.stage_id = d.stage_id
        WHERE s.id = d.stage_id AND d.owner_id IN ({in_members}) AND d.status = %s
        GROUP BY d.owner_id, d.stage_id
    """  # noqa: S608 - table names from the models, values bound
    deals_params = [
        *member_ids,
        *won_params,
        *due_params,
        *probability_params,
        StageKind.OPEN,
        now_param,
        now_param,
        *due_params,
        *member_ids,
        DealStatus.OPEN,
    ]
    # Per owner: won value and deals, expected value, open and rotting deals, open value in the period
    # (unrounded, as read); per stage: open deals, value.
    deals: dict[int, list[Any]] = {}
    open_by_stage: dict[int, list[Any]] = {}
    for part, owner_id, stage_id, *figures in _run(deals_sql, deals_params):
        line = deals.setdefault(owner_id, [Decimal(0), 0, Decimal(0), 0, 0, Decimal(0)])
        if part == 1:
            line[0], line[1] = _decimal(figures[0]), figures[1]
            continue
        line[2] += _decimal(figures[2])
        line[3] += figures[3]
        line[4] += figures[4]
        line[5] += _decimal(figures[6])
        stage = open_by_stage.setdefault(stage_id, [0, 0])
        stage[0] += figures[3]
        stage[1] += figures[5] or 0

    weeks = []
    week_starts = []
    for member_id, zone_name in members:
        starts = _week_starts(now, zoneinfo.ZoneInfo(zone_name))
        week_starts.append(starts)
        weeks.extend([member_id, *(_datetime(start) for start in starts)])
    # The widest bounds over the members' zones, so that each part can range-scan its index.
    earliest = _datetime(min(starts[0] for starts in week_starts))
    next_latest = _datetime(max(starts[1] for starts in week_starts))
    latest = _datetime(max(starts[2] for starts in week_starts))
    values = ", ".join(["(%s, %s, %s, %s)"] * len(members))
    appointments = [ActivityKind.MEETING, ActivityKind.DEMO]
    kinds = ", ".join(["%s"] * 2)
    done_kinds = ", ".join(["%s"] * 3)
    not_held = ", ".join(["%s"] * len(NOT_HELD))
    planned = "a.done_at IS NULL AND a.cancelled_at IS NULL"
    # Three statements, each over its own index (planned by owner and due time, open requests by owner and
    # kind, done by owner, kind and time). As one UNION ALL they took 30 times as long on SQLite (a few ms
    # instead of a tenth of one at 10,000 deals): the compound query did not keep the parts' plans.
    weeks_cte = f"WITH w (owner_id, this_week, next_week, after_next) AS (VALUES {values})"
    booked_sql = f"""
        {weeks_cte}
        SELECT a.owner_id,
               COUNT(CASE WHEN a.due_at < w.next_week THEN 1 END),
               COUNT(CASE WHEN a.due_at >= w.next_week THEN 1 END)
        FROM {tables["activity"]} a JOIN w ON w.owner_id = a.owner_id
        WHERE a.owner_id IN ({in_members}) AND {planned} AND a.kind IN ({kinds})
          AND a.due_at >= %s AND a.due_at < %s AND a.due_at >= w.this_week AND a.due_at < w.after_next
        GROUP BY a.owner_id
    """  # noqa: S608 - table names from the models, values bound
    booked_params = [*weeks, *member_ids, *appointments, earliest, latest]
    requests_sql = f"""
        SELECT a.owner_id, COUNT(*), COUNT(CASE WHEN a.due_at < %s THEN 1 END)
        FROM {tables["activity"]} a
        WHERE a.owner_id IN ({in_members}) AND {planned} AND a.kind = %s
        GROUP BY a.owner_id
    """  # noqa: S608 - table names from the models, values bound
    requests_params = [now_param, *member_ids, ActivityKind.INFO_REQUEST]
    done_sql = f"""
        {weeks_cte}
        SELECT a.owner_id,
               COUNT(CASE WHEN a.kind = %s THEN 1 END),
               COUNT(CASE WHEN a.kind IN ({kinds}) AND a.outcome NOT IN ({not_held}) THEN 1 END)
        FROM {tables["activity"]} a JOIN w ON w.owner_id = a.owner_id
        WHERE a.owner_id IN ({in_members}) AND a.kind IN ({done_kinds})
          AND a.done_at >= %s AND a.done_at < %s AND a.done_at >= w.this_week AND a.done_at < w.next_week
        GROUP BY a.owner_id
    """  # noqa: S608 - table names from the models, values bound
    done_params = [
        *weeks,
        ActivityKind.CALL,
        *appointments,
        *NOT_HELD,
        *member_ids,
        ActivityKind.CALL,
        *appointments,
        earliest,
        next_latest,
    ]
    booked = {row[0]: row[1:] for row in _run(booked_sql, booked_params)}
    requests = {row[0]: row[1:] for row in _run(requests_sql, requests_params)}
    done = {row[0]: row[1:] for row in _run(done_sql, done_params)}
    activities = {
        owner_id: (
            *booked.get(owner_id, (0, 0)),
            *done.get(owner_id, (0, 0)),
            *requests.get(owner_id, (0, 0)),
        )
        for owner_id in member_ids
    }

    stages = _run(
        f"SELECT s.id, s.name, s.requires_decision_maker FROM {tables['stage']} s "  # noqa: S608
        f"JOIN {tables['pipeline']} p ON p.id = s.pipeline_id "
        "WHERE p.is_default = %s AND s.kind = %s ORDER BY s.position",
        [True, StageKind.OPEN],
    )
    cohorts = _team_cohorts(member_ids, [stage[0] for stage in stages], now)
    weakest = _weakest_steps(stages, cohorts)

    # The quotas of the period's months and the trend's in one statement: from the earlier first month
    # to the later last one (the months between, when the two are apart, are read and not asked about).
    this_month = month_period(company_today(now)).starts_on
    trend_months = [add_months(this_month, offset) for offset in range(1 - TREND_MONTHS, 1)]
    book = _numbers_quotas(
        member_ids,
        team_id,
        min(period.starts_on, trend_months[0]),
        max(period.month_starts[-1], trend_months[-1]),
    )
    plans = _numbers_commission_plans(member_ids, period)

    lines = {}
    for member_id in member_ids:
        won_value, won_deals, expected_value, open_deals, rotting_deals, open_value = deals.get(
            member_id, (Decimal(0), 0, Decimal(0), 0, 0, Decimal(0))
        )
        won_value, expected_value = _money(won_value), _money(expected_value)
        booked_this_week, booked_next_week, calls, meetings, info_requests, overdue = activities.get(
            member_id, (0, 0, 0, 0, 0, 0)
        )
        quota = book.user_period(member_id, period).value
        lines[member_id] = MemberLine(
            won=won_value,
            won_deals=won_deals,
            expected=expected_value,
            open_deals=open_deals,
            rotting_deals=rotting_deals,
            booked_this_week=booked_this_week,
            booked_next_week=booked_next_week,
            calls_done=calls,
            meetings_done=meetings,
            info_requests=info_requests,
            info_requests_overdue=overdue,
            weakest_step=weakest.get(member_id),
            quota=quota,
            numbers=three_numbers(
                quota=quota, won=won_value, expected=expected_value, open_value=_money(open_value)
            ),
            commission=commission_on(plans.get(member_id), won_value, expected_value, quota),
        )
    # The team's numbers add up its members' deals, rounded once, against the team's quota.
    team_numbers = three_numbers(
        quota=book.team_period(team_id, period).value,
        won=_money(sum((line[0] for line in deals.values()), Decimal(0))),
        expected=_money(sum((line[2] for line in deals.values()), Decimal(0))),
        open_value=_money(sum((line[5] for line in deals.values()), Decimal(0))),
    )
    funnel = []
    for stage_id, name, _decision_maker in stages:
        open_deals, open_value = open_by_stage.get(stage_id, (0, 0))
        entered = sum(cohorts.get(member_id, {}).get(stage_id, (0, 0))[0] for member_id in member_ids)
        advanced = sum(cohorts.get(member_id, {}).get(stage_id, (0, 0))[1] for member_id in member_ids)
        funnel.append(FunnelStage(stage_id, name, open_deals, _money(open_value), entered, advanced))
    trend = [
        TrendLine(month, won_value, won_deals, book.team_period(team_id, month_period(month)).value)
        for month, (won_value, won_deals) in zip(
            trend_months, _team_trend(member_ids, trend_months), strict=True
        )
    ]
    return TeamFigures(
        team_numbers,
        _members_commission([line.commission for line in lines.values()]),
        lines,
        funnel,
        trend,
    )


def _members_commission(found: list[Any]) -> Any:
    """A team's commission: its members' added up, with every plan behind them; None when nobody has a
    plan (numbers.selectors.numbers_report)."""
    from salespipe.numbers.selectors import Commission

    paid = [commission for commission in found if commission is not None]
    if not paid:
        return None
    return Commission(
        plans=tuple(sorted({plan for commission in paid for plan in commission.plans})),
        earned=_money(sum((commission.earned for commission in paid), Decimal(0))),
        projected=_money(sum((commission.projected for commission in paid), Decimal(0))),
    )


def _team_cohorts(
    member_ids: list[int], stage_ids: list[int], now: dt.datetime
) -> dict[int, dict[int, tuple[int, int]]]:
    """Per member and open stage: the deals that first entered it in the weakness window, and how many
    of them went further (insights.selectors.step_conversions). ONE statement through the stays'
    (owner, entered) index; the stage as an expression, so its index does not compete."""
    from salespipe.analytics.selectors import report_window
    from salespipe.coaching.dashboard import WEAKNESS_WINDOW_DAYS

    tables = _tables()
    window = report_window(days=WEAKNESS_WINDOW_DAYS, now=now)
    start = _datetime(window.start)
    in_members = ", ".join(["%s"] * len(member_ids))
    in_stages = ", ".join(["%s"] * len(stage_ids))
    sql = f"""
        SELECT st.owner_id, st.stage_id, COUNT(*), SUM(CASE WHEN st.advanced THEN 1 ELSE 0 END)
        FROM {tables["stay"]} st
        WHERE st.owner_id IN ({in_members}) AND st.stage_id + 0 IN ({in_stages})
          AND st.entered_at >= %s AND st.entered_at < %s
          AND (st.previous_entry_at IS NULL OR st.previous_entry_at < %s)
        GROUP BY st.owner_id, st.stage_id
    """  # noqa: S608 - table names from the models, values bound
    found: dict[int, dict[int, tuple[int, int]]] = {}
    for owner_id, stage_id, entered, advanced in _run(
        sql, [*member_ids, *stage_ids, start, _datetime(window.end), start]
    ):
        found.setdefault(owner_id, {})[stage_id] = (int(entered), int(advanced or 0))
    return found


def _weakest_steps(
    stages: list[tuple[Any, ...]], cohorts: dict[int, dict[int, tuple[int, int]]]
) -> dict[int, Any]:
    """Each member's weakest step against the rest of the team: the app's pure function and thresholds
    (coaching.selectors.weakest_of) over the cohorts the raw SQL read."""
    from django.utils.translation import gettext as _

    from salespipe.analytics.funnel import StageCohort, weakest_step
    from salespipe.coaching.selectors import advice_thresholds

    limits = advice_thresholds()
    names = [name for _id, name, _decision_maker in stages]
    appointment = next((index for index, stage in enumerate(stages) if stage[2]), None)
    answer = {}
    for owner_id, mine in cohorts.items():
        own = [StageCohort(stage_id, *mine.get(stage_id, (0, 0))) for stage_id, *_ in stages]
        rest = [
            StageCohort(
                stage_id,
                sum(other.get(stage_id, (0, 0))[0] for key, other in cohorts.items() if key != owner_id),
                sum(other.get(stage_id, (0, 0))[1] for key, other in cohorts.items() if key != owner_id),
            )
            for stage_id, *_ in stages
        ]
        step = weakest_step(
            own,
            rest,
            names=names,
            won=_("Won"),
            appointment=appointment,
            min_trials=limits.min_trials,
            certainty=limits.certainty_percent / 100,
        )
        if step is not None:
            answer[owner_id] = step
    return answer


def _team_trend(member_ids: list[int], months: list[dt.date]) -> list[tuple[Decimal, int]]:
    """The members' won value and deals in each of the trend's months (coaching.dashboard._trend), in ONE
    statement of conditional sums through the (owner, won_at) index."""
    from django.conf import settings

    from salespipe.analytics.periods import add_months
    from salespipe.deals.models import DealStatus

    tables = _tables()
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    bounds = [
        _datetime(dt.datetime.combine(month, dt.time.min, tzinfo=zone))
        for month in [*months, add_months(months[-1], 1)]
    ]
    sums = []
    params: list[Any] = []
    for start, end in itertools.pairwise(bounds):
        sums.append("SUM(CASE WHEN d.won_at >= %s AND d.won_at < %s THEN d.base_value END)")
        sums.append("COUNT(CASE WHEN d.won_at >= %s AND d.won_at < %s THEN 1 END)")
        params += [start, end, start, end]
    in_members = ", ".join(["%s"] * len(member_ids))
    sql = f"""
        SELECT {", ".join(sums)} FROM {tables["deal"]} d
        WHERE d.owner_id IN ({in_members}) AND d.status = %s AND d.won_at >= %s AND d.won_at < %s
    """  # noqa: S608 - table names from the models, values bound
    (row,) = _run(sql, [*params, *member_ids, DealStatus.WON, bounds[0], bounds[-1]])
    return [(_money(row[2 * index]), int(row[2 * index + 1] or 0)) for index in range(len(months))]


def team_app(*, dashboard: Any) -> TeamFigures:
    """The same figures from `coaching.dashboard.team_dashboard`: what `/team/` shows of them (its view
    formats the summary from the team's numbers, each line from the member's, the trend as it is)."""
    lines = {
        line.user.pk: MemberLine(
            won=line.numbers.won,
            won_deals=line.numbers.won_deals,
            expected=line.numbers.expected,
            open_deals=line.health.open_deals,
            rotting_deals=line.health.rotting_deals,
            booked_this_week=line.activity.booked_this_week,
            booked_next_week=line.activity.booked_next_week,
            calls_done=line.activity.calls_done,
            meetings_done=line.activity.meetings_done,
            info_requests=line.activity.info_requests,
            info_requests_overdue=line.activity.info_requests_overdue,
            weakest_step=line.weakest_step,
            quota=line.numbers.quota.value,
            numbers=line.numbers.numbers,
            commission=line.numbers.commission,
        )
        for line in dashboard.lines
    }
    trend = [TrendLine(month.month, month.won, month.won_deals, month.quota) for month in dashboard.trend]
    return TeamFigures(
        dashboard.report.numbers, dashboard.report.commission, lines, list(dashboard.funnel), trend
    )


# --- equality -----------------------------------------------------------------------------------------------

# Weighted (expected) values: the app multiplies exact Decimals (28 digits) and rounds once; SQL multiplies
# floats (SQLite) or numerics of the driver's precision (PostgreSQL). The two may round a half cent apart,
# and so may what is computed from them: the gap, the commission projected on won + expected.
WEIGHTED_TOLERANCE = CENT
WEIGHTED_FIELDS = {"expected", "expected_by_source", "gap", "projected"}


def differences(app: Any, raw: Any, path: str = "", *, weighted: bool = False) -> list[str]:
    """Where the app's figures and the raw SQL's differ (empty: the same answer). Dicts compare key by key,
    lists item by item, dataclasses field by field, down to the values; weighted values may differ by one
    cent (see WEIGHTED_TOLERANCE)."""
    from dataclasses import fields, is_dataclass

    if isinstance(app, dict) and isinstance(raw, dict):
        found = []
        for key in sorted(set(app) | set(raw)):
            if key not in app or key not in raw:
                found.append(f"{path}[{key}]: only in {'app' if key in app else 'raw SQL'}")
            else:
                found.extend(differences(app[key], raw[key], f"{path}[{key}]", weighted=weighted))
        return found
    if isinstance(app, list) and isinstance(raw, list):
        if len(app) != len(raw):
            return [f"{path}: app {len(app)} items, raw SQL {len(raw)}"]
        return [
            found
            for index, (mine, theirs) in enumerate(zip(app, raw, strict=True))
            for found in differences(mine, theirs, f"{path}[{index}]", weighted=weighted)
        ]
    if is_dataclass(app) and is_dataclass(raw) and type(app) is type(raw):
        return [
            found
            for item in fields(app)
            for found in differences(
                getattr(app, item.name),
                getattr(raw, item.name),
                f"{path}.{item.name}",
                weighted=weighted or item.name in WEIGHTED_FIELDS,
            )
        ]
    if (
        weighted
        and isinstance(app, Decimal)
        and isinstance(raw, Decimal)
        and abs(app - raw) <= WEIGHTED_TOLERANCE
    ):
        return []
    return [] if app == raw else [f"{path}: app {app!r}, raw SQL {raw!r}"]
