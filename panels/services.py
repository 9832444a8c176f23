"""Admin operations on areas, panels and memberships. Each takes the acting admin explicitly."""

from __future__ import annotations

from app.accounts.models import User
from app.database import db
from app.database import flush_unique
from app.errors import DomainError
from panels.models import Area
from panels.models import MeetingCadence
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.models import PanelType


def create_area(*, actor: User, name: str) -> Area:
    area = Area(name=name.strip())
    db.session.add(area)
    flush_unique("An area with this name already exists", field="name")
    return area


def create_panel(
    *, actor: User, area: Area, panel_type: PanelType, name: str, cadence: MeetingCadence
) -> Panel:
    panel = Panel(area=area, panel_type=panel_type, name=name.strip(), meeting_cadence=cadence)
    db.session.add(panel)
    flush_unique("This area already has a panel with this name", field="name")
    return panel


def update_panel(
    panel: Panel, *, actor: User, name: str, cadence: MeetingCadence, active: bool
) -> Panel:
    """Rename or reschedule a panel. Its type and area are fixed: cases depend on them."""
    panel.name = name.strip()
    panel.meeting_cadence = cadence
    panel.active = active
    flush_unique("This area already has a panel with this name", field="name")
    return panel


def add_member(*, actor: User, panel: Panel, user: User, role: PanelRole) -> PanelMembership:
    if not user.is_active:
        raise DomainError("Only active accounts can join a panel", field="user_id")
    membership = PanelMembership(panel=panel, user=user, role=role)
    db.session.add(membership)
    flush_unique(f"{user.display_name} is already a member of this panel", field="user_id")
    return membership


def remove_member(membership: PanelMembership, *, actor: User) -> None:
    db.session.delete(membership)
    db.session.flush()
