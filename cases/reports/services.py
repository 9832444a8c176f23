"""Changes to who reports on what: an administrator assigns a manager the areas they report
on, and takes them away. Each change is one audited event (design §4)."""

from __future__ import annotations

import audit
from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.database import db
from app.errors import DomainError
from audit import AuditAction
from cases.policy import forget_cached_scope
from cases.reports import queries
from cases.reports.models import ManagerArea
from panels.models import Area


def add_manager_area(manager: User, *, actor: User, area: Area) -> ManagerArea:
    """The manager will see the figures of the area's panels (and never their cases)."""
    if manager.global_role is not GlobalRole.MANAGER:
        raise DomainError(
            "Only a manager reports on areas: change their role to manager first", field="area_id"
        )
    if queries.manager_area(manager, area.id) is not None:
        raise DomainError(f"{manager.display_name} already reports on {area.name}", field="area_id")
    assigned = ManagerArea(user_id=manager.id, area=area, added_by_id=actor.id)
    db.session.add(assigned)
    db.session.flush()
    forget_cached_scope()
    audit.record(
        actor=actor,
        action=AuditAction.MANAGER_AREA_ADDED,
        object=manager,
        changes={"area_id": [None, area.id]},
    )
    return assigned


def remove_manager_area(manager: User, *, actor: User, area: Area) -> None:
    """The manager no longer sees the area's figures, from their next request."""
    assigned = queries.manager_area(manager, area.id)
    if assigned is None:
        raise DomainError(f"{manager.display_name} does not report on {area.name}")
    db.session.delete(assigned)
    db.session.flush()
    forget_cached_scope()
    audit.record(
        actor=actor,
        action=AuditAction.MANAGER_AREA_REMOVED,
        object=manager,
        changes={"area_id": [area.id, None]},
    )
