"""Email goes out through a real SMTP server, in the recipient's language, once and only once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from icalendar import Calendar

from salespipe.activities.models import Activity
from salespipe.activities.services import activity_schedule
from salespipe.core.errors import InvalidInput
from salespipe.notifications import services
from salespipe.notifications.models import EmailStatus, SentEmail
from salespipe.notifications.services import Attachment, appointment_reminder_send, email_send
from salespipe.people.models import User
from tests.factories import PersonFactory
from tests.notifications.conftest import Inbox, aware, free_port, point_mail_at, race, send_to_port


@pytest.fixture
def meeting(rep: User, make_deal: Any, confirm_decision_maker: Any) -> Activity:
    """A 45-minute meeting with Maria of Acme, on Monday 2 March 2026 at 10:00 in Athens. Daily and weekly
    digests are off for everyone: these tests run the worker on the real clock, which may be someone's
    morning."""
    rep.first_name, rep.last_name, rep.email = "Nikos", "Papadakis", "nikos@seller.test"
    rep.time_zone = "Europe/Athens"
    rep.save()
    User.objects.update(daily_digest=False, weekly_digest=False)
    deal = make_deal(rep, title="Acme: 20 licences")
    confirm_decision_maker(deal)
    person = PersonFactory(first_name="Maria", last_name="Georgiou", email="maria@acme.test")
    return activity_schedule(
        actor=rep,
        kind="meeting",
        subject="Product walkthrough",
        due_at=aware("Europe/Athens", 2026, 3, 2, 10, 0),
        duration_minutes=45,
        deal_id=deal.pk,
        person_id=person.pk,
    )


def test_a_reminder_reaches_the_prospect_over_smtp_with_the_appointment_as_an_ics_attachment(
    meeting: Activity, smtp_inbox: Inbox, run_worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given the reminder is queued in a transaction that commits
    with django_capture_on_commit_callbacks(execute=True):
        queued = appointment_reminder_send(meeting=meeting)
    assert queued is not None and not smtp_inbox.received

    # when the worker runs
    ran = run_worker()

    # then the SMTP server got one message for Maria
    assert ran >= 1
    [(recipients, message)] = smtp_inbox.received
    assert recipients == ["maria@acme.test"]
    assert message["To"] == "maria@acme.test"
    assert message["From"] == django_settings.DEFAULT_FROM_EMAIL
    assert message["Subject"] == "Reminder: our appointment on Monday 2 March 2026, 10:00"
    assert message["Auto-Submitted"] == "auto-generated"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "Dear Maria Georgiou," in text.get_content()
    assert "Monday 2 March 2026, 10:00 (EET)" in text.get_content()
    assert "Topic: Product walkthrough" in text.get_content()
    assert "Nikos Papadakis" in text.get_content()
    assert "<p>Dear Maria Georgiou,</p>" in html.get_content()
    # and the attachment is the meeting, in the rep's zone
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "appointment.ics"
    assert attachment.get_content_type() == "text/calendar"
    [event] = Calendar.from_ical(attachment.get_content()).events
    assert event.start == aware("Europe/Athens", 2026, 3, 2, 10, 0)
    assert event.start.tzinfo.key == "Europe/Athens"  # type: ignore[union-attr]
    assert event.end - event.start == dt.timedelta(minutes=45)
    assert str(event["SUMMARY"]) == "Product walkthrough – Acme: 20 licences"
    # and the outbox row says so
    stored = SentEmail.objects.get(pk=queued.pk)
    assert stored.status == EmailStatus.SENT and stored.sent_at is not None and stored.attempts == 1


def test_a_reminder_in_greek_is_translated_with_greek_dates(
    meeting: Activity, smtp_inbox: Inbox, run_worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        appointment_reminder_send(meeting=meeting, language="el")

    run_worker()

    [message] = smtp_inbox.messages
    # Django 5.2 folds an encoded subject onto a continuation line, which the parser keeps as a leading space
    assert message["Subject"].strip() == "Υπενθύμιση: το ραντεβού μας, Δευτέρα 2 Μαρτίου 2026, 10:00"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    assert "Αγαπητέ/ή Maria Georgiou," in body.get_content()
    assert "Δευτέρα 2 Μαρτίου 2026, 10:00" in body.get_content()


def test_the_same_email_queued_twice_is_sent_once(
    meeting: Activity, smtp_inbox: Inbox, run_worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given a job that ran twice (a retry, a restart) and queued the same reminder both times
    with django_capture_on_commit_callbacks(execute=True):
        first = appointment_reminder_send(meeting=meeting)
        second = appointment_reminder_send(meeting=meeting)
    # and the delivery task that was run twice
    run_worker()
    services.email_deliver(key=services.appointment_reminder_key(meeting))

    assert first is not None and second is None
    assert len(smtp_inbox.received) == 1
    assert SentEmail.objects.count() == 1


def test_a_rescheduled_meeting_gets_a_reminder_for_its_new_time(
    meeting: Activity, smtp_inbox: Inbox, run_worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        appointment_reminder_send(meeting=meeting)
        meeting.due_at = aware("Europe/Athens", 2026, 3, 3, 11, 0)
        appointment_reminder_send(meeting=meeting)

    run_worker()

    assert len(smtp_inbox.received) == 2


def test_an_email_is_not_sent_when_the_transaction_that_queued_it_rolls_back(
    meeting: Activity, smtp_inbox: Inbox, run_worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    def change_that_fails() -> None:
        with transaction.atomic():
            appointment_reminder_send(meeting=meeting)
            raise RuntimeError("the service refused the change")

    # given the change that queued the reminder fails afterwards
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        change_that_fails()

    run_worker()

    assert smtp_inbox.received == []
    assert not SentEmail.objects.exists()


def test_a_failed_delivery_is_kept_and_retried_later_until_it_goes_out(
    meeting: Activity,
    smtp_inbox: Inbox,
    settings: Any,
    run_worker: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given the mail server is down when the reminder is first sent
    send_to_port(settings, free_port())
    with django_capture_on_commit_callbacks(execute=True):
        queued = appointment_reminder_send(meeting=meeting)
    assert queued is not None
    run_worker()
    failed = SentEmail.objects.get(pk=queued.pk)
    assert failed.status == EmailStatus.FAILED and failed.attempts == 1
    assert "ConnectionRefusedError" in failed.last_error
    assert failed.next_attempt_at is not None and failed.claimed_at is not None
    assert failed.next_attempt_at - failed.claimed_at == dt.timedelta(minutes=2)

    # when the server is back and the retry pause is over
    send_to_port(settings, smtp_inbox.port)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.email_retry_due(now=failed.next_attempt_at - dt.timedelta(seconds=1)) == 0
        retried = services.email_retry_due(now=failed.next_attempt_at)
    run_worker()

    # then it goes out once
    assert retried == 1
    assert len(smtp_inbox.received) == 1
    assert SentEmail.objects.get(pk=queued.pk).status == EmailStatus.SENT


def test_without_a_mail_server_mail_is_written_to_the_data_directory(
    meeting: Activity, settings: Any, tmp_path: Path, run_worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given the default setup: no EMAIL_URL, so the file backend under $SALESPIPE_HOME/mail
    from salespipe import settings as project_settings

    backend, options = project_settings._mailer()
    assert backend == "django.core.mail.backends.filebased.EmailBackend"
    assert options == {"file_path": str(project_settings.SALESPIPE_HOME / "mail")}
    mail_dir = tmp_path / "mail"
    point_mail_at(settings, backend, {"file_path": str(mail_dir)})

    with django_capture_on_commit_callbacks(execute=True):
        appointment_reminder_send(meeting=meeting)
    run_worker()

    [written] = list(mail_dir.iterdir())
    content = written.read_text()
    assert "To: maria@acme.test" in content
    assert "appointment.ics" in content


def test_an_admin_overrides_an_email_template_from_the_data_directory(settings: Any, tmp_path: Path) -> None:
    # given the data directory's templates come first
    assert django_settings.TEMPLATES[0]["DIRS"][0] == django_settings.SALESPIPE_HOME / "templates"
    override = tmp_path / "notifications" / "email" / "appointment_reminder.txt"
    override.parent.mkdir(parents=True)
    override.write_text("Hi {{ person_name }}, see you soon. {{ rep_name }}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"][1:]]}]

    text, html = services.email_render(
        template="appointment_reminder",
        context={"person_name": "Maria", "rep_name": "Nikos", "starts_at": dt.datetime.now(dt.UTC)},
        language="en",
    )

    assert text == "Hi Maria, see you soon. Nikos\n"
    assert "Dear Maria" in html  # the built-in HTML part is still there


@pytest.mark.django_db
def test_bad_recipients_and_languages_are_refused_and_nothing_is_queued() -> None:
    common: dict[str, Any] = {
        "key": "test:1",
        "subject": "Hello",
        "template": "appointment_reminder",
        "context": {"starts_at": dt.datetime.now(dt.UTC)},
    }
    with pytest.raises(InvalidInput, match="not an email address"):
        email_send(to=["not an address"], language="en", **common)
    with pytest.raises(InvalidInput, match="at least one recipient"):
        email_send(to=[], language="en", **common)
    with pytest.raises(InvalidInput, match="Language must be one of"):
        email_send(to=["a@b.test"], language="xx", **common)
    assert not SentEmail.objects.exists()


@pytest.mark.django_db
def test_attachments_and_a_subject_with_line_breaks_are_kept_safely(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        queued = email_send(
            key="test:attachments",
            to=["Maria <maria@acme.test>"],
            subject="Offer\r\nBcc: everyone@example.test",
            template="appointment_reminder",
            context={"starts_at": dt.datetime.now(dt.UTC)},
            language="en",
            attachments=[Attachment("offer.pdf", b"%PDF-1.4 \x00\xff", "application/pdf")],
        )

    assert queued is not None
    message = services._message(queued)
    assert message.subject == "Offer Bcc: everyone@example.test"
    assert message.attachments[0][1] == b"%PDF-1.4 \x00\xff"  # type: ignore[index]


# --- two workers at once, on the real database --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_queueing_the_same_email_at_the_same_moment_send_it_once(
    meeting: Activity, smtp_inbox: Inbox, run_worker: Any
) -> None:
    # when two workers run the same reminder job at once
    results = race(lambda: appointment_reminder_send(meeting=Activity.objects.get(pk=meeting.pk)))
    run_worker()

    # then one of them queued it, and it went out once
    assert sorted(result is None for result in results) == [False, True]
    assert len(smtp_inbox.received) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_the_same_email_at_the_same_moment_send_it_once(
    meeting: Activity, smtp_inbox: Inbox
) -> None:
    # given a queued reminder whose delivery task two workers picked up at once
    queued = appointment_reminder_send(meeting=meeting)
    assert queued is not None

    # when both deliver it
    results = race(lambda: services.email_deliver(key=queued.key), times=4)

    # then exactly one sent it
    assert sorted(results) == ["sent", "skipped", "skipped", "skipped"]
    assert len(smtp_inbox.received) == 1
    assert SentEmail.objects.get(pk=queued.pk).status == EmailStatus.SENT
