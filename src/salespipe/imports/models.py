from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    INTERRUPTED = "interrupted", _("Interrupted")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One import of one file: its mapping, where it stands and what it did (docs/import.md).

    Rows are committed in batches; `committed_row` is the last file row of the last committed batch,
    written in that batch's transaction, so after an interruption exactly the rows up to it are in and a
    resumed import starts after it."""

    # None for an import from the command line, which acts as no one in particular.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(_("file"), max_length=255)
    # Where the file lies: the upload's copy under SALESPIPE_HOME/imports, or the path the CLI was given.
    file_path = models.CharField(max_length=1000)
    file_sha256 = models.CharField(max_length=64)
    file_size = models.BigIntegerField(default=0)
    mapping = models.JSONField(default=dict)
    pipeline = models.ForeignKey(
        "deals.Pipeline", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    default_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(max_length=12, choices=ImportStatus.choices, default=ImportStatus.WAITING)
    rows_read = models.PositiveIntegerField(default=0)
    progress = models.FloatField(default=0)  # 0 to 1, by the bytes (or a workbook's rows) read
    committed_row = models.PositiveIntegerField(default=0)
    # Per entity: created, updated, unchanged, failed; and the rows that failed, the values not understood.
    counts = models.JSONField(default=dict)
    failed_rows = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    # [name, CREATE statement] of the indexes the import dropped to build once at its end, until it has
    # built them: what builds them again should its process be killed (imports/index_deferral.py).
    indexes_dropped = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"


class ExternalRecord(models.Model):
    """The id another system gave a record an import brought in: how a re-import finds and updates it
    instead of adding a copy. A deleted record leaves its row behind; a re-import then creates it again."""

    class Entity(models.TextChoices):
        ORGANIZATION = "organization", _("organization")
        PERSON = "person", _("person")
        DEAL = "deal", _("deal")
        ACTIVITY = "activity", _("activity")

    entity = models.CharField(max_length=12, choices=Entity.choices)
    source = models.CharField(max_length=40)
    external_id = models.CharField(max_length=100)
    record_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entity", "source", "external_id"], name="external_record_unique")
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.source}:{self.external_id} → {self.record_id}"
