"""Advice over the REST API and the command line: the same JSON, scoped by who asks, in a fixed number of
queries."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from click.testing import CliRunner

from salespipe.cli import main
from salespipe.coaching.selectors import advice_for
from salespipe.people.models import User
from tests.api.conftest import ApiClient
from tests.coaching.conftest import NOW, days_ago

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("advice_clock")]

# The stages (and where the rep has deals); the team's stays in them (how many per stage, to know where
# a busy team's sample starts, then the stays); the company's, for the stages the team has too few of
# (where the sample starts, then the stays); the median open deal; the counts of every kind of open deal
# and the biggest of each, together; the planned activities and the requests due first: 9.
# My numbers' flow: quotas, won and open deals, their stages, commission plans, the day's track-record
# snapshots, and the rep's, team's and company's records counted live (two queries each): 11. The
# snapshots again, and the rep's and the team's records counted live: 5. The funnel's open stages and the
# team's step cohorts, split into the rep's and the rest's: 2.
ADVICE_QUERIES = 9 + 11 + 5 + 2


@pytest.fixture
def rep_with_advice(rep: User, open_deal: Any, info_request: Any) -> None:
    for _ in range(4):
        open_deal(rep, "Qualified")
    open_deal(rep, "Proposal", value=10_000, next_activity_at=None)
    open_deal(rep, "Lead", value=500, stage_entered_at=days_ago(20), last_activity_at=None)
    info_request(rep, received=days_ago(2), due=days_ago(1))


@pytest.mark.usefixtures("rep_with_advice")
def test_the_api_answers_the_advice_most_important_first(rep: User, api_client: ApiClient) -> None:
    # when
    response = api_client(rep).get("/api/v1/advice")

    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"] == {"id": rep.pk, "username": "rep", "name": str(rep)}
    assert (body["as_of"], body["language"], body["currency"]) == ("2026-11-27", "en", "EUR")
    assert [item["code"] for item in body["items"]] == [
        "big_deal_at_risk",
        "answer_info_request",
        "no_next_step",
        "rotting_deal",
    ]
    first = body["items"][0]
    assert set(first) == {"code", "severity", "message", "evidence"}
    assert first["severity"] == "high"
    assert first["evidence"]["biggest"][0]["value"] == "10000.00"
    assert first["evidence"]["value_at_stake"] == "10000.00"


@pytest.mark.usefixtures("rep_with_advice")
def test_the_command_prints_the_api_s_json(rep: User, manager: User, api_client: ApiClient) -> None:
    # given: the manager asks the API, the operator the command line; the rep reads Greek
    rep.language = "el"
    rep.save(update_fields=["language"])

    # when
    api = api_client(manager).get("/api/v1/advice?user=rep")
    cli = CliRunner().invoke(main, ["advise", "--user", "rep", "--json"], catch_exceptions=False)

    # then
    assert api.status_code == 200, api.content
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output) == api.json()
    assert api.json()["language"] == "el"


@pytest.mark.usefixtures("rep_with_advice")
def test_the_command_lists_the_items_for_a_person_to_read(rep: User) -> None:
    # when
    result = CliRunner().invoke(main, ["advise", "--user", "rep"], catch_exceptions=False)

    # then
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Advice for {rep} (rep), as of 2026-11-27"
    assert lines[2] == "!! high    big_deal_at_risk"
    assert lines[3].startswith("   1 big deal is at risk")
    assert "“Proposal 10000” (€10,000)" in result.output.replace("\n   ", " ")


def test_the_command_says_so_when_there_is_nothing_to_advise(rep: User) -> None:
    result = CliRunner().invoke(main, ["advise", "--user", "rep"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert "Nothing to advise" in result.output


def test_the_command_refuses_an_unknown_person_with_exit_code_4(db: None) -> None:
    result = CliRunner().invoke(main, ["advise", "--user", "nobody"])

    assert result.exit_code == 4
    assert "There is no user 'nobody'" in result.output


@pytest.mark.usefixtures("rep_with_advice")
def test_the_command_gives_each_member_of_a_team_their_advice_by_username(
    rep: User, teammate: User, manager: User, api_client: ApiClient
) -> None:
    # when the operator asks for the team's advice, in JSON and for reading
    as_json = CliRunner().invoke(main, ["advise", "--team", rep.team.name, "--json"], catch_exceptions=False)
    as_text = CliRunner().invoke(main, ["advise", "--team", rep.team.name], catch_exceptions=False)

    # then each active member has the body the API gives for them, in order of username
    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.output)
    assert body["team"] == rep.team.name
    assert [member["user"]["username"] for member in body["members"]] == ["rep", "teammate"]
    for member in body["members"]:
        api = api_client(manager).get(f"/api/v1/advice?user={member['user']['username']}")
        assert member == api.json()
    lines = as_text.output.splitlines()
    assert lines[0] == f"Advice for the team {rep.team.name}: 2 people"
    assert f"Advice for {rep} (rep), as of 2026-11-27" in lines
    assert f"Advice for {teammate} (teammate), as of 2026-11-27" in lines


def test_the_command_wants_one_rep_or_one_team_and_refuses_an_unknown_team(rep: User) -> None:
    neither = CliRunner().invoke(main, ["advise"])
    both = CliRunner().invoke(main, ["advise", "--user", "rep", "--team", "Athens"])
    unknown = CliRunner().invoke(main, ["advise", "--team", "Atlantis"])

    assert neither.exit_code == both.exit_code == 2
    assert "Name one rep (--user NAME) or one team (--team NAME)." in neither.output
    assert unknown.exit_code == 4
    assert "There is no team 'Atlantis'" in unknown.output


@pytest.mark.parametrize(
    ("asker", "whose", "status"),
    [
        ("rep", "", 200),
        ("rep", "rep", 200),
        ("rep", "teammate", 404),
        ("manager", "rep", 200),
        ("manager", "manager", 200),
        ("manager", "outsider", 404),
        ("other_manager", "rep", 404),
        ("admin", "outsider", 200),
        ("admin", "nobody", 404),
    ],
)
@pytest.mark.usefixtures("rep", "teammate", "outsider", "admin_user")
def test_a_rep_sees_their_own_advice_a_manager_their_teams_an_admin_anyone_s(
    asker: str, whose: str, status: int, api_client: ApiClient
) -> None:
    # when
    response = api_client(User.objects.get(username=asker)).get(f"/api/v1/advice?user={whose}")

    # then
    assert response.status_code == status, response.content
    if status == 404:
        assert response.json()["error"]["code"] == "not_found"
    else:
        assert response.json()["user"]["username"] == (whose or asker)


def test_the_advice_takes_a_fixed_number_of_queries_whatever_the_number_of_deals(
    rep: User, open_deal: Any, info_request: Any, django_assert_num_queries: Any
) -> None:
    # given
    def more_deals() -> None:
        open_deal(rep, "Lead", next_activity_at=None, stage_entered_at=days_ago(20), last_activity_at=None)
        open_deal(rep, "Appointment", confirmed=False, budget_amount=None)
        open_deal(rep, "Proposal", value=9000, expected_close_date=dt.date(2026, 11, 1))
        info_request(rep, received=days_ago(2), due=days_ago(1))

    more_deals()
    with django_assert_num_queries(ADVICE_QUERIES):
        few = advice_for(actor=rep, username=None, now=NOW)

    # when
    for _ in range(8):
        more_deals()

    # then
    with django_assert_num_queries(ADVICE_QUERIES):
        many = advice_for(actor=rep, username=None, now=NOW)
    assert len(few.items) >= 5
    assert {item.code for item in few.items} <= {item.code for item in many.items}


@pytest.mark.usefixtures("rep_with_advice")
def test_the_endpoint_adds_only_the_token_to_the_advice_s_queries(
    rep: User, api_client: ApiClient, django_assert_num_queries: Any
) -> None:
    client = api_client(rep)

    # the token, and marking it used
    with django_assert_num_queries(ADVICE_QUERIES + 2):
        response = client.get("/api/v1/advice")

    assert response.status_code == 200
