"""The benchmark's raw-SQL limits (benchmarks/raw_sql.py) give the app's own figures, on a small demo.

`benchmarks/suite.py` checks this before timing at any size and stops when they differ; this runs the same
checks on every test run, on SQLite and PostgreSQL alike, so a change to a selector or to a raw statement
that makes them disagree fails here rather than in a benchmark nobody has run yet."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from salespipe.analytics.periods import add_months
from salespipe.coaching import dashboard
from salespipe.demo.generator import demo_generate
from salespipe.numbers import selectors as numbers
from salespipe.numbers.models import TrackRecordSnapshot

pytestmark = pytest.mark.django_db

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def raw_sql() -> Iterator[Any]:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import raw_sql

        yield raw_sql
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture
def actors() -> Any:
    demo_generate(reps=12, deals=1500, seed=3, today=None)
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from _common import benchmark_actors

        return benchmark_actors()
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_the_board_of_a_rep_and_of_a_manager(raw_sql: Any, actors: Any) -> None:
    for user in (actors.rep, actors.team.manager):
        # when
        app, raw = raw_sql.board_app(actor=user), raw_sql.board_raw(actor=user)

        # then: the same columns, counts, sums and first cards
        assert app
        assert raw_sql.differences(app, raw) == []


def _my_numbers(raw_sql: Any, actors: Any, period: Any, now: Any) -> list[tuple[Any, Any]]:
    """The app's and the raw SQL's My numbers of a rep, of the manager (whose own record is too short for
    the plan, which falls back on the team's) and of the manager's team."""
    today = numbers.company_today(now)
    team = actors.team
    found = []
    for user, team_name in ((actors.rep, None), (team.manager, None), (team.manager, team.name)):
        scope = numbers.numbers_scope(actor=user, team=team_name)
        app = raw_sql.numbers_app(
            report=numbers.numbers_report(actor=user, scope=scope, period=period, now=now)
        )
        if team_name:
            raw = raw_sql.numbers_raw(team_id=team.pk, period=period, today=today)
        else:
            raw = raw_sql.numbers_raw(user_id=user.pk, period=period, today=today)
        found.append((app, raw))
    return found


def test_my_numbers_of_a_rep_and_of_a_team(raw_sql: Any, actors: Any) -> None:
    # given
    now = timezone.now().replace(microsecond=0)
    period = numbers.numbers_period(None, today=numbers.company_today(now))

    # when
    (rep, rep_raw), (manager, manager_raw), (team, team_raw) = _my_numbers(raw_sql, actors, period, now)

    # then: every figure the page shows, down to the plan's weeks and each member's line
    assert rep.open_deals > 0 and rep.numbers.quota is not None and rep.commission is not None
    assert manager.plan.rates.basis == "team"
    assert len(team.members) > 1 and team.commission is not None
    for app, raw in ((rep, rep_raw), (manager, manager_raw), (team, team_raw)):
        assert raw_sql.differences(app, raw) == []


def test_my_numbers_of_a_later_quarter_plan_the_gap(raw_sql: Any, actors: Any) -> None:
    # given: two quarters ahead, where little is expected yet against the quotas
    now = timezone.now().replace(microsecond=0)
    today = numbers.company_today(now)
    period = numbers.numbers_period(
        None, today=add_months(numbers.numbers_period(None, today=today).starts_on, 6)
    )

    # when
    found = _my_numbers(raw_sql, actors, period, now)

    # then
    team = found[-1][0]
    assert team.numbers.gap and team.plan.weeks
    for app, raw in found:
        assert raw_sql.differences(app, raw) == []


def test_my_numbers_without_todays_track_records_count_them_live(raw_sql: Any, actors: Any) -> None:
    # given
    TrackRecordSnapshot.objects.all().delete()
    now = timezone.now().replace(microsecond=0)
    period = numbers.numbers_period(None, today=numbers.company_today(now))

    # when
    found = _my_numbers(raw_sql, actors, period, now)

    # then
    for app, raw in found:
        assert raw_sql.differences(app, raw) == []


def _team_dashboard(raw_sql: Any, actors: Any, period: Any, now: Any) -> Any:
    """The app's figures of the manager's team's dashboard."""
    manager, team = actors.team.manager, actors.team
    teams = dashboard.dashboard_teams(actor=manager)
    chosen = dashboard.dashboard_team(actor=manager, name=team.name, teams=teams)
    return raw_sql.team_app(
        dashboard=dashboard.team_dashboard(actor=manager, team=chosen, teams=teams, period=period, now=now)
    )


def test_the_team_dashboard(raw_sql: Any, actors: Any) -> None:
    # given: whole seconds, as the suite (SQLite's datetime() drops fractions)
    now = timezone.now().replace(microsecond=0)
    period = numbers.numbers_period(None, today=numbers.company_today(now))

    # when
    app = _team_dashboard(raw_sql, actors, period, now)
    with CaptureQueriesContext(connection) as statements:
        raw = raw_sql.team_raw(team_id=actors.team.pk, period=period, now=now)

    # then: the summary, every member's line and the trend, down to the quotas and commissions, in the
    # statements team_raw's docstring lists
    assert len(statements) == 10
    assert app.numbers.quota is not None and app.commission is not None
    # (the reps have quotas and plans, the manager, in the team too, neither)
    assert {line.quota is None for line in app.lines.values()} == {True, False}
    assert {line.commission is None for line in app.lines.values()} == {True, False}
    assert all(month.quota is not None for month in app.trend)
    assert raw_sql.differences(app, raw) == []


@pytest.mark.parametrize("quarters", [-4, 2], ids=["a year back", "two quarters ahead"])
def test_the_team_dashboard_of_a_period_apart_from_the_trend(
    raw_sql: Any, actors: Any, quarters: int
) -> None:
    """The quotas of a period months away from the trend's six are read in the same statement."""
    # given
    now = timezone.now().replace(microsecond=0)
    today = numbers.company_today(now)
    period = numbers.numbers_period(
        None, today=add_months(numbers.numbers_period(None, today=today).starts_on, 3 * quarters)
    )

    # when
    app = _team_dashboard(raw_sql, actors, period, now)
    raw = raw_sql.team_raw(team_id=actors.team.pk, period=period, now=now)

    # then
    assert app.numbers.quota is not None and app.numbers.gap is not None
    assert raw_sql.differences(app, raw) == []
