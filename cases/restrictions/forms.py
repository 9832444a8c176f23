"""The form a coordinator uses to restrict a case against an organisation (staff as subject)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField
from wtforms.validators import DataRequired

from app.forms import FilterSelect


class RestrictionForm(FlaskForm):
    # The choices (active organisations) are filled in by the view from the database.
    organisation_id = FilterSelect(
        "Organisation the person works for",
        description="Nobody from this organisation will be able to open, list or find the case",
        invalid="Select an organisation from the list",
        validators=[DataRequired(message="Select the organisation the person works for")],
    )
    submit = SubmitField("Restrict the case", widget=GovSubmitInput())
