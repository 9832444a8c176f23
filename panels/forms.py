"""Admin forms for areas, panels, memberships and panels' local settings."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import BooleanField
from wtforms import Field
from wtforms import FieldList
from wtforms import Form
from wtforms import FormField
from wtforms import HiddenField
from wtforms import IntegerField
from wtforms import RadioField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import SubmitField
from wtforms.validators import AnyOf
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError

from app.accounts.models import AgencyType
from app.errors import DomainError
from app.forms import UKDateField
from app.forms import leaf_fields
from panels.instruments.asb_matrix import RiskItem
from panels.models import PanelRole
from panels.settings import FTE_SETTINGS
from panels.settings import InvalidSettings
from panels.settings import PanelSettings
from panels.types import spec_for
from panels.types.common import FieldCategory
from panels.types.common import MeetingCadence
from panels.types.common import PanelType
from panels.types.common import Quorum
from panels.types.common import RepeatDefinition

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


# Local settings ---------------------------------------------------------------------------

WHOLE_NUMBER = re.compile(r"-?[0-9]+", re.ASCII)
# Any setting's bounds lie far inside this; a longer number is read as this far out, so that the
# setting's own range message answers it (and int() never meets thousands of digits).
WHOLE_NUMBER_DIGITS = 9
DECIMAL_NUMBER = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)", re.ASCII)
DECIMAL_NUMBER_LENGTH = 20


class WholeNumberField(IntegerField):
    """A whole number typed into a GOV.UK text input; a blank is left to `WholeNumberRequired`.

    Spaces around the number are ignored, so spaces or a tab alone count as blank.
    """

    widget = GovTextInput()

    def __init__(self, *args: Any, not_a_number: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.not_a_number = not_a_number

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0].strip() if valuelist else ""
        if not text:
            self.data = None
        elif not WHOLE_NUMBER.fullmatch(text):
            self.data = None
            raise ValueError(self.not_a_number)
        elif len(text.lstrip("-").lstrip("0")) > WHOLE_NUMBER_DIGITS:
            self.data = (
                -(10**WHOLE_NUMBER_DIGITS) if text.startswith("-") else 10**WHOLE_NUMBER_DIGITS
            )
        else:
            self.data = int(text)


class DecimalNumberField(WholeNumberField):
    """A number that may have decimal places (a full-time equivalent, like 2.5), typed into a
    GOV.UK text input; blank is None, and the settings' own rules check places and range."""

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0].strip() if valuelist else ""
        if not text:
            self.data = None
        elif not DECIMAL_NUMBER.fullmatch(text):
            self.data = None
            raise ValueError(self.not_a_number)
        elif len(text.lstrip("-").split(".")[0].lstrip("0")) > WHOLE_NUMBER_DIGITS:
            # Far out of range: the setting's range message answers it.
            self.data = Decimal(10**WHOLE_NUMBER_DIGITS) * (-1 if text.startswith("-") else 1)
        else:
            self.data = Decimal(text[: DECIMAL_NUMBER_LENGTH + WHOLE_NUMBER_DIGITS])


class WholeNumberRequired(InputRequired):
    """InputRequired for a WholeNumberField: spaces alone are nothing typed, not a number.

    InputRequired looks only at what was sent, so " " passed it and reached the settings'
    range checks as None (a 500). A value that is not a number already has its message.
    """

    def __call__(self, form: Any, field: Field) -> None:
        if field.data is not None or field.process_errors:
            return
        field.errors[:] = []
        raise StopValidation(self.message)


class RiskItemForm(Form):
    """One question of the risk matrix: the text referrers see and what a yes adds to the score.

    Messages say "{n}"; LocalSettingsForm.validate puts in the question's number.
    """

    label = StringField(
        "Question",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter the text of question {n}")],
    )
    weight = WholeNumberField(
        "Weight",
        not_a_number="The weight of question {n} must be a whole number, like 3",
        validators=[WholeNumberRequired(message="Enter the weight of question {n}")],
    )


class LocalSettingsForm(FlaskForm):
    """The settings a panel's type uses; `local_settings_form` adds the fields for a panel."""

    submit = SubmitField("Save settings", widget=GovSubmitInput())
    # The fingerprint of the settings the form was drawn from (PanelSettings.fingerprint).
    seen = HiddenField()

    @property
    def errors(self) -> dict[str, list[str]]:
        """Every field's messages by field id, including those a service added after validation."""
        return {field.id: list(field.errors) for field in leaf_fields(self) if field.errors}

    def validate(self, extra_validators: Any = None) -> bool:
        valid: bool = super().validate(extra_validators)
        for number, entry in enumerate(getattr(self, "risk_items", ()), start=1):
            for field in entry.form:
                field.errors[:] = [message.format(n=number) for message in field.errors]
        return valid


def add_errors(form: LocalSettingsForm, error: DomainError) -> None:
    """Put each broken rule's message next to the field it names (e.g. "risk_items-2-weight")."""
    fields = list(leaf_fields(form))
    for problem in error.problems if isinstance(error, InvalidSettings) else [error]:
        chosen = next((f for f in fields if f.name == problem.field), fields[0])
        chosen.errors.append(problem.message)


MARAC_REPEAT_DEFINITIONS = (RepeatDefinition.ANY_ABUSE, RepeatDefinition.FURTHER_CRIMINAL_INCIDENT)

# Each setting's label, its message when left blank, and a hint saying what it does and the
# national default.
SETTING_LABELS = {
    "dash_threshold": "DASH threshold",
    "escalation_incidents": "Potential escalation: incidents",
    "repeat_window_months": "Repeat window in months",
    "repeat_definition": "What counts as a repeat",
    "risk_items": "Risk matrix",
    "medium_risk_from": "Medium risk starts at score",
    "high_risk_from": "High risk starts at score",
    "repeat_count": "Referrals that make a repeat",
    "case_review_threshold": "ASB Case Review threshold: complaints",
    "case_review_window_months": "ASB Case Review window in months",
    "definitions_version": "Definitions version",
    "break_glass_hours": "Emergency access: hours",
    "break_glass_at_once": "Emergency access: most at once per person",
    "break_glass_per_day": "Emergency access: most in 24 hours per person",
    "field_access": "Who sees restricted fields",
    "agenda_days_before": "Agenda published: days before the meeting",
    "quorum_chair": "Quorum: the chair must attend",
    "quorum_agencies": "Quorum: agencies attending",
    "quorum_agency_types": "Quorum: agencies that must attend",
    "adult_female_population": "Adult female population (optional)",
    "population_source": "Where the population figure comes from (optional)",
    "idva_fte": "Full-time equivalent IDVAs (optional)",
    "admin_fte": "Full-time equivalent MARAC administrators (optional)",
}

SETTING_MISSING = {
    "dash_threshold": "Enter the DASH threshold",
    "escalation_incidents": "Enter how many incidents count as potential escalation",
    "repeat_window_months": "Enter the repeat window in months",
    "medium_risk_from": "Enter the score at which medium risk starts",
    "high_risk_from": "Enter the score at which high risk starts",
    "repeat_count": "Enter how many referrals make a repeat",
    "case_review_threshold": "Enter the ASB Case Review threshold",
    "case_review_window_months": "Enter the ASB Case Review window in months",
    "break_glass_hours": "Enter how many hours emergency access lasts",
    "break_glass_at_once": "Enter how many emergency accesses one person may hold at once",
    "break_glass_per_day": "Enter how many emergency accesses one person may start in 24 hours",
    "quorum_agencies": "Enter how many agencies must attend for a quorum",
    "agenda_days_before": "Enter how many days before the meeting the agenda is published",
}

SETTING_HINTS = {
    "dash_threshold": (
        "How many yes answers on the DASH risk checklist make a referral visible high risk. "
        "National default: 14 (SafeLives)."
    ),
    "escalation_incidents": (
        "How many domestic abuse incidents in the last 12 months count as potential "
        "escalation. National default: 3 (SafeLives); local thresholds differ."
    ),
    "repeat_window_months": (
        "A further referral within this many months of the last referral is a repeat; after "
        "that it is a new referral. National default: 12 months (SafeLives)."
    ),
    "repeat_definition": (
        "Which published definition decides a repeat; it is recorded on each repeat referral. "
        "National default: any further abuse between the same people (SafeLives)."
    ),
    "risk_items": (
        "A yes to a question adds its weight to the score. There is no national anti-social "
        "behaviour risk matrix: the default questions and weights are a starting point to adapt."
    ),
    "medium_risk_from": (
        "A score at or above this is medium risk. There is no national figure; default: 6."
    ),
    "high_risk_from": (
        "A score at or above this is high risk. It must be above the medium band and no more "
        "than the highest possible score. There is no national figure; default: 12."
    ),
    "repeat_count": (
        "How many referrals about the same person within the repeat window make the latest one "
        "a repeat. There is no national definition; default: 2."
    ),
    "case_review_threshold": (
        "How many qualifying complaints in the window entitle someone to an ASB Case Review. "
        "The Anti-social Behaviour, Crime and Policing Act 2014 allows no more than 3; you may "
        "set fewer. National default: 3."
    ),
    "case_review_window_months": (
        "The period the complaints must fall within. An application must be made within 6 "
        "months of a complaint, so this cannot be more than 6. National default: 6 months."
    ),
    "definitions_version": (
        "A short code recorded on each referral, saying which version of these settings applied. "
        "Change it when you change a definition, for example to 2026-2. Default: 2026-1."
    ),
    "break_glass_hours": (
        "How long emergency access to a case lasts once someone without a normal reason to see "
        "it states why they need it. Between 1 and 12 hours; default: 4."
    ),
    "break_glass_at_once": (
        "How many emergency accesses one person may hold at the same time (on any panel) when "
        "asking for one to this panel's cases; beyond it they must ask a coordinator. Between 1 "
        "and 10; default: 2."
    ),
    "break_glass_per_day": (
        "How many emergency accesses one person may start in 24 hours (on any panel) when asking "
        "for one to this panel's cases; reaching it alerts the coordinators at once, and beyond "
        "it they must ask a coordinator. Between 1 and 20, and no fewer than at once; default: 3."
    ),
    "agenda_days_before": (
        "Members can accept the confidentiality statement, see the agenda and record their "
        "research from this many days before the meeting, unless the coordinator publishes it "
        "sooner. Between 0 (the day itself) and 28; default: 7."
    ),
    "quorum_chair": (
        "Whether a meeting is quorate only when the panel's chair (or a member with the chair "
        "role) attends. Default: yes."
    ),
    "quorum_agencies": (
        "How many different agencies must have someone attending. There is no national figure; "
        "the default for this panel type is a starting point."
    ),
    "quorum_agency_types": (
        "A meeting is quorate only when someone attends for each agency type ticked here. "
        "Default for MARAC: police and an IDVA service; set locally for other panels."
    ),
    "adult_female_population": (
        "Women and girls aged 16 or over living in the area the panel covers, for the SafeLives "
        "return's cases per 10,000 (the recommended volume is 40 a year). Default: not set (the "
        "return then says the figure is missing)."
    ),
    "population_source": (
        "For example, ONS mid-year population estimates, 2024. Shown beside the figure in the "
        "return. Default: not set."
    ),
    "idva_fte": (
        "For the SafeLives return's capacity figures (about 100 referrals a year per full-time "
        "IDVA). For example, 4.5. Default: not set."
    ),
    "admin_fte": (
        "For the SafeLives return's capacity figures (one full-time administrator per 400 "
        "cases a year). For example, 0.5. Default: not set."
    ),
    "field_access": (
        "Coordinators see every field. Representatives see these fields only if their agency "
        "type is ticked. Default: as your information sharing protocol's usual template."
    ),
}

# Settings that may be left blank (not known), and the message for text that is not a number.
OPTIONAL_NUMBERS = {
    "adult_female_population": "Enter the adult female population as a whole number, like 125000",
    "idva_fte": "Enter the full-time equivalent IDVAs as a number",
    "admin_fte": "Enter the full-time equivalent MARAC administrators as a number",
}

# Outside MARAC there is no national repeat definition (domain §3.7, §4.6, §5.9, §6.6).
LOCAL_REPEAT_WINDOW_HINT = (
    "A further referral about the same person within this many months of the last one is a "
    "repeat. There is no national definition for this panel type; default: 12 months."
)


def setting_hint(name: str, panel_type: PanelType) -> str:
    if name == "repeat_window_months" and panel_type is not PanelType.MARAC:
        return LOCAL_REPEAT_WINDOW_HINT
    return SETTING_HINTS[name]


AGENCY_CHOICES = [(agency.value, agency.label) for agency in AgencyType]


class AgencyCheckboxes(SelectMultipleField):
    """GOV.UK checkboxes of agency types; a forged value gets a plain message."""

    widget = GovCheckboxesInput()

    def pre_validate(self, form: Any) -> None:
        allowed = {value for value, _ in AGENCY_CHOICES}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError(f"Tick only the agency types shown for {self.label.text}")


class FieldAccessForm(Form):
    """For each group of restricted fields, the agency types whose representatives see it."""


for _category in FieldCategory:
    setattr(
        FieldAccessForm,
        _category.value,
        AgencyCheckboxes(_category.label, choices=AGENCY_CHOICES),
    )


YES_NO_CHOICES = [("yes", "Yes"), ("no", "No")]


class _SettingsShown:
    """The settings as the form reads them: field access as one list of agencies per group,
    and the quorum as it applies (the type's default where the panel has set none)."""

    def __init__(self, settings: PanelSettings, quorum: Quorum) -> None:
        self._settings = settings
        self.seen = settings.fingerprint
        self.quorum_chair = "yes" if quorum.chair else "no"
        self.quorum_agencies = quorum.agencies
        self.quorum_agency_types = [agency.value for agency in quorum.agency_types]
        self.field_access = {
            category.value: [agency.value for agency in settings.agencies_seeing(category)]
            for category in FieldCategory
        }

    def __getattr__(self, name: str) -> Any:
        return getattr(self._settings, name)


def _field_access(
    chosen: dict[str, list[str]],
) -> tuple[tuple[FieldCategory, tuple[AgencyType, ...]], ...]:
    """The ticked boxes as PanelSettings.field_access: every group, agencies in AgencyType order."""
    return tuple(
        (category, tuple(a for a in AgencyType if a.value in (chosen.get(category.value) or [])))
        for category in FieldCategory
    )


def _setting_field(name: str, panel_type: PanelType, settings: PanelSettings) -> Any:
    label, hint = SETTING_LABELS[name], setting_hint(name, panel_type)
    if name == "field_access":
        return FormField(FieldAccessForm, label)
    if name == "quorum_chair":
        return RadioField(
            label,
            widget=GovRadioInput(),
            description=hint,
            choices=YES_NO_CHOICES,
            validate_choice=False,
            validators=[
                DataRequired(message="Select whether the chair must attend for a quorum"),
                AnyOf(
                    [value for value, _ in YES_NO_CHOICES],
                    message="Select whether the chair must attend for a quorum",
                ),
            ],
        )
    if name == "quorum_agency_types":
        return AgencyCheckboxes(label, description=hint, choices=AGENCY_CHOICES)
    if name == "risk_items":
        count = len(settings.risk_items)
        return FieldList(FormField(RiskItemForm), label, min_entries=count, max_entries=count)
    if name == "repeat_definition":
        values = [d.value for d in MARAC_REPEAT_DEFINITIONS]
        return RadioField(
            label,
            widget=GovRadioInput(),
            description=hint,
            choices=[(d.value, d.label) for d in MARAC_REPEAT_DEFINITIONS],
            # A forged value gets a message saying what to do, not "Not a valid choice".
            validate_choice=False,
            validators=[
                DataRequired(message="Select what counts as a repeat"),
                AnyOf(values, message="Select what counts as a repeat"),
            ],
        )
    if name == "definitions_version":
        return StringField(
            label,
            widget=GovTextInput(),
            description=hint,
            filters=[lambda value: value.strip() if isinstance(value, str) else value],
            validators=[DataRequired(message="Enter the definitions version")],
        )
    if name == "population_source":
        return StringField(
            label,
            widget=GovTextInput(),
            description=hint,
            filters=[lambda value: value.strip() if isinstance(value, str) else ""],
        )
    if name in OPTIONAL_NUMBERS:
        field_class, example = (
            (DecimalNumberField, "like 2.5") if name in FTE_SETTINGS else (WholeNumberField, "")
        )
        return field_class(
            label,
            description=hint,
            not_a_number=OPTIONAL_NUMBERS[name] + (f", {example}" if example else ""),
        )
    return WholeNumberField(
        label,
        description=hint,
        not_a_number=f"{SETTING_MISSING[name]} as a whole number, like 3",
        validators=[WholeNumberRequired(message=SETTING_MISSING[name])],
    )


def local_settings_form(panel_type: PanelType, settings: PanelSettings) -> LocalSettingsForm:
    """A form with the fields the panel's type uses, filled with its current settings."""

    class PanelSettingsForm(LocalSettingsForm):
        pass

    PanelSettingsForm.quorum_default = spec_for(panel_type).quorum
    for name in spec_for(panel_type).settings_used:
        setattr(PanelSettingsForm, name, _setting_field(name, panel_type, settings))
    return PanelSettingsForm(obj=_SettingsShown(settings, spec_for(panel_type).quorum))


def settings_changes(form: LocalSettingsForm, current: PanelSettings) -> dict[str, Any]:
    """The submitted settings as PanelSettings values; questions keep their keys, in order."""
    changes: dict[str, Any] = {}
    for field in form:
        if field.name in ("csrf_token", "submit", "seen"):
            continue
        changes[field.name] = field.data
    if "risk_items" in changes:
        changes["risk_items"] = tuple(
            RiskItem(item.key, entry["label"].strip(), entry["weight"])
            for item, entry in zip(current.risk_items, changes["risk_items"], strict=True)
        )
    if "repeat_definition" in changes:
        changes["repeat_definition"] = RepeatDefinition(changes["repeat_definition"])
    if "field_access" in changes:
        changes["field_access"] = _field_access(changes["field_access"])
    if "quorum_chair" in changes:
        changes["quorum_chair"] = changes["quorum_chair"] == "yes"
    if "quorum_agency_types" in changes:
        chosen = changes["quorum_agency_types"] or []
        changes["quorum_agency_types"] = tuple(a for a in AgencyType if a.value in chosen)
    # A quorum setting left at the type's default stays unset: it follows the type's default.
    default = getattr(form, "quorum_default", None)
    for name, attribute in (
        ("quorum_chair", "chair"),
        ("quorum_agencies", "agencies"),
        ("quorum_agency_types", "agency_types"),
    ):
        if name in changes and default is not None and changes[name] == getattr(default, attribute):
            changes[name] = None
    return changes


class DeclarationForm(FlaskForm):
    """Accepting a meeting's confidentiality statement (R3); the version read is sent back."""

    statement_version = HiddenField()
    submit = SubmitField("I accept", widget=GovSubmitInput())


# The ISP register ------------------------------------------------------------------------


def _date_required(message: str) -> Any:
    """Like DataRequired, but keeps the date input's own message for a half-typed or impossible
    date ("must include a month", "must be a real date") instead of replacing it."""

    def check(form: Any, field: Any) -> None:
        if field.data is None and not field.errors:
            raise StopValidation(message)

    return check


def _isp_date(label: str, missing: str) -> UKDateField:
    return UKDateField(
        label, description="For example, 27 3 2026", validators=[_date_required(missing)]
    )


class AgreementForm(FlaskForm):
    version = StringField(
        "Version",
        widget=GovTextInput(),
        description="As printed on the protocol, for example 2 or 2026.1",
        validators=[
            DataRequired(message="Enter the version of the agreement"),
            Length(max=40, message="Version must be 40 characters or fewer"),
        ],
    )
    in_force_from = _isp_date("In force from", "Enter the date this version comes into force")
    submit = SubmitField("Add version", widget=GovSubmitInput())


class SignatoryForm(FlaskForm):
    # A forged organisation is answered by the view ("Select an organisation") and the service.
    organisation_id = SelectField(
        "Organisation",
        widget=GovSelect(),
        validate_choice=False,
        validators=[DataRequired(message="Select the organisation that signed")],
    )
    signed_on = _isp_date("Date signed", "Enter the date the organisation signed")
    review_on = _isp_date("Review date", "Enter the date the signature is due for review")
    submit = SubmitField("Add signatory", widget=GovSubmitInput())


class RenewForm(FlaskForm):
    review_on = _isp_date("New review date", "Enter the new review date")
    submit = SubmitField("Renew", widget=GovSubmitInput())


class SignAgainForm(FlaskForm):
    signed_on = _isp_date("Date signed again", "Enter the date the organisation signed again")
    review_on = _isp_date("Review date", "Enter the date the signature is due for review")
    submit = SubmitField("Record signature", widget=GovSubmitInput())


class WithdrawForm(FlaskForm):
    withdrawn_on = _isp_date("Date withdrawn", "Enter the date the organisation withdrew")
    submit = SubmitField("Withdraw", widget=GovSubmitInput())
