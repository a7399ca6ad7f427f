"""Response-time statistics per rep, per team and in total, scoped by who asks; medians computed by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from salespipe.analytics.followups import ResponseTimes
from salespipe.analytics.selectors import response_time_report
from salespipe.core.errors import InvalidInput, NotFound
from salespipe.people.models import Team, User
from tests.analytics.conftest import NOW, days_ago

pytestmark = pytest.mark.django_db

# The people in view, the teams in view, and one aggregate query.
REPORT_QUERIES = 3


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def requests(rep: User, teammate: User, outsider: User, info_request: Any) -> None:
    """rep: answered in 30, 90 (late) and 240 minutes, one answered too long ago, two open (one overdue),
    one cancelled; teammate: 10 and 50 minutes; outsider (another team): 5 minutes."""

    def answered(owner: User, days: float, minutes: int, *, late: bool = False) -> None:
        received = days_ago(days)
        done = received + dt.timedelta(minutes=minutes)
        due = done - dt.timedelta(minutes=1) if late else done + dt.timedelta(hours=1)
        info_request(owner, received=received, due=due, answered=done, minutes=minutes)

    answered(rep, 10, 30)
    answered(rep, 20, 90, late=True)
    answered(rep, 5, 240)
    answered(rep, 100, 10_000)
    info_request(rep, received=days_ago(0.1), due=NOW + dt.timedelta(hours=4))
    info_request(rep, received=days_ago(1), due=NOW - dt.timedelta(hours=1))
    info_request(rep, received=days_ago(3), due=days_ago(2), cancelled=days_ago(2))
    answered(teammate, 2, 10)
    answered(teammate, 40, 50)
    answered(outsider, 1, 5)


def lines(report: Any) -> dict[str, ResponseTimes]:
    return {line.owner.username: line.stats for line in report.owners}


def team_lines(report: Any) -> dict[str, ResponseTimes]:
    return {line.team.name: line.stats for line in report.teams}


@pytest.mark.usefixtures("requests")
def test_a_reps_own_figures_are_the_median_and_on_time_share_of_requests_answered_in_the_window(
    rep: User,
) -> None:
    # when
    report = response_time_report(actor=rep)

    # then: 30, 90 and 240 minutes (the one answered 100 days ago is outside 90 days)
    mine = lines(report)["rep"]
    assert mine == ResponseTimes(answered=3, on_time=2, median_minutes=90.0, open=2, overdue=1)
    assert mine.on_time_share == pytest.approx(2 / 3)
    assert report.window.days == 90
    assert report.window.start == NOW - dt.timedelta(days=90)


@pytest.mark.usefixtures("requests")
def test_a_rep_sees_their_team_total_beside_their_own_line_but_no_teammate(rep: User) -> None:
    # when
    report = response_time_report(actor=rep)

    # then: the team's median is over 10, 30, 50, 90, 240 minutes
    assert list(lines(report)) == ["rep"]
    assert team_lines(report) == {
        "Athens": ResponseTimes(answered=5, on_time=4, median_minutes=50.0, open=2, overdue=1)
    }
    assert report.total == team_lines(report)["Athens"]


@pytest.mark.usefixtures("requests")
def test_a_manager_sees_each_member_and_the_team_total_but_not_another_team(manager: User) -> None:
    # when
    report = response_time_report(actor=manager)

    # then: the manager has no requests, so no line of their own
    assert set(lines(report)) == {"rep", "teammate"}
    assert lines(report)["teammate"] == ResponseTimes(answered=2, on_time=2, median_minutes=30.0)
    assert list(team_lines(report)) == ["Athens"]
    assert "outsider" not in lines(report)


@pytest.mark.usefixtures("requests")
def test_an_admin_sees_everybody_every_team_and_the_company_total(admin_user: User) -> None:
    # when
    report = response_time_report(actor=admin_user)

    # then: the company median is over 5, 10, 30, 50, 90, 240: (30 + 50) / 2
    assert {"rep", "teammate", "outsider"} <= set(lines(report))
    assert "admin" not in lines(report)
    assert team_lines(report)["Berlin"] == ResponseTimes(answered=1, on_time=1, median_minutes=5.0)
    assert report.total == ResponseTimes(answered=6, on_time=5, median_minutes=40.0, open=2, overdue=1)


@pytest.mark.usefixtures("requests")
def test_a_shorter_window_counts_fewer_answers_but_the_same_open_requests(rep: User) -> None:
    # when
    report = response_time_report(actor=rep, days=7)

    # then: only the answer 5 days ago (240 minutes) is inside a week
    assert lines(report)["rep"] == ResponseTimes(
        answered=1, on_time=1, median_minutes=240.0, open=2, overdue=1
    )


@pytest.mark.usefixtures("requests")
def test_narrowing_to_a_person_shows_them_beside_their_team(manager: User, teammate: User) -> None:
    # when
    report = response_time_report(actor=manager, owner_id=teammate.pk)

    # then
    assert list(lines(report)) == ["teammate"]
    assert list(team_lines(report)) == ["Athens"]
    assert report.total.answered == 5


@pytest.mark.usefixtures("requests")
def test_an_admin_narrowing_to_a_team_sees_its_members_only(admin_user: User, outsider: User) -> None:
    # when
    berlin = Team.objects.get(name="Berlin")
    report = response_time_report(actor=admin_user, team_id=berlin.pk)

    # then
    assert list(lines(report)) == ["outsider"]
    assert report.total == ResponseTimes(answered=1, on_time=1, median_minutes=5.0)


@pytest.mark.usefixtures("requests")
def test_a_rep_cannot_ask_for_a_teammate_or_another_team(rep: User, teammate: User, outsider: User) -> None:
    # when / then
    with pytest.raises(NotFound):
        response_time_report(actor=rep, owner_id=teammate.pk)
    with pytest.raises(NotFound):
        response_time_report(actor=rep, team_id=Team.objects.get(name="Berlin").pk)


@pytest.mark.usefixtures("requests")
def test_a_manager_cannot_ask_for_another_team_or_its_members(manager: User, outsider: User) -> None:
    # when / then
    with pytest.raises(NotFound):
        response_time_report(actor=manager, team_id=Team.objects.get(name="Berlin").pk)
    with pytest.raises(NotFound):
        response_time_report(actor=manager, owner_id=outsider.pk)


def test_a_rep_with_nothing_to_report_gets_an_empty_line_not_an_error(rep: User) -> None:
    # when
    report = response_time_report(actor=rep)

    # then
    assert lines(report) == {"rep": ResponseTimes()}
    assert lines(report)["rep"].on_time_share is None
    assert report.total == ResponseTimes()


@pytest.mark.parametrize("days", [0, -5, 5000])
def test_a_window_out_of_range_is_refused_with_how_to_fix_it(rep: User, days: int) -> None:
    # when / then
    with pytest.raises(InvalidInput, match="number of days from 1 to"):
        response_time_report(actor=rep, days=days)


@pytest.mark.usefixtures("requests")
def test_the_report_runs_three_queries_whoever_asks_and_however_many_rows(
    rep: User, manager: User, admin_user: User, info_request: Any, django_assert_num_queries: Any
) -> None:
    # given: many more requests
    for n in range(40):
        info_request(rep, received=days_ago(n + 1), due=days_ago(n), answered=days_ago(n), minutes=n)

    # when / then
    for actor in (rep, manager, admin_user):
        with django_assert_num_queries(REPORT_QUERIES):
            response_time_report(actor=actor)
