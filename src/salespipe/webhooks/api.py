"""REST endpoints for webhooks and their delivery log, for admins (docs/api.md, docs/webhooks.md)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from salespipe.core.api_support import InputSchema, Page, PageParams, PatchSchema, errors, page, request_user
from salespipe.people.api import UserRef
from salespipe.webhooks import selectors, services
from salespipe.webhooks.events import EVENTS
from salespipe.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery

router = Router(tags=["webhooks"])

EventName = Literal[EVENTS]  # type: ignore[valid-type]

# --- schemas --------------------------------------------------------------------------------------------


class WebhookOut(Schema):
    id: int
    url: str
    events: list[str] = Field(description=f"What it receives, of: {', '.join(EVENTS)}.")
    secret: str = Field(description="Signs every delivery (X-Salespipe-Signature); keep it secret.")
    is_active: bool = Field(description="false: it receives nothing until switched on again.")
    description: str
    created_by: UserRef | None
    created_at: dt.datetime
    updated_at: dt.datetime


class WebhookIn(InputSchema):
    url: str = Field(description="http:// or https://, at a public address (docs/webhooks.md#ssrf).")
    events: list[EventName] = Field(description="At least one event.")
    description: str = ""
    is_active: bool = True


class WebhookPatch(PatchSchema):
    url: str | None = None
    events: list[EventName] | None = None
    description: str | None = None
    is_active: bool | None = None


class DeliveryOut(Schema):
    id: int
    webhook_id: int
    event: str
    delivery_id: uuid.UUID = Field(description="The receiver's X-Salespipe-Delivery; kept by retries.")
    status: DeliveryStatus
    attempts: int
    next_attempt_at: dt.datetime | None = Field(description="When it is tried again; null when done.")
    last_attempt_at: dt.datetime | None
    response_status: int | None = Field(description="The HTTP status of the last answer.")
    response_excerpt: str = Field(description="The start of the last answer's body.")
    error: str = Field(description="Why the last attempt failed; empty when it did not.")
    replay_of: int | None = Field(description="The delivery this one replays.")
    payload: dict[str, Any] = Field(description="The body sent.")
    created_at: dt.datetime
    delivered_at: dt.datetime | None

    @staticmethod
    def resolve_delivery_id(delivery: WebhookDelivery) -> uuid.UUID:
        return delivery.uuid

    @staticmethod
    def resolve_replay_of(delivery: WebhookDelivery) -> int | None:
        return delivery.replay_of_id


# --- webhooks -------------------------------------------------------------------------------------------


@router.get("/webhooks", response={200: Page[WebhookOut], **errors(403)}, summary="List webhooks (admin)")
def webhook_list(request: HttpRequest, paging: Query[PageParams]) -> dict[str, Any]:
    return page(selectors.webhook_list(actor=request_user(request)), cursor=paging.cursor, limit=paging.limit)


@router.post("/webhooks", response={201: WebhookOut, **errors(403)}, summary="Register a webhook (admin)")
def webhook_create(request: HttpRequest, payload: WebhookIn) -> Status[Webhook]:
    """Register a URL for events; the answer carries the secret that signs its deliveries. A URL at a
    private or loopback address is a 422 unless WEBHOOKS_ALLOW_PRIVATE_ADDRESSES is on."""
    webhook = services.webhook_create(actor=request_user(request), **payload.model_dump())
    return Status(201, webhook)


@router.get("/webhooks/{webhook_id}", response={200: WebhookOut, **errors(403, 404)}, summary="Get a webhook")
def webhook_get(request: HttpRequest, webhook_id: int) -> Webhook:
    return selectors.webhook_get(actor=request_user(request), webhook_id=webhook_id)


@router.patch(
    "/webhooks/{webhook_id}", response={200: WebhookOut, **errors(403, 404)}, summary="Change a webhook"
)
def webhook_update(request: HttpRequest, webhook_id: int, payload: WebhookPatch) -> Webhook:
    """Change what the body gives; `"is_active": false` pauses it and keeps its log."""
    return services.webhook_update(actor=request_user(request), webhook_id=webhook_id, **payload.changes())


@router.delete("/webhooks/{webhook_id}", response={204: None, **errors(403, 404)}, summary="Delete a webhook")
def webhook_delete(request: HttpRequest, webhook_id: int) -> Status[None]:
    """Delete it with its delivery log."""
    services.webhook_delete(actor=request_user(request), webhook_id=webhook_id)
    return Status(204, None)


# --- deliveries -----------------------------------------------------------------------------------------


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response={200: Page[DeliveryOut], **errors(403, 404)},
    summary="List a webhook's deliveries",
)
def webhook_delivery_list(request: HttpRequest, webhook_id: int, paging: Query[PageParams]) -> dict[str, Any]:
    """Every delivery to the webhook, newest first, with its status, attempts and last answer."""
    deliveries = selectors.webhook_delivery_list(actor=request_user(request), webhook_id=webhook_id)
    return page(deliveries, cursor=paging.cursor, limit=paging.limit)


@router.post(
    "/webhooks/deliveries/{delivery_id}/replay",
    response={201: DeliveryOut, **errors(403, 404, 409)},
    summary="Replay a delivery",
)
def webhook_delivery_replay(request: HttpRequest, delivery_id: int) -> Status[WebhookDelivery]:
    """Send a delivery's body again as a new delivery (a new delivery id); 409 `webhook_inactive` when the
    webhook is switched off."""
    replay = services.webhook_delivery_replay(actor=request_user(request), delivery_id=delivery_id)
    return Status(201, replay)
