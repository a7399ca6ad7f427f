"""Quotas and commission plans: who may set them, what is refused and why, and how plans follow on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from salespipe.core.errors import InvalidInput, NotAllowed, NotFound, RuleBroken
from salespipe.people.models import Team, User
from salespipe.quotas.models import CommissionAssignment, CommissionPlan, Quota
from salespipe.quotas.selectors import (
    commission_assignment_list,
    commission_plan_list,
    quota_list,
    quota_period,
)
from salespipe.quotas.services import (
    commission_assign,
    commission_plan_create,
    commission_plan_update,
    commission_unassign,
    quota_delete,
    quota_set,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(admin_user: User) -> CommissionPlan:
    return commission_plan_create(actor=admin_user, name="Standard", base_rate="5", tiers=[("100", "8")])


@pytest.fixture
def accelerated(admin_user: User) -> CommissionPlan:
    return commission_plan_create(actor=admin_user, name="Accelerated", base_rate="6", tiers=[("100", "12")])


def _quota_for(user: User, **fields: Any) -> Quota:
    return Quota.objects.get(user=user, **fields)


# --- setting quotas: who may ----------------------------------------------------------------------------


def test_a_rep_may_set_no_quota_not_even_their_own(rep: User) -> None:
    # when
    with pytest.raises(NotAllowed) as refusal:
        quota_set(actor=rep, user_id=rep.pk, period="2026-Q4", target_value="120000")

    # then
    assert refusal.value.message.startswith("Quotas are set by your manager")
    assert not Quota.objects.exists()


def test_a_manager_sets_the_quota_of_a_member_of_their_team(manager: User, rep: User) -> None:
    # when
    quota = quota_set(actor=manager, user_id=rep.pk, period="2026-Q4", target_value="120000", target_deals=10)

    # then
    assert (quota.user, quota.period_kind, quota.starts_on, quota.ends_on) == (
        rep,
        "quarter",
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
    )
    assert (quota.target_value, quota.target_deals, quota.set_by) == (Decimal("120000.00"), 10, manager)


def test_a_manager_sets_the_quota_of_the_team_they_manage(manager: User, team: Team) -> None:
    # when
    quota = quota_set(actor=manager, team_id=team.pk, period="2026", target_value="1000000")

    # then
    assert (quota.team, quota.user, quota.period_kind) == (team, None, "year")
    assert quota_period(quota).label == "2026"


def test_a_manager_may_not_set_their_own_quota(manager: User, team: Team) -> None:
    # given
    manager.team = team
    manager.save(update_fields=["team"])

    # when
    with pytest.raises(NotAllowed) as refusal:
        quota_set(actor=manager, user_id=manager.pk, period="2026-Q4", target_value="1")

    # then
    assert "Your own quota is set by an administrator" in refusal.value.message
    assert not Quota.objects.exists()


def test_another_teams_member_and_team_do_not_exist_for_a_manager(manager: User, outsider: User) -> None:
    # when
    with pytest.raises(NotFound) as member:
        quota_set(actor=manager, user_id=outsider.pk, period="2026-Q4", target_value="1")
    with pytest.raises(NotFound) as other_team:
        quota_set(actor=manager, team_id=outsider.team_id, period="2026-Q4", target_value="1")

    # then
    assert member.value.fields == {"user_id": "unknown user"}
    assert other_team.value.fields == {"team_id": "unknown team"}
    assert not Quota.objects.exists()


def test_an_admin_sets_anyones_quota_and_any_teams(admin_user: User, outsider: User, manager: User) -> None:
    # when
    for_outsider = quota_set(actor=admin_user, user_id=outsider.pk, period="2026-11", target_value="40000")
    for_team = quota_set(actor=admin_user, team_id=outsider.team_id, period="2026-Q4", target_value="9")
    for_manager = quota_set(actor=admin_user, user_id=manager.pk, period="2026", target_value="500000")

    # then
    assert quota_period(for_outsider).label == "2026-11"
    assert for_team.team_id == outsider.team_id
    assert for_manager.user == manager


def test_an_unknown_user_or_team_is_not_found(admin_user: User) -> None:
    # then
    with pytest.raises(NotFound):
        quota_set(actor=admin_user, user_id=999_999, period="2026-Q4", target_value="1")
    with pytest.raises(NotFound):
        quota_set(actor=admin_user, team_id=999_999, period="2026-Q4", target_value="1")


# --- setting quotas: what is refused ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message", "field"),
    [
        ({"target_value": "-1"}, "Target revenue must be between 0 and", "target_value"),
        ({"target_value": "lots"}, "Target revenue must be a number", "target_value"),
        ({"target_deals": -2}, "Target won deals is a whole number from 0", "target_deals"),
        ({"period": "Q4 2026"}, "'Q4 2026' is not a period; write a year (2026), a quarter", "period"),
    ],
)
def test_bad_input_is_refused_with_what_to_write_instead(
    admin_user: User, rep: User, fields: dict[str, Any], message: str, field: str
) -> None:
    # given
    arguments: dict[str, Any] = {"period": "2026-Q4", "target_value": "100", **fields}

    # when
    with pytest.raises(InvalidInput) as refusal:
        quota_set(actor=admin_user, user_id=rep.pk, **arguments)

    # then
    assert message in refusal.value.message
    assert field in refusal.value.fields
    assert not Quota.objects.exists()


def test_a_quota_is_for_a_person_or_a_team_never_both_nor_neither(
    admin_user: User, rep: User, team: Team
) -> None:
    # then
    with pytest.raises(InvalidInput, match="give the user or the team, not both"):
        quota_set(actor=admin_user, user_id=rep.pk, team_id=team.pk, period="2026", target_value="1")
    with pytest.raises(InvalidInput, match="give the user or the team, not both"):
        quota_set(actor=admin_user, period="2026", target_value="1")


def test_setting_a_quota_again_for_the_same_period_changes_it(manager: User, rep: User) -> None:
    # given
    first = quota_set(actor=manager, user_id=rep.pk, period="2026-Q4", target_value="100000", target_deals=8)

    # when
    second = quota_set(actor=manager, user_id=rep.pk, period="2026-q4", target_value="90000.5")

    # then
    assert second.pk == first.pk
    assert Quota.objects.count() == 1
    stored = _quota_for(rep)
    assert (stored.target_value, stored.target_deals) == (Decimal("90000.50"), None)


def test_a_month_and_its_quarter_are_separate_quotas(manager: User, rep: User) -> None:
    # when
    quota_set(actor=manager, user_id=rep.pk, period="2026-10", target_value="30000")
    quota_set(actor=manager, user_id=rep.pk, period="2026-Q4", target_value="100000")

    # then
    assert sorted(Quota.objects.values_list("period_kind", flat=True)) == ["month", "quarter"]


def test_quarters_follow_the_fiscal_year(settings: Any, manager: User, rep: User) -> None:
    # given
    settings.FISCAL_YEAR_START_MONTH = 4

    # when
    quota = quota_set(actor=manager, user_id=rep.pk, period="2026-Q1", target_value="1")

    # then
    assert (quota.starts_on, quota.ends_on) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    assert quota_period(quota).label == "2026-Q1"


# --- deleting quotas ------------------------------------------------------------------------------------


def test_a_manager_deletes_a_quota_of_their_team_but_not_another_teams(
    admin_user: User, manager: User, rep: User, outsider: User
) -> None:
    # given
    ours = quota_set(actor=manager, user_id=rep.pk, period="2026-Q4", target_value="1")
    theirs = quota_set(actor=admin_user, user_id=outsider.pk, period="2026-Q4", target_value="1")

    # when
    quota_delete(actor=manager, quota_id=ours.pk)
    with pytest.raises(NotFound):
        quota_delete(actor=manager, quota_id=theirs.pk)

    # then
    assert list(Quota.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_a_rep_may_not_delete_their_own_quota(manager: User, rep: User) -> None:
    # given
    quota = quota_set(actor=manager, user_id=rep.pk, period="2026-Q4", target_value="1")

    # when
    with pytest.raises(NotAllowed):
        quota_delete(actor=rep, quota_id=quota.pk)

    # then
    assert Quota.objects.filter(pk=quota.pk).exists()


def test_a_manager_sees_their_own_quota_but_may_not_delete_it(admin_user: User, manager: User) -> None:
    # given
    quota = quota_set(actor=admin_user, user_id=manager.pk, period="2026", target_value="1")

    # when
    with pytest.raises(NotAllowed):
        quota_delete(actor=manager, quota_id=quota.pk)

    # then
    assert list(quota_list(actor=manager)) == [quota]


# --- reading quotas -------------------------------------------------------------------------------------


def test_each_role_lists_the_quotas_in_their_view(
    admin_user: User, manager: User, team: Team, rep: User, teammate: User, outsider: User
) -> None:
    # given
    own = quota_set(actor=manager, user_id=rep.pk, period="2026-Q4", target_value="1")
    teams = quota_set(actor=manager, team_id=team.pk, period="2026-Q4", target_value="2")
    teammates = quota_set(actor=manager, user_id=teammate.pk, period="2026-Q4", target_value="3")
    outsiders = quota_set(actor=admin_user, user_id=outsider.pk, period="2026-Q4", target_value="4")

    # then
    assert set(quota_list(actor=rep)) == {own, teams}
    assert set(quota_list(actor=manager)) == {own, teams, teammates}
    assert set(quota_list(actor=admin_user)) == {own, teams, teammates, outsiders}


def test_quotas_are_filtered_by_person_team_and_exact_period(manager: User, team: Team, rep: User) -> None:
    # given
    quarter = quota_set(actor=manager, user_id=rep.pk, period="2026-Q4", target_value="1")
    month = quota_set(actor=manager, user_id=rep.pk, period="2026-10", target_value="1")
    teams = quota_set(actor=manager, team_id=team.pk, period="2026-Q4", target_value="1")

    # then
    assert list(quota_list(actor=manager, period="2026-Q4")) == [teams, quarter]
    assert list(quota_list(actor=manager, user_id=rep.pk)) == [month, quarter]
    assert set(quota_list(actor=manager, team_id=team.pk)) == {quarter, month, teams}


def test_filtering_by_someone_out_of_view_is_not_found(manager: User, outsider: User, rep: User) -> None:
    # then
    with pytest.raises(NotFound):
        list(quota_list(actor=manager, user_id=outsider.pk))
    with pytest.raises(NotFound):
        list(quota_list(actor=manager, team_id=outsider.team_id))
    with pytest.raises(NotFound):
        list(quota_list(actor=rep, team_id=outsider.team_id))


def test_a_quota_from_before_the_fiscal_year_moved_is_labelled_by_its_days(
    settings: Any, manager: User, rep: User
) -> None:
    # given
    quota = quota_set(actor=manager, user_id=rep.pk, period="2026-Q4", target_value="1")

    # when
    settings.FISCAL_YEAR_START_MONTH = 2

    # then
    assert quota_period(quota).label == "2026-10-01/2026-12-31"


# --- commission plans -----------------------------------------------------------------------------------


def test_an_admin_creates_a_plan_with_tiers_in_order_of_attainment(admin_user: User) -> None:
    # when
    plan = commission_plan_create(
        actor=admin_user, name=" Hunters ", base_rate="5", cap="20000", tiers=[("150", "15"), ("100", "10")]
    )

    # then
    assert (plan.name, plan.base_rate, plan.cap) == ("Hunters", Decimal("5.00"), Decimal("20000.00"))
    assert [(tier.from_attainment, tier.rate) for tier in plan.tiers.all()] == [
        (Decimal("100.00"), Decimal("10.00")),
        (Decimal("150.00"), Decimal("15.00")),
    ]


@pytest.mark.parametrize(
    ("fields", "message", "field"),
    [
        ({"base_rate": "101"}, "Base rate is a percent from 0 to 100", "base_rate"),
        ({"base_rate": "-1"}, "Base rate is a percent from 0 to 100", "base_rate"),
        ({"cap": "-5"}, "Cap must be between 0 and", "cap"),
        (
            {"tiers": [("0", "8")]},
            "Tier 1: from attainment is a percent of quota above 0",
            "tiers.0.from_attainment",
        ),
        ({"tiers": [("100", "120")]}, "Tier 1: the rate is a percent from 0 to 100; got 120", "tiers.0.rate"),
        ({"tiers": [("100", "8"), ("100.00", "9")]}, "Two tiers start at 100.00 % attainment", "tiers"),
        ({"name": "  "}, "A commission plan needs a name", "name"),
        ({"name": "standard"}, "There is a commission plan named 'standard' already", "name"),
    ],
)
def test_a_bad_plan_is_refused_with_what_is_wrong(
    admin_user: User, plan: CommissionPlan, fields: dict[str, Any], message: str, field: str
) -> None:
    # given
    arguments: dict[str, Any] = {"name": "New", "base_rate": "5", **fields}

    # when
    with pytest.raises(InvalidInput) as refusal:
        commission_plan_create(actor=admin_user, **arguments)

    # then
    assert message in refusal.value.message
    assert field in refusal.value.fields
    assert CommissionPlan.objects.count() == 1


def test_only_an_admin_creates_or_changes_plans(manager: User, plan: CommissionPlan) -> None:
    # then
    with pytest.raises(NotAllowed, match="Only an administrator"):
        commission_plan_create(actor=manager, name="Mine", base_rate="50")
    with pytest.raises(NotAllowed, match="Only an administrator"):
        commission_plan_update(actor=manager, plan_id=plan.pk, base_rate="50")


def test_changing_a_plans_tiers_replaces_them_all(admin_user: User, plan: CommissionPlan) -> None:
    # when
    changed = commission_plan_update(
        actor=admin_user, plan_id=plan.pk, tiers=[("120", "9"), ("200", "11")], clear_cap=True
    )

    # then
    assert [(tier.from_attainment, tier.rate) for tier in changed.tiers.all()] == [
        (Decimal("120.00"), Decimal("9.00")),
        (Decimal("200.00"), Decimal("11.00")),
    ]
    assert (changed.name, changed.base_rate, changed.cap) == ("Standard", Decimal("5.00"), None)


def test_a_refused_change_leaves_the_plan_and_its_tiers_as_they_were(
    admin_user: User, plan: CommissionPlan
) -> None:
    # when
    with pytest.raises(InvalidInput):
        commission_plan_update(actor=admin_user, plan_id=plan.pk, name="Renamed", tiers=[("100", "200")])

    # then
    plan.refresh_from_db()
    assert plan.name == "Standard"
    assert [(tier.from_attainment, tier.rate) for tier in plan.tiers.all()] == [
        (Decimal("100.00"), Decimal("8.00"))
    ]


def test_a_rep_lists_only_the_plans_they_are_on(
    admin_user: User, rep: User, plan: CommissionPlan, accelerated: CommissionPlan
) -> None:
    # given
    commission_assign(actor=admin_user, user_id=rep.pk, plan_id=plan.pk, starts_on=dt.date(2026, 1, 1))

    # then
    assert list(commission_plan_list(actor=rep)) == [plan]
    assert list(commission_plan_list(actor=admin_user)) == [accelerated, plan]


# --- assigning plans ------------------------------------------------------------------------------------


def test_a_manager_puts_a_member_of_their_team_on_a_plan(
    manager: User, rep: User, plan: CommissionPlan
) -> None:
    # when
    assignment = commission_assign(
        actor=manager, user_id=rep.pk, plan_id=plan.pk, starts_on=dt.date(2026, 1, 1)
    )

    # then
    assert (assignment.user, assignment.plan, assignment.ends_on, assignment.assigned_by) == (
        rep,
        plan,
        None,
        manager,
    )


def test_who_may_assign_plans(manager: User, rep: User, outsider: User, plan: CommissionPlan) -> None:
    # then
    with pytest.raises(NotAllowed, match="assigned by your manager or an administrator"):
        commission_assign(actor=rep, user_id=rep.pk, plan_id=plan.pk, starts_on=dt.date(2026, 1, 1))
    with pytest.raises(NotFound):
        commission_assign(actor=manager, user_id=outsider.pk, plan_id=plan.pk, starts_on=dt.date(2026, 1, 1))
    with pytest.raises(NotAllowed, match="Your own commission plan"):
        commission_assign(actor=manager, user_id=manager.pk, plan_id=plan.pk, starts_on=dt.date(2026, 1, 1))
    assert not CommissionAssignment.objects.exists()


def test_a_new_plan_after_an_open_ended_one_ends_it_the_day_before(
    admin_user: User, rep: User, plan: CommissionPlan, accelerated: CommissionPlan
) -> None:
    # given
    first = commission_assign(
        actor=admin_user, user_id=rep.pk, plan_id=plan.pk, starts_on=dt.date(2026, 1, 1)
    )

    # when
    commission_assign(actor=admin_user, user_id=rep.pk, plan_id=accelerated.pk, starts_on=dt.date(2026, 7, 1))

    # then
    first.refresh_from_db()
    assert first.ends_on == dt.date(2026, 6, 30)
    assert [(a.plan.name, a.starts_on, a.ends_on) for a in commission_assignment_list(actor=rep)] == [
        ("Accelerated", dt.date(2026, 7, 1), None),
        ("Standard", dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
    ]


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [
        (dt.date(2026, 3, 1), None),  # starts inside a bounded one
        (dt.date(2025, 12, 1), dt.date(2026, 1, 15)),  # ends inside it
        (dt.date(2026, 1, 1), dt.date(2026, 6, 30)),  # the same days
    ],
)
def test_any_other_overlap_is_refused_and_changes_nothing(
    admin_user: User,
    rep: User,
    plan: CommissionPlan,
    accelerated: CommissionPlan,
    starts_on: dt.date,
    ends_on: dt.date | None,
) -> None:
    # given
    commission_assign(
        actor=admin_user,
        user_id=rep.pk,
        plan_id=plan.pk,
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 6, 30),
    )

    # when
    with pytest.raises(RuleBroken) as refusal:
        commission_assign(
            actor=admin_user, user_id=rep.pk, plan_id=accelerated.pk, starts_on=starts_on, ends_on=ends_on
        )

    # then
    assert refusal.value.code == "commission_assignment_overlaps"
    assert "on the plan 'Standard' from 2026-01-01 until 2026-06-30" in refusal.value.message
    assert CommissionAssignment.objects.count() == 1


def test_a_plan_starting_before_an_open_ended_one_is_refused(
    admin_user: User, rep: User, plan: CommissionPlan, accelerated: CommissionPlan
) -> None:
    # given
    commission_assign(actor=admin_user, user_id=rep.pk, plan_id=plan.pk, starts_on=dt.date(2026, 7, 1))

    # when
    with pytest.raises(RuleBroken, match="until further notice"):
        commission_assign(
            actor=admin_user, user_id=rep.pk, plan_id=accelerated.pk, starts_on=dt.date(2026, 7, 1)
        )

    # then
    assert CommissionAssignment.objects.get().ends_on is None


def test_back_to_back_bounded_assignments_are_fine(
    admin_user: User, rep: User, plan: CommissionPlan, accelerated: CommissionPlan
) -> None:
    # given
    commission_assign(
        actor=admin_user,
        user_id=rep.pk,
        plan_id=plan.pk,
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 6, 30),
    )

    # when
    commission_assign(actor=admin_user, user_id=rep.pk, plan_id=accelerated.pk, starts_on=dt.date(2026, 7, 1))

    # then
    assert CommissionAssignment.objects.count() == 2


def test_an_assignment_ending_before_it_starts_or_on_an_inactive_plan_is_refused(
    admin_user: User, rep: User, plan: CommissionPlan
) -> None:
    # given
    commission_plan_update(actor=admin_user, plan_id=plan.pk, is_active=False)

    # then
    with pytest.raises(InvalidInput, match="cannot end"):
        commission_assign(
            actor=admin_user,
            user_id=rep.pk,
            plan_id=plan.pk,
            starts_on=dt.date(2026, 2, 1),
            ends_on=dt.date(2026, 1, 1),
        )
    with pytest.raises(InvalidInput, match="inactive"):
        commission_assign(actor=admin_user, user_id=rep.pk, plan_id=plan.pk, starts_on=dt.date(2026, 2, 1))


def test_a_manager_removes_an_assignment_of_their_team_only(
    admin_user: User, manager: User, rep: User, outsider: User, plan: CommissionPlan
) -> None:
    # given
    ours = commission_assign(actor=manager, user_id=rep.pk, plan_id=plan.pk, starts_on=dt.date(2026, 1, 1))
    theirs = commission_assign(
        actor=admin_user, user_id=outsider.pk, plan_id=plan.pk, starts_on=dt.date(2026, 1, 1)
    )

    # when
    commission_unassign(actor=manager, assignment_id=ours.pk)
    with pytest.raises(NotFound):
        commission_unassign(actor=manager, assignment_id=theirs.pk)
    with pytest.raises(NotAllowed):
        commission_unassign(actor=outsider, assignment_id=theirs.pk)

    # then
    assert list(CommissionAssignment.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_a_rep_sees_only_their_own_assignments(
    admin_user: User, rep: User, teammate: User, plan: CommissionPlan
) -> None:
    # given
    mine = commission_assign(actor=admin_user, user_id=rep.pk, plan_id=plan.pk, starts_on=dt.date(2026, 1, 1))
    commission_assign(actor=admin_user, user_id=teammate.pk, plan_id=plan.pk, starts_on=dt.date(2026, 1, 1))

    # then
    assert list(commission_assignment_list(actor=rep)) == [mine]
    with pytest.raises(NotFound):
        list(commission_assignment_list(actor=rep, user_id=teammate.pk))
