"""Read helpers for panels and memberships."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from panels.models import Area
from panels.models import Panel
from panels.models import PanelMembership


def memberships_of(user: User) -> Sequence[PanelMembership]:
    """The user's panel memberships, panels in area then name order."""
    return db.session.scalars(
        select(PanelMembership)
        .join(PanelMembership.panel)
        .join(Panel.area)
        .where(PanelMembership.user_id == user.id)
        .order_by(Area.name, Panel.name)
    ).all()


def all_panels() -> Sequence[Panel]:
    return db.session.scalars(select(Panel).join(Panel.area).order_by(Area.name, Panel.name)).all()


def all_areas() -> Sequence[Area]:
    return db.session.scalars(select(Area).order_by(Area.name)).all()


def members_of(panel: Panel) -> Sequence[PanelMembership]:
    return db.session.scalars(
        select(PanelMembership)
        .join(PanelMembership.user)
        .where(PanelMembership.panel_id == panel.id)
        .order_by(PanelMembership.role, User.display_name)
    ).all()


def users_not_on(panel: Panel) -> Sequence[User]:
    """Active users who could be added to the panel."""
    on_panel = select(PanelMembership.user_id).where(PanelMembership.panel_id == panel.id)
    return db.session.scalars(
        select(User)
        .join(User.organisation)
        .where(User.active.is_(True), Organisation.active.is_(True), User.id.not_in(on_panel))
        .order_by(User.display_name)
    ).all()
