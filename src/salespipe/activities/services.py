"""Scheduling, recording, completing and cancelling activities; each keeps its deal's marks current."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salespipe.activities.models import Activity, ActivityKind, ActivityOutcome
from salespipe.core.errors import InvalidInput, NotFound, RuleBroken
from salespipe.deals.models import Deal
from salespipe.deals.services import deal_refresh_activity_marks
from salespipe.directory.models import Organization, Person
from salespipe.people.models import User
from salespipe.people.selectors import owner_scope, user_can_manage

# A meeting's outcome says whether the appointment happened; the plan and coaching count on it.
MEETING_OUTCOMES = (
    ActivityOutcome.HELD,
    ActivityOutcome.NO_SHOW,
    ActivityOutcome.CANCELLED_BY_PROSPECT,
    ActivityOutcome.RESCHEDULED,
)


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
    deal = Deal.objects.filter(owner_scope(actor), pk=deal_id).select_related("owner").first()
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
    activity = Activity.objects.create(
        kind=kind,
        subject=subject[:200],
        note=note.strip(),
        owner=_owner(actor, owner_id, deal),
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
        created_by=actor,
        created_at=timezone.now(),
    )
    if deal is not None:
        deal_refresh_activity_marks(deal.pk)
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
    if activity.kind == ActivityKind.MEETING and outcome not in MEETING_OUTCOMES:
        raise InvalidInput(
            _("Say how the meeting went: one of %(outcomes)s.") % {"outcomes": ", ".join(MEETING_OUTCOMES)},
            fields={"outcome": _("required")},
        )
    if outcome and outcome not in ActivityOutcome.values:
        raise InvalidInput(
            _("Outcome must be one of: %(outcomes)s.") % {"outcomes": ", ".join(ActivityOutcome.values)},
            fields={"outcome": _("unknown")},
        )
    activity.done_at = _aware(done_at, "done_at") or timezone.now()
    activity.outcome = outcome or ActivityOutcome.DONE
    fields = ["done_at", "outcome"]
    if note is not None:
        activity.note = note.strip()
        fields.append("note")
    activity.save(update_fields=fields)
    if activity.deal_id:
        deal_refresh_activity_marks(activity.deal_id)
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
    if activity.deal_id:
        deal_refresh_activity_marks(activity.deal_id)
    return activity


@transaction.atomic
def activity_cancel(*, actor: User, activity_id: int) -> Activity:
    activity = _activity_for_change(actor, activity_id)
    if not activity.is_planned:
        raise RuleBroken(_("Only a planned activity can be cancelled."), code="activity_not_planned")
    activity.cancelled_at = timezone.now()
    activity.save(update_fields=["cancelled_at"])
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
    for field, value in changes.items():
        setattr(activity, field, value)
    activity.save(update_fields=list(changes))
    return activity


@transaction.atomic
def activity_delete(*, actor: User, activity_id: int) -> None:
    activity = _activity_for_change(actor, activity_id)
    deal_id = activity.deal_id
    activity.delete()
    if deal_id:
        deal_refresh_activity_marks(deal_id)
