"""Helpers for the report tests: rows as the follow-up engine leaves them, with the times a test needs.

Deals are made through the service; their history (created, won or lost long ago) and the activities on
them are written directly, since the services only ever write "now"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pytest

from salespipe.activities.models import Activity, ActivityKind, ActivityOutcome
from salespipe.deals.models import Deal, DealStatus, Stage
from salespipe.people.models import User
from tests.api.conftest import api_client  # noqa: F401 - the API tests' fixture, shared

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


@pytest.fixture
def info_request() -> Any:
    """`info_request(owner, received=, due=, answered=None, minutes=None, ...)`: an information request."""

    def make(
        owner: User,
        *,
        received: dt.datetime,
        due: dt.datetime | None,
        answered: dt.datetime | None = None,
        minutes: int | None = None,
        cancelled: dt.datetime | None = None,
        outcome: str | None = None,
    ) -> Activity:
        return Activity.objects.create(
            kind=ActivityKind.INFO_REQUEST,
            subject="Send the price list",
            owner=owner,
            received_at=received,
            due_at=due,
            done_at=answered,
            cancelled_at=cancelled,
            outcome=(outcome if outcome is not None else ActivityOutcome.ANSWERED) if answered else "",
            response_minutes=minutes,
            created_at=received,
        )

    return make


@pytest.fixture
def closed_deal(make_deal: Any, stages: dict[str, Stage]) -> Any:
    """`closed_deal(owner, created=, won=None, lost=None, done=("trial",), value=1000, **fields)`: a deal
    created, then won or lost at those times, with the trials, demos or gifts in `done` held the day
    before it closed."""

    def make(
        owner: User,
        *,
        created: dt.datetime,
        won: dt.datetime | None = None,
        lost: dt.datetime | None = None,
        done: Iterable[str] = (),
        **fields: Any,
    ) -> Deal:
        deal = make_deal(owner, **fields)
        closed_at = won or lost
        assert closed_at is not None
        Deal.objects.filter(pk=deal.pk).update(
            created_at=created,
            stage=stages["Won" if won else "Lost"],
            status=DealStatus.WON if won else DealStatus.LOST,
            won_at=won,
            lost_at=lost,
            lost_reason="" if won else "price",
            stage_entered_at=closed_at,
        )
        for kind in done:
            outcome = {
                "trial": ActivityOutcome.CONVERTED,
                "demo": ActivityOutcome.HELD,
                "gift": ActivityOutcome.DELIVERED,
            }[kind]
            activity(owner, deal, kind, done=closed_at - dt.timedelta(days=1), outcome=outcome)
        deal.refresh_from_db()
        return deal

    return make


def activity(
    owner: User, deal: Deal, kind: str, *, done: dt.datetime | None, outcome: str = "", **fields: Any
) -> Activity:
    moment = done or NOW
    return Activity.objects.create(
        kind=kind,
        subject=kind.title(),
        owner=owner,
        deal=deal,
        due_at=moment,
        done_at=done,
        outcome=outcome,
        created_at=moment,
        **fields,
    )


def money(amount: str) -> Decimal:
    return Decimal(amount)
