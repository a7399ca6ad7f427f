from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    EMAIL = "email", _("Email")
    MEETING = "meeting", _("Meeting")
    DEMO = "demo", _("Demo")
    TRIAL = "trial", _("Free trial")
    GIFT = "gift", _("Small gift")
    TASK = "task", _("Task")
    NOTE = "note", _("Note")
    INFO_REQUEST = "info_request", _("Information request")


class ActivityOutcome(models.TextChoices):
    HELD = "held", _("Held")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED_BY_PROSPECT = "cancelled_by_prospect", _("Cancelled by prospect")
    RESCHEDULED = "rescheduled", _("Rescheduled")
    CONNECTED = "connected", _("Connected")
    NO_ANSWER = "no_answer", _("No answer")
    LEFT_MESSAGE = "left_message", _("Left a message")
    DONE = "done", _("Done")


class Activity(models.Model):
    """Something a rep does or plans to do: a call, a meeting, a trial, an answer to a request."""

    kind = models.CharField(max_length=16, choices=ActivityKind.choices)
    subject = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="activities")
    deal = models.ForeignKey(
        "deals.Deal", null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    person = models.ForeignKey(
        "directory.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    organization = models.ForeignKey(
        "directory.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    # A reminder task points at the meeting it prepares for; a trial check-in at its trial.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="follow_ups"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    ends_at = models.DateTimeField(
        null=True, blank=True, help_text=_("End of a trial or a multi-day activity.")
    )
    done_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=24, choices=ActivityOutcome.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            # The agenda: a user's planned (not done, not cancelled) activities by due time.
            models.Index(
                fields=["owner", "due_at"],
                condition=Q(done_at__isnull=True, cancelled_at__isnull=True),
                name="activity_owner_planned",
            ),
            models.Index(fields=["owner", "kind", "done_at"], name="activity_owner_kind_done"),
            models.Index(fields=["deal", "due_at"], name="activity_deal_due"),
            models.Index(fields=["deal", "done_at"], name="activity_deal_done"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_at__isnull=True) | Q(cancelled_at__isnull=True),
                name="activity_done_or_cancelled_not_both",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True)
                | Q(due_at__isnull=True)
                | Q(ends_at__gte=models.F("due_at")),
                name="activity_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    @property
    def is_planned(self) -> bool:
        return self.done_at is None and self.cancelled_at is None
