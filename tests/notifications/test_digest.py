"""The daily digest: each rep's agenda by email at the start of their own working day, once a day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salespipe.activities.models import Activity
from salespipe.activities.services import (
    activity_cancel,
    activity_record,
    activity_schedule,
    info_request_log,
)
from salespipe.notifications.models import SentEmail
from salespipe.notifications.selectors import DIGEST_SECTION_SIZE, digest_key
from salespipe.notifications.services import digests_send_due
from salespipe.people.models import User
from tests.factories import OrganizationFactory, PersonFactory, UserFactory
from tests.notifications.conftest import Inbox, aware

pytestmark = pytest.mark.django_db

SINGAPORE = "Asia/Singapore"  # UTC+8: 09:00 there is 01:00 UTC
NEW_YORK = "America/New_York"  # UTC-5 until 8 March 2026, then UTC-4
TUESDAY = dt.date(2026, 3, 3)


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(utc(2026, 3, 2, 0, 0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def singapore_rep(db: None) -> User:
    return UserFactory(username="wei", first_name="Wei", email="wei@seller.test", time_zone=SINGAPORE)


@pytest.fixture
def new_york_rep(db: None) -> User:
    return UserFactory(username="amy", first_name="Amy", email="amy@seller.test", time_zone=NEW_YORK)


def run(clock: time_machine.Coordinates, moment: dt.datetime, capture: Any) -> int:
    clock.move_to(moment)
    with capture(execute=True):
        return digests_send_due()


def keys() -> list[str]:
    return list(SentEmail.objects.order_by("id").values_list("key", flat=True))


# --- when it is sent ----------------------------------------------------------------------------------------


def test_a_rep_east_of_utc_gets_the_digest_at_the_start_of_their_working_day(
    singapore_rep: User,
    new_york_rep: User,
    clock: time_machine.Coordinates,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # 08:59:59 in Singapore on Tuesday: not yet
    assert run(clock, utc(2026, 3, 3, 0, 59, 59), django_capture_on_commit_callbacks) == 0

    # 09:00 in Singapore, still Monday 20:00 in New York: Wei's Tuesday digest, nothing for Amy
    assert run(clock, utc(2026, 3, 3, 1, 0), django_capture_on_commit_callbacks) == 1

    [email] = SentEmail.objects.all()
    assert email.key == f"digest:{singapore_rep.pk}:2026-03-03"
    assert email.to == ["wei@seller.test"]
    assert email.subject == "Your agenda for Tuesday 3 March"


@pytest.mark.parametrize(
    ("not_yet", "start"),
    [
        (utc(2026, 3, 3, 13, 59, 59), utc(2026, 3, 3, 14, 0)),  # winter: 09:00 EST is 14:00 UTC
        (utc(2026, 3, 10, 12, 59, 59), utc(2026, 3, 10, 13, 0)),  # after 8 March: 09:00 EDT is 13:00 UTC
    ],
)
def test_a_rep_west_of_utc_gets_the_digest_at_nine_on_their_own_wall_clock(
    new_york_rep: User,
    clock: time_machine.Coordinates,
    django_capture_on_commit_callbacks: Any,
    not_yet: dt.datetime,
    start: dt.datetime,
) -> None:
    assert run(clock, not_yet, django_capture_on_commit_callbacks) == 0
    assert run(clock, start, django_capture_on_commit_callbacks) == 1

    assert keys() == [f"digest:{new_york_rep.pk}:{start.date().isoformat()}"]


def test_the_digest_is_sent_once_a_day_however_often_the_worker_runs(
    singapore_rep: User, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    sent = [
        run(clock, moment, django_capture_on_commit_callbacks)
        for moment in (
            utc(2026, 3, 3, 1, 0),
            utc(2026, 3, 3, 1, 1),
            utc(2026, 3, 3, 8, 59),  # 16:59 in Singapore
            utc(2026, 3, 4, 1, 0),  # Wednesday
        )
    ]

    assert sent == [1, 0, 0, 1]
    assert keys() == [f"digest:{singapore_rep.pk}:2026-03-03", f"digest:{singapore_rep.pk}:2026-03-04"]


def test_no_digest_on_days_off_and_none_after_the_working_day_is_over(
    singapore_rep: User,
    new_york_rep: User,
    clock: time_machine.Coordinates,
    django_capture_on_commit_callbacks: Any,
) -> None:
    saturday_morning_in_singapore = utc(2026, 3, 7, 2, 0)
    saturday_morning_in_new_york = utc(2026, 3, 7, 15, 0)
    sunday_noon_everywhere = utc(2026, 3, 8, 12, 0)
    # a worker that was down all of Tuesday's working day, back at 17:00 in Singapore
    tuesday_evening_in_singapore = utc(2026, 3, 3, 9, 0)

    sent = [
        run(clock, moment, django_capture_on_commit_callbacks)
        for moment in (
            saturday_morning_in_singapore,
            saturday_morning_in_new_york,
            sunday_noon_everywhere,
            tuesday_evening_in_singapore,
        )
    ]

    assert sent == [0, 0, 0, 0]


def test_a_rep_who_works_on_saturdays_gets_a_saturday_digest(
    singapore_rep: User, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    singapore_rep.working_weekdays = "123456"
    singapore_rep.save()

    assert run(clock, utc(2026, 3, 7, 2, 0), django_capture_on_commit_callbacks) == 1
    assert keys() == [f"digest:{singapore_rep.pk}:2026-03-07"]


def test_no_digest_for_whoever_turned_it_off_has_no_email_address_or_left(
    clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    UserFactory(time_zone=SINGAPORE, daily_digest=False)
    UserFactory(time_zone=SINGAPORE, email="")
    UserFactory(time_zone=SINGAPORE, is_active=False)

    assert run(clock, utc(2026, 3, 3, 1, 0), django_capture_on_commit_callbacks) == 0
    assert not SentEmail.objects.exists()


def test_a_digest_of_another_day_does_not_stop_todays(
    singapore_rep: User, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    # given Monday's digest went out (the day before, in UTC terms the same date as Tuesday's start)
    assert run(clock, utc(2026, 3, 2, 1, 0), django_capture_on_commit_callbacks) == 1

    assert run(clock, utc(2026, 3, 3, 1, 0), django_capture_on_commit_callbacks) == 1


# --- what it says -------------------------------------------------------------------------------------------


@pytest.fixture
def agenda(
    singapore_rep: User, new_york_rep: User, clock: time_machine.Coordinates, make_deal: Any
) -> dict[str, Activity]:
    """Wei's agenda on Tuesday 3 March at 09:00 in Singapore."""
    clock.move_to(utc(2026, 3, 3, 1, 0))
    deal = make_deal(singapore_rep, title="Acme: 20 licences")
    acme = OrganizationFactory(name="Acme Pte Ltd")
    lee = PersonFactory(first_name="Lee", last_name="Tan", organization=acme)

    def plan(kind: str, subject: str, *parts: int, user: User = singapore_rep, **fields: Any) -> Activity:
        return activity_schedule(
            actor=user, kind=kind, subject=subject, due_at=aware(user.time_zone, *parts), **fields
        )

    activities = {
        "overdue": plan("task", "Send the proposal", 2026, 3, 2, 15, 0, deal_id=deal.pk),
        "today": plan("call", "Call Lee about the budget", 2026, 3, 3, 11, 0, person_id=lee.pk),
        "tomorrow_meeting": plan("meeting", "Contract review", 2026, 3, 4, 10, 0, person_id=lee.pk),
        "tomorrow_demo": plan("demo", "Product demo", 2026, 3, 4, 15, 0, person_id=lee.pk),
        "thursday": plan("meeting", "Thursday lunch", 2026, 3, 5, 12, 0),
        "cancelled": plan("call", "Cancelled call", 2026, 3, 3, 12, 0),
        "others": plan("call", "Amy's call", 2026, 3, 3, 10, 0, user=new_york_rep),
        "late_request": info_request_log(
            actor=singapore_rep,
            subject="Security questionnaire",
            received_at=aware(SINGAPORE, 2026, 2, 27, 10, 0),
            person_id=lee.pk,
        ),
        "request": info_request_log(
            actor=singapore_rep,
            subject="Price list for 50 seats",
            received_at=aware(SINGAPORE, 2026, 3, 2, 16, 0),
        ),
        "done": activity_record(actor=singapore_rep, kind="call", subject="Early call", outcome="connected"),
    }
    activity_cancel(actor=singapore_rep, activity_id=activities["cancelled"].pk)
    return activities


def test_the_digest_lists_overdue_today_unanswered_requests_and_tomorrows_appointments(
    agenda: dict[str, Activity],
    singapore_rep: User,
    clock: time_machine.Coordinates,
    settings: Any,
    smtp_inbox: Inbox,
    run_worker: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.BASE_URL = "https://sales.example.test"

    assert run(clock, utc(2026, 3, 3, 1, 0), django_capture_on_commit_callbacks) == 1
    run_worker()

    [(recipients, message)] = smtp_inbox.received
    assert recipients == ["wei@seller.test"]
    assert message["Subject"] == "Your agenda for Tuesday 3 March"
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    text, html = text_part.get_content().replace("\r\n", "\n"), html_part.get_content()
    assert text.startswith("Hello Wei,\n\nhere is your agenda for Tuesday 3 March 2026.")
    # the sections in order, each with its count, times on Wei's clock
    sections = [
        "Overdue (1)",
        "Today (3)",
        "Information requests to answer (2)",
        "Tomorrow's appointments (2)",
    ]
    positions = [text.index(section) for section in sections]
    assert positions == sorted(positions)
    deal_link = f"https://sales.example.test/deals/{agenda['overdue'].deal_id}/"
    assert f"- Mon 2 Mar, 15:00  Task: Send the proposal (Acme: 20 licences)\n  {deal_link}\n" in text
    assert f'<a href="{deal_link}">Send the proposal</a>' in html
    assert "- 11:00  Call: Call Lee about the budget" in text
    # scheduling tomorrow's meeting gave Wei a call and an email to confirm it, today at 09:00
    assert "- 09:00  Call: Call to confirm the appointment: Contract review" in text
    assert "- 09:00  Email: Email to confirm the appointment: Contract review" in text
    # the late request first, marked, with its deadline
    late = text.index("- OVERDUE answer by Fri 27 Feb, 14:00: Security questionnaire, Lee Tan")
    assert late < text.index("- answer by Tue 3 Mar, 12:00: Price list for 50 seats")
    assert "- 10:00  Meeting: Contract review, Lee Tan, Acme Pte Ltd" in text
    assert "- 15:00  Demo: Product demo, Lee Tan, Acme Pte Ltd" in text
    # and not: Thursday's meeting, the cancelled or done calls, someone else's call
    for absent in ("Thursday lunch", "Cancelled call", "Early call", "Amy's call"):
        assert absent not in text and absent not in html
    # links start with the configured address
    assert "Your agenda: https://sales.example.test/agenda/" in text
    assert "https://sales.example.test/me/" in text
    assert '<a href="https://sales.example.test/agenda/">' in html
    assert "<h2" in html and "Security questionnaire" in html


def test_a_long_section_lists_twenty_and_says_how_many_more(
    singapore_rep: User, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    clock.move_to(utc(2026, 3, 3, 1, 0))
    for day in range(DIGEST_SECTION_SIZE + 3):
        activity_schedule(
            actor=singapore_rep,
            kind="task",
            subject=f"Old task {day:02}",
            due_at=aware(SINGAPORE, 2026, 2, 1, 9, 0) + dt.timedelta(days=day),
        )

    run(clock, utc(2026, 3, 3, 1, 0), django_capture_on_commit_callbacks)

    text = SentEmail.objects.get().body_text
    assert "Overdue (23)" in text
    assert text.count("Task: Old task") == DIGEST_SECTION_SIZE
    assert "Old task 00" in text and "Old task 20" not in text
    assert "... and 3 more" in text


def test_an_empty_agenda_still_gets_a_digest_that_says_so(
    singapore_rep: User, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    run(clock, utc(2026, 3, 3, 1, 0), django_capture_on_commit_callbacks)

    text = SentEmail.objects.get().body_text
    assert "Nothing is overdue and nothing is planned for today." in text
    assert "Overdue (" not in text


def test_the_digest_is_written_in_the_reps_language_and_time_zone(
    singapore_rep: User, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    singapore_rep.language = "el"
    singapore_rep.save()

    run(clock, utc(2026, 3, 3, 1, 0), django_capture_on_commit_callbacks)

    email = SentEmail.objects.get()
    assert email.language == "el"
    assert "Τρίτη 3 Μαρτίου" in email.subject


# --- what it costs ------------------------------------------------------------------------------------------

# One query finds who is due (and whose digest went out already).
DIGEST_FIND_QUERIES = 1
# Per digest: the four sections (each its list and total in one query), the key's check and the insert;
# in a test, which runs in a transaction, also the savepoints of the digest's transaction and of the
# insert, and their releases.
DIGEST_QUERIES_PER_USER = 10


def test_the_digest_costs_the_same_queries_whatever_the_backlog(
    clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    clock.move_to(utc(2026, 3, 2, 1, 0))
    light, heavy = (UserFactory(time_zone=SINGAPORE) for _ in range(2))
    activity_schedule(actor=light, kind="call", due_at=aware(SINGAPORE, 2026, 3, 3, 11, 0))
    for hour in range(40):
        moment = aware(SINGAPORE, 2026, 2, 20, 9, 0) + dt.timedelta(hours=hour * 7)
        activity_schedule(actor=heavy, kind="call", due_at=moment)
        info_request_log(actor=heavy, received_at=utc(2026, 2, 20, 1, 0) + dt.timedelta(hours=hour))
        activity_schedule(
            actor=heavy, kind="demo", due_at=aware(SINGAPORE, 2026, 3, 4, 9, 0) + dt.timedelta(minutes=hour)
        )

    def queries_for(users: list[User], moment: dt.datetime, *, sent: int) -> int:
        User.objects.exclude(pk__in=[user.pk for user in users]).update(daily_digest=False)
        User.objects.filter(pk__in=[user.pk for user in users]).update(daily_digest=True)
        clock.move_to(moment)
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=False):
            assert digests_send_due() == sent
        return len(queries)

    one_digest = DIGEST_FIND_QUERIES + DIGEST_QUERIES_PER_USER
    assert queries_for([light], utc(2026, 3, 3, 1, 0), sent=1) == one_digest
    assert queries_for([heavy], utc(2026, 3, 3, 1, 0), sent=1) == one_digest
    two_digests = DIGEST_FIND_QUERIES + 2 * DIGEST_QUERIES_PER_USER
    assert queries_for([light, heavy], utc(2026, 3, 4, 1, 0), sent=2) == two_digests
    # and whoever had theirs costs nothing more
    assert queries_for([light, heavy], utc(2026, 3, 4, 2, 0), sent=0) == DIGEST_FIND_QUERIES
    assert digest_key(user_id=heavy.pk, day=TUESDAY) in keys()
