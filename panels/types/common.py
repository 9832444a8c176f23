"""What every panel type is made of: the vocabulary a type's spec is written in (criteria, risk
tools and levels, the referral lifecycle, what makes a case and a repeat, form sections, field
categories) and `PanelSpec` itself. Each type's module declares its own spec from these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from enum import StrEnum

from app.accounts.models import AgencyType


class PanelType(StrEnum):
    MARAC = "marac"
    COMMUNITY_MARAC = "community_marac"
    CHANNEL = "channel"
    MACE = "mace"
    IOM = "iom"

    @property
    def label(self) -> str:
        return PANEL_TYPE_LABELS[self]


PANEL_TYPE_LABELS = {
    PanelType.MARAC: "MARAC (high-risk domestic abuse)",
    PanelType.COMMUNITY_MARAC: "Community MARAC (anti-social behaviour)",
    PanelType.CHANNEL: "Channel (Prevent)",
    PanelType.MACE: "MACE (child exploitation)",
    PanelType.IOM: "IOM (integrated offender management)",
}


class MeetingCadence(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    FOUR_WEEKLY = "four_weekly"
    MONTHLY = "monthly"
    AS_NEEDED = "as_needed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize().replace("Four weekly", "Every four weeks")


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

    @property
    def joins_case(self) -> str:
        """The rule in words, for the coordinator confirming matches at screening."""
        return {
            "victim_and_perpetrator": "a referral about the same victim and perpetrator joins "
            "their case",
            "same_primary_person": "a referral about the same person joins their case",
        }[self.value]


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


@dataclass(frozen=True)
class RepeatRule:
    """When a referral repeats an earlier one of its case (domain §2.5, §3.7).

    Uncounted (MARAC, E1), a referral is a repeat when it falls within the repeat window of the
    case's last accepted referral. Counted (Community MARAC), it is a repeat when, with it, the
    case has `repeat_count` accepted referrals within the window. Where guidance publishes
    definitions of a repeat (MARAC), each accepted referral records the one the partnership
    chose; elsewhere the definition is local."""

    counted: bool = False
    published_definitions: bool = False

    def definition(self, chosen: RepeatDefinition) -> RepeatDefinition:
        """The definition recorded on a referral, given the one in the panel's settings."""
        return chosen if self.published_definitions else RepeatDefinition.LOCAL


@dataclass(frozen=True)
class RepeatRateFigure:
    """How a type reports its repeat rate (domain §2.10, §2.10.1, §3.7): repeat cases heard
    ÷ all cases heard, by meeting date. `definition` says in words what made a referral a
    repeat; `national_comparison` is whether the published benchmark band and national figure
    apply (MARAC: SafeLives publishes both; a Community MARAC's repeat is defined locally)."""

    definition: str
    national_comparison: bool = False


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


@dataclass(frozen=True)
class Quorum:
    """When a meeting may go ahead: the chair present (if needed), at least `agencies`
    agencies attending, and someone attending for each of `agency_types` [LOCAL]."""

    chair: bool = True
    agencies: int = 3
    agency_types: tuple[AgencyType, ...] = ()


# Every type's quorum settings (domain §2.6, §3.4, §4.4, §5.4): its spec gives the defaults.
QUORUM_SETTINGS = ("quorum_chair", "quorum_agencies", "quorum_agency_types")
# Every type's meeting settings: when the agenda opens to members, then the quorum.
MEETING_SETTINGS = ("agenda_days_before", *QUORUM_SETTINGS)
# Every type's information sharing settings (domain §8 R6, security R16), shown last.
SHARING_SETTINGS = (
    "break_glass_hours",
    "break_glass_at_once",
    "break_glass_per_day",
    "field_access",
)
# What the SafeLives MARAC return counts against (domain §2.10, E6): the population the panel
# covers and its IDVA and administrator capacity.
RETURN_SETTINGS = ("adult_female_population", "population_source", "idva_fte", "admin_fte")
# Channel, MACE and IOM have no national thresholds to set yet: a repeat window and the version.
BASIC_SETTINGS = (
    "repeat_window_months",
    "definitions_version",
    *MEETING_SETTINGS,
    *SHARING_SETTINGS,
)


@dataclass(frozen=True)
class Decision:
    """What a panel decided about a case at a meeting, in the type's own terms (domain §2.8,
    §3.6, §4.5, §5.3, §5.7, §6.5): a code the minutes store, and its words."""

    code: str
    label: str


# Every type's last choice: a case on the agenda the panel did not reach, or deferred, has
# this recorded rather than nothing, so the approved minutes say what became of every case.
NOT_HEARD = Decision("not_heard", "Not heard: carried forward to the next meeting")


@dataclass(frozen=True)
class PanelSpec:
    """How one type of panel behaves: what feature code asks instead of testing the type."""

    panel_type: PanelType
    reference_prefix: str
    criteria: tuple[Criterion, ...]
    sections: tuple[FormSection, ...]
    risk_tool: RiskTool
    same_case: SameCase
    repeat_rule: RepeatRule
    default_cadence: MeetingCadence
    figures: tuple[str, ...]
    # The PanelSettings fields this type uses, in the order its settings page shows them.
    settings_used: tuple[str, ...]
    # Referrals for the victim below this age are refused (MARAC: 16+, domain §2.3, E15).
    minimum_victim_age: int | None = None
    under_age_message: str = ""
    needs_perpetrator: bool = False
    takes_referrals: bool = True
    # The level a referral submitted without a risk assessment is given (MARAC: every referral
    # that meets its criteria is high risk, domain §2.3); None leaves it unrecorded.
    unassessed_risk_level: RiskLevel | None = None
    # Whether the type's panels hold ASB Case Reviews (Community MARAC, domain §3.5).
    holds_case_reviews: bool = False
    # How its repeat rate is reported, or None where the type reports none yet (issue 20).
    repeat_rate: RepeatRateFigure | None = None
    # Whether its panels make the SafeLives MARAC quarterly return (domain §2.10, issue 20).
    safelives_return: bool = False
    # Whether a case may move to the same type's panel in another area (domain §2.6, E9).
    transfers_between_areas: bool = False
    # Whether a subject access request matching someone in one of its cases alerts the panel's
    # coordinators (Channel: that someone is known to it is itself sensitive, issue 26).
    alerts_on_subject_access: bool = False
    transitions: Mapping[ReferralStatus, frozenset[ReferralStatus]] = field(
        default_factory=lambda: STANDARD_TRANSITIONS
    )
    # The quorum a panel of this type has until it sets its own (a panel setting).
    quorum: Quorum = field(default_factory=Quorum)
    # What its panels decide about a case at a meeting, as the minutes record it (issue 21).
    decisions: tuple[Decision, ...] = (NOT_HEARD,)

    @property
    def label(self) -> str:
        return self.panel_type.label

    @property
    def label_with_article(self) -> str:
        """The label with its article, as a sentence uses it: a MARAC, an IOM. Every label is
        an initialism or a name, read letter by letter or as written: its first letter decides."""
        article = "an" if self.label[:1].upper() in "AEIOU" else "a"
        return f"{article} {self.label}"

    def can_move(self, current: ReferralStatus, to: ReferralStatus) -> bool:
        return to in self.transitions.get(current, frozenset())

    def decision(self, code: str | None) -> Decision | None:
        """The type's decision with this code (None: no such decision for this type)."""
        return next((d for d in self.decisions if d.code == code), None)
