"""Scoped reads for referrals: the user's own, those awaiting screening, the panels to refer
to, and where a case may be transferred.

Who sees what is decided by `cases.policy`; these queries carry its scopes. Screening belongs
to the panel's coordinators. The meeting calendar and agendas are `cases.meetings.queries`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.database import db
from cases import policy
from cases.models import Case
from cases.referrals.models import Referral
from panels.models import Area
from panels.models import Panel
from panels.types.common import ReferralStatus

LIST_LIMIT = 100


def coordinated_panel_ids(user: User) -> frozenset[int]:
    """The panels the user coordinates, with their organisation's ISP signature in force."""
    return policy.viewer_of(user).panels.coordinates


def visible_referral(user: User, referral_id: int) -> Referral | None:
    """The referral if the user may see it (`policy.referral_scope`), else None."""
    return db.session.scalar(
        select(Referral).where(
            Referral.id == referral_id, policy.referral_scope(policy.viewer_of(user))
        )
    )


def referrals_by(user: User) -> Sequence[Referral]:
    """The user's own referrals, newest first (bounded)."""
    return db.session.scalars(
        select(Referral)
        .where(
            Referral.referrer_id == user.id,
            Referral.status != ReferralStatus.WITHDRAWN,
            policy.referral_scope(policy.viewer_of(user)),
        )
        .order_by(Referral.created_at.desc(), Referral.id.desc())
        .limit(LIST_LIMIT)
    ).all()


def awaiting_screening(user: User) -> Sequence[Referral]:
    """Submitted referrals on panels the user coordinates, oldest first (bounded)."""
    return db.session.scalars(
        select(Referral)
        .where(
            Referral.panel_id.in_(coordinated_panel_ids(user)),
            Referral.status == ReferralStatus.SUBMITTED,
        )
        .order_by(Referral.submitted_at, Referral.id)
        .limit(LIST_LIMIT)
        .options(selectinload(Referral.referring_agency))
    ).all()


def panels_to_refer_to(user: User) -> list[Panel]:
    """Active panels the user sits on that take referrals here."""
    panels = db.session.scalars(
        select(Panel)
        .join(Panel.area)
        .where(Panel.id.in_(policy.viewer_of(user).panels.panels), Panel.active.is_(True))
        .order_by(Area.name, Panel.name)
    ).all()
    return [panel for panel in panels if panel.spec.takes_referrals]


def transfer_targets(case: Case) -> Sequence[Panel]:
    """Active panels of the same kind in other areas (a transfer goes to another area)."""
    return db.session.scalars(
        select(Panel)
        .join(Panel.area)
        .where(
            Panel.panel_type == case.panel.panel_type,
            Panel.area_id != case.panel.area_id,
            Panel.active.is_(True),
        )
        .order_by(Area.name, Panel.name)
    ).all()
