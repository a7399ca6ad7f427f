"""The demo's quotas and commission plans: every rep answers to a quota and is paid on a plan, so My
numbers says something real from the first run."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from salespipe.demo.generator import demo_generate
from salespipe.numbers.selectors import numbers_period, numbers_report, numbers_scope
from salespipe.people.models import Role, Team, User
from salespipe.quotas.models import CommissionAssignment, Quota

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 27)


def test_every_rep_has_quotas_from_a_year_back_to_half_a_year_ahead_and_a_plan() -> None:
    # when
    demo_generate(reps=6, deals=300, seed=7, today=TODAY)

    # then
    reps = list(User.objects.filter(role=Role.REP))
    for rep in reps:
        starts = sorted(Quota.objects.filter(user=rep).values_list("starts_on", flat=True))
        assert starts[0] == dt.date(2025, 10, 1) and starts[-1] == dt.date(2027, 4, 1) and len(starts) == 7
    assert CommissionAssignment.objects.filter(user__in=reps).count() == len(reps)
    assert Quota.objects.filter(team__isnull=False, period_kind="year").count() == 1


def test_the_demo_reps_do_not_all_stand_at_the_same_attainment() -> None:
    # given
    demo_generate(reps=6, deals=600, seed=7, today=TODAY)
    manager = Team.objects.get().manager

    # when
    with time_machine.travel(dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC), tick=False):
        scope = numbers_scope(actor=manager, team=Team.objects.get().name)
        report = numbers_report(actor=manager, scope=scope, period=numbers_period("2026-Q3", today=TODAY))

    # then every rep has a quota, a commission, and the attainments spread out
    assert report.quota.source == "set"  # the first team's own yearly quota, a quarter of it
    reps = [line for line in report.members if line.user.role == Role.REP]
    attainments = {line.numbers.attainment for line in reps}
    assert all(line.quota.value for line in reps)
    assert all(line.commission is not None for line in reps)
    assert len(attainments) == len(reps) > 1
