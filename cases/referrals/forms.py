"""Forms for the referral task list, screening, meetings and transfer.

Each section form turns what was typed into the section's JSON (`to_data`) and back
(`from_data`), so a draft shows exactly what was saved. The cross-section rules (age, criteria
against the checklist, consent) live in cases.referrals.rules and are checked on submission.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import Field
from wtforms import IntegerField
from wtforms import RadioField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import ValidationError

from app.database import uk_today
from audit.forms import FilterSelect
from audit.forms import UKDateField
from audit.forms import parse_date
from cases.forms import date_required
from cases.models import CaseRole
from cases.referrals.services import REASON_MAX_LENGTH
from cases.sharing.forms import SharingQuestions
from panels.models import MeetingKind
from panels.models import Panel
from panels.registry import DASH_ITEMS
from panels.registry import FormSection
from panels.registry import RiskTool

YES_NO = [("yes", "Yes"), ("no", "No")]
YES_NO_NOT_KNOWN = [("yes", "Yes"), ("no", "No"), ("not_known", "Not known")]
SOURCES = [
    ("victim", "The victim"),
    ("referrer", "You (the referrer)"),
    ("other", "Another agency"),
]
TEXT_LIMIT = 2_000


class Choice(RadioField):
    """GOV.UK radios whose missing or forged answer gets the question's own message."""

    widget = GovRadioInput()

    def __init__(self, label: str, *, choices: list[tuple[str, str]], message: str, **kw: Any):
        super().__init__(label, choices=choices, validators=[InputRequired(message=message)], **kw)
        self.message = message

    def pre_validate(self, form: Any) -> None:
        if self.data not in {value for value, _ in self.choices or []}:
            raise ValidationError(self.message)


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


class DashForm(SectionForm):
    """The DASH checklist or, from police, a DARA grade (E14)."""

    tool = Choice(
        "Which risk assessment was completed?",
        choices=[
            (RiskTool.DASH.value, "DASH risk checklist"),
            ("dara", "DARA (police), with its grade"),
        ],
        message="Select the risk assessment that was completed",
    )
    grade = SelectField(
        "DARA grade",
        widget=GovSelect(),
        choices=[
            ("", "Choose a grade"),
            ("standard", "Standard"),
            ("medium", "Medium"),
            ("high", "High"),
        ],
        validate_choice=False,  # validate_grade says what is wrong, and only for DARA
    )
    with_victim = Choice(
        "Was the checklist completed with the victim?",
        choices=YES_NO,
        message="Select whether the victim took part",
    )
    completed_on = UKDateField("Date completed", description="For example, 27 3 2026")

    def validate_grade(self, field: Field) -> None:
        if self.tool.data == "dara" and field.data not in {"standard", "medium", "high"}:
            raise ValidationError("Select the DARA grade")

    def item_fields(self) -> list[tuple[str, Field, Field, Field]]:
        return [
            (question, self[f"answer_{i}"], self[f"source_{i}"], self[f"comment_{i}"])
            for i, question in enumerate(DASH_ITEMS)
        ]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = bool(super().validate(extra_validators))
        if self.tool.data == RiskTool.DASH.value:
            sources = {value for value, _ in SOURCES}
            for i, _ in enumerate(DASH_ITEMS):
                field, source = self[f"answer_{i}"], self[f"source_{i}"]
                if field.data not in {"yes", "no", "not_known"}:
                    field.errors = [f"Answer question {i + 1}: yes, no or not known"]
                    valid = False
                if source.data not in sources:
                    source.errors = [f"Choose where the answer to question {i + 1} came from"]
                    valid = False
        return valid

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "tool": self.tool.data,
            "with_victim": as_bool(self.with_victim.data),
            "completed_on": self.completed_on.data.isoformat() if self.completed_on.data else None,
        }
        if self.tool.data == "dara":
            return data | {"grade": self.grade.data}
        data["items"] = [
            {"answer": a.data, "source": s.data, "comment": (c.data or "").strip()}
            for _, a, s, c in self.item_fields()
        ]
        return data

    def fill(self, data: dict[str, Any]) -> None:
        self.tool.data = data.get("tool")
        self.grade.data = data.get("grade", "")
        self.with_victim.data = from_bool(data.get("with_victim"))
        if data.get("completed_on"):
            self.completed_on.data = date.fromisoformat(data["completed_on"])
        for (_, answer, source, comment), item in zip(
            self.item_fields(), data.get("items", []), strict=False
        ):
            answer.data, source.data, comment.data = (
                item.get("answer"),
                item.get("source"),
                item.get("comment"),
            )


def _add_dash_items() -> None:
    for i, question in enumerate(DASH_ITEMS):
        setattr(
            DashForm,
            f"answer_{i}",
            RadioField(
                f"{i + 1}. {question}",
                widget=GovRadioInput(),
                choices=YES_NO_NOT_KNOWN,
                validate_choice=False,
            ),
        )
        setattr(
            DashForm,
            f"source_{i}",
            SelectField("Source", widget=GovSelect(), choices=SOURCES, validate_choice=False),
        )
        setattr(
            DashForm,
            f"comment_{i}",
            StringField(
                "Comment",
                widget=GovTextInput(),
                validators=[Length(max=500, message="Comments must be 500 characters or fewer")],
            ),
        )


_add_dash_items()


class MatrixForm(SectionForm):
    """The Community MARAC's weighted risk matrix: the panel sets the questions and weights."""

    present = Checkboxes(
        "Which of these apply?",
        description="Select all that apply. Your partnership sets each one’s weight",
        message="Select only the statements listed",
    )

    def __init__(self, panel: Panel, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keys = [item.key for item in panel.settings.risk_items]
        self.present.choices = [(item.key, item.label) for item in panel.settings.risk_items]

    def to_data(self) -> dict[str, Any]:
        chosen = set(self.present.data or [])
        return {
            "tool": RiskTool.ASB_RISK_MATRIX.value,
            "items": [{"answer": "yes" if key in chosen else "no"} for key in self.keys],
        }

    def fill(self, data: dict[str, Any]) -> None:
        items = data.get("items", [])
        self.present.data = [
            key for key, item in zip(self.keys, items, strict=False) if item.get("answer") == "yes"
        ]


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


class ListingForm(FlaskForm):
    meeting_id = Choice("Meeting", choices=[], message="Select a meeting")
    submit = SubmitField("List for this meeting", widget=GovSubmitInput())


class MeetingForm(FlaskForm):
    panel_id = FilterSelect(
        "Panel",
        invalid="Select one of the panels you coordinate",
        validators=[DataRequired(message="Select the panel")],
    )
    held_on = UKDateField(
        "Date of the meeting", validators=[date_required("Enter the date of the meeting")]
    )
    kind = Choice(
        "Kind of meeting",
        choices=[(k.value, k.label) for k in MeetingKind],
        message="Select scheduled or emergency",
        default=MeetingKind.SCHEDULED.value,
    )
    submit = SubmitField("Add meeting", widget=GovSubmitInput())


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
