from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from salespipe.core.models import ExchangeRate
from salespipe.deals.services import exchange_rate_set


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("currency", "rate_to_base", "updated_at")

    def save_model(self, request: HttpRequest, obj: ExchangeRate, form: Any, change: bool) -> None:
        # Through the service, so open deals in that currency are re-valued in the base currency.
        exchange_rate_set(actor=request.user, currency=obj.currency, rate_to_base=obj.rate_to_base)  # type: ignore[arg-type]
