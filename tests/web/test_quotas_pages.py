"""The quotas page (managers and admins edit rows in place, reps read theirs) and the commission plan
settings (administrators)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from salespipe.people.models import Role, Team, User
from salespipe.quotas.models import CommissionAssignment, CommissionPlan, Quota
from salespipe.quotas.services import commission_assign, commission_plan_create, quota_set
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
QUOTAS = "/quotas/"
PLANS = "/settings/commission-plans/"
# Session, user, the period's quotas (with their people and teams), the teams in charge, the people in charge.
MANAGER_QUOTAS_QUERIES = 5
# Session, user, the period's quotas, the rep's team.
REP_QUOTAS_QUERIES = 4
# Session, user, the plans, their tiers, the assignments (with people and plans), the people to assign.
PLANS_QUERIES = 6
# Session, user, the plan with its tiers (two).
PLAN_PAGE_QUERIES = 4


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _row(html: str, key: str) -> str:
    match = re.search(rf'<tr id="quota-{key}".*?</tr>', html, re.S)
    assert match, f"no row {key}"
    return match.group(0)


@pytest.fixture
def plan(admin_user: User) -> CommissionPlan:
    return commission_plan_create(actor=admin_user, name="Standard", base_rate="5", tiers=[("100", "8")])


# --- the quotas page ------------------------------------------------------------------------------------


@time_machine.travel(dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC), tick=False)
def test_a_manager_sees_their_team_and_its_members_for_the_current_quarter(
    browser_of: Any, manager: User, team: Team, rep: User, teammate: User, outsider: User
) -> None:
    # given
    quota_set(actor=manager, user_id=rep.pk, period="2026-Q4", target_value="120000", target_deals=10)
    quota_set(actor=manager, user_id=rep.pk, period="2026-Q3", target_value="1")

    # when
    response = browser_of(manager).get(QUOTAS)

    # then
    assert response.status_code == 200
    html = response.text
    assert "Quotas for 2026-Q4" in html
    assert 'href="?period=2026-Q3" rel="prev"' in html and 'href="?period=2027-Q1" rel="next"' in html
    assert "Team Athens" in _row(html, f"team-{team.pk}")
    assert 'value="120,000.00"' in _row(html, f"user-{rep.pk}")
    assert 'value="10"' in _row(html, f"user-{rep.pk}")
    assert '<input type="text" name="target_value" inputmode' in _row(html, f"user-{teammate.pk}")
    assert "outsider" not in html


def test_the_period_picker_moves_between_months_quarters_and_years(browser_of: Any, admin_user: User) -> None:
    # when
    month = browser_of(admin_user).get(QUOTAS, {"period": "2026-01"})
    year = browser_of(admin_user).get(QUOTAS, {"period": "2026"})
    nonsense = browser_of(admin_user).get(QUOTAS, {"period": "soon"})

    # then
    assert 'href="?period=2025-12"' in month.text and 'href="?period=2026-02"' in month.text
    assert 'href="?period=2026-Q1"' in month.text and 'href="?period=2026"' in month.text
    assert 'href="?period=2025"' in year.text and 'href="?period=2027"' in year.text
    assert nonsense.status_code == 200
    assert "&#x27;soon&#x27; is not a period" in nonsense.text


def test_a_row_saves_in_place_with_htmx(browser_of: Any, manager: User, rep: User) -> None:
    # when
    response = browser_of(manager).post(
        QUOTAS,
        {"who": f"user:{rep.pk}", "period": "2026-Q4", "target_value": "95,000.50", "target_deals": "7"},
        headers=HTMX,
    )

    # then
    assert response.status_code == 200
    assert response.text.strip().startswith(f'<tr id="quota-user-{rep.pk}"')
    assert "Saved the quota of" in response.text
    assert 'value="95,000.50"' in response.text
    quota = Quota.objects.get(user=rep)
    assert (quota.target_value, quota.target_deals, quota.starts_on) == (
        Decimal("95000.50"),
        7,
        dt.date(2026, 10, 1),
    )


def test_a_refused_row_comes_back_with_the_reason_and_what_was_typed(
    browser_of: Any, manager: User, rep: User
) -> None:
    # when
    response = browser_of(manager).post(
        QUOTAS, {"who": f"user:{rep.pk}", "period": "2026-Q4", "target_value": "-5"}, headers=HTMX
    )

    # then
    assert response.status_code == 422
    assert response.text.strip().startswith(f'<tr id="quota-user-{rep.pk}"')
    assert "Target revenue" in response.text and 'role="alert"' in response.text
    assert 'value="-5"' in response.text
    assert not Quota.objects.exists()


def test_without_javascript_the_add_form_sets_a_quota_and_comes_back_to_its_period(
    browser_of: Any, manager: User, team: Team
) -> None:
    # when
    response = browser_of(manager).post(
        QUOTAS, {"who": f"team:{team.pk}", "period": "2027", "target_value": "1200000"}, follow=True
    )

    # then
    assert response.redirect_chain[-1][0] == "/quotas/?period=2027"
    assert "Saved the quota of Team Athens for 2027" in response.text
    assert Quota.objects.get().team == team


def test_a_manager_may_not_pick_someone_outside_their_teams(
    browser_of: Any, manager: User, outsider: User
) -> None:
    # when
    response = browser_of(manager).post(
        QUOTAS, {"who": f"user:{outsider.pk}", "period": "2026-Q4", "target_value": "1"}
    )

    # then
    assert response.status_code == 422
    assert "Select a valid choice" in response.text
    assert not Quota.objects.exists()


def test_removing_a_quota_in_place_leaves_an_empty_row(browser_of: Any, manager: User, rep: User) -> None:
    # given
    quota = quota_set(actor=manager, user_id=rep.pk, period="2026-Q4", target_value="1")

    # when
    response = browser_of(manager).post(f"/quotas/{quota.pk}/delete/", headers=HTMX)

    # then
    assert response.status_code == 200
    assert "Removed the quota of" in response.text
    assert "Remove</button>" not in response.text
    assert not Quota.objects.exists()


def test_a_quota_out_of_view_cannot_be_removed(
    browser_of: Any, admin_user: User, manager: User, outsider: User
) -> None:
    # given
    quota = quota_set(actor=admin_user, user_id=outsider.pk, period="2026-Q4", target_value="1")

    # when
    response = browser_of(manager).post(f"/quotas/{quota.pk}/delete/")

    # then
    assert response.status_code == 404
    assert Quota.objects.exists()


def test_a_rep_reads_their_own_quota_and_their_teams_without_forms(
    browser_of: Any, manager: User, team: Team, rep: User, teammate: User
) -> None:
    # given
    quota_set(actor=manager, user_id=rep.pk, period="2026-Q4", target_value="120000")
    quota_set(actor=manager, team_id=team.pk, period="2026-Q4", target_value="300000")
    quota_set(actor=manager, user_id=teammate.pk, period="2026-Q4", target_value="777")

    # when
    response = browser_of(rep).get(QUOTAS, {"period": "2026-Q4"})
    posted = browser_of(rep).post(QUOTAS, {"who": f"user:{rep.pk}", "period": "2026-Q4", "target_value": "1"})

    # then
    assert response.status_code == 200
    assert "€120,000.00" in response.text and "€300,000.00" in response.text
    assert "777" not in response.text
    assert 'name="target_value"' not in response.text
    assert "Quotas are set by your manager or an administrator." in response.text
    assert posted.status_code == 302
    assert Quota.objects.get(user=rep).target_value == Decimal("120000.00")


def test_the_quotas_link_is_in_the_navigation_for_managers_and_admins_only(
    browser_of: Any, manager: User, rep: User, admin_user: User
) -> None:
    # then
    assert 'href="/quotas/"' in browser_of(manager).get("/organizations/").text
    assert 'href="/quotas/"' in browser_of(admin_user).get("/organizations/").text
    assert 'href="/quotas/"' not in browser_of(rep).get("/organizations/").text


def test_the_quotas_page_runs_the_same_queries_for_few_or_many_rows(
    browser_of: Any, admin_user: User, manager: User, team: Team, rep: User
) -> None:
    # given
    urls = {"manager": (manager, MANAGER_QUOTAS_QUERIES), "admin": (admin_user, MANAGER_QUOTAS_QUERIES)}
    period = {"period": "2026-Q4"}
    few = {name: _queries(browser_of(user), f"{QUOTAS}?period=2026-Q4") for name, (user, _n) in urls.items()}
    rep_few = _queries(browser_of(rep), f"{QUOTAS}?period=2026-Q4")
    for n in range(4):
        member = UserFactory(team=team)
        quota_set(actor=manager, user_id=member.pk, period=period["period"], target_value=str(1000 * n))
        other = TeamFactory(manager=UserFactory(role=Role.MANAGER))
        quota_set(actor=admin_user, team_id=other.pk, period=period["period"], target_value="5")
    quota_set(actor=manager, user_id=rep.pk, period="2026-Q4", target_value="1")
    quota_set(actor=manager, team_id=team.pk, period="2026-Q4", target_value="1")

    # when
    many = {name: _queries(browser_of(user), f"{QUOTAS}?period=2026-Q4") for name, (user, _n) in urls.items()}
    rep_many = _queries(browser_of(rep), f"{QUOTAS}?period=2026-Q4")

    # then
    assert few == many == {name: n for name, (_user, n) in urls.items()}
    assert rep_few == rep_many == REP_QUOTAS_QUERIES


# --- commission plans -----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PLANS, f"{PLANS}new/", f"{PLANS}{{plan}}/"])
@pytest.mark.parametrize("role", ["rep", "manager"])
def test_commission_plan_settings_are_for_administrators_only(
    browser_of: Any, request: pytest.FixtureRequest, plan: CommissionPlan, url: str, role: str
) -> None:
    # given
    user: User = request.getfixturevalue(role)

    # when
    response = browser_of(user).get(url.format(plan=plan.pk))

    # then
    assert response.status_code == 403
    assert "Only an administrator can change the settings." in response.text


def test_the_settings_home_links_to_commission_plans(browser_of: Any, admin_user: User) -> None:
    # then
    assert f'href="{PLANS}"' in browser_of(admin_user).get("/settings/").text


def test_an_admin_adds_a_plan_with_tiers(browser_of: Any, admin_user: User) -> None:
    # when
    response = browser_of(admin_user).post(
        f"{PLANS}new/",
        {
            "name": "Hunters",
            "base_rate": "5",
            "cap": "",
            "is_active": "on",
            "tiers-TOTAL_FORMS": "3",
            "tiers-INITIAL_FORMS": "0",
            "tiers-0-from_attainment": "150",
            "tiers-0-rate": "15",
            "tiers-1-from_attainment": "100",
            "tiers-1-rate": "10",
            "tiers-2-from_attainment": "",
            "tiers-2-rate": "",
        },
        follow=True,
    )

    # then
    assert response.redirect_chain[-1][0] == PLANS
    assert "Saved the commission plan Hunters." in response.text
    assert "10% from 100%; 15% from 150%" in response.text
    plan = CommissionPlan.objects.get()
    assert [(tier.from_attainment, tier.rate) for tier in plan.tiers.all()] == [
        (Decimal("100.00"), Decimal("10.00")),
        (Decimal("150.00"), Decimal("15.00")),
    ]


def test_a_bad_tier_is_refused_with_the_reason_and_changes_nothing(
    browser_of: Any, admin_user: User, plan: CommissionPlan
) -> None:
    # when
    duplicate = browser_of(admin_user).post(
        f"{PLANS}{plan.pk}/",
        {
            "name": "Standard",
            "base_rate": "5",
            "is_active": "on",
            "tiers-TOTAL_FORMS": "2",
            "tiers-INITIAL_FORMS": "1",
            "tiers-0-from_attainment": "100",
            "tiers-0-rate": "8",
            "tiers-1-from_attainment": "100",
            "tiers-1-rate": "9",
        },
    )
    half = browser_of(admin_user).post(
        f"{PLANS}{plan.pk}/",
        {
            "name": "Standard",
            "base_rate": "5",
            "tiers-TOTAL_FORMS": "1",
            "tiers-INITIAL_FORMS": "0",
            "tiers-0-from_attainment": "120",
            "tiers-0-rate": "",
        },
    )

    # then
    assert duplicate.status_code == 422
    assert "Two tiers start at 100.00 % attainment" in duplicate.text
    assert half.status_code == 422
    assert "Give both the attainment the tier starts at and its rate, or neither." in half.text
    assert [(tier.from_attainment, tier.rate) for tier in plan.tiers.all()] == [
        (Decimal("100.00"), Decimal("8.00"))
    ]
    plan.refresh_from_db()
    assert plan.is_active


def test_an_admin_puts_someone_on_a_plan_and_an_overlap_is_refused_on_the_form(
    browser_of: Any, admin_user: User, rep: User, plan: CommissionPlan
) -> None:
    # given
    browser = browser_of(admin_user)
    fields = {"user": rep.pk, "plan": plan.pk, "starts_on": "2026-01-01", "ends_on": "2026-06-30"}

    # when
    assigned = browser.post(f"{PLANS}assignments/", fields, follow=True)
    overlapping = browser.post(f"{PLANS}assignments/", {**fields, "starts_on": "2026-03-01", "ends_on": ""})

    # then
    assert "is on the plan Standard from" in assigned.text
    assert overlapping.status_code == 422
    assert "which overlaps" in overlapping.text
    assert CommissionAssignment.objects.count() == 1


def test_an_admin_removes_an_assignment(
    browser_of: Any, admin_user: User, rep: User, plan: CommissionPlan
) -> None:
    # given
    assignment = commission_assign(
        actor=admin_user, user_id=rep.pk, plan_id=plan.pk, starts_on=dt.date(2026, 1, 1)
    )

    # when
    response = browser_of(admin_user).post(f"{PLANS}assignments/{assignment.pk}/remove/", follow=True)

    # then
    assert "Removed the plan assignment." in response.text
    assert not CommissionAssignment.objects.exists()


def test_commission_plan_pages_run_the_same_queries_for_few_or_many_rows(
    browser_of: Any, admin_user: User, plan: CommissionPlan, team: Team
) -> None:
    # given
    browser = browser_of(admin_user)
    urls = {PLANS: PLANS_QUERIES, f"{PLANS}{plan.pk}/": PLAN_PAGE_QUERIES}
    few = {url: _queries(browser, url) for url in urls}
    for n in range(4):
        other = commission_plan_create(
            actor=admin_user, name=f"Plan {n}", base_rate="3", tiers=[("100", "6")]
        )
        person = UserFactory(team=team)
        commission_assign(
            actor=admin_user, user_id=person.pk, plan_id=other.pk, starts_on=dt.date(2026, 1, 1)
        )
    commission_plan_create(
        actor=admin_user, name="Wide", base_rate="1", tiers=[(str(100 + n), "5") for n in range(5)]
    )

    # when
    many = {url: _queries(browser, url) for url in urls}

    # then
    assert few == many == urls
