"""IOM: integrated offender management of persistent offenders (domain §6).

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

# What an IOM panel decides (domain §6.3, §6.5): whether to adopt someone into the cohort,
# and at each review whether they stay, are paused in custody or are de-selected.
DECISIONS = (
    Decision("adopted", "Adopted into the cohort"),
    Decision("not_adopted", "Not adopted"),
    Decision("remains", "Remains in the cohort: plan reviewed"),
    Decision("in_custody", "Paused while in custody"),
    Decision("deselected", "De-selected"),
    NOT_HEARD,
)

SPEC = PanelSpec(
    panel_type=PanelType.IOM,
    reference_prefix="IOM",
    criteria=(Criterion.PERSISTENT_OFFENDING,),
    sections=(FormSection.ABOUT, FormSection.PEOPLE, FormSection.REASONS),
    risk_tool=RiskTool.OFFENDER_SCORING,
    same_case=SameCase.SAME_PRIMARY_PERSON,
    repeat_rule=RepeatRule(),
    default_cadence=MeetingCadence.MONTHLY,
    figures=("People in the cohort", "Adopted and deselected"),
    settings_used=BASIC_SETTINGS,
    takes_referrals=False,
    transitions=STANDARD_TRANSITIONS,
    decisions=DECISIONS,
    quorum=Quorum(
        chair=True,
        agencies=2,
        agency_types=(AgencyType.POLICE, AgencyType.PROBATION),
    ),
)
