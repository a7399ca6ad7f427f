"""`salespipe quota`: quotas from the command line, as an administrator or `--as` a user with their rights."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner

from salespipe.cli import main
from salespipe.people.models import Team, User
from salespipe.quotas.models import Quota
from salespipe.quotas.services import quota_set

pytestmark = pytest.mark.django_db


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_setting_a_teams_quota_prints_it_and_json_has_the_apis_shape(team: Team) -> None:
    # when
    result = run(
        "quota", "set", "--team", "athens", "--period", "2026-Q4", "--value", "300000", "--deals", "24"
    )
    as_json = run("quota", "set", "--team", "Athens", "--period", "2026-Q4", "--value", "310000", "--json")

    # then
    assert result.exit_code == 0, result.output
    assert "2026-Q4" in result.output and "team Athens" in result.output and "300,000.00 EUR" in result.output
    assert "24 deals" in result.output
    body = json.loads(as_json.output)
    assert (body["team"]["name"], body["period"], body["target_value"], body["target_deals"]) == (
        "Athens",
        "2026-Q4",
        "310000.00",
        None,
    )
    assert body["set_by"] is None
    assert Quota.objects.get().target_value == Decimal("310000.00")


def test_acting_as_a_manager_records_them_and_keeps_to_their_rights(
    manager: User, rep: User, outsider: User
) -> None:
    # when
    ours = run("quota", "set", "--user", "rep", "--period", "2026", "--value", "500000", "--as", "manager")
    theirs = run("quota", "set", "--user", "outsider", "--period", "2026", "--value", "1", "--as", "manager")
    own = run("quota", "set", "--user", "manager", "--period", "2026", "--value", "1", "--as", "manager")

    # then
    assert ours.exit_code == 0, ours.output
    assert Quota.objects.get().set_by == manager
    assert theirs.exit_code == 4
    assert "There is no active user with id" in theirs.stderr
    assert own.exit_code == 5
    assert "Your own quota is set by an administrator" in own.stderr


def test_a_rep_acting_is_told_who_sets_quotas(rep: User) -> None:
    # when
    result = run("quota", "set", "--user", "rep", "--period", "2026-Q4", "--value", "1", "--as", "rep")

    # then
    assert result.exit_code == 5
    assert "Quotas are set by your manager or an administrator" in result.stderr
    assert not Quota.objects.exists()


def test_bad_input_exits_2_with_what_to_write(rep: User) -> None:
    # when
    no_owner = run("quota", "set", "--period", "2026-Q4", "--value", "1")
    bad_period = run("quota", "set", "--user", "rep", "--period", "Q4", "--value", "1")
    negative = run("quota", "set", "--user", "rep", "--period", "2026-Q4", "--value", "-5")

    # then
    assert (no_owner.exit_code, bad_period.exit_code, negative.exit_code) == (2, 2, 2)
    assert "Give --user USERNAME or --team NAME" in no_owner.stderr
    assert "write a year (2026), a quarter (2026-Q4) or a month (2026-11)" in bad_period.stderr
    assert "Target revenue must be between 0 and" in negative.stderr
    assert not Quota.objects.exists()


def test_an_unknown_team_lists_the_teams_there_are(team: Team) -> None:
    # when
    result = run("quota", "list", "--team", "Paris")

    # then
    assert result.exit_code == 4
    assert "There is no team 'Paris'. Teams: Athens." in result.stderr


def test_listing_filters_by_team_and_period_and_a_manager_sees_only_their_teams(
    admin_user: User, manager: User, team: Team, rep: User, outsider: User
) -> None:
    # given
    quota_set(actor=admin_user, team_id=team.pk, period="2026-Q4", target_value="300000")
    quota_set(actor=admin_user, user_id=rep.pk, period="2026-Q4", target_value="120000")
    quota_set(actor=admin_user, user_id=rep.pk, period="2026-10", target_value="40000")
    quota_set(actor=admin_user, user_id=outsider.pk, period="2026-Q4", target_value="90000")

    # when
    everyone = json.loads(run("quota", "list", "--period", "2026-Q4", "--json").output)
    athens = json.loads(run("quota", "list", "--team", "Athens", "--json").output)
    as_manager = json.loads(run("quota", "list", "--as", "manager", "--period", "2026-Q4", "--json").output)

    # then
    assert [(row["team"] or row["user"])["name"] for row in everyone][:1] == ["Athens"]
    assert len(everyone) == 3
    assert [row["period"] for row in athens] == ["2026-10", "2026-Q4", "2026-Q4"]
    assert {row["target_value"] for row in as_manager} == {"300000.00", "120000.00"}


def test_deleting_a_quota(admin_user: User, rep: User) -> None:
    # given
    quota = quota_set(actor=admin_user, user_id=rep.pk, period="2026-Q4", target_value="1")

    # when
    result = run("quota", "delete", str(quota.pk))
    again = run("quota", "delete", str(quota.pk))

    # then
    assert result.exit_code == 0
    assert f"Quota {quota.pk} deleted." in result.output
    assert again.exit_code == 4
    assert not Quota.objects.exists()
