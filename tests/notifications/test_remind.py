"""`salespipe remind`: what is due now, and sending it by hand."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from click.testing import CliRunner

from salespipe.activities.models import Activity, ActivityPurpose
from salespipe.activities.services import activity_schedule
from salespipe.cli import main
from salespipe.notifications.models import SentEmail
from salespipe.people.models import Team, User
from tests.factories import PersonFactory
from tests.notifications.conftest import aware

ATHENS = "Europe/Athens"
BOOKED_AT = aware(ATHENS, 2026, 2, 25, 11, 0)
MEETING_AT = aware(ATHENS, 2026, 3, 2, 10, 0)
# Friday 27 February, 09:00 in Athens: the meeting's reminders are due, and the rep's working day starts.
FRIDAY_MORNING = aware(ATHENS, 2026, 2, 27, 9, 0)


@pytest.fixture
def due(rep: User, team: Team, make_deal: Any, confirm_decision_maker: Any) -> Iterator[Activity]:
    """On Friday at 09:00 in Athens: the reminders of Monday's meeting with Maria are due, Maria is to be
    emailed (the team does), and the rep's digest is due. Nobody else gets a digest, daily or weekly."""
    rep.email, rep.time_zone = "nikos@seller.test", ATHENS
    rep.save()
    User.objects.exclude(pk=rep.pk).update(daily_digest=False, weekly_digest=False)
    team.prospect_reminder_emails = True
    team.save()
    with time_machine.travel(BOOKED_AT, tick=False) as clock:
        deal = make_deal(rep)
        confirm_decision_maker(deal)
        maria = PersonFactory(email="maria@acme.test")
        meeting = activity_schedule(
            actor=rep, kind="meeting", due_at=MEETING_AT, deal_id=deal.pk, person_id=maria.pk
        )
        clock.move_to(FRIDAY_MORNING)
        yield meeting


def remind(*args: str) -> Any:
    return CliRunner().invoke(main, ["remind", *args])


def test_a_dry_run_shows_what_is_due_and_changes_nothing(due: Activity, rep: User) -> None:
    result = remind("--dry-run")

    assert result.exit_code == 0, result.output
    assert "dry run: nothing is changed or sent" in result.output
    assert "Reminders due and not yet acted on: 2" in result.output
    assert "meeting_call" in result.output and "meeting_email" in result.output
    assert "Prospect reminder emails to send: 1" in result.output
    assert f"maria@acme.test  meeting #{due.pk} at 2026-03-02T08:00:00+00:00 (rep)" in result.output
    assert "Daily digests to send: 1" in result.output
    assert "rep <nikos@seller.test>  2026-02-27" in result.output
    assert not SentEmail.objects.exists()
    assert not Activity.objects.filter(notified_at__isnull=False).exists()


def test_a_dry_run_as_json_for_scripts(due: Activity, rep: User) -> None:
    result = remind("--dry-run", "--json")

    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["dry_run"] is True
    assert body["now"] == "2026-02-27T07:00:00+00:00"
    assert sorted(row["purpose"] for row in body["reminders_due"]) == ["meeting_call", "meeting_email"]
    assert all(row["parent_id"] == due.pk for row in body["reminders_due"])
    assert body["prospect_emails"] == [
        {
            "meeting_id": due.pk,
            "meeting_at": "2026-03-02T08:00:00+00:00",
            "to": "maria@acme.test",
            "owner": "rep",
            "key": f"appointment-reminder:{due.pk}:20260302T0800Z",
        }
    ]
    assert body["digests"] == [
        {"user": "rep", "to": "nikos@seller.test", "day": "2026-02-27", "key": f"digest:{rep.pk}:2026-02-27"}
    ]
    assert body["emails_to_retry"] == 0


def test_remind_queues_what_is_due_once(due: Activity) -> None:
    first = remind()
    again = remind("--json")

    assert first.exit_code == 0, first.output
    assert "Queued 1 prospect reminder email(s), 1 daily digest(s) and 0 weekly digest(s)" in first.output
    assert "salespipe worker --batch" in first.output
    assert again.exit_code == 0
    assert json.loads(again.output) == {
        "now": "2026-02-27T07:00:00+00:00",
        "dry_run": False,
        "prospect_emails": 0,
        "digests": 0,
        "weekly_digests": 0,
        "emails_retried": 0,
    }
    assert SentEmail.objects.count() == 2
    email_reminder = Activity.objects.get(parent=due, purpose=ActivityPurpose.MEETING_EMAIL)
    assert email_reminder.notified_at == FRIDAY_MORNING
    # and the dry run now finds nothing left to send
    assert "Prospect reminder emails to send: 0" in remind("--dry-run").output


def test_now_lets_an_operator_look_ahead(due: Activity) -> None:
    # the evening before, nothing is due
    thursday = remind("--dry-run", "--json", "--now", "2026-02-26T18:00:00+02:00")
    # a time without a zone is read in the server's zone (UTC here)
    friday = remind("--dry-run", "--json", "--now", "2026-02-27T07:00:00")

    assert thursday.exit_code == friday.exit_code == 0
    assert json.loads(thursday.output)["reminders_due"] == []
    assert json.loads(thursday.output)["digests"] == []
    assert len(json.loads(friday.output)["reminders_due"]) == 2


def test_a_bad_now_is_refused_with_exit_code_2_and_says_how_to_write_it(db: None) -> None:
    result = remind("--now", "next friday")

    assert result.exit_code == 2
    assert "--now must be an ISO 8601 time such as 2026-03-02T09:00:00+02:00" in result.stderr
    assert not SentEmail.objects.exists()


def test_nothing_due_says_so(db: None) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC), tick=False):
        result = remind()

    assert result.exit_code == 0
    assert result.output.strip() == (
        "Queued 0 prospect reminder email(s), 0 daily digest(s) and 0 weekly digest(s); 0 failed email(s) "
        "queued again."
    )
