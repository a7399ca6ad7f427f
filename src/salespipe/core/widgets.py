"""Form widgets for pages that show many forms at once: Django's own markup, written in Python.

Django renders every widget through its template engine: a select renders a template per option, and
every widget one more for its attributes. The agenda showed up to 80 activities, each with a complete and
a reschedule form, and their 320 widgets took about a third of the page's time (docs/performance.md); it
now writes a fresh item's forms itself, and renders forms only for the item a refusal brings back, as the
deal page does for its activities.
These widgets write the markup of Django's widget templates (`django/forms/widgets/*.html`) with
`format_html`, which escapes every value; `tests/unit/test_widgets.py` holds them to Django's rendering.
"""

from __future__ import annotations

from typing import Any

from django.forms.widgets import Input, Select, Textarea
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


def _attributes(attrs: dict[str, Any]) -> SafeString:
    """As `attrs.html`: in order; True as a bare name, False left out, anything else as name="value"."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


class QuickInput(Input):
    """`input.html`, for an `Input` subclass (mix in before it)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        shown = widget["value"]
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            widget["type"],
            widget["name"],
            format_html(' value="{}"', shown) if shown is not None else "",
            _attributes(widget["attrs"]),
        )


class QuickTextarea(Textarea):
    """`textarea.html`."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        return format_html(
            '<textarea name="{}"{}>\n{}</textarea>',
            widget["name"],
            _attributes(widget["attrs"]),
            widget["value"] or "",
        )


class QuickSelect(Select):
    """`select.html` and `select_option.html`, for flat choices (groups go through Django's templates)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        groups = widget["optgroups"]
        if any(group_name for group_name, _options, _index in groups):
            return super().render(name, value, attrs, renderer)
        options = format_html_join(
            "",
            '\n  <option value="{}"{}>{}</option>',
            (
                (option["value"], _attributes(option["attrs"]), option["label"])
                for _group, group_options, _index in groups
                for option in group_options
            ),
        )
        return format_html(
            '<select name="{}"{}>{}\n</select>', widget["name"], _attributes(widget["attrs"]), options
        )
