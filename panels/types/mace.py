"""MACE: children at risk of criminal or sexual exploitation (domain §5).

Its panels take no referrals here yet: the spec holds what is known until its own issue, with
one case per person at its centre, a local repeat window and the standard lifecycle.
"""

from __future__ import annotations

from app.accounts.models import AgencyType
from panels.types.common import BASIC_SETTINGS
from panels.types.common import NOT_HEARD
from panels.types.common import STANDARD_TRANSITIONS
from panels.types.common import Criterion
from panels.types.common import Decision
from panels.types.common import FormSection
from panels.types.common import MeetingCadence
from panels.types.common import PanelSpec
from panels.types.common import PanelType
from panels.types.common import Quorum
from panels.types.common import RepeatRule
from panels.types.common import RiskTool
from panels.types.common import SameCase

# What a MACE panel decides (domain §5.3, §5.7): the child's risk level (the local scale of no
# risk, low or emerging, medium, high), or stepping down, closing or escalating to child
# protection, whose thresholds MACE never replaces.
DECISIONS = (
    Decision("risk_none", "Risk level: no risk of exploitation identified"),
    Decision("risk_low", "Risk level: low or emerging"),
    Decision("risk_medium", "Risk level: medium or moderate"),
    Decision("risk_high", "Risk level: high or significant"),
    Decision("stepped_down", "Stepped down to single-agency support or early help"),
    Decision("closed", "Closed: no further MACE involvement"),
    Decision("escalated_s47", "Escalated to child protection (section 47 strategy discussion)"),
    NOT_HEARD,
)

SPEC = PanelSpec(
    panel_type=PanelType.MACE,
    reference_prefix="MACE",
    criteria=(Criterion.AT_RISK_OF_EXPLOITATION,),
    sections=(FormSection.ABOUT, FormSection.PEOPLE, FormSection.REASONS),
    risk_tool=RiskTool.EXPLOITATION_SCREENING,
    same_case=SameCase.SAME_PRIMARY_PERSON,
    repeat_rule=RepeatRule(),
    default_cadence=MeetingCadence.MONTHLY,
    figures=("Children discussed", "Children by risk level"),
    settings_used=BASIC_SETTINGS,
    takes_referrals=False,
    transitions=STANDARD_TRANSITIONS,
    decisions=DECISIONS,
    quorum=Quorum(
        chair=True,
        agencies=3,
        agency_types=(AgencyType.POLICE, AgencyType.CHILDRENS_SOCIAL_CARE),
    ),
)
