"""Scoped reads for referrals and meetings.

Who sees what is decided by `cases.policy`; these queries carry its scopes. Screening and the
meeting calendar belong to the panel's coordinators.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.database import db
from cases import policy
from cases.models import Case
from cases.referrals.models import Referral
from panels.models import Area
from panels.models import Meeting
from panels.models import Panel
from panels.registry import ReferralStatus

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


def coordinated_panels(user: User) -> Sequence[Panel]:
    return db.session.scalars(
        select(Panel)
        .join(Panel.area)
        .where(Panel.id.in_(coordinated_panel_ids(user)))
        .order_by(Area.name, Panel.name)
    ).all()


def upcoming_meetings(panel_id: int, on_or_after: date) -> Sequence[Meeting]:
    """The panel's meetings from `on_or_after`, soonest first (bounded)."""
    return db.session.scalars(
        select(Meeting)
        .where(Meeting.panel_id == panel_id, Meeting.held_on >= on_or_after)
        .order_by(Meeting.held_on)
        .limit(24)
    ).all()


def meetings_for(user: User, since: date) -> list[tuple[Meeting, int]]:
    """Meetings of the user's coordinated panels from `since`, with how many referrals each
    has listed or heard (one grouped query)."""
    # Cases closed to the user's organisation are not counted: the count would show they exist.
    closed = policy.viewer_of(user).restricted
    listed = (
        select(Referral.meeting_id, func.count().label("n"))
        .where(
            Referral.status.in_([ReferralStatus.LISTED, ReferralStatus.HEARD]),
            Referral.case_id.not_in(closed),
        )
        .group_by(Referral.meeting_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Meeting, func.coalesce(listed.c.n, 0))
        .outerjoin(listed, listed.c.meeting_id == Meeting.id)
        .where(Meeting.panel_id.in_(coordinated_panel_ids(user)), Meeting.held_on >= since)
        .order_by(Meeting.held_on, Meeting.id)
        .limit(LIST_LIMIT)
    ).all()
    return [(meeting, count) for meeting, count in rows]


def agenda(meeting: Meeting, user: User) -> Sequence[Referral]:
    """The referrals listed (or heard) at a meeting, in referral order, leaving out any case
    the user may not see (one restricted against their organisation)."""
    return db.session.scalars(
        select(Referral)
        .where(
            Referral.meeting_id == meeting.id,
            policy.visible_case_ids_of(Referral.case_id, policy.viewer_of(user)),
            Referral.status.in_([ReferralStatus.LISTED, ReferralStatus.HEARD]),
        )
        .order_by(Referral.referred_on, Referral.id)
        .options(selectinload(Referral.case).selectinload(Case.people))
    ).all()


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
