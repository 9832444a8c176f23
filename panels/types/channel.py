"""Channel: people susceptible to being drawn into terrorism (Prevent, domain §4).

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

# What a Channel panel decides (domain §4.2, §4.5): whether to adopt the case and, once
# adopted, whether support continues, is reassessed when consent is refused or withdrawn
# (CTSA 2015 s36), or ends because the vulnerability is removed or significantly reduced.
DECISIONS = (
    Decision("adopted", "Adopted as a Channel case: consent to be sought for a support plan"),
    Decision(
        "not_adopted_other_support", "Not adopted: referred to health, social care or other support"
    ),
    Decision("not_adopted_police_led", "Not adopted: police-led Prevent Case Management"),
    Decision("remains_open", "Remains open: support plan reviewed"),
    Decision("reassess", "Consent refused or withdrawn: reassessment scheduled"),
    Decision("exit", "Exit: vulnerability removed or significantly reduced"),
    NOT_HEARD,
)

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
    decisions=DECISIONS,
    quorum=Quorum(
        chair=True,
        agencies=3,
        agency_types=(AgencyType.POLICE, AgencyType.COMMUNITY_SAFETY),
    ),
)
