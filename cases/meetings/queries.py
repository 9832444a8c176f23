"""The meetings a member attends without coordinating them, and whether they have accepted
each one's confidentiality statement (R3). Nothing of an agenda is read here: the calendar
shows only dates, panels and the declaration's status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from cases import policy
from panels.models import ConfidentialityDeclaration
from panels.models import Meeting

CALENDAR_LIMIT = 100


@dataclass(frozen=True)
class AttendedMeeting:
    meeting: Meeting
    declared: bool


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
