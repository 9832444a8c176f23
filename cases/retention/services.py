"""Retention (domain R16, security R31): closed cases are kept for a period set per panel type
and record type, then disposed of by crypto-shredding, unless a legal hold blocks it.

Disposal destroys the case's data key, and the keys of people who appear in no other live case,
and deletes their blind indexes. What remains is structure (ids, dates, panel) and the audit
trail, which records what was destroyed, when, under which rule and by whom.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy import select

import audit
from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.errors import DomainError
from app.keys.store import key_store
from audit import AuditAction
from cases.actions import services as actions
from cases.models import Case
from cases.models import CasePerson
from cases.models import Person
from cases.people.models import PersonSearchKey
from cases.reports import services as reports
from cases.retention.models import RecordType
from cases.retention.models import RetentionRule
from cases.retention.queries import DueCase
from panels.types.common import PanelType

DEFAULT_RETENTION_MONTHS = 72
LONGEST_RETENTION_MONTHS = 1200
HOLD_REASON_MAX_LENGTH = 200


def set_retention_period(
    *, actor: User | None, panel_type: PanelType, record_type: RecordType, months: int
) -> RetentionRule:
    if not 1 <= months <= LONGEST_RETENTION_MONTHS:
        raise DomainError(
            f"The retention period must be between 1 and {LONGEST_RETENTION_MONTHS} months",
            field="months",
        )
    rule = db.session.scalar(
        select(RetentionRule).where(
            RetentionRule.panel_type == panel_type, RetentionRule.record_type == record_type
        )
    )
    if rule is None:
        rule = RetentionRule(panel_type=panel_type, record_type=record_type, months=months)
        db.session.add(rule)
        before = None
    else:
        before, rule.months, rule.updated_at = rule.months, months, utcnow()
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.RETENTION_RULE_CHANGED,
        object=rule,
        changes={"months": [before, months]},
    )
    return rule


def place_legal_hold(case: Case, *, actor: User | None, reason: str) -> Case:
    reason = reason.strip()
    if not reason:
        raise DomainError("Enter the reason for the legal hold", field="reason")
    if len(reason) > HOLD_REASON_MAX_LENGTH:
        raise DomainError(
            f"The reason must be {HOLD_REASON_MAX_LENGTH} characters or fewer", field="reason"
        )
    if case.disposed_at is not None:
        raise DomainError("This case’s content has already been destroyed")
    case.legal_hold_reason, case.legal_hold_since = reason, utcnow()
    db.session.flush()
    audit.record(actor=actor, action=AuditAction.LEGAL_HOLD_PLACED, object=case)
    return case


def lift_legal_hold(case: Case, *, actor: User | None) -> Case:
    if not case.on_legal_hold:
        raise DomainError("This case is not on legal hold")
    case.legal_hold_reason, case.legal_hold_since = None, None
    db.session.flush()
    audit.record(actor=actor, action=AuditAction.LEGAL_HOLD_LIFTED, object=case)
    return case


def dispose(item: DueCase, *, actor: User | None) -> Case:
    """Crypto-shred one due case. Refused while it is on legal hold."""
    case = item.case
    if case.disposed_at is not None:
        raise DomainError("This case’s content has already been destroyed")
    if case.on_legal_hold:
        raise DomainError(f"Case {case.reference} is on legal hold: {case.legal_hold_reason}")
    store = key_store()
    store.destroy(case.data_key)
    # Each referral is sealed under its own key (it belonged to no case until screening).
    for referral in case.referrals:
        store.destroy(referral.data_key)
    people = _people_in_no_other_live_case(case)
    for person in people:
        store.destroy(person.data_key)
    if people:
        db.session.execute(
            delete(PersonSearchKey).where(PersonSearchKey.person_id.in_([p.id for p in people]))
        )
    # Who was in the case, and in which role, is personal data too: the links go with it.
    db.session.execute(delete(CasePerson).where(CasePerson.case_id == case.id))
    actions.destroy_with_case(case)
    reports.destroy_extracts_with_case(case)
    case.disposed_at, case.disposal_rule = utcnow(), item.rule.description
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.CASE_CONTENT_DESTROYED,
        object=case,
        changes={
            "rule": [None, item.rule.description],
            "due_on": [None, item.due_on.isoformat()],
            "people_destroyed": [None, sorted(p.id for p in people)],
        },
    )
    return case


def _people_in_no_other_live_case(case: Case) -> list[Person]:
    still_needed = (
        select(CasePerson.person_id)
        .join(CasePerson.case)
        .where(CasePerson.case_id != case.id, Case.disposed_at.is_(None))
    )
    return list(
        db.session.scalars(
            select(Person)
            .join(CasePerson, CasePerson.person_id == Person.id)
            .where(CasePerson.case_id == case.id, Person.id.not_in(still_needed))
            .distinct()
        )
    )
