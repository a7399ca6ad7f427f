"""Scheduling, recording, completing and cancelling activities; each keeps its deal's marks current.

The follow-up engine lives here too (PRODUCT.md, practices 5, 7 and 8): a meeting needs a confirmed decision
maker; scheduling one gives its owner a call and an email to the prospect the working day before, which move
with it and are cancelled with it; a held meeting without a follow-up soon asks for a next step; an
information request gets a deadline in working hours and its response time is recorded; a trial gets a
check-in halfway and a decision call at its end. When each falls due is in `activities/followups.py`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from salespipe.activities import followups
from salespipe.activities.models import Activity, ActivityKind, ActivityOutcome, ActivityPurpose
from salespipe.core.business_time import working_hours_of
from salespipe.core.errors import InvalidInput, NotFound, RuleBroken
from salespipe.deals.models import Deal, DealStatus
from salespipe.deals.services import deal_qualification, deal_refresh_activity_marks
from salespipe.directory.models import Organization, Person
from salespipe.people.models import User
from salespipe.people.selectors import owner_scope, user_can_manage
from salespipe.webhooks import events
from salespipe.webhooks.payloads import activity_payload
from salespipe.webhooks.services import webhook_event_emit

# A meeting's outcome says whether the appointment happened; the plan and coaching count on it. A demo
# is an appointment too, and a trial ends in a decision: the with/without report counts on those.
MEETING_OUTCOMES = (
    ActivityOutcome.HELD,
    ActivityOutcome.NO_SHOW,
    ActivityOutcome.CANCELLED_BY_PROSPECT,
    ActivityOutcome.RESCHEDULED,
)
TRIAL_OUTCOMES = (ActivityOutcome.CONVERTED, ActivityOutcome.NOT_CONVERTED)
REQUIRED_OUTCOMES: dict[str, tuple[str, ...]] = {
    ActivityKind.MEETING: MEETING_OUTCOMES,
    ActivityKind.DEMO: MEETING_OUTCOMES,
    ActivityKind.TRIAL: TRIAL_OUTCOMES,
}
# What completing means when nothing else is said.
DEFAULT_OUTCOMES: dict[str, str] = {
    ActivityKind.GIFT: ActivityOutcome.DELIVERED,
    ActivityKind.INFO_REQUEST: ActivityOutcome.ANSWERED,
}
# The engine's tasks that prepare for their parent; done or cancelled with it when it is.
PREPARATION = (
    ActivityPurpose.MEETING_CALL,
    ActivityPurpose.MEETING_EMAIL,
    ActivityPurpose.TRIAL_CHECK_IN,
    ActivityPurpose.TRIAL_DECISION,
)
# A request may be logged a little late; one logged as received in the future is a typing mistake.
_CLOCK_SLACK = dt.timedelta(minutes=5)


def _aware(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is not None and timezone.is_naive(value):
        raise InvalidInput(
            _("%(field)s needs a time zone (e.g. 2026-12-01T10:00:00+02:00).") % {"field": field},
            fields={field: _("no time zone")},
        )
    return value


def _visible_deal(actor: User, deal_id: int | None) -> Deal | None:
    if deal_id is None:
        return None
    deal = Deal.objects.filter(owner_scope(actor), pk=deal_id).select_related("owner", "stage").first()
    if deal is None:
        raise NotFound(_("There is no deal with id %(id)s, or you may not see it.") % {"id": deal_id})
    return deal


def _owner(actor: User, owner_id: int | None, deal: Deal | None) -> User:
    if owner_id is None:
        # Work on a deal goes to the deal's owner unless said otherwise: the manager plans, the rep does.
        return deal.owner if deal is not None else actor
    if owner_id == actor.pk:
        return actor
    owner = User.objects.filter(pk=owner_id, is_active=True).first()
    if owner is None:
        raise InvalidInput(
            _("There is no active user with id %(id)s.") % {"id": owner_id},
            fields={"owner_id": _("unknown user")},
        )
    if not user_can_manage(actor, owner):
        raise InvalidInput(
            _("You cannot plan work for %(user)s; only for yourself or the members of your teams.")
            % {"user": owner},
            fields={"owner_id": _("not yours to assign")},
        )
    return owner


def _activity_for_change(actor: User, activity_id: int) -> Activity:
    activity = (
        Activity.objects.select_for_update(of=("self",))
        .filter(owner_scope(actor) | owner_scope(actor, owner_field="deal__owner"), pk=activity_id)
        .first()
    )
    if activity is None:
        raise NotFound(_("There is no activity with id %(id)s, or you may not see it.") % {"id": activity_id})
    return activity


def _meeting_gate(deal: Deal) -> None:
    """No appointment before the decision maker is confirmed (PRODUCT.md, practice 5), unless an admin
    switched the gate off for the stage the deal is in. Closed deals are past deciding."""
    if deal.status != DealStatus.OPEN or not deal.stage.meeting_requires_decision_maker:
        return
    if deal_qualification(deal).decision_maker_confirmed:
        return
    raise RuleBroken(
        _(
            "A meeting on '%(title)s' cannot be booked before a decision maker is confirmed. Add the person "
            "who decides (decision maker or economic buyer) to the deal and confirm their buying authority "
            "first; an appointment with someone who cannot say yes rarely ends in a sale."
        )
        % {"title": deal.title},
        code="decision_maker_required",
        fields={"kind": _("needs a confirmed decision maker")},
    )


def _language(owner: User) -> str:
    return owner.language or settings.LANGUAGE_CODE


def _engine_task(
    parent: Activity, *, kind: str, purpose: str, due_at: dt.datetime, subject: str, actor: User | None
) -> Activity:
    """A task the engine makes for the parent's owner, on the parent's deal and person."""
    return Activity.objects.create(
        kind=kind,
        purpose=purpose,
        subject=subject[:200],
        owner=parent.owner,
        deal_id=parent.deal_id,
        person_id=parent.person_id,
        organization_id=parent.organization_id,
        parent=parent,
        due_at=due_at,
        created_by=actor,
        created_at=timezone.now(),
    )


def _preparation_due(parent: Activity, purpose: str, now: dt.datetime) -> dt.datetime | None:
    """When a preparation task of the parent is due; None when it has no time to be (a past meeting)."""
    hours = working_hours_of(parent.owner)
    starts = parent.due_at
    if starts is None:
        return None
    if purpose in (ActivityPurpose.MEETING_CALL, ActivityPurpose.MEETING_EMAIL):
        return followups.meeting_reminder_due(starts, now=now, hours=hours) if starts > now else None
    ends = parent.ends_at
    if ends is None:
        return None
    if purpose == ActivityPurpose.TRIAL_CHECK_IN:
        check_in = followups.trial_check_in_due(starts, ends, hours=hours)
        return check_in if now < check_in < ends else None
    decision = followups.trial_decision_due(ends, hours=hours)
    return decision if decision > now else None


def _preparation_subject(parent: Activity, purpose: str) -> str:
    with translation.override(_language(parent.owner)):
        subjects: dict[str, str] = {
            ActivityPurpose.MEETING_CALL: _("Call to confirm the appointment: %(subject)s"),
            ActivityPurpose.MEETING_EMAIL: _("Email to confirm the appointment: %(subject)s"),
            ActivityPurpose.TRIAL_CHECK_IN: _("Trial check-in: how is it going? %(subject)s"),
            ActivityPurpose.TRIAL_DECISION: _("The trial ends: ask for the decision. %(subject)s"),
        }
        return str(subjects[purpose]) % {"subject": parent.subject}


_PREPARATION_KINDS: dict[str, str] = {
    ActivityPurpose.MEETING_CALL: ActivityKind.CALL,
    ActivityPurpose.MEETING_EMAIL: ActivityKind.EMAIL,
    ActivityPurpose.TRIAL_CHECK_IN: ActivityKind.CALL,
    ActivityPurpose.TRIAL_DECISION: ActivityKind.CALL,
}


def _purposes_of(parent: Activity) -> tuple[str, ...]:
    if parent.kind == ActivityKind.MEETING:
        return (ActivityPurpose.MEETING_CALL, ActivityPurpose.MEETING_EMAIL)
    if parent.kind == ActivityKind.TRIAL:
        return (ActivityPurpose.TRIAL_CHECK_IN, ActivityPurpose.TRIAL_DECISION)
    return ()


def _plan_preparation(parent: Activity, *, actor: User | None, new: bool = False) -> None:
    """Create or move the parent's preparation tasks to fit its time: a planned one moves (and is looked
    at again by the worker, so a rescheduled meeting's prospect gets a reminder for the new time); one
    already done or cancelled is replaced by a new one when the new time needs it again; one that no
    longer fits (the meeting moved too close, the trial shortened) is cancelled. A `new` parent has no
    tasks yet, so nothing is looked up."""
    purposes = _purposes_of(parent)
    if not purposes:
        return
    now = timezone.now()
    existing = (
        {}
        if new
        else {
            task.purpose: task
            for task in Activity.objects.select_for_update()
            .filter(parent=parent, purpose__in=purposes, done_at__isnull=True, cancelled_at__isnull=True)
            .order_by("id")
        }
    )
    for purpose in purposes:
        due = _preparation_due(parent, purpose, now)
        task = existing.get(purpose)
        if task is not None and due is None:
            task.cancelled_at = now
            task.notified_at = task.notified_at or now
            task.save(update_fields=["cancelled_at", "notified_at"])
        elif task is not None and due is not None:
            task.due_at = due
            task.notified_at = None
            task.save(update_fields=["due_at", "notified_at"])
        elif due is not None:
            _engine_task(
                parent,
                kind=_PREPARATION_KINDS[purpose],
                purpose=purpose,
                due_at=due,
                subject=_preparation_subject(parent, purpose),
                actor=actor,
            )


def _settled(now: dt.datetime) -> Coalesce:
    """An engine task done or cancelled needs nothing more from the worker: marking it keeps the worker's
    partial index (activity_purpose_unnotified) down to the tasks still to come. A reminder email the rep
    sent by hand thus also stands for the automatic one to the prospect."""
    return Coalesce("notified_at", Value(now), output_field=DateTimeField())


def follow_ups_replan(*, owner: User) -> int:
    """After the owner's time zone or working hours change, move the preparation tasks of their planned
    meetings and trials to the new working days. Called inside the service that changed them; costs a
    few queries per planned meeting or trial still ahead. Returns how many parents were looked at."""
    now = timezone.now()
    parents = list(
        Activity.objects.filter(
            owner=owner,
            kind__in=(ActivityKind.MEETING, ActivityKind.TRIAL),
            done_at__isnull=True,
            cancelled_at__isnull=True,
        ).filter(Q(kind=ActivityKind.MEETING, due_at__gt=now) | Q(kind=ActivityKind.TRIAL, ends_at__gt=now))
    )
    for parent in parents:
        # The owner as just changed, with the new hours (and no query to fetch it again).
        parent.owner = owner
        _plan_preparation(parent, actor=None)
    return len(parents)


def _cancel_preparation(parent: Activity) -> None:
    now = timezone.now()
    Activity.objects.filter(
        parent=parent, purpose__in=PREPARATION, done_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=now, notified_at=_settled(now))


def _next_step_check(meeting: Activity, *, actor: User) -> Activity | None:
    """After a held appointment the deal must get a next step: with nothing planned on the deal within
    2 working days, a task asks the owner to agree one, due at once. The deal shows "no next step" until a
    real activity is scheduled (the prompt itself does not count, see deal_refresh_activity_marks)."""
    if meeting.outcome != ActivityOutcome.HELD or meeting.deal_id is None or meeting.done_at is None:
        return None
    if not Deal.objects.filter(pk=meeting.deal_id, status=DealStatus.OPEN).exists():
        return None
    deadline = followups.next_step_deadline(meeting.done_at, hours=working_hours_of(meeting.owner))
    planned_soon = (
        Activity.objects.filter(
            deal_id=meeting.deal_id, done_at__isnull=True, cancelled_at__isnull=True, due_at__lte=deadline
        )
        .exclude(pk=meeting.pk)
        .exclude(purpose__in=(*PREPARATION, ActivityPurpose.NEXT_STEP))
    )
    if planned_soon.exists():
        return None
    with translation.override(_language(meeting.owner)):
        subject = _("Agree the next step after: %(subject)s") % {"subject": meeting.subject}
    return _engine_task(
        meeting,
        kind=ActivityKind.TASK,
        purpose=ActivityPurpose.NEXT_STEP,
        due_at=max(timezone.now(), meeting.done_at),
        subject=subject,
        actor=actor,
    )


def _settle_next_step_prompts(deal_id: int) -> None:
    """Scheduling anything on the deal is the next step the prompt asked for."""
    now = timezone.now()
    Activity.objects.filter(
        deal_id=deal_id, purpose=ActivityPurpose.NEXT_STEP, done_at__isnull=True, cancelled_at__isnull=True
    ).update(done_at=now, outcome=ActivityOutcome.DONE, notified_at=_settled(now))


def _check_outcome(kind: str, outcome: str) -> str:
    required = REQUIRED_OUTCOMES.get(kind)
    if required is not None and outcome not in required:
        raise InvalidInput(
            _("Say how the %(kind)s went: one of %(outcomes)s.")
            % {"kind": ActivityKind(kind).label.lower(), "outcomes": ", ".join(required)},
            fields={"outcome": _("required")},
        )
    if outcome and outcome not in ActivityOutcome.values:
        raise InvalidInput(
            _("Outcome must be one of: %(outcomes)s.") % {"outcomes": ", ".join(ActivityOutcome.values)},
            fields={"outcome": _("unknown")},
        )
    return outcome or DEFAULT_OUTCOMES.get(kind, ActivityOutcome.DONE)


def _create(
    *,
    actor: User,
    kind: str,
    subject: str,
    due_at: dt.datetime | None,
    done_at: dt.datetime | None,
    outcome: str,
    deal_id: int | None,
    person_id: int | None,
    organization_id: int | None,
    owner_id: int | None,
    duration_minutes: int | None,
    ends_at: dt.datetime | None,
    note: str,
    received_at: dt.datetime | None = None,
    response_hours: float | None = None,
) -> Activity:
    if kind not in ActivityKind.values:
        raise InvalidInput(
            _("Kind must be one of: %(kinds)s.") % {"kinds": ", ".join(ActivityKind.values)},
            fields={"kind": _("unknown")},
        )
    # Without a subject the activity is named by its kind, in the language of whoever planned it.
    subject = subject.strip() or str(ActivityKind(kind).label)
    if outcome and outcome not in ActivityOutcome.values:
        raise InvalidInput(
            _("Outcome must be one of: %(outcomes)s.") % {"outcomes": ", ".join(ActivityOutcome.values)},
            fields={"outcome": _("unknown")},
        )
    if duration_minutes is not None and not 0 < duration_minutes <= 60 * 24 * 90:
        raise InvalidInput(
            _("Duration is a positive number of minutes."), fields={"duration_minutes": _("out of range")}
        )
    if ends_at is not None and due_at is not None and ends_at < due_at:
        raise InvalidInput(
            _("An activity cannot end before it starts."), fields={"ends_at": _("before due_at")}
        )
    deal = _visible_deal(actor, deal_id)
    planned = done_at is None
    if deal is not None and planned and kind == ActivityKind.MEETING:
        _meeting_gate(deal)
    person = Person.objects.filter(pk=person_id).first() if person_id else None
    if person_id and person is None:
        raise InvalidInput(
            _("There is no person with id %(id)s.") % {"id": person_id}, fields={"person_id": _("unknown")}
        )
    organization = Organization.objects.filter(pk=organization_id).first() if organization_id else None
    if organization_id and organization is None:
        raise InvalidInput(
            _("There is no organization with id %(id)s.") % {"id": organization_id},
            fields={"organization_id": _("unknown")},
        )
    owner = _owner(actor, owner_id, deal)
    if received_at is not None and due_at is None:
        due_at = followups.info_request_deadline(
            received_at,
            response_hours=response_hours or settings.INFO_REQUEST_RESPONSE_HOURS,
            hours=working_hours_of(owner),
        )
    activity = Activity.objects.create(
        kind=kind,
        subject=subject[:200],
        note=note.strip(),
        owner=owner,
        deal=deal,
        person=person or (deal.person if deal else None),
        organization=organization
        or (deal.organization if deal else None)
        or (person.organization if person else None),
        due_at=due_at,
        duration_minutes=duration_minutes,
        ends_at=ends_at,
        done_at=done_at,
        outcome=outcome,
        received_at=received_at,
        created_by=actor,
        created_at=timezone.now(),
    )
    if planned:
        _plan_preparation(activity, actor=actor, new=True)
        if deal is not None:
            _settle_next_step_prompts(deal.pk)
    elif kind == ActivityKind.MEETING:
        _next_step_check(activity, actor=actor)
    if deal is not None:
        deal_refresh_activity_marks(deal.pk)
    webhook_event_emit(event=events.ACTIVITY_CREATED, payload=lambda: activity_payload(activity))
    return activity


@transaction.atomic
def activity_schedule(
    *,
    actor: User,
    kind: str,
    due_at: dt.datetime,
    subject: str = "",
    deal_id: int | None = None,
    person_id: int | None = None,
    organization_id: int | None = None,
    owner_id: int | None = None,
    duration_minutes: int | None = None,
    ends_at: dt.datetime | None = None,
    note: str = "",
) -> Activity:
    """Plan an activity for a time; it shows in the owner's agenda until done or cancelled."""
    if kind == ActivityKind.NOTE:
        raise InvalidInput(
            _("A note is written, not scheduled; record it instead."), fields={"kind": _("note")}
        )
    if due_at is None:
        raise InvalidInput(_("Say when it is due."), fields={"due_at": _("required")})
    if kind == ActivityKind.TRIAL and ends_at is None:
        raise InvalidInput(
            _("A trial needs an end date: its check-in and decision call are planned from it."),
            fields={"ends_at": _("required")},
        )
    return _create(
        actor=actor,
        kind=kind,
        subject=subject,
        due_at=_aware(due_at, "due_at"),
        done_at=None,
        outcome="",
        deal_id=deal_id,
        person_id=person_id,
        organization_id=organization_id,
        owner_id=owner_id,
        duration_minutes=duration_minutes,
        ends_at=_aware(ends_at, "ends_at"),
        note=note,
        # A request scheduled by hand is taken as received now, with the given time as its deadline.
        received_at=timezone.now() if kind == ActivityKind.INFO_REQUEST else None,
    )


@transaction.atomic
def info_request_log(
    *,
    actor: User,
    subject: str = "",
    received_at: dt.datetime | None = None,
    deadline: dt.datetime | None = None,
    response_hours: float | None = None,
    deal_id: int | None = None,
    person_id: int | None = None,
    organization_id: int | None = None,
    owner_id: int | None = None,
    note: str = "",
) -> Activity:
    """A prospect asked for information: log when, and the answer is due within `response_hours` working
    hours of the owner (INFO_REQUEST_RESPONSE_HOURS, 4 by default) unless a deadline is given. Answer it by
    completing it; the working time it took is recorded."""
    now = timezone.now()
    received = _aware(received_at, "received_at") or now
    if received > now + _CLOCK_SLACK:
        raise InvalidInput(
            _("A request cannot be received in the future; give the time it came in."),
            fields={"received_at": _("in the future")},
        )
    deadline = _aware(deadline, "deadline")
    if deadline is not None and deadline <= received:
        raise InvalidInput(
            _("The deadline must come after the request was received."), fields={"deadline": _("too early")}
        )
    if response_hours is not None and not 0 < response_hours <= 24 * 30:
        raise InvalidInput(
            _("Response hours are a positive number of working hours (at most 720)."),
            fields={"response_hours": _("out of range")},
        )
    return _create(
        actor=actor,
        kind=ActivityKind.INFO_REQUEST,
        subject=subject,
        due_at=deadline,
        done_at=None,
        outcome="",
        deal_id=deal_id,
        person_id=person_id,
        organization_id=organization_id,
        owner_id=owner_id,
        duration_minutes=None,
        ends_at=None,
        note=note,
        received_at=received,
        response_hours=response_hours,
    )


@transaction.atomic
def activity_record(
    *,
    actor: User,
    kind: str,
    subject: str = "",
    done_at: dt.datetime | None = None,
    outcome: str = "",
    deal_id: int | None = None,
    person_id: int | None = None,
    organization_id: int | None = None,
    duration_minutes: int | None = None,
    note: str = "",
) -> Activity:
    """Log something already done (a call just made, a note), owned by the actor."""
    if kind == ActivityKind.INFO_REQUEST:
        raise InvalidInput(
            _("Log an information request when it comes in, so its response time counts; then complete it."),
            fields={"kind": _("use info_request_log")},
        )
    when = _aware(done_at, "done_at") or timezone.now()
    if when > timezone.now() + dt.timedelta(minutes=5):
        raise InvalidInput(
            _("A recorded activity cannot be done in the future; schedule it instead."),
            fields={"done_at": _("in the future")},
        )
    return _create(
        actor=actor,
        kind=kind,
        subject=subject,
        due_at=when,
        done_at=when,
        outcome=outcome,
        deal_id=deal_id,
        person_id=person_id,
        organization_id=organization_id,
        owner_id=actor.pk,
        duration_minutes=duration_minutes,
        ends_at=None,
        note=note,
    )


@transaction.atomic
def activity_complete(
    *,
    actor: User,
    activity_id: int,
    outcome: str = "",
    note: str | None = None,
    done_at: dt.datetime | None = None,
) -> Activity:
    activity = _activity_for_change(actor, activity_id)
    if activity.cancelled_at is not None:
        raise RuleBroken(
            _("This activity was cancelled; schedule a new one instead."), code="activity_cancelled"
        )
    if activity.done_at is not None:
        raise RuleBroken(_("This activity is done already."), code="activity_done")
    activity.outcome = _check_outcome(activity.kind, outcome)
    activity.done_at = _aware(done_at, "done_at") or timezone.now()
    fields = ["done_at", "outcome"]
    if activity.purpose and activity.notified_at is None:
        activity.notified_at = timezone.now()
        fields.append("notified_at")
    if activity.kind == ActivityKind.INFO_REQUEST:
        received = activity.received_at or activity.created_at
        activity.response_minutes = followups.response_minutes(
            received, activity.done_at, hours=working_hours_of(activity.owner)
        )
        fields.append("response_minutes")
    if note is not None:
        activity.note = note.strip()
        fields.append("note")
    activity.save(update_fields=fields)
    # Done with the appointment or the trial: what prepared for it has no more reason to be done.
    _cancel_preparation(activity)
    if activity.kind == ActivityKind.MEETING:
        _next_step_check(activity, actor=actor)
    if activity.deal_id:
        deal_refresh_activity_marks(activity.deal_id)
    webhook_event_emit(event=events.ACTIVITY_COMPLETED, payload=lambda: activity_payload(activity))
    return activity


@transaction.atomic
def activity_reschedule(*, actor: User, activity_id: int, due_at: dt.datetime) -> Activity:
    activity = _activity_for_change(actor, activity_id)
    if not activity.is_planned:
        raise RuleBroken(_("Only a planned activity can be rescheduled."), code="activity_not_planned")
    activity.due_at = _aware(due_at, "due_at")
    fields = ["due_at"]
    if activity.ends_at is not None and activity.due_at is not None and activity.ends_at < activity.due_at:
        raise InvalidInput(
            _("The new time is after the activity's end; change the end too."),
            fields={"due_at": _("after end")},
        )
    activity.save(update_fields=fields)
    _plan_preparation(activity, actor=actor)
    if activity.deal_id:
        deal_refresh_activity_marks(activity.deal_id)
    return activity


@transaction.atomic
def activity_cancel(*, actor: User, activity_id: int) -> Activity:
    activity = _activity_for_change(actor, activity_id)
    if not activity.is_planned:
        raise RuleBroken(_("Only a planned activity can be cancelled."), code="activity_not_planned")
    activity.cancelled_at = timezone.now()
    activity.notified_at = activity.notified_at or (activity.cancelled_at if activity.purpose else None)
    activity.save(update_fields=["cancelled_at", "notified_at"])
    _cancel_preparation(activity)
    if activity.deal_id:
        deal_refresh_activity_marks(activity.deal_id)
    return activity


_EDITABLE = {"subject", "note", "duration_minutes", "ends_at"}


@transaction.atomic
def activity_update(*, actor: User, activity_id: int, **changes: Any) -> Activity:
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise InvalidInput(
            _(
                "These fields cannot be edited here: %(fields)s. "
                "Use reschedule, complete or cancel for the time and state."
            )
            % {"fields": ", ".join(sorted(unknown))}
        )
    activity = _activity_for_change(actor, activity_id)
    if "subject" in changes:
        changes["subject"] = (changes["subject"] or "").strip()[:200] or activity.subject
    if "note" in changes:
        changes["note"] = (changes["note"] or "").strip()
    if "ends_at" in changes:
        _aware(changes["ends_at"], "ends_at")
        if changes["ends_at"] and activity.due_at and changes["ends_at"] < activity.due_at:
            raise InvalidInput(
                _("An activity cannot end before it starts."), fields={"ends_at": _("before due_at")}
            )
    if activity.kind == ActivityKind.TRIAL and "ends_at" in changes and changes["ends_at"] is None:
        raise InvalidInput(_("A trial needs an end date."), fields={"ends_at": _("required")})
    for field, value in changes.items():
        setattr(activity, field, value)
    activity.save(update_fields=list(changes))
    if "ends_at" in changes and activity.is_planned:
        _plan_preparation(activity, actor=actor)
        if activity.deal_id:
            deal_refresh_activity_marks(activity.deal_id)
    return activity


@transaction.atomic
def activity_delete(*, actor: User, activity_id: int) -> None:
    activity = _activity_for_change(actor, activity_id)
    deal_id = activity.deal_id
    activity.delete()
    if deal_id:
        deal_refresh_activity_marks(deal_id)
