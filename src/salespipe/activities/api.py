"""REST endpoints for activities: the agenda, scheduling, logging and completing calls and meetings."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from salespipe.activities import selectors, services
from salespipe.activities.models import Activity, ActivityKind, ActivityOutcome, ActivityPurpose
from salespipe.core.api_support import (
    InputSchema,
    Page,
    PageParams,
    PatchSchema,
    errors,
    page,
    request_user,
)
from salespipe.deals.api import DealRef
from salespipe.directory.api import PersonRef
from salespipe.people.api import UserRef
from salespipe.people.models import User

router = Router(tags=["activities"])

ActivityState = Literal["planned", "overdue", "done", "cancelled"]

# --- schemas --------------------------------------------------------------------------------------------


class ActivityOut(Schema):
    id: int
    kind: ActivityKind
    subject: str
    note: str
    state: ActivityState = Field(description="planned, overdue (planned and past due), done or cancelled.")
    owner: UserRef
    deal: DealRef | None
    person: PersonRef | None
    organization_id: int | None
    parent_id: int | None = Field(description="The meeting a reminder prepares for, the trial of a check-in.")
    due_at: dt.datetime | None
    duration_minutes: int | None
    ends_at: dt.datetime | None
    done_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    outcome: ActivityOutcome | None
    purpose: ActivityPurpose | None = Field(
        description="Why the follow-up engine made it: meeting_call / meeting_email (the day before an "
        "appointment), next_step (after a held one), trial_check_in, trial_decision; null if planned by hand."
    )
    received_at: dt.datetime | None = Field(
        description="An information request: when the prospect asked (its due_at is the deadline)."
    )
    response_minutes: int | None = Field(
        description="An answered information request: working minutes of its owner it took."
    )
    answered_on_time: bool | None = Field(
        description="An answered information request: whether it was answered by its deadline."
    )
    created_at: dt.datetime

    @staticmethod
    def resolve_purpose(activity: Activity) -> str | None:
        return activity.purpose or None

    @staticmethod
    def resolve_answered_on_time(activity: Activity) -> bool | None:
        if activity.kind != ActivityKind.INFO_REQUEST or activity.done_at is None or activity.due_at is None:
            return None
        return activity.done_at <= activity.due_at

    @staticmethod
    def resolve_state(activity: Activity) -> str:
        if activity.cancelled_at is not None:
            return "cancelled"
        if activity.done_at is not None:
            return "done"
        if activity.due_at is not None and activity.due_at < timezone.now():
            return "overdue"
        return "planned"

    @staticmethod
    def resolve_outcome(activity: Activity) -> str | None:
        return activity.outcome or None


class ActivityFilters(Schema):
    owner_id: int | None = None
    deal_id: int | None = None
    person_id: int | None = None
    kind: ActivityKind | None = None
    purpose: ActivityPurpose | None = Field(None, description="Only what the follow-up engine made for this.")
    state: ActivityState | None = None
    due_from: dt.datetime | None = Field(
        None, description="Due at or after; a time without a zone is read in your time zone."
    )
    due_to: dt.datetime | None = Field(
        None, description="Due before; a time without a zone is read in your time zone."
    )


class ScheduleIn(InputSchema):
    kind: ActivityKind
    due_at: dt.datetime = Field(description="With a time zone, e.g. 2026-12-01T10:00:00+02:00.")
    subject: str = Field("", description="Default: the kind's name.")
    deal_id: int | None = None
    person_id: int | None = Field(None, description="Default: the deal's main contact.")
    organization_id: int | None = Field(None, description="Default: the deal's or the person's organization.")
    owner_id: int | None = Field(None, description="Default: the deal's owner, else you.")
    duration_minutes: int | None = Field(None, gt=0)
    ends_at: dt.datetime | None = Field(None, description="End of a trial or a multi-day activity.")
    note: str = ""


class InfoRequestIn(InputSchema):
    subject: str = Field("", description="What they asked for, e.g. 'Price list for 50 seats'.")
    received_at: dt.datetime | None = Field(None, description="When they asked; default: now.")
    deadline: dt.datetime | None = Field(
        None, description="Default: received_at plus INFO_REQUEST_RESPONSE_HOURS of the owner's working time."
    )
    response_hours: float | None = Field(
        None, gt=0, le=720, description="Working hours to answer in, instead of the default."
    )
    deal_id: int | None = None
    person_id: int | None = Field(None, description="Default: the deal's main contact.")
    organization_id: int | None = None
    owner_id: int | None = Field(None, description="Default: the deal's owner, else you.")
    note: str = ""


class RecordIn(InputSchema):
    kind: ActivityKind
    subject: str = ""
    done_at: dt.datetime | None = Field(None, description="Default: now; never in the future.")
    outcome: ActivityOutcome | None = None
    deal_id: int | None = None
    person_id: int | None = None
    organization_id: int | None = None
    duration_minutes: int | None = Field(None, gt=0)
    note: str = ""


class ActivityPatch(PatchSchema):
    clearable = frozenset({"note", "duration_minutes", "ends_at"})

    subject: str | None = None
    note: str | None = None
    duration_minutes: int | None = Field(None, gt=0)
    ends_at: dt.datetime | None = None


class CompleteIn(InputSchema):
    outcome: ActivityOutcome | None = Field(
        None,
        description="Required for a meeting or demo (held, no_show, cancelled_by_prospect, rescheduled) and "
        "a trial (converted, not_converted); a gift defaults to delivered, an information request to "
        "answered.",
    )
    note: str | None = Field(None, description="Replaces the note when given.")
    done_at: dt.datetime | None = Field(None, description="Default: now.")


class RescheduleIn(InputSchema):
    due_at: dt.datetime


def _in_zone(moment: dt.datetime | None, user: User) -> dt.datetime | None:
    if moment is None or timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment, user.zone)


# --- endpoints ------------------------------------------------------------------------------------------


@router.get("/activities", response={200: Page[ActivityOut], **errors()}, summary="List activities")
def activity_list(
    request: HttpRequest, filters: Query[ActivityFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """Your activities, those of the people you manage and those on deals you see, newest first."""
    actor = request_user(request)
    activities = selectors.activity_list(
        actor=actor,
        owner_id=filters.owner_id,
        deal_id=filters.deal_id,
        person_id=filters.person_id,
        kind=filters.kind,
        purpose=filters.purpose,
        state=filters.state,
        due_from=_in_zone(filters.due_from, actor),
        due_to=_in_zone(filters.due_to, actor),
    )
    return page(activities, cursor=paging.cursor, limit=paging.limit)


@router.post("/activities", response={201: ActivityOut, **errors(404, 409)}, summary="Schedule an activity")
def activity_schedule(request: HttpRequest, payload: ScheduleIn) -> Status[Activity]:
    """Plan a call, meeting, demo, trial... for a time; it shows in the owner's agenda until done or
    cancelled. A note is recorded, not scheduled. A meeting on an open deal needs a confirmed decision
    maker (409 `decision_maker_required`, unless the deal's stage has that gate off) and gives its owner a
    call and an email task the working day before; a trial needs `ends_at` and gets a check-in halfway and a
    decision call at its end."""
    actor = request_user(request)
    activity = services.activity_schedule(actor=actor, **payload.model_dump())
    return Status(201, selectors.activity_get(actor=actor, activity_id=activity.pk))


@router.post(
    "/activities/info-requests",
    response={201: ActivityOut, **errors(404)},
    summary="Log an information request",
)
def info_request_log(request: HttpRequest, payload: InfoRequestIn) -> Status[Activity]:
    """A prospect asked for information: it is due within the owner's working hours (4 by default); answer
    it with `POST /activities/{id}/complete`, which records the response time."""
    actor = request_user(request)
    activity = services.info_request_log(actor=actor, **payload.model_dump())
    return Status(201, selectors.activity_get(actor=actor, activity_id=activity.pk))


@router.post("/activities/record", response={201: ActivityOut, **errors(404)}, summary="Log a done activity")
def activity_record(request: HttpRequest, payload: RecordIn) -> Status[Activity]:
    """Log something already done (a call just made, a note), owned by you."""
    actor = request_user(request)
    fields = payload.model_dump()
    fields["outcome"] = fields["outcome"] or ""
    activity = services.activity_record(actor=actor, **fields)
    return Status(201, selectors.activity_get(actor=actor, activity_id=activity.pk))


@router.get(
    "/activities/{activity_id}", response={200: ActivityOut, **errors(404)}, summary="Get an activity"
)
def activity_get(request: HttpRequest, activity_id: int) -> Activity:
    return selectors.activity_get(actor=request_user(request), activity_id=activity_id)


@router.patch(
    "/activities/{activity_id}", response={200: ActivityOut, **errors(404)}, summary="Change an activity"
)
def activity_update(request: HttpRequest, activity_id: int, payload: ActivityPatch) -> Activity:
    """Change the subject, note, duration or end. The time and the state change through reschedule,
    complete and cancel."""
    actor = request_user(request)
    services.activity_update(actor=actor, activity_id=activity_id, **payload.changes())
    return selectors.activity_get(actor=actor, activity_id=activity_id)


@router.delete("/activities/{activity_id}", response={204: None, **errors(404)}, summary="Delete an activity")
def activity_delete(request: HttpRequest, activity_id: int) -> Status[None]:
    services.activity_delete(actor=request_user(request), activity_id=activity_id)
    return Status(204, None)


@router.post(
    "/activities/{activity_id}/complete",
    response={200: ActivityOut, **errors(404, 409)},
    summary="Complete an activity",
)
def activity_complete(request: HttpRequest, activity_id: int, payload: CompleteIn) -> Activity:
    """Mark a planned activity done, with its outcome. 409 if it is done or cancelled already."""
    actor = request_user(request)
    services.activity_complete(
        actor=actor,
        activity_id=activity_id,
        outcome=payload.outcome or "",
        note=payload.note,
        done_at=payload.done_at,
    )
    return selectors.activity_get(actor=actor, activity_id=activity_id)


@router.post(
    "/activities/{activity_id}/reschedule",
    response={200: ActivityOut, **errors(404, 409)},
    summary="Reschedule an activity",
)
def activity_reschedule(request: HttpRequest, activity_id: int, payload: RescheduleIn) -> Activity:
    """Move a planned activity to a new time (409 if it is done or cancelled)."""
    actor = request_user(request)
    services.activity_reschedule(actor=actor, activity_id=activity_id, due_at=payload.due_at)
    return selectors.activity_get(actor=actor, activity_id=activity_id)


@router.post(
    "/activities/{activity_id}/cancel",
    response={200: ActivityOut, **errors(404, 409)},
    summary="Cancel an activity",
)
def activity_cancel(request: HttpRequest, activity_id: int) -> Activity:
    """Cancel a planned activity (409 if it is done or cancelled already)."""
    actor = request_user(request)
    services.activity_cancel(actor=actor, activity_id=activity_id)
    return selectors.activity_get(actor=actor, activity_id=activity_id)
