"""Scoped reads for meetings: the calendar of the panels a coordinator runs, the meetings a
referral can be listed at, an agenda, and the meetings a member attends without coordinating
them, with whether they have accepted each one's confidentiality statement (R3).

Who sees what is decided by `cases.policy`; these queries carry its scopes. The calendar and
listing belong to the panel's coordinators. Nothing of an agenda is read for the meetings a
member attends: their calendar shows only dates, panels and the declaration's status.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.database import db
from cases import policy
from cases.models import Case
from cases.referrals.models import Referral
from panels.models import Area
from panels.models import ConfidentialityDeclaration
from panels.models import Meeting
from panels.models import Panel
from panels.types.common import ReferralStatus

CALENDAR_LIMIT = 100
LISTING_LIMIT = 24
ON_AN_AGENDA = (ReferralStatus.LISTED, ReferralStatus.HEARD)


@dataclass(frozen=True)
class AttendedMeeting:
    meeting: Meeting
    declared: bool


def coordinated_panels(user: User) -> Sequence[Panel]:
    """The panels the user coordinates, by area and name: those they may add meetings to."""
    return db.session.scalars(
        select(Panel)
        .join(Panel.area)
        .where(Panel.id.in_(policy.viewer_of(user).panels.coordinates))
        .order_by(Area.name, Panel.name)
    ).all()


def upcoming_meetings(panel_id: int, on_or_after: date) -> Sequence[Meeting]:
    """The panel's meetings from `on_or_after`, soonest first (bounded)."""
    return db.session.scalars(
        select(Meeting)
        .where(Meeting.panel_id == panel_id, Meeting.held_on >= on_or_after)
        .order_by(Meeting.held_on)
        .limit(LISTING_LIMIT)
    ).all()


def meetings_for(user: User, since: date) -> list[tuple[Meeting, int]]:
    """Meetings of the user's coordinated panels from `since`, with how many referrals each
    has listed or heard (one grouped query)."""
    viewer = policy.viewer_of(user)
    # Cases closed to the user's organisation are not counted: the count would show they exist.
    listed = (
        select(Referral.meeting_id, func.count().label("n"))
        .where(Referral.status.in_(ON_AN_AGENDA), Referral.case_id.not_in(viewer.restricted))
        .group_by(Referral.meeting_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Meeting, func.coalesce(listed.c.n, 0))
        .outerjoin(listed, listed.c.meeting_id == Meeting.id)
        .where(Meeting.panel_id.in_(viewer.panels.coordinates), Meeting.held_on >= since)
        .order_by(Meeting.held_on, Meeting.id)
        .limit(CALENDAR_LIMIT)
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
            Referral.status.in_(ON_AN_AGENDA),
        )
        .order_by(Referral.referred_on, Referral.id)
        .options(selectinload(Referral.case).selectinload(Case.people))
    ).all()


def attended_meetings(user: User, since: date) -> list[AttendedMeeting]:
    """Meetings from `since` of the panels the user sits on but does not coordinate, soonest
    first, each with whether the user has declared for it (one query, bounded)."""
    viewer = policy.viewer_of(user)
    attended = viewer.panels.panels - viewer.panels.coordinates
    if not attended:
        return []
    rows = db.session.execute(
        select(Meeting, ConfidentialityDeclaration.id)
        .outerjoin(
            ConfidentialityDeclaration,
            and_(
                ConfidentialityDeclaration.meeting_id == Meeting.id,
                ConfidentialityDeclaration.user_id == user.id,
            ),
        )
        .where(
            policy.meeting_scope(viewer),
            Meeting.panel_id.in_(attended),
            Meeting.held_on >= since,
        )
        .order_by(Meeting.held_on, Meeting.id)
        .limit(CALENDAR_LIMIT)
    ).all()
    return [AttendedMeeting(meeting, declaration is not None) for meeting, declaration in rows]
