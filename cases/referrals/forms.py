"""Forms for the referral task list, screening and transfer.

Each section form turns what was typed into the section's JSON (`to_data`) and back
(`from_data`), so a draft shows exactly what was saved. The cross-section rules (age, criteria
against the checklist, consent) live in cases.referrals.rules and are checked on submission.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import Field
from wtforms import IntegerField
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import ValidationError

from app.database import uk_today
from app.forms import UKDateField
from app.forms import parse_date
from cases.forms import date_required
from cases.models import CaseRole
from cases.referrals.services import REASON_MAX_LENGTH
from cases.sharing.forms import SharingQuestions
from panels.instruments.section import YES_NO
from panels.instruments.section import YES_NO_NOT_KNOWN
from panels.instruments.section import Checkboxes
from panels.instruments.section import Choice
from panels.instruments.section import SectionForm
from panels.instruments.section import as_bool
from panels.instruments.section import from_bool
from panels.models import Panel
from panels.types.common import FormSection

TEXT_LIMIT = 2_000


def text(label: str, *, hint: str = "", limit: int = TEXT_LIMIT) -> StringField:
    return TextAreaField(
        label,
        widget=GovTextArea(),
        description=hint,
        validators=[Length(max=limit, message=f"{label} must be {limit:,} characters or fewer")],
    )


def line(label: str, *, hint: str = "", limit: int = 200) -> StringField:
    return StringField(
        label,
        widget=GovTextInput(),
        description=hint,
        validators=[Length(max=limit, message=f"{label} must be {limit} characters or fewer")],
    )


class AboutForm(SectionForm):
    referred_on = UKDateField(
        "Date of referral", validators=[date_required("Enter the date of the referral")]
    )
    referrer_phone = line("Your phone number", hint="So the coordinator can reach you", limit=40)
    previous_marac = line(
        "Previously referred to another panel?", hint="Where and when, if you know"
    )
    saved_fields = ("referrer_phone", "previous_marac")

    def validate_referred_on(self, field: Field) -> None:
        if field.data and field.data > uk_today():
            raise ValidationError("Date of referral must be today or in the past")

    def to_data(self) -> dict[str, Any]:
        assert self.referred_on.data is not None
        return super().to_data() | {"referred_on": self.referred_on.data.isoformat()}

    def fill(self, data: dict[str, Any]) -> None:
        super().fill(data)
        if data.get("referred_on"):
            self.referred_on.data = date.fromisoformat(data["referred_on"])


class PersonForm(FlaskForm):
    """One person in the referral: the victim, a perpetrator or a child."""

    given_names = line("First names", limit=100)
    family_name = line("Last name", limit=100)
    aliases = text(
        "Other names they are known by", hint="One per line, first names then last name", limit=500
    )
    date_of_birth = UKDateField(
        "Date of birth", description="For example, 27 3 1990. Leave blank if not known"
    )
    age = IntegerField(
        "Age, if the date of birth is not known",
        widget=GovTextInput(),
        validators=[
            Optional(),
            NumberRange(min=0, max=120, message="Age must be a number between 0 and 120"),
        ],
    )
    other_birth_dates = text(
        "Other dates of birth recorded for them",
        hint="One per line, as day month year, for example 27 3 1990",
        limit=200,
    )
    address = text("Address", limit=500)
    relationship = line("Relationship to the victim", hint="For example, ex-partner, son")
    school = line("School or nursery (children)")
    submit = SubmitField("Save person", widget=GovSubmitInput())

    FIELDS = ("given_names", "family_name", "age", "address", "relationship", "school")

    def validate_family_name(self, field: Field) -> None:
        if not (self.given_names.data or "").strip() and not (field.data or "").strip():
            raise ValidationError("Enter the person’s first or last name")

    def validate_other_birth_dates(self, field: Field) -> None:
        for entry in (field.data or "").splitlines():
            parts = entry.replace("/", " ").split()
            if not entry.strip():
                continue
            try:
                parse_date("Other date of birth", *[*parts, "", "", ""][:3])
            except ValueError as error:
                raise ValidationError(f"{error} (line ‘{entry.strip()}’)") from None

    def to_entry(self, role: CaseRole) -> dict[str, Any]:
        entry: dict[str, Any] = {name: _clean(self._fields[name].data) for name in self.FIELDS}
        entry["role"] = role.value
        entry["date_of_birth"] = (
            self.date_of_birth.data.isoformat() if self.date_of_birth.data else None
        )
        entry["aliases"] = [a.strip() for a in (self.aliases.data or "").splitlines() if a.strip()]
        entry["other_birth_dates"] = [
            parse_date(
                "Other date of birth", *[*e.replace("/", " ").split(), "", "", ""][:3]
            ).isoformat()
            for e in (self.other_birth_dates.data or "").splitlines()
            if e.strip()
        ]
        return entry


def _clean(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class SafetyForm(SectionForm):
    """Safe contact (domain R14): any later contact must check these first (E19)."""

    safe_to_call = Choice(
        "Is it safe to call the victim?",
        choices=YES_NO,
        message="Select whether it is safe to call",
    )
    phone = line("Safe phone number", limit=40)
    safe_times = line("Safe times to call")
    safe_contacts = text("Who it is safe to talk to", limit=500)
    unsafe_contacts = text("Who it is not safe to talk to", limit=500)
    afraid_of = text(
        "Who is the victim afraid of?",
        hint="Everyone who threatens them, not only the main perpetrator",
        limit=500,
    )
    saved_fields = ("phone", "safe_times", "safe_contacts", "unsafe_contacts", "afraid_of")

    def to_data(self) -> dict[str, Any]:
        return super().to_data() | {"safe_to_call": as_bool(self.safe_to_call.data)}

    def fill(self, data: dict[str, Any]) -> None:
        super().fill(data)
        self.safe_to_call.data = from_bool(data.get("safe_to_call"))


class DiversityForm(SectionForm):
    """Kept for the published figures; "not known" is never counted as "no" (E8)."""

    gender = Choice(
        "Gender",
        choices=[
            ("female", "Female"),
            ("male", "Male"),
            ("other", "Another gender"),
            ("not_known", "Not known"),
        ],
        message="Select the victim’s gender, or not known",
    )
    minoritised = Choice(
        "Black, Asian or racially minoritised",
        choices=YES_NO_NOT_KNOWN,
        message="Select yes, no or not known",
    )
    disabled = Choice("Disabled", choices=YES_NO_NOT_KNOWN, message="Select yes, no or not known")
    lgbt = Choice(
        "Lesbian, gay, bisexual or trans",
        choices=YES_NO_NOT_KNOWN,
        message="Select yes, no or not known",
    )
    saved_fields = ("gender", "minoritised", "disabled", "lgbt")


class ReasonsForm(SectionForm):
    criteria = Checkboxes(
        "Reasons for referral",
        description="Select all that apply",
        message="Select reasons from the list",
    )
    judgement_reasons = text("Your professional judgement: what concerns you and why")
    escalation_incidents = IntegerField(
        "Incidents in the last 12 months",
        widget=GovTextInput(),
        description="For potential escalation",
        validators=[
            Optional(),
            NumberRange(min=0, max=999, message="Enter a number of incidents from 0 to 999"),
        ],
    )
    repeat_details = line("If a repeat, when and where the case was last heard")
    saved_fields = ("criteria", "judgement_reasons", "escalation_incidents", "repeat_details")

    def __init__(self, panel: Panel, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria.choices = [(c.value, c.label) for c in panel.spec.criteria]

    def validate_criteria(self, field: Field) -> None:
        if not field.data:
            raise ValidationError("Select at least one reason for referral")


class ConsentForm(SectionForm):
    consent_given = Choice(
        "Has the victim consented to this referral?",
        choices=YES_NO,
        message="Select whether the victim consented",
    )
    justification = text(
        "If not, why is the information being shared without consent?",
        hint="For example, the risk of serious harm; name the lawful basis you rely on",
    )
    victim_aware = Choice(
        "Does the victim know about the referral?",
        choices=YES_NO,
        message="Select whether the victim knows",
    )
    not_aware_reason = text("If not, why not?")
    saved_fields = ("justification", "not_aware_reason")

    def validate_justification(self, field: Field) -> None:
        if self.consent_given.data == "no" and not (field.data or "").strip():
            raise ValidationError(
                "Explain why the information is shared without the victim’s consent"
            )

    def validate_not_aware_reason(self, field: Field) -> None:
        if self.victim_aware.data == "no" and not (field.data or "").strip():
            raise ValidationError("Say why the victim does not know about the referral")

    def to_data(self) -> dict[str, Any]:
        return super().to_data() | {
            "consent_given": as_bool(self.consent_given.data),
            "victim_aware": as_bool(self.victim_aware.data),
        }

    def fill(self, data: dict[str, Any]) -> None:
        super().fill(data)
        self.consent_given.data = from_bool(data.get("consent_given"))
        self.victim_aware.data = from_bool(data.get("victim_aware"))


SECTION_FORMS: dict[FormSection, type[SectionForm]] = {
    FormSection.ABOUT: AboutForm,
    FormSection.SAFETY: SafetyForm,
    FormSection.DIVERSITY: DiversityForm,
    FormSection.CONSENT: ConsentForm,
}


# Starting, screening, meetings, transfer ---------------------------------------------------------


class StartForm(FlaskForm):
    panel_id = Choice("Which panel are you referring to?", choices=[], message="Select the panel")
    submit = SubmitField("Start referral", widget=GovSubmitInput())


class DecisionForm(FlaskForm):
    decision = Choice(
        "Your decision",
        choices=[
            ("accept", "Accept: the referral meets the criteria"),
            ("return", "Return to the referrer for more information"),
            ("reject", "Reject: the criteria are not met"),
        ],
        message="Select accept, return or reject",
    )
    reason = text(
        "Reason", hint="Needed to return or reject; the referrer sees it", limit=REASON_MAX_LENGTH
    )
    submit = SubmitField("Record decision", widget=GovSubmitInput())

    def validate_reason(self, field: Field) -> None:
        if self.decision.data in {"return", "reject"} and not (field.data or "").strip():
            raise ValidationError("Enter the reason")


class TransferForm(SharingQuestions):
    """A transfer, and the sharing decision it is (R7, R8, R19): the reason serves as both."""

    to_panel_id = Choice("Receiving panel", choices=[], message="Select the receiving panel")
    transferred_on = UKDateField(
        "Date of transfer", validators=[date_required("Enter the date of the transfer")]
    )
    reason = text(
        "Reason for the transfer",
        hint="For example, the victim has moved to the area",
        limit=REASON_MAX_LENGTH,
    )
    submit = SubmitField("Transfer case", widget=GovSubmitInput())

    def validate_reason(self, field: Field) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Enter the reason for the transfer")

    def validate_transferred_on(self, field: Field) -> None:
        if field.data and field.data > uk_today():
            raise ValidationError("Date of transfer must be today or in the past")
