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
from django.utils import timezone

from salespipe.coaching import dashboard
from salespipe.demo.generator import demo_generate
from salespipe.numbers import selectors as numbers

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


def test_my_numbers_of_a_rep_and_of_a_team(raw_sql: Any, actors: Any) -> None:
    now = timezone.now().replace(microsecond=0)
    today = numbers.company_today(now)
    period = numbers.numbers_period(None, today=today)
    team = actors.team
    for user, team_name in ((actors.rep, None), (team.manager, team.name)):
        # when
        scope = numbers.numbers_scope(actor=user, team=team_name)
        app = raw_sql.numbers_app(
            report=numbers.numbers_report(actor=user, scope=scope, period=period, now=now)
        )
        if team_name:
            raw = raw_sql.numbers_raw(team_id=team.pk, period=period, today=today)
        else:
            raw = raw_sql.numbers_raw(user_id=user.pk, period=period, today=today)

        # then
        assert app.open_deals > 0
        assert raw_sql.differences(app, raw) == []


def test_the_team_dashboard(raw_sql: Any, actors: Any) -> None:
    # given
    now = timezone.now().replace(
        microsecond=0
    )  # whole seconds, as the suite: SQLite's datetime() drops fractions
    period = numbers.numbers_period(None, today=numbers.company_today(now))
    manager, team = actors.team.manager, actors.team
    teams = dashboard.dashboard_teams(actor=manager)
    chosen = dashboard.dashboard_team(actor=manager, name=team.name, teams=teams)

    # when
    app = raw_sql.team_app(
        dashboard=dashboard.team_dashboard(actor=manager, team=chosen, teams=teams, period=period, now=now)
    )
    raw = raw_sql.team_raw(team_id=team.pk, period=period, now=now)

    # then
    assert app.lines
    assert raw_sql.differences(app, raw) == []
