"""Forms for scheduling, recording, completing and rescheduling activities on the deal page and the
agenda. They parse what a person typed, reading a date and a time on the clock of the time zone they
were shown in; the activity services decide what is allowed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from salespipe.activities.models import ActivityKind, ActivityOutcome
from salespipe.core.widgets import QuickInput, QuickSelect, QuickTextarea
from salespipe.deals.forms import DateInput

KIND_CHOICES: list[tuple[str, Any]] = ActivityKind.choices
OUTCOME_CHOICES: list[tuple[str, Any]] = ActivityOutcome.choices
# What can come of each kind; the services require one of the meeting outcomes for a meeting.
_MEETING_OUTCOMES = {"held", "no_show", "cancelled_by_prospect", "rescheduled"}
_CALL_OUTCOMES = {"connected", "no_answer", "left_message", "done"}
_OFFERED_BY_KIND = {
    ActivityKind.MEETING: _MEETING_OUTCOMES,
    ActivityKind.DEMO: _MEETING_OUTCOMES,
    ActivityKind.CALL: _CALL_OUTCOMES,
    ActivityKind.TRIAL: {"converted", "not_converted"},
    ActivityKind.GIFT: {"delivered"},
    ActivityKind.INFO_REQUEST: {"answered"},
}
# Kinds whose outcome the services require: the form marks the field required for them.
_OUTCOME_REQUIRED = {ActivityKind.MEETING, ActivityKind.DEMO, ActivityKind.TRIAL}
_NONE: list[tuple[str, Any]] = [("", "—")]


def outcome_choices(kind: str) -> list[tuple[str, Any]]:
    """The outcomes offered when completing an activity of this kind."""
    offered = _OFFERED_BY_KIND.get(ActivityKind(kind), {"done"})
    return _NONE + [(value, label) for value, label in OUTCOME_CHOICES if value in offered]


class TimeInput(QuickInput, forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


class _DueForm(forms.Form):
    """A due date and time, read on the clock of `zone` (the time zone the page shows times in)."""

    due_date = forms.DateField(label=_("Date"), widget=DateInput)
    due_time = forms.TimeField(label=_("Time"), widget=TimeInput)

    def __init__(self, *args: Any, zone: dt.tzinfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def due_at(self) -> dt.datetime:
        return dt.datetime.combine(
            self.cleaned_data["due_date"], self.cleaned_data["due_time"], tzinfo=self.zone
        )


class ScheduleForm(_DueForm):
    kind = forms.ChoiceField(
        label=_("What"), choices=[choice for choice in KIND_CHOICES if choice[0] != ActivityKind.NOTE]
    )
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), required=False, widget=forms.NumberInput(attrs={"min": 1, "step": 5})
    )
    ends_date = forms.DateField(
        label=_("Ends on (trials)"),
        required=False,
        widget=DateInput,
        help_text=_("A trial gets a check-in halfway and a decision call on this day."),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    field_order = ["kind", "subject", "due_date", "due_time", "duration_minutes", "ends_date", "note"]

    def schedule_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        ends_date = data["ends_date"]
        return {
            "kind": data["kind"],
            "subject": data["subject"],
            "due_at": self.due_at(),
            "duration_minutes": data["duration_minutes"],
            # The trial ends on that day at the time it started.
            "ends_at": dt.datetime.combine(ends_date, data["due_time"], tzinfo=self.zone)
            if ends_date
            else None,
            "note": data["note"],
        }


class RecordForm(forms.Form):
    kind = forms.ChoiceField(label=_("What"), choices=KIND_CHOICES, initial=ActivityKind.NOTE)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=_NONE + OUTCOME_CHOICES, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CompleteForm(forms.Form):
    # Widgets written in Python: the deal page's timeline shows this form for each planned activity.
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=_NONE + OUTCOME_CHOICES, required=False, widget=QuickSelect
    )
    note = forms.CharField(label=_("Note"), required=False, widget=QuickTextarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["outcome"]
        assert isinstance(field, forms.ChoiceField)
        # Offer what fits the kind, but accept any outcome: the service says what is wrong with it.
        self.offered = outcome_choices(kind)
        field.widget.choices = self.offered
        self.outcome_required = kind in _OUTCOME_REQUIRED
        if self.outcome_required:
            field.widget.attrs["required"] = True

    def complete_kwargs(self) -> dict[str, Any]:
        # An empty note keeps the activity's note; a written one replaces it.
        note = self.cleaned_data["note"]
        return {"outcome": self.cleaned_data["outcome"], "note": note if note.strip() else None}


class RescheduleForm(_DueForm):
    pass
