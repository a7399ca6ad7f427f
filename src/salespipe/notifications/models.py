"""Outgoing email (each with its idempotency key), calendar feeds, and the periodic scheduler's marks."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class SentEmail(models.Model):
    """One email the product sends, rendered and kept from the moment it is queued.

    `key` names the email in the domain (e.g. `reminder:meeting:42:prospect`): it is inserted first, under
    a unique constraint, so a job retried or run by two workers queues the email once; and the delivery
    claims the row (queued or failed → sending) in one conditional UPDATE, so it is sent once."""

    key = models.CharField(max_length=200, unique=True)  # services.EMAIL_KEY_LENGTH
    template = models.CharField(max_length=100)
    language = models.CharField(max_length=10)
    from_email = models.CharField(max_length=254)
    to = models.JSONField(help_text="The recipients' addresses.")
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # [{"filename", "mimetype", "content_base64"}]: small files such as an appointment's .ics.
    attachments = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=8, choices=EmailStatus.choices, default=EmailStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When the retry sweep enqueues the delivery again if the email is still queued or failed by then;
    # None: never (sent, being sent, or out of attempts).
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["queued", "failed"]),
                name="sentemail_to_retry",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "sending", "sent", "failed"]),
                name="sentemail_status_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="sentemail_sent_has_sent_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"


class CalendarFeed(models.Model):
    """A user's private iCalendar feed: whoever has the secret URL reads the user's appointments.

    Rotating the secret revokes every copy of the old URL at once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    secret = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"


class PeriodicJobMark(models.Model):
    """The last time slot for which a periodic job was enqueued; a conditional UPDATE of this row is the
    lock that lets exactly one of several workers enqueue each run."""

    name = models.CharField(max_length=200, unique=True)
    last_slot_at = models.DateTimeField()
    enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_slot_at:%Y-%m-%d %H:%M}"
