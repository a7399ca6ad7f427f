"""A real HTTP server on loopback that records what it receives, and webhooks pointing at it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from salespipe.people.models import User
from salespipe.webhooks.events import EVENTS
from salespipe.webhooks.models import Webhook
from salespipe.webhooks.services import webhook_create

# Fixtures of other folders these tests use too.
from tests.api.conftest import api_client  # noqa: F401
from tests.notifications.conftest import run_worker  # noqa: F401


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the server got, and how it answers: `fail_next` requests get `fail_status` (then 200), and
    with `redirect_to` every request gets a 302 there."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    fail_next: int = 0
    fail_status: int = 500
    redirect_to: str | None = None

    def url(self, path: str = "/hooks/salespipe") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        receiver.received.append(Received(self.path, dict(self.headers.items()), body))
        if receiver.redirect_to is not None:
            self._answer(302, b"moved", location=receiver.redirect_to)
        elif receiver.fail_next > 0:
            receiver.fail_next -= 1
            self._answer(receiver.fail_status, b"receiver is down for maintenance")
        else:
            self._answer(200, b'{"ok": true}')

    def _answer(self, status: int, body: bytes, location: str | None = None) -> None:
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    receiver: Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP server on 127.0.0.1 and an ephemeral port, in a thread, for the length of a test."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.receiver = Receiver(port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def allow_loopback(settings: Any) -> None:
    """The tests' receiver is on loopback, which webhooks refuse unless the setting allows it."""
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True


@pytest.fixture
def work(run_worker: Any) -> Any:  # noqa: F811 - the fixture imported above
    """Run the background worker once (`salespipe worker --batch`): the periodic jobs due now, then every
    queued task. Digests are switched off first: the notifications' minute runs too, on the real clock."""

    def run() -> int:
        User.objects.update(daily_digest=False, weekly_digest=False)
        return int(run_worker())

    return run


@pytest.fixture
def webhook(admin_user: User, receiver: Receiver, allow_loopback: None) -> Webhook:
    """A webhook on the receiver for every event."""
    return webhook_create(actor=admin_user, url=receiver.url(), events=EVENTS, description="CRM sync")
