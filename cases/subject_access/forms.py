"""Forms for subject access requests: a new request, confirming who it is about, and each step
(pause or restart the clock, extend, complete, refuse). Step forms carry a prefix so that
several can sit on one page without their fields colliding."""

from __future__ import annotations

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
from wtforms.validators import Optional
from wtforms.validators import ValidationError

from app.forms import ChoiceRadio
from app.forms import UKDateField
from cases.forms import date_required
from cases.subject_access.models import Regime
from cases.subject_access.services import NAME_MAX_LENGTH
from cases.subject_access.services import TEXT_MAX_LENGTH
from panels.instruments.section import Checkboxes


def _line(label: str, required: str | None, **kwargs: Any) -> Any:
    return StringField(
        label,
        widget=GovTextInput(),
        validators=[
            DataRequired(message=required) if required else Optional(),
            Length(
                max=NAME_MAX_LENGTH,
                message=f"{label} must be {NAME_MAX_LENGTH} characters or fewer",
            ),
        ],
        **kwargs,
    )


def _text(label: str, required: str | None, **kwargs: Any) -> Any:
    return TextAreaField(
        label,
        widget=GovTextArea(),
        validators=[
            DataRequired(message=required) if required else Optional(),
            Length(
                max=TEXT_MAX_LENGTH,
                message=f"{label} must be {TEXT_MAX_LENGTH:,} characters or fewer",
            ),
        ],
        **kwargs,
    )


def _on(label: str) -> UKDateField:
    return UKDateField(
        label,
        description="For example, 27 3 2026",
        validators=[date_required(f"Enter the {label[0].lower()}{label[1:]}")],
    )


class RequestForm(FlaskForm):
    received_on = _on("Date the request was received")
    regime = ChoiceRadio(
        "Which law is the request made under?",
        required="Select which law the request is made under",
        choices=[(regime.value, regime.label) for regime in Regime],
        description="Part 3 applies where police or probation process data for law "
        "enforcement. Part 3 requests cannot be extended.",
    )
    requester_name = _line("Requester’s name", "Enter the requester’s name")
    requester_contact = _line(
        "How to contact the requester",
        "Enter how to contact the requester",
        description="An address or email, and whether it is safe to write to.",
    )
    identity_evidence = _text(
        "How their identity was checked",
        None,
        description="Leave empty if it still needs checking: you can pause the clock meanwhile.",
    )
    subject_given_names = _line(
        "First name of the person the records are about", "Enter their first name"
    )
    subject_family_name = _line(
        "Last name of the person the records are about", "Enter their last name"
    )
    subject_date_of_birth = UKDateField(
        "Their date of birth",
        description="For example, 27 3 1984. Used with the name to find their records.",
        validators=[date_required("Enter their date of birth")],
    )
    submit = SubmitField("Record request", widget=GovSubmitInput())


class SubjectsForm(FlaskForm):
    # The choices are the candidate person records, filled in by the view.
    people = Checkboxes(
        "Which records are about the requester?",
        message="Select records from the list",
        description="Check each one against what the requester told you. "
        "Records are never matched automatically.",
    )
    submit = SubmitField("Confirm these records", widget=GovSubmitInput())

    def validate_people(self, field: Any) -> None:
        if not field.data:
            raise ValidationError("Select the records that are about the requester")


class ApproveForm(FlaskForm):
    """A second auditor's approval of the confirmed records; nothing to fill in."""

    submit = SubmitField("Approve these records", widget=GovSubmitInput())


class PauseForm(FlaskForm):
    on = _on("Date the clock was paused")
    submit = SubmitField("Pause the clock", widget=GovSubmitInput())


class ResumeForm(FlaskForm):
    on = _on("Date the clarification was received")
    submit = SubmitField("Restart the clock", widget=GovSubmitInput())


class ExtendForm(FlaskForm):
    months = ChoiceRadio(
        "Extend by",
        required="Select how many months to extend by",
        choices=[("1", "1 month"), ("2", "2 months")],
    )
    reason = _text(
        "Why the request needs longer",
        "Enter why the request needs longer",
        description="For example, the request is complex or there are many requests from them.",
    )
    on = _on("Date the requester was told")
    submit = SubmitField("Extend the deadline", widget=GovSubmitInput())


class CompleteForm(FlaskForm):
    on = _on("Date the response was sent")
    submit = SubmitField("Mark as completed", widget=GovSubmitInput())


class RefuseForm(FlaskForm):
    reason = _text("Why the request is refused", "Enter why the request is refused")
    on = _on("Date the requester was told")
    submit = SubmitField("Refuse the request", widget=GovSubmitInput())


class DisclosureForm(FlaskForm):
    reason = _text(
        "Who decided, and why the referral can be disclosed",
        "Enter who decided and why the referral can be disclosed",
        description="For example, the panel chair with the victim’s agreement, after checking "
        "that disclosure does not put the victim at risk.",
    )
    on = _on("Date of the decision")
    submit = SubmitField("Record the decision", widget=GovSubmitInput())
