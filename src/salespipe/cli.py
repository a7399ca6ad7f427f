"""The `salespipe` command: run the server, set up a database, load demo data, manage tokens."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

ADMIN_PASSWORD_FILE = "admin-password"  # noqa: S105 - a file name


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salespipe.settings")
    import django

    django.setup()


@contextmanager
def _errors() -> Iterator[None]:
    """Turn the product's errors into a one-line message on stderr and the error's exit code."""
    from salespipe.core.errors import SalespipeError

    try:
        yield
    except SalespipeError as error:
        click.echo(f"Error: {error.message}", err=True)
        for field, problem in error.fields.items():
            click.echo(f"  {field}: {problem}", err=True)
        sys.exit(error.exit_code)


def _require_database() -> None:
    """Commands that read or write data need a migrated database: say so instead of a traceback."""
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.executor import MigrationExecutor

    from salespipe.core.errors import SalespipeError

    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise SalespipeError("The database is not set up or not up to date: run `salespipe init` first.")


def _operator() -> Any:
    """The command line's actor: an administrator who exists only for the command (never saved), so what it
    reads is everything and what it writes records no one as its author."""
    from salespipe.people.models import Role, User

    return User(username="salespipe-cli", role=Role.ADMIN, time_zone="UTC")


def _run_with_database(work: Callable[[], None]) -> None:
    """Set Django up and run `work` on a migrated database, its errors as a message and an exit code."""
    _django()
    with _errors():
        _require_database()
        work()


def _home() -> Path:
    from django.conf import settings

    return Path(settings.SALESPIPE_HOME)


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    from salespipe.deals.pipelines import pipeline_ensure_default

    call_command("migrate", interactive=False, verbosity=verbosity)
    pipeline_ensure_default()


def _remember_admin_password(password: str) -> Path:
    path = _home() / ADMIN_PASSWORD_FILE
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    return path


def _remembered_admin_password() -> str | None:
    path = _home() / ADMIN_PASSWORD_FILE
    return path.read_text().strip() if path.exists() else None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="salespipe")
def main() -> None:
    """Salespipe: the sales pipeline manager.

    \b
    Quick start:
      salespipe init --demo        create the database, an admin and demo data
      salespipe serve              run the app on http://127.0.0.1:8000 (and its background worker)

    Settings come from environment variables: SALESPIPE_HOME (data directory), DATABASE_URL,
    SECRET_KEY, DEBUG, ALLOWED_HOSTS, TIME_ZONE, BASE_CURRENCY. See docs/settings.md.
    """


@main.command(short_help="Set up the database and the first admin (idempotent).")
@click.option("--admin-username", default="admin", show_default=True, envvar="SALESPIPE_ADMIN_USERNAME")
@click.option("--admin-email", default="", envvar="SALESPIPE_ADMIN_EMAIL")
@click.option(
    "--admin-password",
    default=None,
    envvar="SALESPIPE_ADMIN_PASSWORD",
    help="Default: generated, printed and kept in $SALESPIPE_HOME/admin-password.",
)
@click.option("--demo", is_flag=True, help="Also load demo data if the database has no deals yet.")
@click.option("--demo-reps", default=12, show_default=True, type=click.IntRange(min=1))
@click.option("--demo-deals", default=3000, show_default=True, type=click.IntRange(min=0))
@click.option("--seed", default=1, show_default=True, help="Seed of the demo data.")
def init(
    admin_username: str,
    admin_email: str,
    admin_password: str | None,
    demo: bool,
    demo_reps: int,
    demo_deals: int,
    seed: int,
) -> None:
    """Create or upgrade the database, the default pipeline and the first admin. Safe to run again."""
    _django()
    with _errors():
        from salespipe.deals.models import Deal
        from salespipe.people.services import admin_ensure

        _migrate()
        generated = None
        if admin_password is None and not _user_exists(admin_username):
            generated = admin_password = secrets.token_urlsafe(12)
        admin, created = admin_ensure(username=admin_username, password=admin_password, email=admin_email)
        if generated:
            _remember_admin_password(generated)
        click.echo(f"Database ready at {_database_label()}.")
        if created:
            click.echo(f"Created the administrator '{admin.username}'.")
        if demo:
            if Deal.objects.exists():
                click.echo("Demo data: skipped, the database has deals already.")
            else:
                summary = _run_demo(reps=demo_reps, deals=demo_deals, seed=seed, quiet=True)
                click.echo(
                    f"Demo data: {summary.reps} reps in {summary.teams} team(s), {summary.deals} deals, "
                    f"{summary.activities} activities (demo users' password: demo)."
                )
        _echo_login(admin.username)
        _echo_demo_logins()


def _echo_demo_logins() -> None:
    """Show one rep and one manager to sign in as, so the demo shows both points of view."""
    from salespipe.people.models import Role, User

    for role in (Role.REP, Role.MANAGER):
        users = User.objects.filter(role=role, is_active=True)
        if role == Role.REP:
            users = users.filter(deals__isnull=False)
        username = users.order_by("pk").values_list("username", flat=True).first()
        if username and User.objects.get(username=username).check_password("demo"):
            click.echo(f"Demo {role.label.lower()} login: {username} / demo")


def _user_exists(username: str) -> bool:
    from salespipe.people.models import User

    return User.objects.filter(username=username).exists()


def _database_label() -> str:
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return str(settings["NAME"])
    return f"{connection.vendor}://{settings.get('HOST') or 'localhost'}/{settings['NAME']}"


def _echo_login(username: str) -> None:
    password = _remembered_admin_password()
    if password:
        click.echo(f"Admin login: {username} / {password}")
    else:
        click.echo(f"Admin login: {username} (with the password you set)")


def _run_demo(*, reps: int, deals: int, seed: int, quiet: bool) -> Any:
    from salespipe.demo.generator import demo_generate

    progress = None if quiet else (lambda message: click.echo(message, err=True))
    return demo_generate(reps=reps, deals=deals, seed=seed, progress=progress)


@main.command(short_help="Load realistic demo data into an empty database.")
@click.option(
    "--reps", default=12, show_default=True, type=click.IntRange(min=1), help="Sales reps to create."
)
@click.option("--deals", default=3000, show_default=True, type=click.IntRange(min=0), help="Deals to create.")
@click.option("--seed", default=1, show_default=True, help="Same seed, same data.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def demo(reps: int, deals: int, seed: int, as_json: bool) -> None:
    """Fill an empty database with realistic demo data (teams, deals, two years of history).

    \b
    Also the benchmark data source, e.g.:
      SALESPIPE_HOME=/tmp/big salespipe demo --reps 200 --deals 1000000
    """
    _django()
    with _errors():
        _migrate()
        summary = _run_demo(reps=reps, deals=deals, seed=seed, quiet=as_json)
        if as_json:
            click.echo(json.dumps(summary.__dict__, indent=2))
        else:
            click.echo(
                f"Created {summary.teams} teams, {summary.managers} managers, {summary.reps} reps, "
                f"{summary.organizations} organizations, {summary.people} people, {summary.deals} deals, "
                f"{summary.stage_changes} stage changes, {summary.activities} activities "
                f"in {summary.seconds:.1f} s. Demo users' password: demo"
            )


@main.command(short_help="Run the app on a production server (gunicorn) and a worker.")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="SALESPIPE_HOST")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), envvar="SALESPIPE_PORT"
)
@click.option(
    "--workers", default=2, show_default=True, type=click.IntRange(min=1), envvar="SALESPIPE_WORKERS"
)
@click.option(
    "--threads", default=4, show_default=True, type=click.IntRange(min=1), envvar="SALESPIPE_THREADS"
)
@click.option("--no-migrate", is_flag=True, help="Skip the database migration at start.")
@click.option(
    "--no-worker",
    is_flag=True,
    help="Do not start the background worker; run `salespipe worker` separately instead.",
)
def serve(host: str, port: int, workers: int, threads: int, no_migrate: bool, no_worker: bool) -> None:
    """Run Salespipe on a production WSGI server (gunicorn), migrating the database first.

    Unless --no-worker is given, it also starts one `salespipe worker` process beside the server, so
    reminders, emails and periodic jobs run with nothing else to start; it stops with the server."""
    _django()
    with _errors():
        from django.db import connections

        if not no_migrate:
            _migrate()
        admin = _first_admin()
        # Forked workers must not share the master's database connection.
        connections.close_all()
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(f"Salespipe is running at http://{shown_host}:{port}/  (API docs: /api/v1/docs)")
    if admin:
        _echo_login(admin)
    background = None if no_worker else _start_worker()
    if background is not None:
        click.echo(f"Background worker: running (pid {background.pid}); stops with the server.")
    click.echo("Press Ctrl+C to stop.")
    try:
        _gunicorn(host=host, port=port, workers=workers, threads=threads)
    finally:
        if background is not None:
            _stop_worker(background)


def _start_worker() -> subprocess.Popen[bytes]:
    """`salespipe worker` as a child process. In a session of its own, so that Ctrl+C reaches the server
    only and the server stops the worker gracefully; told the server's pid, so it stops by itself should
    the server be killed outright."""
    return subprocess.Popen(  # noqa: S603 - this very program, with fixed arguments
        [sys.executable, "-m", "salespipe.cli", "worker", "--parent-pid", str(os.getpid())],
        start_new_session=True,
    )


def _stop_worker(background: subprocess.Popen[bytes]) -> None:
    background.terminate()
    try:
        # The running task, if any, finishes first (an email is not cut in half).
        background.wait(timeout=30)
    except subprocess.TimeoutExpired:
        background.kill()
        background.wait()


@main.command(short_help="Run background work: emails, reminders, periodic jobs.")
@click.option(
    "--batch",
    is_flag=True,
    help="Enqueue the periodic jobs due now, run every queued task, then exit (for cron and scripts).",
)
@click.option(
    "--interval",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds between looks at an empty queue (database backend).",
)
@click.option("--parent-pid", type=int, default=None, hidden=True)
def worker(batch: bool, interval: float, parent_pid: int | None) -> None:
    """Run the background worker: queued tasks (emails, reminders) and, once a minute, the periodic
    jobs. Any number of workers may run at once; each task runs once and each periodic job once a minute.

    \b
    The queue is in the database by default; TASKS_BACKEND=rq and REDIS_URL put it in Redis.
    Stop with Ctrl+C or SIGTERM: the running task finishes first.
    """
    _django()
    with _errors():
        from salespipe.core.tasks import backend_kind
        from salespipe.notifications.worker import worker_run

        _require_database()
        if not batch:
            click.echo(f"Salespipe worker: {backend_kind()} backend. Press Ctrl+C to stop.", err=True)
        ran = worker_run(batch=batch, interval=interval, parent_pid=parent_pid)
        if batch:
            click.echo("Done." if ran is None else f"Ran {ran} task{'s' if ran != 1 else ''}.")


def _parse_now(value: str | None) -> Any:
    """`--now`: an ISO 8601 time; one without a zone is read in the server's TIME_ZONE."""
    import datetime as dt

    from django.utils import timezone

    from salespipe.core.errors import InvalidInput

    if value is None:
        return timezone.now()
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"--now must be an ISO 8601 time such as 2026-03-02T09:00:00+02:00, not {value!r}.",
            fields={"--now": "not an ISO 8601 time"},
        ) from None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


@main.command(short_help="Send the reminder emails and digests due now (or show them).")
@click.option("--dry-run", is_flag=True, help="Only show what is due; change and send nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--now", "now_text", default=None, help="Act as if it were this ISO 8601 time (default: now).")
def remind(dry_run: bool, as_json: bool, now_text: str | None) -> None:
    """Run the worker's minute once, now: queue the prospects' appointment reminder emails, the daily
    digests and the managers' weekly digests that are due, and retry failed emails; the worker then
    delivers them. Safe beside running workers: nothing is queued twice.

    \b
    With --dry-run, list what is due instead: engine reminders due and not yet acted on, the prospect
    emails and digests that would be queued, and the emails waiting to be retried.
    """
    _django()
    with _errors():
        from salespipe.notifications import services

        _require_database()
        now = _parse_now(now_text)
        if dry_run:
            _echo_due(services.notifications_due_preview(now=now), as_json=as_json)
            return
        counts = services.notifications_send_due(now=now)
        if as_json:
            click.echo(json.dumps({"now": now.isoformat(), "dry_run": False, **counts}, indent=2))
            return
        click.echo(
            f"Queued {counts['prospect_emails']} prospect reminder email(s), {counts['digests']} daily "
            f"digest(s) and {counts['weekly_digests']} weekly digest(s); {counts['emails_retried']} failed "
            "email(s) queued again."
        )
        if any(counts.values()):
            click.echo("The worker sends them (`salespipe serve` runs one; or `salespipe worker --batch`).")


def _echo_due(preview: Any, *, as_json: bool) -> None:
    def when(moment: Any) -> str | None:
        return moment.isoformat() if moment is not None else None

    reminders = [
        {
            "id": reminder.pk,
            "purpose": reminder.purpose,
            "owner": reminder.owner.username,
            "due_at": when(reminder.due_at),
            "parent_id": reminder.parent_id,
            "parent_due_at": when(reminder.parent.due_at) if reminder.parent else None,
        }
        for reminder in preview.reminders
    ]
    emails = [
        {
            "meeting_id": meeting.pk,
            "meeting_at": when(meeting.due_at),
            "to": meeting.person.email,
            "owner": meeting.owner.username,
            "key": key,
        }
        for meeting, key in preview.prospect_emails
    ]
    digests = [
        {"user": user.username, "to": user.email, "day": day.isoformat(), "key": key}
        for user, day, key in preview.digests
    ]
    weekly_digests = [
        {"user": user.username, "to": user.email, "week": week, "key": key}
        for user, week, key in preview.weekly_digests
    ]
    if as_json:
        body = {
            "now": preview.now.isoformat(),
            "dry_run": True,
            "reminders_due": reminders,
            "more_reminders_due": preview.more_reminders,
            "prospect_emails": emails,
            "digests": digests,
            "weekly_digests": weekly_digests,
            "emails_to_retry": preview.emails_to_retry,
        }
        click.echo(json.dumps(body, indent=2))
        return
    click.echo(f"Due at {preview.now.isoformat()} (dry run: nothing is changed or sent).")
    more = "+" if preview.more_reminders else ""
    click.echo(f"Reminders due and not yet acted on: {len(reminders)}{more}")
    for row in reminders:
        parent = f", for #{row['parent_id']} at {row['parent_due_at']}" if row["parent_id"] else ""
        click.echo(f"  #{row['id']}  {row['purpose']}  {row['owner']}  due {row['due_at']}{parent}")
    click.echo(f"Prospect reminder emails to send: {len(emails)}")
    for row in emails:
        click.echo(f"  {row['to']}  meeting #{row['meeting_id']} at {row['meeting_at']} ({row['owner']})")
    click.echo(f"Daily digests to send: {len(digests)}")
    for row in digests:
        click.echo(f"  {row['user']} <{row['to']}>  {row['day']}")
    click.echo(f"Weekly digests to send: {len(weekly_digests)}")
    for row in weekly_digests:
        click.echo(f"  {row['user']} <{row['to']}>  {row['week']}")
    click.echo(f"Emails to retry: {preview.emails_to_retry}")


def _first_admin() -> str | None:
    from salespipe.people.models import Role, User

    return (
        User.objects.filter(role=Role.ADMIN, is_active=True)
        .order_by("pk")
        .values_list("username", flat=True)
        .first()
    )


def _gunicorn(*, host: str, port: int, workers: int, threads: int) -> None:
    from gunicorn.app.base import BaseApplication

    from salespipe.wsgi import application

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", "-")
            self.cfg.set("graceful_timeout", 10)

        def load(self) -> Any:
            return application

    Server().run()


@main.group(short_help="Create, list and revoke API tokens.")
def token() -> None:
    """Personal access tokens for the REST API (Authorization: Bearer ...)."""


@token.command("create")
@click.option("--user", "username", required=True, help="Username of the token's owner.")
@click.option("--name", default="cli", show_default=True, help="Where the token is used.")
@click.option("--expires-in-days", type=click.IntRange(min=1), default=None, help="Default: never expires.")
@click.option("--json", "as_json", is_flag=True, help="Print the token and its id as JSON.")
def token_create_command(username: str, name: str, expires_in_days: int | None, as_json: bool) -> None:
    """Create a token; it is printed once and stored only as a hash."""
    _django()
    with _errors():
        from salespipe.people.tokens import token_create

        api_token, raw = token_create(user=_user(username), name=name, expires_in_days=expires_in_days)
        if as_json:
            click.echo(json.dumps({"id": api_token.pk, "name": api_token.name, "token": raw}))
        else:
            click.echo(raw)
            click.echo(f"Token {api_token.pk} for {username}: shown once, keep it safe.", err=True)


@token.command("list")
@click.option("--user", "username", required=True)
@click.option("--json", "as_json", is_flag=True)
def token_list_command(username: str, as_json: bool) -> None:
    """List a user's tokens (never their secret)."""
    _django()
    with _errors():
        rows = [
            {
                "id": t.pk,
                "name": t.name,
                "prefix": t.prefix,
                "created_at": t.created_at.isoformat(),
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "revoked": t.revoked_at is not None,
            }
            for t in _user(username).api_tokens.all()
        ]
        if as_json:
            click.echo(json.dumps(rows, indent=2))
        for row in [] if as_json else rows:
            state = "revoked" if row["revoked"] else "active"
            click.echo(f"{row['id']:>5}  {row['prefix']}…  {state:8} {row['name']}")


@token.command("revoke")
@click.option("--user", "username", required=True)
@click.argument("token_id", type=int)
def token_revoke_command(username: str, token_id: int) -> None:
    """Revoke a token at once."""
    _django()
    with _errors():
        from salespipe.people.tokens import token_revoke

        token_revoke(user=_user(username), token_id=token_id)
        click.echo(f"Token {token_id} revoked.")


def _user(username: str) -> Any:
    from salespipe.core.errors import NotFound
    from salespipe.people.models import User

    _require_database()
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound(f"There is no active user '{username}'. List users with `salespipe manage shell`.")
    return user


@main.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args: tuple[str, ...]) -> None:
    """Run a Django management command, e.g. `salespipe manage createsuperuser`."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salespipe.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["salespipe manage", *args])


# Command groups that live with their domain.
from salespipe.activities.commands import activity  # noqa: E402
from salespipe.analytics.commands import report  # noqa: E402
from salespipe.coaching.commands import advise  # noqa: E402
from salespipe.exports.commands import export  # noqa: E402
from salespipe.imports.commands import import_  # noqa: E402
from salespipe.numbers.commands import numbers  # noqa: E402
from salespipe.quotas.commands import quota  # noqa: E402
from salespipe.webhooks.commands import webhook  # noqa: E402

main.add_command(activity)
main.add_command(report)
main.add_command(quota)
main.add_command(numbers)
main.add_command(advise)
main.add_command(export)
main.add_command(import_)
main.add_command(webhook)


if __name__ == "__main__":
    main()
