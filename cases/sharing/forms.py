"""Forms for sharing decisions: the questions every decision asks (lawful basis, consent, the
originating agencies' agreement) and the sharing log's own form around them.

The transfer form (cases.referrals.forms.TransferForm) asks the same questions through
`SharingQuestions`. A forged or missing answer gets the question's message; whether an
originator's agreement is needed is decided by cases.sharing.rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import Field
from wtforms import RadioField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.validators import Length
from wtforms.validators import ValidationError

from app.accounts.models import Organisation
from cases.sharing.models import ConsentStatus
from cases.sharing.models import Disclosure
from cases.sharing.models import LawfulBasis
from cases.sharing.rules import RECIPIENT_MAX_LENGTH
from cases.sharing.rules import TEXT_MAX_LENGTH


class Radios(RadioField):
    """GOV.UK radios whose forged answer, or missing one when required, gets `message`."""

    widget = GovRadioInput()

    def __init__(
        self,
        label: str,
        *,
        choices: Sequence[tuple[str, str]],
        message: str,
        required: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, choices=list(choices), **kwargs)
        self.message = message
        self.required = required

    def pre_validate(self, form: Any) -> None:
        chosen: str | None = self.data
        if not chosen and not self.required:
            return
        if chosen not in {value for value, _ in self.choices or []}:
            raise ValidationError(self.message)


class AgreedAgencies(SelectMultipleField):
    """One checkbox per originating agency; a forged agency gets a plain message."""

    widget = GovCheckboxesInput()

    def pre_validate(self, form: Any) -> None:
        allowed = {value for value, _ in self.choices or []}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError("Select only the agencies listed")


def long_text(label: str, *, hint: str = "") -> TextAreaField:
    return TextAreaField(
        label,
        widget=GovTextArea(),
        description=hint,
        validators=[
            Length(
                max=TEXT_MAX_LENGTH,
                message=f"{label} must be {TEXT_MAX_LENGTH:,} characters or fewer",
            )
        ],
    )


class SharingQuestions(FlaskForm):
    """What every decision records (R7, R8). Subclasses say whether it is a decision to share."""

    lawful_basis = Radios(
        "Lawful basis",
        choices=[(basis.value, basis.label) for basis in LawfulBasis],
        message="Select the lawful basis for sharing",
        required=False,
    )
    consent = Radios(
        "Consent",
        choices=[(status.value, status.label) for status in ConsentStatus],
        message="Select whether consent was given, refused or not sought",
    )
    agreed = AgreedAgencies("Originating agencies that have agreed to onward disclosure")
    without_agreement_reason = long_text(
        "Reason for disclosing without an originating agency’s agreement",
        hint="Only if an agency that provided information has not agreed",
    )

    def offer_agencies(self, agencies: Sequence[Organisation]) -> None:
        self.agreed.choices = [(str(agency.id), agency.name) for agency in agencies]

    def is_sharing(self) -> bool:
        return True

    def validate_lawful_basis(self, field: Field) -> None:
        if self.is_sharing() and not field.data:
            raise ValidationError("Select the lawful basis for sharing")

    def chosen_basis(self) -> LawfulBasis | None:
        return LawfulBasis(self.lawful_basis.data) if self.lawful_basis.data else None

    def chosen_consent(self) -> ConsentStatus:
        chosen: str = self.consent.data  # required by the form
        return ConsentStatus(chosen)

    def agreements(self) -> dict[int, bool]:
        """Each offered agency's id and whether its box was ticked."""
        ticked = set(self.agreed.data or [])
        return {int(value): value in ticked for value, _ in self.agreed.choices or []}


class SharingDecisionForm(SharingQuestions):
    """A decision recorded on the case's sharing log: to share or not, with whom, and why."""

    disclosure = Radios(
        "What was the decision about?",
        choices=[
            (Disclosure.WITHIN_PANEL.value, Disclosure.WITHIN_PANEL.label),
            (Disclosure.OUTSIDE_PANEL.value, Disclosure.OUTSIDE_PANEL.label),
        ],
        message="Select what the decision was about",
    )
    shared = Radios(
        "Was the information shared?",
        choices=[("yes", "Yes, it was shared"), ("no", "No, it was not shared")],
        message="Select whether the information was shared",
    )
    recipient = StringField(
        "Who with",
        widget=GovTextInput(),
        description="An organisation or panel, not a person",
        validators=[
            Length(
                max=RECIPIENT_MAX_LENGTH,
                message=f"Who with must be {RECIPIENT_MAX_LENGTH} characters or fewer",
            )
        ],
    )
    reason = long_text(
        "Reason for the decision",
        hint="Why sharing was, or was not, necessary and proportionate",
    )
    submit = SubmitField("Record decision", widget=GovSubmitInput())

    def is_sharing(self) -> bool:
        return bool(self.shared.data == "yes")

    def validate_recipient(self, field: Field) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Enter who the information would go to")

    def validate_reason(self, field: Field) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Enter the reason for the decision")
