"""The weekly digest: each manager gets their teams' week by email on Monday at the start of their own
working day (their first working day of the week when Monday is not one), once a week."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from click.testing import CliRunner
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from salespipe.cli import main
from salespipe.coaching.selectors import advice_facts
from salespipe.deals.models import Deal
from salespipe.deals.services import deal_lose, deal_win
from salespipe.notifications.models import SentEmail
from salespipe.notifications.selectors import weekly_digest_key
from salespipe.notifications.services import weekly_digest_send, weekly_digests_send_due
from salespipe.people.models import Team, User
from salespipe.people.tokens import token_create
from salespipe.quotas.services import quota_set
from tests.factories import UserFactory
from tests.notifications.conftest import Inbox, aware

pytestmark = pytest.mark.django_db

ATHENS = "Europe/Athens"  # UTC+2 in March until the 29th: 09:00 there is 07:00 UTC
NEW_YORK = "America/New_York"  # UTC-5 until 8 March 2026: 09:00 there is 14:00 UTC
MONDAY = dt.date(2026, 3, 2)  # ISO week 2026-W10
WEEK_10, WEEK_11 = "2026-W10", "2026-W11"


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(utc(2026, 2, 1, 10, 0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def athens_manager(manager: User, team: Team, rep: User, teammate: User) -> User:
    """Eleni in Athens, who manages the Athens team (the rep and the teammate). Nobody gets a daily
    digest, so that only weekly digests are counted."""
    manager.first_name, manager.last_name, manager.email = "Eleni", "Kosta", "eleni@seller.test"
    manager.time_zone = ATHENS
    manager.save()
    User.objects.update(daily_digest=False)
    return manager


@pytest.fixture
def new_york_manager(other_manager: User, outsider: User) -> User:
    """Amy in New York, who manages the Berlin team."""
    other_manager.first_name, other_manager.email, other_manager.time_zone = (
        "Amy",
        "amy@seller.test",
        NEW_YORK,
    )
    other_manager.save()
    User.objects.update(daily_digest=False)
    return other_manager


def run(clock: time_machine.Coordinates, moment: dt.datetime, capture: Any) -> int:
    clock.move_to(moment)
    with capture(execute=False):
        return weekly_digests_send_due()


def keys() -> list[str]:
    return list(SentEmail.objects.order_by("id").values_list("key", flat=True))


# --- when it is sent ----------------------------------------------------------------------------------------


def test_each_manager_gets_it_on_monday_at_nine_on_their_own_clock_and_not_on_sunday(
    athens_manager: User,
    new_york_manager: User,
    clock: time_machine.Coordinates,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent = [
        run(clock, moment, django_capture_on_commit_callbacks)
        for moment in (
            utc(2026, 3, 1, 12, 0),  # Sunday noon everywhere
            utc(2026, 3, 2, 6, 59, 59),  # Monday 08:59:59 in Athens
            utc(2026, 3, 2, 7, 0),  # Monday 09:00 in Athens, 02:00 in New York
            utc(2026, 3, 2, 13, 59, 59),  # 08:59:59 in New York
            utc(2026, 3, 2, 14, 0),  # 09:00 in New York
        )
    ]

    assert sent == [0, 0, 1, 0, 1]
    assert keys() == [
        weekly_digest_key(user_id=athens_manager.pk, week=WEEK_10),
        weekly_digest_key(user_id=new_york_manager.pk, week=WEEK_10),
    ]
    assert SentEmail.objects.get(to=["eleni@seller.test"]).subject == "Athens: your team's week of 2 March"


def test_it_is_sent_once_a_week_however_often_the_worker_runs(
    athens_manager: User, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    sent = [
        run(clock, moment, django_capture_on_commit_callbacks)
        for moment in (
            aware(ATHENS, 2026, 3, 2, 9, 0),
            aware(ATHENS, 2026, 3, 2, 9, 1),
            aware(ATHENS, 2026, 3, 3, 9, 0),  # Tuesday
            aware(ATHENS, 2026, 3, 8, 23, 59),  # Sunday night, still week 10
            aware(ATHENS, 2026, 3, 9, 9, 0),  # the next Monday
        )
    ]

    assert sent == [1, 0, 0, 0, 1]
    assert keys() == [
        weekly_digest_key(user_id=athens_manager.pk, week=WEEK_10),
        weekly_digest_key(user_id=athens_manager.pk, week=WEEK_11),
    ]


def test_a_worker_down_on_monday_catches_up_on_tuesday_but_not_once_the_week_is_over(
    athens_manager: User, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    # given the worker was down from Monday 8:00 until Tuesday 10:00
    assert run(clock, aware(ATHENS, 2026, 3, 3, 10, 0), django_capture_on_commit_callbacks) == 1
    # and then down from Sunday of week 10 until Monday of week 12, 08:00
    assert run(clock, aware(ATHENS, 2026, 3, 16, 8, 0), django_capture_on_commit_callbacks) == 0

    # week 11 went by without a digest: none is sent late for it
    assert keys() == [weekly_digest_key(user_id=athens_manager.pk, week=WEEK_10)]


def test_a_manager_who_does_not_work_on_mondays_gets_it_on_their_first_working_day(
    athens_manager: User, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    athens_manager.working_weekdays, athens_manager.workday_starts_at = "2345", dt.time(8, 0)
    athens_manager.save()

    sent = [
        run(clock, moment, django_capture_on_commit_callbacks)
        for moment in (aware(ATHENS, 2026, 3, 2, 9, 0), aware(ATHENS, 2026, 3, 3, 8, 0))
    ]

    assert sent == [0, 1]


def test_working_on_sundays_does_not_bring_it_forward_the_week_starts_on_monday(
    athens_manager: User, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    athens_manager.working_weekdays = "1234567"
    athens_manager.save()

    sent = [
        run(clock, moment, django_capture_on_commit_callbacks)
        for moment in (
            aware(ATHENS, 2026, 2, 23, 9, 0),  # Monday of week 9
            aware(ATHENS, 2026, 3, 1, 9, 0),  # Sunday, a working day, still week 9
            aware(ATHENS, 2026, 3, 2, 9, 0),  # Monday of week 10
        )
    ]

    assert sent == [1, 0, 1]
    assert keys() == [
        weekly_digest_key(user_id=athens_manager.pk, week="2026-W09"),
        weekly_digest_key(user_id=athens_manager.pk, week=WEEK_10),
    ]


def test_no_weekly_digest_for_reps_for_managers_who_turned_it_off_or_left_or_have_no_address(
    athens_manager: User,
    rep: User,
    clock: time_machine.Coordinates,
    django_capture_on_commit_callbacks: Any,
) -> None:
    athens_manager.weekly_digest = False
    athens_manager.save()
    for name, fields in (("Gone", {"is_active": False}), ("Unreachable", {"email": ""})):
        Team.objects.create(name=name, manager=UserFactory(role="manager", time_zone=ATHENS, **fields))
    # a manager of no team has no team's week to read
    UserFactory(role="manager", time_zone=ATHENS)

    assert run(clock, aware(ATHENS, 2026, 3, 2, 9, 0), django_capture_on_commit_callbacks) == 0
    assert rep.weekly_digest is True
    assert not SentEmail.objects.exists()


def test_salespipe_remind_shows_the_weekly_digests_due_and_queues_them_once(
    athens_manager: User, clock: time_machine.Coordinates
) -> None:
    clock.move_to(aware(ATHENS, 2026, 3, 2, 9, 0))
    key = weekly_digest_key(user_id=athens_manager.pk, week=WEEK_10)

    dry_run = CliRunner().invoke(main, ["remind", "--dry-run"])
    dry_run_json = CliRunner().invoke(main, ["remind", "--dry-run", "--json"])
    queued = CliRunner().invoke(main, ["remind", "--json"])
    again = CliRunner().invoke(main, ["remind"])

    assert dry_run.exit_code == dry_run_json.exit_code == queued.exit_code == again.exit_code == 0
    assert "Weekly digests to send: 1\n  manager <eleni@seller.test>  2026-W10\n" in dry_run.output
    assert json.loads(dry_run_json.output)["weekly_digests"] == [
        {"user": "manager", "to": "eleni@seller.test", "week": WEEK_10, "key": key}
    ]
    assert json.loads(queued.output)["weekly_digests"] == 1
    assert "0 weekly digest(s)" in again.output
    assert keys() == [key]


# --- what it says -------------------------------------------------------------------------------------------


@pytest.fixture
def athens_week(
    athens_manager: User,
    admin_user: User,
    team: Team,
    rep: User,
    teammate: User,
    clock: time_machine.Coordinates,
    make_deal: Any,
) -> dict[str, Deal]:
    """The Athens team's first quarter up to Monday 2 March 2026, 09:00 in Athens: a quota of 100,000;
    20,000 won in February, 10,000 more won last Wednesday; one deal opened and one lost last week;
    the rep's open 12,000 deal has no next step planned."""
    rep.first_name, rep.last_name = "Nikos", "Papadakis"
    rep.save()
    teammate.first_name, teammate.last_name = "Maria", "Lagou"
    teammate.save()
    User.objects.update(daily_digest=False)
    quota_set(actor=admin_user, team_id=team.pk, period="2026-Q1", target_value="100000")
    quota_set(actor=admin_user, user_id=rep.pk, period="2026-Q1", target_value="60000")
    quota_set(actor=admin_user, user_id=teammate.pk, period="2026-Q1", target_value="40000")

    clock.move_to(aware(ATHENS, 2026, 2, 2, 10, 0))
    deals = {
        "february": make_deal(rep, title="Knossos: 40 seats", value=20000),
        "last_week": make_deal(rep, title="Olympus: 50 seats", value=10000),
        "acme": make_deal(
            rep, title="Acme: 20 licences", value=12000, expected_close_date=dt.date(2026, 3, 20)
        ),
        "lost": make_deal(teammate, title="Pella: pilot", value=3000),
    }
    clock.move_to(aware(ATHENS, 2026, 2, 10, 12, 0))
    deal_win(actor=rep, deal_id=deals["february"].pk)
    clock.move_to(aware(ATHENS, 2026, 2, 25, 12, 0))
    deal_win(actor=rep, deal_id=deals["last_week"].pk)
    deals["new"] = make_deal(teammate, title="Delphi: renewal", value=5000)
    clock.move_to(aware(ATHENS, 2026, 2, 27, 12, 0))
    deal_lose(actor=teammate, deal_id=deals["lost"].pk, lost_reason="Went with a competitor")
    return deals


def test_the_digest_shows_the_teams_numbers_the_weeks_changes_and_each_reps_advice(
    athens_week: dict[str, Deal],
    athens_manager: User,
    rep: User,
    settings: Any,
    smtp_inbox: Inbox,
    run_worker: Any,
    clock: time_machine.Coordinates,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.BASE_URL = "https://sales.example.test"
    clock.move_to(aware(ATHENS, 2026, 3, 2, 9, 0))

    # when the worker runs on Monday at 09:00 in Athens: its minute's steps queue the digest, which is
    # delivered once the step's transaction has committed
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()
    run_worker()

    [(recipients, message)] = smtp_inbox.received
    assert recipients == ["eleni@seller.test"]
    assert message["Subject"] == "Athens: your team's week of 2 March"
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    text, html = text_part.get_content().replace("\r\n", "\n"), html_part.get_content()
    assert text.startswith("Hello Eleni,\n\nhere is how your team stands in the week of Monday 2 March 2026")
    # the team's numbers for the quarter
    assert "== Team Athens, 2026-Q1 ==" in text
    for line in ("Quota: €100,000", "Won: €30,000", "Attainment: 30%"):
        assert line in text
    # what changed in the last seven days: attainment a week ago was 20,000 ÷ 100,000
    assert "- Won €10,000 in 1 deal\n" in text
    assert "- Attainment 30%, a week ago 20%\n" in text
    assert "- 1 new deal (€5,000)\n" in text
    assert "- 1 deal lost (€3,000)\n" in text
    # each member's line, and the rep's first advice
    assert "Nikos Papadakis\nAttainment 50% (€30,000 of €60,000)" in text
    assert "This week — won: €10,000 (1); new deals: 0; lost deals: 0" in text
    assert "Maria Lagou\nAttainment 0% (€0 of €40,000)" in text
    assert "This week — won: €0 (0); new deals: 1; lost deals: 1" in text
    assert "Plan a next step on 1 open deal with nothing scheduled: “Acme: 20 licences” (€12,000)" in text
    # links into the app, from the configured address
    assert "https://sales.example.test/numbers/?team=Athens&period=2026-Q1" in text
    assert "https://sales.example.test/numbers/?user=rep&period=2026-Q1" in text
    assert "https://sales.example.test/team/?team=Athens" in text
    assert "https://sales.example.test/team/advice/rep/" in text
    assert "https://sales.example.test/me/" in text
    assert '<a href="https://sales.example.test/numbers/?team=Athens&amp;period=2026-Q1">' in html
    assert "Acme: 20 licences" in html and "<h2" in html


def test_one_email_covers_every_team_the_manager_leads(
    athens_manager: User,
    clock: time_machine.Coordinates,
    django_capture_on_commit_callbacks: Any,
) -> None:
    Team.objects.create(name="Thessaloniki", manager=athens_manager)
    UserFactory(
        username="kostas", first_name="Kostas", last_name="Dimou", team=Team.objects.get(name="Thessaloniki")
    )

    assert run(clock, aware(ATHENS, 2026, 3, 2, 9, 0), django_capture_on_commit_callbacks) == 1

    email = SentEmail.objects.get()
    assert email.subject == "Athens, Thessaloniki: your teams' week of 2 March"
    assert email.body_text.index("Team Athens") < email.body_text.index("Team Thessaloniki")
    assert "Kostas Dimou" in email.body_text


def test_a_greek_managers_digest_is_in_greek_advice_included_whatever_the_reps_language(
    athens_week: dict[str, Deal],
    athens_manager: User,
    rep: User,
    clock: time_machine.Coordinates,
    django_capture_on_commit_callbacks: Any,
) -> None:
    athens_manager.language = "el"
    athens_manager.save()
    assert rep.language == ""

    assert run(clock, aware(ATHENS, 2026, 3, 2, 9, 0), django_capture_on_commit_callbacks) == 1

    email = SentEmail.objects.get()
    assert email.language == "el"
    assert "2 Μαρτίου" in email.subject
    assert "Δευτέρα 2 Μαρτίου 2026" in email.body_text
    # amounts as Greeks write them, in the team's numbers and in the rep's advice alike
    assert "Στόχος: €100.000" in email.body_text and "€100,000" not in email.body_text
    assert "“Acme: 20 licences” (€12.000)" in email.body_text


# --- what it costs ------------------------------------------------------------------------------------------

# A digest costs, besides the advice: the manager's teams (1); for each team, the team and its active
# members (numbers_scope, 2), the team's numbers (numbers_report: 11 for this team) and the week's won,
# new and lost deals (1, grouped by owner); then the key's check and the insert with the savepoint pair
# of its transaction (4).
WEEKLY_DIGEST_FIXED_QUERIES = 1 + 2 + 11 + 1 + 4
# The advice engine counts each rep's facts on its own (coaching.selectors.advice_facts, some twenty-odd
# queries a rep): the only part of a digest that grows with the number of reps. For the Athens team of
# two reps, all told:
WEEKLY_DIGEST_QUERIES_TWO_REPS = 70


def _advice_queries(manager: User, rep: User, now: dt.datetime) -> int:
    with CaptureQueriesContext(connection) as queries:
        advice_facts(actor=manager, user=rep, now=now)
    return len(queries)


def _digest_queries(manager: User, now: dt.datetime, capture: Any) -> int:
    SentEmail.objects.all().delete()
    with CaptureQueriesContext(connection) as queries, capture(execute=False):
        assert weekly_digest_send(manager=manager, now=now) is not None
    return len(queries)


def test_one_digest_costs_a_fixed_number_of_queries_plus_the_advice_of_each_rep(
    athens_week: dict[str, Deal],
    athens_manager: User,
    team: Team,
    rep: User,
    teammate: User,
    clock: time_machine.Coordinates,
    make_deal: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    now = aware(ATHENS, 2026, 3, 2, 9, 0)
    clock.move_to(now)
    two_reps = _digest_queries(athens_manager, now, django_capture_on_commit_callbacks)
    advice = _advice_queries(athens_manager, rep, now) + _advice_queries(athens_manager, teammate, now)
    assert two_reps == WEEKLY_DIGEST_QUERIES_TWO_REPS == WEEKLY_DIGEST_FIXED_QUERIES + advice

    # given a third rep with deals of their own
    third = UserFactory(username="third", team=team)
    for number in range(1, 6):
        make_deal(third, title=f"Deal {number}", value=1000 * number)

    # then the digest costs that rep's advice more, and nothing else
    three_reps = _digest_queries(athens_manager, now, django_capture_on_commit_callbacks)
    assert three_reps == two_reps + _advice_queries(athens_manager, third, now)


# --- the preference -----------------------------------------------------------------------------------------


def test_a_manager_turns_it_off_on_the_preferences_page(browser_of: Any, manager: User) -> None:
    browser = browser_of(manager)
    page = browser.get("/me/").content.decode()
    assert re.search(r'name="weekly_digest"[^>]*checked', page)

    response = browser.post(
        "/me/",
        {
            "time_zone": "Europe/Athens",
            "workday_starts_at": "09:00",
            "workday_ends_at": "17:00",
            "working_weekdays": ["1", "2", "3", "4", "5"],
            "language": "",
            "daily_digest": "on",
            "prospect_reminder_emails": "team",
        },
    )

    assert response.status_code == 302
    manager.refresh_from_db()
    assert (manager.weekly_digest, manager.daily_digest) == (False, True)


def test_the_api_shows_and_changes_it(manager: User) -> None:
    _, raw = token_create(user=manager, name="tests")
    client = Client(headers={"Authorization": f"Bearer {raw}"})

    before = client.get("/api/v1/users/me").json()["weekly_digest"]
    changed = client.patch("/api/v1/users/me", {"weekly_digest": False}, content_type="application/json")
    refused = client.patch("/api/v1/users/me", {"weekly_digest": None}, content_type="application/json")

    assert before is True
    assert changed.status_code == 200 and changed.json()["weekly_digest"] is False
    assert refused.status_code == 422 and "weekly_digest" in refused.json()["error"]["fields"]
    manager.refresh_from_db()
    assert manager.weekly_digest is False
