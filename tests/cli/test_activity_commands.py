"""`salespipe activity`: the follow-up engine from the command line, as a user with that user's scope."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from click.testing import CliRunner

from salespipe.activities.models import Activity, ActivityPurpose
from salespipe.cli import main
from salespipe.people.models import User

pytestmark = pytest.mark.django_db


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@time_machine.travel(dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC), tick=False)
def test_scheduling_a_meeting_prints_it_with_its_two_reminders(
    rep: User, make_deal: Any, confirm_decision_maker: Any
) -> None:
    deal = make_deal(rep)
    confirm_decision_maker(deal)

    result = run(
        "activity", "schedule", "--user", "rep", "--kind", "meeting", "--deal", str(deal.pk),
        "--at", "2026-11-30T10:00", "--subject", "Demo", "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    # read on the rep's clock (Athens): Monday 10:00 there; prepared on Friday at 09:00 there
    assert [(row["kind"], row["purpose"], row["due_at"]) for row in rows] == [
        ("meeting", None, "2026-11-30T08:00:00+00:00"),
        ("call", "meeting_call", "2026-11-27T07:00:00+00:00"),
        ("email", "meeting_email", "2026-11-27T07:00:00+00:00"),
    ]


def test_a_meeting_refused_by_the_gate_exits_3_and_says_why(rep: User, make_deal: Any) -> None:
    deal = make_deal(rep)

    result = CliRunner().invoke(
        main,
        ["activity", "schedule", "--user", "rep", "--kind", "meeting", "--deal", str(deal.pk), "--at",
         "2030-01-07T10:00"],
    )  # fmt: skip

    assert result.exit_code == 3
    assert "cannot be booked before a decision maker is confirmed" in result.output
    assert not Activity.objects.exists()


def test_a_request_is_logged_and_answered_with_its_response_time(rep: User, make_deal: Any) -> None:
    deal = make_deal(rep)
    with time_machine.travel(dt.datetime(2026, 11, 27, 14, 0, tzinfo=dt.UTC), tick=False):
        logged = json.loads(
            run(
                "activity",
                "request",
                "--user",
                "rep",
                "--deal",
                str(deal.pk),
                "--subject",
                "Prices",
                "--json",
            ).output
        )[0]
    # Friday 16:00 in Athens + 4 working hours = Monday 12:00 there
    assert logged["due_at"] == "2026-11-30T10:00:00+00:00"

    with time_machine.travel(dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC), tick=False):
        answered = json.loads(
            run("activity", "complete", str(logged["id"]), "--user", "rep", "--json").output
        )[0]

    assert (answered["outcome"], answered["response_minutes"]) == ("answered", 120)


def test_a_rep_cannot_touch_a_teammates_activity(rep: User, teammate: User, make_deal: Any) -> None:
    call = Activity.objects.create(
        kind="call", subject="Theirs", owner=teammate, due_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )  # fmt: skip

    result = CliRunner().invoke(main, ["activity", "cancel", str(call.pk), "--user", "rep"])

    assert result.exit_code == 4
    call.refresh_from_db()
    assert call.cancelled_at is None


def test_listing_by_purpose_and_a_bad_time(rep: User, make_deal: Any, confirm_decision_maker: Any) -> None:
    deal = make_deal(rep)
    confirm_decision_maker(deal)
    run(
        "activity",
        "schedule",
        "--user",
        "rep",
        "--kind",
        "meeting",
        "--deal",
        str(deal.pk),
        "--at",
        "2030-01-07T10:00",
    )

    listed = run("activity", "list", "--user", "rep", "--purpose", ActivityPurpose.MEETING_EMAIL)
    bad = CliRunner().invoke(
        main, ["activity", "schedule", "--user", "rep", "--kind", "call", "--at", "soon"]
    )

    assert listed.exit_code == 0
    assert "email [meeting_email]: Email to confirm the appointment: Meeting" in listed.output
    assert len(listed.output.splitlines()) == 1
    assert bad.exit_code == 2
    assert "is not a date and time" in bad.output
