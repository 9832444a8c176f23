"""Admin forms for organisations and users."""

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
from wtforms.validators import Email
from wtforms.validators import Length

from app.accounts.models import AGENCY_TYPE_LABELS
from app.accounts.models import GlobalRole
from app.forms import strip_whitespace

NO_GLOBAL_ROLE = "none"


class OrganisationForm(FlaskForm):
    name = StringField(
        "Organisation name",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter the organisation’s name"),
            Length(max=200, message="Organisation name must be 200 characters or fewer"),
        ],
    )
    agency_type = SelectField(
        "Type of agency",
        widget=GovSelect(),
        choices=[("", "Choose a type of agency")]
        + [(t.value, label) for t, label in AGENCY_TYPE_LABELS.items()],
        validators=[DataRequired(message="Select the type of agency")],
    )
    active = BooleanField("Active (its staff can sign in)", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Save organisation", widget=GovSubmitInput())


class UserForm(FlaskForm):
    display_name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter the person’s full name"),
            Length(max=120, message="Full name must be 120 characters or fewer"),
        ],
    )
    email = StringField(
        "Work email address",
        widget=GovTextInput(),
        filters=[strip_whitespace],
        validators=[
            DataRequired(message="Enter a work email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(
                message="Enter an email address in the correct format, like name@example.org",
                check_deliverability=False,
            ),
        ],
    )
    organisation_id = SelectField(
        "Organisation",
        widget=GovSelect(),
        coerce=str,
        validators=[DataRequired(message="Select the person’s organisation")],
    )
    global_role = RadioField(
        "Deployment-wide role",
        widget=GovRadioInput(),
        choices=[(NO_GLOBAL_ROLE, "None (panel roles only)")]
        + [(role.value, role.label) for role in GlobalRole],
        default=NO_GLOBAL_ROLE,
        validators=[DataRequired(message="Select a role")],
    )
    submit = SubmitField("Save user", widget=GovSubmitInput())

    def selected_role(self) -> GlobalRole | None:
        value = self.global_role.data
        return None if value in (None, NO_GLOBAL_ROLE) else GlobalRole(value)


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    q = StringField(
        "Name or email",
        widget=GovTextInput(),
        validators=[Length(max=100, message="Search for 100 characters or fewer")],
    )
