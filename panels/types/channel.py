"""Channel: people susceptible to being drawn into terrorism (Prevent, domain §4).

Its panels take no referrals here yet: the spec holds what is known until its own issue, with
one case per person at its centre, a local repeat window and the standard lifecycle.
"""

from __future__ import annotations

from app.accounts.models import AgencyType
from panels.types.common import BASIC_SETTINGS
from panels.types.common import STANDARD_TRANSITIONS
from panels.types.common import Criterion
from panels.types.common import FormSection
from panels.types.common import MeetingCadence
from panels.types.common import PanelSpec
from panels.types.common import PanelType
from panels.types.common import Quorum
from panels.types.common import RepeatRule
from panels.types.common import RiskTool
from panels.types.common import SameCase

SPEC = PanelSpec(
    panel_type=PanelType.CHANNEL,
    reference_prefix="CHANNEL",
    criteria=(Criterion.SUSCEPTIBLE_TO_RADICALISATION,),
    sections=(FormSection.ABOUT, FormSection.PEOPLE, FormSection.REASONS),
    risk_tool=RiskTool.VULNERABILITY_ASSESSMENT_FRAMEWORK,
    same_case=SameCase.SAME_PRIMARY_PERSON,
    repeat_rule=RepeatRule(),
    default_cadence=MeetingCadence.MONTHLY,
    figures=("Referrals discussed at panel", "Adopted as Channel cases"),
    settings_used=BASIC_SETTINGS,
    takes_referrals=False,
    alerts_on_subject_access=True,
    transitions=STANDARD_TRANSITIONS,
    quorum=Quorum(
        chair=True,
        agencies=3,
        agency_types=(AgencyType.POLICE, AgencyType.COMMUNITY_SAFETY),
    ),
)
