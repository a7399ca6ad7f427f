"""Trials, demos and gifts: win rate and cycle of deals closed with one against deals closed without."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from salespipe.activities.models import ActivityOutcome
from salespipe.analytics.followups import ClosedDeals
from salespipe.analytics.selectors import FreemiumStats, freemium_report, freemium_total, report_scope
from salespipe.core.errors import NotFound
from salespipe.people.models import Team, User
from tests.analytics.conftest import NOW, activity, days_ago

pytestmark = pytest.mark.django_db

REPORT_QUERIES = 3


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def history(rep: User, teammate: User, outsider: User, closed_deal: Any, make_deal: Any) -> None:
    """The rep's deals closed in the last year (cycle in days for the won ones):

    A won, trial, 100 · B won, trial and demo, 60 · C lost, trial · D won, 200 · E lost · F lost
    H won, a demo the prospect did not show up for, 50 · I won, a gift sent after winning, 80
    and, not counted: G won with a trial 400 days ago; an open deal with a trial.
    The teammate: one deal won with a gift in 10 days. The outsider: one lost deal with a demo."""

    def won(days_to_win: int, done: tuple[str, ...] = ()) -> Any:
        won_at = days_ago(30)
        return closed_deal(rep, created=won_at - dt.timedelta(days=days_to_win), won=won_at, done=done)

    won(100, ("trial",))
    won(60, ("trial", "demo"))
    closed_deal(rep, created=days_ago(90), lost=days_ago(20), done=("trial",))
    won(200)
    closed_deal(rep, created=days_ago(90), lost=days_ago(20))
    closed_deal(rep, created=days_ago(90), lost=days_ago(10))
    no_show = won(50)
    activity(rep, no_show, "demo", done=days_ago(40), outcome=ActivityOutcome.NO_SHOW)
    late_gift = won(80)
    activity(rep, late_gift, "gift", done=days_ago(5), outcome=ActivityOutcome.DELIVERED)
    closed_deal(rep, created=days_ago(500), won=days_ago(400), done=("trial",))
    still_open = make_deal(rep)
    activity(rep, still_open, "trial", done=days_ago(3), outcome=ActivityOutcome.CONVERTED)
    closed_deal(teammate, created=days_ago(20), won=days_ago(10), done=("gift",))
    closed_deal(outsider, created=days_ago(20), lost=days_ago(10), done=("demo",))


def stats_of(report: Any, username: str) -> FreemiumStats:
    return next(line.stats for line in report.owners if line.owner.username == username)


def group(stats: FreemiumStats, kind: str, side: str) -> tuple[int, int, float | None]:
    comparison = stats.comparisons[kind]
    closed: ClosedDeals = comparison.with_activity if side == "with" else comparison.without_activity
    days = closed.median_cycle_days
    return closed.won, closed.lost, None if days is None else round(days, 6)


@pytest.mark.usefixtures("history")
def test_deals_with_a_trial_are_compared_with_deals_without_one(rep: User) -> None:
    # when
    stats = stats_of(freemium_report(actor=rep), "rep")

    # then: with: A, B won (100, 60 days), C lost; without: D, H, I won (200, 50, 80), E, F lost
    assert group(stats, "trial", "with") == (2, 1, 80.0)
    assert group(stats, "trial", "without") == (3, 2, 80.0)
    trial = stats.comparisons["trial"]
    assert trial.with_activity.win_rate == pytest.approx(2 / 3)
    assert trial.without_activity.win_rate == pytest.approx(3 / 5)
    assert trial.win_rate_difference == pytest.approx(2 / 3 - 3 / 5)
    assert not trial.conclusive


@pytest.mark.usefixtures("history")
def test_a_demo_the_prospect_missed_and_a_gift_after_winning_do_not_count(rep: User) -> None:
    # when
    stats = stats_of(freemium_report(actor=rep), "rep")

    # then: only B had a demo that was held; no gift came before its deal closed
    assert group(stats, "demo", "with") == (1, 0, 60.0)
    assert group(stats, "demo", "without") == (4, 3, 90.0)
    assert group(stats, "gift", "with") == (0, 0, None)
    assert group(stats, "gift", "without") == (5, 3, 80.0)
    assert stats.comparisons["gift"].with_activity.win_rate is None


@pytest.mark.usefixtures("history")
def test_any_of_them_counts_a_deal_once_however_many_it_had(rep: User) -> None:
    # when
    stats = stats_of(freemium_report(actor=rep), "rep")

    # then: A, B, C had at least one
    assert group(stats, "any", "with") == (2, 1, 80.0)
    assert group(stats, "any", "without") == (3, 2, 80.0)
    assert stats.deals == 8


@pytest.mark.usefixtures("history")
def test_a_rep_sees_their_team_total_and_a_manager_each_member_but_not_another_team(
    rep: User, manager: User
) -> None:
    # when
    for_rep = freemium_report(actor=rep)
    for_manager = freemium_report(actor=manager)

    # then: the team adds the teammate's gift deal won in 10 days
    assert [line.owner.username for line in for_rep.owners] == ["rep"]
    (athens,) = for_rep.teams
    assert group(athens.stats, "gift", "with") == (1, 0, 10.0)
    assert group(athens.stats, "any", "with") == (3, 1, 60.0)
    assert {line.owner.username for line in for_manager.owners} == {"rep", "teammate"}
    assert [line.team.name for line in for_manager.teams] == ["Athens"]


@pytest.mark.usefixtures("history")
def test_an_admin_sees_every_team_and_the_company(admin_user: User) -> None:
    # when
    report = freemium_report(actor=admin_user)

    # then
    berlin = next(line.stats for line in report.teams if line.team.name == "Berlin")
    assert group(berlin, "demo", "with") == (0, 1, None)
    assert report.total.deals == 10


@pytest.mark.usefixtures("history")
def test_a_longer_window_takes_in_older_deals(rep: User) -> None:
    # when
    stats = stats_of(freemium_report(actor=rep, days=730), "rep")

    # then: G, won with a trial in 100 days, 400 days ago
    assert group(stats, "trial", "with") == (3, 1, 100.0)


def test_ten_deals_in_each_group_make_a_conclusive_comparison(rep: User, closed_deal: Any) -> None:
    # given
    for n in range(10):
        closed_deal(rep, created=days_ago(60), won=days_ago(n + 1), done=("demo",))
        closed_deal(rep, created=days_ago(60), lost=days_ago(n + 1))

    # when
    demo = stats_of(freemium_report(actor=rep), "rep").comparisons["demo"]

    # then
    assert demo.conclusive
    assert demo.win_rate_difference == pytest.approx(1.0)


@pytest.mark.usefixtures("history")
def test_a_rep_cannot_ask_for_another_team(rep: User) -> None:
    # when / then
    with pytest.raises(NotFound):
        freemium_report(actor=rep, team_id=Team.objects.get(name="Berlin").pk)


@pytest.mark.usefixtures("history")
def test_the_report_runs_three_queries_whoever_asks(
    rep: User, manager: User, admin_user: User, django_assert_num_queries: Any
) -> None:
    # when / then
    for actor in (rep, manager, admin_user):
        with django_assert_num_queries(REPORT_QUERIES):
            freemium_report(actor=actor)


@pytest.mark.usefixtures("history")
def test_the_total_alone_is_the_reports_total_in_one_query(
    rep: User, manager: User, admin_user: User, django_assert_num_queries: Any
) -> None:
    for actor in (rep, manager, admin_user):
        # given
        scope = report_scope(actor=actor)

        # when
        with django_assert_num_queries(1):
            total = freemium_total(scope=scope)

        # then
        assert total == freemium_report(actor=actor, scope=scope).total
    assert freemium_total(scope=report_scope(actor=admin_user)).deals == 10
