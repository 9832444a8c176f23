"""GOV.UK form widgets that draw a field's markup once for each way it can look.

govuk-frontend-wtf draws every field with `render_template`, which runs every context
processor, and the design system's macros cost about a millisecond a field: the case list's
search and filter forms were a third of its time. A field's HTML depends only on the macro's
parameters, so it is kept by them and reused. Fields holding something the user typed (a name,
a date of birth) are drawn afresh every time: personal data never outlives its request.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from flask import current_app
from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from markupsafe import Markup

DRAWINGS_KEPT = 1024


class RememberedWidget:
    """Mixed into a govuk-frontend-wtf widget, before it: the same parameters, the same HTML."""

    template: str

    def render(self, params: dict[str, Any]) -> Markup:
        key = _key(params) if self.may_keep(params) else None
        if key is None:
            return draw(self.template, params)
        return _kept_drawing(self.template, key)

    def may_keep(self, params: dict[str, Any]) -> bool:
        """Whether the drawing holds nothing the user typed, so it may outlive the request."""
        return True


class TextInput(RememberedWidget, GovTextInput):
    """A text input, kept only while empty."""

    def may_keep(self, params: dict[str, Any]) -> bool:
        return not params.get("value")


class DateInput(RememberedWidget, GovDateInput):
    """A day, month and year input, kept only while all three are empty."""

    def may_keep(self, params: dict[str, Any]) -> bool:
        return not any(item.get("value") for item in params.get("items", ()))


class Select(RememberedWidget, GovSelect):
    """A select: its options are the form's own choices, so it is always kept."""


def draw(template: str, params: dict[str, Any]) -> Markup:
    """The widget's macro output. The macros read only their parameters, so the context
    processors that `render_template` would run for every field are left out."""
    html = current_app.jinja_env.get_template(template).render(params=params)
    return Markup(html)  # noqa: S704 - autoescaped template output, as govuk-frontend-wtf's


@lru_cache(maxsize=DRAWINGS_KEPT)
def _kept_drawing(template: str, key: str) -> Markup:
    return draw(template, json.loads(key))


def _key(params: dict[str, Any]) -> str | None:
    """The parameters as canonical JSON, or None when JSON cannot stand for them exactly:
    markup would come back as text to escape, and other types as nothing at all."""
    if _holds_markup(params):
        return None
    try:
        return json.dumps(params, sort_keys=True)
    except TypeError:
        return None


def _holds_markup(value: Any) -> bool:
    if isinstance(value, Markup):
        return True
    if isinstance(value, dict):
        return any(_holds_markup(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_markup(item) for item in value)
    return False
