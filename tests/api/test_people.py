"""Users, teams, pipelines and tokens over HTTP: who may read and who may change them."""

from __future__ import annotations

from typing import Any

from salespipe.deals.models import Pipeline, Stage
from salespipe.people.models import Team, User
from tests.api.conftest import ApiClient

JSON = "application/json"


def test_a_rep_lists_users_without_any_password_hash(api_client: ApiClient, rep: User, manager: User) -> None:
    # when
    response = api_client(rep).get("/api/v1/users")

    # then
    assert response.status_code == 200
    assert {user["username"] for user in response.json()["items"]} >= {"rep", "manager"}
    assert "password" not in response.content.decode()
    assert "pbkdf2" not in response.content.decode()
    assert "password" not in api_client(rep).get(f"/api/v1/users/{manager.pk}").content.decode()


def test_a_rep_may_not_add_a_user(api_client: ApiClient, rep: User) -> None:
    # when
    response = api_client(rep).post(
        "/api/v1/users", {"username": "eve", "password": "a long enough passphrase 42"}, content_type=JSON
    )

    # then
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_an_admin_adds_a_user_to_a_team(api_client: ApiClient, admin_user: User, team: Team) -> None:
    # when
    response = api_client(admin_user).post(
        "/api/v1/users",
        {"username": "eleni", "password": "a long enough passphrase 42", "team_id": team.pk, "role": "rep"},
        content_type=JSON,
    )

    # then
    assert response.status_code == 201
    assert response.json()["team"] == {"id": team.pk, "name": "Athens"}
    assert "password" not in response.json()


def test_a_rep_changes_their_own_profile(api_client: ApiClient, rep: User) -> None:
    # when
    response = api_client(rep).patch(
        f"/api/v1/users/{rep.pk}",
        {"time_zone": "Europe/Berlin", "working_weekdays": "1234"},
        content_type=JSON,
    )

    # then
    assert response.status_code == 200
    assert (response.json()["time_zone"], response.json()["working_weekdays"]) == ("Europe/Berlin", "1234")


def test_a_rep_may_not_change_their_own_role_or_anybody_elses_profile(
    api_client: ApiClient, rep: User, teammate: User
) -> None:
    # given
    client = api_client(rep)

    # when
    own_role = client.patch(f"/api/v1/users/{rep.pk}", {"role": "admin"}, content_type=JSON)
    other = client.patch(f"/api/v1/users/{teammate.pk}", {"first_name": "Bob"}, content_type=JSON)

    # then
    assert (own_role.status_code, other.status_code) == (403, 403)


def test_an_unknown_time_zone_is_refused_with_422(api_client: ApiClient, rep: User) -> None:
    # when
    response = api_client(rep).patch(
        f"/api/v1/users/{rep.pk}", {"time_zone": "Mars/Olympus"}, content_type=JSON
    )

    # then
    assert response.status_code == 422
    assert "time_zone" in response.json()["error"]["fields"]


def test_an_admin_moves_a_user_off_their_team(api_client: ApiClient, admin_user: User, rep: User) -> None:
    # when
    response = api_client(admin_user).patch(f"/api/v1/users/{rep.pk}", {"team_id": None}, content_type=JSON)

    # then
    assert response.status_code == 200
    assert response.json()["team"] is None


def test_teams_are_listed_for_everyone_but_changed_by_admins_only(
    api_client: ApiClient, rep: User, admin_user: User, team: Team, other_manager: User
) -> None:
    # given
    client = api_client(rep)

    # when
    listed = client.get("/api/v1/teams")
    create = client.post("/api/v1/teams", {"name": "Thessaloniki"}, content_type=JSON)
    rename = client.patch(f"/api/v1/teams/{team.pk}", {"name": "Attica"}, content_type=JSON)
    by_admin = api_client(admin_user).patch(
        f"/api/v1/teams/{team.pk}", {"name": "Attica", "manager_id": other_manager.pk}, content_type=JSON
    )

    # then
    assert [t["name"] for t in listed.json()["items"]] == ["Athens"]
    assert listed.json()["items"][0]["manager"]["username"] == "manager"
    assert (create.status_code, rename.status_code) == (403, 403)
    assert by_admin.status_code == 200
    assert (by_admin.json()["name"], by_admin.json()["manager"]["username"]) == ("Attica", "other_manager")


def test_an_admin_creates_a_team_and_leaves_it_without_a_manager(
    api_client: ApiClient, admin_user: User, manager: User
) -> None:
    # given
    client = api_client(admin_user)
    created = client.post("/api/v1/teams", {"name": "Crete", "manager_id": manager.pk}, content_type=JSON)

    # when
    response = client.patch(f"/api/v1/teams/{created.json()['id']}", {"manager_id": None}, content_type=JSON)

    # then
    assert created.status_code == 201
    assert response.json()["manager"] is None


def test_everyone_reads_pipelines_with_their_stages(
    api_client: ApiClient, rep: User, pipeline: Pipeline
) -> None:
    # when
    response = api_client(rep).get("/api/v1/pipelines")

    # then
    assert response.status_code == 200
    (sales,) = response.json()["items"]
    assert sales["name"] == "Sales"
    assert [stage["name"] for stage in sales["stages"]][:4] == [
        "Lead",
        "Contacted",
        "Qualified",
        "Appointment",
    ]
    assert sales["stages"][3]["requires_decision_maker"] is True


def test_a_rep_may_not_create_a_pipeline_or_change_a_stage(
    api_client: ApiClient, rep: User, stages: dict[str, Stage]
) -> None:
    # given
    client = api_client(rep)

    # when
    create = client.post("/api/v1/pipelines", {"name": "Renewals"}, content_type=JSON)
    change = client.patch(
        f"/api/v1/stages/{stages['Lead'].pk}", {"default_probability": 50}, content_type=JSON
    )

    # then
    assert (create.status_code, change.status_code) == (403, 403)
    assert create.json()["error"]["code"] == "forbidden"


def test_an_admin_creates_a_pipeline_with_its_own_stages(
    api_client: ApiClient, admin_user: User, pipeline: Pipeline
) -> None:
    # when
    response = api_client(admin_user).post(
        "/api/v1/pipelines",
        {
            "name": "Renewals",
            "stages": [
                {"name": "Due", "kind": "open", "default_probability": 50},
                {"name": "Renewed", "kind": "won", "default_probability": 100},
                {"name": "Churned", "kind": "lost", "default_probability": 0},
                {"name": "Offer sent", "kind": "open", "default_probability": 70, "requires_budget": True},
            ],
        },
        content_type=JSON,
    )

    # then
    assert response.status_code == 201
    assert [stage["name"] for stage in response.json()["stages"]] == [
        "Due",
        "Offer sent",
        "Renewed",
        "Churned",
    ]


def test_a_pipeline_without_a_lost_stage_is_refused_with_422(
    api_client: ApiClient, admin_user: User, pipeline: Pipeline
) -> None:
    # when
    response = api_client(admin_user).post(
        "/api/v1/pipelines",
        {"name": "Broken", "stages": [{"name": "Due", "kind": "open", "default_probability": 50}]},
        content_type=JSON,
    )

    # then
    assert response.status_code == 422
    assert "stages" in response.json()["error"]["fields"]


def test_an_admin_gates_a_stage_on_the_budget(
    api_client: ApiClient, admin_user: User, rep: User, stages: dict[str, Stage], make_deal: Any
) -> None:
    # given
    deal = make_deal(rep)

    # when
    changed = api_client(admin_user).patch(
        f"/api/v1/stages/{stages['Qualified'].pk}",
        {"requires_budget": True, "rotting_days": None},
        content_type=JSON,
    )
    move = api_client(rep).post(
        f"/api/v1/deals/{deal.pk}/move", {"stage_id": stages["Qualified"].pk}, content_type=JSON
    )

    # then
    assert changed.status_code == 200
    assert (changed.json()["requires_budget"], changed.json()["rotting_days"]) == (True, None)
    assert move.status_code == 409
    assert move.json()["error"]["code"] == "budget_required"


def test_gating_a_won_stage_is_refused_with_409(
    api_client: ApiClient, admin_user: User, stages: dict[str, Stage]
) -> None:
    # when
    response = api_client(admin_user).patch(
        f"/api/v1/stages/{stages['Won'].pk}", {"requires_timeline": True}, content_type=JSON
    )

    # then
    assert response.status_code == 409


def test_an_unknown_stage_is_a_404(api_client: ApiClient, admin_user: User, pipeline: Pipeline) -> None:
    # when
    response = api_client(admin_user).patch("/api/v1/stages/999999", {"name": "x"}, content_type=JSON)

    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
