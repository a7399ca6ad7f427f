"""The reports page's filters: parsing only (who, which windows, which kind of freemium)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from salespipe.analytics.selectors import FREEMIUM_WINDOW_DAYS, RESPONSE_WINDOW_DAYS, ReportScope

REQUEST_WINDOWS = (
    (30, _("the last 30 days")),
    (90, _("the last 90 days")),
    (180, _("the last 6 months")),
    (365, _("the last 12 months")),
)
DEAL_WINDOWS = (
    (90, _("the last 90 days")),
    (180, _("the last 6 months")),
    (365, _("the last 12 months")),
    (730, _("the last 2 years")),
)
KINDS = (
    ("any", _("A trial, demo or gift")),
    ("trial", _("A free trial")),
    ("demo", _("A demo")),
    ("gift", _("A small gift")),
)


class ReportFilterForm(forms.Form):
    """`who` is "" (everyone in view), `team:<id>` or `user:<id>`, offered from the actor's scope only."""

    who = forms.ChoiceField(label=_("Who"), required=False)
    requests_days = forms.TypedChoiceField(
        label=_("Requests answered in"), choices=REQUEST_WINDOWS, coerce=int, required=False
    )
    deals_days = forms.TypedChoiceField(
        label=_("Deals closed in"), choices=DEAL_WINDOWS, coerce=int, required=False
    )
    kind = forms.ChoiceField(label=_("Deals with"), choices=KINDS, required=False)

    def __init__(self, *args: Any, scope: ReportScope, everyone_label: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[Any] = [("", everyone_label)]
        if len(scope.teams) > 1 or (scope.teams and len(scope.people) > 1):
            choices.append((_("Teams"), [(f"team:{team.pk}", team.name) for team in scope.teams]))
        if len(scope.people) > 1:
            choices.append((_("People"), [(f"user:{person.pk}", str(person)) for person in scope.people]))
        who = self.fields["who"]
        assert isinstance(who, forms.ChoiceField)
        who.choices = choices
        # A rep has nobody else to choose, so the page leaves the field out.
        self.offers_who = len(choices) > 1

    def team_id(self) -> int | None:
        return self._who("team")

    def owner_id(self) -> int | None:
        return self._who("user")

    def _who(self, prefix: str) -> int | None:
        kind, _sep, ident = str(self.cleaned_data.get("who") or "").partition(":")
        return int(ident) if kind == prefix else None

    def requests_window(self) -> int:
        return self.cleaned_data.get("requests_days") or RESPONSE_WINDOW_DAYS

    def deals_window(self) -> int:
        return self.cleaned_data.get("deals_days") or FREEMIUM_WINDOW_DAYS

    def freemium_kind(self) -> str:
        return self.cleaned_data.get("kind") or "any"
