"""Admin forms for areas, panels and memberships."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import BooleanField
from wtforms import RadioField
from wtforms import SelectField
from wtforms import StringField
from wtforms import SubmitField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from panels.models import MeetingCadence
from panels.models import PanelRole
from panels.models import PanelType

CADENCE_CHOICES = [(c.value, c.label) for c in MeetingCadence]


class AreaForm(FlaskForm):
    name = StringField(
        "Area name",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter the area’s name"),
            Length(max=120, message="Area name must be 120 characters or fewer"),
        ],
    )
    submit = SubmitField("Add area", widget=GovSubmitInput())


class PanelForm(FlaskForm):
    area_id = SelectField(
        "Area", widget=GovSelect(), validators=[DataRequired(message="Select the panel’s area")]
    )
    panel_type = RadioField(
        "Type of panel",
        widget=GovRadioInput(),
        choices=[(t.value, t.label) for t in PanelType],
        validators=[DataRequired(message="Select the type of panel")],
    )
    name = StringField(
        "Panel name",
        widget=GovTextInput(),
        description="For example, Newham MARAC",
        validators=[
            DataRequired(message="Enter the panel’s name"),
            Length(max=160, message="Panel name must be 160 characters or fewer"),
        ],
    )
    meeting_cadence = SelectField(
        "How often it meets",
        widget=GovSelect(),
        choices=CADENCE_CHOICES,
        validators=[DataRequired(message="Select how often the panel meets")],
    )
    active = BooleanField("Active", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Save panel", widget=GovSubmitInput())


class MembershipForm(FlaskForm):
    # The choices offer only people not yet on the panel; a forged value is checked by the view
    # and the service, which can say why (already a member, deactivated) instead of "not valid".
    user_id = SelectField(
        "Person",
        widget=GovSelect(),
        validate_choice=False,
        validators=[DataRequired(message="Select a person to add")],
    )
    role = RadioField(
        "Role on this panel",
        widget=GovRadioInput(),
        choices=[(r.value, r.label) for r in PanelRole],
        validators=[DataRequired(message="Select the person’s role on this panel")],
    )
    submit = SubmitField("Add to panel", widget=GovSubmitInput())
