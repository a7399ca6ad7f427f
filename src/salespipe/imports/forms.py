"""Forms of the import page: the upload, and the confirmation of the column mapping and of the values the
file uses. They parse and label what an administrator picked; `services.mapping_build` and
`import_prepare` decide whether the mapping can import anything and say why not."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from salespipe.imports.fields import FIELDS
from salespipe.imports.presets import PRESET_NAMES

DATES_DETECT, DATES_DAY_FIRST, DATES_MONTH_FIRST = "detect", "day", "month"
DATES_CHOICES: list[tuple[str, Any]] = [
    (DATES_DETECT, _("Find out from the file")),
    (DATES_DAY_FIRST, _("Day first (27/11/2026)")),
    (DATES_MONTH_FIRST, _("Month first (11/27/2026)")),
]
PRESET_LABELS = {
    "pipedrive": "Pipedrive",
    "hubspot": "HubSpot",
    "salesforce": "Salesforce",
    "generic": _("Another system (columns guessed from the headers)"),
}
NOT_IMPORTED = ""


def day_first_of(dates: str) -> bool | None:
    """The `day_first` of `mapping_build`: None lets it find out from the file's dates."""
    return {DATES_DAY_FIRST: True, DATES_MONTH_FIRST: False}.get(dates)


def dates_of(day_first: bool | None) -> str:
    return {True: DATES_DAY_FIRST, False: DATES_MONTH_FIRST}.get(day_first, DATES_DETECT)  # type: ignore[arg-type]


class UploadForm(forms.Form):
    """A new import: the file, which system it comes from, and where its deals go by default."""

    file = forms.FileField(
        label=_("File"),
        help_text=_("A CSV (any common encoding and delimiter) or an Excel workbook (XLSX)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )
    preset = forms.ChoiceField(
        label=_("Exported from"), choices=[(name, PRESET_LABELS.get(name, name)) for name in PRESET_NAMES]
    )
    pipeline = forms.ChoiceField(
        label=_("Pipeline"), help_text=_("For deals whose row names no pipeline of its own.")
    )
    owner = forms.ChoiceField(
        label=_("Default owner"),
        required=False,
        help_text=_("Owns the deals whose row names no owner; without one, such rows fail."),
    )
    dates = forms.ChoiceField(label=_("Dates"), choices=DATES_CHOICES, initial=DATES_DETECT)

    def __init__(
        self,
        *args: Any,
        pipelines: Sequence[tuple[str, str]],
        owners: Sequence[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._choices("pipeline", list(pipelines))
        self._choices("owner", [("", "—"), *owners])

    def _choices(self, name: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices


class ConfirmForm(forms.Form):
    """What each column of the file is, and which stage and user each of the file's values means.

    Columns are `column_<n>` (the n-th header); a stage value is `stage_value_<n>` (hidden, the file's
    value) with `stage_<n>` (the stage chosen for it, empty for the match found); owners likewise. The
    import's settings from the upload ride along as hidden fields."""

    preset = forms.ChoiceField(choices=[(name, name) for name in PRESET_NAMES], widget=forms.HiddenInput)
    pipeline = forms.CharField(required=False, widget=forms.HiddenInput)
    owner = forms.CharField(required=False, widget=forms.HiddenInput)
    dates = forms.ChoiceField(label=_("Dates"), choices=DATES_CHOICES)

    def __init__(
        self,
        *args: Any,
        header: Sequence[str],
        stage_values: Sequence[str],
        stage_names: Sequence[str],
        owner_values: Sequence[str],
        usernames: Sequence[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.header = list(header)
        field_choices = [(NOT_IMPORTED, _("— not imported —")), *((f.key, f.key) for f in FIELDS)]
        for number, name in enumerate(self.header):
            self.fields[f"column_{number}"] = forms.ChoiceField(
                label=name, choices=field_choices, required=False
            )
        self.stage_count = len(stage_values)
        stage_choices = [("", _("— as found —")), *((name, name) for name in stage_names)]
        for number, value in enumerate(stage_values):
            self.fields[f"stage_value_{number}"] = forms.CharField(
                initial=value, widget=forms.HiddenInput, required=False, strip=False
            )
            self.fields[f"stage_{number}"] = forms.ChoiceField(
                label=value, choices=stage_choices, required=False
            )
        self.owner_count = len(owner_values)
        user_choices = [("", _("— as found —")), *usernames]
        for number, value in enumerate(owner_values):
            self.fields[f"owner_value_{number}"] = forms.CharField(
                initial=value, widget=forms.HiddenInput, required=False, strip=False
            )
            self.fields[f"owner_{number}"] = forms.ChoiceField(
                label=value, choices=user_choices, required=False
            )

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"column_{number}"] for number in range(len(self.header))]

    def stage_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"stage_value_{n}"], self[f"stage_{n}"]) for n in range(self.stage_count)]

    def owner_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"owner_value_{n}"], self[f"owner_{n}"]) for n in range(self.owner_count)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen: dict[str, list[str]] = {}
        for number, name in enumerate(self.header):
            if key := data.get(f"column_{number}"):
                chosen.setdefault(key, []).append(name)
        twice = {key: names for key, names in chosen.items() if len(names) > 1}
        for key, names in twice.items():
            self.add_error(
                None,
                _("The field %(field)s is chosen for more than one column (%(columns)s); choose it for one.")
                % {"field": key, "columns": ", ".join(names)},
            )
        return data

    def columns(self) -> dict[str, str]:
        """Field key → header, for `mapping_build`."""
        return {
            key: name
            for number, name in enumerate(self.header)
            if (key := self.cleaned_data.get(f"column_{number}"))
        }

    def _values(self, kind: str, count: int) -> dict[str, str]:
        return {
            self.cleaned_data[f"{kind}_value_{n}"]: chosen
            for n in range(count)
            if (chosen := self.cleaned_data.get(f"{kind}_{n}")) and self.cleaned_data.get(f"{kind}_value_{n}")
        }

    def stages(self) -> dict[str, str]:
        """The file's stage value → the stage chosen for it (values left as found are not listed)."""
        return self._values("stage", self.stage_count)

    def owners(self) -> dict[str, str]:
        """The file's owner value → the username chosen for it."""
        return self._values("owner", self.owner_count)
