"""Hand-built report fixtures: areas, panels, meetings and listings written straight to the
tables the report counts, so each test states exactly the history it counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from app.accounts.models import User
from app.database import db
from app.keys.models import DataKey
from app.keys.models import KeyPurpose
from app.keys.store import key_store
from cases.referrals.models import Referral
from panels.models import Area
from panels.models import Meeting
from panels.models import Panel
from panels.types.common import MeetingCadence
from panels.types.common import PanelType
from panels.types.common import ReferralStatus


@dataclass
class History:
    """Writes a panel's meetings and listings; call inside an app context."""

    referrer: User
    key: DataKey | None = None

    def panel(
        self, area: Area | str, panel_type: PanelType = PanelType.MARAC, name: str | None = None
    ) -> Panel:
        area_obj = area if isinstance(area, Area) else Area(name=area)
        made = Panel(
            area=area_obj,
            name=name or f"{area_obj.name} {panel_type.value}",
            panel_type=panel_type,
            meeting_cadence=MeetingCadence.MONTHLY,
        )
        db.session.add(made)
        db.session.flush()
        return made

    def meeting(self, panel: Panel, held_on: date) -> Meeting:
        meeting = Meeting(panel=panel, held_on=held_on)
        db.session.add(meeting)
        db.session.flush()
        return meeting

    def referral(
        self,
        panel: Panel,
        *,
        referred_on: date,
        meeting: Meeting | None = None,
        repeat: bool = False,
        status: ReferralStatus | None = None,
        transferred_from: Referral | None = None,
        **columns: Any,
    ) -> Referral:
        """A referral, listed at `meeting` if given (status LISTED unless said otherwise);
        `columns` sets any other column (the referring agency, the coded answers)."""
        if self.key is None:
            self.key = key_store().new_key(KeyPurpose.CASE)
        referral = Referral(
            data_key=self.key,
            panel=panel,
            status=status or (ReferralStatus.LISTED if meeting else ReferralStatus.ACCEPTED),
            referrer_id=self.referrer.id,
            referring_agency_id=columns.pop("referring_agency_id", self.referrer.organisation_id),
            referred_on=referred_on,
            is_repeat=repeat,
            meeting=meeting,
            transferred_from=transferred_from,
            **columns,
        )
        db.session.add(referral)
        db.session.flush()
        return referral
