"""`salespipe webhook`: register, list, read deliveries and replay from a terminal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from salespipe.cli import main
from salespipe.people.models import User
from salespipe.webhooks.events import DEAL_WON
from salespipe.webhooks.models import Webhook, WebhookDelivery
from salespipe.webhooks.services import webhook_event_emit
from tests.webhooks.conftest import Receiver

pytestmark = pytest.mark.django_db


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_add_registers_a_webhook_and_prints_its_secret(receiver: Receiver, allow_loopback: None) -> None:
    result = run("webhook", "add", receiver.url(), "--event", "deal.won", "--event", "deal.lost")

    assert result.exit_code == 0, result.output
    webhook = Webhook.objects.get()
    assert webhook.events == ["deal.won", "deal.lost"] and webhook.created_by is None
    assert f"Secret: {webhook.secret}" in result.output
    listed = run("webhook", "list", "--json")
    assert [row["url"] for row in json.loads(listed.output)] == [receiver.url()]


def test_add_refuses_a_loopback_url_with_exit_code_2() -> None:
    result = run("webhook", "add", "http://127.0.0.1:9000/hook", "--event", "deal.won")

    assert result.exit_code == 2
    assert "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES" in result.output
    assert not Webhook.objects.exists()


def test_deliveries_are_listed_and_one_is_replayed(webhook: Webhook) -> None:
    [delivery] = webhook_event_emit(event=DEAL_WON, payload={"id": 1})

    listed = run("webhook", "deliveries", str(webhook.pk))
    replayed = run("webhook", "replay", str(delivery.pk))

    assert listed.exit_code == 0, listed.output
    assert f"#{delivery.pk}" in listed.output and "deal.won" in listed.output and "pending" in listed.output
    assert replayed.exit_code == 0, replayed.output
    assert WebhookDelivery.objects.filter(replay_of=delivery).count() == 1


def test_a_rep_may_not_manage_webhooks(rep: User, webhook: Webhook) -> None:
    result = run("webhook", "list", "--as", "rep")

    assert result.exit_code == 5
    assert "Only an administrator" in result.output
