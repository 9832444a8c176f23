"""A section of the referral task list and the GOV.UK fields its questions are asked with:
what each instrument's form is built from, and what the other sections (`cases.referrals.forms`)
are built from too."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import RadioField
from wtforms import SelectMultipleField
from wtforms import SubmitField
from wtforms.validators import InputRequired
from wtforms.validators import ValidationError

YES_NO = [("yes", "Yes"), ("no", "No")]
YES_NO_NOT_KNOWN = [("yes", "Yes"), ("no", "No"), ("not_known", "Not known")]


class Choice(RadioField):
    """GOV.UK radios whose missing or forged answer gets the question's own message."""

    widget = GovRadioInput()

    def __init__(self, label: str, *, choices: list[tuple[str, str]], message: str, **kw: Any):
        super().__init__(label, choices=choices, validators=[InputRequired(message=message)], **kw)
        self.message = message

    def pre_validate(self, form: Any) -> None:
        if self.data not in {value for value, _ in self.choices or []}:
            raise ValidationError(self.message)


def as_bool(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def from_bool(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


class Checkboxes(SelectMultipleField):
    """GOV.UK checkboxes whose forged value gets a plain message."""

    widget = GovCheckboxesInput()

    def __init__(self, label: str, *, message: str, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.message = message

    def pre_validate(self, form: Any) -> None:
        allowed = {value for value, _ in self.choices or []}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError(self.message)


class SectionForm(FlaskForm):
    """A task-list section: `to_data` gives its JSON, `fill` puts saved JSON back."""

    submit = SubmitField("Save and continue", widget=GovSubmitInput())

    def to_data(self) -> dict[str, Any]:
        return {
            name: field.data for name, field in self._fields.items() if name in self.saved_fields
        }

    def fill(self, data: dict[str, Any]) -> None:
        for name in self.saved_fields:
            if name in data and name in self._fields:
                self._fields[name].data = data[name]

    saved_fields: tuple[str, ...] = ()
