"""Scoped reads for emergency access: the holder's own grants, and the alerts and grants a
coordinator may review. Everything here starts from `cases.policy` / `panels.policy`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.template_filters import UK
from cases import policy
from cases.break_glass.models import BreakGlassGrant
from cases.break_glass.models import CaseAlert
from cases.models import Case
from panels.policy import panel_access

ALERTS_SHOWN = 100
OWN_REQUESTS_SHOWN = 20
DAY = timedelta(hours=24)


@dataclass(frozen=True)
class EmergencyAccess:
    """What a case page's banner says about the viewer's live grant."""

    grant_id: int
    expires_at: datetime
    reason_label: str

    @property
    def ends_at(self) -> str:
        """HH:MM in UK local time."""
        return f"{self.expires_at.astimezone(UK):%H:%M}"


def emergency_access(user: User, case: Case) -> EmergencyAccess | None:
    """The user's live grant on the case, if that is how they see it (else None)."""
    if policy.emergency_grant_expiry(user, case) is None:
        return None
    grant = db.session.scalar(
        select(BreakGlassGrant)
        .where(
            BreakGlassGrant.user_id == user.id,
            BreakGlassGrant.case_id == case.id,
            BreakGlassGrant.was_given(),
            BreakGlassGrant.ended_at.is_(None),
            BreakGlassGrant.expires_at > utcnow(),
        )
        .order_by(BreakGlassGrant.expires_at.desc())
        .limit(1)
    )
    if grant is None or grant.expires_at is None:
        return None
    return EmergencyAccess(grant.id, grant.expires_at, grant.reason_code.label)


def own_requests(user: User, *, now: datetime) -> Sequence[BreakGlassGrant]:
    """The user's requests beyond their limits that await a decision, or were decided in the
    last 24 hours (so they can see what became of them), newest first."""
    return db.session.scalars(
        select(BreakGlassGrant)
        .where(
            BreakGlassGrant.user_id == user.id,
            BreakGlassGrant.approval_needed.is_(True),
            or_(BreakGlassGrant.decision.is_(None), BreakGlassGrant.decided_at > now - DAY),
        )
        .order_by(BreakGlassGrant.requested_at.desc(), BreakGlassGrant.id.desc())
        .limit(OWN_REQUESTS_SHOWN)
    ).all()


@dataclass(frozen=True)
class Activity:
    """A person's emergency access, for the coordinator deciding on their request: how many
    they hold now, started in the last 24 hours and are waiting on (every panel)."""

    held: int
    started_today: int
    pending: int


def activity_of(user: User, *, now: datetime) -> Activity:
    rows = db.session.execute(
        select(
            BreakGlassGrant.started_at,
            BreakGlassGrant.expires_at,
            BreakGlassGrant.ended_at,
            BreakGlassGrant.approval_needed,
            BreakGlassGrant.decision,
        ).where(
            BreakGlassGrant.user_id == user.id,
            or_(BreakGlassGrant.started_at > now - DAY, BreakGlassGrant.pending()),
        )
    ).all()
    given = [(expires, ended) for started, expires, ended, _, _ in rows if started is not None]
    return Activity(
        held=sum(1 for expires, ended in given if ended is None and expires and expires > now),
        started_today=len(given),
        pending=sum(1 for _, _, _, needed, decision in rows if needed and decision is None),
    )


def own_grant(user: User, grant_id: int) -> BreakGlassGrant | None:
    """The user's own grant with this id, running or not (anyone else's is None)."""
    policy.viewer_of(user)  # closes any grant whose time is up first
    return db.session.scalar(
        select(BreakGlassGrant).where(
            BreakGlassGrant.id == grant_id, BreakGlassGrant.user_id == user.id
        )
    )


def _reviewable_by(user: User) -> ColumnElement[bool]:
    """Cases of the panels the user coordinates in force, unless restricted against their
    organisation (a condition on `Case`)."""
    viewer = policy.viewer_of(user)
    return and_(Case.panel_id.in_(viewer.panels.coordinates), policy.not_restricted(viewer))


def reviewable_grant(user: User, grant_id: int) -> BreakGlassGrant | None:
    """A grant (or a request beyond the limits) on a case of a panel the user coordinates,
    for its review (or its approval)."""
    return db.session.scalar(
        select(BreakGlassGrant)
        .join(Case, Case.id == BreakGlassGrant.case_id)
        .where(BreakGlassGrant.id == grant_id, _reviewable_by(user))
    )


def alerts_for(user: User, *, limit: int = ALERTS_SHOWN) -> Sequence[CaseAlert]:
    """The user's alerts on cases they may still review, newest first."""
    return db.session.scalars(
        select(CaseAlert)
        .join(Case, Case.id == CaseAlert.case_id)
        .where(CaseAlert.recipient_id == user.id, _reviewable_by(user))
        .order_by(CaseAlert.created_at.desc(), CaseAlert.id.desc())
        .limit(limit)
    ).all()


def own_alert(user: User, alert_id: int) -> CaseAlert | None:
    """One of the user's alerts, on a case they may still review (anyone else's is None)."""
    return db.session.scalar(
        select(CaseAlert)
        .join(Case, Case.id == CaseAlert.case_id)
        .where(CaseAlert.id == alert_id, CaseAlert.recipient_id == user.id, _reviewable_by(user))
    )


def unread_alert_count(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count(CaseAlert.id))
            .join(Case, Case.id == CaseAlert.case_id)
            .where(
                CaseAlert.recipient_id == user.id,
                CaseAlert.read_at.is_(None),
                _reviewable_by(user),
            )
        )
        or 0
    )


def coordinates_any_panel(user: User) -> bool:
    return bool(panel_access(user).coordinates)
