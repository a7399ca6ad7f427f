"""Forms of the deal page. They parse and label what a person typed; the deal services decide whether
it is allowed (gates, ranges, who may own a deal) and say why not.

Choice labels come from the models' choices, which are translatable (gettext_lazy).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from salespipe.core.widgets import QuickInput
from salespipe.deals.models import AuthorityConfirmation, ContactRole, DealSource, Urgency
from salespipe.people.models import User

SOURCE_CHOICES: list[tuple[str, Any]] = DealSource.choices
URGENCY_CHOICES: list[tuple[str, Any]] = Urgency.choices
ROLE_CHOICES: list[tuple[str, Any]] = ContactRole.choices
CONFIRMATION_CHOICES: list[tuple[str, Any]] = AuthorityConfirmation.choices
_NONE: list[tuple[str, Any]] = [("", "—")]


class DateInput(QuickInput, forms.DateInput):
    """A browser date picker; it sends and expects ISO dates whatever the page's language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DealFieldForm(forms.Form):
    """A form for one group of deal fields, carrying the version of the deal it was filled in from."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def changes(self) -> dict[str, Any]:
        """The deal_update keyword arguments this form sets."""
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


class TitleForm(DealFieldForm):
    title = forms.CharField(label=_("Title"), max_length=200)


class ValueForm(DealFieldForm):
    value = forms.DecimalField(label=_("Value"), localize=True, max_digits=14, decimal_places=2)
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        help_text=_("Three letters, such as EUR or USD."),
        widget=forms.TextInput(attrs={"size": 3, "autocapitalize": "characters"}),
    )


class ExpectedCloseForm(DealFieldForm):
    expected_close_date = forms.DateField(label=_("Expected close"), required=False, widget=DateInput)


class ProbabilityForm(DealFieldForm):
    probability = forms.IntegerField(
        label=_("Win probability (%)"),
        required=False,
        help_text=_("Leave empty to use the stage's probability."),
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}),
    )


class SourceForm(DealFieldForm):
    source = forms.ChoiceField(label=_("Source"), choices=_NONE + SOURCE_CHOICES, required=False)


class UrgencyForm(DealFieldForm):
    urgency = forms.ChoiceField(label=_("Urgency"), choices=_NONE + URGENCY_CHOICES, required=False)


class BudgetForm(DealFieldForm):
    budget_amount = forms.DecimalField(
        label=_("Budget"), localize=True, required=False, max_digits=14, decimal_places=2
    )
    budget_evidence = forms.CharField(
        label=_("Evidence for the budget"),
        required=False,
        help_text=_("Why the budget is believed, e.g. similar purchases they made before."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DecisionDateForm(DealFieldForm):
    decision_date = forms.DateField(label=_("Decision date"), required=False, widget=DateInput)


class OwnerForm(DealFieldForm):
    owner_id = forms.TypedChoiceField(label=_("Owner"), coerce=int)

    def __init__(self, *args: Any, owners: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owner_id"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(user.pk, str(user)) for user in owners]


# The inline-editable groups of the deal page, by the name used in their URL.
FIELD_FORMS: dict[str, type[DealFieldForm]] = {
    "title": TitleForm,
    "value": ValueForm,
    "expected_close": ExpectedCloseForm,
    "probability": ProbabilityForm,
    "source": SourceForm,
    "urgency": UrgencyForm,
    "budget": BudgetForm,
    "decision_date": DecisionDateForm,
    "owner": OwnerForm,
}


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class MoveForm(VersionForm):
    stage_id = forms.IntegerField()


class LoseForm(VersionForm):
    lost_reason = forms.CharField(
        label=_("Why was it lost?"),
        max_length=200,
        required=False,
        help_text=_("For example: price, a competitor, no budget."),
        widget=forms.TextInput(attrs={"required": True}),
    )


class ContactSearchForm(forms.Form):
    q = forms.CharField(label=_("Find a person"), max_length=100, required=False)


class ContactAddForm(forms.Form):
    person_id = forms.IntegerField()
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)


class ContactCreateForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)


class ContactRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)


class ConfirmAuthorityForm(forms.Form):
    how = forms.ChoiceField(label=_("How was it confirmed?"), choices=CONFIRMATION_CHOICES)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
