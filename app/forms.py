"""Form helpers every feature shares."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from wtforms import DateField
from wtforms import Field
from wtforms import FieldList
from wtforms import FormField
from wtforms import HiddenField
from wtforms import RadioField
from wtforms import SelectField
from wtforms.validators import DataRequired
from wtforms.validators import ValidationError

from app.errors import DomainError
from app.widgets import DateInput
from app.widgets import Select

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


# Dates and filters -------------------------------------------------------------------------

DATE_PARTS = ("day", "month", "year")


class UKDateField(DateField):
    """A GOV.UK date input (day, month, year) that answers with the design system's messages."""

    widget = DateInput()

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(label, format="%d %m %Y", **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        # The widget unpacks exactly three parts: a forged query string must not break it.
        parts = [part.strip() for part in valuelist]
        self.raw_data = [*parts, "", "", ""][:3]
        self.data = None
        if len(parts) > len(DATE_PARTS):
            raise ValueError(f"{self.label.text} must be a real date")
        if any(self.raw_data):
            self.data = parse_date(self.label.text, *self.raw_data)


def parse_date(name: str, day: str, month: str, year: str) -> date:
    """The date typed into a GOV.UK date input, or a ValueError with the message to show."""
    missing = [
        part for part, value in zip(DATE_PARTS, (day, month, year), strict=True) if not value
    ]
    if missing:
        raise ValueError(f"{name} must include a {' and '.join(missing)}")
    if not (day.isdigit() and month.isdigit() and year.isdigit()):
        raise ValueError(f"{name} must be a real date")
    if len(year) != 4:
        raise ValueError("Year must include 4 numbers")
    try:
        return date(int(year), int(month), int(day))
    except (ValueError, OverflowError):  # a forged day of twenty digits overflows C's int
        raise ValueError(f"{name} must be a real date") from None


def error_target(field: Any) -> str:
    """A date links to its first empty part (or its day); other fields to themselves."""
    if not isinstance(field, UKDateField):
        return str(field.id)
    empty = [part for part, value in zip(DATE_PARTS, field.raw_data, strict=True) if not value]
    return f"{field.id}-{(empty or ['day'])[0]}"


class FilterSelect(SelectField):
    """A select whose forged value gets a plain message instead of WTForms' "Not a valid choice"."""

    widget = Select()

    def __init__(self, label: str, *, invalid: str, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.invalid = invalid

    def pre_validate(self, form: Any) -> None:
        if self.data is not None and self.data not in {str(value) for value, _ in self.choices}:
            raise ValidationError(self.invalid)


# The GOV.UK error summary ----------------------------------------------------------------------


def leaf_fields(form: Any) -> Iterator[Field]:
    """Every input of a form in page order, those of its lists and nested forms included (a
    risk matrix's questions, a meeting's observers); never the CSRF token, the submit button
    or a hidden field (such as the fingerprint of what the form was drawn from)."""
    for field in form:
        if isinstance(field, FieldList):
            for entry in field:
                yield from leaf_fields(entry.form)
        elif isinstance(field, FormField):
            yield from leaf_fields(field.form)
        elif field.short_name not in NOT_INPUT and not isinstance(field, HiddenField):
            yield field


def error_summary_items(form: Any) -> list[dict[str, str]]:
    """The GOV.UK error summary's list: each input's first message, linked to the input (a
    date to its first empty part, or its day)."""
    return [
        {"text": field.errors[0], "href": f"#{error_target(field)}"}
        for field in leaf_fields(form)
        if field.errors
    ]
