from decimal import Decimal

from django.db import models


class ExchangeRate(models.Model):
    """How many units of the base currency one unit of `currency` is worth."""

    currency = models.CharField(max_length=3, primary_key=True)
    rate_to_base = models.DecimalField(max_digits=18, decimal_places=8)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["currency"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rate_to_base__gt=Decimal(0)), name="rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate_to_base}"
