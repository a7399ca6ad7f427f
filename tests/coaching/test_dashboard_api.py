"""`GET /api/v1/team`: the team dashboard's lines as JSON, for a team's manager and admins."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from salespipe.activities.models import ActivityKind
from salespipe.activities.services import activity_record, activity_schedule
from salespipe.deals.models import Stage
from salespipe.people.models import Team, User
from salespipe.quotas.models import CommissionAssignment, CommissionPlan
from tests.coaching.test_dashboard import NOW, deals_through_the_first_step, set_quota, won
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/team"
# The token with its user, marking it used; the teams the manager may open; the dashboard's queries
# (test_dashboard.py) but the won trend with its quota book.
API_QUERIES = 17


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def athens(rep: User, teammate: User, make_deal: Any, stages: dict[str, Stage]) -> None:
    set_quota(10_000, user=rep)
    plan = CommissionPlan.objects.create(name="Standard", base_rate=Decimal(10))
    CommissionAssignment.objects.create(user=rep, plan=plan, starts_on=dt.date(2026, 1, 1))
    won(make_deal, rep, 6000)
    won(make_deal, teammate, 1000)
    make_deal(rep, title="Open", value=3000)
    activity_schedule(actor=rep, kind=ActivityKind.MEETING, due_at=NOW + dt.timedelta(hours=3))
    activity_record(actor=rep, kind=ActivityKind.CALL, done_at=NOW - dt.timedelta(hours=1))
    deals_through_the_first_step(rep, make_deal, stages, made=12, moved=1)
    deals_through_the_first_step(teammate, make_deal, stages, made=12, moved=11)


@pytest.mark.usefixtures("athens")
def test_the_team_endpoint_gives_each_members_line_as_json(
    manager: User, rep: User, api_client: Any, django_assert_num_queries: Any
) -> None:
    # given
    client = api_client(manager)

    # when
    with django_assert_num_queries(API_QUERIES):
        response = client.get(URL, {"sort": "-attainment"})

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["team"]["name"] == "Athens"
    assert body["period"]["label"] == "2026-Q4"
    assert body["currency"] == "EUR"
    assert body["totals"]["won"] == "7000.00"
    first = body["members"][0]
    assert first["user"]["username"] == "rep"
    assert {
        key: first[key] for key in ("quota", "won", "won_deals", "gap", "attainment", "commission_earned")
    } == {
        "quota": "10000.00",
        "won": "6000.00",
        "won_deals": 1,
        "gap": "3200.00",
        "attainment": "0.6000",
        "commission_earned": "600.00",
    }
    assert (first["appointments_this_week"], first["calls_this_week"], first["open_deals"]) == (1, 1, 13)
    step = first["weakest_step"]
    assert (step["stage"], step["next_stage"], step["successes"], step["trials"]) == (
        "Lead",
        "Contacted",
        1,
        12,
    )
    assert Decimal(step["probability_below"]) > Decimal("0.99")
    assert first["time_zone"] == "Europe/Athens"
    assert first["local_time"] == "2026-11-27T12:00:00+02:00"
    assert (first["at_work"], first["overlap_minutes"]) == (True, 480)
    assert first["overlap"] == [
        {"starts_at": "2026-11-27T09:00:00+02:00", "ends_at": "2026-11-27T17:00:00+02:00"}
    ]
    assert first["links"] == {
        "numbers": "/numbers/?user=rep&period=2026-Q4",
        "board": f"/board/?owner={rep.pk}",
        "advice": "/api/v1/advice?user=rep",
    }
    assert body["members"][1]["weakest_step"] is None
    assert body["members"][1]["commission_earned"] is None


@pytest.mark.usefixtures("athens")
def test_the_endpoint_runs_the_same_queries_with_more_reps(
    manager: User, team: Team, make_deal: Any, api_client: Any, django_assert_num_queries: Any
) -> None:
    # given
    for index in range(6):
        person = UserFactory(username=f"more{index}", team=team, time_zone="Asia/Singapore")
        make_deal(person, title=f"Deal {index}")
        activity_record(actor=person, kind=ActivityKind.CALL, done_at=NOW - dt.timedelta(hours=2))
    client = api_client(manager)

    # when / then
    with django_assert_num_queries(API_QUERIES):
        response = client.get(URL)
    assert len(response.json()["members"]) == 8


def test_a_rep_and_another_managers_team_are_not_found(
    rep: User, manager: User, outsider: User, api_client: Any
) -> None:
    # when
    as_rep = api_client(rep).get(URL)
    other_team = api_client(manager).get(URL, {"team": "Berlin"})

    # then
    assert as_rep.status_code == 404
    assert other_team.status_code == 404
    assert other_team.json()["error"]["code"] == "not_found"


def test_an_admin_names_any_team_and_bad_input_is_refused(
    admin_user: User, outsider: User, api_client: Any
) -> None:
    # given
    client = api_client(admin_user)

    # when
    berlin = client.get(URL, {"team": "Berlin", "period": "2026-11"})
    bad_period = client.get(URL, {"team": "Berlin", "period": "soon"})
    bad_sort = client.get(URL, {"team": "Berlin", "sort": "salary"})

    # then
    assert berlin.status_code == 200
    assert berlin.json()["period"]["kind"] == "month"
    assert [member["user"]["username"] for member in berlin.json()["members"]] == ["outsider"]
    assert bad_period.status_code == 422
    assert bad_sort.status_code == 422
    assert "sort" in bad_sort.json()["error"]["fields"]
