from django.contrib import admin
from django.http import HttpRequest

from salespipe.notifications.models import SentEmail


@admin.register(SentEmail)
class SentEmailAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Outgoing email: what was sent, what failed and why. Read-only, since the services send email."""

    list_display = ["created_at", "key", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "template", "language"]
    search_fields = ["key", "subject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SentEmail | None = None) -> bool:
        return False
