"""Forms of the quotas page and the commission plan settings. They parse and label input; the services
decide who may set what and whether the numbers make sense."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from salespipe.deals.forms import DateInput


class QuotaForm(forms.Form):
    """A quota for one person or team: `who` is `user:<id>` or `team:<id>`."""

    who = forms.ChoiceField(label=_("For"))
    period = forms.CharField(
        label=_("Period"),
        max_length=16,
        help_text=_("A year (2026), a quarter (2026-Q4) or a month (2026-11)."),
    )
    target_value = forms.DecimalField(
        label=_("Target revenue"), localize=True, max_digits=16, decimal_places=2, min_value=Decimal(0)
    )
    target_deals = forms.IntegerField(label=_("Target won deals"), required=False, min_value=0)

    def __init__(self, *args: Any, who_choices: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        who_field = self.fields["who"]
        assert isinstance(who_field, forms.ChoiceField)
        who_field.choices = who_choices
        self.fields["target_value"].widget.attrs.update({"inputmode": "decimal", "size": 12})
        self.fields["target_deals"].widget.attrs.update({"size": 5})

    def owner(self) -> dict[str, int]:
        """The service's user_id or team_id."""
        kind, _sep, pk = self.cleaned_data["who"].partition(":")
        return {f"{kind}_id": int(pk)}


class CommissionPlanForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    base_rate = forms.DecimalField(
        label=_("Base rate (%)"),
        localize=True,
        max_digits=5,
        decimal_places=2,
        help_text=_("Percent of won revenue paid below the first tier."),
    )
    cap = forms.DecimalField(
        label=_("Cap"),
        localize=True,
        max_digits=16,
        decimal_places=2,
        required=False,
        help_text=_("The most the plan pays for one period, in the base currency; empty for no cap."),
    )
    is_active = forms.BooleanField(
        label=pgettext_lazy("commission plan", "Active"),
        required=False,
        initial=True,
        help_text=_("Only active plans can be assigned."),
    )


class CommissionTierForm(forms.Form):
    """One tier; a row left empty is no tier."""

    from_attainment = forms.DecimalField(
        label=_("From attainment (%)"), localize=True, max_digits=7, decimal_places=2, required=False
    )
    rate = forms.DecimalField(
        label=_("Rate (%)"), localize=True, max_digits=5, decimal_places=2, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, rate = data.get("from_attainment"), data.get("rate")
        if (start is None) != (rate is None) and not self.errors:
            raise ValidationError(_("Give both the attainment the tier starts at and its rate, or neither."))
        return data


class BaseTierFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def tiers(self) -> list[tuple[Decimal, Decimal]]:
        """The filled rows as (from attainment, rate) pairs."""
        return [
            (form.cleaned_data["from_attainment"], form.cleaned_data["rate"])
            for form in self.forms
            if form.cleaned_data.get("from_attainment") is not None
        ]


TierFormSet = forms.formset_factory(CommissionTierForm, formset=BaseTierFormSet, extra=2, max_num=20)


class AssignmentForm(forms.Form):
    user = forms.TypedChoiceField(label=_("Person"), coerce=int)
    plan = forms.TypedChoiceField(label=_("Plan"), coerce=int)
    starts_on = forms.DateField(label=_("From"), widget=DateInput)
    ends_on = forms.DateField(
        label=_("Until"), widget=DateInput, required=False, help_text=_("Empty: until further notice.")
    )

    def __init__(
        self,
        *args: Any,
        user_choices: list[tuple[Any, Any]],
        plan_choices: list[tuple[Any, Any]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        user_field, plan_field = self.fields["user"], self.fields["plan"]
        assert isinstance(user_field, forms.ChoiceField) and isinstance(plan_field, forms.ChoiceField)
        user_field.choices = user_choices
        plan_field.choices = plan_choices
