from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class ExchangeRate(models.Model):
    """How many units of the base currency one unit of `currency` is worth."""

    currency = models.CharField(_("currency"), max_length=3, primary_key=True)
    rate_to_base = models.DecimalField(
        _("rate to the base currency"),
        max_digits=18,
        decimal_places=8,
        help_text=_("How many units of the base currency one unit of this currency is worth."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["currency"]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.CheckConstraint(condition=models.Q(rate_to_base__gt=Decimal(0)), name="rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate_to_base}"
