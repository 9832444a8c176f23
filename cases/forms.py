"""Forms for case pages: adding a note, and finding people by name and date of birth."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import StopValidation

from audit.forms import UKDateField
from cases.services import NOTE_MAX_LENGTH


def date_required(message: str) -> Callable[[Any, Any], None]:
    """Like DataRequired, but keeps the date input's own message for a half-typed or impossible
    date ("must include a month", "must be a real date") instead of replacing it."""

    def check(form: Any, field: Any) -> None:
        if field.data is None and not field.errors:
            raise StopValidation(message)

    return check


class NoteForm(FlaskForm):
    text = TextAreaField(
        "Add a note",
        widget=GovTextArea(),
        description="Only what the panel needs to know. Your agency is recorded as its source.",
        validators=[
            DataRequired(message="Enter the note"),
            Length(
                max=NOTE_MAX_LENGTH,
                message=f"The note must be {NOTE_MAX_LENGTH:,} characters or fewer",
            ),
        ],
    )
    submit = SubmitField("Save note", widget=GovSubmitInput())


class PeopleSearchForm(FlaskForm):
    """Searching by name alone is not offered: name and date of birth together are indexed."""

    class Meta:
        csrf = False  # a GET search changes nothing

    given_names = StringField(
        "First name",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter a first name"),
            Length(max=100, message="First name must be 100 characters or fewer"),
        ],
    )
    family_name = StringField(
        "Last name",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter a last name"),
            Length(max=100, message="Last name must be 100 characters or fewer"),
        ],
    )
    date_of_birth = UKDateField(
        "Date of birth",
        description="For example, 27 3 1990",
        validators=[date_required("Enter a date of birth")],
    )
