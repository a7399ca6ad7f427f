"""Deliveries reach a real HTTP server on loopback: signed, after commit only, retried, given up, replayed."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

import pytest
import time_machine
from django.db import transaction

from salespipe.people.models import User
from salespipe.webhooks import services, tasks
from salespipe.webhooks.events import DEAL_CREATED, DEAL_WON
from salespipe.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery
from salespipe.webhooks.services import webhook_delivery_replay, webhook_event_emit, webhook_update
from tests.webhooks.conftest import Receiver

pytestmark = pytest.mark.django_db


def emit(**data: Any) -> WebhookDelivery:
    [delivery] = webhook_event_emit(event=DEAL_CREATED, payload={"id": 42, "title": "Acme", **data})
    return delivery


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def retry_after_pause(delivery: WebhookDelivery, work: Any, capture: Any) -> None:
    """Travel to the end of the delivery's retry pause and run the every-minute sweep, then the worker."""
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is not None
    with time_machine.travel(delivery.next_attempt_at + dt.timedelta(seconds=1), tick=False):
        with capture(execute=True):
            tasks.webhook_deliveries_retry_due.call()
        work()


def test_a_delivery_is_a_signed_json_post_with_the_event_and_delivery_headers(
    webhook: Webhook, receiver: Receiver, work: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given an event emitted in a transaction that commits
    with django_capture_on_commit_callbacks(execute=True):
        delivery = emit(value="2500.00")
    assert receiver.received == []

    # when the worker runs
    work()

    # then the receiver got one POST with the envelope as its body
    [request] = receiver.received
    assert request.path == "/hooks/salespipe"
    assert request.json == {
        "event": "deal.created",
        "delivery_id": str(delivery.uuid),
        "occurred_at": delivery.created_at.isoformat(),
        "data": {"id": 42, "title": "Acme", "value": "2500.00"},
    }
    headers = request.headers
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Salespipe-Event"] == "deal.created"
    assert headers["X-Salespipe-Delivery"] == str(delivery.uuid)
    # and the signature is HMAC-SHA256 of "<timestamp>.<exact body>" with the webhook's secret
    timestamp = headers["X-Salespipe-Timestamp"]
    assert abs(int(timestamp) - delivery.created_at.timestamp()) < 60
    assert headers["X-Salespipe-Signature"] == expected_signature(webhook.secret, timestamp, request.body)
    assert headers["X-Salespipe-Signature"] != expected_signature("another secret", timestamp, request.body)
    # and the log says it arrived
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1
    assert delivery.response_status == 200
    assert delivery.response_excerpt == '{"ok": true}'
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None


def test_nothing_is_sent_before_the_transaction_commits(
    webhook: Webhook, receiver: Receiver, work: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        emit()
        # the worker runs while the transaction is still open: nothing is queued for it yet
        work()
        assert receiver.received == []

    assert len(callbacks) == 1


def test_a_rolled_back_change_sends_nothing(
    webhook: Webhook,
    receiver: Receiver,
    work: Any,
    make_deal: Any,
    rep: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a deal created and then rolled back (a later step of the same request failed)
    def create_then_fail() -> None:
        with transaction.atomic():
            make_deal(rep, title="Never happened")
            raise RuntimeError("a later step failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        create_then_fail()

    # when the worker runs
    work()

    # then nothing was logged or sent
    assert receiver.received == []
    assert not WebhookDelivery.objects.exists()


def test_a_failed_delivery_is_retried_with_a_growing_pause_and_then_succeeds(
    webhook: Webhook, receiver: Receiver, work: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given a receiver that answers 500 twice
    receiver.fail_next = 2
    with django_capture_on_commit_callbacks(execute=True):
        delivery = emit()

    # when it is first sent
    work()

    # then the attempt is logged as failed with the answer, and a retry in a minute
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
    assert delivery.response_status == 500
    assert delivery.response_excerpt == "receiver is down for maintenance"
    assert "HTTP 500" in delivery.error
    assert delivery.last_attempt_at is not None and delivery.next_attempt_at is not None
    assert delivery.next_attempt_at - delivery.last_attempt_at == dt.timedelta(minutes=1)

    # and the sweep before the pause is over does not retry it
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            services.webhook_deliveries_retry_due(now=delivery.next_attempt_at - dt.timedelta(seconds=1)) == 0
        )

    # when the pause is over: the second attempt fails too, and the next pause is five minutes
    retry_after_pause(delivery, work, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 2
    assert delivery.next_attempt_at - delivery.last_attempt_at == dt.timedelta(minutes=5)  # type: ignore[operator]

    # and the third succeeds
    retry_after_pause(delivery, work, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 3
    assert delivery.error == "" and delivery.next_attempt_at is None
    # with the same delivery id and the same body every time
    assert len(receiver.received) == 3
    assert {request.headers["X-Salespipe-Delivery"] for request in receiver.received} == {str(delivery.uuid)}
    assert len({request.body for request in receiver.received}) == 1


def test_a_delivery_is_given_up_after_the_last_attempt_fails(
    webhook: Webhook, receiver: Receiver, work: Any, django_capture_on_commit_callbacks: Any
) -> None:
    receiver.fail_next = 100
    with django_capture_on_commit_callbacks(execute=True):
        delivery = emit()
    work()

    pauses = []
    for _ in range(services.MAX_ATTEMPTS - 1):
        delivery.refresh_from_db()
        pauses.append(delivery.next_attempt_at - delivery.last_attempt_at)  # type: ignore[operator]
        retry_after_pause(delivery, work, django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert pauses == [
        dt.timedelta(minutes=1),
        dt.timedelta(minutes=5),
        dt.timedelta(minutes=30),
        dt.timedelta(hours=2),
        dt.timedelta(hours=6),
    ]
    assert delivery.status == DeliveryStatus.GAVE_UP
    assert delivery.attempts == services.MAX_ATTEMPTS == 6
    assert delivery.next_attempt_at is None
    assert len(receiver.received) == 6
    # and later sweeps leave it alone
    with django_capture_on_commit_callbacks(execute=True):
        assert services.webhook_deliveries_retry_due(now=delivery.created_at + dt.timedelta(days=30)) == 0


def test_a_replay_sends_the_same_payload_under_a_new_delivery_id(
    webhook: Webhook,
    receiver: Receiver,
    admin_user: User,
    work: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a delivery that arrived
    with django_capture_on_commit_callbacks(execute=True):
        original = emit()
    work()

    # when an admin replays it
    with django_capture_on_commit_callbacks(execute=True):
        replay = webhook_delivery_replay(actor=admin_user, delivery_id=original.pk)
    work()

    # then the receiver got it again: same event and data, a new delivery id, linked to the original
    first, second = receiver.received
    assert second.headers["X-Salespipe-Delivery"] == str(replay.uuid) != str(original.uuid)
    assert second.json == {**first.json, "delivery_id": str(replay.uuid)}
    replay.refresh_from_db()
    assert replay.replay_of == original
    assert replay.status == DeliveryStatus.SUCCEEDED
    assert second.headers["X-Salespipe-Signature"] == expected_signature(
        webhook.secret, second.headers["X-Salespipe-Timestamp"], second.body
    )


def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(
    webhook: Webhook, receiver: Receiver, work: Any, django_capture_on_commit_callbacks: Any
) -> None:
    receiver.redirect_to = receiver.url("/elsewhere")
    with django_capture_on_commit_callbacks(execute=True):
        delivery = emit()

    work()

    [request] = receiver.received
    assert request.path == "/hooks/salespipe"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.response_status == 302
    assert "redirect" in delivery.error


def test_a_receiver_that_is_down_is_a_failed_attempt_with_the_error(
    webhook: Webhook, receiver: Receiver, admin_user: User, work: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given the webhook points at a port where nothing listens
    from tests.notifications.conftest import free_port

    webhook_update(actor=admin_user, webhook_id=webhook.pk, url=f"http://127.0.0.1:{free_port()}/hook")
    with django_capture_on_commit_callbacks(execute=True):
        delivery = emit()

    work()

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.response_status is None
    assert "ConnectionRefusedError" in delivery.error


def test_a_delivery_of_a_webhook_switched_off_meanwhile_is_not_sent(
    webhook: Webhook, receiver: Receiver, admin_user: User, work: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        delivery = emit()
    webhook_update(actor=admin_user, webhook_id=webhook.pk, is_active=False)

    work()

    assert receiver.received == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.GAVE_UP
    assert "switched off" in delivery.error


def test_a_delivery_is_sent_once_even_if_its_task_runs_twice(
    webhook: Webhook, receiver: Receiver, work: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        delivery = emit()
    work()

    assert services.webhook_deliver(delivery_id=delivery.pk) == "skipped"
    assert len(receiver.received) == 1


def test_a_delivery_whose_task_was_lost_is_sent_by_the_sweep(
    webhook: Webhook, receiver: Receiver, work: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given a delivery whose task never got enqueued (the process died right after the commit)
    with django_capture_on_commit_callbacks(execute=False):
        delivery = emit()

    # when the sweep runs after the watchdog's pause
    retry_after_pause(delivery, work, django_capture_on_commit_callbacks)

    # then it goes out
    assert len(receiver.received) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED


def test_the_sweep_is_a_periodic_job_of_the_worker() -> None:
    from salespipe.core.tasks import MINUTE, periodic_jobs

    jobs = {job.name: job.every for job in periodic_jobs()}

    assert jobs[tasks.webhook_deliveries_retry_due.module_path] == MINUTE


def test_an_event_goes_only_to_active_webhooks_that_subscribe_to_it(
    admin_user: User, receiver: Receiver, allow_loopback: None
) -> None:
    wants_won = services.webhook_create(actor=admin_user, url=receiver.url("/won"), events=[DEAL_WON])
    services.webhook_create(actor=admin_user, url=receiver.url("/created"), events=[DEAL_CREATED])
    services.webhook_create(actor=admin_user, url=receiver.url("/off"), events=[DEAL_WON], is_active=False)

    deliveries = webhook_event_emit(event=DEAL_WON, payload={"id": 1})

    assert [delivery.webhook for delivery in deliveries] == [wants_won]
