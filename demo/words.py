"""What the demo's agencies write: case notes in each panel type's own language, and the
actions each kind of agency would volunteer at a MARAC or Community MARAC meeting.

A note is written by someone on the panel, so each is kept with the kinds of agency that would
write it (None: anyone on the panel, the coordinator included).
"""

from __future__ import annotations

from app.accounts.models import AgencyType
from panels.types.common import PanelType

A = AgencyType
Notes = tuple[tuple[frozenset[AgencyType] | None, str], ...]


def _by(*agencies: AgencyType) -> frozenset[AgencyType]:
    return frozenset(agencies)


NOTES: dict[PanelType, Notes] = {
    PanelType.MARAC: (
        (None, "MARAC research completed; nothing held beyond what was shared at referral."),
        (None, "Case to come back to MARAC if any further incident is reported within a year."),
        (
            _by(A.DOMESTIC_ABUSE_SERVICE),
            "IDVA spoke to the victim at an agreed safe time and updated the safety plan.",
        ),
        (
            _by(A.DOMESTIC_ABUSE_SERVICE),
            "Victim has accepted IDVA support and wants help applying for a non-molestation order.",
        ),
        (
            _by(A.POLICE),
            "Perpetrator arrested for breaching bail conditions; remanded until the next hearing.",
        ),
        (_by(A.POLICE), "Marker placed on the victim’s address for an urgent police response."),
        (
            _by(A.PROBATION),
            "Perpetrator is on licence; probation added a condition not to contact the victim.",
        ),
        (
            _by(A.CHILDRENS_SOCIAL_CARE),
            "Single assessment completed; the children are supported on a child in need plan.",
        ),
        (_by(A.HOUSING), "Extra locks and a door alarm fitted under the sanctuary scheme."),
        (
            _by(A.HEALTH),
            "GP records flagged; the victim will be seen alone at every appointment.",
        ),
    ),
    PanelType.COMMUNITY_MARAC: (
        (None, "Victim reports two more incidents of shouting and banging at the door this month."),
        (None, "Victim says they feel safer since the last meeting; no new incidents reported."),
        (
            _by(A.POLICE),
            "Evening patrols increased on the estate; one arrest for criminal damage to the door.",
        ),
        (
            _by(A.HOUSING),
            "Housing officer served a written warning on the neighbour’s tenancy.",
        ),
        (
            _by(A.HOUSING),
            "Housing offered the victim a management move; they would rather stay for now.",
        ),
        (
            _by(A.COMMUNITY_SAFETY),
            "ASB caseworker visited; the victim is keeping an incident diary.",
        ),
        (
            _by(A.COMMUNITY_SAFETY),
            "Community Protection Warning issued to the neighbour after repeated noise complaints.",
        ),
        (_by(A.HEALTH), "GP reports the victim’s anxiety has worsened since the incidents began."),
    ),
    PanelType.CHANNEL: (
        (
            None,
            "Vulnerability assessment reviewed; the person remains suitable for Channel support.",
        ),
        (None, "Mentor reports the person is engaging well; sessions continue fortnightly."),
        (
            _by(A.COMMUNITY_SAFETY),
            "Prevent lead met the person, who agreed to take part in Channel support.",
        ),
        (
            _by(A.COMMUNITY_SAFETY),
            "Intervention provider appointed; the first session was held at the library.",
        ),
        (_by(A.POLICE), "Police Prevent officer confirms no new information since the last panel."),
        (_by(A.HEALTH), "Mental health assessment offered alongside Channel support; accepted."),
        (
            _by(A.CHILDRENS_SOCIAL_CARE),
            "Checks made for the Channel panel: the household is not known to us.",
        ),
    ),
    PanelType.MACE: (
        (None, "Exploitation screening updated; the risk of criminal exploitation remains high."),
        (
            None,
            "The child was reported missing overnight at the weekend and found in another borough.",
        ),
        (
            _by(A.CHILDRENS_SOCIAL_CARE),
            "Return home interview completed; the child would not say where they had been.",
        ),
        (
            _by(A.CHILDRENS_SOCIAL_CARE),
            "Strategy meeting held; the child is now on a child protection plan.",
        ),
        (
            _by(A.POLICE),
            "Child abduction warning notice served on the adult of concern.",
        ),
        (
            _by(A.POLICE),
            "Address linked to the adult of concern visited; two other children were found there.",
        ),
        (
            _by(A.HEALTH),
            "School nurse saw the child, who has a new phone and money they cannot explain.",
        ),
        (
            _by(A.COMMUNITY_SAFETY),
            "The park where the child has been seen with older men is now on the patrol plan.",
        ),
    ),
    PanelType.IOM: (
        (None, "Accommodation secured through the IOM housing pathway; moved in this week."),
        (
            _by(A.PROBATION),
            "Offender manager reports full compliance with licence conditions this month.",
        ),
        (
            _by(A.PROBATION),
            "Missed an appointment; a warning was issued and recall was not needed.",
        ),
        (_by(A.POLICE), "IOM police officer made a home visit; no concerns."),
        (_by(A.POLICE), "Arrested for shoplifting; charged and bailed to court."),
        (
            _by(A.HEALTH),
            "Drug treatment service reports regular attendance and a negative test this week.",
        ),
        (
            _by(A.COMMUNITY_SAFETY),
            "Started an employment course arranged through the IOM partnership.",
        ),
    ),
}


# How each panel type's case came to it, as the case summary says.
SUMMARIES = {
    PanelType.MARAC: "Referred to {panel} after a high-risk DASH assessment.",
    PanelType.COMMUNITY_MARAC: "Referred to {panel} after repeated reports of ASB.",
    PanelType.CHANNEL: "Referred to {panel} by the Prevent lead.",
    PanelType.MACE: "Referred to {panel} after exploitation screening.",
    PanelType.IOM: "Selected for the {panel} cohort.",
}


def notes_for(panel_type: PanelType, agency: AgencyType) -> list[str]:
    """The notes someone from `agency` might add to a case of the panel type."""
    return [text for kinds, text in NOTES[panel_type] if kinds is None or agency in kinds]


# What each kind of agency volunteers at a meeting (domain §2.6 and §3), by panel type.
ACTIONS: dict[PanelType, dict[AgencyType, tuple[str, ...]]] = {
    PanelType.MARAC: {
        A.POLICE: (
            "Flag the address for an urgent police response.",
            "Check the perpetrator’s bail conditions and act on any breach.",
        ),
        A.DOMESTIC_ABUSE_SERVICE: (
            "IDVA to review the safety plan with the victim at a safe time.",
            "IDVA to support the victim to apply for a non-molestation order.",
        ),
        A.HOUSING: (
            "Fit a door alarm and extra locks under the sanctuary scheme.",
            "Offer the victim a management move if they want to leave the address.",
        ),
        A.PROBATION: (
            "Offer the perpetrator programme and report on attendance.",
            "Review the perpetrator’s licence conditions to add no contact with the victim.",
        ),
        A.CHILDRENS_SOCIAL_CARE: (
            "Complete a single assessment of the children’s needs.",
            "Tell the safeguarding lead at each child’s school about the MARAC.",
        ),
        A.EDUCATION: ("Share school attendance and any concerns about the children.",),
        A.HEALTH: ("Flag the victim’s GP records so they are seen alone at appointments.",),
        A.ADULT_SOCIAL_CARE: ("Complete a care and support assessment of the victim.",),
        A.COMMUNITY_SAFETY: (
            "Check council records for any other address linked to the perpetrator.",
        ),
    },
    PanelType.COMMUNITY_MARAC: {
        A.POLICE: (
            "Increase evening police patrols around the victim’s home for six weeks.",
            "Police to visit the victim after each new report and review the repeat calls.",
        ),
        A.HOUSING: (
            "Visit the neighbour and serve a written warning on their tenancy.",
            "Offer the victim a management move if they want one.",
        ),
        A.COMMUNITY_SAFETY: (
            "Issue a Community Protection Warning to the person causing the ASB.",
            "Give the victim an incident diary and check it with them every fortnight.",
        ),
        A.ADULT_SOCIAL_CARE: ("Complete a care and support assessment of the victim.",),
        A.HEALTH: ("Ask the victim’s GP to review the effect on their mental health.",),
        A.FIRE: ("Carry out a home fire safety visit and fit a letterbox guard.",),
        A.VOLUNTARY_SECTOR: ("Befriending service to call the victim every week.",),
    },
}
