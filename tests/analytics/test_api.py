"""The reports and a deal's suggestions over the REST API, scoped by the token's user."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from salespipe.people.models import Team, User
from tests.analytics.conftest import NOW, days_ago
from tests.api.conftest import ApiClient
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

# Token, then the report's three queries (a client's first request in five minutes also stamps the
# token's last use: each test warms that up first).
REPORT_API_QUERIES = 4
# Token, the deal, then the suggestions' two queries.
SUGGESTIONS_API_QUERIES = 4


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def requests(rep: User, teammate: User, outsider: User, info_request: Any) -> None:
    for owner, minutes in ((rep, 30), (rep, 90), (teammate, 60), (outsider, 5)):
        received = days_ago(3)
        done = received + dt.timedelta(minutes=minutes)
        info_request(owner, received=received, due=done, answered=done, minutes=minutes)
    info_request(rep, received=days_ago(1), due=days_ago(0.5))


@pytest.mark.usefixtures("requests")
def test_a_rep_gets_their_response_times_and_their_teams_total(rep: User, api_client: ApiClient) -> None:
    # when
    response = api_client(rep).get("/api/v1/reports/response-times")

    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["window"]["days"] == 90
    (mine,) = body["owners"]
    assert mine["owner"]["username"] == "rep"
    assert mine == {
        "owner": mine["owner"],
        "team_id": rep.team_id,
        "answered": 2,
        "answered_on_time": 2,
        "on_time_share": 1.0,
        "median_response_minutes": 60.0,
        "open": 1,
        "overdue": 1,
    }
    (athens,) = body["teams"]
    assert (athens["team"]["name"], athens["answered"], athens["median_response_minutes"]) == (
        "Athens",
        3,
        60.0,
    )


@pytest.mark.usefixtures("requests")
def test_a_manager_narrows_the_report_to_one_member(
    manager: User, teammate: User, api_client: ApiClient
) -> None:
    # when
    response = api_client(manager).get("/api/v1/reports/response-times", {"owner_id": teammate.pk, "days": 7})

    # then
    body = response.json()
    assert [line["owner"]["username"] for line in body["owners"]] == ["teammate"]
    assert body["window"]["days"] == 7


@pytest.mark.usefixtures("requests")
def test_a_teammate_or_another_team_is_not_found_for_a_rep(
    rep: User, teammate: User, api_client: ApiClient
) -> None:
    # given
    client = api_client(rep)
    berlin = Team.objects.get(name="Berlin")

    # when
    teammate_answer = client.get("/api/v1/reports/response-times", {"owner_id": teammate.pk})
    team_answer = client.get("/api/v1/reports/freemiums", {"team_id": berlin.pk})

    # then
    assert teammate_answer.status_code == 404
    assert teammate_answer.json()["error"]["code"] == "not_found"
    assert team_answer.status_code == 404


def test_a_window_out_of_range_is_a_422_saying_how_to_fix_it(rep: User, api_client: ApiClient) -> None:
    # when
    response = api_client(rep).get("/api/v1/reports/freemiums", {"days": 0})

    # then
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"days": "out of range"}


def test_the_freemium_report_compares_each_kind_with_and_without(
    rep: User, closed_deal: Any, api_client: ApiClient
) -> None:
    # given
    closed_deal(rep, created=days_ago(40), won=days_ago(10), done=("trial",))
    closed_deal(rep, created=days_ago(40), lost=days_ago(10))

    # when
    response = api_client(rep).get("/api/v1/reports/freemiums")

    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["min_group_deals"] == 10
    trial = body["owners"][0]["kinds"]["trial"]
    assert trial["with_activity"] == {
        "deals": 1,
        "won": 1,
        "lost": 0,
        "win_rate": 1.0,
        "median_cycle_days": pytest.approx(30.0),
        "too_small": True,
    }
    assert trial["without_activity"]["win_rate"] == 0.0
    assert trial["win_rate_difference"] == 1.0
    assert not trial["conclusive"]
    assert set(body["total"]) == {"trial", "demo", "gift", "any"}


@pytest.mark.usefixtures("requests")
def test_each_report_runs_a_fixed_number_of_queries(
    admin_user: User, api_client: ApiClient, django_assert_num_queries: Any
) -> None:
    # given
    client = api_client(admin_user)
    client.get("/api/v1/users/me")

    # when / then
    for path in ("/api/v1/reports/response-times", "/api/v1/reports/freemiums"):
        with django_assert_num_queries(REPORT_API_QUERIES):
            assert client.get(path).status_code == 200


def test_a_deals_suggestions_carry_the_budget_basis_and_the_questions(
    rep: User, make_deal: Any, closed_deal: Any, api_client: ApiClient
) -> None:
    # given: three past purchases of the same organization
    acme = OrganizationFactory(industry="Retail")
    for value in (1000, 2000, 4000):
        closed_deal(rep, created=days_ago(90), won=days_ago(30), value=value, organization_id=acme.pk)
    deal = make_deal(rep, organization_id=acme.pk, urgency="high")

    # when
    response = api_client(rep).get(f"/api/v1/deals/{deal.pk}/suggestions")

    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["budget"] == {
        "amount": "2000.00",
        "low": "1500.00",
        "high": "3000.00",
        "currency": "EUR",
        "basis": "organization",
        "sample_size": 3,
    }
    assert body["close_date"] is None
    assert body["missing"] == ["decision_maker", "budget", "decision_date"]
    budget_topic = body["questions"][1]
    assert budget_topic["fact"] == "budget"
    assert "What did you spend on this the last time?" in budget_topic["questions"]


def test_the_questions_come_in_the_language_asked_for(
    rep: User, make_deal: Any, api_client: ApiClient
) -> None:
    # given
    deal = make_deal(rep)

    # when
    response = api_client(rep).get(f"/api/v1/deals/{deal.pk}/suggestions", headers={"Accept-Language": "el"})

    # then: translated once the lead compiles the catalogue; until then the English text, never an error
    assert response.status_code == 200
    assert len(response.json()["questions"]) == 4


def test_the_suggestions_of_a_deal_the_user_may_not_see_are_not_found(
    rep: User, outsider: User, make_deal: Any, api_client: ApiClient
) -> None:
    # given
    theirs = make_deal(outsider)

    # when
    response = api_client(rep).get(f"/api/v1/deals/{theirs.pk}/suggestions")

    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_suggestions_run_a_fixed_number_of_queries(
    rep: User, make_deal: Any, api_client: ApiClient, django_assert_num_queries: Any
) -> None:
    # given
    client = api_client(rep)
    client.get("/api/v1/users/me")
    deal = make_deal(rep)

    # when / then
    with django_assert_num_queries(SUGGESTIONS_API_QUERIES):
        assert client.get(f"/api/v1/deals/{deal.pk}/suggestions").status_code == 200
