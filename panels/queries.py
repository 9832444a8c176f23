"""Read helpers for panels and memberships."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from panels.models import Area
from panels.models import IspAgreement
from panels.models import IspSignatory
from panels.models import Panel
from panels.models import PanelMembership
from panels.policy import organisation_may_join


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


# The ISP register (domain §8 R1) ----------------------------------------------------------


class SignatureStatus(StrEnum):
    IN_FORCE = "in force"
    NOT_YET_STARTED = "not yet started"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return self.value.capitalize()


def signature_status(signatory: IspSignatory, day: date) -> SignatureStatus:
    """Where a signature stands on the day; withdrawal wins over every other state."""
    if signatory.withdrawn_on is not None and signatory.withdrawn_on <= day:
        return SignatureStatus.WITHDRAWN
    if day < signatory.signed_on:
        return SignatureStatus.NOT_YET_STARTED
    if day > signatory.review_on:
        return SignatureStatus.LAPSED
    return SignatureStatus.IN_FORCE


def agreements_of(panel: Panel) -> Sequence[IspAgreement]:
    """The panel's ISP versions, newest start date first, with their signatories."""
    return (
        db.session.scalars(
            select(IspAgreement)
            .where(IspAgreement.panel_id == panel.id)
            .options(selectinload(IspAgreement.signatories))
            .order_by(IspAgreement.in_force_from.desc(), IspAgreement.id.desc())
        )
        .unique()
        .all()
    )


@dataclass(frozen=True)
class IspRegister:
    """A panel's ISP register as it stands on one day, for the admin's register page and the
    members' panel page: every version, newest first, with its signatures."""

    agreements: Sequence[IspAgreement]
    day: date

    @property
    def in_force(self) -> IspAgreement | None:
        """The latest version that has started (the one `policy.agreements_in_force` finds)."""
        return next((a for a in self.agreements if a.in_force_from <= self.day), None)

    def version_state(self, agreement: IspAgreement) -> str:
        in_force = self.in_force
        if in_force is not None and agreement.id == in_force.id:
            return "In force"
        return "Not yet in force" if agreement.in_force_from > self.day else "Replaced"

    def status(self, signatory: IspSignatory) -> SignatureStatus:
        return signature_status(signatory, self.day)


def isp_register(panel: Panel, day: date) -> IspRegister:
    return IspRegister(agreements_of(panel), day)


def agreement_of(panel: Panel, agreement_id: int) -> IspAgreement | None:
    """One version of the panel's ISP, or None if it is missing or another panel's."""
    return db.session.scalar(
        select(IspAgreement).where(
            IspAgreement.id == agreement_id, IspAgreement.panel_id == panel.id
        )
    )


def signatory_of(panel: Panel, signatory_id: int) -> IspSignatory | None:
    """One signature on a version of the panel's ISP, or None if missing or another panel's."""
    return db.session.scalar(
        select(IspSignatory)
        .join(IspSignatory.agreement)
        .where(IspSignatory.id == signatory_id, IspAgreement.panel_id == panel.id)
    )


def organisations_to_sign(agreement: IspAgreement) -> Sequence[Organisation]:
    """Active organisations that have not signed this version yet."""
    signed = select(IspSignatory.organisation_id).where(IspSignatory.agreement_id == agreement.id)
    return db.session.scalars(
        select(Organisation)
        .where(Organisation.active.is_(True), Organisation.id.not_in(signed))
        .order_by(Organisation.name)
    ).all()


@dataclass(frozen=True)
class UnsignedOrganisation:
    """An organisation with members on the panel who have no access, and why."""

    organisation: Organisation
    members: tuple[User, ...]
    reason: str


def members_without_access(panel: Panel, day: date) -> list[UnsignedOrganisation]:
    """Members whose organisations are not current signatories of the version in force."""
    by_organisation: dict[int, list[User]] = {}
    for membership in members_of(panel):
        by_organisation.setdefault(membership.user.organisation_id, []).append(membership.user)
    found = []
    for organisation_id, users in by_organisation.items():
        reason = organisation_may_join(panel, organisation_id, day)
        if reason is not None:
            found.append(
                UnsignedOrganisation(
                    users[0].organisation, tuple(users), reason.replace("Your organisation", "It")
                )
            )
    return sorted(found, key=lambda unsigned: unsigned.organisation.name)
