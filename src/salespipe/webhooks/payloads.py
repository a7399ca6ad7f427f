"""What an event says about its deal or activity: one small function per entity, plain JSON values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from salespipe.activities.models import Activity
from salespipe.deals.models import Deal


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def deal_payload(deal: Deal, *, changed: Sequence[str] = ()) -> dict[str, Any]:
    """The deal as it is now; `changed` names the fields an update changed (API field names)."""
    data: dict[str, Any] = {
        "id": deal.pk,
        "title": deal.title,
        "pipeline": {"id": deal.pipeline_id, "name": deal.pipeline.name},
        "stage": {"id": deal.stage_id, "name": deal.stage.name},
        "status": deal.status,
        "value": str(deal.value),
        "currency": deal.currency,
        "owner": deal.owner.username,
        "organization": deal.organization.name if deal.organization is not None else None,
        "expected_close_date": deal.expected_close_date.isoformat() if deal.expected_close_date else None,
        "won_at": _time(deal.won_at),
        "lost_at": _time(deal.lost_at),
        "lost_reason": deal.lost_reason,
        "version": deal.version,
    }
    if changed:
        data["changed"] = sorted(changed)
    return data


def activity_payload(activity: Activity) -> dict[str, Any]:
    return {
        "id": activity.pk,
        "kind": activity.kind,
        "subject": activity.subject,
        "deal_id": activity.deal_id,
        "owner": activity.owner.username,
        "due_at": _time(activity.due_at),
        "done_at": _time(activity.done_at),
        "outcome": activity.outcome,
    }
