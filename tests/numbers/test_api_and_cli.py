"""My numbers over the REST API and the command line: the same JSON, scoped by who asks."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from click.testing import CliRunner

from salespipe.cli import main
from salespipe.deals.services import deal_win
from salespipe.people.models import User
from salespipe.quotas.models import CommissionAssignment, CommissionPlan, CommissionTier, Quota
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
# Token; quotas; won and open deals; stages; commission plan with its tiers; the day's track-record snapshots
# (none yet); then the track records counted live (closed deals, activities) of the rep, their team and
# the company, as neither has enough history.
NUMBERS_API_QUERIES = 12


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def rep_numbers(rep: User, make_deal: Any) -> None:
    """Quota 10,000 for 2026-Q4; 2,000 won; 4,000 open at 50 % closing in December; a 10 % plan."""
    Quota.objects.create(
        user=rep,
        period_kind="quarter",
        starts_on=dt.date(2026, 10, 1),
        ends_on=dt.date(2026, 12, 31),
        target_value=Decimal(10_000),
        target_deals=4,
    )
    won = make_deal(rep, title="Won one", value=2000)
    deal_win(actor=rep, deal_id=won.pk)
    make_deal(rep, title="Open one", value=4000, probability=50, expected_close_date=dt.date(2026, 12, 15))
    make_deal(rep, title="Next year", value=9000, probability=50, expected_close_date=dt.date(2027, 2, 1))
    make_deal(rep, title="Undated", value=700, expected_close_date=None)
    plan = CommissionPlan.objects.create(name="Standard", base_rate=Decimal(10))
    CommissionTier.objects.create(plan=plan, from_attainment=Decimal(100), rate=Decimal(15))
    CommissionAssignment.objects.create(user=rep, plan=plan, starts_on=dt.date(2026, 1, 1))


@pytest.mark.usefixtures("rep_numbers")
def test_a_rep_gets_won_expected_and_gap_against_their_quota(rep: User, api_client: ApiClient) -> None:
    # when
    response = api_client(rep).get("/api/v1/numbers?period=2026-Q4")

    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["scope"] == {"kind": "user", "name": "rep", "label": str(rep)}
    assert body["period"] == {
        "label": "2026-Q4",
        "kind": "quarter",
        "starts_on": "2026-10-01",
        "ends_on": "2026-12-31",
    }
    assert (body["quota"], body["quota_source"], body["quota_deals"]) == ("10000.00", "set", 4)
    assert (body["won"], body["won_deals"]) == ("2000.00", 1)
    assert (body["expected"], body["expected_deals"]) == ("2000.00", 1)
    assert body["expected_by_source"]["override"] == {"value": "2000.00", "deals": 1}
    assert body["gap"] == "6000.00"
    assert body["attainment"] == "0.2000"
    assert body["coverage"] == "0.5000"  # 4,000 open ÷ 8,000 still to win
    assert body["undated"] == {"value": "700.00", "deals": 1}
    assert body["commission"] == {"plans": ["Standard"], "earned": "200.00", "projected": "400.00"}
    assert [month["month"] for month in body["flow"]] == [
        "2026-11",
        "2026-12",
        "2027-01",
        "2027-02",
        "2027-03",
        "2027-04",
    ]
    assert body["flow"][1]["expected"] == "2000.00" and body["flow"][3]["expected"] == "4500.00"
    assert body["plan"]["basis"] == "defaults"  # one closed deal is no track record


@pytest.mark.usefixtures("rep_numbers")
def test_the_links_lead_to_the_deals_behind_each_number(rep: User, api_client: ApiClient) -> None:
    # given
    client = api_client(rep)
    links = client.get("/api/v1/numbers?period=2026-Q4").json()["links"]

    # when
    won = client.get(links["won"]).json()["items"]
    expected = client.get(links["expected"]).json()["items"]
    undated = client.get(links["undated"]).json()["items"]

    # then
    assert [(deal["title"], deal["probability_source"]) for deal in won] == [("Won one", "won")]
    assert [(deal["title"], deal["weighted_value"], deal["probability_source"]) for deal in expected] == [
        ("Open one", "2000.00", "override")
    ]
    assert [deal["title"] for deal in undated] == ["Undated"]


@pytest.mark.usefixtures("rep_numbers")
def test_the_command_prints_the_same_json_as_the_api(rep: User, api_client: ApiClient) -> None:
    # given
    from_api = api_client(rep).get("/api/v1/numbers?user=rep&period=2026-Q4").json()

    # when
    result = CliRunner().invoke(main, ["numbers", "--user", "rep", "--period", "2026-Q4", "--json"])

    # then
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == from_api


@pytest.mark.usefixtures("rep_numbers")
def test_the_command_says_the_numbers_in_words() -> None:
    # when
    result = CliRunner().invoke(main, ["numbers", "--user", "rep", "--period", "2026-Q4"])

    # then
    assert result.exit_code == 0, result.output
    assert "gap        6,000.00 EUR" in result.output
    assert "1 open deals worth 700.00 EUR have no expected close date" in result.output


def test_a_rep_cannot_see_a_teammates_numbers(rep: User, teammate: User, api_client: ApiClient) -> None:
    # when
    response = api_client(rep).get("/api/v1/numbers?user=teammate")

    # then
    assert response.status_code == 404
    assert "teammate" in response.json()["error"]["message"]


def test_a_manager_sees_their_team_and_an_admin_the_company(
    manager: User, admin_user: User, rep: User, team: Any, api_client: ApiClient
) -> None:
    # when
    as_manager = api_client(manager).get(f"/api/v1/numbers?team={team.name}")
    as_admin = api_client(admin_user).get("/api/v1/numbers?company=true")
    rep_asks = api_client(rep).get("/api/v1/numbers?company=true")

    # then
    assert as_manager.status_code == 200 and as_manager.json()["scope"]["kind"] == "team"
    assert "rep" in [line["user"]["username"] for line in as_manager.json()["members"]]
    assert as_admin.status_code == 200 and as_admin.json()["scope"]["kind"] == "company"
    assert rep_asks.status_code == 404


def test_a_period_that_is_not_one_is_refused_with_how_to_write_it(rep: User, api_client: ApiClient) -> None:
    # when
    response = api_client(rep).get("/api/v1/numbers?period=Q4-2026")

    # then
    assert response.status_code == 422
    assert "2026-Q4" in response.json()["error"]["message"]


def test_the_command_refuses_a_bad_period_with_exit_code_2(rep: User) -> None:
    # when
    result = CliRunner().invoke(main, ["numbers", "--user", "rep", "--period", "2026-Q5"])

    # then
    assert result.exit_code == 2
    assert "YYYY-Qn" in result.output or "2026-Q4" in result.output


@pytest.mark.usefixtures("rep_numbers")
def test_my_numbers_run_a_fixed_number_of_queries(
    rep: User, make_deal: Any, api_client: ApiClient, django_assert_num_queries: Any
) -> None:
    # given
    client = api_client(rep)
    client.get("/api/v1/numbers")  # stamps the token's last use
    for n in range(10):
        make_deal(rep, title=f"More {n}", value=100 + n, expected_close_date=dt.date(2026, 12, 1 + n))

    # when / then
    with django_assert_num_queries(NUMBERS_API_QUERIES):
        assert client.get("/api/v1/numbers").status_code == 200


@pytest.mark.usefixtures("rep_numbers")
def test_open_deals_past_their_close_date_are_flagged_as_overdue(
    rep: User, make_deal: Any, api_client: ApiClient
) -> None:
    # given a deal that should have closed in October, and one from last year that never did
    make_deal(rep, title="Slipped", value=300, expected_close_date=dt.date(2026, 10, 20))
    make_deal(rep, title="Forgotten", value=50, expected_close_date=dt.date(2025, 6, 1))
    client = api_client(rep)

    # when
    body = client.get("/api/v1/numbers?period=2026-Q4").json()
    behind = client.get(body["links"]["overdue"]).json()["items"]

    # then both are overdue; only the one dated inside the quarter counts in its expected
    assert body["overdue"] == {"value": "350.00", "deals": 2}
    assert sorted(deal["title"] for deal in behind) == ["Forgotten", "Slipped"]
    assert body["expected_deals"] == 2


def test_a_team_without_members_has_its_own_quota_and_nothing_won_or_expected(
    manager: User, api_client: ApiClient
) -> None:
    # given a new team: a manager and a quota, nobody selling yet (its deals' query names no owner at all)
    from tests.factories import TeamFactory

    newcomers = TeamFactory(name="Lisbon", manager=manager)
    Quota.objects.create(
        team=newcomers,
        period_kind="quarter",
        starts_on=dt.date(2026, 10, 1),
        ends_on=dt.date(2026, 12, 31),
        target_value=Decimal(5_000),
    )

    # when
    response = api_client(manager).get("/api/v1/numbers?team=Lisbon&period=2026-Q4")

    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["quota"], body["won"], body["won_deals"], body["expected"]) == ("5000.00", "0.00", 0, "0.00")
    assert body["gap"] == "5000.00" and body["members"] == []
