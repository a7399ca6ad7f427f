"""The daily track-record snapshots: the same record as counted live, read instead of recounting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from salespipe.activities.models import ActivityKind, ActivityOutcome
from salespipe.analytics.plan import TrackRecord
from salespipe.numbers.models import TrackRecordSnapshot
from salespipe.numbers.selectors import numbers_period, numbers_report, numbers_scope
from salespipe.numbers.services import track_records_refresh, track_records_refresh_due
from salespipe.numbers.track_records import track_record_live, track_record_since, track_records_count
from salespipe.people.models import Team, User
from tests.analytics.conftest import NOW, activity, days_ago

pytestmark = pytest.mark.django_db

SINCE = track_record_since(NOW.date(), dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def history(rep: User, teammate: User, outsider: User, closed_deal: Any) -> None:
    """A year of the rep's, their teammate's and an outsider's closed deals, meetings and calls; and a
    deal won too long ago to count."""
    for owner, wins, losses in ((rep, 6, 6), (teammate, 3, 9), (outsider, 2, 1)):
        for n in range(wins + losses):
            won = n < wins
            closed = days_ago(10 + 20 * n)
            deal = closed_deal(
                owner,
                created=closed - dt.timedelta(days=15 + n),
                won=closed if won else None,
                lost=None if won else closed,
                value=1000 * (n + 1),
            )
            if n % 2 == 0:
                activity(
                    owner,
                    deal,
                    ActivityKind.MEETING,
                    done=closed - dt.timedelta(days=3),
                    outcome=ActivityOutcome.HELD,
                )
            activity(owner, deal, ActivityKind.CALL, done=closed - dt.timedelta(days=9))
    closed_deal(rep, created=days_ago(500), won=days_ago(400), value=99_999)


@pytest.mark.usefixtures("history")
def test_the_snapshots_hold_what_is_counted_live(rep: User, team: Team, outsider: User) -> None:
    # when
    records = track_records_count(SINCE)

    # then each person, the team and the company as if counted on their own
    assert records[("owner", rep.pk)] == track_record_live(_owner(rep), SINCE)
    assert records[("owner", outsider.pk)] == track_record_live(_owner(outsider), SINCE)
    assert records[("team", team.pk)] == track_record_live(_team(team), SINCE)
    assert records[("all", 0)] == track_record_live(_everyone(), SINCE)
    assert records[("owner", rep.pk)] == TrackRecord(
        won_deals=6,
        lost_deals=6,
        won_value=Decimal(1000 + 2000 + 3000 + 4000 + 5000 + 6000),
        cycle_days=records[("owner", rep.pk)].cycle_days,
        appointment_won=3,
        appointment_lost=3,
        appointments=6,
        calls=12,
    )


@pytest.mark.usefixtures("history")
def test_the_report_reads_todays_snapshots_instead_of_counting_again(
    rep: User, django_assert_num_queries: Any
) -> None:
    # given the report counted live
    scope, period = numbers_scope(actor=rep), numbers_period("2026-Q4", today=NOW.date())
    live = numbers_report(actor=rep, scope=scope, period=period)

    # when today's snapshots are there
    assert track_records_refresh() > 0
    with django_assert_num_queries(4):  # quotas, won and open (none), plan assignments (none), snapshots
        from_snapshots = numbers_report(actor=rep, scope=scope, period=period)

    # then the plan is the same
    assert from_snapshots.plan == live.plan
    assert from_snapshots.plan.rates.basis == "own"


@pytest.mark.usefixtures("history")
def test_the_hourly_job_refreshes_once_a_day() -> None:
    # when
    first = track_records_refresh_due()
    again = track_records_refresh_due()
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        next_day = track_records_refresh_due()

    # then
    assert first > 0 and again == 0 and next_day == first
    assert set(TrackRecordSnapshot.objects.values_list("as_of", flat=True)) == {
        NOW.date() + dt.timedelta(days=1)
    }


def _owner(user: User) -> Any:
    from django.db.models import Q

    return Q(owner_id=user.pk)


def _team(team: Team) -> Any:
    from django.db.models import Q

    return Q(owner__team_id=team.pk)


def _everyone() -> Any:
    from django.db.models import Q

    return Q()
