"""The five panel types, defined in one place.

Each type's referral criteria, referral form sections, risk tool, referral lifecycle, repeat
rule, default meeting cadence and reported figures live here, together with the local settings
([LOCAL] in the domain reference) that each panel instance may change. Code that needs to know
how a kind of panel behaves asks `spec_for(panel_type)`; nothing else branches on panel type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from dataclasses import replace
from enum import StrEnum
from typing import Any

from app.accounts.models import AgencyType
from app.errors import DomainError
from panels.models import MeetingCadence
from panels.models import PanelType


class Criterion(StrEnum):
    """Why a referral meets a panel's threshold."""

    VISIBLE_HIGH_RISK = "visible_high_risk"
    PROFESSIONAL_JUDGEMENT = "professional_judgement"
    POTENTIAL_ESCALATION = "potential_escalation"
    REPEAT = "repeat"
    VULNERABLE_VICTIM = "vulnerable_victim"
    HIGH_RISK_OF_HARM = "high_risk_of_harm"
    ESCALATING_BEHAVIOUR = "escalating_behaviour"
    NEEDS_MULTI_AGENCY_RESPONSE = "needs_multi_agency_response"
    SUSCEPTIBLE_TO_RADICALISATION = "susceptible_to_radicalisation"
    AT_RISK_OF_EXPLOITATION = "at_risk_of_exploitation"
    PERSISTENT_OFFENDING = "persistent_offending"

    @property
    def label(self) -> str:
        return CRITERION_LABELS[self]


CRITERION_LABELS = {
    Criterion.VISIBLE_HIGH_RISK: "Visible high risk (risk checklist at or above the threshold)",
    Criterion.PROFESSIONAL_JUDGEMENT: "Professional judgement",
    Criterion.POTENTIAL_ESCALATION: "Potential escalation (incidents in the last 12 months)",
    Criterion.REPEAT: "Repeat referral",
    Criterion.VULNERABLE_VICTIM: "Vulnerable victim or perpetrator of anti-social behaviour",
    Criterion.HIGH_RISK_OF_HARM: "Significant or high risk of harm",
    Criterion.ESCALATING_BEHAVIOUR: "Behaviour escalating in frequency or severity",
    Criterion.NEEDS_MULTI_AGENCY_RESPONSE: "Needs a multi-agency response",
    Criterion.SUSCEPTIBLE_TO_RADICALISATION: "Susceptible to being drawn into terrorism",
    Criterion.AT_RISK_OF_EXPLOITATION: "At risk of criminal or sexual exploitation",
    Criterion.PERSISTENT_OFFENDING: "Persistent offending",
}


class RiskTool(StrEnum):
    DASH = "dash"
    ASB_RISK_MATRIX = "asb_risk_matrix"
    VULNERABILITY_ASSESSMENT_FRAMEWORK = "vaf"
    EXPLOITATION_SCREENING = "exploitation_screening"
    OFFENDER_SCORING = "offender_scoring"

    @property
    def label(self) -> str:
        return {
            "dash": "DASH risk checklist (SafeLives), 24 questions",
            "asb_risk_matrix": "Weighted anti-social behaviour risk matrix (set locally)",
            "vaf": "Vulnerability Assessment Framework (Home Office)",
            "exploitation_screening": "Child exploitation screening tool (set locally)",
            "offender_scoring": "Offender risk and need scoring (set locally)",
        }[self.value]


class RiskLevel(StrEnum):
    STANDARD = "standard"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ReferralStatus(StrEnum):
    """Every state a referral can be in, across panel types; each type uses a subset."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    REJECTED = "rejected"
    ACCEPTED = "accepted"
    LISTED = "listed"
    HEARD = "heard"
    TRANSFERRED_OUT = "transferred_out"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return REFERRAL_STATUS_LABELS[self]


REFERRAL_STATUS_LABELS = {
    ReferralStatus.DRAFT: "Draft",
    ReferralStatus.SUBMITTED: "Awaiting screening",
    ReferralStatus.RETURNED: "Returned for more information",
    ReferralStatus.REJECTED: "Rejected: criteria not met",
    ReferralStatus.ACCEPTED: "Accepted",
    ReferralStatus.LISTED: "Listed for a meeting",
    ReferralStatus.HEARD: "Heard at a meeting",
    ReferralStatus.TRANSFERRED_OUT: "Transferred to another panel",
    ReferralStatus.WITHDRAWN: "Withdrawn",
}

# Referrals in these states opened a repeat window: rejected and returned ones never did.
WINDOW_OPENING_STATUSES = frozenset(
    {ReferralStatus.ACCEPTED, ReferralStatus.LISTED, ReferralStatus.HEARD}
)

S = ReferralStatus
# domain §2.8: DRAFT -> SUBMITTED -> RETURNED | REJECTED | ACCEPTED -> LISTED -> HEARD, and
# Marac-to-Marac transfer out of an accepted or heard case. The same shape serves the other types
# until their own issue refines them.
STANDARD_TRANSITIONS: Mapping[ReferralStatus, frozenset[ReferralStatus]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.SUBMITTED: frozenset({S.RETURNED, S.REJECTED, S.ACCEPTED, S.WITHDRAWN}),
    S.RETURNED: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.LISTED, S.TRANSFERRED_OUT}),
    S.LISTED: frozenset({S.HEARD, S.ACCEPTED, S.TRANSFERRED_OUT}),
    S.HEARD: frozenset({S.TRANSFERRED_OUT}),
    S.REJECTED: frozenset(),
    S.TRANSFERRED_OUT: frozenset(),
    S.WITHDRAWN: frozenset(),
}


class SameCase(StrEnum):
    """What makes a new referral belong to an existing case."""

    # domain §2.5, E2: same victim and (overlapping) perpetrator(s); a new perpetrator is new.
    VICTIM_AND_PERPETRATOR = "victim_and_perpetrator"
    # Community MARAC, Channel, MACE, IOM: one case per person at the centre of it.
    SAME_PRIMARY_PERSON = "same_primary_person"


class RepeatDefinition(StrEnum):
    """Which published definition of a MARAC repeat applied (domain §2.5, E4)."""

    ANY_ABUSE = "any_abuse"  # SafeLives current: any abuse between the same people, any agency
    FURTHER_CRIMINAL_INCIDENT = "further_criminal_incident"  # older CAADA: criminal-type only
    LOCAL = "local"  # a locally defined repeat (Community MARAC and the other panels)

    @property
    def label(self) -> str:
        return {
            "any_abuse": "Any further abuse between the same people (SafeLives)",
            "further_criminal_incident": "A further criminal-type incident (older CAADA wording)",
            "local": "Locally defined",
        }[self.value]


class FormSection(StrEnum):
    """Sections of the referral task list, in the order they appear."""

    ABOUT = "about"
    PEOPLE = "people"
    SAFETY = "safety"
    DIVERSITY = "diversity"
    REASONS = "reasons"
    RISK = "risk"
    CONSENT = "consent"

    @property
    def label(self) -> str:
        return {
            "about": "About the referral",
            "people": "People",
            "safety": "Safe contact",
            "diversity": "Diversity of the victim",
            "reasons": "Reasons for referral",
            "risk": "Risk assessment",
            "consent": "Consent and the victim’s knowledge",
        }[self.value]


# Local settings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskItem:
    """One weighted question of a configurable risk matrix."""

    key: str
    label: str
    weight: int


DEFAULT_ASB_RISK_ITEMS = (
    RiskItem("personal_threat", "Threats or violence against the person", 5),
    RiskItem("targeted", "The person is targeted because of who they are (possible hate crime)", 4),
    RiskItem("vulnerability", "Physical or mental health makes them vulnerable", 3),
    RiskItem("isolated", "Lives alone or has little support", 2),
    RiskItem("repeat_reports", "Has reported anti-social behaviour repeatedly", 2),
    RiskItem("impact", "Behaviour affects sleep, health or ability to go out", 2),
    RiskItem("community_nuisance", "Nuisance affecting the wider community", 1),
    RiskItem("environmental", "Environmental damage (litter, graffiti, noise)", 1),
)


class FieldCategory(StrEnum):
    """Groups of fields shown only to the agencies that need them (domain §8 R6, security R16)."""

    LOCATION = "location"
    HEALTH = "health"
    CHILDREN = "children"
    POLICE_INTELLIGENCE = "police_intelligence"

    @property
    def label(self) -> str:
        return {
            "location": "Where the victim lives and how to contact them safely",
            "health": "Health information",
            "children": "Children's details",
            "police_intelligence": "Police intelligence on persons of concern",
        }[self.value]


# Coordinators see every field of their panels; representatives only the categories their
# agency type is listed for. A partnership changes these per panel in its settings. Agencies are
# listed in AgencyType order, as the settings form gives them back.
DEFAULT_FIELD_ACCESS: tuple[tuple[FieldCategory, tuple[AgencyType, ...]], ...] = (
    (
        FieldCategory.LOCATION,
        (AgencyType.POLICE, AgencyType.DOMESTIC_ABUSE_SERVICE, AgencyType.HOUSING),
    ),
    (FieldCategory.HEALTH, (AgencyType.HEALTH, AgencyType.ADULT_SOCIAL_CARE)),
    (
        FieldCategory.CHILDREN,
        (
            AgencyType.POLICE,
            AgencyType.HEALTH,
            AgencyType.CHILDRENS_SOCIAL_CARE,
            AgencyType.EDUCATION,
        ),
    ),
    (
        FieldCategory.POLICE_INTELLIGENCE,
        (AgencyType.POLICE, AgencyType.PROBATION, AgencyType.YOUTH_JUSTICE),
    ),
)


@dataclass(frozen=True)
class PanelSettings:
    """A panel's [LOCAL] settings. Every type has every field; each type shows the ones it uses."""

    # MARAC (domain §2.3, §2.5)
    dash_threshold: int = 14
    escalation_incidents: int = 3
    repeat_window_months: int = 12
    repeat_definition: RepeatDefinition = RepeatDefinition.ANY_ABUSE
    # Community MARAC (domain §3.3, §3.7): weighted matrix, bands and repeat count
    risk_items: tuple[RiskItem, ...] = DEFAULT_ASB_RISK_ITEMS
    medium_risk_from: int = 6
    high_risk_from: int = 12
    repeat_count: int = 2
    # ASB Case Review (domain §3.5, E25): at most three complaints, set locally
    case_review_threshold: int = 3
    case_review_window_months: int = 6
    definitions_version: str = "2026-1"
    # Information sharing (domain §8): emergency access time box and field-level access
    break_glass_hours: int = 4
    field_access: tuple[tuple[FieldCategory, tuple[AgencyType, ...]], ...] = DEFAULT_FIELD_ACCESS

    def agencies_seeing(self, category: FieldCategory) -> tuple[AgencyType, ...]:
        return dict(self.field_access).get(category, ())

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types only, so that what is stored reads back equal."""
        data = asdict(self)
        data["repeat_definition"] = self.repeat_definition.value
        data["risk_items"] = [asdict(item) for item in self.risk_items]
        data["field_access"] = {
            category.value: [agency.value for agency in agencies]
            for category, agencies in self.field_access
        }
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> PanelSettings:
        """Stored settings over the defaults; unknown keys (from older versions) are ignored."""
        if not data:
            return cls()
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "risk_items" in values:
            values["risk_items"] = tuple(
                RiskItem(key=item["key"], label=item["label"], weight=item["weight"])
                for item in values["risk_items"]
            )
        if "repeat_definition" in values:
            values["repeat_definition"] = RepeatDefinition(values["repeat_definition"])
        if "field_access" in values:
            stored = values["field_access"]
            values["field_access"] = tuple(
                (category, tuple(AgencyType(a) for a in stored.get(category.value, ())))
                for category in FieldCategory
            )
        return cls(**values)

    def with_changes(self, **changes: Any) -> PanelSettings:
        updated = replace(self, **changes)
        updated.validate()
        return updated

    def validate(self) -> None:
        """Refuse settings no partnership may choose, naming every problem and its field."""
        problems = self.problems()
        if problems:
            raise InvalidSettings(problems)

    def problems(self) -> list[DomainError]:
        """Each rule the settings break, in the order the fields appear."""
        checks = [
            _between(
                self.dash_threshold, 1, len(DASH_ITEMS), "dash_threshold", "The DASH threshold"
            ),
            _between(
                self.escalation_incidents, 1, 50, "escalation_incidents", "Escalation incidents"
            ),
            _between(self.repeat_window_months, 1, 60, "repeat_window_months", "The repeat window"),
            _between(self.repeat_count, 2, 20, "repeat_count", "The repeat count"),
            _case_review_threshold(self.case_review_threshold),
            _between(
                self.case_review_window_months,
                1,
                6,
                "case_review_window_months",
                "The review window",
            ),
            *_risk_item_problems(self.risk_items),
            *_band_problems(self.medium_risk_from, self.high_risk_from, self.risk_items),
            _definitions_version(self.definitions_version),
            _between(self.break_glass_hours, 1, 12, "break_glass_hours", "Emergency access hours"),
        ]
        return [problem for problem in checks if problem is not None]


class InvalidSettings(DomainError):
    """Settings that break one or more rules; the message and field are the first problem's."""

    def __init__(self, problems: list[DomainError]) -> None:
        super().__init__(problems[0].message, field=problems[0].field)
        self.problems = problems


RISK_WEIGHT_MAX = 20
RISK_LABEL_MAX = 200
# Stored on each referral as `rules_version` (String(20)): a code, never free text.
DEFINITIONS_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,19}", re.ASCII)


def _between(value: int, low: int, high: int, name: str, label: str) -> DomainError | None:
    if low <= value <= high:
        return None
    return DomainError(f"{label} must be between {low} and {high}", field=name)


def _case_review_threshold(value: int) -> DomainError | None:
    # E25, domain §3.5: ASB, Crime and Policing Act 2014 s104 allows a local threshold of at
    # most three complaints.
    if 1 <= value <= 3:
        return None
    return DomainError(
        "The ASB Case Review threshold must be between 1 and 3 complaints: the law does "
        "not allow a threshold higher than three",
        field="case_review_threshold",
    )


def _risk_item_problems(items: tuple[RiskItem, ...]) -> list[DomainError]:
    """Per question of the matrix; fields are named risk_items-<index>-<attribute>."""
    problems = []
    for index, item in enumerate(items):
        number = index + 1
        if not item.label.strip():
            problems.append(
                DomainError(
                    f"Enter the text of question {number}", field=f"risk_items-{index}-label"
                )
            )
        elif len(item.label) > RISK_LABEL_MAX:
            problems.append(
                DomainError(
                    f"Question {number} must be {RISK_LABEL_MAX} characters or fewer",
                    field=f"risk_items-{index}-label",
                )
            )
        if item.weight < 0:
            problems.append(
                DomainError(
                    f"The weight of question {number} cannot be negative",
                    field=f"risk_items-{index}-weight",
                )
            )
        elif item.weight > RISK_WEIGHT_MAX:
            problems.append(
                DomainError(
                    f"The weight of question {number} must be {RISK_WEIGHT_MAX} or less",
                    field=f"risk_items-{index}-weight",
                )
            )
    return problems


def _band_problems(medium: int, high: int, items: tuple[RiskItem, ...]) -> list[DomainError]:
    """Bands must be ordered and the high band reachable by the matrix's highest score."""
    if medium < 1:
        return [
            DomainError("The medium risk band must start at 1 or more", field="medium_risk_from")
        ]
    if high <= medium:
        return [
            DomainError(
                "The high risk band must start above the medium risk band",
                field="high_risk_from",
            )
        ]
    top = sum(max(item.weight, 0) for item in items)
    if high > top:
        return [
            DomainError(
                f"The high risk band must start at or below the highest possible score ({top})",
                field="high_risk_from",
            )
        ]
    return []


def _definitions_version(value: str) -> DomainError | None:
    if DEFINITIONS_VERSION.fullmatch(value):
        return None
    return DomainError(
        "The definitions version must be 1 to 20 letters, numbers, full stops or hyphens, "
        "starting with a letter or number, like 2026-1",
        field="definitions_version",
    )


# The DASH risk checklist: 24 questions, answered yes / no / not known (domain §2.4). The topics
# are our own paraphrase; the licensed SafeLives wording is shown only where a partnership holds
# the licence (E17).
DASH_ITEMS = (
    "Has the current incident resulted in injury?",
    "Is the victim very frightened?",
    "Is the victim afraid of further injury or violence, to themselves or others?",
    "Is the victim isolated from family or friends?",
    "Is the victim feeling depressed or having suicidal thoughts?",
    "Has the victim separated, or tried to separate, within the past year?",
    "Is there conflict over child contact?",
    "Does the abuser constantly text, call, contact, follow or stalk the victim?",
    "Is the victim pregnant, or have they had a baby in the last 18 months?",
    "Is the abuse happening more often?",
    "Is the abuse getting worse?",
    "Does the abuser try to control everything and is excessively jealous?",
    "Has the abuser used weapons or objects to hurt the victim?",
    "Has the abuser threatened to kill the victim or someone else, and were they believed?",
    "Has the abuser attempted to strangle, choke, suffocate or drown the victim?",
    "Does the abuser do or say sexual things that make the victim feel bad or hurt them?",
    "Is there anyone else who has threatened the victim or whom they are afraid of?",
    "Has the abuser hurt anyone else (children, relatives, previous partners, others)?",
    "Has the abuser ever mistreated an animal or family pet?",
    "Are there financial issues, dependence on the abuser, or a recent loss of job?",
    "Has the abuser had problems with drugs, alcohol or mental health in the past year?",
    "Has the abuser ever threatened or attempted suicide?",
    "Has the abuser breached bail, an injunction or a contact agreement?",
    "Is the abuser known to have a criminal history or trouble with the police?",
)


# DASH questions whose answers are special-category or criminal-offence data (domain §8 R6):
# only viewers who see that category of field see their answers and comments. By position.
DASH_ITEM_CATEGORIES: dict[int, FieldCategory] = {
    5: FieldCategory.HEALTH,  # depression, suicidal thoughts
    7: FieldCategory.CHILDREN,  # conflict over child contact
    9: FieldCategory.HEALTH,  # pregnancy
    16: FieldCategory.HEALTH,  # sexual abuse
    21: FieldCategory.HEALTH,  # the abuser's drugs, alcohol, mental health
    22: FieldCategory.HEALTH,  # the abuser's suicide threats
    23: FieldCategory.POLICE_INTELLIGENCE,  # breaches of bail or orders
    24: FieldCategory.POLICE_INTELLIGENCE,  # criminal history
}


# The registry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PanelSpec:
    panel_type: PanelType
    reference_prefix: str
    criteria: tuple[Criterion, ...]
    sections: tuple[FormSection, ...]
    risk_tool: RiskTool
    same_case: SameCase
    default_cadence: MeetingCadence
    figures: tuple[str, ...]
    # The PanelSettings fields this type uses, in the order its settings page shows them.
    settings_used: tuple[str, ...]
    # Referrals for the victim below this age are refused (MARAC: 16+, domain §2.3, E15).
    minimum_victim_age: int | None = None
    under_age_message: str = ""
    needs_perpetrator: bool = False
    takes_referrals: bool = True
    transitions: Mapping[ReferralStatus, frozenset[ReferralStatus]] = field(
        default_factory=lambda: STANDARD_TRANSITIONS
    )

    @property
    def label(self) -> str:
        return self.panel_type.label

    def can_move(self, current: ReferralStatus, to: ReferralStatus) -> bool:
        return to in self.transitions.get(current, frozenset())


# Every type's information sharing settings (domain §8 R6, security R16), shown last.
SHARING_SETTINGS = ("break_glass_hours", "field_access")
# Channel, MACE and IOM have no national thresholds to set yet: a repeat window and the version.
BASIC_SETTINGS = ("repeat_window_months", "definitions_version", *SHARING_SETTINGS)

REGISTRY: Mapping[PanelType, PanelSpec] = {
    PanelType.MARAC: PanelSpec(
        panel_type=PanelType.MARAC,
        reference_prefix="MARAC",
        criteria=(
            Criterion.VISIBLE_HIGH_RISK,
            Criterion.PROFESSIONAL_JUDGEMENT,
            Criterion.POTENTIAL_ESCALATION,
            Criterion.REPEAT,
        ),
        sections=tuple(FormSection),
        risk_tool=RiskTool.DASH,
        same_case=SameCase.VICTIM_AND_PERPETRATOR,
        default_cadence=MeetingCadence.MONTHLY,
        figures=(
            "Cases discussed (repeats included)",
            "Repeat cases (%)",
            "Partner agency referrals (%)",
            "Children in the households",
            "Cases per 10,000 adult women",
        ),
        settings_used=(
            "dash_threshold",
            "escalation_incidents",
            "repeat_window_months",
            "repeat_definition",
            "definitions_version",
            *SHARING_SETTINGS,
        ),
        minimum_victim_age=16,
        under_age_message=(
            "MARAC is for victims aged 16 or over. Refer a child under 16 to children’s "
            "social care through your safeguarding procedures instead"
        ),
        needs_perpetrator=True,
    ),
    PanelType.COMMUNITY_MARAC: PanelSpec(
        panel_type=PanelType.COMMUNITY_MARAC,
        reference_prefix="CMARAC",
        criteria=(
            Criterion.VULNERABLE_VICTIM,
            Criterion.HIGH_RISK_OF_HARM,
            Criterion.ESCALATING_BEHAVIOUR,
            Criterion.NEEDS_MULTI_AGENCY_RESPONSE,
            Criterion.REPEAT,
        ),
        sections=(
            FormSection.ABOUT,
            FormSection.PEOPLE,
            FormSection.SAFETY,
            FormSection.REASONS,
            FormSection.RISK,
            FormSection.CONSENT,
        ),
        risk_tool=RiskTool.ASB_RISK_MATRIX,
        same_case=SameCase.SAME_PRIMARY_PERSON,
        default_cadence=MeetingCadence.MONTHLY,
        figures=(
            "Cases discussed",
            "Repeat cases (%)",
            "ASB Case Review: applications, threshold not met, reviews, recommendations",
        ),
        settings_used=(
            "risk_items",
            "medium_risk_from",
            "high_risk_from",
            "repeat_window_months",
            "repeat_count",
            "case_review_threshold",
            "case_review_window_months",
            "definitions_version",
            *SHARING_SETTINGS,
        ),
    ),
    PanelType.CHANNEL: PanelSpec(
        panel_type=PanelType.CHANNEL,
        reference_prefix="CHANNEL",
        criteria=(Criterion.SUSCEPTIBLE_TO_RADICALISATION,),
        sections=(FormSection.ABOUT, FormSection.PEOPLE, FormSection.REASONS),
        risk_tool=RiskTool.VULNERABILITY_ASSESSMENT_FRAMEWORK,
        same_case=SameCase.SAME_PRIMARY_PERSON,
        default_cadence=MeetingCadence.MONTHLY,
        figures=("Referrals discussed at panel", "Adopted as Channel cases"),
        settings_used=BASIC_SETTINGS,
        takes_referrals=False,
    ),
    PanelType.MACE: PanelSpec(
        panel_type=PanelType.MACE,
        reference_prefix="MACE",
        criteria=(Criterion.AT_RISK_OF_EXPLOITATION,),
        sections=(FormSection.ABOUT, FormSection.PEOPLE, FormSection.REASONS),
        risk_tool=RiskTool.EXPLOITATION_SCREENING,
        same_case=SameCase.SAME_PRIMARY_PERSON,
        default_cadence=MeetingCadence.MONTHLY,
        figures=("Children discussed", "Children by risk level"),
        settings_used=BASIC_SETTINGS,
        takes_referrals=False,
    ),
    PanelType.IOM: PanelSpec(
        panel_type=PanelType.IOM,
        reference_prefix="IOM",
        criteria=(Criterion.PERSISTENT_OFFENDING,),
        sections=(FormSection.ABOUT, FormSection.PEOPLE, FormSection.REASONS),
        risk_tool=RiskTool.OFFENDER_SCORING,
        same_case=SameCase.SAME_PRIMARY_PERSON,
        default_cadence=MeetingCadence.MONTHLY,
        figures=("People in the cohort", "Adopted and deselected"),
        settings_used=BASIC_SETTINGS,
        takes_referrals=False,
    ),
}


def spec_for(panel_type: PanelType) -> PanelSpec:
    return REGISTRY[panel_type]


# The confidentiality statement each attendee accepts for each meeting before seeing its
# agenda (domain §8 R3). A new wording gets a new version; declarations record the version.
CONFIDENTIALITY_STATEMENT_VERSION = "2026-1"
CONFIDENTIALITY_STATEMENT = (
    "I will keep everything shared at this meeting confidential, use it only for the panel's "
    "safeguarding purpose, share it only as the panel's information sharing protocol allows, "
    "and tell the coordinator at once if I have a personal connection to anyone discussed."
)
