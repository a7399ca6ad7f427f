"""Quotas (what each rep and team must sell in a period) and the commission plans paid on them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class Quota(models.Model):
    """A revenue target (and optionally a number of won deals) for one user or one team and one period.

    The period is stored as its first and last day, not as a label such as "2026-Q4", so a quota keeps
    meaning the same months if the fiscal year's first month is changed later.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="quotas",
        verbose_name=_("user"),
    )
    team = models.ForeignKey(
        "people.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="quotas",
        verbose_name=_("team"),
    )
    period_kind = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    target_value = models.DecimalField(
        _("target revenue"),
        max_digits=16,
        decimal_places=2,
        help_text=_("Won value to reach in the period, in the base currency."),
    )
    target_deals = models.PositiveIntegerField(_("target won deals"), null=True, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["starts_on", "period_kind"]
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        indexes = [
            models.Index(fields=["user", "starts_on"], name="quota_user_start"),
            models.Index(fields=["team", "starts_on"], name="quota_team_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(team__isnull=True))
                | (Q(user__isnull=True) & Q(team__isnull=False)),
                name="quota_for_user_or_team",
            ),
            models.UniqueConstraint(
                fields=["user", "period_kind", "starts_on"],
                condition=Q(user__isnull=False),
                name="quota_user_period_unique",
            ),
            models.UniqueConstraint(
                fields=["team", "period_kind", "starts_on"],
                condition=Q(team__isnull=False),
                name="quota_team_period_unique",
            ),
            models.CheckConstraint(condition=Q(starts_on__lte=F("ends_on")), name="quota_period_order"),
            models.CheckConstraint(condition=Q(target_value__gte=Decimal(0)), name="quota_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.team}: {self.starts_on}–{self.ends_on} {self.target_value}"


class CommissionPlan(models.Model):
    """How a rep is paid on what they win: a base rate, higher rates above attainment tiers, a cap.

    Rates are marginal, like tax brackets: with a base of 5 % and a tier of 8 % from 100 % attainment,
    revenue up to the quota earns 5 % and only the revenue above it earns 8 %. That keeps commission
    rising with every sale, never jumping down or up at a boundary.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    base_rate = models.DecimalField(
        _("base rate (%)"),
        max_digits=5,
        decimal_places=2,
        help_text=_("Percent of won revenue paid below the first tier."),
    )
    cap = models.DecimalField(
        _("cap"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The most the plan pays for one period, in the base currency; empty for no cap."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("commission plan")
        verbose_name_plural = _("commission plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(base_rate__gte=Decimal(0)) & Q(base_rate__lte=Decimal(100)),
                name="commission_base_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(cap__gte=Decimal(0)), name="commission_cap_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CommissionTier(models.Model):
    """From this attainment on (percent of quota), revenue earns this rate."""

    plan = models.ForeignKey(
        CommissionPlan, on_delete=models.CASCADE, related_name="tiers", verbose_name=_("plan")
    )
    from_attainment = models.DecimalField(
        _("from attainment (%)"), max_digits=7, decimal_places=2, help_text=_("e.g. 100 for accelerators.")
    )
    rate = models.DecimalField(_("rate (%)"), max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["plan", "from_attainment"]
        verbose_name = _("commission tier")
        verbose_name_plural = _("commission tiers")
        constraints = [
            models.UniqueConstraint(fields=["plan", "from_attainment"], name="commission_tier_unique"),
            models.CheckConstraint(
                condition=Q(from_attainment__gt=Decimal(0)), name="commission_tier_positive"
            ),
            models.CheckConstraint(
                condition=Q(rate__gte=Decimal(0)) & Q(rate__lte=Decimal(100)),
                name="commission_tier_rate_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.rate}% from {self.from_attainment}%"


class CommissionAssignment(models.Model):
    """Which plan a user is paid on, from a day and (optionally) until a day."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="commission_assignments",
        verbose_name=_("user"),
    )
    plan = models.ForeignKey(
        CommissionPlan, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("plan")
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True, help_text=_("Empty: until further notice."))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["user", "-starts_on"]
        verbose_name = _("commission plan assignment")
        verbose_name_plural = _("commission plan assignments")
        indexes = [models.Index(fields=["user", "starts_on"], name="commission_user_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__lte=F("ends_on")),
                name="commission_assignment_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.plan} from {self.starts_on}"
