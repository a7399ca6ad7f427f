"""REST endpoint for a rep's advice (docs/api.md, docs/advice.md).

`salespipe advise --json` prints the same body (`advice_body`, validated by `AdviceOut`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from salespipe.analytics.advice import CODES
from salespipe.coaching import selectors
from salespipe.coaching.selectors import Advice
from salespipe.core.api_support import errors, request_user
from salespipe.core.money import base_currency
from salespipe.people.api import UserRef

router = Router(tags=["coaching"])


class AdviceItemOut(Schema):
    code: str = Field(description="Stable: " + ", ".join(f"`{code}`" for code in CODES) + ".")
    severity: Literal["high", "medium", "low"]
    message: str = Field(description="What to do, naming the deals and numbers behind it, in `language`.")
    evidence: dict[str, Any] = Field(
        description="The numbers behind the item: counts, the thresholds used, the deals (id, title, value) "
        "biggest first, rates and intervals. Money is a decimal string in `currency`."
    )


class AdviceOut(Schema):
    user: UserRef = Field(description="Whose advice it is.")
    as_of: dt.date = Field(description="Today in the company's time zone (TIME_ZONE).")
    language: str = Field(description="The language of the messages: the user's, else the site's.")
    currency: str = Field(description="The base currency every amount is in.")
    items: list[AdviceItemOut] = Field(
        description="Most important first: by severity, then by the value at stake, then by code."
    )


class AdviceParams(Schema):
    user: str | None = Field(
        None,
        description="A username: yourself when left out; a member of a team you manage; anyone (admins).",
    )


def advice_body(advice: Advice) -> dict[str, Any]:
    return {
        "user": advice.user,
        "as_of": advice.as_of,
        "language": advice.language,
        "currency": base_currency(),
        "items": [
            {"code": item.code, "severity": item.severity, "message": item.message, "evidence": item.evidence}
            for item in advice.items
        ],
    }


@router.get("/advice", response={200: AdviceOut, **errors(404)}, summary="Advice")
def advice(request: HttpRequest, params: Query[AdviceParams]) -> dict[str, Any]:
    """What a rep should do next, most important first: pipeline balance (`more_cold_calls`,
    `more_research_and_presentations`), weak closing against the rest of the team, deals missing a
    decision maker, a budget, a timeline or a next step, rotting and stalled deals, information requests
    waiting, a famine month ahead and big deals at risk. The rules and thresholds are in docs/advice.md.
    Someone you may not see is a 404."""
    return advice_body(selectors.advice_for(actor=request_user(request), username=params.user))
