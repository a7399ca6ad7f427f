"""`salespipe quota ...`: set, list and delete quotas from a terminal or a script (docs/cli.md).

The command line is the operator's: whoever can run it can change the database, so by default it acts as
an administrator would. `--as USERNAME` acts as that user instead, with exactly their rights (a manager:
their teams and members), and records them as who set the quota. `--user` and `--team` name whose quota
it is. The JSON has the same shape as the REST API's answer.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import click

from salespipe.core.command_options import acting_option, acting_user, json_option, run_on_database


def _owner(user: str | None, team: str | None, *, required: bool) -> tuple[int | None, int | None]:
    """--user and --team name a person and a team; the services take ids."""
    from salespipe.core.errors import InvalidInput, NotFound
    from salespipe.people.models import Team, User

    if user and team:
        raise InvalidInput("Give --user or --team, not both.", fields={"--team": "with --user"})
    if required and not (user or team):
        raise InvalidInput(
            "Whose quota? Give --user USERNAME or --team NAME.", fields={"--user": "or --team required"}
        )
    user_id = team_id = None
    if user:
        user_id = User.objects.filter(username=user, is_active=True).values_list("pk", flat=True).first()
        if user_id is None:
            raise NotFound(f"There is no active user '{user}'.")
    if team:
        team_id = Team.objects.filter(name__iexact=team).values_list("pk", flat=True).first()
        if team_id is None:
            names = ", ".join(Team.objects.order_by("name").values_list("name", flat=True)) or "none yet"
            raise NotFound(f"There is no team '{team}'. Teams: {names}.")
    return user_id, team_id


def _body(quota: Any) -> dict[str, Any]:
    from salespipe.quotas.api import QuotaOut

    body: dict[str, Any] = QuotaOut.model_validate(quota).model_dump(mode="json")
    return body


def _line(row: dict[str, Any], currency: str) -> str:
    owner = (
        f"team {row['team']['name']}" if row["team"] else f"{row['user']['name']} ({row['user']['username']})"
    )
    deals = f"  {row['target_deals']} deals" if row["target_deals"] is not None else ""
    value = f"{Decimal(row['target_value']):,.2f} {currency}"
    return f"#{row['id']:<5} {row['period']:<8} {owner:<32} {value:>20}{deals}"


def _echo(rows: list[dict[str, Any]], *, as_json: bool, single: bool = False) -> None:
    from django.conf import settings

    if as_json:
        click.echo(json.dumps(rows[0] if single else rows, indent=2))
        return
    for row in rows:
        click.echo(_line(row, settings.BASE_CURRENCY))


@click.group(short_help="Set, list and delete the quotas of people and teams.")
def quota() -> None:
    """Quotas: the won value (and optionally won deals) a person or a team must reach in a period, a
    fiscal year (2026), quarter (2026-Q4) or month (2026-11). See docs/numbers.md."""


@quota.command("set")
@click.option("--user", "user", default=None, help="Whose quota (username); or --team.")
@click.option("--team", "team", default=None, help="The team's quota (team name); or --user.")
@click.option("--period", required=True, help="2026, 2026-Q4 or 2026-11.")
@click.option("--value", "target_value", required=True, help="Won value to reach, in the base currency.")
@click.option("--deals", "target_deals", type=int, default=None, help="Won deals to reach (optional).")
@acting_option
@json_option
def quota_set_command(
    user: str | None,
    team: str | None,
    period: str,
    target_value: str,
    target_deals: int | None,
    acting: str | None,
    as_json: bool,
) -> None:
    """Set the quota of a person or a team for a period; setting it again changes the target."""

    def work() -> None:
        from salespipe.quotas.services import quota_set

        actor = acting_user(acting)
        user_id, team_id = _owner(user, team, required=True)
        quota = quota_set(
            actor=actor,
            user_id=user_id,
            team_id=team_id,
            period=period,
            target_value=target_value,
            target_deals=target_deals,
        )
        _echo([_body(quota)], as_json=as_json, single=True)

    run_on_database(work)


@quota.command("list")
@click.option("--user", "user", default=None, help="Only this person's quotas (username).")
@click.option("--team", "team", default=None, help="Only this team's quotas and its members' (team name).")
@click.option("--period", default=None, help="Only quotas for exactly this period, e.g. 2026-Q4.")
@acting_option
@json_option
def quota_list_command(
    user: str | None, team: str | None, period: str | None, acting: str | None, as_json: bool
) -> None:
    """Quotas, earliest period first; teams before people."""

    def work() -> None:
        from salespipe.quotas.selectors import quota_list

        actor = acting_user(acting)
        user_id, team_id = _owner(user, team, required=False)
        quotas = quota_list(actor=actor, user_id=user_id, team_id=team_id, period=period)
        _echo([_body(quota) for quota in quotas], as_json=as_json)

    run_on_database(work)


@quota.command("delete")
@click.argument("quota_id", type=int)
@acting_option
def quota_delete_command(quota_id: int, acting: str | None) -> None:
    """Delete a quota (its id is in `salespipe quota list`)."""

    def work() -> None:
        from salespipe.quotas.services import quota_delete

        quota_delete(actor=acting_user(acting), quota_id=quota_id)
        click.echo(f"Quota {quota_id} deleted.")

    run_on_database(work)
