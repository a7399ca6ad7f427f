from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Pipeline(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    is_default = models.BooleanField(_("default"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_pipeline"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Stage(models.Model):
    """A step of a pipeline, with the rules (gates) a deal must meet to enter it."""

    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.CASCADE, related_name="stages", verbose_name=_("pipeline")
    )
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=8, choices=StageKind.choices, default=StageKind.OPEN)
    default_probability = models.PositiveSmallIntegerField(
        _("default win probability"), help_text=_("Win probability in percent, 0-100.")
    )
    rotting_days = models.PositiveSmallIntegerField(
        _("rotting days"),
        null=True,
        blank=True,
        help_text=_("Days without progress before a deal here counts as rotting."),
    )
    requires_decision_maker = models.BooleanField(_("needs a confirmed decision maker"), default=False)
    requires_budget = models.BooleanField(_("needs a known budget"), default=False)
    requires_timeline = models.BooleanField(_("needs a decision date"), default=False)
    # The seed's first rule: no appointment before the decision maker is confirmed. On by default; an
    # admin may switch it off for a stage (e.g. a first meeting with a partner's technical team).
    meeting_requires_decision_maker = models.BooleanField(
        _("meetings need a confirmed decision maker"), default=True
    )

    class Meta:
        ordering = ["pipeline", "position"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "position"], name="stage_position_unique"),
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_name_unique"),
            models.CheckConstraint(condition=Q(default_probability__lte=100), name="stage_probability_range"),
        ]

    def __str__(self) -> str:
        return f"{self.pipeline.name}: {self.name}"


class DealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class DealSource(models.TextChoices):
    COLD_CALL = "cold_call", _("Cold call")
    REFERRAL = "referral", _("Referral")
    WEBSITE = "website", _("Website")
    EVENT = "event", _("Event")
    PARTNER = "partner", _("Partner")
    INBOUND = "inbound", _("Inbound request")
    EXISTING_CUSTOMER = "existing_customer", _("Existing customer")
    OTHER = "other", _("Other")


class Urgency(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class Deal(models.Model):
    title = models.CharField(max_length=200)
    # Case- and accent-folded title, kept by the services, so "παπαδοπουλος" finds "Παπαδόπουλος".
    search_title = models.CharField(max_length=200, default="", editable=False)
    organization = models.ForeignKey(
        "directory.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    person = models.ForeignKey(
        "directory.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
        help_text=_("Main contact."),
    )
    # No single-column indexes: the composite ones below start with these columns (owner, status, …;
    # pipeline, status; stage, status, value) and serve every look-up by them, for one index fewer to
    # keep up to date on each write.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deals", db_index=False
    )
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="deals", db_index=False)
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals", db_index=False)
    status = models.CharField(max_length=8, choices=DealStatus.choices, default=DealStatus.OPEN)

    value = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    currency = models.CharField(max_length=3)
    # The value converted to settings.BASE_CURRENCY when it was last set, so reports can sum in SQL.
    base_value = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    expected_close_date = models.DateField(null=True, blank=True)
    probability = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("Manual win probability in percent; empty uses the stage's.")
    )
    source = models.CharField(max_length=32, choices=DealSource.choices, blank=True)

    budget_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    budget_evidence = models.TextField(
        blank=True, help_text=_("Why the budget is believed, e.g. past purchases.")
    )
    decision_date = models.DateField(null=True, blank=True, help_text=_("When the prospect decides."))
    urgency = models.CharField(max_length=8, choices=Urgency.choices, blank=True)

    lost_reason = models.CharField(max_length=200, blank=True)
    won_at = models.DateTimeField(null=True, blank=True)
    lost_at = models.DateTimeField(null=True, blank=True)

    # Kept by the services so the board can flag rotting deals and missing next steps without joins.
    stage_entered_at = models.DateTimeField()
    last_activity_at = models.DateTimeField(null=True, blank=True)
    next_activity_at = models.DateTimeField(null=True, blank=True)

    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        indexes = [
            # A person's deals by status and close date (the board, the agenda); with what My numbers and the
            # team page count of open deals (stage, override, value, rotting), those are read from the index
            # alone instead of a row per deal.
            models.Index(
                fields=[
                    "owner",
                    "status",
                    "expected_close_date",
                    "stage",
                    "probability",
                    "base_value",
                    "stage_entered_at",
                    "last_activity_at",
                ],
                name="deal_owner_status_close",
            ),
            models.Index(fields=["stage", "status", "-value"], name="deal_stage_status_value"),
            models.Index(fields=["pipeline", "status"], name="deal_pipeline_status"),
            models.Index(fields=["status", "won_at"], name="deal_status_won_at"),
            models.Index(fields=["status", "lost_at"], name="deal_status_lost_at"),
            models.Index(fields=["status", "expected_close_date"], name="deal_status_close"),
            # What a person or team won or lost in a period (My numbers, the plan's track record, the team's
            # trend); with the value, a team's won sums are read from the index alone.
            models.Index(
                fields=["owner", "won_at", "base_value"], condition=Q(status="won"), name="deal_owner_won"
            ),
            models.Index(fields=["owner", "lost_at"], condition=Q(status="lost"), name="deal_owner_lost_at"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="deal_value_not_negative"),
            models.CheckConstraint(
                condition=Q(probability__isnull=True) | Q(probability__lte=100), name="deal_probability_range"
            ),
            models.CheckConstraint(
                condition=Q(budget_amount__isnull=True) | Q(budget_amount__gte=0),
                name="deal_budget_not_negative",
            ),
            models.CheckConstraint(condition=Q(status__in=DealStatus.values), name="deal_status_known"),
            models.CheckConstraint(
                condition=~Q(status=DealStatus.WON) | Q(won_at__isnull=False), name="won_deal_has_won_at"
            ),
            models.CheckConstraint(
                condition=~Q(status=DealStatus.LOST) | (Q(lost_at__isnull=False) & ~Q(lost_reason="")),
                name="lost_deal_has_reason",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="deal_version_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def win_probability(self) -> int:
        """Percent: the manual override, else the stage default (empirical rates come from analytics)."""
        return self.probability if self.probability is not None else self.stage.default_probability

    @property
    def weighted_value(self) -> Decimal:
        return (self.value * self.win_probability / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def etag(self) -> str:
        return f'"deal-{self.pk}-v{self.version}"'


class ContactRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    ECONOMIC_BUYER = "economic_buyer", _("Economic buyer")
    CHAMPION = "champion", _("Champion")
    INFLUENCER = "influencer", _("Influencer")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")
    USER = "user", _("User")


# Either of these, once confirmed, can say yes to the purchase.
BUYING_AUTHORITY_ROLES = (ContactRole.DECISION_MAKER, ContactRole.ECONOMIC_BUYER)


class AuthorityConfirmation(models.TextChoices):
    ASKED_DIRECTLY = "asked_directly", _("Asked directly")
    MEETING = "meeting", _("In a meeting")
    EMAIL = "email", _("In writing (email)")
    ORG_CHART = "org_chart", _("Organization chart")
    REFERRAL = "referral", _("Told by a colleague of theirs")
    OTHER = "other", _("Other")


class DealContact(models.Model):
    """A person's role on a deal, and whether their buying authority has been confirmed."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="contacts")
    person = models.ForeignKey("directory.Person", on_delete=models.CASCADE, related_name="deal_roles")
    role = models.CharField(max_length=20, choices=ContactRole.choices)
    authority_confirmed_at = models.DateTimeField(null=True, blank=True)
    authority_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    authority_confirmed_how = models.CharField(
        max_length=20, choices=AuthorityConfirmation.choices, blank=True
    )
    authority_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deal", "role", "id"]
        verbose_name = _("deal contact")
        verbose_name_plural = _("deal contacts")
        constraints = [
            models.UniqueConstraint(fields=["deal", "person", "role"], name="deal_contact_role_unique"),
            models.CheckConstraint(
                condition=Q(authority_confirmed_at__isnull=True) | ~Q(authority_confirmed_how=""),
                name="authority_confirmation_says_how",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()})"

    @property
    def authority_confirmed(self) -> bool:
        return self.authority_confirmed_at is not None


class StageChange(models.Model):
    """Append-only history of where a deal went, when and by whose hand."""

    # Served by the (deal, changed_at) and (to_stage, changed_at) indexes below.
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes", db_index=False)
    from_stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+", db_index=False)
    to_status = models.CharField(max_length=8, choices=DealStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["deal", "changed_at", "id"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        indexes = [
            models.Index(fields=["deal", "changed_at"], name="stagechange_deal_time"),
            models.Index(fields=["to_stage", "changed_at"], name="stagechange_stage_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(from_stage=F("to_stage")), name="stage_change_moves"),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} → {self.to_stage_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("Stage history is append-only; add a new StageChange instead.")
        super().save(*args, **kwargs)


class StageStay(models.Model):
    """A deal's time in one stage: entered by a stage change, left by the deal's next one (open while
    it is still there), and whether it later went further (PRODUCT.md: stage conversion, cohort).

    Kept by the services that move, close, reopen and reassign deals, and rebuilt from the stage
    history after loads that write it directly and when stages are reordered
    (`deals.services.stage_stays_rebuild`): the funnel's cohorts and stage durations then read one
    row per entry through an index instead of searching each deal's history for what came after.
    """

    # One per stage change, sharing its id: entries at the same instant keep the history's order.
    entry = models.OneToOneField(StageChange, on_delete=models.CASCADE, primary_key=True, related_name="stay")
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="+")
    # The deal's owner now, as the funnel counts deals by whom they belong to (not who moved them).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+", db_index=False)
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    # Reached an open or won stage further along the same pipeline after this entry, at any time since;
    # always False for won and lost stages.
    advanced = models.BooleanField(default=False)
    # When the deal last entered this stage before this entry (by time, then the history's order); None the
    # first time. A cohort counts each deal once: the entry in a window whose previous one is before the
    # window (or none) is the deal's first there, so the funnel counts rows instead of distinct deals.
    previous_entry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("stage stay")
        verbose_name_plural = _("stage stays")
        # Each leads with who or which stage and when, and carries what the funnel counts, so a team's
        # cohorts and durations are read from the index alone.
        indexes = [
            models.Index(
                fields=["owner", "entered_at", "stage", "advanced", "previous_entry_at"],
                name="stagestay_owner_entered",
            ),
            models.Index(fields=["owner", "left_at", "stage", "entered_at"], name="stagestay_owner_left"),
            models.Index(
                fields=["stage", "entered_at", "advanced", "previous_entry_at"],
                name="stagestay_stage_entered",
            ),
            models.Index(fields=["stage", "left_at", "entered_at"], name="stagestay_stage_left"),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.stage_id} {self.entered_at:%Y-%m-%d}–{self.left_at or ''}"


class StageOutcome(models.Model):
    """How many closed deals that passed through a stage were won and lost.

    Kept by the services that close, reopen and delete deals (and rebuilt in one statement after bulk
    loads), so a deal's empirical win probability is one row away instead of a scan of the stage history.
    """

    stage = models.OneToOneField(Stage, on_delete=models.CASCADE, primary_key=True, related_name="outcome")
    won_deals = models.PositiveIntegerField(default=0)
    lost_deals = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("stage outcome")
        verbose_name_plural = _("stage outcomes")

    def __str__(self) -> str:
        return f"{self.stage_id}: {self.won_deals} won, {self.lost_deals} lost"

    @property
    def closed_deals(self) -> int:
        return self.won_deals + self.lost_deals
