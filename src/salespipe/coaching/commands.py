"""`salespipe advise`: a rep's advice, or every member's of a team, in a terminal or as JSON.

The command line is the operator's, so it reads as an administrator would (anyone's advice). The messages
are in the language of the person the advice is for. `--json` prints exactly the body of
`GET /api/v1/advice` for one person, and for a team `{"team": …, "members": [those bodies]}`.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

import click

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


@click.command(short_help="What a rep (or each rep of a team) should do next, most important first.")
@click.option("--user", "user", default=None, help="The rep (username).")
@click.option("--team", "team", default=None, help="A team (its name): every active member's advice.")
@click.option("--json", "as_json", is_flag=True, help="Print the advice as JSON (the API's shape).")
def advise(user: str | None, team: str | None, as_json: bool) -> None:
    """A rep's advice, most important first: pipeline balance, closing skills, the weakest funnel step,
    decision makers, budget and timeline, next steps, rotting and stalled deals, information requests,
    famine months and big deals at risk; each with the deals and numbers behind it, in the rep's
    language. With --team, each active member's in turn, by username. Rules and thresholds: docs/advice.md."""
    from salespipe.cli import _django, _errors, _operator, _require_database

    if (user is None) == (team is None):
        raise click.UsageError("Name one rep (--user NAME) or one team (--team NAME).")
    _django()
    with _errors():
        _require_database()
        from salespipe.coaching.api import AdviceOut, advice_body
        from salespipe.coaching.selectors import advice_for
        from salespipe.numbers.selectors import numbers_scope
        from salespipe.people.models import User

        operator = _operator()
        scope = None if team is None else numbers_scope(actor=operator, team=team)
        if scope is None:
            usernames = [user or ""]
        else:
            members = User.objects.filter(pk__in=scope.member_ids)
            usernames = sorted(members.values_list("username", flat=True))
        bodies = [
            AdviceOut.model_validate(advice_body(advice_for(actor=operator, username=username))).model_dump(
                mode="json"
            )
            for username in usernames
        ]
        if as_json:
            found: Any = bodies[0] if scope is None else {"team": scope.label, "members": bodies}
            click.echo(json.dumps(found, indent=2, ensure_ascii=False))
            return
        if scope is not None:
            click.echo(f"Advice for the team {scope.label}: {len(bodies)} people")
            click.echo("")
        for index, body in enumerate(bodies):
            if index:
                click.echo("")
            for line in _lines(body):
                click.echo(line)
