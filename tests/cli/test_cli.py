"""The `salespipe` command as an operator uses it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from django.conf import LazySettings

from salespipe.cli import main
from salespipe.deals.models import Pipeline
from salespipe.people.models import ApiToken, Role, User
from salespipe.people.tokens import token_authenticate

COMMANDS = [
    "init",
    "demo",
    "serve",
    "worker",
    "remind",
    "activity",
    "report",
    "numbers",
    "advise",
    "export",
    "import",
    "quota",
    "webhook",
    "token",
    "manage",
]


@pytest.fixture
def home(settings: LazySettings, tmp_path: Path) -> Path:
    settings.SALESPIPE_HOME = tmp_path
    return tmp_path


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_help_lists_every_command_with_a_one_line_summary() -> None:
    result = CliRunner().invoke(main, ["--help"])

    assert result.exit_code == 0
    for command in COMMANDS:
        line = next(line for line in result.output.splitlines() if line.strip().startswith(command + " "))
        assert "..." not in line, f"the summary of `{command}` is cut: {line!r}"


def test_every_command_is_documented_in_the_cli_reference() -> None:
    reference = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()

    subcommands = ["token create", "token list", "token revoke"]
    subcommands += [
        f"activity {name}" for name in ("list", "schedule", "request", "complete", "reschedule", "cancel")
    ]
    subcommands += ["report response-times", "report freemiums"]
    subcommands += ["quota set", "quota list", "quota delete"]
    subcommands += ["webhook list", "webhook add", "webhook deliveries", "webhook replay"]
    for command in [*COMMANDS, *subcommands]:
        assert f"salespipe {command}" in reference, f"docs/cli.md does not document `salespipe {command}`"


@pytest.mark.django_db
def test_init_creates_the_default_pipeline_and_an_admin_and_prints_the_login(home: Path) -> None:
    result = CliRunner().invoke(main, ["init", "--admin-username", "boss"])

    assert result.exit_code == 0, result.output
    admin = User.objects.get(username="boss")
    password = (home / "admin-password").read_text().strip()
    assert admin.role == Role.ADMIN and admin.check_password(password)
    assert f"Admin login: boss / {password}" in result.output
    assert Pipeline.objects.filter(is_default=True).count() == 1


@pytest.mark.django_db
def test_init_run_twice_keeps_the_same_admin_and_pipeline(home: Path) -> None:
    CliRunner().invoke(main, ["init"])
    first_password = (home / "admin-password").read_text()

    result = CliRunner().invoke(main, ["init"])

    assert result.exit_code == 0
    assert (home / "admin-password").read_text() == first_password
    assert User.objects.filter(username="admin").count() == 1
    assert Pipeline.objects.count() == 1


@pytest.mark.django_db
def test_init_refuses_a_weak_admin_password_and_creates_nobody(home: Path) -> None:
    result = CliRunner().invoke(main, ["init", "--admin-password", "123"])

    assert result.exit_code == 2
    assert "too short" in result.stderr
    assert not User.objects.exists()


@pytest.mark.django_db
def test_token_create_prints_a_token_that_authenticates_its_user(rep: User) -> None:
    result = CliRunner().invoke(main, ["token", "create", "--user", "rep", "--name", "reporting"])

    assert result.exit_code == 0, result.stderr
    raw = result.stdout.strip()
    assert token_authenticate(raw) == rep
    stored = ApiToken.objects.get(user=rep)
    assert stored.name == "reporting" and raw not in stored.digest


@pytest.mark.django_db
def test_token_revoke_stops_the_token_working(rep: User) -> None:
    created = CliRunner().invoke(main, ["token", "create", "--user", "rep", "--json"])
    token_id, raw = (
        created.stdout.split('"id": ')[1].split(",")[0],
        created.stdout.split('"token": "')[1][:-3],
    )

    result = CliRunner().invoke(main, ["token", "revoke", "--user", "rep", token_id])

    assert result.exit_code == 0
    assert token_authenticate(raw) is None


@pytest.mark.django_db
def test_token_create_for_an_unknown_user_fails_clearly() -> None:
    result = CliRunner().invoke(main, ["token", "create", "--user", "nobody"])

    assert result.exit_code == 4
    assert "There is no active user 'nobody'" in result.stderr
    assert not ApiToken.objects.exists()


def test_demo_refuses_zero_reps_before_touching_the_database() -> None:
    result = CliRunner().invoke(main, ["demo", "--reps", "0"])

    assert result.exit_code == 2
    assert "--reps" in result.stderr


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["frobnicate"])

    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.stderr
