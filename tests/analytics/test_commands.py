"""`salespipe report response-times` and `salespipe report freemiums`, as an operator runs them."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from click.testing import CliRunner, Result

from salespipe.cli import main
from salespipe.people.models import User
from tests.analytics.conftest import NOW, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def history(rep: User, teammate: User, outsider: User, info_request: Any, closed_deal: Any) -> None:
    for owner, minutes in ((rep, 45), (teammate, 125), (outsider, 5)):
        received = days_ago(3)
        done = received + dt.timedelta(minutes=minutes)
        info_request(owner, received=received, due=done, answered=done, minutes=minutes)
    closed_deal(rep, created=days_ago(40), won=days_ago(10), done=("trial",))
    closed_deal(teammate, created=days_ago(40), lost=days_ago(10))


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["report", *args])


@pytest.mark.usefixtures("history")
def test_response_times_print_a_line_per_person_and_team_with_the_median(rep: User, outsider: User) -> None:
    # when
    result = run("response-times")

    # then
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Information requests answered in the last 90 days")
    athens = next(line for line in lines if line.startswith("Team Athens"))
    assert athens.split()[2:] == ["2", "1", "h", "25", "min", "100%", "0", "0"]
    assert any(line.startswith(str(outsider)) for line in lines)
    assert lines[-1].split()[:2] == ["Everyone", "3"]


@pytest.mark.usefixtures("history")
def test_response_times_for_one_user_as_json_have_the_apis_shape(rep: User) -> None:
    # when
    result = run("response-times", "--user", "rep", "--days", "30", "--json")

    # then
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["window"]["days"] == 30
    assert [line["owner"]["username"] for line in body["owners"]] == ["rep"]
    assert body["owners"][0]["median_response_minutes"] == 45.0
    assert [line["team"]["name"] for line in body["teams"]] == ["Athens"]


@pytest.mark.usefixtures("history")
def test_freemiums_for_a_team_compare_deals_with_and_without(rep: User) -> None:
    # when
    result = run("freemiums", "--team", "athens", "--kind", "trial")

    # then
    assert result.exit_code == 0, result.output
    team = next(line for line in result.stdout.splitlines() if line.startswith("Team Athens"))
    assert team.split()[2:] == ["1*", "100%", "30.0", "d", "1*", "0%", "-"]
    assert "too few to tell" in result.stdout


def test_an_unknown_team_names_the_teams_there_are(team: Any) -> None:
    # when
    result = run("freemiums", "--team", "Paris")

    # then
    assert result.exit_code == 4
    assert "There is no team 'Paris'. Teams: Athens." in result.stderr


def test_user_and_team_together_or_a_bad_window_are_refused(team: Any, rep: User) -> None:
    # when
    both = run("response-times", "--user", "rep", "--team", "Athens")
    window = run("freemiums", "--days", "0")

    # then
    assert both.exit_code == 2
    assert "not both" in both.stderr
    assert window.exit_code == 2
    assert "number of days from 1 to" in window.stderr
