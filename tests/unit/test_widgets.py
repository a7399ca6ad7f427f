"""The widgets written in Python give the markup Django's widget templates give (core/widgets.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django import forms
from django.test.html import parse_html

from salespipe.core.widgets import QuickInput, QuickSelect, QuickTextarea


class _QuickDate(QuickInput, forms.DateInput):
    input_type = "date"


class _QuickTime(QuickInput, forms.TimeInput):
    input_type = "time"


def _django(widget: forms.Widget, name: str, value: Any, attrs: dict[str, Any] | None) -> str:
    """The same widget rendered the way Django does: through its templates."""
    return forms.Widget.render(widget, name, value, attrs)


CHOICES = [
    ("", "—"),
    ("connected", "Connected"),
    ("no_answer", "No answer <maybe>"),
    ("l&m", "Left & message"),
]

CASES = [
    (QuickSelect(choices=CHOICES), "outcome", "", None),
    (QuickSelect(choices=CHOICES), "outcome", "no_answer", {"id": "id_a1_outcome", "required": True}),
    (QuickSelect(choices=CHOICES, attrs={"disabled": False, "data-x": 'a"b'}), "outcome", "l&m", None),
    (QuickSelect(choices=[(1, "One"), (2, "Two")]), "count", 2, {"id": "id_count"}),
    (QuickTextarea(attrs={"rows": 2}), "note", "", {"id": "id_note"}),
    (QuickTextarea(attrs={"rows": 2}), "note", "Called <b>twice</b> & left a note", None),
    (QuickTextarea(), "note", None, {"required": True}),
    (_QuickDate(format="%Y-%m-%d"), "due_date", dt.date(2026, 11, 27), {"id": "id_due", "required": True}),
    (_QuickDate(format="%Y-%m-%d"), "due_date", None, None),
    (_QuickDate(format="%Y-%m-%d"), "due_date", "not a date <x>", {"aria-invalid": "true"}),
    (_QuickTime(format="%H:%M"), "due_time", dt.time(9, 30), {"id": "id_time"}),
    (_QuickTime(format="%H:%M"), "due_time", "", {"autofocus": True, "hidden": False}),
]


@pytest.mark.parametrize(("widget", "name", "value", "attrs"), CASES)
def test_a_quick_widget_writes_what_djangos_template_writes(
    widget: forms.Widget, name: str, value: Any, attrs: dict[str, Any] | None
) -> None:
    quick = widget.render(name, value, attrs)
    assert parse_html(quick) == parse_html(_django(widget, name, value, attrs))


def test_values_are_escaped() -> None:
    html = QuickSelect(choices=CHOICES).render("outcome", "no_answer", None)
    assert "No answer &lt;maybe&gt;" in html
    assert 'value="l&amp;m"' in html
    assert "<b>" not in QuickTextarea().render("note", "Called <b>twice</b>", None)


def test_grouped_choices_go_through_djangos_templates() -> None:
    widget = QuickSelect(choices=[("Calls", [("connected", "Connected")]), ("", "—")])
    html = widget.render("outcome", "connected", None)
    assert '<optgroup label="Calls">' in html
    assert parse_html(html) == parse_html(_django(widget, "outcome", "connected", None))
