"""Yesterday's view of the last twelve months, kept so the plan does not rescan them on every request."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class TrackRecordLevel(models.TextChoices):
    OWNER = "owner", _("Person")
    TEAM = "team", _("Team")
    ALL = "all", _("Company")


class TrackRecordSnapshot(models.Model):
    """One person's, team's or the company's trailing-twelve-month record as of a day: what the
    reverse-funnel plan reads its rates from (`analytics.plan.TrackRecord`).

    Counting a team's closed deals of a year and the meetings held on them takes seconds at a million
    deals, while the answer moves little in a day; the worker refreshes every snapshot once a day
    (`track_records_refresh`), and a scope without today's snapshot is counted live.
    """

    level = models.CharField(max_length=8, choices=TrackRecordLevel.choices)
    # The user's or team's id; 0 for the company.
    key = models.PositiveIntegerField()
    as_of = models.DateField(help_text=_("The day (company time) whose trailing twelve months it counts."))
    won_deals = models.PositiveIntegerField(default=0)
    lost_deals = models.PositiveIntegerField(default=0)
    won_value = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    cycle_days = models.FloatField(null=True, blank=True)
    appointment_won = models.PositiveIntegerField(default=0)
    appointment_lost = models.PositiveIntegerField(default=0)
    appointments = models.PositiveIntegerField(default=0)
    calls = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("track record snapshot")
        verbose_name_plural = _("track record snapshots")
        constraints = [
            models.UniqueConstraint(fields=["level", "key"], name="track_record_level_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.key} as of {self.as_of}"
