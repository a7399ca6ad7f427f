from django.conf import settings
from django.db import models
from django.db.models import F
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _


class OrganizationSize(models.TextChoices):
    """Employees, in the usual bands: similar organizations (same industry and size) spend alike."""

    MICRO = "1-10", _("1-10 employees")
    SMALL = "11-50", _("11-50 employees")
    MEDIUM = "51-200", _("51-200 employees")
    LARGE = "201-1000", _("201-1000 employees")
    ENTERPRISE = "1001+", _("More than 1000 employees")


class Organization(models.Model):
    """A company in the shared directory; every user can see it."""

    name = models.CharField(_("name"), max_length=200)
    # Case- and accent-folded name, kept by the services, for search and de-duplication.
    search_name = models.CharField(max_length=200, db_index=True, editable=False)
    website = models.CharField(_("website"), max_length=200, blank=True)
    # The website's host without `www.`, kept by the services: how an import recognises an organization
    # written under another name.
    domain = models.CharField(max_length=200, blank=True, default="", db_index=True, editable=False)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO 3166 alpha-2 code"))
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    size = models.CharField(_("size"), max_length=8, choices=OrganizationSize.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        indexes = [
            # Similar organizations for a deal's budget suggestion (same industry, any case, and size):
            # with statistics on the expression, PostgreSQL sees that one in forty organizations match and
            # walks the won deals newest first instead of every matching organization's deals (a manager's
            # deal page at 1M deals: 195 → 54 ms). SQLite's case-blind match does not use it.
            models.Index(Upper("industry"), F("size"), name="organization_industry_size"),
        ]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A contact at a prospect or customer."""

    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
        verbose_name=_("organization"),
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    search_name = models.CharField(max_length=200, db_index=True, editable=False)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
