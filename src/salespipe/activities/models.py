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
    # A demo or a gift that happened; a trial that ended in a purchase decision or not.
    DELIVERED = "delivered", _("Delivered")
    CONVERTED = "converted", _("Went ahead")
    NOT_CONVERTED = "not_converted", _("Did not go ahead")
    ANSWERED = "answered", _("Answered")


class ActivityPurpose(models.TextChoices):
    """Why the follow-up engine created an activity; what a person schedules has none."""

    NONE = "", _("Planned by hand")
    MEETING_CALL = "meeting_call", _("Call before an appointment")
    MEETING_EMAIL = "meeting_email", _("Email before an appointment")
    NEXT_STEP = "next_step", _("Next step after an appointment")
    TRIAL_CHECK_IN = "trial_check_in", _("Trial check-in")
    TRIAL_DECISION = "trial_decision", _("Decision call at the end of a trial")


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
    purpose = models.CharField(max_length=16, choices=ActivityPurpose.choices, blank=True, default="")
    # An information request: when the prospect asked (its due_at is the response deadline), and once
    # answered, the working minutes it took, kept so reports aggregate it in SQL.
    received_at = models.DateTimeField(null=True, blank=True)
    response_minutes = models.PositiveIntegerField(null=True, blank=True)
    # When the worker acted on this activity falling due (e.g. queued the prospect's reminder email), so
    # each minute's run looks only at what it has not handled yet.
    notified_at = models.DateTimeField(null=True, blank=True)
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
            # The kind rides along so that counts of planned meetings or requests (the team page) are read
            # from the index alone, not from each planned activity's row (PostgreSQL: 8,500 heap pages
            # for a team's two weeks at a million deals).
            models.Index(
                fields=["owner", "due_at", "kind"],
                condition=Q(done_at__isnull=True, cancelled_at__isnull=True),
                name="activity_owner_planned",
            ),
            # The outcome too: calls and meetings done are counted leaving out those not held.
            models.Index(fields=["owner", "kind", "done_at", "outcome"], name="activity_owner_kind_done"),
            models.Index(fields=["deal", "due_at"], name="activity_deal_due"),
            models.Index(fields=["deal", "done_at"], name="activity_deal_done"),
            # Was a trial, demo or gift done on the deal before it closed, and did it take place: the
            # insights' and reports' freemium effect asks this of every closed deal, from the index alone.
            models.Index(fields=["deal", "kind", "done_at", "outcome"], name="activity_deal_kind_done"),
            # The worker's minute: engine-made activities falling due that it has not handled yet.
            models.Index(
                fields=["purpose", "due_at"],
                condition=Q(notified_at__isnull=True) & ~Q(purpose=""),
                name="activity_purpose_unnotified",
            ),
            # Response-time reports: answered requests per owner.
            models.Index(
                fields=["owner", "done_at"],
                condition=Q(kind="info_request"),
                name="activity_info_request_done",
            ),
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
