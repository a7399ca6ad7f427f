"""`salespipe numbers`: won, expected, gap, the plan and the flow ahead in a terminal, or as JSON.

The command line is the operator's, so it reads as an administrator would (anyone's numbers, the
company's when no one is named). `--json` prints exactly the body of `GET /api/v1/numbers`.
"""

from __future__ import annotations

import json
from typing import Any

import click


def _amount(value: str | None, currency: str) -> str:
    return "-" if value is None else f"{float(value):,.2f} {currency}"


def _percent(value: str | None) -> str:
    return "-" if value is None else f"{float(value):.0%}"


_BASIS = {
    "own": "own last 12 months",
    "team": "the team's last 12 months",
    "company": "the company's last 12 months",
    "defaults": "default assumptions (not enough history)",
}


def _lines(body: dict[str, Any]) -> list[str]:
    currency = body["currency"]
    plan = body["plan"]
    scope = body["scope"]
    who = scope["label"] if scope["kind"] != "company" else "The company"
    lines = [
        f"{who} — {body['period']['label']} ({body['period']['starts_on']} to {body['period']['ends_on']}), "
        f"as of {body['as_of']}",
        "",
        f"  quota      {_amount(body['quota'], currency)}",
        f"  won        {_amount(body['won'], currency)}  ({body['won_deals']} deals, "
        f"attainment {_percent(body['attainment'])})",
        f"  expected   {_amount(body['expected'], currency)}  ({body['expected_deals']} open deals, "
        f"coverage {_percent(body['coverage'])})",
        f"  gap        {_amount(body['gap'], currency)}",
        f"  commission {_amount(body['commission']['earned'], currency)} earned, "
        f"{_amount(body['commission']['projected'], currency)} projected",
    ]
    if body["undated"]["deals"]:
        lines.append(
            f"  ({body['undated']['deals']} open deals worth {_amount(body['undated']['value'], currency)} "
            "have no expected close date and count in no period)"
        )
    if body["overdue"]["deals"]:
        lines.append(
            f"  ({body['overdue']['deals']} open deals worth {_amount(body['overdue']['value'], currency)} "
            "are past their expected close date: update or close them)"
        )
    if body["quota"] is None:
        lines += ["", "No quota is set for this period: set one with `salespipe quota set`."]
    lines += ["", f"Plan, from {_BASIS[plan['basis']]}:"]
    if plan["deals_needed"] is None:
        lines.append("  not enough history to turn the gap into deals (no average won value).")
    else:
        lines.append(
            f"  {plan['deals_needed']} new deals, {plan['appointments_needed']} appointments, "
            f"{plan['calls_needed']} calls; start by {plan['start_by']}"
        )
        if not plan["closable"]:
            lines.append(
                "  The gap can no longer be closed from new deals inside the period: work the open ones."
            )
    lines += ["", "Flow ahead:"]
    for month in body["flow"]:
        flag = "  FAMINE: prospect by " + str(month["prospect_by"]) if month["famine"] else ""
        won = f"won {_amount(month['won'], currency)} + " if float(month["won"]) else ""
        lines.append(
            f"  {month['month']}  {won}expected {_amount(month['expected'], currency)}"
            f"  quota {_amount(month['quota'], currency)}{flag}"
        )
    return lines


@click.command(short_help="Won, expected and gap against quota, the plan and the flow ahead.")
@click.option("--user", "user", default=None, help="A person (username).")
@click.option("--team", "team", default=None, help="A team (name).")
@click.option("--period", default=None, help="2026, 2026-Q4 or 2026-11; default the current quarter.")
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON (the API's shape).")
def numbers(user: str | None, team: str | None, period: str | None, as_json: bool) -> None:
    """The three numbers for a person, a team or (with neither) the company: won so far, expected from
    open deals, and the gap to build from scratch; with the reverse-funnel plan and the next six months.
    Formulas: docs/numbers.md."""
    from salespipe.cli import _django, _errors, _operator, _require_database

    _django()
    with _errors():
        _require_database()
        from salespipe.numbers import selectors
        from salespipe.numbers.api import NumbersOut, numbers_body

        actor = _operator()
        scope = selectors.numbers_scope(actor=actor, user=user, team=team, company=not (user or team))
        found = selectors.numbers_period(period, today=selectors.company_today())
        report = selectors.numbers_report(actor=actor, scope=scope, period=found)
        body = NumbersOut.model_validate(numbers_body(report)).model_dump(mode="json")
        if as_json:
            click.echo(json.dumps(body, indent=2, ensure_ascii=False))
        else:
            for line in _lines(body):
                click.echo(line)
