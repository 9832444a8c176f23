"""Admin operations on areas, panels and memberships.

Each takes the acting admin explicitly and writes exactly one audit event.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

import audit
from app.accounts.models import AgencyType
from app.accounts.models import User
from app.database import db
from app.database import flush_unique
from app.database import uk_today
from app.errors import DomainError
from app.template_filters import uk_date
from audit import AuditAction
from panels.models import Area
from panels.models import Meeting
from panels.models import MeetingKind
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.policy import organisation_may_join
from panels.settings import PanelSettings
from panels.types.common import FieldCategory
from panels.types.common import MeetingCadence
from panels.types.common import PanelType


def create_area(*, actor: User, name: str) -> Area:
    area = Area(name=name.strip())
    db.session.add(area)
    flush_unique("An area with this name already exists", field="name")
    audit.record(
        actor=actor,
        action=AuditAction.AREA_CREATED,
        object=area,
        changes={"name": [None, area.name]},
    )
    return area


def create_panel(
    *, actor: User, area: Area, panel_type: PanelType, name: str, cadence: MeetingCadence
) -> Panel:
    panel = Panel(area=area, panel_type=panel_type, name=name.strip(), meeting_cadence=cadence)
    db.session.add(panel)
    flush_unique("This area already has a panel with this name", field="name")
    audit.record(
        actor=actor,
        action=AuditAction.PANEL_CREATED,
        object=panel,
        changes=audit.changes({}, _panel_fields(panel)),
    )
    return panel


def update_panel(
    panel: Panel, *, actor: User, name: str, cadence: MeetingCadence, active: bool
) -> Panel:
    """Rename or reschedule a panel. Its type and area are fixed: cases depend on them."""
    before = _panel_fields(panel)
    panel.name = name.strip()
    panel.meeting_cadence = cadence
    panel.active = active
    flush_unique("This area already has a panel with this name", field="name")
    audit.record(
        actor=actor,
        action=AuditAction.PANEL_UPDATED,
        object=panel,
        changes=audit.changes(before, _panel_fields(panel)),
    )
    return panel


class SettingsChangedMeanwhile(DomainError):
    """The settings were saved by someone else after the form was drawn."""

    def __init__(self) -> None:
        super().__init__(
            "Someone else saved this panel's settings while you were editing them, so yours "
            "were not saved. The settings as they are now are shown above the form: check "
            "your entries against them, then save again"
        )


def update_panel_settings(
    panel: Panel, *, actor: User, seen: str | None = None, **changes: Any
) -> PanelSettings:
    """Change a panel's [LOCAL] settings; only those its type uses, and only to allowed values.
    `seen` is the fingerprint of the settings the form was drawn from: if they have been saved
    since, nothing is saved and the person is told, rather than one admin silently putting
    back what another just changed. The row is locked first, so two saves cannot both pass."""
    if seen:
        db.session.refresh(panel, with_for_update={"of": Panel})
        if panel.settings.fingerprint != seen:
            raise SettingsChangedMeanwhile
    unused = sorted(set(changes) - set(panel.spec.settings_used))
    if unused:
        raise DomainError(f"A {panel.panel_type.label} panel has no such setting", field=unused[0])
    before = panel.settings
    after = before.with_changes(**changes)
    panel.local_settings = after.to_json()
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.PANEL_SETTINGS_CHANGED,
        object=panel,
        changes=_settings_changes(before, after),
    )
    return after


def add_member(*, actor: User, panel: Panel, user: User, role: PanelRole) -> PanelMembership:
    if not user.is_active:
        raise DomainError("Only active accounts can join a panel", field="user_id")
    problem = organisation_may_join(panel, user.organisation_id, uk_today())
    if problem is not None:
        # R1: only a current signatory's staff may sit on the panel.
        raise DomainError(
            f"{user.organisation.name} cannot join: {problem.replace('Your organisation', 'it')}",
            field="user_id",
        )
    membership = PanelMembership(panel=panel, user=user, role=role)
    db.session.add(membership)
    flush_unique(f"{user.display_name} is already a member of this panel", field="user_id")
    audit.record(
        actor=actor,
        action=AuditAction.MEMBERSHIP_ADDED,
        object=membership,
        changes=_membership_fields(membership, added=True),
    )
    return membership


def remove_member(membership: PanelMembership, *, actor: User) -> None:
    audit.record(
        actor=actor,
        action=AuditAction.MEMBERSHIP_REMOVED,
        object=membership,
        changes=_membership_fields(membership, added=False),
    )
    db.session.delete(membership)
    db.session.flush()


def _panel_fields(panel: Panel) -> dict[str, Any]:
    return {
        "name": panel.name,
        "panel_type": panel.panel_type,
        "area_id": panel.area.id,
        "meeting_cadence": panel.meeting_cadence,
        "active": panel.active,
    }


def _settings_changes(before: PanelSettings, after: PanelSettings) -> dict[str, Any]:
    """{field: [old, new]}, with the risk matrix as one weight and one label per question and
    field access as one comma-separated list of agency types per group of fields.

    Question labels and the population figure's source are typed by an admin, so like all
    free text they stay out of the trail: the event says only that they changed.
    """
    flat_before, flat_after = _flat_settings(before), _flat_settings(after)
    typed = frozenset(name for name in flat_before | flat_after if name.endswith(".label"))
    return audit.changes(flat_before, flat_after, sensitive=typed | {"population_source"})


def _flat_settings(settings: PanelSettings) -> dict[str, Any]:
    flat = {k: v for k, v in settings.to_json().items() if k not in ("risk_items", "field_access")}
    for item in settings.risk_items:
        flat[f"risk_items.{item.key}.weight"] = item.weight
        flat[f"risk_items.{item.key}.label"] = item.label
    # One readable value per group of fields, e.g. "field_access.location": "police,housing".
    for category in FieldCategory:
        agencies = set(settings.agencies_seeing(category))
        flat[f"field_access.{category.value}"] = ",".join(a for a in AgencyType if a in agencies)
    return flat


def _membership_fields(membership: PanelMembership, *, added: bool) -> dict[str, Any]:
    fields = {
        "panel_id": membership.panel.id,
        "user_id": membership.user.id,
        "role": str(membership.role),
    }
    return {name: [None, value] if added else [value, None] for name, value in fields.items()}


def schedule_meeting(
    *, actor: User | None, panel: Panel, held_on: date, kind: MeetingKind = MeetingKind.SCHEDULED
) -> Meeting:
    """Put a meeting of the panel in the calendar, so referrals can be listed for it. A panel
    meets at most once a day as a scheduled meeting and once as an emergency one: a second of
    the same kind on the same day is a mistake (the panel's row is locked first, so two adds
    cannot both pass). How far back or ahead is the form's concern, not this one's."""
    if not panel.active:
        raise DomainError("This panel is no longer active", field="held_on")
    db.session.refresh(panel, with_for_update={"of": Panel})
    already = db.session.scalar(
        select(Meeting.id).where(
            Meeting.panel_id == panel.id, Meeting.held_on == held_on, Meeting.kind == kind
        )
    )
    if already is not None:
        article = "an" if kind is MeetingKind.EMERGENCY else "a"
        raise DomainError(
            f"{panel.name} already has {article} {kind.value} meeting on {uk_date(held_on)}: "
            "choose another date, or use that meeting",
            field="held_on",
        )
    meeting = Meeting(panel=panel, held_on=held_on, kind=kind)
    db.session.add(meeting)
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.MEETING_SCHEDULED,
        object=meeting,
        changes={
            "panel_id": [None, panel.id],
            "held_on": [None, held_on.isoformat()],
            "kind": [None, kind.value],
        },
    )
    return meeting
