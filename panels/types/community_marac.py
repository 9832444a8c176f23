"""Community MARAC: vulnerable victims of anti-social behaviour, and the statutory ASB Case
Review its panels hold (domain §3).

Scored on a locally weighted risk matrix with local bands; one case per person at its centre;
a referral is a repeat when the case has the locally set number of referrals in the window.
"""

from __future__ import annotations

from app.accounts.models import AgencyType
from panels.types.common import MEETING_SETTINGS
from panels.types.common import NOT_HEARD
from panels.types.common import SHARING_SETTINGS
from panels.types.common import STANDARD_TRANSITIONS
from panels.types.common import Criterion
from panels.types.common import Decision
from panels.types.common import FormSection
from panels.types.common import MeetingCadence
from panels.types.common import PanelSpec
from panels.types.common import PanelType
from panels.types.common import Quorum
from panels.types.common import RepeatRateFigure
from panels.types.common import RepeatRule
from panels.types.common import RiskTool
from panels.types.common import SameCase

# What a Community MARAC decides about a case it hears (domain §3.6): a plan, reviewed at later
# meetings until the case closes with the risk reduced or is escalated.
DECISIONS = (
    Decision("action_plan", "Action plan agreed"),
    Decision("action_plan_review", "Action plan agreed; to be reviewed at the next meeting"),
    Decision("closed", "Closed: risk reduced"),
    Decision("escalated", "Escalated to MARAC or adult safeguarding"),
    NOT_HEARD,
)

SPEC = PanelSpec(
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
    repeat_rule=RepeatRule(counted=True),
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
        *MEETING_SETTINGS,
        *SHARING_SETTINGS,
    ),
    holds_case_reviews=True,
    repeat_rate=RepeatRateFigure(
        definition=(
            "A repeat case is one referred again about the same person, once the case has the "
            "panel’s set number of referrals within its repeat window (a local definition: "
            "there is no national one to compare with)"
        ),
    ),
    transitions=STANDARD_TRANSITIONS,
    decisions=DECISIONS,
    quorum=Quorum(
        chair=True,
        agencies=3,
        agency_types=(AgencyType.POLICE, AgencyType.COMMUNITY_SAFETY),
    ),
)
