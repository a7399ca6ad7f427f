"""Helpers for the advice scenarios: open deals in a known state, appointments, stage history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from salespipe.activities.models import Activity, ActivityKind
from salespipe.deals.models import Deal, Stage, StageChange
from salespipe.deals.services import stage_stays_rebuild
from salespipe.people.models import User
from tests.analytics.conftest import closed_deal, info_request  # noqa: F401 - the report tests' fixtures
from tests.api.conftest import api_client  # noqa: F401 - the API tests' fixture, shared

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)  # a Friday


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


@pytest.fixture
def advice_clock() -> Any:
    """The clock stopped at NOW, as the advice tests see it."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def open_deal(make_deal: Any, stages: dict[str, Stage], confirm_decision_maker: Any) -> Any:
    """`open_deal(owner, stage="Lead", value=1000, confirmed=True, **state)`: an open deal that needs
    nothing: a confirmed decision maker, budget and decision date known, worked on today, in its stage
    since yesterday, a next step planned. `state` (Deal fields) says what is otherwise."""

    def make(
        owner: User,
        stage: str = "Lead",
        *,
        value: int | Decimal = 1000,
        confirmed: bool = True,
        **state: Any,
    ) -> Deal:
        deal = make_deal(
            owner,
            title=state.pop("title", f"{stage} {value}"),
            value=value,
            budget_amount=value,
            decision_date=dt.date(2026, 12, 15),
            expected_close_date=dt.date(2026, 12, 31),
        )
        if confirmed:
            confirm_decision_maker(deal)
        fields = {
            "stage": stages[stage],
            "stage_entered_at": days_ago(1),
            "last_activity_at": NOW,
            "next_activity_at": NOW + dt.timedelta(days=2),
            **state,
        }
        Deal.objects.filter(pk=deal.pk).update(**fields)
        deal.refresh_from_db()
        return deal

    return make


def planned(owner: User, kind: str, *, due: dt.datetime, deal: Deal | None = None) -> Activity:
    """A planned (not done, not cancelled) activity."""
    return Activity.objects.create(
        kind=kind, subject=kind.title(), owner=owner, deal=deal, due_at=due, created_at=NOW
    )


def appointments(owner: User, count: int, *, in_days: int = 3) -> None:
    for _ in range(count):
        planned(owner, ActivityKind.MEETING, due=NOW + dt.timedelta(days=in_days))


def stay(deal: Deal, stage: Stage, *, entered: dt.datetime, left: dt.datetime, to: Stage) -> None:
    """History: the deal entered `stage` and left it for `to` at those times."""
    StageChange.objects.create(
        deal=deal, from_stage=None, to_stage=stage, to_status="open", changed_at=entered
    )
    StageChange.objects.create(deal=deal, from_stage=stage, to_stage=to, to_status="open", changed_at=left)
    stage_stays_rebuild(deal_ids=[deal.pk])  # the history was written here, not by the services
