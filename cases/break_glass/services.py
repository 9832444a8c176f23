"""Emergency ("break-glass") access to a case by someone with no normal relationship to it
(security R19): a stated reason, a short time box, an alert to the case's coordinators and a
review afterwards. Start and end are separate audit events.

Beyond the person's limits (issue 26: emergency access must be useless for browsing), what
they ask for is a request instead: recorded with the same reason, it gives no access until a
coordinator of the case's panel approves it, and the time box starts then. A declined or
withdrawn request never gives access. Each change is one audit event: requested, approved,
declined, withdrawn.

The reason, the review note and the decision note are free text, so they are sealed under the
case's key and never written to the trail; the trail holds the reason code as the event's
purpose. Alerts hold a reference and a kind only: they may be shown or mailed anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from datetime import timedelta

from sqlalchemy import func
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
from cases.break_glass.models import BreakGlassDecision
from cases.break_glass.models import BreakGlassGrant
from cases.break_glass.models import BreakGlassReason
from cases.break_glass.models import BreakGlassReview
from cases.break_glass.models import CaseAlert
from cases.models import Case
from notifications import Event
from notifications import notify
from notifications import path_for

REASON_MIN_WORDS = 3
TEXT_MAX_LENGTH = 2_000
# A grant started this soon after the person's last one looks like browsing: urgent alert.
BROWSING_WINDOW = timedelta(minutes=10)
DAY = timedelta(hours=24)
# Requests awaiting approval one person may have at once, on any panel: enough for a real run
# of emergencies, too few to flood coordinators with.
PENDING_MAX = 3
# A request still waiting after this long can only be declined: an emergency does not wait a day.
REQUEST_LAPSES_AFTER = DAY


class Refused(DomainError):
    """Emergency access that may not be given however good the reason: the view records the
    refusal (after the attempt's rollback) as any refused access is."""

    def __init__(self, message: str, *, why: str) -> None:
        super().__init__(message, field="reference")
        self.why = why  # a code for the trail, never personal data


class AlreadyDecided(DomainError):
    """The request was approved, declined or withdrawn meanwhile (by someone else, or in
    another tab): nothing is changed, and the person is told what became of it."""

    def __init__(self, grant: BreakGlassGrant) -> None:
        what = grant.decision.label.lower() if grant.decision else "decided"
        super().__init__(f"This request for emergency access has already been {what}")


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

    Refused (`Refused`) when no coordinator could review it. Beyond the person's limits (the
    panel's `break_glass_at_once` and `break_glass_per_day`) nothing is given: the grant is
    a request awaiting a coordinator's approval instead (see `_request`). A grant that looks
    like browsing (another one started minutes before, or the daily limit reached with this
    one) alerts the coordinators as urgent."""
    if case.disposed_at is not None:
        # No access to grant, and the reason could not be sealed under a destroyed key.
        raise DomainError("You cannot get emergency access to this case", field="reference")
    reason = _checked_reason(reason)
    # One person's emergency accesses are started one at a time (the row lock on PostgreSQL;
    # SQLite's writers queue anyway), so two asked at once cannot both slip under a limit.
    db.session.execute(select(User.id).where(User.id == actor.id).with_for_update())
    if _pending_request(actor, case):
        raise DomainError(
            "You have already asked for emergency access to this case. Its coordinators have "
            "not decided yet: you will get access when one of them approves it",
            field="reference",
        )
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
        return _request(actor, case, reason_code, reason, now, coordinators, "limit_at_once")
    if started_today >= settings.break_glass_per_day:
        return _request(actor, case, reason_code, reason, now, coordinators, "limit_per_day")
    browsing = (latest is not None and now - latest < BROWSING_WINDOW) or (
        started_today + 1 >= settings.break_glass_per_day
    )
    kind = AlertKind.BREAK_GLASS_BROWSING if browsing else AlertKind.BREAK_GLASS
    grant = BreakGlassGrant(
        case=case,
        data_key=case.data_key,
        user=actor,
        reason_code=reason_code,
        requested_at=now,
        started_at=now,
        expires_at=now + timedelta(hours=settings.break_glass_hours),
        reason=reason,
    )
    db.session.add(grant)
    db.session.flush()
    _alert(coordinators, grant, kind)
    policy.forget_cached_viewer()
    changes: dict[str, list[object]] = {
        "grant": [None, grant.id],
        "expires_at": [None, _iso(grant.expires_at)],
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


def _request(
    actor: User,
    case: Case,
    reason_code: BreakGlassReason,
    reason: str,
    now: datetime,
    coordinators: Sequence[User],
    beyond: str,
) -> BreakGlassGrant:
    """Beyond a limit: record the request, with its reason, and alert the case's coordinators
    in force (urgently) to approve or decline it. It gives no access and counts towards no
    limit. Refused beyond `PENDING_MAX` requests awaiting a decision, so that nobody can flood
    the coordinators with them."""
    pending = db.session.scalar(
        select(func.count(BreakGlassGrant.id)).where(
            BreakGlassGrant.user_id == actor.id, BreakGlassGrant.pending()
        )
    )
    if pending and pending >= PENDING_MAX:
        raise Refused(
            f"You have reached your limits for emergency access, and you already have "
            f"{pending} requests waiting for a coordinator’s approval, the most anyone may "
            "have. Withdraw one you no longer need, or wait until they are decided",
            why="limit_pending",
        )
    grant = BreakGlassGrant(
        case=case,
        data_key=case.data_key,
        user=actor,
        reason_code=reason_code,
        requested_at=now,
        approval_needed=True,
        reason=reason,
    )
    db.session.add(grant)
    db.session.flush()
    _alert(coordinators, grant, AlertKind.BREAK_GLASS_APPROVAL)
    audit.record(
        actor=actor,
        action=AuditAction.BREAK_GLASS_REQUESTED,
        object=case,
        purpose=reason_code.value,
        changes={
            "grant": [None, grant.id],
            "beyond": [None, beyond],
            "alerted": [None, len(coordinators)],
        },
    )
    return grant


def _alert(coordinators: Sequence[User], grant: BreakGlassGrant, kind: AlertKind) -> None:
    db.session.add_all(
        CaseAlert(recipient_id=coordinator.id, case_id=grant.case_id, grant_id=grant.id, kind=kind)
        for coordinator in coordinators
    )
    db.session.flush()
    # Told by email too (issue 22): the message names the case's reference, never who asked.
    approval = kind is AlertKind.BREAK_GLASS_APPROVAL
    notify(
        Event.EMERGENCY_ACCESS,
        to=coordinators,
        link=path_for(
            "break_glass.decide" if approval else "break_glass.review", grant_id=grant.id
        ),
        panel=grant.case.panel.name,
        reference=grant.case.reference,
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _recent_grants(actor: User, now: datetime) -> tuple[int, int, datetime | None]:
    """The actor's grants in force, those started in the last 24 hours, and when the latest
    started (on any panel: browsing across panels is still browsing). A request not approved
    has no start, so it counts for none of these; an approved one counts from its approval."""
    rows = db.session.execute(
        select(
            BreakGlassGrant.started_at, BreakGlassGrant.expires_at, BreakGlassGrant.ended_at
        ).where(BreakGlassGrant.user_id == actor.id, BreakGlassGrant.started_at > now - DAY)
    ).all()
    given = [
        (started, expires, ended)
        for started, expires, ended in rows
        if started is not None and expires is not None
    ]
    held = sum(1 for _, expires, ended in given if ended is None and expires > now)
    latest = max((started for started, _, _ in given), default=None)
    return held, len(given), latest


def acknowledge_alert(alert: CaseAlert, *, actor: User) -> None:
    """The coordinator has seen an alert that asks nothing more of them (one with a grant is
    done when the grant is reviewed)."""
    if alert.kind == AlertKind.BREAK_GLASS_APPROVAL:
        raise DomainError("Approve or decline the request to mark this alert as done")
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
    """The actor had emergency access to the case that is not reviewed yet (a request never
    given has nothing to review)."""
    earlier = select(BreakGlassGrant.id).where(
        BreakGlassGrant.user_id == actor.id,
        BreakGlassGrant.case_id == case.id,
        BreakGlassGrant.was_given(),
        BreakGlassGrant.reviewed_at.is_(None),
    )
    return db.session.scalar(earlier.limit(1)) is not None


def _pending_request(actor: User, case: Case) -> bool:
    """The actor's request for the case still awaits a decision: one per case is enough."""
    pending = select(BreakGlassGrant.id).where(
        BreakGlassGrant.user_id == actor.id,
        BreakGlassGrant.case_id == case.id,
        BreakGlassGrant.pending(),
    )
    return db.session.scalar(pending.limit(1)) is not None


def end(grant: BreakGlassGrant, *, actor: User, now: datetime) -> BreakGlassGrant:
    """The holder ends their emergency access before its time is up."""
    if grant.user_id != actor.id:
        raise DomainError("Only the person given emergency access can end it")
    if grant.expires_at is None:
        raise DomainError(
            "You were not given emergency access to this case, so there is none to end"
        )
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
    if not grant.given:
        raise DomainError("This emergency access was never given, so there is nothing to review")
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


# Requests beyond the limits: approved, declined or withdrawn (issue 26) ---------------------


def approve(grant: BreakGlassGrant, *, actor: User, now: datetime) -> BreakGlassGrant:
    """A coordinator of the case's panel approves a request made beyond the person's limits:
    access starts now, for the panel's time box, and is reviewed afterwards like any other
    grant (R19), so every coordinator in force is alerted to review it. It counts towards the
    person's limits from now. The view checks that the actor coordinates the case's panel.

    Refused for the person who asked, for a request already decided (`AlreadyDecided`, even
    when another coordinator's decision lands a moment before this one), and when the person
    could no longer be given emergency access (they left the panel, or see the case now)."""
    _check_decidable(grant, actor)
    if now - grant.requested_at > REQUEST_LAPSES_AFTER:
        raise DomainError(
            "This request was made more than 24 hours ago, so it is no longer an emergency "
            "access: decline it, and the person can ask again if they still need access",
            field="decision",
        )
    case = grant.case
    if case.disposed_at is not None or policy.may_break_glass(grant.user, case.id) is None:
        raise DomainError(
            "Emergency access to this case can no longer be given to the person who asked: "
            "they may have left its panel, or see the case another way now. Decline the "
            "request instead",
            field="decision",
        )
    expires_at = now + timedelta(hours=case.panel.settings.break_glass_hours)
    _claim(grant, actor, now, BreakGlassDecision.APPROVED, started_at=now, expires_at=expires_at)
    _decision_alerts_read(grant, now)
    reviewers = policy.coordinators_of(case)
    _alert(reviewers, grant, AlertKind.BREAK_GLASS)
    policy.forget_cached_viewer()
    audit.record(
        actor=actor,
        action=AuditAction.BREAK_GLASS_APPROVED,
        object=("cases", grant.case_id),
        purpose=grant.reason_code.value,
        changes={
            "grant": [None, grant.id],
            "holder": [None, grant.user_id],
            "expires_at": [None, _iso(expires_at)],
            "alerted": [None, len(reviewers)],
        },
    )
    return grant


def decline(grant: BreakGlassGrant, *, actor: User, note: str, now: datetime) -> BreakGlassGrant:
    """A coordinator of the case's panel declines a request, with a short reason (sealed, as
    the review note is): it never gives access. Refused as `approve` is."""
    _check_decidable(grant, actor)
    note = _within_limit(note, field="note")
    if not note:
        raise DomainError("Enter why you are declining the request", field="note")
    _claim(grant, actor, now, BreakGlassDecision.DECLINED)
    grant.decision_note = note
    db.session.flush()
    _decision_alerts_read(grant, now)
    audit.record(
        actor=actor,
        action=AuditAction.BREAK_GLASS_DECLINED,
        object=("cases", grant.case_id),
        purpose=grant.reason_code.value,
        changes={"grant": [None, grant.id], "holder": [None, grant.user_id]},
    )
    return grant


def withdraw(grant: BreakGlassGrant, *, actor: User, now: datetime) -> BreakGlassGrant:
    """The person who asked withdraws their request before anyone has decided it."""
    if grant.user_id != actor.id:
        raise DomainError("Only the person who asked can withdraw their request")
    if not grant.approval_needed:
        raise DomainError("This emergency access was given without a request to withdraw")
    if not grant.awaiting_approval:
        raise AlreadyDecided(grant)
    _claim(grant, actor, now, BreakGlassDecision.WITHDRAWN)
    _decision_alerts_read(grant, now)
    audit.record(
        actor=actor,
        action=AuditAction.BREAK_GLASS_WITHDRAWN,
        object=("cases", grant.case_id),
        purpose=grant.reason_code.value,
        changes={"grant": [None, grant.id]},
    )
    return grant


def _check_decidable(grant: BreakGlassGrant, actor: User) -> None:
    if not grant.approval_needed:
        raise DomainError("This emergency access was given at once: there is nothing to decide")
    if grant.user_id == actor.id:
        raise DomainError("Someone else must decide on your request", field="decision")
    if not grant.awaiting_approval:
        raise AlreadyDecided(grant)
    if grant.content_destroyed:
        raise DomainError("This case’s content was destroyed under the retention policy")


def _claim(
    grant: BreakGlassGrant,
    actor: User,
    now: datetime,
    decision: BreakGlassDecision,
    **values: datetime,
) -> None:
    """Record the decision only if the request still awaits one, in one conditional update:
    of two decisions at once, the second finds it decided and changes nothing."""
    decided = db.session.execute(
        update(BreakGlassGrant)
        .where(BreakGlassGrant.id == grant.id, BreakGlassGrant.pending())
        .values(decision=decision, decided_by_id=actor.id, decided_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(grant)
    if not decided.rowcount:  # type: ignore[attr-defined]
        raise AlreadyDecided(grant)


def _decision_alerts_read(grant: BreakGlassGrant, now: datetime) -> None:
    """The request's alerts are done for every coordinator once it is decided or withdrawn."""
    db.session.execute(
        update(CaseAlert)
        .where(
            CaseAlert.grant_id == grant.id,
            CaseAlert.kind == AlertKind.BREAK_GLASS_APPROVAL.value,
            CaseAlert.read_at.is_(None),
        )
        .values(read_at=now)
    )


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
