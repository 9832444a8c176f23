"""Forms for case pages: adding a note, and finding people by name and date of birth."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from audit.forms import UKDateField
from cases.services import NOTE_MAX_LENGTH


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
        validators=[DataRequired(message="Enter a date of birth")],
    )
