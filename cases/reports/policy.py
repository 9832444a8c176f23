"""Who sees which panels' figures (issue 20; domain R23; design §2).

A manager sees the aggregate figures of the panels in the areas an administrator assigned
them, and never a case. A panel's coordinators and chairs, in force, see their own panels'
figures. Nobody else sees any: a panel outside someone's scope answers the same recorded 404
as a panel that does not exist. Figures shown to anyone who does not run the panel leave it,
so they are shown with small numbers suppressed (R23), as every export is.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g
from flask import has_request_context
from sqlalchemy import ColumnElement
from sqlalchemy import false
from sqlalchemy import or_
from sqlalchemy import select

from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.database import db
from app.errors import NotFoundRefusal
from cases.reports.models import ManagerArea
from panels.models import Panel
from panels.policy import panel_access


@dataclass(frozen=True)
class ReportScope:
    areas: frozenset[int]  # areas the user manages (none unless their role is manager)
    runs: frozenset[int]  # panels the user coordinates or chairs, in force

    @property
    def empty(self) -> bool:
        return not (self.areas or self.runs)

    def panels(self) -> ColumnElement[bool]:
        """The panels in scope, as a condition on Panel."""
        if self.empty:
            return false()
        return or_(Panel.area_id.in_(self.areas), Panel.id.in_(self.runs))

    def exact_for(self, panel: Panel) -> bool:
        """Whether the user sees the panel's figures unsuppressed: only if they run it."""
        return panel.id in self.runs


def report_scope(user: User) -> ReportScope:
    """The user's reporting scope, worked out once per request."""
    if has_request_context():
        cached: dict[int, ReportScope] = g.setdefault("report_scope", {})
        if user.id not in cached:
            cached[user.id] = _work_out(user)
        return cached[user.id]
    return _work_out(user)


def forget_cached_scope() -> None:
    if has_request_context():
        g.pop("report_scope", None)


def _work_out(user: User) -> ReportScope:
    areas: frozenset[int] = frozenset()
    if user.global_role is GlobalRole.MANAGER:
        areas = frozenset(
            db.session.scalars(select(ManagerArea.area_id).where(ManagerArea.user_id == user.id))
        )
    return ReportScope(areas=areas, runs=panel_access(user).panel_wide)


def reportable_panel_or_404(user: User, panel_id: int) -> Panel:
    """The panel if its figures are in the user's scope; else the recorded 404 of a panel
    that does not exist, the same for missing and not yours."""
    panel = db.session.scalar(
        select(Panel).where(Panel.id == panel_id, report_scope(user).panels())
    )
    if panel is None:
        raise NotFoundRefusal(user, ("panels", panel_id))
    return panel
