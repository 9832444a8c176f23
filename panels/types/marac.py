"""MARAC: multi-agency risk assessment conferences for high-risk domestic abuse (domain §2).

Referred on the DASH risk checklist, professional judgement, potential escalation or as a
repeat; a case is a victim and their perpetrator(s); repeats follow the published definition
the partnership chose; a case may transfer to another area's MARAC.
"""

from __future__ import annotations

from app.accounts.models import AgencyType
from panels.types.common import MEETING_SETTINGS
from panels.types.common import NOT_HEARD
from panels.types.common import RETURN_SETTINGS
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
from panels.types.common import RiskLevel
from panels.types.common import RiskTool
from panels.types.common import SameCase

# What a MARAC decides about a case it hears (domain §2.6, §2.8): there is no MARAC "closure"
# that ends agencies' responsibilities, so the outcomes are a plan, a transfer or no more
# multi-agency action.
DECISIONS = (
    Decision("safety_plan", "Safety plan agreed"),
    Decision("safety_plan_review", "Safety plan agreed; to be heard again at the next meeting"),
    Decision("transfer", "Transfer to another area’s MARAC agreed"),
    Decision(
        "no_further_action",
        "No further multi-agency action: agencies continue their own support",
    ),
    NOT_HEARD,
)

SPEC = PanelSpec(
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
    repeat_rule=RepeatRule(published_definitions=True),
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
        *MEETING_SETTINGS,
        *RETURN_SETTINGS,
        *SHARING_SETTINGS,
    ),
    minimum_victim_age=16,
    under_age_message=(
        "MARAC is for victims aged 16 or over. Refer a child under 16 to children’s "
        "social care through your safeguarding procedures instead"
    ),
    needs_perpetrator=True,
    unassessed_risk_level=RiskLevel.HIGH,
    transfers_between_areas=True,
    repeat_rate=RepeatRateFigure(
        definition=(
            "A repeat case is one referred again within the repeat window of the case’s last "
            "referral: the same victim and the same perpetrator, under the definition of a repeat "
            "the panel has chosen"
        ),
        national_comparison=True,
    ),
    safelives_return=True,
    transitions=STANDARD_TRANSITIONS,
    decisions=DECISIONS,
    quorum=Quorum(
        chair=True,
        agencies=4,
        agency_types=(AgencyType.POLICE, AgencyType.DOMESTIC_ABUSE_SERVICE),
    ),
)
