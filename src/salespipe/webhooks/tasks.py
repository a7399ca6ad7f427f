"""Background tasks of webhooks; `salespipe worker` runs them (docs/webhooks.md)."""

from __future__ import annotations

from salespipe.core.tasks import MINUTE, periodic, task
from salespipe.webhooks import services


@task()
def webhook_deliver(delivery_id: int) -> str:
    """POST one delivery to its webhook, unless it is done or being sent already."""
    return services.webhook_deliver(delivery_id=delivery_id)


@periodic(every=MINUTE)
@task()
def webhook_deliveries_retry_due() -> int:
    """Every minute: enqueue the deliveries whose retry pause is over (or whose task was lost)."""
    return services.webhook_deliveries_retry_due()
