"""The team dashboard (`/team/`): a line per member with their numbers, this week's activity, rotting deals,
open information requests, weakest step, local time and working-hours overlap; sortable without JavaScript;
for the team's manager and admins only, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from salespipe.activities.models import ActivityKind, ActivityOutcome
from salespipe.activities.services import (
    activity_cancel,
    activity_record,
    activity_schedule,
    info_request_log,
)
from salespipe.analytics.periods import period_parse
from salespipe.coaching import dashboard
from salespipe.core.errors import NotFound
from salespipe.deals.models import Deal, Stage
from salespipe.deals.services import deal_move, deal_win
from salespipe.people.models import Team, User
from salespipe.quotas.models import CommissionAssignment, CommissionPlan, Quota
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

# Friday 27 November 2026: 12:00 in Athens, 05:00 in New York.
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
ATHENS = ZoneInfo("Europe/Athens")
NEW_YORK = ZoneInfo("America/New_York")
TEAM_PAGE = "/team/"
# Session, user; the teams the manager may open; the team's numbers (the team and its members, the quota
# book's people and quotas, the stages' rotting days, won and the open deals in one query (every open one,
# tallied per owner and stage for the rotting counts and the funnel too), their stages, commission
# assignments with their tiers, the member lines; no track records, as the page shows no plan); the
# funnel's scope (people, teams, stages) and the step conversions; the activities (one query); the won
# trend and its quota book (people, quotas).
TEAM_PAGE_QUERIES = 20
# Session, user; the teams the manager may open; the team's numbers (as above; no open deals, so no
# stages here).
LEADERBOARD_QUERIES = 10


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def text(response: Any) -> str:
    return response.content.decode()


def set_quota(
    value: int, *, user: User | None = None, team: Team | None = None, period: str = "2026-Q4"
) -> None:
    parsed = period_parse(period)
    Quota.objects.create(
        user=user,
        team=team,
        period_kind=parsed.kind,
        starts_on=parsed.starts_on,
        ends_on=parsed.ends_on,
        target_value=Decimal(value),
    )


def won(make_deal: Any, owner: User, value: int, title: str = "Won deal") -> Deal:
    return deal_win(actor=owner, deal_id=make_deal(owner, title=title, value=value).pk)


def at(zone: ZoneInfo, *parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=zone)


@pytest.fixture
def new_yorker(teammate: User) -> User:
    """The teammate works from New York, 09:00-17:00 there."""
    teammate.time_zone = "America/New_York"
    teammate.save(update_fields=["time_zone"])
    return teammate


@pytest.fixture
def week_of_work(rep: User, new_yorker: User, make_deal: Any) -> None:
    """The rep (Athens) and the teammate (New York): quotas, won deals, appointments, calls, requests."""
    set_quota(10_000, user=rep)
    set_quota(20_000, user=new_yorker)
    won(make_deal, rep, 6000)
    won(make_deal, new_yorker, 5000)
    make_deal(rep, title="Open", value=3000)
    plan = CommissionPlan.objects.create(name="Standard", base_rate=Decimal(10))
    CommissionAssignment.objects.create(user=rep, plan=plan, starts_on=dt.date(2026, 1, 1))
    # The rep's appointments: one later today, two next week; a demo in three weeks, a cancelled one.
    activity_schedule(actor=rep, kind=ActivityKind.MEETING, due_at=at(ATHENS, 2026, 11, 27, 15, 0))
    activity_schedule(actor=rep, kind=ActivityKind.MEETING, due_at=at(ATHENS, 2026, 11, 30, 10, 0))
    activity_schedule(actor=rep, kind=ActivityKind.DEMO, due_at=at(ATHENS, 2026, 12, 4, 16, 0))
    activity_schedule(actor=rep, kind=ActivityKind.DEMO, due_at=at(ATHENS, 2026, 12, 18, 10, 0))
    cancelled = activity_schedule(
        actor=rep, kind=ActivityKind.MEETING, due_at=at(ATHENS, 2026, 11, 27, 16, 0)
    )
    activity_cancel(actor=rep, activity_id=cancelled.pk)
    # Done this week (since Monday 23 November in Athens): two calls, a meeting held and a no-show; and a
    # call the Sunday before, last week.
    activity_record(actor=rep, kind=ActivityKind.CALL, done_at=at(ATHENS, 2026, 11, 23, 9, 30))
    activity_record(actor=rep, kind=ActivityKind.CALL, done_at=at(ATHENS, 2026, 11, 27, 11, 0))
    activity_record(
        actor=rep,
        kind=ActivityKind.MEETING,
        outcome=ActivityOutcome.HELD,
        done_at=at(ATHENS, 2026, 11, 26, 11, 0),
    )
    activity_record(
        actor=rep,
        kind=ActivityKind.MEETING,
        outcome=ActivityOutcome.NO_SHOW,
        done_at=at(ATHENS, 2026, 11, 25, 11, 0),
    )
    activity_record(actor=rep, kind=ActivityKind.CALL, done_at=at(ATHENS, 2026, 11, 22, 18, 0))
    # Information requests: one past its deadline, one still in time.
    info_request_log(
        actor=rep, received_at=at(ATHENS, 2026, 11, 26, 9, 0), deadline=at(ATHENS, 2026, 11, 26, 13, 0)
    )
    info_request_log(
        actor=rep, received_at=at(ATHENS, 2026, 11, 27, 11, 0), deadline=at(ATHENS, 2026, 11, 27, 15, 0)
    )
    # The New Yorker's Sunday evening meeting is Monday morning in Athens: still their this week.
    activity_schedule(actor=new_yorker, kind=ActivityKind.MEETING, due_at=at(NEW_YORK, 2026, 11, 29, 20, 0))


def line_of(response: Any, user: User) -> dashboard.RepLine:
    return next(line for line in response.context["board"].lines if line.user.pk == user.pk)


def row_of(response: Any, user: User) -> Any:
    return next(row for row in response.context["rows"] if row.name == str(user))


# --- the lines ------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("week_of_work")
def test_a_manager_sees_a_line_per_member_with_numbers_this_weeks_activity_and_requests(
    manager: User, rep: User, new_yorker: User, browser_of: Any, django_assert_num_queries: Any
) -> None:
    # given
    client = browser_of(manager)

    # when
    with django_assert_num_queries(TEAM_PAGE_QUERIES):
        response = client.get(TEAM_PAGE)

    # then: the manager's only team, the current quarter, a line per member
    assert response.status_code == 200
    assert response.context["team"].name == "Athens"
    assert response.context["period"].label == "2026-Q4"
    assert {row.name for row in response.context["rows"]} == {str(rep), str(new_yorker)}
    # the numbers: 6,000 won of 10,000, 3,000 open at the Lead stage's 5 %, commission at 10 %
    mine = row_of(response, rep)
    assert (mine.attainment, mine.won, mine.quota, mine.expected, mine.gap, mine.commission) == (
        "60%",
        "€6,000",
        "€10,000",
        "€150",
        "€3,850",
        "€600",
    )
    assert mine.coverage == "0.8×"
    assert row_of(response, new_yorker).commission == "—"
    # this week: the meeting later today (not the cancelled one); next week: the meeting and the demo
    activity = line_of(response, rep).activity
    assert (activity.booked_this_week, activity.booked_next_week) == (1, 2)
    # calls since Monday (not Sunday's), the meeting held (not the no-show)
    assert (activity.calls_done, activity.meetings_done) == (2, 1)
    assert (activity.info_requests, activity.info_requests_overdue) == (2, 1)
    page = text(response)
    assert "(1 overdue)" in page
    # the New Yorker's Sunday meeting is in their own this week
    assert line_of(response, new_yorker).activity.booked_this_week == 1
    assert line_of(response, new_yorker).activity.booked_next_week == 0


@pytest.mark.usefixtures("week_of_work")
def test_the_page_runs_the_same_queries_whatever_the_number_of_reps_and_deals(
    manager: User, team: Team, make_deal: Any, browser_of: Any, django_assert_num_queries: Any
) -> None:
    # given: five more reps in three more time zones, each with open deals, appointments and calls
    for index, zone in enumerate(
        ["Asia/Singapore", "Europe/London", "UTC", "Asia/Singapore", "Europe/Berlin"]
    ):
        person = UserFactory(username=f"more{index}", team=team, time_zone=zone)
        set_quota(5000, user=person)
        for number in range(4):
            make_deal(person, title=f"Deal {index}.{number}", value=100 * (number + 1))
        activity_schedule(actor=person, kind=ActivityKind.MEETING, due_at=NOW + dt.timedelta(days=2))
        activity_record(actor=person, kind=ActivityKind.CALL, done_at=NOW - dt.timedelta(hours=1))
    client = browser_of(manager)

    # when / then
    with django_assert_num_queries(TEAM_PAGE_QUERIES):
        response = client.get(TEAM_PAGE)
    assert len(response.context["rows"]) == 7


def test_rotting_deals_are_those_without_progress_for_their_stages_rotting_days(
    manager: User, rep: User, stages: dict[str, Stage], make_deal: Any, browser_of: Any
) -> None:
    # given: Lead rots after 14 days; three deals made 20 days ago, one of them with a call 2 days ago and
    # one moved to Contacted (10 days) 3 days ago; one made today
    assert stages["Lead"].rotting_days == 14
    with time_machine.travel(NOW - dt.timedelta(days=20), tick=False):
        make_deal(rep, title="Forgotten")
        called = make_deal(rep, title="Called")
        moved = make_deal(rep, title="Moved")
    with time_machine.travel(NOW - dt.timedelta(days=3), tick=False):
        deal_move(actor=rep, deal_id=moved.pk, stage_id=stages["Contacted"].pk)
    activity_record(actor=rep, kind=ActivityKind.CALL, deal_id=called.pk, done_at=NOW - dt.timedelta(days=2))
    make_deal(rep, title="Fresh")

    # when
    response = browser_of(manager).get(TEAM_PAGE)

    # then
    health = line_of(response, rep).health
    assert (health.open_deals, health.rotting_deals) == (4, 1)


def test_every_open_deal_counts_in_the_line_and_the_funnel_whenever_it_is_expected_to_close(
    manager: User, rep: User, make_deal: Any, browser_of: Any
) -> None:
    # given: four open deals in Lead, expected this month, in two years, in January and never; the one
    # expected in two years made 20 days ago and left alone (Lead rots after 14 days)
    with time_machine.travel(NOW - dt.timedelta(days=20), tick=False):
        make_deal(rep, title="Far and forgotten", value=700, expected_close_date=dt.date(2028, 11, 30))
    make_deal(rep, title="This month", value=100, expected_close_date=dt.date(2026, 11, 30))
    make_deal(rep, title="Overdue", value=200, expected_close_date=dt.date(2026, 1, 31))
    make_deal(rep, title="Undated", value=400, expected_close_date=None)

    # when
    response = browser_of(manager).get(TEAM_PAGE)

    # then: the line and the funnel count all four, whatever the months My numbers looks at
    health = line_of(response, rep).health
    assert (health.open_deals, health.rotting_deals) == (4, 1)
    lead = response.context["funnel"][0]
    assert (lead.open_deals, lead.open_value) == (4, "€1,400")


# --- the weakest step -----------------------------------------------------------------------------------


def deals_through_the_first_step(
    owner: User, make_deal: Any, stages: dict[str, Stage], *, made: int, moved: int
) -> None:
    """`made` new deals (entering Lead) two days ago, of which `moved` went on to Contacted."""
    with time_machine.travel(NOW - dt.timedelta(days=2), tick=False):
        for index in range(made):
            deal = make_deal(owner, title=f"{owner.username} {index}")
            if index < moved:
                deal_move(actor=owner, deal_id=deal.pk, stage_id=stages["Contacted"].pk)


def test_the_weakest_step_is_where_a_rep_converts_surely_worse_than_the_rest_of_the_team(
    manager: User, rep: User, teammate: User, stages: dict[str, Stage], make_deal: Any, browser_of: Any
) -> None:
    # given: the rep moved 1 of 12 new deals on, the teammate 11 of 12
    deals_through_the_first_step(rep, make_deal, stages, made=12, moved=1)
    deals_through_the_first_step(teammate, make_deal, stages, made=12, moved=11)

    # when
    response = browser_of(manager).get(TEAM_PAGE)

    # then: the rep's first step, with its evidence; the teammate is not weak anywhere
    step = line_of(response, rep).weakest_step
    assert step is not None
    assert (step.stage, step.next_stage) == ("Lead", "Contacted")
    assert (step.comparison.successes, step.comparison.trials) == (1, 12)
    assert (step.comparison.team_successes, step.comparison.team_trials) == (11, 12)
    assert step.comparison.probability_below > 0.99
    assert line_of(response, teammate).weakest_step is None
    row = row_of(response, rep)
    assert row.weakest == "Lead → Contacted"
    assert row.weakest_evidence.startswith(
        "Lead → Contacted: 1 of 12 (8%, 95% interval 1%–35%) against 11 of 12"
    )
    assert f'title="{row.weakest_evidence}"' in text(response)
    assert row_of(response, teammate).weakest == "—"


def test_a_rep_with_too_few_deals_is_not_flagged_on_noise(
    manager: User, rep: User, teammate: User, stages: dict[str, Stage], make_deal: Any, browser_of: Any
) -> None:
    # given: the rep moved none of 3 deals on, the teammate 11 of 12
    deals_through_the_first_step(rep, make_deal, stages, made=3, moved=0)
    deals_through_the_first_step(teammate, make_deal, stages, made=12, moved=11)

    # when
    response = browser_of(manager).get(TEAM_PAGE)

    # then
    assert line_of(response, rep).weakest_step is None


# --- local time and overlap -----------------------------------------------------------------------------


def test_each_line_shows_the_reps_local_time_and_the_hours_shared_with_the_manager_today(
    manager: User, rep: User, new_yorker: User, browser_of: Any
) -> None:
    # given: the manager and the rep in Athens (09:00-17:00), the teammate in New York

    # when
    response = browser_of(manager).get(TEAM_PAGE)

    # then: 12:00 in Athens, 05:00 in New York, seven hours behind; one hour shared with New York
    athens, new_york = row_of(response, rep), row_of(response, new_yorker)
    assert (athens.local_time, athens.local_offset, athens.at_work) == ("noon", "", True)
    assert (new_york.local_time, new_york.local_offset, new_york.at_work) == ("5 a.m.", "−7 h", False)
    assert (athens.overlap, athens.overlap_windows) == ("8 h", "9 a.m.–5 p.m.")
    assert (new_york.overlap, new_york.overlap_windows) == ("1 h", "4 p.m.–5 p.m.")


# --- sorting --------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("week_of_work")
def test_columns_sort_through_plain_links_missing_figures_last(
    manager: User, rep: User, new_yorker: User, team: Team, browser_of: Any
) -> None:
    # given: a third member without a quota
    nobody = UserFactory(username="newcomer", first_name="Aaron", last_name="Newcomer", team=team)
    client = browser_of(manager)

    # when
    highest_first = client.get(TEAM_PAGE, {"sort": "-attainment"})
    lowest_first = client.get(TEAM_PAGE, {"sort": "attainment"})

    # then: 60 % and 25 %, and no attainment last either way
    assert [row.name for row in highest_first.context["rows"]] == [str(rep), str(new_yorker), str(nobody)]
    assert [row.name for row in lowest_first.context["rows"]] == [str(new_yorker), str(rep), str(nobody)]
    # the sorted column links to the other direction and says how it is sorted; others start highest first
    columns = {column.key: column for column in highest_first.context["columns"]}
    assert columns["attainment"].sorted == "descending"
    assert columns["attainment"].url == "/team/?team=Athens&period=2026-Q4&sort=attainment"
    assert columns["calls"].url == "/team/?team=Athens&period=2026-Q4&sort=-calls"
    assert columns["name"].url == "/team/?team=Athens&period=2026-Q4&sort=name"
    assert 'aria-sort="descending"' in text(highest_first)


def test_an_unknown_sort_falls_back_to_names(manager: User, rep: User, browser_of: Any) -> None:
    response = browser_of(manager).get(TEAM_PAGE, {"sort": "salary"})

    assert response.status_code == 200
    assert response.context["sort"] == "name"


# --- whose dashboard ------------------------------------------------------------------------------------


def test_a_rep_is_sent_to_their_own_numbers(rep: User, browser_of: Any) -> None:
    # when
    response = browser_of(rep).get(TEAM_PAGE)

    # then
    assert response.status_code == 302
    assert response["Location"] == "/numbers/"


def test_another_managers_team_does_not_exist_for_a_manager(
    manager: User, outsider: User, browser_of: Any
) -> None:
    assert browser_of(manager).get(TEAM_PAGE, {"team": "Berlin"}).status_code == 404


def test_a_manager_of_several_teams_picks_one_and_an_admin_any(
    manager: User, rep: User, outsider: User, admin_user: User, browser_of: Any
) -> None:
    # given: the manager also runs Corfu
    corfu = TeamFactory(name="Corfu", manager=manager)
    UserFactory(username="corfiot", team=corfu)

    # when
    mine = browser_of(manager).get(TEAM_PAGE)
    theirs = browser_of(admin_user).get(TEAM_PAGE, {"team": "Berlin"})

    # then: the manager's first team by name, and a picker of their two
    assert mine.context["team"].name == "Athens"
    assert [team.name for team in mine.context["teams"]] == ["Athens", "Corfu"]
    assert '<select name="team" id="team-picker" data-autosubmit>' in text(mine)
    # an admin opens any team and may pick among all of them
    assert theirs.context["team"].name == "Berlin"
    assert [row.name for row in theirs.context["rows"]] == [str(outsider)]
    assert [team.name for team in theirs.context["teams"]] == ["Athens", "Berlin", "Corfu"]


def test_a_manager_with_one_team_gets_no_picker(manager: User, rep: User, browser_of: Any) -> None:
    assert 'name="team"' not in text(browser_of(manager).get(TEAM_PAGE))


def test_a_manager_without_a_team_is_told_how_to_get_one(other_manager: User, browser_of: Any) -> None:
    # given: the other manager's team has been given to someone else
    Team.objects.filter(manager=other_manager).update(manager=None)

    # when
    response = browser_of(other_manager).get(TEAM_PAGE)

    # then
    assert response.status_code == 200
    assert "You manage no team yet" in text(response)


def test_a_period_that_is_not_one_says_how_to_write_one(manager: User, rep: User, browser_of: Any) -> None:
    # when
    response = browser_of(manager).get(TEAM_PAGE, {"period": "soon"})

    # then
    assert response.status_code == 422
    assert 'role="alert"' in text(response)


def test_the_period_links_keep_the_team_and_the_sort(manager: User, rep: User, browser_of: Any) -> None:
    # when
    response = browser_of(manager).get(TEAM_PAGE, {"sort": "-gap", "period": "2026-11"})

    # then
    nav = response.context["nav"]
    assert nav.previous.url == "/team/?team=Athens&sort=-gap&period=2026-10"
    assert [kind.url for kind in nav.kinds] == [
        "/team/?team=Athens&sort=-gap&period=2026-11",
        "/team/?team=Athens&sort=-gap&period=2026-Q4",
        "/team/?team=Athens&sort=-gap&period=2026",
    ]


def test_only_managers_and_admins_see_team_in_the_navigation(
    manager: User, rep: User, admin_user: User, browser_of: Any
) -> None:
    link = '<a href="/team/"'
    assert link in text(browser_of(manager).get("/numbers/"))
    assert link in text(browser_of(admin_user).get("/numbers/"))
    assert link not in text(browser_of(rep).get("/numbers/"))


def test_everyone_finds_their_own_advice_in_the_navigation(
    rep: User, manager: User, open_deal: Any, browser_of: Any
) -> None:
    # given a rep with a deal that has no next step
    open_deal(rep, "Qualified", next_activity_at=None)

    # when the rep follows the navigation's Advice link
    board = text(browser_of(rep).get("/board/"))
    page = browser_of(rep).get("/team/advice/rep/")

    # then it is their own advice page, marked as the current one, with the item
    assert '<li><a href="/team/advice/rep/" >Advice</a></li>' in board
    assert page.status_code == 200
    assert '<a href="/team/advice/rep/" aria-current="page">Advice</a>' in text(page)
    assert '<li class="advice-item severity-medium" data-code="no_next_step">' in text(page)
    assert '<li><a href="/team/advice/manager/" >Advice</a></li>' in text(browser_of(manager).get("/board/"))


# --- click-through --------------------------------------------------------------------------------------


def test_each_line_leads_to_the_reps_numbers_board_and_advice(
    manager: User, rep: User, browser_of: Any
) -> None:
    # when
    response = browser_of(manager).get(TEAM_PAGE, {"period": "2026-11"})

    # then
    row = row_of(response, rep)
    assert row.numbers_url == "/numbers/?user=rep&period=2026-11"
    assert row.board_url == f"/board/?owner={rep.pk}"
    assert row.advice_url == "/team/advice/rep/"
    page = text(response)
    assert f'href="{row.board_url}"' in page
    # the advice cell asks for the first item once on screen, and is a link without JavaScript
    assert f'hx-get="{row.advice_url}" hx-trigger="revealed"' in page
    # the board understands the owner filter
    board = browser_of(manager).get(row.board_url)
    assert board.status_code == 200
    assert board.context["form"].cleaned_data["owner"] == rep.pk


# --- charts ---------------------------------------------------------------------------------------------


def response_json(page: str, element_id: str) -> Any:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_the_funnel_and_the_monthly_trend_come_as_tables_and_as_chart_data_without_inline_scripts(
    manager: User, rep: User, team: Team, stages: dict[str, Stage], make_deal: Any, browser_of: Any
) -> None:
    # given: a team quota of 30,000 a quarter; 4,000 won in September, 1,500 this month; three new deals
    # two days ago, one moved on
    set_quota(30_000, team=team)
    set_quota(30_000, team=team, period="2026-Q3")
    with time_machine.travel(dt.datetime(2026, 9, 15, 10, 0, tzinfo=dt.UTC), tick=False):
        won(make_deal, rep, 4000)
    with time_machine.travel(NOW - dt.timedelta(days=5), tick=False):
        won(make_deal, rep, 1500)
    deals_through_the_first_step(rep, make_deal, stages, made=3, moved=1)

    # when
    response = browser_of(manager).get(TEAM_PAGE)

    # then: six months, September's and November's won against 10,000 a month
    trend = response.context["trend"]
    assert [month.label for month in trend] == [
        "June 2026",
        "July 2026",
        "August 2026",
        "September 2026",
        "October 2026",
        "November 2026",
    ]
    assert [(month.won, month.quota, month.share) for month in trend[3:]] == [
        ("€4,000", "€10,000", "40%"),
        ("€0", "€10,000", "0%"),
        ("€1,500", "€10,000", "15%"),
    ]
    assert trend[0].quota == "—"
    # the funnel: the open stages, with what entered Lead in the window and went on
    funnel = response.context["funnel"]
    assert [stage.name for stage in funnel] == [
        "Lead",
        "Contacted",
        "Qualified",
        "Appointment",
        "Demo/Trial",
        "Proposal",
    ]
    assert (funnel[0].open_deals, funnel[0].entered, funnel[0].advanced) == (2, 5, 3)
    # the same figures for the charts, as data; every script is a file or data
    page = text(response)
    charts = response_json(page, "team-charts")
    assert charts["trend"]["won"][3:] == [4000.0, 0.0, 1500.0]
    assert charts["trend"]["quota"][0] is None
    assert charts["funnel"]["entered"][0] == 5
    for tag in re.findall(r"<script[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert 'src="/static/coaching/team.js"' in page


# --- a person's advice ----------------------------------------------------------------------------------


def test_the_advice_page_lists_a_reps_advice_and_gives_htmx_the_first_item(
    manager: User, rep: User, make_deal: Any, browser_of: Any
) -> None:
    # given: an information request past its deadline
    info_request_log(
        actor=rep, received_at=at(ATHENS, 2026, 11, 26, 9, 0), deadline=at(ATHENS, 2026, 11, 26, 13, 0)
    )
    client = browser_of(manager)

    # when
    page = client.get("/team/advice/rep/")
    cell = client.get("/team/advice/rep/", headers={"HX-Request": "true"})

    # then
    assert page.status_code == 200
    codes = [item.code for item in page.context["items"]]
    assert "answer_info_request" in codes
    assert text(cell).startswith(
        f'<a href="/team/advice/rep/" class="severity severity-{page.context["items"][0].severity}"'
    )
    assert f'data-code="{codes[0]}"' in text(cell)
    assert "<html" not in text(cell)


def test_someone_elses_advice_does_not_exist_for_a_manager(
    manager: User, outsider: User, browser_of: Any
) -> None:
    assert browser_of(manager).get(f"/team/advice/{outsider.username}/").status_code == 404


# --- the leaderboard ------------------------------------------------------------------------------------


def test_the_leaderboard_ranks_by_attainment_then_won_ties_sharing_a_rank(
    manager: User,
    rep: User,
    teammate: User,
    team: Team,
    make_deal: Any,
    browser_of: Any,
    django_assert_num_queries: Any,
) -> None:
    # given: the rep and a third member at 50 % (the third with more won), the teammate at 25 %, a fourth
    # without a quota who won the most; ties in the order of names
    User.objects.filter(pk=rep.pk).update(first_name="Wanda", last_name="Rep")
    rep.refresh_from_db()
    third = UserFactory(username="third", first_name="Zoe", team=team)
    fourth = UserFactory(username="fourth", first_name="Yann", team=team)
    fifth = UserFactory(username="fifth", first_name="Xenia", team=team)
    set_quota(4000, user=rep)
    set_quota(8000, user=third)
    set_quota(8000, user=teammate)
    set_quota(4000, user=fifth)
    won(make_deal, rep, 2000)
    won(make_deal, third, 4000)
    won(make_deal, teammate, 2000)
    won(make_deal, fourth, 9000)
    won(make_deal, fifth, 2000)

    client = browser_of(manager)

    # when
    with django_assert_num_queries(LEADERBOARD_QUERIES):
        response = client.get("/team/leaderboard/")

    # then
    rows = response.context["rows"]
    assert [(row.rank, row.name) for row in rows] == [
        (1, str(third)),
        (2, str(rep)),
        (2, str(fifth)),
        (4, str(teammate)),
        (5, str(fourth)),
    ]
    assert (rows[0].attainment, rows[0].won, rows[0].won_deals) == ("50%", "€4,000", 1)
    assert "1 person has no quota for the period" in text(response)


def test_a_rep_has_no_leaderboard_of_their_own(rep: User, browser_of: Any) -> None:
    assert browser_of(rep).get("/team/leaderboard/")["Location"] == "/numbers/"


def test_a_manager_may_open_their_own_teams_an_admin_every_team_a_rep_none(
    admin_user: User, manager: User, other_manager: User, rep: User, outsider: User
) -> None:
    # when
    theirs = dashboard.dashboard_teams(actor=other_manager)

    # then
    assert [team.name for team in theirs] == ["Berlin"]
    assert [team.name for team in dashboard.dashboard_teams(actor=admin_user)] == ["Athens", "Berlin"]
    assert dashboard.dashboard_teams(actor=rep) == []
    with pytest.raises(NotFound):
        dashboard.dashboard_team(actor=other_manager, name="Athens", teams=theirs)
    with pytest.raises(NotFound):
        dashboard.dashboard_team(actor=rep, name=None, teams=[])
