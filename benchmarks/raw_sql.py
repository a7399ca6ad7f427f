"""The physical limit beside the app: the board, My numbers and the team dashboard computed by the
fewest hand-written SQL statements, on the same database and connection as the app.

Each `*_raw` function returns the same figures as the app's selectors, in the same types (Decimal rounded
the way the app rounds them), so `benchmarks/suite.py` can assert they are equal before it reports the
ratio app ÷ raw SQL: a limit that computed something else would make the ratio meaningless.

The SQL is plain SQL that SQLite and PostgreSQL both run, parameters bound by the driver, except one
expression: "now minus a stage's rotting days" (SQLite's `datetime()`, PostgreSQL's interval arithmetic).
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
from typing import Any

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
    from salespipe.people.models import Team, User

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


def _probability(min_closed_deals: int) -> tuple[str, list[Any]]:
    """A deal's win probability (0-1): its override, else the stage's empirical rate when enough closed
    deals passed it, else the stage's default (analytics.forecast.win_probability)."""
    closed = "(COALESCE(o.won_deals, 0) + COALESCE(o.lost_deals, 0))"
    return (
        "(CASE WHEN d.probability IS NOT NULL THEN d.probability / 100.0 "
        f"WHEN {closed} >= %s AND {closed} > 0 THEN o.won_deals * 1.0 / {closed} "
        "ELSE s.default_probability / 100.0 END)",
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
    filters = selectors.BoardFilters()
    totals = selectors.board_column_totals(actor=actor, stages=stages, filters=filters)
    pages = selectors.board_first_pages(
        actor=actor, stage_ids=[s.pk for s in stages], filters=filters, size=size
    )
    return {
        stage_id: BoardColumn(
            count=total.count,
            value=total.value,
            weighted_value=total.weighted_value,
            card_ids=tuple(card.deal.pk for card in pages[stage_id].cards),
        )
        for stage_id, total in totals.items()
    }


# --- My numbers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Numbers:
    won: Decimal
    won_deals: int
    expected: Decimal
    open_value: Decimal
    open_deals: int
    undated_value: Decimal
    undated_deals: int
    overdue_value: Decimal
    overdue_deals: int


def _period_bounds(period: Any) -> tuple[dt.datetime, dt.datetime]:
    """Won in the period: from its first day's midnight to the next day after its last, on the company's
    clock (numbers.selectors._day_start)."""
    from django.conf import settings

    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(period.starts_on, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(period.ends_on + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def numbers_raw(
    *, user_id: int | None = None, team_id: int | None = None, period: Any, today: dt.date
) -> Numbers:
    """My numbers' figures for one user or a team's active members: won in the period; open deals expected
    to close in it, their value and weighted (expected) value; open deals without a close date; open deals
    past it. ONE statement of conditional sums, in two parts (the app: the won query, the open groups, the
    stages' closed history, and the weighting in Python)."""
    from django.conf import settings

    from salespipe.deals.models import DealStatus

    tables = _tables()
    if team_id is not None:
        owners = f"SELECT u.id AS id FROM {tables['user']} u WHERE u.team_id = %s AND u.is_active = %s"  # noqa: S608
        owner_params: list[Any] = [team_id, True]
    else:
        owners, owner_params = "SELECT %s AS id", [user_id]
    start, end = _period_bounds(period)
    won = "d.status = %s AND d.won_at >= %s AND d.won_at < %s"
    won_params = [DealStatus.WON, _datetime(start), _datetime(end)]
    due = "d.status = %s AND d.expected_close_date >= %s AND d.expected_close_date <= %s"
    due_params = [DealStatus.OPEN, _date(period.starts_on), _date(period.ends_on)]
    probability, probability_params = _probability(settings.WIN_RATE_MIN_CLOSED_DEALS)
    # Two parts, one row each (numbered: UNION ALL promises no order): the won deals through the
    # (owner, won_at) index, the open deals through the (owner, status, close date) index, the owners read
    # first (CROSS JOIN: SQLite otherwise reads the company's won deals of the period by status and date).
    sql = f"""
        SELECT 1, SUM(d.base_value), COUNT(*), NULL, NULL, 0, NULL, 0, NULL, 0
        FROM ({owners}) owners CROSS JOIN {tables["deal"]} d
        WHERE d.owner_id = owners.id AND {won}
        UNION ALL
        SELECT 2, NULL, 0,
               SUM(CASE WHEN {due} THEN d.base_value * {probability} END),
               SUM(CASE WHEN {due} THEN d.base_value END),
               COUNT(CASE WHEN {due} THEN 1 END),
               SUM(CASE WHEN d.expected_close_date IS NULL THEN d.base_value END),
               COUNT(CASE WHEN d.expected_close_date IS NULL THEN 1 END),
               SUM(CASE WHEN d.expected_close_date < %s THEN d.base_value END),
               COUNT(CASE WHEN d.expected_close_date < %s THEN 1 END)
        FROM ({owners}) owners CROSS JOIN {tables["deal"]} d CROSS JOIN {tables["stage"]} s
        LEFT JOIN {tables["outcome"]} o ON o.stage_id = d.stage_id
        WHERE d.owner_id = owners.id AND s.id = d.stage_id AND d.status = %s
    """  # noqa: S608 - table names from the models, values bound
    today_param = _date(today)
    params = [
        *owner_params,
        *won_params,
        *due_params,
        *probability_params,
        *due_params,
        *due_params,
        today_param,
        today_param,
        *owner_params,
        DealStatus.OPEN,
    ]
    won_row, open_row = (row[1:] for row in sorted(_run(sql, params)))
    return Numbers(
        won=_money(won_row[0]),
        won_deals=won_row[1],
        expected=_money(open_row[2]),
        open_value=_money(open_row[3]),
        open_deals=open_row[4],
        undated_value=_money(open_row[5]),
        undated_deals=open_row[6],
        overdue_value=_money(open_row[7]),
        overdue_deals=open_row[8],
    )


def numbers_app(*, report: Any) -> Numbers:
    """The same figures from `numbers.selectors.numbers_report`'s answer."""
    return Numbers(
        won=report.won,
        won_deals=report.won_deals,
        expected=report.expected.total,
        open_value=report.open_value,
        open_deals=report.open_deals,
        undated_value=report.undated_value,
        undated_deals=report.undated_deals,
        overdue_value=report.overdue_value,
        overdue_deals=report.overdue_deals,
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


@dataclass(frozen=True)
class TrendLine:
    month: dt.date
    won: Decimal
    won_deals: int


@dataclass(frozen=True)
class TeamFigures:
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
    """The team dashboard: per active member, won and expected in the period, open and rotting deals,
    appointments booked this week and next, calls and meetings done this week, open and overdue
    information requests, and the weakest step of their funnel against the rest of the team's; the
    team's funnel (open deals and value, entries and advances per open stage) and its monthly trend of
    wins. EIGHT statements: the members and their time zones (each one's week runs on their own clock);
    the default pipeline's open stages; the members' deals grouped by owner and stage; their activities
    grouped by owner in three parts (appointments booked, requests open, calls and meetings done); their
    step cohorts (stage entries in the window grouped by owner and stage); their wins per month. The
    weakest step is the app's pure function (`analytics.funnel.weakest_step`) over the cohorts read here.
    Not read here: the trend's monthly quotas (two small queries of the quota book in the app)."""
    from django.conf import settings
    from django.db import connection

    from salespipe.activities.models import ActivityKind
    from salespipe.analytics.selectors import NOT_HELD
    from salespipe.coaching.dashboard import FunnelStage
    from salespipe.deals.models import DealStatus, StageKind

    tables = _tables()
    members = _run(
        f"SELECT u.id, u.time_zone FROM {tables['user']} u WHERE u.team_id = %s AND u.is_active = %s",  # noqa: S608
        [team_id, True],
    )
    if not members:
        return TeamFigures({}, [], [])
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
        SELECT 1, d.owner_id, NULL, SUM(d.base_value), COUNT(*), NULL, 0, 0, NULL
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
               SUM(d.base_value)
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
        *member_ids,
        DealStatus.OPEN,
    ]
    # Per owner: won value and deals, expected value, open and rotting deals; per stage: open deals, value.
    deals: dict[int, list[Any]] = {}
    open_by_stage: dict[int, list[Any]] = {}
    for part, owner_id, stage_id, *figures in _run(deals_sql, deals_params):
        line = deals.setdefault(owner_id, [None, 0, None, 0, 0])
        if part == 1:
            line[0:2] = figures[0:2]
            continue
        if figures[2] is not None:
            line[2] = figures[2] if line[2] is None else line[2] + figures[2]
        line[3] += figures[3]
        line[4] += figures[4]
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

    lines = {}
    for member_id in member_ids:
        d = deals.get(member_id, (None, 0, None, 0, 0))
        a = activities.get(member_id, (0, 0, 0, 0, 0, 0))
        lines[member_id] = MemberLine(
            _money(d[0]), d[1], _money(d[2]), d[3], d[4], *a, weakest.get(member_id)
        )
    funnel = []
    for stage_id, name, _decision_maker in stages:
        open_deals, open_value = open_by_stage.get(stage_id, (0, 0))
        entered = sum(cohorts.get(member_id, {}).get(stage_id, (0, 0))[0] for member_id in member_ids)
        advanced = sum(cohorts.get(member_id, {}).get(stage_id, (0, 0))[1] for member_id in member_ids)
        funnel.append(FunnelStage(stage_id, name, open_deals, _money(open_value), entered, advanced))
    return TeamFigures(lines, funnel, _team_trend(member_ids, now))


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


def _team_trend(member_ids: list[int], now: dt.datetime) -> list[TrendLine]:
    """The members' wins per month over the trend's months (coaching.dashboard._trend), in ONE statement
    of conditional sums through the (owner, won_at) index."""
    from django.conf import settings

    from salespipe.analytics.periods import add_months, month_period
    from salespipe.coaching.dashboard import TREND_MONTHS
    from salespipe.deals.models import DealStatus
    from salespipe.numbers.selectors import company_today

    tables = _tables()
    this_month = month_period(company_today(now)).starts_on
    months = [add_months(this_month, offset) for offset in range(1 - TREND_MONTHS, 1)]
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    bounds = [
        _datetime(dt.datetime.combine(month, dt.time.min, tzinfo=zone))
        for month in [*months, add_months(this_month, 1)]
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
    return [
        TrendLine(month, _money(row[2 * index] or 0), int(row[2 * index + 1] or 0))
        for index, month in enumerate(months)
    ]


def team_app(*, dashboard: Any) -> TeamFigures:
    """The same figures from `coaching.dashboard.team_dashboard`."""
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
        )
        for line in dashboard.lines
    }
    trend = [TrendLine(month.month, month.won, month.won_deals) for month in dashboard.trend]
    return TeamFigures(lines, list(dashboard.funnel), trend)


# --- equality -----------------------------------------------------------------------------------------------

# Weighted (expected) values: the app multiplies exact Decimals (28 digits) and rounds once; SQL multiplies
# floats (SQLite) or numerics of the driver's precision (PostgreSQL). The two may round a half cent apart.
WEIGHTED_TOLERANCE = CENT
WEIGHTED_FIELDS = {"expected"}


def differences(app: Any, raw: Any, path: str = "") -> list[str]:
    """Where the app's figures and the raw SQL's differ (empty: the same answer). Dicts compare key by key,
    dataclasses field by field; weighted values may differ by one cent (see WEIGHTED_TOLERANCE)."""
    from dataclasses import fields, is_dataclass

    if isinstance(app, dict) and isinstance(raw, dict):
        found = []
        for key in sorted(set(app) | set(raw)):
            if key not in app or key not in raw:
                found.append(f"{path}[{key}]: only in {'app' if key in app else 'raw SQL'}")
            else:
                found.extend(differences(app[key], raw[key], f"{path}[{key}]"))
        return found
    if isinstance(app, list) and isinstance(raw, list):
        if len(app) != len(raw):
            return [f"{path}: app {len(app)} items, raw SQL {len(raw)}"]
        return [
            found
            for index, (mine, theirs) in enumerate(zip(app, raw, strict=True))
            for found in differences(mine, theirs, f"{path}[{index}]")
        ]
    if isinstance(app, TeamFigures) and isinstance(raw, TeamFigures):
        return [
            *differences(app.lines, raw.lines, f"{path}.lines"),
            *differences(app.funnel, raw.funnel, f"{path}.funnel"),
            *differences(app.trend, raw.trend, f"{path}.trend"),
        ]
    if is_dataclass(app) and is_dataclass(raw):
        found = []
        for item in fields(app):
            mine, theirs = getattr(app, item.name), getattr(raw, item.name)
            if item.name in WEIGHTED_FIELDS and abs(mine - theirs) <= WEIGHTED_TOLERANCE:
                continue
            if mine != theirs:
                found.append(f"{path}.{item.name}: app {mine!r}, raw SQL {theirs!r}")
        return found
    return [] if app == raw else [f"{path}: app {app!r}, raw SQL {raw!r}"]
