"""Quotas and commission plans over HTTP: who may set them, what they answer, the one error body."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from salespipe.people.models import Team, User
from salespipe.quotas.models import CommissionAssignment, CommissionPlan, Quota
from salespipe.quotas.services import commission_assign, commission_plan_create, quota_set
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

JSON = "application/json"
# Token lookup (and its last-used mark), then the page of quotas with their people and teams.
QUOTA_LIST_QUERIES = 3
# Token lookup and mark, the page of plans, their tiers.
PLAN_LIST_QUERIES = 4


@pytest.fixture
def plan(admin_user: User) -> CommissionPlan:
    return commission_plan_create(actor=admin_user, name="Standard", base_rate="5", tiers=[("100", "8")])


# --- quotas ---------------------------------------------------------------------------------------------


def test_a_manager_puts_a_quota_for_a_member_and_gets_it_back_with_its_period(
    api_client: ApiClient, manager: User, rep: User
) -> None:
    # when
    response = api_client(manager).put(
        "/api/v1/quotas",
        {"user_id": rep.pk, "period": "2026-Q4", "target_value": "120000", "target_deals": 10},
        content_type=JSON,
    )

    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["user"] == {"id": rep.pk, "username": "rep", "name": str(rep)}
    assert body["team"] is None
    assert (body["period"], body["period_kind"], body["starts_on"], body["ends_on"]) == (
        "2026-Q4",
        "quarter",
        "2026-10-01",
        "2026-12-31",
    )
    assert (body["target_value"], body["target_deals"]) == ("120000.00", 10)
    assert body["set_by"]["username"] == "manager"


def test_putting_the_same_period_again_changes_the_quota(
    api_client: ApiClient, manager: User, team: Team
) -> None:
    # given
    client = api_client(manager)
    first = client.put(
        "/api/v1/quotas", {"team_id": team.pk, "period": "2026", "target_value": "900000"}, content_type=JSON
    )

    # when
    second = client.put(
        "/api/v1/quotas", {"team_id": team.pk, "period": "2026", "target_value": 950000.5}, content_type=JSON
    )

    # then
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["target_value"] == "950000.50"
    assert Quota.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [("rep", 403, "forbidden"), ("other_manager", 404, "not_found"), ("admin_user", 200, None)],
)
def test_who_may_set_a_reps_quota(
    api_client: ApiClient, request: pytest.FixtureRequest, rep: User, who: str, status: int, code: str | None
) -> None:
    # given
    actor: User = request.getfixturevalue(who)

    # when
    response = api_client(actor).put(
        "/api/v1/quotas", {"user_id": rep.pk, "period": "2026-Q4", "target_value": "1"}, content_type=JSON
    )

    # then
    assert response.status_code == status
    if code:
        assert response.json()["error"]["code"] == code
    assert Quota.objects.count() == (1 if status == 200 else 0)


def test_bad_quota_input_is_a_422_with_the_field(api_client: ApiClient, manager: User, rep: User) -> None:
    # when
    negative = api_client(manager).put(
        "/api/v1/quotas", {"user_id": rep.pk, "period": "2026-Q4", "target_value": "-1"}, content_type=JSON
    )
    bad_period = api_client(manager).put(
        "/api/v1/quotas", {"user_id": rep.pk, "period": "Q4/26", "target_value": "1"}, content_type=JSON
    )
    unknown_field = api_client(manager).put(
        "/api/v1/quotas",
        {"user_id": rep.pk, "period": "2026-Q4", "target_value": "1", "quarter": 4},
        content_type=JSON,
    )

    # then
    assert negative.status_code == 422
    assert negative.json()["error"]["fields"] == {"target_value": "out of range"}
    assert bad_period.status_code == 422
    assert "period" in bad_period.json()["error"]["fields"]
    assert unknown_field.status_code == 422
    assert not Quota.objects.exists()


def test_listing_quotas_is_scoped_filtered_and_runs_a_fixed_number_of_queries(
    api_client: ApiClient,
    admin_user: User,
    team: Team,
    rep: User,
    teammate: User,
    outsider: User,
    django_assert_num_queries: Any,
) -> None:
    # given
    quota_set(actor=admin_user, team_id=team.pk, period="2026-Q4", target_value="300000")
    for user in (rep, teammate, outsider):
        quota_set(actor=admin_user, user_id=user.pk, period="2026-Q4", target_value="100000")
        quota_set(actor=admin_user, user_id=user.pk, period="2026-10", target_value="30000")
    client = api_client(rep)

    # when
    with django_assert_num_queries(QUOTA_LIST_QUERIES):
        mine = client.get("/api/v1/quotas")
    quarter = client.get("/api/v1/quotas", {"period": "2026-Q4"})
    others = client.get("/api/v1/quotas", {"user_id": outsider.pk})

    # then
    assert mine.status_code == 200
    assert {(item["team"] or item["user"])["name"] for item in mine.json()["items"]} == {"Athens", str(rep)}
    assert len(mine.json()["items"]) == 3
    assert {item["period"] for item in quarter.json()["items"]} == {"2026-Q4"}
    assert others.status_code == 404


def test_deleting_a_quota_takes_the_same_rights(
    api_client: ApiClient, manager: User, rep: User, admin_user: User
) -> None:
    # given
    quota = quota_set(actor=admin_user, user_id=rep.pk, period="2026-Q4", target_value="1")

    # when
    as_rep = api_client(rep).delete(f"/api/v1/quotas/{quota.pk}")
    as_manager = api_client(manager).delete(f"/api/v1/quotas/{quota.pk}")
    again = api_client(manager).delete(f"/api/v1/quotas/{quota.pk}")

    # then
    assert (as_rep.status_code, as_manager.status_code, again.status_code) == (403, 204, 404)
    assert not Quota.objects.exists()


# --- commission plans -----------------------------------------------------------------------------------


def test_an_admin_creates_a_plan_and_changes_its_tiers_and_cap(
    api_client: ApiClient, admin_user: User
) -> None:
    # given
    client = api_client(admin_user)

    # when
    created = client.post(
        "/api/v1/commission-plans",
        {
            "name": "Hunters",
            "base_rate": "5",
            "cap": "20000",
            "tiers": [{"from_attainment": 100, "rate": "10"}],
        },
        content_type=JSON,
    )
    changed = client.patch(
        f"/api/v1/commission-plans/{created.json()['id']}",
        {
            "cap": None,
            "tiers": [{"from_attainment": "120", "rate": "12"}, {"from_attainment": "150", "rate": 15}],
        },
        content_type=JSON,
    )

    # then
    assert created.status_code == 201, created.json()
    assert (created.json()["base_rate"], created.json()["cap"]) == ("5.00", "20000.00")
    assert created.json()["tiers"] == [{"from_attainment": "100.00", "rate": "10.00"}]
    assert changed.status_code == 200, changed.json()
    assert changed.json()["cap"] is None
    assert changed.json()["tiers"] == [
        {"from_attainment": "120.00", "rate": "12.00"},
        {"from_attainment": "150.00", "rate": "15.00"},
    ]


def test_a_manager_may_not_create_a_plan_and_bad_rates_are_a_422(
    api_client: ApiClient, manager: User, admin_user: User
) -> None:
    # when
    as_manager = api_client(manager).post(
        "/api/v1/commission-plans", {"name": "Mine", "base_rate": "50"}, content_type=JSON
    )
    too_high = api_client(admin_user).post(
        "/api/v1/commission-plans",
        {"name": "Greedy", "base_rate": "5", "tiers": [{"from_attainment": "100", "rate": "101"}]},
        content_type=JSON,
    )

    # then
    assert as_manager.status_code == 403
    assert too_high.status_code == 422
    assert too_high.json()["error"]["fields"] == {"tiers.0.rate": "out of range"}
    assert not CommissionPlan.objects.exists()


def test_listing_plans_runs_a_fixed_number_of_queries_and_a_rep_sees_only_theirs(
    api_client: ApiClient, admin_user: User, rep: User, plan: CommissionPlan, django_assert_num_queries: Any
) -> None:
    # given
    for n in range(4):
        commission_plan_create(
            actor=admin_user, name=f"Plan {n}", base_rate="3", tiers=[("100", "6"), ("150", "9")]
        )
    commission_assign(actor=admin_user, user_id=rep.pk, plan_id=plan.pk, starts_on=dt.date(2026, 1, 1))
    client = api_client(admin_user)

    # when
    with django_assert_num_queries(PLAN_LIST_QUERIES):
        everything = client.get("/api/v1/commission-plans")
    as_rep = api_client(rep).get("/api/v1/commission-plans")

    # then
    assert len(everything.json()["items"]) == 5
    assert [item["name"] for item in as_rep.json()["items"]] == ["Standard"]


def test_assigning_a_plan_follows_on_and_refuses_overlaps_with_409(
    api_client: ApiClient, manager: User, rep: User, plan: CommissionPlan, admin_user: User
) -> None:
    # given
    client = api_client(manager)
    better = commission_plan_create(actor=admin_user, name="Better", base_rate="6")

    # when
    first = client.post(
        "/api/v1/commission-plans/assignments",
        {"user_id": rep.pk, "plan_id": plan.pk, "starts_on": "2026-01-01"},
        content_type=JSON,
    )
    second = client.post(
        "/api/v1/commission-plans/assignments",
        {"user_id": rep.pk, "plan_id": better.pk, "starts_on": "2026-07-01", "ends_on": "2026-12-31"},
        content_type=JSON,
    )
    overlapping = client.post(
        "/api/v1/commission-plans/assignments",
        {"user_id": rep.pk, "plan_id": plan.pk, "starts_on": "2026-12-01"},
        content_type=JSON,
    )
    listed = api_client(rep).get("/api/v1/commission-plans/assignments")

    # then
    assert (first.status_code, second.status_code) == (201, 201), second.json()
    assert second.json()["plan"] == {"id": better.pk, "name": "Better"}
    assert overlapping.status_code == 409
    assert overlapping.json()["error"]["code"] == "commission_assignment_overlaps"
    assert [
        (item["plan"]["name"], item["starts_on"], item["ends_on"]) for item in listed.json()["items"]
    ] == [
        ("Better", "2026-07-01", "2026-12-31"),
        ("Standard", "2026-01-01", "2026-06-30"),
    ]


def test_removing_an_assignment_takes_the_persons_manager_or_an_admin(
    api_client: ApiClient,
    admin_user: User,
    rep: User,
    other_manager: User,
    manager: User,
    plan: CommissionPlan,
) -> None:
    # given
    assignment = commission_assign(
        actor=admin_user, user_id=rep.pk, plan_id=plan.pk, starts_on=dt.date(2026, 1, 1)
    )
    url = f"/api/v1/commission-plans/assignments/{assignment.pk}"

    # when
    as_rep = api_client(rep).delete(url)
    as_stranger = api_client(other_manager).delete(url)
    as_manager = api_client(manager).delete(url)

    # then
    assert (as_rep.status_code, as_stranger.status_code, as_manager.status_code) == (403, 404, 204)
    assert not CommissionAssignment.objects.exists()
