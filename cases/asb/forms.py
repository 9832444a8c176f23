"""Forms for the ASB Case Review: an application, a complaint, each step, and the list filter."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import BooleanField
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import Optional
from wtforms.validators import ValidationError

from app.forms import ChoiceRadio
from app.forms import FilterSelect
from app.forms import UKDateField
from cases.asb.models import Applicant
from cases.asb.models import ReviewStatus
from cases.asb.services import NAME_MAX_LENGTH
from cases.asb.services import TEXT_MAX_LENGTH
from cases.forms import date_required

NEW_INCIDENT = "new"
YES_NO = [("yes", "Yes"), ("no", "No")]


def _text(label: str, message: str, *, limit: int = TEXT_MAX_LENGTH, **kwargs: Any) -> Any:
    return TextAreaField(
        label,
        widget=GovTextArea(),
        validators=[
            DataRequired(message=message),
            Length(max=limit, message=f"{label} must be {limit:,} characters or fewer"),
        ],
        **kwargs,
    )


def _name(label: str, *, required: str | None, **kwargs: Any) -> Any:
    first = DataRequired(message=required) if required else Optional()
    return StringField(
        label,
        widget=GovTextInput(),
        validators=[
            first,
            Length(
                max=NAME_MAX_LENGTH,
                message=f"{label} must be {NAME_MAX_LENGTH} characters or fewer",
            ),
        ],
        **kwargs,
    )


class ApplicationForm(FlaskForm):
    panel_id = FilterSelect(
        "Panel",
        invalid="Select a Community MARAC panel from the list",
        validators=[DataRequired(message="Select the panel")],
    )
    received_on = UKDateField(
        "Date the application was received",
        description="For example, 27 3 2026",
        validators=[date_required("Enter the date the application was received")],
    )
    applicant = ChoiceRadio(
        "Who is applying?",
        required="Select who is applying",
        choices=[(a.value, a.label) for a in Applicant],
        description="Applications cannot be made anonymously.",
    )
    applicant_name = _name("Applicant’s name", required="Enter the applicant’s name")
    applicant_contact = _name(
        "How to contact the applicant",
        required="Enter a contact for the applicant",
        description="A phone number, email or postal address, and when it is safe to contact.",
    )
    victim_name = _name(
        "Victim’s name",
        required=None,
        description="If someone else is applying for them. The victim can be a person, a "
        "business or a community group.",
    )
    victim_consented = BooleanField(
        "The victim has agreed to this application being made for them",
        widget=GovCheckboxInput(),
    )
    description = _text(
        "What the application is about", "Enter what the application is about", limit=5_000
    )
    submit = SubmitField("Record application", widget=GovSubmitInput())


class ComplaintForm(FlaskForm):
    incident = FilterSelect("Which incident is this complaint about?", invalid="Select an incident")
    behaviour_on = UKDateField(
        "Date of the behaviour", description="For a new incident. For example, 2 3 2026"
    )
    incident_description = TextAreaField(
        "What happened",
        widget=GovTextArea(),
        description="For a new incident: a short description.",
        validators=[
            Length(max=TEXT_MAX_LENGTH, message="What happened must be 5,000 characters or fewer")
        ],
    )
    agency = FilterSelect(
        "Agency the complaint was made to",
        invalid="Select an agency from the list",
        validators=[DataRequired(message="Select the agency the complaint was made to")],
    )
    complained_on = UKDateField(
        "Date of the complaint",
        description="When it was reported to this agency. For example, 9 3 2026",
        validators=[date_required("Enter the date of the complaint")],
    )
    submit = SubmitField("Add complaint", widget=GovSubmitInput())

    def validate_incident(self, field: Any) -> None:
        if not field.data:
            raise ValidationError("Select the incident, or a new incident")

    def validate_behaviour_on(self, field: Any) -> None:
        if self.incident.data == NEW_INCIDENT and field.data is None and not field.errors:
            raise ValidationError("Enter the date of the behaviour")

    def validate_incident_description(self, field: Any) -> None:
        if self.incident.data == NEW_INCIDENT and not (field.data or "").strip():
            raise ValidationError("Enter what happened")


def _on(label: str) -> UKDateField:
    return UKDateField(
        label,
        description="For example, 27 3 2026",
        validators=[date_required(f"Enter the {label[0].lower()}{label[1:]}")],
    )


class AcknowledgeForm(FlaskForm):
    on = _on("Date acknowledged")
    submit = SubmitField("Record acknowledgement", widget=GovSubmitInput())


class ThresholdForm(FlaskForm):
    on = _on("Date of the decision")
    met = ChoiceRadio(
        "Is the threshold met?", required="Select whether the threshold is met", choices=YES_NO
    )
    reason = _text("Reason for the decision", "Enter the reason for the decision")
    submit = SubmitField("Record decision", widget=GovSubmitInput())


class MeetingForm(FlaskForm):
    on = _on("Date of the review meeting")
    submit = SubmitField("Record review meeting", widget=GovSubmitInput())


class OutcomeForm(FlaskForm):
    on = _on("Date the outcome was sent")
    recommendations_made = ChoiceRadio(
        "Did the review make recommendations?",
        required="Select whether the review made recommendations",
        choices=YES_NO,
    )
    action_plan = TextAreaField(
        "Action plan",
        widget=GovTextArea(),
        description="Who will do what, and by when. Needed when recommendations were made.",
        validators=[
            Length(max=TEXT_MAX_LENGTH, message="Action plan must be 5,000 characters or fewer")
        ],
    )
    submit = SubmitField("Record outcome", widget=GovSubmitInput())


class AppealForm(FlaskForm):
    on = _on("Date the appeal was requested")
    grounds = _text("Grounds for the appeal", "Enter the grounds for the appeal")
    submit = SubmitField("Record appeal", widget=GovSubmitInput())


class AppealDecisionForm(FlaskForm):
    on = _on("Date of the appeal decision")
    upheld = ChoiceRadio(
        "Was the appeal upheld?", required="Select whether the appeal was upheld", choices=YES_NO
    )
    reason = _text("Reason for the appeal decision", "Enter the reason for the appeal decision")
    submit = SubmitField("Record appeal decision", widget=GovSubmitInput())


class ApplicationFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = FilterSelect(
        "Status",
        invalid="Select a status from the list",
        choices=[("", "Any status")] + [(s.value, s.label) for s in ReviewStatus],
    )

    def selected(self) -> ReviewStatus | None:
        return ReviewStatus(self.status.data) if self.status.data else None
