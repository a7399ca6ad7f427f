"""`salespipe activity …`: the agenda and the follow-up engine from a terminal or a script.

Every command acts as the user given by `--user`, with exactly what that user may see and do, through the
same services as the web app and the API.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click


def _as(username: str) -> Any:
    from salespipe import cli

    cli._django()
    return cli._user(username)


def _errors() -> Any:
    from salespipe import cli

    return cli._errors()


def _moment(text: str | None, *, option: str, zone: Any) -> dt.datetime | None:
    """An ISO date and time; one without a zone is read on the acting user's clock."""
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"'{text}' is not a date and time; use ISO 8601, e.g. 2026-12-01T10:00 or "
            "2026-12-01T10:00+02:00.",
            param_hint=option,
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _row(activity: Any) -> dict[str, Any]:
    def when(moment: dt.datetime | None) -> str | None:
        # Scripts get UTC, whatever clock the user reads.
        return moment.astimezone(dt.UTC).isoformat() if moment is not None else None

    return {
        "id": activity.pk,
        "kind": activity.kind,
        "subject": activity.subject,
        "owner": activity.owner.username,
        "deal_id": activity.deal_id,
        "parent_id": activity.parent_id,
        "purpose": activity.purpose or None,
        "due_at": when(activity.due_at),
        "ends_at": when(activity.ends_at),
        "done_at": when(activity.done_at),
        "cancelled_at": when(activity.cancelled_at),
        "outcome": activity.outcome or None,
        "received_at": when(activity.received_at),
        "response_minutes": activity.response_minutes,
    }


def _echo(activities: list[Any], *, as_json: bool, zone: Any) -> None:
    if as_json:
        click.echo(json.dumps([_row(activity) for activity in activities], indent=2))
        return
    for activity in activities:
        due = f"{activity.due_at.astimezone(zone):%a %Y-%m-%d %H:%M}" if activity.due_at else "-"
        state = "done" if activity.done_at else "cancelled" if activity.cancelled_at else "planned"
        purpose = f" [{activity.purpose}]" if activity.purpose else ""
        deal = f"  deal #{activity.deal_id}" if activity.deal_id else ""
        click.echo(f"#{activity.pk}  {due}  {state:<9} {activity.kind}{purpose}: {activity.subject}{deal}")


user_option = click.option("--user", "username", required=True, help="Act as this user (their scope).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group(short_help="Schedule, complete or cancel activities; log requests.")
def activity() -> None:
    """Calls, meetings, trials and information requests, as the user given with --user.

    Scheduling a meeting on a deal needs a confirmed decision maker and gives its owner a call and an
    email the working day before; see docs/followups.md.
    """


@activity.command("list")
@user_option
@click.option("--owner", "owner_username", default=None, help="Whose activities (default: the user's own).")
@click.option("--state", type=click.Choice(["planned", "overdue", "done", "cancelled"]), default="planned")
@click.option("--kind", default=None, help="call, meeting, info_request, ...")
@click.option("--purpose", default=None, help="meeting_call, meeting_email, next_step, trial_check_in, ...")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@json_option
def activity_list(
    username: str,
    owner_username: str | None,
    state: str,
    kind: str | None,
    purpose: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Activities of the user (or of someone they manage), earliest due first."""
    with _errors():
        actor = _as(username)
        from salespipe.activities import selectors

        owner = _as(owner_username) if owner_username else actor
        activities = selectors.activity_list(
            actor=actor, owner_id=owner.pk, state=state, kind=kind, purpose=purpose
        ).order_by("due_at", "id")[:limit]
        _echo(list(activities), as_json=as_json, zone=actor.zone)


@activity.command("schedule")
@user_option
@click.option("--kind", required=True, help="call, email, meeting, demo, trial, gift, task.")
@click.option("--at", "at_text", required=True, help="When, ISO 8601; without a zone on the user's clock.")
@click.option("--deal", "deal_id", type=int, default=None)
@click.option("--subject", default="")
@click.option("--ends", "ends_text", default=None, help="End of a trial, ISO 8601.")
@click.option("--minutes", "duration_minutes", type=int, default=None, help="Duration.")
@click.option("--note", default="")
@json_option
def activity_schedule(
    username: str,
    kind: str,
    at_text: str,
    deal_id: int | None,
    subject: str,
    ends_text: str | None,
    duration_minutes: int | None,
    note: str,
    as_json: bool,
) -> None:
    """Plan an activity; a meeting also gets its reminders, a trial its check-in and decision call."""
    with _errors():
        actor = _as(username)
        from salespipe.activities import selectors, services

        scheduled = services.activity_schedule(
            actor=actor,
            kind=kind,
            due_at=_moment(at_text, option="--at", zone=actor.zone),  # type: ignore[arg-type]
            ends_at=_moment(ends_text, option="--ends", zone=actor.zone),
            deal_id=deal_id,
            subject=subject,
            duration_minutes=duration_minutes,
            note=note,
        )
        made = [scheduled, *selectors.activity_list(actor=actor).filter(parent=scheduled).order_by("due_at")]
        _echo(made, as_json=as_json, zone=actor.zone)


@activity.command("request")
@user_option
@click.option("--deal", "deal_id", type=int, default=None)
@click.option("--subject", default="", help="What the prospect asked for.")
@click.option("--received", "received_text", default=None, help="When they asked (default: now).")
@click.option("--hours", "response_hours", type=float, default=None, help="Working hours to answer in.")
@click.option("--note", default="")
@json_option
def activity_request(
    username: str,
    deal_id: int | None,
    subject: str,
    received_text: str | None,
    response_hours: float | None,
    note: str,
    as_json: bool,
) -> None:
    """Log a prospect's request for information; it is due within the owner's working hours."""
    with _errors():
        actor = _as(username)
        from salespipe.activities import services

        logged = services.info_request_log(
            actor=actor,
            deal_id=deal_id,
            subject=subject,
            received_at=_moment(received_text, option="--received", zone=actor.zone),
            response_hours=response_hours,
            note=note,
        )
        _echo([logged], as_json=as_json, zone=actor.zone)


@activity.command("complete")
@click.argument("activity_id", type=int)
@user_option
@click.option("--outcome", default="", help="held, no_show, ... (a meeting, demo or trial needs one).")
@click.option("--note", default=None)
@json_option
def activity_complete(activity_id: int, username: str, outcome: str, note: str | None, as_json: bool) -> None:
    """Mark an activity done; answering an information request records its response time."""
    with _errors():
        actor = _as(username)
        from salespipe.activities import services

        done = services.activity_complete(actor=actor, activity_id=activity_id, outcome=outcome, note=note)
        _echo([done], as_json=as_json, zone=actor.zone)


@activity.command("reschedule")
@click.argument("activity_id", type=int)
@user_option
@click.option("--at", "at_text", required=True, help="The new time, ISO 8601.")
@json_option
def activity_reschedule(activity_id: int, username: str, at_text: str, as_json: bool) -> None:
    """Move a planned activity; a meeting's reminders move with it."""
    with _errors():
        actor = _as(username)
        from salespipe.activities import services

        moved = services.activity_reschedule(
            actor=actor,
            activity_id=activity_id,
            due_at=_moment(at_text, option="--at", zone=actor.zone),  # type: ignore[arg-type]
        )
        _echo([moved], as_json=as_json, zone=actor.zone)


@activity.command("cancel")
@click.argument("activity_id", type=int)
@user_option
@json_option
def activity_cancel(activity_id: int, username: str, as_json: bool) -> None:
    """Cancel a planned activity; a meeting's reminders are cancelled with it."""
    with _errors():
        actor = _as(username)
        from salespipe.activities import services

        cancelled = services.activity_cancel(actor=actor, activity_id=activity_id)
        _echo([cancelled], as_json=as_json, zone=actor.zone)
