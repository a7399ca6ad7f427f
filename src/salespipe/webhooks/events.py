"""The events a webhook can subscribe to: the one list the models, services, API and docs use."""

from __future__ import annotations

DEAL_CREATED = "deal.created"
DEAL_UPDATED = "deal.updated"
DEAL_MOVED = "deal.moved"
DEAL_WON = "deal.won"
DEAL_LOST = "deal.lost"
ACTIVITY_CREATED = "activity.created"
ACTIVITY_COMPLETED = "activity.completed"

EVENTS: tuple[str, ...] = (
    DEAL_CREATED,
    DEAL_UPDATED,
    DEAL_MOVED,
    DEAL_WON,
    DEAL_LOST,
    ACTIVITY_CREATED,
    ACTIVITY_COMPLETED,
)
