"""State changes on subject access requests. Each takes the actor, flushes, and writes one audit
event naming the request by id with codes and dates only: never the requester's name, contact,
the details searched for or a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import audit
from app.accounts.models import User
from app.database import db
from app.database import flush_unique
from app.database import utcnow
from app.errors import DomainError
from app.keys.models import KeyPurpose
from app.keys.store import key_store
from audit import AuditAction
from cases import policy
from cases.break_glass.models import AlertKind
from cases.break_glass.models import CaseAlert
from cases.models import Person
from cases.referrals.models import Referral
from cases.subject_access import queries
from cases.subject_access import rules
from cases.subject_access.models import DisclosureDecision
from cases.subject_access.models import Regime
from cases.subject_access.models import RequestStatus
from cases.subject_access.models import RequestSubject
from cases.subject_access.models import SubjectAccessRequest

TEXT_MAX_LENGTH = 2_000
NAME_MAX_LENGTH = 200


@dataclass(frozen=True)
class RequestDetails:
    """What the new-request form collects."""

    received_on: date
    regime: Regime
    requester_name: str
    requester_contact: str
    identity_evidence: str
    subject_given_names: str
    subject_family_name: str
    subject_date_of_birth: date


def receive_request(*, actor: User, details: RequestDetails, today: date) -> SubjectAccessRequest:
    if details.received_on > today:
        raise DomainError("The date received must be today or in the past", field="received_on")
    if details.subject_date_of_birth > today:
        raise DomainError("The date of birth must be in the past", field="subject_date_of_birth")
    request = SubjectAccessRequest(
        data_key=key_store().new_key(KeyPurpose.CASE),
        regime=details.regime,
        received_on=details.received_on,
        due_on=rules.due_on(details.received_on),
        recorded_by=actor,
        requester_name=_required(details.requester_name, "requester_name", "the requester’s name"),
        requester_contact=_required(
            details.requester_contact, "requester_contact", "how to contact the requester"
        ),
        identity_evidence=_optional(details.identity_evidence, "identity_evidence"),
        subject_given_names=_required(
            details.subject_given_names, "subject_given_names", "their first name"
        ),
        subject_family_name=_required(
            details.subject_family_name, "subject_family_name", "their last name"
        ),
        subject_date_of_birth=details.subject_date_of_birth,
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.SUBJECT_ACCESS_RECEIVED,
        object=request,
        changes={
            "regime": [None, details.regime.value],
            "received_on": [None, details.received_on.isoformat()],
            "due_on": [None, request.due_on.isoformat()],
        },
    )
    return request


def confirm_subjects(
    request: SubjectAccessRequest, *, actor: User, people: Sequence[Person]
) -> None:
    """Set the person records the request is about, as the auditor confirmed them (E49).

    A record newly confirmed that is in a live case of a panel whose type asks for it
    (Channel) alerts that panel's coordinators: that the person is known to the panel is
    itself sensitive, so they learn that a request found them (issue 26)."""
    _require_open(request)
    if not people:
        raise DomainError("Select the records that are about the requester", field="people")
    before = sorted(s.person_id for s in request.subjects)
    wanted = {person.id: person for person in people}
    request.subjects = [s for s in request.subjects if s.person_id in wanted]
    kept = {s.person_id for s in request.subjects}
    alerted = _alert_coordinators([person_id for person_id in wanted if person_id not in kept])
    for person_id, person in wanted.items():
        if person_id not in kept:
            request.subjects.append(RequestSubject(person=person, confirmed_by_id=actor.id))
    moved = request.status is RequestStatus.RECEIVED
    if moved:
        request.status = RequestStatus.IN_PROGRESS
    changes: dict[str, object] = {"person_ids": [before, sorted(wanted)]}
    if alerted:
        changes["alerted"] = [None, alerted]
    if before != sorted(wanted) and request.bundle_approved_by_id is not None:
        # Other records, other bundle: it is closed again until someone approves these.
        changes["bundle_approved_by_id"] = [request.bundle_approved_by_id, None]
        request.bundle_approved_by_id = request.bundle_approved_at = None
    db.session.flush()
    if moved:
        changes["status"] = [RequestStatus.RECEIVED.value, RequestStatus.IN_PROGRESS.value]
    audit.record(
        actor=actor,
        action=AuditAction.SUBJECT_ACCESS_SUBJECTS_CONFIRMED,
        object=request,
        changes=changes,
    )


def approve_bundle(request: SubjectAccessRequest, *, actor: User) -> None:
    """A second person approves the records confirmed as the requester's, and the bundle of
    everything about them opens (issue 26). Whoever confirmed any of them cannot approve: one
    auditor alone can neither find someone nor read what every panel holds about them."""
    _require_open(request)
    if not request.subjects:
        raise DomainError("Confirm which records are about the requester before approving")
    if request.bundle_approved_by_id is not None:
        raise DomainError("These records have already been approved")
    if actor.id in request.confirmed_by_ids:
        raise DomainError(
            "You confirmed these records, so another auditor must approve them before the "
            "bundle opens"
        )
    request.bundle_approved_by_id = actor.id
    request.bundle_approved_at = utcnow()
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.SUBJECT_ACCESS_BUNDLE_APPROVED,
        object=request,
        changes={
            "person_ids": [None, sorted(s.person_id for s in request.subjects)],
            "confirmed_by_ids": [None, sorted(request.confirmed_by_ids)],
        },
    )


def pause_clock(request: SubjectAccessRequest, *, actor: User, on: date, today: date) -> None:
    """Stop the clock while the requester's identity or the request's scope is clarified."""
    _require_open(request)
    if request.status is RequestStatus.CLARIFYING:
        raise DomainError("The clock is already paused", field="on")
    _check_step_date(request, on, today)
    if on > request.due_on:
        raise DomainError("The clock can only be paused before the request is due", field="on")
    before = request.status
    request.status, request.paused_since = RequestStatus.CLARIFYING, on
    _audited(request, actor, AuditAction.SUBJECT_ACCESS_CLOCK_PAUSED, before, on=on)


def resume_clock(request: SubjectAccessRequest, *, actor: User, on: date, today: date) -> None:
    """Start the clock again: the days it stood still are added to the deadline."""
    if request.status is not RequestStatus.CLARIFYING or request.paused_since is None:
        raise DomainError("The clock is not paused", field="on")
    _check_step_date(request, on, today)
    if on < request.paused_since:
        raise DomainError(
            f"The date must be the same as or after the clock was paused "
            f"({request.paused_since:%d/%m/%Y})",
            field="on",
        )
    request.paused_days += rules.days_paused(request.paused_since, on)
    request.paused_since = None
    request.status = RequestStatus.EXTENDED if request.extension_months else _working(request)
    request.due_on = _deadline(request)
    _audited(
        request,
        actor,
        AuditAction.SUBJECT_ACCESS_CLOCK_RESUMED,
        RequestStatus.CLARIFYING,
        on=on,
        paused_days=request.paused_days,
        due_on=request.due_on.isoformat(),
    )


def extend(
    request: SubjectAccessRequest,
    *,
    actor: User,
    months: int,
    reason: str,
    on: date,
    today: date,
) -> None:
    """UK GDPR only: up to two further months in all, decided within the first month."""
    _require_open(request)
    if request.status is RequestStatus.CLARIFYING:
        raise DomainError("Restart the clock before extending the deadline", field="months")
    rules.check_extension(request.regime, request.extension_months, months)
    reason = _required(reason, "reason", "why the request needs longer")
    _check_step_date(request, on, today)
    first_month = rules.first_month_ends_on(request.received_on, paused_days=request.paused_days)
    if on > first_month:
        raise DomainError(
            f"An extension must be decided within the first month, by {first_month:%d/%m/%Y}",
            field="on",
        )
    before = request.status
    request.extension_months += months
    request.extension_reason = reason
    request.status = RequestStatus.EXTENDED
    request.due_on = _deadline(request)
    _audited(
        request,
        actor,
        AuditAction.SUBJECT_ACCESS_EXTENDED,
        before,
        on=on,
        extension_months=request.extension_months,
        due_on=request.due_on.isoformat(),
    )


def complete(request: SubjectAccessRequest, *, actor: User, on: date, today: date) -> None:
    """The response has been sent."""
    _require_open(request)
    if not request.subjects:
        raise DomainError(
            "Confirm which records are about the requester before completing", field="on"
        )
    _close(request, actor, RequestStatus.COMPLETED, AuditAction.SUBJECT_ACCESS_COMPLETED, on, today)


def refuse(
    request: SubjectAccessRequest, *, actor: User, on: date, reason: str, today: date
) -> None:
    """Refused (manifestly unfounded or excessive, or identity not established), with why."""
    _require_open(request)
    reason = _required(reason, "reason", "why the request is refused")
    request.refusal_reason = reason
    _close(request, actor, RequestStatus.REFUSED, AuditAction.SUBJECT_ACCESS_REFUSED, on, today)


def record_disclosure(
    request: SubjectAccessRequest,
    *,
    actor: User,
    referral: Referral,
    on: date,
    reason: str,
    today: date,
) -> DisclosureDecision:
    """Record a decision that a withheld referral may be disclosed to the requester (R15).

    Only referrals withheld from this requester need one: those of cases in which a confirmed
    record of theirs is the alleged perpetrator."""
    _require_open(request)
    if referral.case_id is None or referral.case_id not in queries.withheld_case_ids(request):
        raise DomainError("This referral is not withheld from the requester", field="reason")
    reason = _required(reason, "reason", "who decided and why the referral can be disclosed")
    _check_step_date(request, on, today)
    decision = DisclosureDecision(
        data_key=request.data_key,
        request_id=request.id,
        referral_id=referral.id,
        decided_on=on,
        decided_by_id=actor.id,
        reason=reason,
    )
    db.session.add(decision)
    flush_unique("A decision about this referral is already recorded", field="reason")
    audit.record(
        actor=actor,
        action=AuditAction.SUBJECT_ACCESS_DISCLOSURE_DECIDED,
        object=request,
        changes={"referral_id": [None, referral.id], "on": [None, on.isoformat()]},
    )
    return decision


# Helpers ------------------------------------------------------------------------------------


def _alert_coordinators(person_ids: list[int]) -> int:
    """Alert the coordinators of the cases that ask for it; returns how many alerts."""
    alerts = [
        CaseAlert(recipient_id=coordinator.id, case=case, kind=AlertKind.SUBJECT_ACCESS)
        for case in queries.alerting_cases(person_ids)
        for coordinator in policy.coordinators_of(case)
    ]
    db.session.add_all(alerts)
    return len(alerts)


def _close(
    request: SubjectAccessRequest,
    actor: User,
    status: RequestStatus,
    action: AuditAction,
    on: date,
    today: date,
) -> None:
    _check_step_date(request, on, today)
    before = request.status
    if request.paused_since is not None:
        # Closed while paused: the pause ends on the day it closed.
        request.paused_days += rules.days_paused(request.paused_since, on)
        request.paused_since = None
        request.due_on = _deadline(request)
    request.status, request.closed_on = status, on
    _audited(request, actor, action, before, on=on, late=on > request.due_on)


def _deadline(request: SubjectAccessRequest) -> date:
    return rules.due_on(
        request.received_on,
        paused_days=request.paused_days,
        extension_months=request.extension_months,
    )


def _working(request: SubjectAccessRequest) -> RequestStatus:
    return RequestStatus.IN_PROGRESS if request.subjects else RequestStatus.RECEIVED


def _audited(
    request: SubjectAccessRequest,
    actor: User,
    action: AuditAction,
    before: RequestStatus,
    *,
    on: date,
    **values: object,
) -> None:
    db.session.flush()
    changes: dict[str, object] = {
        "status": [before.value, request.status.value],
        "on": [None, on.isoformat()],
    }
    changes.update({name: [None, value] for name, value in values.items()})
    audit.record(actor=actor, action=action, object=request, changes=changes)


def _require_open(request: SubjectAccessRequest) -> None:
    if not request.status.open:
        raise DomainError(f"This request is {request.status.label.lower()}: it cannot be changed")


def _check_step_date(request: SubjectAccessRequest, on: date, today: date) -> None:
    if on > today:
        raise DomainError("The date must be today or in the past", field="on")
    if on < request.received_on:
        raise DomainError(
            f"The date must be the same as or after the request was received "
            f"({request.received_on:%d/%m/%Y})",
            field="on",
        )


def _required(value: str, field: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(f"Enter {what}", field=field)
    return _limited(value, field)


def _optional(value: str, field: str) -> str | None:
    return _limited((value or "").strip(), field) or None


def _limited(value: str, field: str) -> str:
    limit = NAME_MAX_LENGTH if field.endswith(("name", "names")) else TEXT_MAX_LENGTH
    if len(value) > limit:
        raise DomainError(f"Enter {limit:,} characters or fewer", field=field)
    return value
