"""Reads for the deal page: its timeline of stage changes and activities, its stage path, its contacts,
and the marks that call for attention (rotting, an overdue next step, a close date gone by).

Each function takes a deal already read through a scoped selector (`deals.selectors.deal_get`), so the
rows hanging off it are the viewer's to see, and costs a fixed number of queries whatever the deal's
history holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from django.db.models import DateTimeField, Q, QuerySet
from django.db.models.functions import Coalesce

from salespipe.activities.models import Activity
from salespipe.deals.models import (
    BUYING_AUTHORITY_ROLES,
    Deal,
    DealContact,
    DealStatus,
    Stage,
    StageChange,
    StageKind,
)

TIMELINE_PAGE_SIZE = 20

# Ties at the same instant sort stage changes above activities, so a cursor names one place exactly.
_STAGE_CHANGE_RANK = 2
_ACTIVITY_RANK = 1
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline: a stage change, or an activity at the moment it was done, cancelled or
    is due."""

    kind: Literal["stage_change", "activity"]
    moment: dt.datetime
    stage_change: StageChange | None = None
    activity: Activity | None = None

    @property
    def _rank(self) -> int:
        return _STAGE_CHANGE_RANK if self.kind == "stage_change" else _ACTIVITY_RANK

    @property
    def _pk(self) -> int:
        row = self.stage_change or self.activity
        assert row is not None
        return row.pk

    @property
    def sort_key(self) -> tuple[dt.datetime, int, int]:
        return (self.moment, self._rank, self._pk)

    @property
    def cursor(self) -> str:
        micros = (self.moment - _EPOCH) // dt.timedelta(microseconds=1)
        return f"{micros}.{self._rank}.{self._pk}"


@dataclass(frozen=True)
class Timeline:
    entries: list[TimelineEntry]
    # Where "show more" continues; None when nothing older is left.
    next_before: str | None


def _parse_cursor(raw: str) -> tuple[dt.datetime, int, int] | None:
    parts = raw.split(".")
    if len(parts) != 3 or not all(part.lstrip("-").isdigit() for part in parts):
        return None
    micros, rank, pk = (int(part) for part in parts)
    try:
        moment = _EPOCH + dt.timedelta(microseconds=micros)
    except OverflowError:
        return None
    return moment, rank, pk


def _older_than(cursor: tuple[dt.datetime, int, int], *, rank: int, moment_field: str) -> Q:
    """Rows of one source (ranked `rank`) that sort after the cursor in (moment, rank, id) descending."""
    moment, cursor_rank, pk = cursor
    if rank < cursor_rank:
        return Q(**{f"{moment_field}__lte": moment})
    if rank > cursor_rank:
        return Q(**{f"{moment_field}__lt": moment})
    return Q(**{f"{moment_field}__lt": moment}) | Q(**{moment_field: moment, "id__lt": pk})


def deal_timeline(*, deal: Deal, before: str = "", limit: int = TIMELINE_PAGE_SIZE) -> Timeline:
    """The deal's history and plans, newest first: stage changes (who, when, the lost reason) and
    activities (done, planned and cancelled). Two queries per page, each capped, merged here."""
    cursor = _parse_cursor(before) if before else None
    changes = StageChange.objects.filter(deal_id=deal.pk)
    activities = Activity.objects.filter(deal_id=deal.pk).annotate(
        moment=Coalesce("done_at", "cancelled_at", "due_at", "created_at", output_field=DateTimeField())
    )
    if cursor is not None:
        changes = changes.filter(_older_than(cursor, rank=_STAGE_CHANGE_RANK, moment_field="changed_at"))
        activities = activities.filter(_older_than(cursor, rank=_ACTIVITY_RANK, moment_field="moment"))
    entries = [
        TimelineEntry(kind="stage_change", moment=change.changed_at, stage_change=change)
        for change in changes.select_related("from_stage", "to_stage", "changed_by").order_by(
            "-changed_at", "-id"
        )[: limit + 1]
    ] + [
        TimelineEntry(kind="activity", moment=activity.moment, activity=activity)
        for activity in activities.select_related("owner", "person").order_by("-moment", "-id")[: limit + 1]
    ]
    entries.sort(key=lambda entry: entry.sort_key, reverse=True)
    shown = entries[:limit]
    return Timeline(entries=shown, next_before=shown[-1].cursor if len(entries) > limit else None)


def deal_stage_path(*, deal: Deal) -> list[Stage]:
    """The stages of the deal's pipeline in order (one query)."""
    return list(Stage.objects.filter(pipeline_id=deal.pipeline_id).order_by("position"))


def deal_contacts(*, deal: Deal) -> QuerySet[DealContact]:
    """The people on the deal with their roles, buying roles first (one query)."""
    return deal.contacts.select_related("person", "person__organization", "authority_confirmed_by").order_by(
        "role", "id"
    )


def decision_maker_confirmed(contacts: list[DealContact]) -> bool:
    return any(c.role in BUYING_AUTHORITY_ROLES and c.authority_confirmed_at is not None for c in contacts)


@dataclass(frozen=True)
class DealMarks:
    """What on the deal needs attention now."""

    # Whole days without a completed activity or a stage change, when past the stage's rotting days.
    rotting_days: int | None
    next_step_overdue: bool
    close_date_passed: bool
    needs_next_step: bool


def deal_marks(
    *, deal: Deal, stage: Stage, next_step_due: dt.datetime | None, now: dt.datetime, today: dt.date
) -> DealMarks:
    """Rotting is no completed activity and no stage change for the stage's rotting days (PRODUCT.md);
    only open deals rot, miss a next step or overrun their close date."""
    if deal.status != DealStatus.OPEN or stage.kind != StageKind.OPEN:
        return DealMarks(
            rotting_days=None, next_step_overdue=False, close_date_passed=False, needs_next_step=False
        )
    progress = max(deal.stage_entered_at, deal.last_activity_at or deal.stage_entered_at)
    idle_days = (now - progress).days
    rotting = stage.rotting_days is not None and idle_days >= stage.rotting_days
    return DealMarks(
        rotting_days=idle_days if rotting else None,
        next_step_overdue=next_step_due is not None and next_step_due < now,
        close_date_passed=deal.expected_close_date is not None and deal.expected_close_date < today,
        needs_next_step=next_step_due is None,
    )
