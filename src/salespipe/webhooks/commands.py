"""`salespipe webhook ...`: register webhooks, read their deliveries and replay one (docs/cli.md).

The command line acts as an administrator, as the other commands do; `--as USERNAME` acts as that user
instead (only administrators manage webhooks). `--json` prints the REST API's shape.
"""

from __future__ import annotations

import json
from typing import Any

import click

from salespipe.core.command_options import acting_option, acting_user, json_option, run_on_database
from salespipe.webhooks.events import EVENTS


def _webhook_body(webhook: Any) -> dict[str, Any]:
    from salespipe.webhooks.api import WebhookOut

    body: dict[str, Any] = WebhookOut.model_validate(webhook).model_dump(mode="json")
    return body


def _delivery_body(delivery: Any) -> dict[str, Any]:
    from salespipe.webhooks.api import DeliveryOut

    body: dict[str, Any] = DeliveryOut.model_validate(delivery).model_dump(mode="json")
    return body


def _webhook_line(row: dict[str, Any]) -> str:
    state = "on " if row["is_active"] else "off"
    return f"#{row['id']:<4} {state} {row['url']}  {', '.join(row['events'])}"


def _delivery_line(row: dict[str, Any]) -> str:
    answer = row["response_status"] or "-"
    when = row["next_attempt_at"] or row["delivered_at"] or row["created_at"]
    return (
        f"#{row['id']:<6} {row['event']:<19} {row['status']:<9} attempts {row['attempts']}  "
        f"HTTP {answer}  {when}  {row['error']}".rstrip()
    )


@click.group(short_help="Register webhooks, read their deliveries, replay one.")
def webhook() -> None:
    """Webhooks: URLs that get a signed POST for deal and activity events. See docs/webhooks.md."""


@webhook.command("list")
@acting_option
@json_option
def webhook_list_command(acting: str | None, as_json: bool) -> None:
    """The webhooks, newest first: id, on or off, URL, events."""

    def work() -> None:
        from salespipe.webhooks.selectors import webhook_list

        rows = [_webhook_body(each) for each in webhook_list(actor=acting_user(acting))]
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        for row in rows:
            click.echo(_webhook_line(row))

    run_on_database(work)


@webhook.command("add")
@click.argument("url")
@click.option(
    "--event",
    "events",
    multiple=True,
    required=True,
    type=click.Choice(EVENTS),
    help="An event to receive; repeat for more.",
)
@click.option("--description", default="", help="What receives it, for the admins.")
@acting_option
@json_option
def webhook_add_command(
    url: str, events: tuple[str, ...], description: str, acting: str | None, as_json: bool
) -> None:
    """Register URL for events; prints the secret that signs its deliveries."""

    def work() -> None:
        from salespipe.webhooks.services import webhook_create

        created = webhook_create(actor=acting_user(acting), url=url, events=events, description=description)
        row = _webhook_body(created)
        if as_json:
            click.echo(json.dumps(row, indent=2))
            return
        click.echo(_webhook_line(row))
        click.echo(f"Secret: {row['secret']}")

    run_on_database(work)


@webhook.command("deliveries")
@click.argument("webhook_id", type=int)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="How many.")
@acting_option
@json_option
def webhook_deliveries_command(webhook_id: int, limit: int, acting: str | None, as_json: bool) -> None:
    """A webhook's deliveries, newest first: status, attempts, last answer, next attempt."""

    def work() -> None:
        from salespipe.webhooks.selectors import webhook_delivery_list

        deliveries = webhook_delivery_list(actor=acting_user(acting), webhook_id=webhook_id).order_by("-pk")
        rows = [_delivery_body(each) for each in deliveries[:limit]]
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        for row in rows:
            click.echo(_delivery_line(row))

    run_on_database(work)


@webhook.command("replay")
@click.argument("delivery_id", type=int)
@acting_option
def webhook_replay_command(delivery_id: int, acting: str | None) -> None:
    """Send a delivery's body again, as a new delivery (the worker sends it)."""

    def work() -> None:
        from salespipe.webhooks.services import webhook_delivery_replay

        replay = webhook_delivery_replay(actor=acting_user(acting), delivery_id=delivery_id)
        click.echo(f"Delivery {delivery_id} replayed as delivery {replay.pk} ({replay.uuid}).")

    run_on_database(work)
