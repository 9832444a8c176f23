"""Who sits on a panel today. A membership is in force only while the member's organisation has
signed the panel's information sharing protocol in its version in force, before the review date
and without withdrawing (domain §8 R1, security R17). Everything that reads panel data starts
from `panel_access`; `cases.policy` builds every case, referral and meeting decision on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask import g
from flask import has_request_context
from sqlalchemy import and_
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app.accounts.models import AgencyType
from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.database import db
from app.database import uk_today
from app.errors import NotFoundRefusal
from app.template_filters import uk_date
from panels.models import IspAgreement
from panels.models import IspSignatory
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole

# Chairs run the meeting and confirm its decisions, so they read the whole panel as
# coordinators do; only coordinators change what is on it (screening, listing, transfers).
PANEL_WIDE_ROLES = frozenset({PanelRole.COORDINATOR, PanelRole.CHAIR})


@dataclass(frozen=True)
class Suspension:
    """A membership not in force, and why, so the member is told rather than left guessing."""

    panel: Panel
    reason: str


@dataclass(frozen=True)
class PanelAccess:
    """A user's memberships in force on one day: worked out once per request."""

    user_id: int
    organisation_id: int
    agency_type: AgencyType
    roles: Mapping[int, PanelRole]  # panel id -> role, memberships in force only
    suspended: tuple[Suspension, ...] = ()

    def panels_as(self, *roles: PanelRole) -> frozenset[int]:
        return frozenset(panel for panel, role in self.roles.items() if role in roles)

    @property
    def panels(self) -> frozenset[int]:
        return frozenset(self.roles)

    @property
    def coordinates(self) -> frozenset[int]:
        return self.panels_as(PanelRole.COORDINATOR)

    @property
    def panel_wide(self) -> frozenset[int]:
        return self.panels_as(*PANEL_WIDE_ROLES)

    @property
    def represents(self) -> frozenset[int]:
        return self.panels_as(PanelRole.REPRESENTATIVE)

    def sits_on(self, panel_id: int) -> bool:
        return panel_id in self.roles

    def coordinator_of(self, panel_id: int) -> bool:
        return self.roles.get(panel_id) is PanelRole.COORDINATOR


def panel_access(user: User, day: date | None = None) -> PanelAccess:
    """The user's memberships in force today (or on `day`), cached for the request."""
    if day is None and has_request_context():
        cached: dict[int, PanelAccess] = g.setdefault("panel_access", {})
        if user.id not in cached:
            cached[user.id] = _work_out(user, uk_today())
        return cached[user.id]
    return _work_out(user, day or uk_today())


def forget_cached_access() -> None:
    """Drop this request's cached access, after a change to memberships or the register."""
    if has_request_context():
        g.pop("panel_access", None)


def _work_out(user: User, day: date) -> PanelAccess:
    # One query: each membership with every ISP version of its panel that has started and the
    # user's organisation's signature on it, if any; the latest version is the one in force.
    rows = db.session.execute(
        select(PanelMembership.panel_id, PanelMembership.role, IspAgreement, IspSignatory)
        .outerjoin(
            IspAgreement,
            and_(
                IspAgreement.panel_id == PanelMembership.panel_id,
                IspAgreement.in_force_from <= day,
            ),
        )
        .outerjoin(
            IspSignatory,
            and_(
                IspSignatory.agreement_id == IspAgreement.id,
                IspSignatory.organisation_id == user.organisation_id,
            ),
        )
        .where(PanelMembership.user_id == user.id)
        .order_by(PanelMembership.panel_id, IspAgreement.in_force_from, IspAgreement.id)
        # Not joined: their inner joins would drop the rows of versions not signed.
        .options(lazyload(IspAgreement.panel), lazyload(IspSignatory.organisation))
    ).all()
    latest: dict[int, tuple[PanelRole, IspAgreement | None, IspSignatory | None]] = {}
    for panel_id, role, agreement, signatory in rows:
        latest[panel_id] = (role, agreement, signatory)  # ordered: the latest version wins
    roles: dict[int, PanelRole] = {}
    suspended: list[Suspension] = []
    for panel_id, (role, in_force, signature) in latest.items():
        reason = signature_problem(in_force, signature, day)
        if reason is None:
            roles[panel_id] = role
        else:
            suspended.append(Suspension(db.session.get_one(Panel, panel_id), reason))
    return PanelAccess(
        user_id=user.id,
        organisation_id=user.organisation_id,
        agency_type=user.organisation.agency_type,
        roles=roles,
        suspended=tuple(suspended),
    )


def agreements_in_force(panel_ids: Sequence[int], day: date) -> dict[int, IspAgreement]:
    """Each panel's ISP version in force on the day: the latest that has started."""
    if not panel_ids:
        return {}
    agreements = db.session.scalars(
        select(IspAgreement)
        .where(IspAgreement.panel_id.in_(panel_ids), IspAgreement.in_force_from <= day)
        .order_by(IspAgreement.in_force_from, IspAgreement.id)
        .options(lazyload(IspAgreement.panel))
    ).all()
    return {agreement.panel_id: agreement for agreement in agreements}  # the latest wins


def _signatures(organisation_id: int, agreement_ids: Sequence[int]) -> dict[int, IspSignatory]:
    if not agreement_ids:
        return {}
    rows = db.session.scalars(
        select(IspSignatory).where(
            IspSignatory.organisation_id == organisation_id,
            IspSignatory.agreement_id.in_(agreement_ids),
        )
    )
    return {signatory.agreement_id: signatory for signatory in rows}


def signature_problem(
    agreement: IspAgreement | None, signatory: IspSignatory | None, day: date
) -> str | None:
    """Why an organisation's staff cannot use a panel on the day, or None when they can."""
    if agreement is None:
        return "The panel has no information sharing protocol in force."
    if signatory is None:
        return (
            f"Your organisation has not signed version {agreement.version} of the panel's "
            f"information sharing protocol, in force since {uk_date(agreement.in_force_from)}."
        )
    if signatory.withdrawn_on is not None and signatory.withdrawn_on <= day:
        return (
            "Your organisation withdrew from the panel's information sharing protocol on "
            f"{uk_date(signatory.withdrawn_on)}."
        )
    if day < signatory.signed_on:
        return (
            "Your organisation's signature on the panel's information sharing protocol takes "
            f"effect on {uk_date(signatory.signed_on)}."
        )
    if day > signatory.review_on:
        return (
            "Your organisation's signature on the panel's information sharing protocol "
            f"lapsed when its review date passed on {uk_date(signatory.review_on)}."
        )
    return None


def signed_in_force(panel: Panel, day: date) -> frozenset[int]:
    """The organisations whose signature of the panel's ISP version in force holds on the day."""
    agreement = agreements_in_force([panel.id], day).get(panel.id)
    if agreement is None:
        return frozenset()
    return frozenset(
        signatory.organisation_id
        for signatory in agreement.signatories
        if signature_problem(agreement, signatory, day) is None
    )


def members_to_tell(
    panel_id: int, *roles: PanelRole, organisation_id: int | None = None
) -> list[User]:
    """The panel's active members in these roles (of this agency, if given) whose membership
    is in force today: whom a notification about the panel goes to. Anyone whose agency's
    signature has lapsed, or who is suspended, is not told, as they could not open it."""
    statement = (
        select(User)
        .join(PanelMembership, PanelMembership.user_id == User.id)
        .where(
            PanelMembership.panel_id == panel_id,
            PanelMembership.role.in_(roles),
            User.active.is_(True),
        )
        .order_by(User.id)
    )
    if organisation_id is not None:
        statement = statement.where(User.organisation_id == organisation_id)
    people = db.session.scalars(statement).unique().all()
    return [person for person in people if panel_access(person).roles.get(panel_id) in roles]


def admins() -> list[User]:
    """The deployment's active administrators (told of changes to the ISP register)."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.global_role == GlobalRole.ADMIN, User.active.is_(True))
            .order_by(User.id)
        )
    )


def member_panel_or_404(user: User, panel_id: int) -> Panel:
    """The panel, for its page, if the user sits on it today in any role.

    Every member whose membership is in force may read it: coordinators and chairs run the
    panel, and representatives need to know the protocol their agency shares under, who else
    is at the table and the settings that decide what they see (domain §8 R1, R5). A member
    whose organisation's signature is not in force, and anyone not on the panel (an
    administrator included: theirs is the admin page), gets the recorded 404 of a panel that
    does not exist.
    """
    panel = db.session.get(Panel, panel_id) if panel_access(user).sits_on(panel_id) else None
    if panel is None:
        raise NotFoundRefusal(user, ("panels", panel_id))
    return panel


def organisation_may_join(panel: Panel, organisation_id: int, day: date) -> str | None:
    """Why staff of the organisation cannot be made members of the panel, or None."""
    agreement = agreements_in_force([panel.id], day).get(panel.id)
    signatory = (
        _signatures(organisation_id, [agreement.id]).get(agreement.id) if agreement else None
    )
    return signature_problem(agreement, signatory, day)
