"""Settings for administrators: pipelines and stages with their gates, users and teams."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from salespipe.core.errors import NotAllowed, RuleBroken
from salespipe.deals.models import Pipeline, Stage
from salespipe.deals.pipelines import pipeline_create, stage_add, stage_move, stage_remove
from salespipe.deals.services import deal_move
from salespipe.people.models import Role, Team, User
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

# Session and user only.
SETTINGS_HOME_QUERIES = 2
# Session, user, the pipelines, their stages (one prefetch).
PIPELINE_LIST_QUERIES = 4
PIPELINE_PAGE_QUERIES = 4
# Session, user, all users with their teams.
USER_LIST_QUERIES = 3
# Session, user, the teams with their managers, the managers offered in the form.
TEAM_LIST_QUERIES = 4


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _names(pipeline: Pipeline) -> list[str]:
    return list(pipeline.stages.order_by("position").values_list("name", flat=True))


def _positions(pipeline: Pipeline) -> list[int]:
    return list(pipeline.stages.order_by("position").values_list("position", flat=True))


def _stage_fields(stage: Stage, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": stage.name,
        "default_probability": stage.default_probability,
        "rotting_days": stage.rotting_days if stage.rotting_days is not None else "",
    }
    fields.update(
        {
            gate: "on"
            for gate in ("requires_decision_maker", "requires_budget", "requires_timeline")
            if getattr(stage, gate)
        }
    )
    fields.update(changes)
    return {key: value for key, value in fields.items() if value is not False}


# --- who may open them -----------------------------------------------------------------------------------

SETTINGS_URLS = [
    "/settings/",
    "/settings/pipelines/",
    "/settings/pipelines/{pipeline}/",
    "/settings/pipelines/{pipeline}/stages/{stage}/",
    "/settings/users/",
    "/settings/users/new/",
    "/settings/users/{user}/",
    "/settings/teams/",
    "/settings/teams/{team}/",
]


@pytest.mark.parametrize("url", SETTINGS_URLS)
@pytest.mark.parametrize("role", ["rep", "manager"])
def test_settings_pages_are_for_administrators_only(
    browser_of: Any, request: pytest.FixtureRequest, stages: dict[str, Stage], team: Team, url: str, role: str
) -> None:
    # given
    user: User = request.getfixturevalue(role)
    stage = stages["Lead"]
    path = url.format(pipeline=stage.pipeline_id, stage=stage.pk, user=user.pk, team=team.pk)

    # when
    response = browser_of(user).get(path)

    # then
    assert response.status_code == 403
    assert "Only an administrator can change the settings." in response.text


def test_a_manager_cannot_reorder_stages_by_posting_directly(
    browser_of: Any, manager: User, pipeline: Pipeline, stages: dict[str, Stage]
) -> None:
    # given
    before = _names(pipeline)

    # when
    response = browser_of(manager).post(
        f"/settings/pipelines/{pipeline.pk}/stages/{stages['Contacted'].pk}/move/", {"direction": "up"}
    )

    # then
    assert response.status_code == 403
    assert _names(pipeline) == before


def test_the_settings_link_is_in_the_navigation_for_administrators_only(
    browser_of: Any, admin_user: User, rep: User, pipeline: Pipeline
) -> None:
    # when
    as_admin = browser_of(admin_user).get("/organizations/")
    as_rep = browser_of(rep).get("/organizations/")

    # then
    assert 'href="/settings/"' in as_admin.text
    assert 'href="/settings/"' not in as_rep.text


# --- query counts ----------------------------------------------------------------------------------------


def test_settings_pages_run_the_same_queries_for_few_or_many_rows(
    browser_of: Any, admin_user: User, pipeline: Pipeline, team: Team
) -> None:
    # given
    browser = browser_of(admin_user)
    urls = {
        "/settings/": SETTINGS_HOME_QUERIES,
        "/settings/pipelines/": PIPELINE_LIST_QUERIES,
        f"/settings/pipelines/{pipeline.pk}/": PIPELINE_PAGE_QUERIES,
        "/settings/users/": USER_LIST_QUERIES,
        "/settings/teams/": TEAM_LIST_QUERIES,
    }
    few = {url: _queries(browser, url) for url in urls}
    for n in range(6):
        pipeline_create(actor=admin_user, name=f"Pipeline {n}")
        stage_add(actor=admin_user, pipeline_id=pipeline.pk, name=f"Extra {n}", default_probability=50)
        manager = UserFactory(role=Role.MANAGER)
        TeamFactory(manager=manager)
        UserFactory.create_batch(3, team=Team.objects.last())

    # when
    many = {url: _queries(browser, url) for url in urls}

    # then
    assert few == many == urls


# --- pipelines and stages --------------------------------------------------------------------------------


def test_an_admin_adds_a_pipeline_with_the_standard_stages(
    browser_of: Any, admin_user: User, pipeline: Pipeline
) -> None:
    # when
    response = browser_of(admin_user).post("/settings/pipelines/", {"name": "Renewals"}, follow=True)

    # then
    renewals = Pipeline.objects.get(name="Renewals")
    assert response.redirect_chain[-1][0] == f"/settings/pipelines/{renewals.pk}/"
    assert _names(renewals) == _names(pipeline)
    assert "Added the pipeline Renewals." in response.text


def test_a_pipeline_name_in_use_is_refused_beside_the_field(
    browser_of: Any, admin_user: User, pipeline: Pipeline
) -> None:
    # when
    response = browser_of(admin_user).post("/settings/pipelines/", {"name": pipeline.name.upper()})

    # then
    assert response.status_code == 200
    assert "exists already" in response.context["form"].errors["name"][0]
    assert Pipeline.objects.count() == 1


def test_an_admin_edits_a_stage_name_probability_rotting_and_gates(
    browser_of: Any, admin_user: User, pipeline: Pipeline, stages: dict[str, Stage]
) -> None:
    # given
    qualified = stages["Qualified"]

    # when
    response = browser_of(admin_user).post(
        f"/settings/pipelines/{pipeline.pk}/stages/{qualified.pk}/",
        {
            "name": "Qualified (BANT)",
            "default_probability": "25",
            "rotting_days": "",
            "requires_budget": "on",
            "requires_timeline": "on",
        },
    )

    # then
    qualified.refresh_from_db()
    assert response.status_code == 302
    assert (qualified.name, qualified.default_probability, qualified.rotting_days) == (
        "Qualified (BANT)",
        25,
        None,
    )
    assert (qualified.requires_decision_maker, qualified.requires_budget, qualified.requires_timeline) == (
        False,
        True,
        True,
    )


def test_a_won_stage_offers_no_gates(
    browser_of: Any, admin_user: User, pipeline: Pipeline, stages: dict[str, Stage]
) -> None:
    # given
    won = stages["Won"]

    # when
    page = browser_of(admin_user).get(f"/settings/pipelines/{pipeline.pk}/stages/{won.pk}/")
    browser_of(admin_user).post(
        f"/settings/pipelines/{pipeline.pk}/stages/{won.pk}/",
        {"name": "Won", "default_probability": "100", "requires_budget": "on"},
    )

    # then
    won.refresh_from_db()
    assert "requires_budget" not in page.context["form"].fields
    assert won.requires_budget is False


def test_a_stage_name_used_in_the_pipeline_is_refused(
    browser_of: Any, admin_user: User, pipeline: Pipeline, stages: dict[str, Stage]
) -> None:
    # when
    response = browser_of(admin_user).post(
        f"/settings/pipelines/{pipeline.pk}/stages/{stages['Lead'].pk}/",
        _stage_fields(stages["Lead"], name="contacted"),
    )

    # then
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [
        "Stage names must be present and unique within a pipeline."
    ]
    assert Stage.objects.get(pk=stages["Lead"].pk).name == "Lead"


def test_a_probability_above_100_is_refused(
    browser_of: Any, admin_user: User, pipeline: Pipeline, stages: dict[str, Stage]
) -> None:
    # when
    response = browser_of(admin_user).post(
        f"/settings/pipelines/{pipeline.pk}/stages/{stages['Lead'].pk}/",
        _stage_fields(stages["Lead"], default_probability="101"),
    )

    # then
    assert "default_probability" in response.context["form"].errors
    assert Stage.objects.get(pk=stages["Lead"].pk).default_probability == 5


def test_a_stage_moves_up_and_down_among_the_open_stages(
    browser_of: Any, admin_user: User, pipeline: Pipeline, stages: dict[str, Stage]
) -> None:
    # given
    browser = browser_of(admin_user)
    move = f"/settings/pipelines/{pipeline.pk}/stages/{{}}/move/"

    # when
    browser.post(move.format(stages["Qualified"].pk), {"direction": "up"})
    after_up = _names(pipeline)
    browser.post(move.format(stages["Lead"].pk), {"direction": "down"})

    # then
    assert after_up[:3] == ["Lead", "Qualified", "Contacted"]
    assert _names(pipeline) == [
        "Qualified",
        "Lead",
        "Contacted",
        "Appointment",
        "Demo/Trial",
        "Proposal",
        "Won",
        "Lost",
    ]
    assert _positions(pipeline) == list(range(1, 9))


def test_the_first_stage_cannot_move_up_and_the_last_open_stage_stays_before_won(
    admin_user: User, pipeline: Pipeline, stages: dict[str, Stage]
) -> None:
    # given
    before = _names(pipeline)

    # when
    stage_move(actor=admin_user, stage_id=stages["Lead"].pk, direction="up")
    stage_move(actor=admin_user, stage_id=stages["Proposal"].pk, direction="down")

    # then
    assert _names(pipeline) == before


def test_won_and_lost_stages_do_not_move(admin_user: User, stages: dict[str, Stage]) -> None:
    # when
    with pytest.raises(RuleBroken) as refusal:
        stage_move(actor=admin_user, stage_id=stages["Won"].pk, direction="up")

    # then
    assert refusal.value.code == "closed_stage_fixed"


def test_only_an_administrator_rearranges_stages(manager: User, stages: dict[str, Stage]) -> None:
    # when / then
    with pytest.raises(NotAllowed):
        stage_move(actor=manager, stage_id=stages["Contacted"].pk, direction="up")
    with pytest.raises(NotAllowed):
        stage_add(actor=manager, pipeline_id=stages["Lead"].pipeline_id, name="New", default_probability=50)
    with pytest.raises(NotAllowed):
        stage_remove(actor=manager, stage_id=stages["Contacted"].pk)


def test_an_added_stage_goes_after_the_last_open_stage(
    browser_of: Any, admin_user: User, pipeline: Pipeline
) -> None:
    # when
    response = browser_of(admin_user).post(
        f"/settings/pipelines/{pipeline.pk}/",
        {
            "new-name": "Negotiation",
            "new-default_probability": "85",
            "new-rotting_days": "5",
            "new-requires_budget": "on",
        },
        follow=True,
    )

    # then
    negotiation = Stage.objects.get(name="Negotiation")
    assert _names(pipeline)[-3:] == ["Negotiation", "Won", "Lost"]
    assert _positions(pipeline) == list(range(1, 10))
    assert (
        negotiation.kind,
        negotiation.default_probability,
        negotiation.rotting_days,
        negotiation.requires_budget,
    ) == (
        "open",
        85,
        5,
        True,
    )
    assert "Added the stage Negotiation" in response.text


def test_an_added_stage_name_must_be_new_in_the_pipeline(
    browser_of: Any, admin_user: User, pipeline: Pipeline
) -> None:
    # when
    response = browser_of(admin_user).post(
        f"/settings/pipelines/{pipeline.pk}/", {"new-name": "LEAD", "new-default_probability": "10"}
    )

    # then
    assert response.status_code == 200
    assert response.context["add_form"].errors["name"] == [
        "Stage names must be present and unique within a pipeline."
    ]
    assert pipeline.stages.count() == 8


def test_an_unused_stage_is_removed_and_the_rest_close_up(
    browser_of: Any, admin_user: User, pipeline: Pipeline, stages: dict[str, Stage]
) -> None:
    # when
    response = browser_of(admin_user).post(
        f"/settings/pipelines/{pipeline.pk}/stages/{stages['Demo/Trial'].pk}/remove/", follow=True
    )

    # then
    assert "Removed the stage Demo/Trial." in response.text
    assert _names(pipeline) == ["Lead", "Contacted", "Qualified", "Appointment", "Proposal", "Won", "Lost"]
    assert _positions(pipeline) == list(range(1, 8))


def test_a_stage_with_deals_is_not_removed_and_the_page_says_why(
    browser_of: Any, admin_user: User, rep: User, pipeline: Pipeline, stages: dict[str, Stage], make_deal: Any
) -> None:
    # given
    make_deal(rep, stage_id=stages["Contacted"].pk)

    # when
    response = browser_of(admin_user).post(
        f"/settings/pipelines/{pipeline.pk}/stages/{stages['Contacted'].pk}/remove/", follow=True
    )

    # then
    assert "&#x27;Contacted&#x27; still has 1 deal; move it to another stage first" in response.text
    assert Stage.objects.filter(pk=stages["Contacted"].pk).exists()


def test_a_stage_deals_have_passed_through_is_kept_for_their_history(
    admin_user: User, rep: User, stages: dict[str, Stage], make_deal: Any
) -> None:
    # given
    deal = make_deal(rep, stage_id=stages["Contacted"].pk)
    deal_move(actor=rep, deal_id=deal.pk, stage_id=stages["Qualified"].pk)

    # when
    with pytest.raises(RuleBroken) as refusal:
        stage_remove(actor=admin_user, stage_id=stages["Contacted"].pk)

    # then
    assert refusal.value.code == "stage_has_history"
    assert Stage.objects.filter(pk=stages["Contacted"].pk).exists()


def test_won_lost_and_the_last_open_stage_cannot_be_removed(admin_user: User, pipeline: Pipeline) -> None:
    # given
    stages = list(pipeline.stages.order_by("position"))
    for stage in stages[1:6]:
        stage_remove(actor=admin_user, stage_id=stage.pk)

    # when
    codes = []
    for stage in pipeline.stages.all():
        with pytest.raises(RuleBroken) as refusal:
            stage_remove(actor=admin_user, stage_id=stage.pk)
        codes.append(refusal.value.code)

    # then
    assert sorted(codes) == ["closed_stage_fixed", "closed_stage_fixed", "last_open_stage"]


def test_an_unknown_stage_of_a_pipeline_is_not_found(
    browser_of: Any, admin_user: User, pipeline: Pipeline
) -> None:
    # given
    other = pipeline_create(actor=admin_user, name="Other")

    # when
    response = browser_of(admin_user).get(
        f"/settings/pipelines/{pipeline.pk}/stages/{other.stages.first().pk}/"  # type: ignore[union-attr]
    )

    # then
    assert response.status_code == 404


# --- users ------------------------------------------------------------------------------------------------


def test_the_user_list_shows_role_team_time_zone_and_inactive_users(
    browser_of: Any, admin_user: User, rep: User
) -> None:
    # given
    UserFactory(username="gone", is_active=False)

    # when
    response = browser_of(admin_user).get("/settings/users/")

    # then
    assert [user.username for user in response.context["users"]][-1] == "gone"
    assert "Athens" in response.text and "Europe/Athens" in response.text and "Sales rep" in response.text


def test_an_admin_adds_a_user(browser_of: Any, admin_user: User, team: Team) -> None:
    # when
    response = browser_of(admin_user).post(
        "/settings/users/new/",
        {
            "username": "eleni",
            "password": "a long enough passphrase 42",
            "first_name": "Ελένη",
            "email": "eleni@example.test",
            "role": "rep",
            "team": team.pk,
            "time_zone": "Europe/Athens",
        },
    )

    # then
    eleni = User.objects.get(username="eleni")
    assert response.status_code == 302
    assert (eleni.role, eleni.team, eleni.time_zone, eleni.first_name) == (
        "rep",
        team,
        "Europe/Athens",
        "Ελένη",
    )
    assert eleni.check_password("a long enough passphrase 42")


def test_a_weak_password_is_refused_beside_the_field(browser_of: Any, admin_user: User) -> None:
    # when
    response = browser_of(admin_user).post(
        "/settings/users/new/", {"username": "eleni", "password": "123", "role": "rep", "time_zone": "UTC"}
    )

    # then
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert not User.objects.filter(username="eleni").exists()


def test_an_admin_changes_a_users_role_team_time_zone_hours_and_activation(
    browser_of: Any, admin_user: User, rep: User, other_manager: User
) -> None:
    # given
    berlin = TeamFactory(name="Berlin", manager=other_manager)

    # when
    response = browser_of(admin_user).post(
        f"/settings/users/{rep.pk}/",
        {
            "first_name": rep.first_name,
            "last_name": rep.last_name,
            "email": rep.email,
            "role": "manager",
            "team": berlin.pk,
            "time_zone": "Europe/Berlin",
            "workday_starts_at": "08:30",
            "workday_ends_at": "16:30",
            "working_weekdays": ["1", "2", "3", "4"],
        },
    )

    # then
    rep.refresh_from_db()
    assert response.status_code == 302
    assert (rep.role, rep.team, rep.time_zone, rep.working_weekdays, rep.is_active) == (
        "manager",
        berlin,
        "Europe/Berlin",
        "1234",
        False,
    )
    assert (rep.workday_starts_at.isoformat(), rep.workday_ends_at.isoformat()) == ("08:30:00", "16:30:00")


def test_a_working_day_that_ends_before_it_starts_is_refused(
    browser_of: Any, admin_user: User, rep: User
) -> None:
    # when
    response = browser_of(admin_user).post(
        f"/settings/users/{rep.pk}/",
        {
            "role": "rep",
            "time_zone": "UTC",
            "workday_starts_at": "18:00",
            "workday_ends_at": "09:00",
            "working_weekdays": ["1"],
            "is_active": "on",
        },
    )

    # then
    assert response.context["form"].errors["workday_ends_at"] == [
        "The working day must start before it ends."
    ]
    rep.refresh_from_db()
    assert rep.time_zone == "Europe/Athens"


def test_an_admin_cannot_take_away_their_own_admin_role(browser_of: Any, admin_user: User) -> None:
    # when
    response = browser_of(admin_user).post(
        f"/settings/users/{admin_user.pk}/",
        {
            "role": "rep",
            "time_zone": admin_user.time_zone,
            "workday_starts_at": "09:00",
            "workday_ends_at": "17:00",
            "working_weekdays": ["1", "2", "3", "4", "5"],
            "is_active": "on",
        },
    )

    # then
    assert "You cannot take away your own admin role" in response.text
    admin_user.refresh_from_db()
    assert admin_user.role == "admin"


# --- teams ------------------------------------------------------------------------------------------------


def test_an_admin_adds_a_team_with_a_manager(browser_of: Any, admin_user: User, manager: User) -> None:
    # when
    response = browser_of(admin_user).post("/settings/teams/", {"name": "Θεσσαλονίκη", "manager": manager.pk})

    # then
    assert response.status_code == 302
    assert Team.objects.get(name="Θεσσαλονίκη").manager == manager


def test_a_team_name_in_use_is_refused(browser_of: Any, admin_user: User, team: Team) -> None:
    # when
    response = browser_of(admin_user).post("/settings/teams/", {"name": team.name})

    # then
    assert response.context["form"].errors["name"] == [f"A team named '{team.name}' exists already."]


def test_only_managers_and_admins_are_offered_as_team_managers(
    browser_of: Any, admin_user: User, manager: User, rep: User
) -> None:
    # when
    response = browser_of(admin_user).post("/settings/teams/", {"name": "New", "manager": rep.pk})

    # then
    assert "manager" in response.context["form"].errors
    assert not Team.objects.filter(name="New").exists()


def test_an_admin_renames_a_team_and_changes_its_manager(
    browser_of: Any, admin_user: User, team: Team, other_manager: User
) -> None:
    # when
    response = browser_of(admin_user).post(
        f"/settings/teams/{team.pk}/", {"name": "Athens North", "manager": other_manager.pk}
    )

    # then
    team.refresh_from_db()
    assert response.status_code == 302
    assert (team.name, team.manager) == ("Athens North", other_manager)


def test_an_admin_takes_a_teams_manager_away(browser_of: Any, admin_user: User, team: Team) -> None:
    # when
    browser_of(admin_user).post(f"/settings/teams/{team.pk}/", {"name": team.name, "manager": ""})

    # then
    team.refresh_from_db()
    assert team.manager is None


def test_an_admin_switches_the_meeting_gate_off_for_a_stage_and_a_new_stage_offers_it_on(
    browser_of: Any, admin_user: User, pipeline: Pipeline, stages: dict[str, Stage]
) -> None:
    # given
    lead = stages["Lead"]
    admin = browser_of(admin_user)
    assert lead.meeting_requires_decision_maker

    # when the admin unticks it for Lead
    response = admin.post(f"/settings/pipelines/{pipeline.pk}/stages/{lead.pk}/", _stage_fields(lead))

    # then Lead books meetings without a decision maker, and the pipeline page says which stages need one
    lead.refresh_from_db()
    assert response.status_code == 302
    assert lead.meeting_requires_decision_maker is False
    overview = admin.get(f"/settings/pipelines/{pipeline.pk}/").text
    assert overview.count("meetings: confirmed decision maker") == 5  # the other open stages
    assert re.search(
        r'<input type="checkbox" name="new-meeting_requires_decision_maker"[^>]* checked>', overview
    )
