"""The reports' forms: finding panels on the reports home, choosing a report's periods (both
GET filters that change nothing), and an administrator adding an area to a manager."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import StringField
from wtforms import SubmitField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from app.forms import FilterSelect
from app.forms import strip_whitespace
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
