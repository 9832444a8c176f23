"""The reports' forms: finding panels on the reports home, choosing a report's periods (both
GET filters that change nothing), an administrator adding an area to a manager, and a
coordinator asking for a referral-level extract."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import SubmitField
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import Optional
from wtforms.validators import ValidationError

from app.auth import step_up
from app.forms import ChoiceRadio
from app.forms import FilterSelect
from app.forms import UKDateField
from app.forms import strip_whitespace
from cases.reports.models import ExtractFormat
from cases.reports.queries import PanelSort
from cases.reports.queries import RateSort
from cases.reports.rules import View
from panels.types import spec_for
from panels.types.common import PanelType

TEXT_MAX_LENGTH = 100


class PanelFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter: nothing changes

    text = StringField(
        "Panel or area name",
        widget=GovTextInput(),
        filters=[strip_whitespace],
        validators=[
            Length(
                max=TEXT_MAX_LENGTH,
                message=f"Panel or area name must be {TEXT_MAX_LENGTH} characters or fewer",
            )
        ],
    )
    area = FilterSelect("Area", invalid="Select an area from the list")  # filled by the view
    panel_type = FilterSelect(
        "Panel type",
        invalid="Select a panel type from the list",
        choices=[("", "Any type")] + [(t.value, t.label) for t in PanelType],
    )
    sort = FilterSelect(
        "Sort by",
        invalid="Select how to sort the panels from the list",
        choices=[(s.value, s.label) for s in PanelSort],
        default=PanelSort.AREA.value,
    )
    submit = SubmitField("Show panels", widget=GovSubmitInput())


class PeriodForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter: nothing changes

    # Spaces around a pasted or edited query string's value are not part of the choice.
    quarter = FilterSelect(
        "Up to the quarter",
        invalid="Select a quarter from the list",
        filters=[strip_whitespace],
    )
    view = FilterSelect(
        "Show",
        invalid="Select quarters or rolling 12 months",
        filters=[strip_whitespace],
        choices=[(v.value, v.label) for v in View],
        default=View.QUARTERS.value,
    )
    submit = SubmitField("Show figures", widget=GovSubmitInput())


class QuarterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter: nothing changes

    quarter = FilterSelect(
        "Quarter", invalid="Select a quarter from the list", filters=[strip_whitespace]
    )
    submit = SubmitField("Show the return", widget=GovSubmitInput())


class RatesForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter: nothing changes

    quarter = FilterSelect(
        "Quarter", invalid="Select a quarter from the list", filters=[strip_whitespace]
    )
    area = FilterSelect("Area", invalid="Select an area from the list")  # filled by the view
    panel_type = FilterSelect(
        "Panel type",
        invalid="Select a panel type from the list",
        choices=[("", "Any type")]
        + [(t.value, t.label) for t in PanelType if spec_for(t).repeat_rate is not None],
    )
    sort = FilterSelect(
        "Sort by",
        invalid="Select how to sort the panels from the list",
        choices=[(s.value, s.label) for s in RateSort],
        default=RateSort.AREA.value,
    )
    submit = SubmitField("Show repeat rates", widget=GovSubmitInput())


class BoardPackForm(FlaskForm):
    class Meta:
        csrf = False  # a GET choice: nothing changes

    area = FilterSelect(
        "Area",
        invalid="Select an area from the list",
        filters=[strip_whitespace],
        validators=[DataRequired(message="Select the area the board pack is for")],
    )
    quarter = FilterSelect(
        "Quarter", invalid="Select a quarter from the list", filters=[strip_whitespace]
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ManagerAreaForm(FlaskForm):
    area_id = FilterSelect(
        "Area",
        invalid="Select an area from the list",
        validators=[DataRequired(message="Select the area they will report on")],
    )
    submit = SubmitField("Add area", widget=GovSubmitInput())


class PanelChoices(SelectMultipleField):
    """One checkbox per panel the coordinator may extract; a forged panel gets a plain message."""

    widget = GovCheckboxesInput()

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(label, coerce=int, **kwargs)

    def pre_validate(self, form: Any) -> None:
        if not self.data:
            raise ValidationError("Select at least one panel")
        allowed = {value for value, _ in self.choices or []}
        if any(value not in allowed for value in self.data):
            raise ValidationError("Select only the panels listed")

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data: list[int] = []
            raise ValueError("Select only the panels listed") from None


class ExtractForm(FlaskForm):
    panel_ids = PanelChoices(
        "Panels", description="The panels you coordinate. Select all that apply."
    )  # choices filled by the view
    referred_from = UKDateField(
        "Referred on or after",
        description="Leave blank for every referral. For example, 1 4 2026",
        validators=[Optional()],
    )
    referred_to = UKDateField(
        "Referred on or before",
        description="Leave blank for every referral up to today. For example, 31 3 2027",
        validators=[Optional()],
    )
    personal = ChoiceRadio(
        "Include the names and dates of birth of the people in each case?",
        required="Select whether to include names and dates of birth",
        choices=[
            ("no", "No: references and coded answers only"),
            ("yes", "Yes: I need to identify the people in the cases"),
        ],
        description="Take only what you need: without names, the extract identifies no one "
        "to anyone without access to the cases.",
    )
    file_format = ChoiceRadio(
        "Format",
        required="Select the file's format",
        choices=[(f.value, f.label) for f in ExtractFormat],
    )
    code = step_up.code_field("an extract asks for it again, even though you are signed in.")
    submit = SubmitField("Make the extract", widget=GovSubmitInput())

    def validate_referred_to(self, field: UKDateField) -> None:
        start = self.referred_from.data
        if start and field.data and field.data < start:
            raise ValidationError("Referred on or before must be the same as or after the start")
