"""Form helpers every feature shares."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from wtforms import Field
from wtforms import RadioField
from wtforms.validators import DataRequired
from wtforms.validators import ValidationError

from app.errors import DomainError

NOT_INPUT = ("csrf_token", "submit")


def strip_whitespace(value: str | None) -> str | None:
    """Spaces pasted around a value (an email address, a reference) are not part of it."""
    return value.strip() if isinstance(value, str) else value


def show_error(form: FlaskForm, error: DomainError, *, field: str | None = None) -> None:
    """Put a service's refusal next to the field it names; failing that next to `field`, or
    the form's first input, so the GOV.UK error summary always has somewhere to link."""
    inputs: list[Field] = [f for f in form if f.short_name not in NOT_INPUT]
    named = form._fields.get(error.field or "") or form._fields.get(field or "")
    chosen = named or (inputs[0] if inputs else next(iter(form)))
    chosen.errors = [*chosen.errors, error.message]


class ChoiceRadio(RadioField):
    """Radios whose forged value gets a plain message instead of "Not a valid choice"."""

    widget = GovRadioInput()

    def __init__(self, label: str, *, required: str, **kwargs: Any) -> None:
        super().__init__(label, validators=[DataRequired(message=required)], **kwargs)
        self.required = required

    def pre_validate(self, form: Any) -> None:
        if self.data not in {str(value) for value, _ in self.choices}:
            raise ValidationError(self.required)
