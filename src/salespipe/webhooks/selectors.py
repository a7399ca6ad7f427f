"""Reading webhooks and their deliveries (admins only), and which events anyone listens to."""

from __future__ import annotations

import datetime as dt
import time
from itertools import chain

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from salespipe.core.errors import NotAllowed, NotFound
from salespipe.people.models import User
from salespipe.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery

# How long a process trusts its answer to "which events does any active webhook want?". A webhook
# saved in this process is seen at once; one saved in another process (a web server's, a worker's)
# within this many seconds. The answer spares every deal and activity change a query when nobody
# listens, which is the usual case.
SUBSCRIPTIONS_FRESH_SECONDS = 10.0

# (when it was read on the monotonic clock, the events); None: not read yet, or forgotten.
_subscriptions: tuple[float, frozenset[str]] | None = None


def webhook_require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise NotAllowed(_("Only an administrator can see and manage webhooks."))


def webhook_list(*, actor: User) -> QuerySet[Webhook]:
    webhook_require_admin(actor)
    return Webhook.objects.select_related("created_by")


def webhook_get(*, actor: User, webhook_id: int) -> Webhook:
    webhook = webhook_list(actor=actor).filter(pk=webhook_id).first()
    if webhook is None:
        raise NotFound(_("There is no webhook with id %(id)s.") % {"id": webhook_id})
    return webhook


def webhook_delivery_list(*, actor: User, webhook_id: int) -> QuerySet[WebhookDelivery]:
    """A webhook's deliveries; the API pages them newest first."""
    webhook = webhook_get(actor=actor, webhook_id=webhook_id)
    return WebhookDelivery.objects.filter(webhook=webhook)


def webhook_delivery_get(*, actor: User, delivery_id: int) -> WebhookDelivery:
    webhook_require_admin(actor)
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound(_("There is no webhook delivery with id %(id)s.") % {"id": delivery_id})
    return delivery


def webhooks_listening(event: str) -> list[Webhook]:
    """The active webhooks that subscribe to `event`. Few rows: the event is matched here rather than
    in SQL, where a JSON list lookup differs between SQLite and PostgreSQL."""
    return [webhook for webhook in Webhook.objects.filter(is_active=True) if event in webhook.events]


def webhook_events_subscribed() -> frozenset[str]:
    """The events at least one active webhook subscribes to; no query while the last answer is fresh."""
    global _subscriptions
    cached = _subscriptions
    if cached is not None and time.monotonic() - cached[0] < SUBSCRIPTIONS_FRESH_SECONDS:
        return cached[1]
    read_at = time.monotonic()
    events = frozenset(
        chain.from_iterable(Webhook.objects.filter(is_active=True).values_list("events", flat=True))
    )
    _subscriptions = (read_at, events)
    return events


def webhook_subscriptions_forget() -> None:
    """Make the next `webhook_events_subscribed` read the table again (after a webhook changed)."""
    global _subscriptions
    _subscriptions = None


def deliveries_due(*, now: dt.datetime, limit: int) -> list[int]:
    """Deliveries to (re)enqueue now: failed ones whose pause is over, and pending or sending ones whose
    task seems lost (the watchdog), oldest due first."""
    return list(
        WebhookDelivery.objects.filter(
            Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.FAILED]),
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
