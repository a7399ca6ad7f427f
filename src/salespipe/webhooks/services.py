"""Registering webhooks and delivering events to them: signed, after commit, retried, logged, replayable.

An event becomes deliveries in three steps:

1. `webhook_event_emit`, called by the deal and activity services inside their transaction, inserts one
   delivery row per active webhook that subscribes to the event, with the exact body to send. Rows and
   change commit together or not at all, so a rolled-back change sends nothing.
2. Once the transaction commits, a `webhook_deliver` task is enqueued for each row.
3. `webhook_deliver` claims the row (one conditional UPDATE, so of two workers only one sends), POSTs
   the body with its signature and records the answer; a failure is retried later with a growing pause
   (`RETRY_PAUSES`), found by the every-minute sweep `webhook_deliveries_retry_due`.

Receivers get each delivery at least once: a worker that stops after the POST but before recording the
answer leaves the row to the sweep, which sends it again with the same delivery id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from salespipe.core.errors import InvalidInput, RuleBroken
from salespipe.core.tasks import enqueue_on_commit
from salespipe.people.models import User
from salespipe.webhooks import selectors, sending
from salespipe.webhooks.events import EVENTS
from salespipe.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

# A failed attempt is tried again after these pauses (1 min, 5 min, 30 min, 2 h, 6 h); the delivery is
# given up when the attempt after the last pause fails too.
RETRY_PAUSES = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_PAUSES) + 1
# A delivery whose task never ran (the process died before enqueueing it), or whose worker stopped
# halfway through an attempt, is enqueued again after this long.
DELIVERY_WATCHDOG = dt.timedelta(minutes=10)
RETRY_BATCH = 200
URL_MAX_LENGTH = 500
DESCRIPTION_MAX_LENGTH = 200

EVENT_HEADER = "X-Salespipe-Event"
DELIVERY_HEADER = "X-Salespipe-Delivery"
TIMESTAMP_HEADER = "X-Salespipe-Timestamp"
SIGNATURE_HEADER = "X-Salespipe-Signature"


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 with the webhook's secret of `<timestamp>.<body>`. The timestamp is
    signed too, so a receiver that refuses old timestamps cannot be fooled by a replayed request."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The bytes POSTed: the stored payload as compact JSON with sorted keys, the same on every retry."""
    return json.dumps(delivery.payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# --- registering webhooks -------------------------------------------------------------------------------


def webhook_url_check(raw: str) -> str:
    """The URL, stripped, if a webhook may use it: http(s), at most 500 characters, and (unless
    WEBHOOKS_ALLOW_PRIVATE_ADDRESSES is on) resolving to public addresses only."""
    url = (raw or "").strip()
    if not url:
        raise InvalidInput(
            _("A webhook needs the URL to send events to, e.g. https://example.com/salespipe."),
            fields={"url": _("required")},
        )
    if len(url) > URL_MAX_LENGTH:
        raise InvalidInput(
            _("A webhook URL has at most %(max)s characters.") % {"max": URL_MAX_LENGTH},
            fields={"url": _("too long")},
        )
    sending.target_resolve(url)
    return url


def _events(raw: Iterable[str]) -> list[str]:
    chosen = {str(event).strip() for event in raw}
    if not chosen:
        raise InvalidInput(
            _("Choose at least one event for the webhook: %(events)s.") % {"events": ", ".join(EVENTS)},
            fields={"events": _("required")},
        )
    unknown = sorted(chosen - set(EVENTS))
    if unknown:
        raise InvalidInput(
            _("Unknown webhook events: %(unknown)s. Choose from: %(events)s.")
            % {"unknown": ", ".join(unknown), "events": ", ".join(EVENTS)},
            fields={"events": _("unknown event")},
        )
    return [event for event in EVENTS if event in chosen]


def _description(raw: str) -> str:
    description = (raw or "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise InvalidInput(
            _("A webhook's description has at most %(max)s characters.") % {"max": DESCRIPTION_MAX_LENGTH},
            fields={"description": _("too long")},
        )
    return description


def _subscriptions_changed() -> None:
    # Forget now, so this transaction's own changes count; and again after commit, in case an event
    # emitted meanwhile read the table before the change was visible.
    selectors.webhook_subscriptions_forget()
    transaction.on_commit(selectors.webhook_subscriptions_forget)


@transaction.atomic
def webhook_create(
    *, actor: User, url: str, events: Iterable[str], description: str = "", is_active: bool = True
) -> Webhook:
    """Register a URL for events (admins only). Its secret, which signs every delivery, is made here."""
    selectors.webhook_require_admin(actor)
    now = timezone.now()
    webhook = Webhook.objects.create(
        url=webhook_url_check(url),
        events=_events(events),
        description=_description(description),
        is_active=is_active,
        secret=secrets.token_urlsafe(32),
        # The command line's operator is an administrator who exists only for the command.
        created_by=actor if actor.pk else None,
        created_at=now,
        updated_at=now,
    )
    _subscriptions_changed()
    return webhook


@transaction.atomic
def webhook_update(
    *,
    actor: User,
    webhook_id: int,
    url: str | None = None,
    events: Iterable[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> Webhook:
    """Change what is given (admins only). Deliveries already made keep the body they had."""
    selectors.webhook_require_admin(actor)
    webhook = selectors.webhook_get(actor=actor, webhook_id=webhook_id)
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    fields = []
    if url is not None:
        webhook.url = webhook_url_check(url)
        fields.append("url")
    if events is not None:
        webhook.events = _events(events)
        fields.append("events")
    if description is not None:
        webhook.description = _description(description)
        fields.append("description")
    if is_active is not None:
        webhook.is_active = is_active
        fields.append("is_active")
    if fields:
        webhook.updated_at = timezone.now()
        webhook.save(update_fields=[*fields, "updated_at"])
        _subscriptions_changed()
    return webhook


@transaction.atomic
def webhook_delete(*, actor: User, webhook_id: int) -> None:
    """Delete a webhook and its delivery log (admins only); to keep the log, switch it off instead."""
    webhook = selectors.webhook_get(actor=actor, webhook_id=webhook_id)
    webhook.delete()
    _subscriptions_changed()


# --- emitting events ------------------------------------------------------------------------------------

Payload = Mapping[str, Any] | Callable[[], Mapping[str, Any]]


def webhook_event_emit(*, event: str, payload: Payload) -> list[WebhookDelivery]:
    """Queue `event` for every active webhook that subscribes to it, in the caller's transaction; the
    deliveries are enqueued once it commits. `payload` is the event's data, or a function that builds
    it, called only if some webhook listens: with no webhook the call costs no query at all."""
    if event not in EVENTS:
        raise ValueError(f"Unknown webhook event {event!r}; add it to webhooks.events.EVENTS.")
    if event not in selectors.webhook_events_subscribed():
        return []
    webhooks = selectors.webhooks_listening(event)
    if not webhooks:
        return []
    data = dict(payload() if callable(payload) else payload)
    now = timezone.now()
    deliveries = []
    for webhook in webhooks:
        key = uuid.uuid4()
        deliveries.append(
            WebhookDelivery.objects.create(
                webhook=webhook,
                event=event,
                uuid=key,
                payload={
                    "event": event,
                    "delivery_id": str(key),
                    "occurred_at": now.isoformat(),
                    "data": data,
                },
                created_at=now,
                next_attempt_at=now + DELIVERY_WATCHDOG,
            )
        )
    _enqueue(deliveries)
    return deliveries


def _enqueue(deliveries: Iterable[WebhookDelivery]) -> None:
    from salespipe.webhooks.tasks import webhook_deliver

    for delivery in deliveries:
        enqueue_on_commit(webhook_deliver, delivery.pk)


# --- delivering -----------------------------------------------------------------------------------------


def _attempt_failed(
    delivery: WebhookDelivery, *, now: dt.datetime, error: str, status: int | None = None, excerpt: str = ""
) -> str:
    gave_up = delivery.attempts >= MAX_ATTEMPTS
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.GAVE_UP if gave_up else DeliveryStatus.FAILED,
        next_attempt_at=None if gave_up else now + RETRY_PAUSES[delivery.attempts - 1],
        response_status=status,
        response_excerpt=excerpt,
        error=error[:500],
    )
    logger.warning(
        "Webhook delivery %s to %s failed (attempt %d): %s",
        delivery.uuid,
        delivery.webhook.url,
        delivery.attempts,
        error,
    )
    return DeliveryStatus.GAVE_UP if gave_up else DeliveryStatus.FAILED


def webhook_deliver(*, delivery_id: int) -> str:
    """Send one delivery unless it is done or being sent: `succeeded`, `failed` (retried later),
    `gave_up` or `skipped`. Runs in the worker, outside any transaction, so the claim is committed
    before the receiver is contacted."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]
    ).update(
        status=DeliveryStatus.SENDING,
        attempts=F("attempts") + 1,
        last_attempt_at=now,
        next_attempt_at=now + DELIVERY_WATCHDOG,
    )
    if not claimed:
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    webhook = delivery.webhook
    if not webhook.is_active:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.GAVE_UP,
            next_attempt_at=None,
            error=_("The webhook was switched off before this delivery was sent."),
        )
        return DeliveryStatus.GAVE_UP
    body = delivery_body(delivery)
    timestamp = str(int(now.timestamp()))
    headers = {
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.uuid),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: webhook_signature(secret=webhook.secret, timestamp=timestamp, body=body),
    }
    try:
        # Resolved and checked again at each attempt: the host's address may have changed since the
        # webhook was registered.
        answer = sending.post(sending.target_resolve(webhook.url), body=body, headers=headers)
    except InvalidInput as error:
        return _attempt_failed(delivery, now=now, error=error.message)
    except (OSError, http.client.HTTPException) as error:
        return _attempt_failed(delivery, now=now, error=f"{type(error).__name__}: {error}")
    if not 200 <= answer.status < 300:
        problem = (
            _("HTTP %(status)s: a redirect, which webhooks do not follow; register the final URL.")
            if 300 <= answer.status < 400
            else _("HTTP %(status)s: the receiver did not answer with a 2xx status.")
        ) % {"status": answer.status}
        return _attempt_failed(delivery, now=now, error=problem, status=answer.status, excerpt=answer.excerpt)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SUCCEEDED,
        next_attempt_at=None,
        delivered_at=timezone.now(),
        response_status=answer.status,
        response_excerpt=answer.excerpt,
        error="",
    )
    return DeliveryStatus.SUCCEEDED


def webhook_deliveries_retry_due(*, now: dt.datetime | None = None) -> int:
    """Enqueue again the deliveries due now (failed ones whose pause is over; pending or sending ones
    whose task seems lost); returns how many. Each gets a new watchdog first, so the next sweep does
    not enqueue it again; running it twice, or in two workers, only enqueues a harmless extra task."""
    now = now or timezone.now()
    due = selectors.deliveries_due(now=now, limit=RETRY_BATCH)
    if not due:
        return 0
    with transaction.atomic():
        stuck = WebhookDelivery.objects.filter(pk__in=due, status=DeliveryStatus.SENDING)
        stuck.filter(attempts__gte=MAX_ATTEMPTS).update(
            status=DeliveryStatus.GAVE_UP,
            next_attempt_at=None,
            error=_("The worker stopped during the last attempt."),
        )
        stuck.update(status=DeliveryStatus.FAILED, error=_("The worker stopped during the attempt."))
        WebhookDelivery.objects.filter(
            pk__in=due, status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]
        ).update(next_attempt_at=now + DELIVERY_WATCHDOG)
        _enqueue(WebhookDelivery(pk=pk) for pk in due)
    return len(due)


# --- replaying ------------------------------------------------------------------------------------------


@transaction.atomic
def webhook_delivery_replay(*, actor: User, delivery_id: int) -> WebhookDelivery:
    """Send a delivery's body again as a new delivery (admins only): a new delivery id, the same event
    and data, linked to the original. For a receiver that lost or mishandled it."""
    original = selectors.webhook_delivery_get(actor=actor, delivery_id=delivery_id)
    if not original.webhook.is_active:
        raise RuleBroken(
            _("The webhook %(url)s is switched off; switch it on to replay its deliveries.")
            % {"url": original.webhook.url},
            code="webhook_inactive",
        )
    key = uuid.uuid4()
    now = timezone.now()
    replay = WebhookDelivery.objects.create(
        webhook=original.webhook,
        event=original.event,
        uuid=key,
        payload={**original.payload, "delivery_id": str(key)},
        replay_of=original,
        created_at=now,
        next_attempt_at=now + DELIVERY_WATCHDOG,
    )
    _enqueue([replay])
    return replay
