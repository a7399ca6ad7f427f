"""A real SMTP server on loopback (aiosmtpd), and helpers to run the background worker in a test."""

from __future__ import annotations

import datetime as dt
import email
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import django
import pytest
from aiosmtpd.controller import Controller
from django.db import close_old_connections, connection

from salespipe.notifications.worker import worker_run

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """What the SMTP server received: one (envelope recipients, parsed message) per DATA command."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        return [message for _, message in self.received]


def point_mail_at(settings: Any, backend: str, options: dict[str, Any]) -> None:
    """Configure the default mailer: MAILERS on Django 6.1+, the EMAIL_* settings before."""
    if django.VERSION >= (6, 1):
        settings.MAILERS = {"default": {"BACKEND": backend, "OPTIONS": options}}
        return
    settings.EMAIL_BACKEND = backend
    names = {
        "host": "EMAIL_HOST",
        "port": "EMAIL_PORT",
        "timeout": "EMAIL_TIMEOUT",
        "file_path": "EMAIL_FILE_PATH",
    }
    for option, value in options.items():
        setattr(settings, names[option], value)


def send_to_port(settings: Any, port: int) -> None:
    point_mail_at(settings, SMTP_BACKEND, {"host": "127.0.0.1", "port": port, "timeout": 10})


@pytest.fixture
def smtp_inbox(settings: Any) -> Iterator[Inbox]:
    """An SMTP server on 127.0.0.1 and a free port, and the app's mail configured to send to it."""
    inbox = Inbox(free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    send_to_port(settings, inbox.port)
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def run_worker(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run the worker as `salespipe worker --batch` does: due periodic jobs, then every queued task.

    In the test's own transaction: the worker's habit of closing stale connections between tasks (which
    a test's open transaction looks like) is switched off."""
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run() -> int:
        return worker_run(batch=True)

    return run


def aware(zone: str, *parts: int) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime(*parts, tzinfo=ZoneInfo(zone))


def race(target: Any, times: int = 2) -> list[Any]:
    """Run `target` in `times` threads released at the same moment, as that many workers would; each
    thread has its own database connection. Needs `django_db(transaction=True)`."""
    barrier = threading.Barrier(times)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(target())
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results
