from __future__ import annotations

import datetime as dt
import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(
            gettext("'%(zone)s' is not an IANA time zone such as Europe/Athens.") % {"zone": value}
        ) from error


class Role(models.TextChoices):
    REP = "rep", _("Sales rep")
    MANAGER = "manager", _("Sales manager")
    ADMIN = "admin", _("Administrator")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    manager = models.ForeignKey(
        "people.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
        verbose_name=_("manager"),
    )
    # Whether prospects get a reminder email the day before an appointment; a member may say otherwise.
    prospect_reminder_emails = models.BooleanField(_("email prospects before appointments"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in: a rep, a manager or an admin."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.REP, db_index=True)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        verbose_name=_("team"),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    workday_starts_at = models.TimeField(_("working day starts at"), default=dt.time(9, 0))
    workday_ends_at = models.TimeField(_("working day ends at"), default=dt.time(17, 0))
    # ISO weekday digits (1 = Monday): "12345" is Monday to Friday.
    working_weekdays = models.CharField(
        _("working days"),
        max_length=7,
        default="12345",
        validators=[RegexValidator(r"^[1-7]{1,7}$", _("Use ISO weekday digits, e.g. 12345 for Mon-Fri."))],
    )

    # Empty: the site's language (LANGUAGE_CODE). Emails to the user and their prospects use it.
    language = models.CharField(_("language"), max_length=8, blank=True, default="")
    # None follows the team's setting.
    prospect_reminder_emails = models.BooleanField(
        _("email prospects before appointments"), null=True, blank=True, default=None
    )
    daily_digest = models.BooleanField(_("daily agenda email"), default=True)
    # Managers (and admins who lead a team) get their team's week on Monday morning.
    weekly_digest = models.BooleanField(_("weekly team email"), default=True)

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(workday_starts_at__lt=models.F("workday_ends_at")),
                name="workday_starts_before_it_ends",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def emails_prospects(self) -> bool:
        """Whether this user's prospects get reminder emails: their own choice, else their team's."""
        if self.prospect_reminder_emails is not None:
            return self.prospect_reminder_emails
        return self.team is not None and self.team.prospect_reminder_emails

    @property
    def initials(self) -> str:
        parts = [self.first_name, self.last_name] if self.first_name else [self.username]
        return "".join(part[:1].upper() for part in parts if part)


class ApiToken(models.Model):
    """A personal access token; only its SHA-256 digest is stored."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(
        _("prefix"), max_length=16, help_text=_("The first characters, to recognise a token.")
    )
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
