"""The Insights page's filters, from its address: parsing only (whose deals, which pipeline, which window).

Whether the person, team or pipeline named may be seen is the selector's to say (`insights_scope`: 404
otherwise); this only checks each value is one.
"""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from salespipe.insights.selectors import DEFAULT_WINDOW_DAYS

WINDOW_CHOICES = (
    (30, _("the last 30 days")),
    (90, _("the last 90 days")),
    (180, _("the last 6 months")),
    (365, _("the last 12 months")),
)
_WHO = re.compile(r"^(?:(?P<kind>user|team):(?P<id>[1-9][0-9]{0,9}))?$")


class InsightsFilterForm(forms.Form):
    """`who` is "" (everyone in view), `team:<id>` or `user:<id>`; `pipeline` a pipeline's id ("" for the
    default one); `days` one of the windows offered."""

    who = forms.CharField(required=False)
    pipeline = forms.IntegerField(required=False, min_value=1)
    days = forms.TypedChoiceField(choices=WINDOW_CHOICES, coerce=int, required=False)

    def clean_who(self) -> str:
        who = str(self.cleaned_data.get("who") or "").strip()
        if not _WHO.match(who):
            raise forms.ValidationError(
                _("Pick whose deals from the list: “user:<id>”, “team:<id>” or nothing for everyone in view.")
            )
        return who

    def _who(self, kind: str) -> int | None:
        found = _WHO.match(self.cleaned_data.get("who") or "")
        return int(found["id"]) if found and found["kind"] == kind else None

    def owner_id(self) -> int | None:
        return self._who("user")

    def team_id(self) -> int | None:
        return self._who("team")

    def pipeline_id(self) -> int | None:
        return self.cleaned_data.get("pipeline")

    def window_days(self) -> int:
        return self.cleaned_data.get("days") or DEFAULT_WINDOW_DAYS

    def problems(self) -> str:
        """What is wrong with the address, in one sentence per field."""
        labels = {"who": _("Who"), "pipeline": _("Pipeline"), "days": _("Window")}
        return " ".join(
            f"{labels.get(name, name)}: {' '.join(str(message) for message in messages)}"
            for name, messages in self.errors.items()
        )
