"""Track records for the reverse-funnel plan: a person's, a team's or the company's last twelve months.

Counted from the closed deals (won, lost, won value, median cycle, and whether a meeting was held on them)
and the calls and meetings done. Live for one scope when asked (`track_record_live`), or for everyone at
once (`track_records_count`: one rollup over the deals, one grouped count of activities) for the daily
snapshots the plan reads first (`track_records_for`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from salespipe.activities.models import Activity, ActivityKind, ActivityOutcome
from salespipe.analytics import sql
from salespipe.analytics.plan import COMPANY, OWN, TEAM, TrackRecord
from salespipe.deals.models import Deal, DealStatus
from salespipe.numbers.models import TrackRecordLevel, TrackRecordSnapshot

TRACK_RECORD_DAYS = 365
NOT_HELD = (ActivityOutcome.NO_SHOW, ActivityOutcome.CANCELLED_BY_PROSPECT, ActivityOutcome.RESCHEDULED)
COMPANY_KEY = 0


def track_record_since(today: dt.date, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(today - dt.timedelta(days=TRACK_RECORD_DAYS), dt.time.min, tzinfo=zone)


def _measures() -> list[sql.Measure]:
    return [
        sql.Measure("won_deals", "SUM(k_won)"),
        sql.Measure("lost_deals", "SUM(1 - k_won)"),
        sql.Measure("won_value", "SUM(CASE WHEN k_won = 1 THEN k_value ELSE 0 END)"),
        sql.Measure(
            "cycle_days",
            sql.percentile_sql(sql.days_between_sql("k_created", "k_won_at"), 0.5, where="k_won = 1"),
        ),
        sql.Measure("appointment_won", "SUM(CASE WHEN k_met = 1 AND k_won = 1 THEN 1 ELSE 0 END)"),
        sql.Measure("appointment_lost", "SUM(CASE WHEN k_met = 1 AND k_won = 0 THEN 1 ELSE 0 END)"),
    ]


def _closed_deals(rows: Q, since: dt.datetime) -> QuerySet[Any, Any]:
    """Deals won or lost since `since`, with whether a meeting was held on them."""
    held_meeting = Exists(
        Activity.objects.filter(
            deal_id=OuterRef("pk"), kind=ActivityKind.MEETING, done_at__isnull=False
        ).exclude(outcome__in=NOT_HELD)
    )
    return (
        Deal.objects.filter(rows)
        .filter(Q(status=DealStatus.WON, won_at__gte=since) | Q(status=DealStatus.LOST, lost_at__gte=since))
        .annotate(
            k_owner=F("owner_id"),
            k_team=F("owner__team_id"),
            k_won=sql.flag(Q(status=DealStatus.WON)),
            k_value=F("base_value"),
            k_created=F("created_at"),
            k_won_at=F("won_at"),
            k_met=sql.flag(held_meeting),
        )
        .values("k_owner", "k_team", "k_won", "k_value", "k_created", "k_won_at", "k_met")
    )


def _done(rows: Q, since: dt.datetime) -> QuerySet[Activity]:
    return Activity.objects.filter(
        rows, done_at__gte=since, kind__in=[ActivityKind.CALL, ActivityKind.MEETING]
    )


_CALLS = Count("pk", filter=Q(kind=ActivityKind.CALL, purpose=""))  # prospecting calls, not reminders
_MEETINGS = Count("pk", filter=Q(kind=ActivityKind.MEETING) & ~Q(outcome__in=NOT_HELD))


def _record(row: dict[str, Any] | None, calls: int, meetings: int) -> TrackRecord:
    row = row or {}
    cycle = row.get("cycle_days")
    return TrackRecord(
        won_deals=int(row.get("won_deals") or 0),
        lost_deals=int(row.get("lost_deals") or 0),
        won_value=Decimal(str(row.get("won_value") or 0)).quantize(Decimal("0.01")),
        cycle_days=None if cycle is None else float(cycle),
        appointment_won=int(row.get("appointment_won") or 0),
        appointment_lost=int(row.get("appointment_lost") or 0),
        appointments=meetings,
        calls=calls,
    )


def track_record_live(rows: Q, since: dt.datetime) -> TrackRecord:
    """The record of the deals and activities matching `rows`: two queries."""
    groups = sql.rollup(_closed_deals(rows, since), _measures(), levels=("all",))
    counts = _done(rows, since).aggregate(calls=_CALLS, meetings=_MEETINGS)
    return _record(groups.get(("all", None)), counts["calls"] or 0, counts["meetings"] or 0)


def track_records_count(since: dt.datetime) -> dict[tuple[str, int], TrackRecord]:
    """Everyone's, every team's and the company's record, keyed (level, id); the company's id is 0.
    Two queries over the whole year: for the daily snapshots, not for a page."""
    groups = sql.rollup(_closed_deals(Q(), since), _measures())
    activity: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    for row in (
        _done(Q(), since)
        .values("owner_id", "owner__team_id")
        .annotate(calls=_CALLS, meetings=_MEETINGS)
        .order_by()
    ):
        counted = [(TrackRecordLevel.OWNER.value, row["owner_id"]), (TrackRecordLevel.ALL.value, COMPANY_KEY)]
        if row["owner__team_id"] is not None:
            counted.append((TrackRecordLevel.TEAM.value, row["owner__team_id"]))
        for key in counted:
            activity[key][0] += row["calls"]
            activity[key][1] += row["meetings"]
    keys: set[tuple[str, int]] = set(activity)
    for level, group_key in groups:
        if level == TrackRecordLevel.ALL:
            keys.add((level, COMPANY_KEY))
        elif group_key is not None:  # a team key of None stands for owners without a team
            keys.add((level, group_key))
    records: dict[tuple[str, int], TrackRecord] = {}
    for level, ident in keys:
        group = groups.get((level, None if level == TrackRecordLevel.ALL else ident))
        calls, meetings = activity.get((level, ident), (0, 0))
        records[(level, ident)] = _record(group, calls, meetings)
    return records


def track_records_for(
    *, owner_id: int | None, team_id: int | None, company: bool, today: dt.date, since: dt.datetime
) -> Iterator[tuple[str, TrackRecord]]:
    """The records in fallback order — the scope's own, its team's, the company's — each read from
    today's snapshot when there is one (one query for all of them) and otherwise counted live, and only
    when the one before was not enough."""
    levels: list[tuple[str, str, int, Q]] = []
    if owner_id is not None:
        levels.append((OWN, TrackRecordLevel.OWNER, owner_id, Q(owner_id=owner_id)))
    if team_id is not None:
        levels.append(
            (OWN if owner_id is None else TEAM, TrackRecordLevel.TEAM, team_id, Q(owner__team_id=team_id))
        )
    levels.append((OWN if company else COMPANY, TrackRecordLevel.ALL, COMPANY_KEY, Q()))
    wanted = Q()
    for _basis, level, key, _rows in levels:
        wanted |= Q(level=level, key=key)
    snapshots = {
        (snapshot.level, snapshot.key): snapshot
        for snapshot in TrackRecordSnapshot.objects.filter(wanted, as_of=today)
    }
    for basis, level, key, rows in levels:
        snapshot = snapshots.get((level, key))
        yield basis, track_record_live(rows, since) if snapshot is None else _from_snapshot(snapshot)


def _from_snapshot(snapshot: TrackRecordSnapshot) -> TrackRecord:
    return TrackRecord(
        won_deals=snapshot.won_deals,
        lost_deals=snapshot.lost_deals,
        won_value=snapshot.won_value,
        cycle_days=snapshot.cycle_days,
        appointment_won=snapshot.appointment_won,
        appointment_lost=snapshot.appointment_lost,
        appointments=snapshot.appointments,
        calls=snapshot.calls,
    )
