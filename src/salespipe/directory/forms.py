"""Forms of the directory pages and of quick add. They parse and label input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.urls import reverse_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from salespipe.deals.models import StageKind
from salespipe.deals.selectors import pipeline_list
from salespipe.directory.models import OrganizationSize
from salespipe.people.models import User
from salespipe.people.selectors import user_list, visible_user_ids

# The browser offers directory names as someone types (htmx fills the datalist); typing works without it.
_ORGANIZATION_NAME_ATTRS = {
    "list": "organization-suggestions",
    "autocomplete": "off",
    "hx-get": reverse_lazy("directory:organization_suggestions"),
    "hx-trigger": "input changed delay:300ms",
    "hx-target": "#organization-suggestions",
}


class OrganizationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    website = forms.CharField(label=_("Website"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    country = forms.CharField(
        label=_("Country"),
        max_length=2,
        required=False,
        help_text=_("Two-letter ISO code, such as GR or DE."),
    )
    industry = forms.CharField(label=_("Industry"), max_length=100, required=False)
    size = forms.ChoiceField(label=_("Size"), choices=[("", "—"), *OrganizationSize.choices], required=False)


class PersonForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    job_title = forms.CharField(label=_("Job title"), max_length=100, required=False)
    organization_name = forms.CharField(
        label=_("Organization"),
        max_length=200,
        required=False,
        help_text=_("The name of an organization in the directory; leave empty for none."),
        widget=forms.TextInput(attrs=_ORGANIZATION_NAME_ATTRS),
    )


def _open_stage_choices(actor: User) -> list[tuple[str, list[tuple[int, str]]]]:
    groups = []
    for pipeline in pipeline_list(actor=actor):
        options = []
        for stage in pipeline.stages.all():
            if stage.kind != StageKind.OPEN:
                continue
            needs = [
                label
                for gate, label in (
                    (stage.requires_decision_maker, gettext("a confirmed decision maker")),
                    (stage.requires_budget, gettext("a budget")),
                    (stage.requires_timeline, gettext("a decision date")),
                )
                if gate
            ]
            label = stage.name
            if needs:
                label = gettext("%(stage)s (needs %(what)s)") % {
                    "stage": stage.name,
                    "what": ", ".join(needs),
                }
            options.append((stage.pk, label))
        groups.append((pipeline.name, options))
    return groups


class QuickAddDealForm(forms.Form):
    title = forms.CharField(
        label=_("Deal title"),
        max_length=200,
        help_text=_("What the organization buys, e.g. “Acme: 20 licences”."),
    )
    value = forms.DecimalField(
        label=_("Value"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
        required=False,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    currency = forms.CharField(
        label=_("Currency"),
        min_length=3,
        max_length=3,
        help_text=_("ISO code such as EUR or USD."),
    )
    expected_close_date = forms.DateField(
        label=_("Expected close date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    stage = forms.TypedChoiceField(label=_("Pipeline and stage"), coerce=int)
    organization_name = forms.CharField(
        label=_("Organization"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs=_ORGANIZATION_NAME_ATTRS),
    )
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("currency", settings.BASE_CURRENCY)
        super().__init__(*args, **kwargs)
        groups = _open_stage_choices(actor)
        stage_field = self.fields["stage"]
        assert isinstance(stage_field, forms.TypedChoiceField)
        stage_field.choices = groups
        if "stage" not in self.initial and groups and groups[0][1]:
            self.initial["stage"] = groups[0][1][0][0]
        if actor.is_admin or actor.is_manager:
            # A manager may hand the deal to one of their reps; a rep's deals are their own.
            owners = user_list(actor=actor).filter(visible_user_ids(actor))
            self.fields["owner"] = forms.TypedChoiceField(
                label=_("Owner"),
                coerce=int,
                choices=[(user.pk, str(user)) for user in owners],
                initial=actor.pk,
            )
