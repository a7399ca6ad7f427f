"""Mail and background-work settings come from the environment (docs/settings.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from salespipe import settings as project_settings

SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture(autouse=True)
def no_mail_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("EMAIL_URL", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def test_an_email_url_configures_smtp_with_starttls_and_an_escaped_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EMAIL_URL", "smtp://sales%40example.com:p%40ss%3Aword@mail.example.com:587/?tls=True")

    backend, options = project_settings._mailer()

    assert backend == SMTP
    assert options == {
        "host": "mail.example.com",
        "port": 587,
        "username": "sales@example.com",
        "password": "p@ss:word",
        "use_tls": True,
        "use_ssl": False,
        "timeout": 30,
    }


def test_a_submission_url_means_starttls_on_port_587(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMAIL_URL", "submission://user:secret@smtp.example.com")

    backend, options = project_settings._mailer()

    assert backend == SMTP
    assert (options["port"], options["use_tls"]) == (587, True)


def test_a_file_url_keeps_its_absolute_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMAIL_URL", "file:///var/spool/salespipe")

    assert project_settings._mailer() == (
        "django.core.mail.backends.filebased.EmailBackend",
        {"file_path": "/var/spool/salespipe"},
    )


def test_the_usual_django_email_variables_work_without_an_email_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMAIL_HOST", "relay.internal")
    monkeypatch.setenv("EMAIL_PORT", "2525")
    monkeypatch.setenv("EMAIL_USE_TLS", "1")

    backend, options = project_settings._mailer()

    assert backend == SMTP
    assert (options["host"], options["port"], options["use_tls"], options["username"]) == (
        "relay.internal",
        2525,
        True,
        "",
    )


def test_without_any_mail_settings_mail_goes_to_files_in_the_data_directory() -> None:
    backend, options = project_settings._mailer()

    assert backend == "django.core.mail.backends.filebased.EmailBackend"
    assert options == {"file_path": str(Path(project_settings.SALESPIPE_HOME) / "mail")}


def test_an_email_url_of_an_unknown_kind_is_refused_with_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMAIL_URL", "smtpx://mail.example.com")

    with pytest.raises(ImproperlyConfigured, match=r"must start with smtp://"):
        project_settings._mailer()


def _settings_in_a_fresh_process(
    tmp_path: Path, code: str, **environment: str
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in {"TASKS_BACKEND", "REDIS_URL"}}
    env |= {"SALESPIPE_HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "salespipe.settings", **environment}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


def test_tasks_backend_rq_puts_the_queue_in_the_redis_of_redis_url(tmp_path: Path) -> None:
    result = _settings_in_a_fresh_process(
        tmp_path,
        "from django.conf import settings as s; "
        "print(s.TASKS['default']['BACKEND'], s.RQ_QUEUES['default']['URL'])",
        TASKS_BACKEND="rq",
        REDIS_URL="redis://redis.internal:6380/2",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django_tasks_rq.RQBackend", "redis://redis.internal:6380/2"]


def test_an_unknown_tasks_backend_is_refused_at_start(tmp_path: Path) -> None:
    result = _settings_in_a_fresh_process(
        tmp_path, "from django.conf import settings as s; s.TASKS", TASKS_BACKEND="celery"
    )

    assert result.returncode != 0
    assert "TASKS_BACKEND must be database, rq or immediate, not 'celery'" in result.stderr
