"""Webhooks over HTTP: admins manage them and read their deliveries; nobody else may."""

from __future__ import annotations

from typing import Any

import pytest

from salespipe.people.models import User
from salespipe.webhooks.events import DEAL_CREATED, DEAL_WON
from salespipe.webhooks.models import Webhook, WebhookDelivery
from salespipe.webhooks.services import webhook_event_emit
from tests.api.conftest import ApiClient
from tests.webhooks.conftest import Receiver

pytestmark = pytest.mark.django_db

JSON = "application/json"


def test_an_admin_registers_a_webhook_and_gets_its_secret(
    api_client: ApiClient,
    admin_user: User,
    receiver: Receiver,
    allow_loopback: None,
) -> None:
    response = api_client(admin_user).post(
        "/api/v1/webhooks",
        {"url": receiver.url(), "events": ["deal.won", "deal.created"], "description": "ERP"},
        content_type=JSON,
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    webhook = Webhook.objects.get()
    assert body["id"] == webhook.pk
    assert body["url"] == receiver.url()
    assert body["events"] == ["deal.created", "deal.won"]
    assert body["secret"] == webhook.secret and len(webhook.secret) >= 40
    assert body["is_active"] is True
    assert body["created_by"]["username"] == "admin"


def test_a_private_url_is_a_422_naming_the_setting(api_client: ApiClient, admin_user: User) -> None:
    response = api_client(admin_user).post(
        "/api/v1/webhooks", {"url": "http://169.254.169.254/", "events": ["deal.won"]}, content_type=JSON
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "webhook_url_refused"
    assert "169.254.169.254" in error["message"] and "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES" in error["message"]
    assert "url" in error["fields"]


def test_an_unknown_event_is_a_422(
    api_client: ApiClient,
    admin_user: User,
    receiver: Receiver,
    allow_loopback: None,
) -> None:
    response = api_client(admin_user).post(
        "/api/v1/webhooks", {"url": receiver.url(), "events": ["deal.exploded"]}, content_type=JSON
    )

    assert response.status_code == 422
    assert "events.0" in response.json()["error"]["fields"]


def test_an_admin_lists_gets_changes_and_deletes_webhooks(
    api_client: ApiClient,
    admin_user: User,
    webhook: Webhook,
    receiver: Receiver,
) -> None:
    client = api_client(admin_user)

    listed = client.get("/api/v1/webhooks").json()
    got = client.get(f"/api/v1/webhooks/{webhook.pk}").json()
    changed = client.patch(
        f"/api/v1/webhooks/{webhook.pk}", {"events": [DEAL_WON], "is_active": False}, content_type=JSON
    )
    deleted = client.delete(f"/api/v1/webhooks/{webhook.pk}")

    assert [item["id"] for item in listed["items"]] == [webhook.pk]
    assert got["description"] == "CRM sync"
    assert changed.status_code == 200
    assert changed.json()["events"] == [DEAL_WON] and changed.json()["is_active"] is False
    assert deleted.status_code == 204
    assert not Webhook.objects.exists()
    assert client.get(f"/api/v1/webhooks/{webhook.pk}").status_code == 404


def test_an_admin_reads_a_webhooks_deliveries_and_replays_one(
    api_client: ApiClient,
    admin_user: User,
    webhook: Webhook,
    work: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a delivery that went out
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = webhook_event_emit(event=DEAL_CREATED, payload={"id": 7})
    work()
    client = api_client(admin_user)

    # when the admin lists the deliveries and replays the one
    listed = client.get(f"/api/v1/webhooks/{webhook.pk}/deliveries").json()
    with django_capture_on_commit_callbacks(execute=True):
        replayed = client.post(f"/api/v1/webhooks/deliveries/{delivery.pk}/replay")
    work()

    # then
    [item] = listed["items"]
    assert item["id"] == delivery.pk
    assert item["delivery_id"] == str(delivery.uuid)
    assert item["status"] == "succeeded" and item["attempts"] == 1 and item["response_status"] == 200
    assert item["payload"]["data"] == {"id": 7}
    assert replayed.status_code == 201
    assert replayed.json()["replay_of"] == delivery.pk
    assert replayed.json()["delivery_id"] != str(delivery.uuid)
    assert WebhookDelivery.objects.get(pk=replayed.json()["id"]).status == "succeeded"


def test_replaying_a_delivery_of_a_switched_off_webhook_is_a_409(
    api_client: ApiClient,
    admin_user: User,
    webhook: Webhook,
) -> None:
    [delivery] = webhook_event_emit(event=DEAL_CREATED, payload={"id": 7})
    Webhook.objects.filter(pk=webhook.pk).update(is_active=False)

    response = api_client(admin_user).post(f"/api/v1/webhooks/deliveries/{delivery.pk}/replay")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "webhook_inactive"


@pytest.mark.parametrize("who", ["manager", "rep"])
def test_only_admins_may_see_or_manage_webhooks(
    api_client: ApiClient,
    webhook: Webhook,
    receiver: Receiver,
    who: str,
    request: Any,
) -> None:
    client = api_client(request.getfixturevalue(who))
    [delivery] = webhook_event_emit(event=DEAL_CREATED, payload={"id": 7})

    answers = [
        client.get("/api/v1/webhooks"),
        client.post("/api/v1/webhooks", {"url": receiver.url(), "events": ["deal.won"]}, content_type=JSON),
        client.get(f"/api/v1/webhooks/{webhook.pk}"),
        client.patch(f"/api/v1/webhooks/{webhook.pk}", {"is_active": False}, content_type=JSON),
        client.delete(f"/api/v1/webhooks/{webhook.pk}"),
        client.get(f"/api/v1/webhooks/{webhook.pk}/deliveries"),
        client.post(f"/api/v1/webhooks/deliveries/{delivery.pk}/replay"),
    ]

    assert [answer.status_code for answer in answers] == [403] * 7
    assert answers[0].json()["error"]["message"] == "Only an administrator can see and manage webhooks."
    assert Webhook.objects.get().is_active and WebhookDelivery.objects.count() == 1


def test_the_admin_site_registers_a_webhook_through_the_service_and_shows_its_secret(
    browser_of: Any, admin_user: User, receiver: Receiver, allow_loopback: None
) -> None:
    browser = browser_of(admin_user)

    response = browser.post(
        "/admin/webhooks/webhook/add/",
        {"url": receiver.url(), "events": ["deal.won"], "description": "ERP", "is_active": "on"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    webhook = Webhook.objects.get()
    assert webhook.created_by == admin_user and len(webhook.secret) >= 40
    page = browser.get(f"/admin/webhooks/webhook/{webhook.pk}/change/")
    assert webhook.secret in page.content.decode()


def test_the_admin_site_refuses_a_private_url_on_the_form(browser_of: Any, admin_user: User) -> None:
    response = browser_of(admin_user).post(
        "/admin/webhooks/webhook/add/", {"url": "http://10.0.0.1/hook", "events": ["deal.won"]}
    )

    assert response.status_code == 200
    assert "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES" in response.content.decode()
    assert not Webhook.objects.exists()


def test_the_admin_site_replays_deliveries_with_an_action(
    browser_of: Any, admin_user: User, webhook: Webhook
) -> None:
    [delivery] = webhook_event_emit(event=DEAL_CREATED, payload={"id": 7})

    response = browser_of(admin_user).post(
        "/admin/webhooks/webhookdelivery/",
        {"action": "replay_deliveries", "_selected_action": [delivery.pk]},
    )

    assert response.status_code == 302
    replay = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
    assert replay.replay_of == delivery and replay.payload["data"] == {"id": 7}


def test_refusals_come_back_in_the_language_of_the_request(api_client: ApiClient, rep: User) -> None:
    response = api_client(rep).get("/api/v1/webhooks", headers={"Accept-Language": "el"})

    assert response.status_code == 403
    assert (
        response.json()["error"]["message"] == "Μόνο ένας διαχειριστής βλέπει και διαχειρίζεται τα webhooks."
    )


def test_staff_who_are_not_administrators_cannot_open_webhooks_in_the_admin_site(
    browser_of: Any, manager: User, webhook: Webhook
) -> None:
    manager.is_staff = manager.is_superuser = True
    manager.save()
    browser = browser_of(manager)

    assert browser.get("/admin/webhooks/webhook/").status_code == 403
    assert browser.get(f"/admin/webhooks/webhook/{webhook.pk}/change/").status_code == 403
    assert browser.get("/admin/webhooks/webhookdelivery/").status_code == 403
