"""Forms for the meeting calendar (adding a meeting) and for listing a referral at a meeting.
The confidentiality declaration's form is `panels.forms.DeclarationForm`."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField
from wtforms.validators import DataRequired

from audit.forms import FilterSelect
from audit.forms import UKDateField
from cases.forms import date_required
from panels.instruments.section import Choice
from panels.models import MeetingKind


class ListingForm(FlaskForm):
    meeting_id = Choice("Meeting", choices=[], message="Select a meeting")
    submit = SubmitField("List for this meeting", widget=GovSubmitInput())


class MeetingForm(FlaskForm):
    panel_id = FilterSelect(
        "Panel",
        invalid="Select one of the panels you coordinate",
        validators=[DataRequired(message="Select the panel")],
    )
    held_on = UKDateField(
        "Date of the meeting", validators=[date_required("Enter the date of the meeting")]
    )
    kind = Choice(
        "Kind of meeting",
        choices=[(k.value, k.label) for k in MeetingKind],
        message="Select scheduled or emergency",
        default=MeetingKind.SCHEDULED.value,
    )
    submit = SubmitField("Add meeting", widget=GovSubmitInput())
