"""Emergency ("break-glass") access to a case by someone with no normal relationship to it
(security R19): a stated reason, a short time box, an alert to the case's coordinators and a
review afterwards. Start and end are separate audit events.

The reason and the review note are free text, so they are sealed under the case's key and
never written to the trail; the trail holds the reason code as the event's purpose. Alerts
hold a reference and a kind only: they may be shown or mailed anywhere.
"""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy import update

import audit
from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.errors import DomainError
from audit import AuditAction
from cases import policy
from cases.break_glass.models import AlertKind
from cases.break_glass.models import BreakGlassGrant
from cases.break_glass.models import BreakGlassReason
from cases.break_glass.models import BreakGlassReview
from cases.break_glass.models import CaseAlert
from cases.models import Case

REASON_MIN_WORDS = 3
TEXT_MAX_LENGTH = 2_000
# A grant started this soon after the person's last one looks like browsing: urgent alert.
BROWSING_WINDOW = timedelta(minutes=10)
DAY = timedelta(hours=24)


class Refused(DomainError):
    """Emergency access that may not be given however good the reason: the view records the
    refusal (after the attempt's rollback) as any refused access is."""

    def __init__(self, message: str, *, why: str) -> None:
        super().__init__(message, field="reference")
        self.why = why  # a code for the trail, never personal data


NO_REVIEWER = (
    "Emergency access to this case cannot be given, because nobody could review it: the case’s "
    "panel has no coordinator able to see it. Ask your organisation’s information governance "
    "lead to arrange access with the panel"
)


def start(
    *, actor: User, case: Case, reason_code: BreakGlassReason, reason: str, now: datetime
) -> BreakGlassGrant:
    """Give the actor emergency access to the case for the panel's time box, and tell each of
    its coordinators in force. The caller has checked `policy.may_break_glass` first.

    Refused (`Refused`) when no coordinator could review it, or beyond the person's limits
    (the panel's `break_glass_at_once` and `break_glass_per_day`). A grant that looks like
    browsing (another one started minutes before, or the daily limit reached with this one)
    alerts the coordinators as urgent."""
    if case.disposed_at is not None:
        # No access to grant, and the reason could not be sealed under a destroyed key.
        raise DomainError("You cannot get emergency access to this case", field="reference")
    reason = _checked_reason(reason)
    if _awaiting_review(actor, case):
        # Otherwise emergency access could be renewed, hour after hour, into lasting access.
        raise DomainError(
            "Your earlier emergency access to this case has not been reviewed yet: ask one of "
            "its coordinators to review it first",
            field="reference",
        )
    coordinators = policy.coordinators_of(case)
    if not coordinators:
        raise Refused(NO_REVIEWER, why="no_reviewer")
    settings = case.panel.settings
    held, started_today, latest = _recent_grants(actor, now)
    if held >= settings.break_glass_at_once:
        raise Refused(
            f"You already have {_accesses(held)} running, the most this panel allows at once. "
            "End one you no longer need, or ask a coordinator of the case’s panel to give you "
            "access",
            why="limit_at_once",
        )
    if started_today >= settings.break_glass_per_day:
        raise Refused(
            f"You have started {_accesses(started_today)} in the last 24 hours, the most this "
            "panel allows. Ask a coordinator of the case’s panel to give you access",
            why="limit_per_day",
        )
    browsing = (latest is not None and now - latest < BROWSING_WINDOW) or (
        started_today + 1 >= settings.break_glass_per_day
    )
    kind = AlertKind.BREAK_GLASS_BROWSING if browsing else AlertKind.BREAK_GLASS
    grant = BreakGlassGrant(
        case=case,
        data_key=case.data_key,
        user=actor,
        reason_code=reason_code,
        started_at=now,
        expires_at=now + timedelta(hours=settings.break_glass_hours),
        reason=reason,
    )
    db.session.add(grant)
    db.session.flush()
    db.session.add_all(
        CaseAlert(recipient_id=coordinator.id, case=case, grant_id=grant.id, kind=kind)
        for coordinator in coordinators
    )
    db.session.flush()
    policy.forget_cached_viewer()
    changes: dict[str, list[object]] = {
        "grant": [None, grant.id],
        "expires_at": [None, grant.expires_at.isoformat()],
        "alerted": [None, len(coordinators)],
    }
    if browsing:
        changes["alert"] = [None, kind.value]
    audit.record(
        actor=actor,
        action=AuditAction.BREAK_GLASS_STARTED,
        object=case,
        purpose=reason_code.value,
        changes=changes,
    )
    return grant


def _recent_grants(actor: User, now: datetime) -> tuple[int, int, datetime | None]:
    """The actor's grants in force, those started in the last 24 hours, and when the latest
    started (on any panel: browsing across panels is still browsing)."""
    rows = db.session.execute(
        select(
            BreakGlassGrant.started_at, BreakGlassGrant.expires_at, BreakGlassGrant.ended_at
        ).where(BreakGlassGrant.user_id == actor.id, BreakGlassGrant.started_at > now - DAY)
    ).all()
    held = sum(1 for _, expires, ended in rows if ended is None and expires > now)
    latest = max((started for started, _, _ in rows), default=None)
    return held, len(rows), latest


def _accesses(count: int) -> str:
    return f"{count} emergency access{'' if count == 1 else 'es'}"


def acknowledge_alert(alert: CaseAlert, *, actor: User) -> None:
    """The coordinator has seen an alert that asks nothing more of them (one with a grant is
    done when the grant is reviewed)."""
    if alert.grant_id is not None:
        raise DomainError("Review the emergency access to mark this alert as done")
    if alert.read_at is not None:
        raise DomainError("This alert has already been marked as seen")
    alert.read_at = utcnow()
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.ALERT_ACKNOWLEDGED,
        object=alert.case,
        changes={"alert_id": [None, alert.id], "kind": [None, alert.kind]},
    )


def _awaiting_review(actor: User, case: Case) -> bool:
    earlier = select(BreakGlassGrant.id).where(
        BreakGlassGrant.user_id == actor.id,
        BreakGlassGrant.case_id == case.id,
        BreakGlassGrant.reviewed_at.is_(None),
    )
    return db.session.scalar(earlier.limit(1)) is not None


def end(grant: BreakGlassGrant, *, actor: User, now: datetime) -> BreakGlassGrant:
    """The holder ends their emergency access before its time is up."""
    if grant.user_id != actor.id:
        raise DomainError("Only the person given emergency access can end it")
    if grant.ended_at is not None or grant.expires_at <= now:
        raise DomainError("Your emergency access to this case has already ended")
    grant.ended_at = now
    db.session.flush()
    policy.forget_cached_viewer()
    audit.record(
        actor=actor,
        action=AuditAction.BREAK_GLASS_ENDED,
        object=("cases", grant.case_id),
        purpose=grant.reason_code.value,
        changes={"ended": [None, "by user"], "grant": [None, grant.id]},
    )
    return grant


def review(
    grant: BreakGlassGrant, *, actor: User, outcome: BreakGlassReview, note: str
) -> BreakGlassGrant:
    """A coordinator of the case's panel records whether the access was justified, and why;
    the grant's alerts are then read for every coordinator. The view checks the actor's role."""
    if grant.reviewed_at is not None:
        raise DomainError("This emergency access has already been reviewed")
    if grant.content_destroyed:
        raise DomainError("This case’s content was destroyed under the retention policy")
    if grant.user_id == actor.id:
        raise DomainError("Someone else must review your emergency access", field="outcome")
    note = _within_limit(note, field="note")
    if not note:
        raise DomainError("Enter a note about your review", field="note")
    now = utcnow()
    grant.review_outcome = outcome
    grant.review_note = note
    grant.reviewed_by_id = actor.id
    grant.reviewed_at = now
    db.session.execute(
        update(CaseAlert)
        .where(CaseAlert.grant_id == grant.id, CaseAlert.read_at.is_(None))
        .values(read_at=now)
    )
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.BREAK_GLASS_REVIEWED,
        object=("cases", grant.case_id),
        changes={"grant": [None, grant.id], "outcome": [None, outcome.value]},
    )
    return grant


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


def _checked_reason(reason: str) -> str:
    """A reason someone else can judge later: a few words at least, not a code or a dot."""
    reason = _within_limit(reason, field="reason")
    if not reason:
        raise DomainError("Explain why you need emergency access to this case", field="reason")
    if len(reason.split()) < REASON_MIN_WORDS:
        raise DomainError(
            f"Explain why you need emergency access in at least {REASON_MIN_WORDS} words",
            field="reason",
        )
    return reason


def _within_limit(text: str | None, *, field: str) -> str:
    text = (text or "").strip()
    if len(text) > TEXT_MAX_LENGTH:
        raise DomainError(f"Enter {TEXT_MAX_LENGTH:,} characters or fewer", field=field)
    return text
