"""Emergency ("break-glass") access to a case by someone with no normal relationship to it
(security R19): a stated reason, a short time box, an alert to the case's coordinators and a
review afterwards. Start and end are separate audit events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

import audit
from app.accounts.models import User
from app.database import db
from audit import AuditAction
from cases.models import BreakGlassGrant


def end_expired(*, actor: User, now: datetime) -> list[BreakGlassGrant]:
    """Close the actor's grants whose time is up, each with its own end event. The end is
    recorded at the expiry time, whenever it is noticed (here, on their next request)."""
    expired = db.session.scalars(
        select(BreakGlassGrant).where(
            BreakGlassGrant.user_id == actor.id,
            BreakGlassGrant.ended_at.is_(None),
            BreakGlassGrant.expires_at <= now,
        )
    ).all()
    for grant in expired:
        grant.ended_at = grant.expires_at
        audit.record(
            actor=actor,
            action=AuditAction.BREAK_GLASS_ENDED,
            object=("cases", grant.case_id),
            purpose=grant.reason_code.value,
            changes={"ended": [None, "expired"], "grant": [None, grant.id]},
        )
    db.session.flush()
    return list(expired)
