"""The Django admin for webhooks: register and edit them through the services (so the URL is checked and
the secret made there), and read the delivery log, with a replay action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy, ngettext

from salespipe.core.errors import SalespipeError
from salespipe.people.models import User
from salespipe.webhooks import services
from salespipe.webhooks.events import EVENTS
from salespipe.webhooks.models import Webhook, WebhookDelivery


def _is_admin(request: HttpRequest) -> bool:
    return isinstance(request.user, User) and request.user.is_admin


class AdministratorsOnly:
    """Staff who are not Salespipe administrators neither see nor touch webhooks: a webhook's secret
    and its payloads (deal values, names) are for administrators, as in the API."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request) and super().has_module_permission(request)  # type: ignore[misc]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request) and super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request) and super().has_add_permission(request)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request) and super().has_delete_permission(request, obj)  # type: ignore[misc]


class WebhookForm(forms.ModelForm):  # type: ignore[type-arg]
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=[(event, event) for event in EVENTS],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Webhook
        fields = ["url", "events", "description", "is_active"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # The same checks the service makes on save (the SSRF guard among them), shown on the form.
        try:
            if "url" in cleaned:
                services.webhook_url_check(cleaned["url"])
        except SalespipeError as error:
            self.add_error("url", error.message)
        return cleaned


@admin.register(Webhook)
class WebhookAdmin(AdministratorsOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    form = WebhookForm
    list_display = ["url", "events", "is_active", "description", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    readonly_fields = ["secret", "created_by", "created_at", "updated_at"]

    def save_model(self, request: HttpRequest, obj: Webhook, form: Any, change: bool) -> None:
        actor = request.user
        assert isinstance(actor, User)
        fields = {name: form.cleaned_data[name] for name in ("url", "events", "description", "is_active")}
        if change:
            saved = services.webhook_update(actor=actor, webhook_id=obj.pk, **fields)
        else:
            saved = services.webhook_create(actor=actor, **fields)
        obj.pk, obj.secret = saved.pk, saved.secret

    def delete_model(self, request: HttpRequest, obj: Webhook) -> None:
        actor = request.user
        assert isinstance(actor, User)
        services.webhook_delete(actor=actor, webhook_id=obj.pk)


@admin.action(description=gettext_lazy("Replay the selected deliveries"))
def replay_deliveries(
    modeladmin: WebhookDeliveryAdmin, request: HttpRequest, queryset: QuerySet[WebhookDelivery]
) -> None:
    actor = request.user
    assert isinstance(actor, User)
    replayed = 0
    for delivery in queryset:
        try:
            services.webhook_delivery_replay(actor=actor, delivery_id=delivery.pk)
        except SalespipeError as error:
            modeladmin.message_user(request, error.message, messages.ERROR)
            continue
        replayed += 1
    modeladmin.message_user(
        request,
        ngettext("%(count)s delivery replayed.", "%(count)s deliveries replayed.", replayed)
        % {"count": replayed},
    )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(AdministratorsOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    """The delivery log: what was sent where, and what came back. Read-only; replay sends one again."""

    list_display = [
        "created_at",
        "event",
        "webhook",
        "status",
        "attempts",
        "response_status",
        "next_attempt_at",
    ]
    list_filter = ["status", "event"]
    search_fields = ["uuid", "webhook__url"]
    list_select_related = ["webhook"]
    actions = [replay_deliveries]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: WebhookDelivery | None = None) -> bool:
        return False
