"""Helpers for the Insights tests: deals with a stage history written directly at past times.

The services only ever write "now", so a deal is made through the service and its history (the stage
changes, when it was created, won or lost) is then replaced by the journey a test describes. The clock
is frozen at NOW for every test here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from salespipe.activities.models import Activity
from salespipe.deals.models import Deal, DealStatus, Stage, StageChange, StageKind
from salespipe.deals.services import stage_stays_rebuild
from salespipe.people.models import User
from tests.api.conftest import api_client  # noqa: F401 - the API tests' fixture, shared

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def journey(make_deal: Any, stages: dict[str, Stage]) -> Any:
    """`journey(owner, [("Lead", 80), ("Contacted", 70), ("Won", 10)], value=1000, reason="price")`: a
    deal created when it entered its first stage (days ago) and moved through the others at those times;
    it ends where its last step is (won, lost or open there)."""

    def make(
        owner: User, steps: Sequence[tuple[str, float]], *, reason: str = "price", **fields: Any
    ) -> Deal:
        deal = make_deal(owner, **fields)
        StageChange.objects.filter(deal=deal).delete()
        previous: Stage | None = None
        for name, ago in steps:
            stage = stages[name]
            status = {StageKind.WON: DealStatus.WON, StageKind.LOST: DealStatus.LOST}.get(
                StageKind(stage.kind), DealStatus.OPEN
            )
            StageChange.objects.create(
                deal=deal,
                from_stage=previous,
                to_stage=stage,
                to_status=status,
                changed_at=days_ago(ago),
                note=reason if status == DealStatus.LOST else "",
            )
            previous = stage
        assert previous is not None
        last_at = days_ago(steps[-1][1])
        status = {StageKind.WON: DealStatus.WON, StageKind.LOST: DealStatus.LOST}.get(
            StageKind(previous.kind), DealStatus.OPEN
        )
        Deal.objects.filter(pk=deal.pk).update(
            created_at=days_ago(steps[0][1]),
            stage=previous,
            status=status,
            won_at=last_at if status == DealStatus.WON else None,
            lost_at=last_at if status == DealStatus.LOST else None,
            lost_reason=reason if status == DealStatus.LOST else "",
            stage_entered_at=last_at,
        )
        deal.refresh_from_db()
        stage_stays_rebuild(deal_ids=[deal.pk])  # the history was written here, not by the services
        return deal

    return make


def done(owner: User, kind: str, ago: float | None, **fields: Any) -> Activity:
    """An activity of `kind` done `ago` days ago (None: planned, not done)."""
    moment = days_ago(ago if ago is not None else -1)
    return Activity.objects.create(
        kind=kind,
        subject=kind.title(),
        owner=owner,
        due_at=moment,
        done_at=moment if ago is not None else None,
        created_at=moment,
        **fields,
    )


def money(amount: str) -> Decimal:
    return Decimal(amount)
