"""Webhooks go to public addresses only, checked at registration and again at each delivery (SSRF)."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from salespipe.core.errors import InvalidInput
from salespipe.people.models import User
from salespipe.webhooks.events import DEAL_CREATED
from salespipe.webhooks.models import DeliveryStatus, Webhook
from salespipe.webhooks.services import webhook_create, webhook_event_emit
from tests.webhooks.conftest import Receiver

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://127.0.0.1:8000/hook", "127.0.0.1"),
        ("http://10.1.2.3/hook", "10.1.2.3"),
        ("http://192.168.1.20/hook", "192.168.1.20"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::1]:8080/hook", "::1"),
        ("http://0.0.0.0/hook", "0.0.0.0"),  # noqa: S104 - a URL, not a bind
        ("https://224.0.0.1/hook", "224.0.0.1"),
        ("http://[::ffff:10.0.0.1]/hook", "::ffff:10.0.0.1"),
        ("http://localhost:8000/hook", "127.0.0.1"),
    ],
)
def test_a_url_inside_the_network_is_refused_naming_the_address_and_the_setting(
    admin_user: User, url: str, address: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        webhook_create(actor=admin_user, url=url, events=[DEAL_CREATED])

    assert refused.value.code == "webhook_url_refused"
    assert f"the address {address} (host " in refused.value.message
    assert "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES" in refused.value.message
    assert "url" in refused.value.fields
    assert not Webhook.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "gopher://example.com/",
        "example.com/hook",
        "http:///hook",
    ],
)
def test_only_http_and_https_urls_with_a_host_are_accepted(admin_user: User, url: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        webhook_create(actor=admin_user, url=url, events=[DEAL_CREATED])

    assert "url" in refused.value.fields


def test_a_public_address_is_accepted(admin_user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    # given a host name that resolves to a public address (no DNS in tests: the resolver is stubbed)
    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        assert host == "hooks.example.com"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)

    webhook = webhook_create(
        actor=admin_user, url="https://hooks.example.com/salespipe", events=[DEAL_CREATED]
    )

    assert webhook.url == "https://hooks.example.com/salespipe"


def test_a_host_with_a_public_and_a_private_address_is_refused(
    admin_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)

    with pytest.raises(InvalidInput, match=r"10\.0\.0\.7"):
        webhook_create(actor=admin_user, url="https://hooks.example.com/", events=[DEAL_CREATED])


def test_a_loopback_url_is_accepted_when_the_setting_allows_private_addresses(
    admin_user: User, receiver: Receiver, allow_loopback: None
) -> None:
    webhook = webhook_create(actor=admin_user, url=receiver.url(), events=[DEAL_CREATED])

    assert webhook.url == receiver.url()


def test_a_url_that_turned_private_since_registration_is_refused_at_delivery(
    webhook: Webhook, receiver: Receiver, settings: Any, work: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given a webhook registered while private addresses were allowed, and the setting switched off since
    # (for a public host name, the same happens when its DNS answer changes to a private address)
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = webhook_event_emit(event=DEAL_CREATED, payload={"id": 1})

    # when the worker runs
    work()

    # then nothing reached the server, and the log says why
    assert receiver.received == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "127.0.0.1" in delivery.error and "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES" in delivery.error


def test_the_delivery_connects_to_the_address_that_was_checked(
    webhook: Webhook,
    receiver: Receiver,
    admin_user: User,
    monkeypatch: pytest.MonkeyPatch,
    work: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The host name is resolved once per attempt, and the connection goes to that very address: a
    second DNS answer (DNS rebinding between the check and the connection) is never asked for."""
    from salespipe.webhooks.services import webhook_update

    real_getaddrinfo = socket.getaddrinfo
    lookups: list[str] = []

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        lookups.append(host)
        if host == "receiver.test":
            return real_getaddrinfo("127.0.0.1", port, *args, **kwargs)
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    webhook_update(
        actor=admin_user, webhook_id=webhook.pk, url=f"http://receiver.test:{receiver.port}/pinned"
    )
    lookups.clear()
    with django_capture_on_commit_callbacks(execute=True):
        webhook_event_emit(event=DEAL_CREATED, payload={"id": 1})

    work()

    [request] = receiver.received
    assert request.path == "/pinned"
    assert request.headers["Host"] == f"receiver.test:{receiver.port}"
    assert lookups.count("receiver.test") == 1
