"""Activities: scheduling keeps the deal's next step current; completing, its last activity."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from salespipe.activities.models import Activity
from salespipe.activities.services import (
    activity_cancel,
    activity_complete,
    activity_record,
    activity_reschedule,
    activity_schedule,
)
from salespipe.core.errors import InvalidInput, RuleBroken
from salespipe.deals.models import Deal
from salespipe.people.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(rep: User, make_deal: Any) -> Deal:
    return make_deal(rep)


def marks(deal: Deal) -> tuple[dt.datetime | None, dt.datetime | None]:
    deal.refresh_from_db()
    return deal.last_activity_at, deal.next_activity_at


def test_scheduling_sets_the_deals_next_step_to_the_earliest_planned_activity(rep: User, deal: Deal) -> None:
    soon = timezone.now() + dt.timedelta(days=1)
    later = soon + dt.timedelta(days=3)

    activity_schedule(actor=rep, kind="call", due_at=later, deal_id=deal.pk)
    activity_schedule(actor=rep, kind="email", due_at=soon, deal_id=deal.pk)

    assert marks(deal) == (None, soon)


def test_completing_moves_the_next_step_on_and_records_the_last_activity(rep: User, deal: Deal) -> None:
    first = activity_schedule(actor=rep, kind="call", due_at=timezone.now(), deal_id=deal.pk)
    second_due = timezone.now() + dt.timedelta(days=2)
    activity_schedule(actor=rep, kind="demo", due_at=second_due, deal_id=deal.pk)

    done = activity_complete(actor=rep, activity_id=first.pk, outcome="connected")

    assert marks(deal) == (done.done_at, second_due)
    assert done.outcome == "connected"


def test_cancelling_the_only_planned_activity_leaves_the_deal_without_a_next_step(
    rep: User, deal: Deal
) -> None:
    call = activity_schedule(actor=rep, kind="call", due_at=timezone.now(), deal_id=deal.pk)

    activity_cancel(actor=rep, activity_id=call.pk)

    assert marks(deal) == (None, None)
    with pytest.raises(RuleBroken):
        activity_complete(actor=rep, activity_id=call.pk)


def test_rescheduling_moves_the_next_step(rep: User, deal: Deal) -> None:
    call = activity_schedule(actor=rep, kind="call", due_at=timezone.now(), deal_id=deal.pk)
    new_time = timezone.now() + dt.timedelta(days=5)

    activity_reschedule(actor=rep, activity_id=call.pk, due_at=new_time)

    assert marks(deal)[1] == new_time


def test_a_meeting_is_completed_only_with_its_outcome(
    rep: User, deal: Deal, confirm_decision_maker: Any
) -> None:
    confirm_decision_maker(deal)
    meeting = activity_schedule(actor=rep, kind="meeting", due_at=timezone.now(), deal_id=deal.pk)

    with pytest.raises(InvalidInput) as refusal:
        activity_complete(actor=rep, activity_id=meeting.pk)
    assert "held" in refusal.value.message
    assert Activity.objects.get(pk=meeting.pk).done_at is None

    assert activity_complete(actor=rep, activity_id=meeting.pk, outcome="no_show").outcome == "no_show"


def test_a_time_without_a_zone_is_refused(rep: User, deal: Deal) -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        activity_schedule(actor=rep, kind="call", due_at=dt.datetime(2026, 12, 1, 10, 0), deal_id=deal.pk)  # noqa: DTZ001

    assert not Activity.objects.exists()


def test_a_recorded_call_counts_as_the_deals_last_activity(rep: User, deal: Deal) -> None:
    call = activity_record(actor=rep, kind="call", outcome="left_message", deal_id=deal.pk)

    assert marks(deal) == (call.done_at, None)
    assert call.person == deal.person and call.owner == rep


def test_work_planned_by_a_manager_on_a_reps_deal_goes_to_the_rep(
    manager: User, rep: User, deal: Deal
) -> None:
    call = activity_schedule(actor=manager, kind="call", due_at=timezone.now(), deal_id=deal.pk)

    assert call.owner == rep and call.created_by == manager
