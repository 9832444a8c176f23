"""Form helpers every feature shares."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field

from app.errors import DomainError

NOT_INPUT = ("csrf_token", "submit")


def show_error(form: FlaskForm, error: DomainError, *, field: str | None = None) -> None:
    """Put a service's refusal next to the field it names; failing that next to `field`, or
    the form's first input, so the GOV.UK error summary always has somewhere to link."""
    inputs: list[Field] = [f for f in form if f.name not in NOT_INPUT]
    named = form._fields.get(error.field or "") or form._fields.get(field or "")
    chosen = named or (inputs[0] if inputs else next(iter(form)))
    chosen.errors = [*chosen.errors, error.message]
