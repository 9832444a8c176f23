"""Forms for agreeing an action at a meeting, reporting on it afterwards and moving its due
date by agreement."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from wtforms import HiddenField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from app.forms import FilterSelect
from app.forms import UKDateField
from cases.actions.models import ActionStatus
from cases.actions.queries import Showing
from cases.actions.services import DESCRIPTION_MAX_LENGTH
from cases.actions.services import DUE_DATE_REASON_MAX_LENGTH
from cases.actions.services import REPORT_MAX_LENGTH
from cases.forms import date_required
from panels.instruments.section import Choice


class ActionForm(FlaskForm):
    # The agencies and meetings to choose from are filled in by the view.
    description = TextAreaField(
        "What will the agency do?",
        widget=GovTextArea(),
        description="One action, as agreed at the meeting. Only what the panel needs to know.",
        validators=[
            DataRequired(message="Enter what the agency will do"),
            Length(
                max=DESCRIPTION_MAX_LENGTH,
                message=f"The action must be {DESCRIPTION_MAX_LENGTH:,} characters or fewer",
            ),
        ],
    )
    owner_agency_id = FilterSelect(
        "Agency responsible",
        description="Agencies on this panel whose information sharing agreement is in force",
        invalid="Select an agency that sits on this panel",
        validators=[DataRequired(message="Select the agency responsible")],
    )
    due_on = UKDateField(
        "Date it is due",
        description="For example, 27 1 2027",
        validators=[date_required("Enter the date it is due")],
    )
    meeting_id = FilterSelect(
        "Agreed at", invalid="Select a meeting held that this case was listed at"
    )
    submit = SubmitField("Agree action", widget=GovSubmitInput())


class ProgressForm(FlaskForm):
    status = Choice(
        "Where does the action stand now?",
        choices=[(s.value, s.label) for s in ActionStatus],
        message="Select where the action stands",
        default=ActionStatus.OPEN.value,
    )
    text = TextAreaField(
        "What has been done",
        widget=GovTextArea(),
        description="If it was not completed, say why. Your agency is recorded as the source.",
        validators=[
            Length(
                max=REPORT_MAX_LENGTH,
                message=f"The report must be {REPORT_MAX_LENGTH:,} characters or fewer",
            )
        ],
    )
    # The version the person was looking at, so a report sent meanwhile is not overwritten.
    version = HiddenField()
    submit = SubmitField("Send report", widget=GovSubmitInput())


class DueDateForm(FlaskForm):
    due_on = UKDateField(
        "New date it is due",
        description="For example, 27 1 2027",
        validators=[date_required("Enter the new date it is due")],
    )
    reason = TextAreaField(
        "Why has the date changed?",
        widget=GovTextArea(),
        description="As agreed with the agency. Only what the panel needs to know.",
        validators=[
            DataRequired(message="Enter why the date it is due has changed"),
            Length(
                max=DUE_DATE_REASON_MAX_LENGTH,
                message=f"The reason must be {DUE_DATE_REASON_MAX_LENGTH:,} characters or fewer",
            ),
        ],
    )
    # The version of the action the person was looking at (a report or change meanwhile).
    version = HiddenField()
    submit = SubmitField("Change the date it is due", widget=GovSubmitInput())


class ActionFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter: nothing changes

    showing = FilterSelect(
        "Show",
        invalid="Select which actions to show from the list",
        choices=[(s.value, s.label) for s in Showing],
    )
    whose = FilterSelect("Agency", invalid="Select whose actions to show")
    submit = SubmitField("Show actions", widget=GovSubmitInput())
