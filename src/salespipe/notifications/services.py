"""Sending email exactly once, the private calendar feed's secret, and what the worker sends when it
falls due (prospects' appointment reminders, daily digests, managers' weekly digests).

An email goes through three steps, each safe to repeat:

1. `email_send` renders it in the recipient's language and inserts it under its idempotency key, in the
   caller's transaction. The key is unique in the database, so whoever inserts it second (a job retried,
   a second worker running the same job) gets nothing to send.
2. Once the transaction commits, the `email_deliver` task is enqueued (`salespipe worker` runs it).
3. `email_deliver` claims the row (queued or failed → sending) with one conditional UPDATE, so of two
   workers handed the same task only one sends; it then sends through Django's mail API and marks the
   row sent, or failed (retried later with a growing pause, see `email_retry_due`).

A worker that dies between claiming and sending leaves the row "sending": it is never sent again, since
nobody can tell whether the server took it. At most once, never twice.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal, format_percent
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy, ngettext

from salespipe.activities.models import Activity, ActivityPurpose
from salespipe.analytics.advice import HIGH, LOW, MEDIUM
from salespipe.analytics.forecast import ThreeNumbers
from salespipe.core.errors import InvalidInput
from salespipe.core.money import money_text
from salespipe.core.tasks import enqueue_on_commit
from salespipe.notifications import selectors
from salespipe.notifications.calendar import activity_ics
from salespipe.notifications.models import CalendarFeed, EmailStatus, SentEmail
from salespipe.people.models import User

logger = logging.getLogger(__name__)

EMAIL_TEMPLATE_DIR = "notifications/email"
# A failed email is tried again after 2, 4, 8, 16 minutes; after the fifth attempt it stays failed.
EMAIL_MAX_ATTEMPTS = 5
# A queued email whose task never ran (the process died before it could enqueue it) is re-enqueued
# after this long; a second delivery task for an email is harmless, the claim lets one of them send.
EMAIL_QUEUED_WATCHDOG = dt.timedelta(minutes=10)
EMAIL_RETRY_BATCH = 200
EMAIL_KEY_LENGTH = 200


@dataclass(frozen=True)
class Attachment:
    """A file sent with an email, e.g. `Attachment("meeting.ics", ics_bytes, "text/calendar")`."""

    filename: str
    content: bytes | str
    mimetype: str = "application/octet-stream"


def _recipients(to: Sequence[str]) -> list[str]:
    addresses = [address.strip() for address in ([to] if isinstance(to, str) else to) if address.strip()]
    if not addresses:
        raise InvalidInput("An email needs at least one recipient.", fields={"to": "required"})
    for address in addresses:
        try:
            validate_email(parseaddr(address)[1])
        except ValidationError as error:
            raise InvalidInput(
                f"'{address}' is not an email address.", fields={"to": "invalid address"}
            ) from error
    return addresses


def app_url(path: str) -> str:
    """An absolute link into the app, for emails and calendar apps, which have no request to ask."""
    return f"{settings.BASE_URL}{path}"


def user_language(user: User) -> str:
    """The language of emails to the user and their prospects: their own, else the site's."""
    known = {code for code, _ in settings.LANGUAGES}
    return user.language if user.language in known else settings.LANGUAGE_CODE


def _language(language: str) -> str:
    known = {code for code, _ in settings.LANGUAGES}
    if language not in known:
        raise InvalidInput(
            f"Language must be one of: {', '.join(sorted(known))}.", fields={"language": "unknown"}
        )
    return language


def email_render(
    *, template: str, context: Mapping[str, Any], language: str, time_zone: str | None = None
) -> tuple[str, str]:
    """The text and HTML bodies of `notifications/email/<template>.txt|.html`, in that language and with
    times in that zone. The HTML one is optional. An admin's copy under $SALESPIPE_HOME/templates wins."""
    zone = ZoneInfo(time_zone) if time_zone else timezone.get_current_timezone()
    with translation.override(_language(language)), timezone.override(zone):
        text = str(render_to_string(f"{EMAIL_TEMPLATE_DIR}/{template}.txt", dict(context)))
        try:
            html = str(render_to_string(f"{EMAIL_TEMPLATE_DIR}/{template}.html", dict(context)))
        except TemplateDoesNotExist:
            html = ""
    return text.strip() + "\n", html


def email_send(
    *,
    key: str,
    to: Sequence[str],
    subject: str,
    template: str,
    context: Mapping[str, Any],
    language: str,
    attachments: Sequence[Attachment] = (),
    time_zone: str | None = None,
) -> SentEmail | None:
    """Queue an email to be sent once the caller's transaction commits; None if `key` was queued before.

    `key` names the email in the domain so that the same email is never sent twice, e.g.
    `reminder:activity:42:prospect` or `digest:user:7:2026-03-02`. `subject` is translated when it is a
    lazy string; `context` feeds the templates; `time_zone` is the zone times are shown in."""
    key = key.strip()
    if not 0 < len(key) <= EMAIL_KEY_LENGTH:
        raise InvalidInput(
            f"An email needs a key of 1-{EMAIL_KEY_LENGTH} characters.", fields={"key": "invalid"}
        )
    recipients = _recipients(to)
    if SentEmail.objects.filter(key=key).exists():
        return None
    body_text, body_html = email_render(
        template=template, context=context, language=language, time_zone=time_zone
    )
    with translation.override(language):
        # Header lines cannot hold line breaks; a long subject is cut rather than refused.
        subject_line = " ".join(str(subject).split())[:255]
    try:
        with transaction.atomic():
            email = SentEmail.objects.create(
                key=key,
                template=template,
                language=language,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=recipients,
                subject=subject_line,
                body_text=body_text,
                body_html=body_html,
                attachments=[_stored_attachment(attachment) for attachment in attachments],
                created_at=timezone.now(),
                next_attempt_at=timezone.now() + EMAIL_QUEUED_WATCHDOG,
            )
    except IntegrityError:
        # Another transaction inserted the same key first (and has committed): it sends the email.
        return None
    from salespipe.notifications.tasks import email_deliver

    enqueue_on_commit(email_deliver, email.key)
    return email


def _stored_attachment(attachment: Attachment) -> dict[str, str]:
    content = attachment.content.encode() if isinstance(attachment.content, str) else attachment.content
    return {
        "filename": attachment.filename,
        "mimetype": attachment.mimetype,
        "content_base64": base64.b64encode(content).decode("ascii"),
    }


def _message_id(key: str, from_email: str) -> str:
    # The same email always carries the same Message-ID, so even a mail server that got it twice (which
    # the claim prevents) would show it once.
    domain = parseaddr(from_email)[1].rpartition("@")[2] or "salespipe.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def _message(email: SentEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=email.from_email,
        to=list(email.to),
        headers={
            "Message-ID": _message_id(email.key, email.from_email),
            # RFC 3834: an automatic message, so out-of-office replies are not sent back to it.
            "Auto-Submitted": "auto-generated",
        },
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for attachment in email.attachments:
        message.attach(
            attachment["filename"], base64.b64decode(attachment["content_base64"]), attachment["mimetype"]
        )
    return message


def email_deliver(*, key: str) -> str:
    """Send a queued email if no one else is sending or has sent it: `sent`, or `skipped`.

    Runs in the worker, outside any transaction, so the claim is committed before the mail server is
    contacted; a failure marks the email failed and re-raises, so the task shows as failed too."""
    now = timezone.now()
    claimed = SentEmail.objects.filter(key=key, status__in=[EmailStatus.QUEUED, EmailStatus.FAILED]).update(
        status=EmailStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1, next_attempt_at=None
    )
    if not claimed:
        return "skipped"
    email = SentEmail.objects.get(key=key)
    try:
        _message(email).send()
    except Exception as error:
        retry_at = (
            now + dt.timedelta(minutes=2**email.attempts) if email.attempts < EMAIL_MAX_ATTEMPTS else None
        )
        SentEmail.objects.filter(pk=email.pk).update(
            status=EmailStatus.FAILED,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            next_attempt_at=retry_at,
        )
        logger.warning("Email %s failed (attempt %d): %s", key, email.attempts, error)
        raise
    SentEmail.objects.filter(pk=email.pk).update(status=EmailStatus.SENT, sent_at=timezone.now())
    return "sent"


def email_retry_due(*, now: dt.datetime | None = None) -> int:
    """Enqueue delivery again for failed emails whose pause is over and for queued emails whose task seems
    lost; returns how many. Each gets a new pause first, so the next sweep does not enqueue it again."""
    now = now or timezone.now()
    due = list(
        SentEmail.objects.filter(
            Q(status__in=[EmailStatus.QUEUED, EmailStatus.FAILED]), next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("pk", "key")[:EMAIL_RETRY_BATCH]
    )
    if not due:
        return 0
    from salespipe.notifications.tasks import email_deliver

    with transaction.atomic():
        SentEmail.objects.filter(pk__in=[pk for pk, _ in due]).update(
            next_attempt_at=now + EMAIL_QUEUED_WATCHDOG
        )
        for _, key in due:
            enqueue_on_commit(email_deliver, key)
    return len(due)


# --- the calendar feed --------------------------------------------------------------------------------------


def _feed_secret() -> str:
    # 32 random bytes: 43 URL-safe characters that nobody guesses.
    return secrets.token_urlsafe(32)


@transaction.atomic
def calendar_feed_get_or_create(*, user: User) -> CalendarFeed:
    """The user's calendar feed, created with a new secret on first use."""
    feed, _ = CalendarFeed.objects.get_or_create(
        user=user, defaults={"secret": _feed_secret(), "created_at": timezone.now()}
    )
    return feed


@transaction.atomic
def calendar_feed_rotate(*, user: User) -> CalendarFeed:
    """Give the user's feed a new secret: the old URL stops working at once (404) everywhere."""
    feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
    if feed is None:
        return calendar_feed_get_or_create(user=user)
    feed.secret = _feed_secret()
    feed.rotated_at = timezone.now()
    feed.save(update_fields=["secret", "rotated_at"])
    return feed


# --- ready-made emails --------------------------------------------------------------------------------------


def appointment_reminder_key(meeting: Activity) -> str:
    """One reminder per meeting and time: a rescheduled meeting gets a reminder for its new time."""
    due = meeting.due_at.astimezone(dt.UTC) if meeting.due_at else None
    return (
        f"appointment-reminder:{meeting.pk}:{due:%Y%m%dT%H%MZ}"
        if due
        else f"appointment-reminder:{meeting.pk}"
    )


def appointment_reminder_send(*, meeting: Activity, language: str | None = None) -> SentEmail | None:
    """Email the meeting's person a short reminder with the appointment as an .ics attachment, in the
    owner's time zone and signed by the owner. None if it was queued before or the person has no email
    address. The template is `notifications/email/appointment_reminder` (editable, translated)."""
    person = meeting.person
    if person is None or not person.email or meeting.due_at is None:
        return None
    owner = meeting.owner
    language = language or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(owner.zone):
        # "Monday 2 March 2026, 10:00"; E is the month's name as it stands in a date (Greek: "Μαρτίου").
        when = date_format(timezone.localtime(meeting.due_at), "l j E Y, H:i")
        subject = gettext("Reminder: our appointment on %(when)s") % {"when": when}
    return email_send(
        key=appointment_reminder_key(meeting),
        to=[person.email],
        subject=subject,
        template="appointment_reminder",
        context={
            "person_name": person.full_name,
            "starts_at": meeting.due_at,
            "topic": meeting.subject if meeting.subject != meeting.get_kind_display() else "",
            "rep_name": str(owner),
            "rep_email": owner.email,
        },
        language=language,
        time_zone=owner.time_zone,
        attachments=[
            Attachment(
                "appointment.ics", activity_ics(meeting, zone=owner.zone, now=timezone.now()), "text/calendar"
            )
        ],
    )


# --- what falls due: the steps of the worker's minute ----------------------------------------------------

# Each run handles at most this many of each; the rest waits a minute for the next run.
PROSPECT_REMINDER_BATCH = 200
DIGEST_BATCH = 200


def prospect_email_wanted(reminder: Activity, *, now: dt.datetime) -> bool:
    """Whether a `meeting_email` reminder falling due emails the prospect: the reminder and its meeting
    are still planned, the meeting is still ahead, its owner (active) emails their prospects (their own
    choice, else their team's) and the meeting's person has an email address. Needs the reminder's
    parent with its owner, team and person loaded."""
    meeting = reminder.parent
    return (
        reminder.is_planned
        and meeting is not None
        and meeting.is_planned
        and meeting.due_at is not None
        and meeting.due_at > now
        and meeting.owner.is_active
        and meeting.owner.emails_prospects
        and meeting.person is not None
        and bool(meeting.person.email)
    )


def prospect_reminders_send_due(*, now: dt.datetime | None = None) -> int:
    """Act on `meeting_email` reminders that have fallen due and were not looked at yet: email the
    prospect a reminder of the appointment when `prospect_email_wanted`, and in every case mark the
    reminder notified, so each is looked at once. Returns how many emails were queued.

    Safe with any number of workers: each reminder is claimed with one conditional UPDATE of
    `notified_at` in the transaction that queues its email, so only the worker whose UPDATE changed the
    row acts (on PostgreSQL the other waits for that transaction, then finds the reminder handled); and
    the email's key (meeting and time) could not be queued twice anyway."""
    now = now or timezone.now()
    queued = 0
    due = selectors.reminders_due(
        now=now, purpose=ActivityPurpose.MEETING_EMAIL, limit=PROSPECT_REMINDER_BATCH
    )
    for reminder in due:
        with transaction.atomic():
            claimed = Activity.objects.filter(pk=reminder.pk, notified_at__isnull=True).update(
                notified_at=now
            )
            if not claimed or not prospect_email_wanted(reminder, now=now):
                continue
            meeting = reminder.parent
            assert meeting is not None
            try:
                # email_send checks its input before it writes anything, so a refusal leaves nothing to
                # roll back here.
                email = appointment_reminder_send(meeting=meeting, language=user_language(meeting.owner))
            except InvalidInput as error:
                # An address the mail system refuses: the reminder stays handled (the rep still has their
                # own email task), and the other reminders go ahead.
                logger.warning("No reminder email for meeting %s: %s", meeting.pk, error.message)
                continue
            queued += email is not None
    return queued


def digest_send(*, user: User, now: dt.datetime) -> SentEmail | None:
    """Queue the user's daily digest of `now`'s local date, in their language and time zone: overdue
    activities, today's, unanswered information requests and tomorrow's meetings and demos, each at
    most 20 with "and N more". None if that day's digest was queued before."""
    digest = selectors.digest_for(user=user, now=now)
    language = user_language(user)
    with translation.override(language):
        subject = gettext("Your agenda for %(day)s") % {"day": date_format(digest.day, "l j E")}
    return email_send(
        key=selectors.digest_key(user_id=user.pk, day=digest.day),
        to=[user.email],
        subject=subject,
        template="daily_digest",
        context={
            "subject": subject,
            "user_name": user.first_name or str(user),
            "digest": digest,
            "now": now,
            "base_url": settings.BASE_URL,
            "agenda_url": app_url(reverse("activities:agenda")),
            "preferences_url": app_url(reverse("people:preferences")),
        },
        language=language,
        time_zone=user.time_zone,
    )


def digests_send_due(*, now: dt.datetime | None = None) -> int:
    """Queue the daily digest of every user whose working day has started (and not ended) on a working
    day of theirs and who has not had that day's digest: one email per user and local date, keyed
    `digest:<user id>:<date>`. A worker that was stopped at 09:00 sends it when it is back, the same
    working day. Returns how many were queued."""
    now = now or timezone.now()
    queued = 0
    for user, _day in selectors.digests_due(now=now, limit=DIGEST_BATCH):
        try:
            with transaction.atomic():
                email = digest_send(user=user, now=now)
        except InvalidInput as error:
            logger.warning("No daily digest for user %s: %s", user.pk, error.message)
            continue
        queued += email is not None
    return queued


# --- the weekly digest to managers ------------------------------------------------------------------------

# A weekly digest costs the advice engine's queries for every rep of the manager's teams: fewer at a time.
WEEKLY_DIGEST_BATCH = 20

_SEVERITIES = {
    HIGH: gettext_lazy("Urgent"),
    MEDIUM: gettext_lazy("Important"),
    LOW: gettext_lazy("Worth a look"),
}


def _locale() -> str:
    return translation.to_locale(translation.get_language() or settings.LANGUAGE_CODE)


def _money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return "—"
    return money_text(amount, currency, locale=_locale())


def _percent(value: Decimal | None) -> str:
    return "—" if value is None else format_percent(value, locale=_locale())


def _coverage(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return gettext("%(ratio)s×") % {"ratio": format_decimal(value, format="#,##0.0", locale=_locale())}


def _numbers_url(period: str, **whose: str) -> str:
    return app_url(f"{reverse('numbers:numbers')}?{urlencode({**whose, 'period': period})}")


@dataclass(frozen=True)
class Figures:
    """A team's or a rep's numbers as the weekly digest prints them, in the reader's language."""

    quota: str
    won: str
    expected: str
    gap: str
    attainment: str
    coverage: str


@dataclass(frozen=True)
class WeekFigures:
    """The week's changes as printed: won (value and deals), new and lost deals."""

    won: str
    won_deals: int
    new_deals: int
    new_value: str
    lost_deals: int
    lost_value: str


@dataclass(frozen=True)
class AdviceLine:
    code: str
    severity: str
    severity_label: str
    message: str


@dataclass(frozen=True)
class RepSection:
    name: str
    figures: Figures
    week: WeekFigures
    advice: list[AdviceLine]
    numbers_url: str
    advice_url: str


@dataclass(frozen=True)
class TeamSection:
    name: str
    period: str  # "2026-Q1"
    figures: Figures
    week: WeekFigures
    attainment_week_ago: str
    numbers_url: str
    dashboard_url: str
    reps: list[RepSection]


def _figures(numbers: ThreeNumbers, currency: str) -> Figures:
    return Figures(
        quota=_money(numbers.quota, currency),
        won=_money(numbers.won, currency),
        expected=_money(numbers.expected, currency),
        gap=_money(numbers.gap, currency),
        attainment=_percent(numbers.attainment),
        coverage=_coverage(numbers.coverage),
    )


def _week_figures(changes: selectors.WeekChanges, currency: str) -> WeekFigures:
    return WeekFigures(
        won=_money(changes.won, currency),
        won_deals=changes.won_deals,
        new_deals=changes.new_deals,
        new_value=_money(changes.new_value, currency),
        lost_deals=changes.lost_deals,
        lost_value=_money(changes.lost_value, currency),
    )


def _team_section(week: selectors.WeeklyTeam) -> TeamSection:
    """One team of the digest, worded in the active language."""
    report = week.report
    currency, period = report.currency, report.period.label
    return TeamSection(
        name=week.team.name,
        period=period,
        figures=_figures(report.numbers, currency),
        week=_week_figures(week.changes, currency),
        attainment_week_ago=_percent(week.attainment_week_ago),
        numbers_url=_numbers_url(period, team=week.team.name),
        dashboard_url=app_url(f"{reverse('coaching:team')}?{urlencode({'team': week.team.name})}"),
        reps=[
            RepSection(
                name=str(rep.user),
                figures=_figures(rep.numbers.numbers, currency),
                week=_week_figures(rep.changes, currency),
                advice=[
                    AdviceLine(
                        item.code, item.severity, str(_SEVERITIES.get(item.severity, "")), item.message
                    )
                    for item in rep.advice
                ],
                numbers_url=_numbers_url(period, user=rep.user.username),
                advice_url=app_url(reverse("coaching:advice", args=[rep.user.username])),
            )
            for rep in week.reps
        ],
    )


def weekly_digest_send(*, manager: User, now: dt.datetime) -> SentEmail | None:
    """Queue the manager's weekly digest of `now`'s ISO week on their clock, in their language and time
    zone: for each team they manage, its numbers for the current quarter and each member's, what changed
    in the last seven days (won, new and lost deals; attainment now and a week ago) and each rep's first
    advice items. None if that week's digest was queued before."""
    language = user_language(manager)
    with translation.override(language):
        # The advice is worded while it is counted: in the manager's language, not each rep's.
        digest = selectors.weekly_digest_for(manager=manager, now=now)
        teams = [_team_section(team) for team in digest.teams]
        names = ", ".join(section.name for section in teams)
        subject = ngettext(
            "%(teams)s: your team's week of %(day)s",
            "%(teams)s: your teams' week of %(day)s",
            len(teams),
        ) % {"teams": names, "day": date_format(digest.week_starts, "j E")}
    return email_send(
        key=selectors.weekly_digest_key(user_id=manager.pk, week=digest.week),
        to=[manager.email],
        subject=subject,
        template="weekly_digest",
        context={
            "subject": subject,
            "user_name": manager.first_name or str(manager),
            "digest": digest,
            "teams": teams,
            "now": now,
            "base_url": settings.BASE_URL,
            "dashboard_url": app_url(reverse("coaching:team")),
            "preferences_url": app_url(reverse("people:preferences")),
        },
        language=language,
        time_zone=manager.time_zone,
    )


def weekly_digests_send_due(*, now: dt.datetime | None = None) -> int:
    """Queue the weekly digest of every manager whose week has started (Monday, or their first working
    day of the ISO week, at the start of their working day on their clock) and who has not had this
    week's: one email per manager and ISO week, keyed `weekly-digest:<user id>:<2026-W10>`. A worker that
    was down on Monday morning sends it when it is back, that week; never after the week is over.
    Returns how many were queued."""
    now = now or timezone.now()
    queued = 0
    for manager, _week in selectors.weekly_digests_due(now=now, limit=WEEKLY_DIGEST_BATCH):
        try:
            with transaction.atomic():
                email = weekly_digest_send(manager=manager, now=now)
        except InvalidInput as error:
            logger.warning("No weekly digest for user %s: %s", manager.pk, error.message)
            continue
        queued += email is not None
    return queued


def notifications_send_due(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Every step of the worker's minute, once: whatever is due by `now` and not done yet. Each step is
    idempotent, so running it again, or in two workers at once, sends nothing twice."""
    now = now or timezone.now()
    return {
        "prospect_emails": prospect_reminders_send_due(now=now),
        "digests": digests_send_due(now=now),
        "weekly_digests": weekly_digests_send_due(now=now),
        "emails_retried": email_retry_due(now=now),
    }


@dataclass(frozen=True)
class DuePreview:
    """What `notifications_send_due` would do at `now`, read without changing anything."""

    now: dt.datetime
    # Engine reminders due by now that the worker has not acted on yet (at most `limit`), and whether
    # there are more.
    reminders: list[Activity]
    more_reminders: bool
    # The meetings whose prospect would get a reminder email now, with the email's key.
    prospect_emails: list[tuple[Activity, str]]
    # Who would get their daily digest now, for which local date, with the email's key.
    digests: list[tuple[User, dt.date, str]]
    # Which managers would get their weekly digest now, for which ISO week, with the email's key.
    weekly_digests: list[tuple[User, str, str]]
    emails_to_retry: int


def notifications_due_preview(*, now: dt.datetime | None = None, limit: int = 50) -> DuePreview:
    """Reads only: what is due now (`salespipe remind --dry-run`)."""
    now = now or timezone.now()
    reminders = selectors.reminders_due(now=now, planned_only=True, limit=limit + 1)
    email_reminders = selectors.reminders_due(
        now=now, purpose=ActivityPurpose.MEETING_EMAIL, limit=PROSPECT_REMINDER_BATCH
    )
    meetings = {
        reminder.parent.pk: reminder.parent
        for reminder in email_reminders
        if reminder.parent is not None and prospect_email_wanted(reminder, now=now)
    }
    keys = {pk: appointment_reminder_key(meeting) for pk, meeting in meetings.items()}
    queued_before = selectors.emails_queued_among(keys=list(keys.values()))
    digests = [
        (user, day, selectors.digest_key(user_id=user.pk, day=day))
        for user, day in selectors.digests_due(now=now, limit=DIGEST_BATCH)
    ]
    weekly_digests = [
        (user, week, selectors.weekly_digest_key(user_id=user.pk, week=week))
        for user, week in selectors.weekly_digests_due(now=now, limit=WEEKLY_DIGEST_BATCH)
    ]
    return DuePreview(
        now=now,
        reminders=reminders[:limit],
        more_reminders=len(reminders) > limit,
        prospect_emails=[
            (meeting, keys[pk]) for pk, meeting in meetings.items() if keys[pk] not in queued_before
        ],
        digests=digests,
        weekly_digests=weekly_digests,
        emails_to_retry=selectors.emails_to_retry_count(now=now),
    )
