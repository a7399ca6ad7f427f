"""`salespipe report ...`: the follow-up reports in a terminal, or as JSON for scripts (docs/cli.md).

The command line is the operator's: whoever can run it can read the database, so it reports as an
administrator would see it (everyone, every team), narrowed with --user or --team. The JSON has the same
shape as the REST API's answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import click


def _who(user: str | None, team: str | None) -> tuple[int | None, int | None]:
    """--user and --team name a person and a team; the selectors take ids."""
    from salespipe.core.errors import InvalidInput, NotFound
    from salespipe.people.models import Team, User

    if user and team:
        raise InvalidInput("Give --user or --team, not both.", fields={"--team": "with --user"})
    owner_id = team_id = None
    if user:
        owner_id = User.objects.filter(username=user, is_active=True).values_list("pk", flat=True).first()
        if owner_id is None:
            raise NotFound(f"There is no active user '{user}'.")
    if team:
        team_id = Team.objects.filter(name__iexact=team).values_list("pk", flat=True).first()
        if team_id is None:
            names = ", ".join(Team.objects.order_by("name").values_list("name", flat=True)) or "none yet"
            raise NotFound(f"There is no team '{team}'. Teams: {names}.")
    return owner_id, team_id


def _run(build: Callable[[], tuple[dict[str, Any], list[str]]], as_json: bool) -> None:
    from salespipe.cli import _django, _errors, _require_database

    _django()
    with _errors():
        _require_database()
        body, lines = build()
        if as_json:
            click.echo(json.dumps(body, indent=2))
        else:
            for line in lines:
                click.echo(line)


def _table(header: list[str], rows: list[list[str]]) -> Iterator[str]:
    widths = [max(len(row[n]) for row in [header, *rows]) for n in range(len(header))]
    for row in [header, *rows]:
        cells = [
            row[0].ljust(widths[0]),
            *(cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)),
        ]
        yield "  ".join(cells).rstrip()


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _minutes(value: float | None) -> str:
    if value is None:
        return "-"
    whole = round(value)
    return f"{whole} min" if whole < 60 else f"{whole // 60} h {whole % 60:02d} min"


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} d"


def _named_lines(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    people = [(f"{line['owner']['name']} ({line['owner']['username']})", line) for line in body["owners"]]
    teams = [(f"Team {line['team']['name']}", line) for line in body["teams"]]
    return [*people, *teams, ("Everyone", body["total"])]


@click.group(short_help="Follow-up reports: response times; trials, demos and gifts.")
def report() -> None:
    """Reports on the follow-up discipline, as docs/reports.md defines them. They cover everyone unless
    narrowed with --user or --team."""


_user_option = click.option(
    "--user", "user", default=None, help="Only this person (username), beside their team."
)
_team_option = click.option("--team", "team", default=None, help="Only this team's members (team name).")
_json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print the report as JSON (the API's shape)."
)


@report.command("response-times")
@_user_option
@_team_option
@click.option(
    "--days", default=90, show_default=True, type=int, help="Count requests answered in the last N days."
)
@_json_option
def response_times_command(user: str | None, team: str | None, days: int, as_json: bool) -> None:
    """Information requests per person and team: answered in the window, median response time in
    working minutes, share answered by the deadline; open now and overdue."""

    def build() -> tuple[dict[str, Any], list[str]]:
        from salespipe.analytics.api import ResponseTimesOut, response_times_body
        from salespipe.analytics.selectors import response_time_report
        from salespipe.cli import _operator

        owner_id, team_id = _who(user, team)
        found = response_time_report(actor=_operator(), days=days, owner_id=owner_id, team_id=team_id)
        body = ResponseTimesOut.model_validate(response_times_body(found)).model_dump(mode="json")
        header = ["", "answered", "median", "on time", "open", "overdue"]
        rows = [
            [
                name,
                str(line["answered"]),
                _minutes(line["median_response_minutes"]),
                _percent(line["on_time_share"]),
                str(line["open"]),
                str(line["overdue"]),
            ]
            for name, line in _named_lines(body)
        ]
        title = f"Information requests answered in the last {days} days (working time); open ones as of now."
        return body, [title, "", *_table(header, rows)]

    _run(build, as_json)


@report.command("freemiums")
@_user_option
@_team_option
@click.option(
    "--days", default=365, show_default=True, type=int, help="Count deals closed in the last N days."
)
@click.option(
    "--kind",
    type=click.Choice(["any", "trial", "demo", "gift"]),
    default="any",
    show_default=True,
    help="Which activity to compare by in the table (the JSON has all).",
)
@_json_option
def freemiums_command(user: str | None, team: str | None, days: int, kind: str, as_json: bool) -> None:
    """Deals won or lost in the window, with a done trial, demo or gift before closing against those
    without: deals, win rate and median cycle in days. A * marks a group too small to tell."""

    def build() -> tuple[dict[str, Any], list[str]]:
        from salespipe.analytics.api import FreemiumsOut, freemiums_body
        from salespipe.analytics.selectors import freemium_report
        from salespipe.cli import _operator

        owner_id, team_id = _who(user, team)
        found = freemium_report(actor=_operator(), days=days, owner_id=owner_id, team_id=team_id)
        body = FreemiumsOut.model_validate(freemiums_body(found)).model_dump(mode="json")

        def cells(group: dict[str, Any]) -> list[str]:
            small = "*" if group["too_small"] else ""
            return [
                f"{group['deals']}{small}",
                _percent(group["win_rate"]),
                _days(group["median_cycle_days"]),
            ]

        header = ["", "with: deals", "win rate", "cycle", "without: deals", "win rate", "cycle"]
        rows = []
        for name, line in _named_lines(body):
            comparison = line["kinds"][kind] if "kinds" in line else line[kind]
            rows.append([name, *cells(comparison["with_activity"]), *cells(comparison["without_activity"])])
        what = "trial, demo or gift" if kind == "any" else kind
        title = f"Deals closed in the last {days} days with and without a done {what} before closing."
        note = f"* fewer than {body['min_group_deals']} deals: too few to tell."
        return body, [title, "", *_table(header, rows), "", note]

    _run(build, as_json)
