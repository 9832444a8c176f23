"""How a person chooses to hear of each kind of event, and the delivery log's filter."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import StringField
from wtforms import SubmitField
from wtforms.validators import Length
from wtforms.validators import Optional

from app.forms import ChoiceRadio
from app.forms import FilterSelect
from app.forms import strip_whitespace
from notifications.events import Choice
from notifications.events import Event
from notifications.models import DeliveryStatus

CHOOSABLE = tuple(event for event in Event if not event.mandatory)
MANDATORY = tuple(event for event in Event if event.mandatory)


class ChoicesForm(FlaskForm):
    """One question per kind of event the person may choose for (fields added below)."""

    submit = SubmitField("Save", widget=GovSubmitInput())

    def chosen(self) -> dict[Event, Choice]:
        return {event: Choice(self[event.value].data) for event in CHOOSABLE}


for _event in CHOOSABLE:
    setattr(
        ChoicesForm,
        _event.value,
        ChoiceRadio(
            _event.heading,
            required=f"Select how you want to hear that “{_event.heading.lower()}”",
            choices=[(choice.value, choice.label) for choice in Choice],
            description=f"Sent to: {_event.about.audience.lower()}.",
        ),
    )


class DeliveryFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter: nothing changes

    status = FilterSelect(
        "Status",
        invalid="Select a status from the list",
        choices=[("", "Any")] + [(status.value, status.label) for status in DeliveryStatus],
        validators=[Optional()],
    )
    recipient = StringField(
        "Recipient’s email address contains",
        filters=[strip_whitespace],
        validators=[Length(max=100, message="Enter 100 characters or fewer")],
        widget=GovTextInput(),
    )
    submit = SubmitField("Filter", widget=GovSubmitInput())
