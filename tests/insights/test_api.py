"""`GET /api/v1/insights`: the Insights page's figures as JSON, scoped by the token's user."""

from __future__ import annotations

from typing import Any

import pytest

from salespipe.deals.models import Deal, Stage
from salespipe.people.models import User
from tests.api.conftest import ApiClient
from tests.insights.conftest import done

pytestmark = pytest.mark.django_db

URL = "/api/v1/insights"
# Token; the actor's view (people, teams); the pipeline's stages; open deals, stage entries (the
# window's and the last six months' together), stays, closed deals with their trials/demos/gifts, lost
# reasons, activities.
API_QUERIES = 10


@pytest.fixture
def history(rep: User, teammate: User, journey: Any) -> dict[str, Deal]:
    done(rep, "call", 3)
    return {
        "won": journey(rep, [("Lead", 80), ("Contacted", 70), ("Won", 10)], value=3000),
        "lost": journey(rep, [("Lead", 50), ("Lost", 40)], reason="Price too high"),
        "open": journey(rep, [("Lead", 20), ("Contacted", 15)], value=1500),
        "teammate": journey(teammate, [("Lead", 20), ("Lost", 10)], reason="Went silent"),
    }


@pytest.mark.usefixtures("history")
def test_a_rep_gets_their_funnel_with_money_as_decimal_strings(
    rep: User, api_client: ApiClient, stages: dict[str, Stage], django_assert_num_queries: Any
) -> None:
    # given
    client = api_client(rep)
    client.get(URL)  # the token's first use of the day is stamped: warm it up

    # when
    with django_assert_num_queries(API_QUERIES):
        response = client.get(URL)

    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["scope"] == {"kind": "everyone", "owner": None, "team": None}
    assert body["pipeline"]["name"] == "Sales"
    assert body["window"]["days"] == 90
    assert body["currency"] == "EUR"
    lead, contacted = body["stages"][:2]
    assert lead == {
        "id": stages["Lead"].pk,
        "name": "Lead",
        "position": 1,
        "open_deals": 0,
        "open_value": "0.00",
        "weighted_value": "0.00",
        "entered": 3,
        "advanced": 2,
        "conversion": "0.6667",
        "dropped": 1,
        "drop_off": "0.3333",
        "reach": "0.6667",
        "stays_ended": 3,
        "median_days": pytest.approx(10.0),  # stays of 10 (won), 10 (lost) and 5 days (open)
    }
    assert (contacted["open_deals"], contacted["open_value"], contacted["weighted_value"]) == (
        1,
        "1500.00",
        "150.00",
    )
    assert body["totals"] == {"open_deals": 1, "open_value": "1500.00", "weighted_value": "150.00"}
    assert body["closed"] == {
        "won": 1,
        "lost": 1,
        "won_value": "3000.00",
        "lost_value": "1000.00",
        "win_rate": "0.5000",
        "average_won_value": "3000.00",
        "median_cycle_days": pytest.approx(70.0),
    }
    assert body["sales_velocity"] == "21.43"
    assert body["lost_reasons"] == [
        {"reason": "Price too high", "other": False, "deals": 1, "share": "1.0000", "value": "1000.00"}
    ]
    assert body["activities"]["call"] == 1
    assert body["freemiums"]["kinds"]["any"]["without_activity"]["deals"] == 2
    assert [month["month"] for month in body["conversion_by_month"]][-1] == "2026-11"


@pytest.mark.usefixtures("history")
def test_a_manager_narrows_to_a_team_or_a_member(
    manager: User, rep: User, teammate: User, api_client: ApiClient
) -> None:
    # when
    team = api_client(manager).get(URL, {"team_id": rep.team_id, "days": 30}).json()
    member = api_client(manager).get(URL, {"owner_id": teammate.pk}).json()

    # then
    assert team["scope"]["kind"] == "team" and team["scope"]["team"]["id"] == rep.team_id
    assert team["window"]["days"] == 30
    assert {line["reason"] for line in team["lost_reasons"]} == {"Went silent"}  # the rep's lost 40 days ago
    assert member["scope"]["owner"]["username"] == "teammate"
    assert member["stages"][0]["entered"] == 1


@pytest.mark.usefixtures("history")
@pytest.mark.parametrize(
    ("who", "query"),
    [
        ("rep", lambda people: {"owner_id": people["teammate"].pk}),
        ("rep", lambda people: {"team_id": people["rep"].team_id}),
        ("manager", lambda people: {"owner_id": people["outsider"].pk}),
        ("manager", lambda people: {"team_id": people["outsider"].team_id}),
        ("manager", lambda people: {"pipeline_id": 999_999}),
    ],
)
def test_what_is_out_of_view_is_a_404_with_the_error_body(
    who: str, query: Any, rep: User, teammate: User, manager: User, outsider: User, api_client: ApiClient
) -> None:
    # given
    people = {"rep": rep, "teammate": teammate, "manager": manager, "outsider": outsider}

    # when
    response = api_client(people[who]).get(URL, query(people))

    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.usefixtures("pipeline")
def test_a_window_out_of_range_is_a_422(rep: User, api_client: ApiClient) -> None:
    # when
    response = api_client(rep).get(URL, {"days": 5000})

    # then
    assert response.status_code == 422
    assert "days" in response.json()["error"]["fields"]
