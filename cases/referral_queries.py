"""Scoped reads for referrals and meetings.

A referral is seen by its referrer and by the coordinators of its panel; nobody else, until it is
accepted into a case (whose own pages are scoped by panel). Meetings and screening belong to the
panel's coordinators.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement
from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.database import db
from cases.models import Case
from cases.models import Referral
from panels.models import Area
from panels.models import Meeting
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.registry import ReferralStatus

LIST_LIMIT = 100


def coordinated_panel_ids(user: User) -> Select[int]:
    return select(PanelMembership.panel_id).where(
        PanelMembership.user_id == user.id, PanelMembership.role == PanelRole.COORDINATOR
    )


def coordinates(user: User, panel_id: int) -> bool:
    return panel_id in db.session.scalars(coordinated_panel_ids(user)).all()


def member_panel_ids(user: User) -> Select[int]:
    return select(PanelMembership.panel_id).where(PanelMembership.user_id == user.id)


def _visible_to(user: User) -> ColumnElement[bool]:
    """Who sees a referral. Before screening: its referrer, and once sent the coordinators of
    the panel it was sent to. Once it belongs to a case, the case's panel decides: its
    coordinators, and the referrer while they still sit on it (a transfer moves the case and
    its history away from the sending panel's people)."""
    case_panel = select(Case.panel_id).where(Case.id == Referral.case_id).scalar_subquery()
    unscreened = and_(
        Referral.case_id.is_(None),
        or_(
            Referral.referrer_id == user.id,
            and_(
                Referral.submitted_at.is_not(None),
                Referral.panel_id.in_(coordinated_panel_ids(user)),
            ),
        ),
    )
    in_a_case = and_(
        Referral.case_id.is_not(None),
        or_(
            case_panel.in_(coordinated_panel_ids(user)),
            and_(Referral.referrer_id == user.id, case_panel.in_(member_panel_ids(user))),
        ),
    )
    return or_(unscreened, in_a_case)


def visible_referral(user: User, referral_id: int) -> Referral | None:
    """The referral if the user may see it (see `_visible_to`), else None (a 404)."""
    return db.session.scalar(select(Referral).where(Referral.id == referral_id, _visible_to(user)))


def referrals_by(user: User) -> Sequence[Referral]:
    """The user's own referrals, newest first (bounded)."""
    return db.session.scalars(
        select(Referral)
        .where(
            Referral.referrer_id == user.id,
            Referral.status != ReferralStatus.WITHDRAWN,
            _visible_to(user),
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
        .join(PanelMembership, PanelMembership.panel_id == Panel.id)
        .join(Panel.area)
        .where(PanelMembership.user_id == user.id, Panel.active.is_(True))
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


def visible_meeting(user: User, meeting_id: int) -> Meeting | None:
    return db.session.scalar(
        select(Meeting).where(
            Meeting.id == meeting_id, Meeting.panel_id.in_(coordinated_panel_ids(user))
        )
    )


def meetings_for(user: User, since: date) -> list[tuple[Meeting, int]]:
    """Meetings of the user's coordinated panels from `since`, with how many referrals each
    has listed or heard (one grouped query)."""
    listed = (
        select(Referral.meeting_id, func.count().label("n"))
        .where(Referral.status.in_([ReferralStatus.LISTED, ReferralStatus.HEARD]))
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


def agenda(meeting: Meeting) -> Sequence[Referral]:
    """The referrals listed (or heard) at a meeting, in referral order."""
    return db.session.scalars(
        select(Referral)
        .where(
            Referral.meeting_id == meeting.id,
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
