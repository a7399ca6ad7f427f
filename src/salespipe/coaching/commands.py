"""`salespipe advise`: a rep's advice in a terminal, or as JSON.

The command line is the operator's, so it reads as an administrator would (anyone's advice). The messages
are in the language of the person the advice is for. `--json` prints exactly the body of
`GET /api/v1/advice`.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

import click


def _operator() -> Any:
    """An administrator who exists only for this command: the advice reads nothing as a particular user."""
    from salespipe.people.models import Role, User

    return User(username="salespipe-cli", role=Role.ADMIN, time_zone="UTC")


_MARKS = {"high": "!!", "medium": "! ", "low": "  "}


def _lines(body: dict[str, Any]) -> list[str]:
    user = body["user"]
    lines = [f"Advice for {user['name']} ({user['username']}), as of {body['as_of']}", ""]
    if not body["items"]:
        lines.append("Nothing to advise: the pipeline is balanced and every deal is looked after.")
    for item in body["items"]:
        lines.append(f"{_MARKS[item['severity']]} {item['severity']:<6}  {item['code']}")
        lines += textwrap.wrap(item["message"], width=100, initial_indent="   ", subsequent_indent="   ")
    return lines


@click.command(short_help="What a rep should do next, most important first.")
@click.option("--user", "user", required=True, help="The rep (username).")
@click.option("--json", "as_json", is_flag=True, help="Print the advice as JSON (the API's shape).")
def advise(user: str, as_json: bool) -> None:
    """A rep's advice, most important first: pipeline balance, closing skills, decision makers, budget
    and timeline, next steps, rotting and stalled deals, information requests, famine months and big
    deals at risk; each with the deals and numbers behind it, in the rep's language. Rules and
    thresholds: docs/advice.md."""
    from salespipe.cli import _django, _errors, _require_database

    _django()
    with _errors():
        _require_database()
        from salespipe.coaching.api import AdviceOut, advice_body
        from salespipe.coaching.selectors import advice_for

        body = AdviceOut.model_validate(advice_body(advice_for(actor=_operator(), username=user)))
        found = body.model_dump(mode="json")
        if as_json:
            click.echo(json.dumps(found, indent=2, ensure_ascii=False))
        else:
            for line in _lines(found):
                click.echo(line)
