"""State changes on cases and people. Each takes the actor, flushes, and writes one audit event.

Audit events name cases and people by id and record only structural fields: names, dates of
birth and note text are never in the trail, not even masked.
"""

from __future__ import annotations

from datetime import date

import audit
from app.accounts.models import User
from app.database import db
from app.errors import DomainError
from app.keys.models import KeyPurpose
from app.keys.store import key_store
from audit import AuditAction
from cases.models import Case
from cases.models import CaseNote
from cases.models import CasePerson
from cases.models import CaseRole
from cases.models import CaseStatus
from cases.models import Person
from cases.people.services import Identity
from cases.people.services import new_person_record
from panels.models import Panel

NOTE_MAX_LENGTH = 10_000


def open_case(*, actor: User | None, panel: Panel, opened_on: date, summary: str | None) -> Case:
    if not panel.active:
        raise DomainError("This panel is no longer active", field="panel")
    case = Case(
        panel=panel,
        data_key=key_store().new_key(KeyPurpose.CASE),
        opened_on=opened_on,
        summary=summary,
    )
    db.session.add(case)
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.CASE_OPENED,
        object=case,
        changes={"panel_id": [None, panel.id], "opened_on": [None, opened_on.isoformat()]},
    )
    return case


def add_person(case: Case, *, actor: User | None, role: CaseRole, identity: Identity) -> Person:
    """Add someone new to the case, sealed under their own key and findable by blind index."""
    _require_open(case)
    person = new_person_record(identity)
    db.session.add(CasePerson(case=case, person=person, role=role))
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.CASE_PERSON_ADDED,
        object=case,
        changes={"person_id": [None, person.id], "role": [None, role.value]},
    )
    return person


def add_note(case: Case, *, actor: User, text: str) -> CaseNote:
    _require_open(case)
    text = text.strip()
    if not text:
        raise DomainError("Enter the note", field="text")
    if len(text) > NOTE_MAX_LENGTH:
        raise DomainError(f"The note must be {NOTE_MAX_LENGTH:,} characters or fewer", field="text")
    note = CaseNote(
        case=case,
        data_key=case.data_key,
        author=actor,
        agency_id=actor.organisation_id,
        text=text,
    )
    db.session.add(note)
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.CASE_NOTE_ADDED,
        object=case,
        changes={"note_id": [None, note.id], "agency_id": [None, actor.organisation_id]},
    )
    return note


def close_case(case: Case, *, actor: User | None, closed_on: date) -> Case:
    _require_open(case)
    if closed_on < case.opened_on:
        raise DomainError(
            "The closing date must be on or after the date it opened", field="closed_on"
        )
    case.status = CaseStatus.CLOSED
    case.closed_on = closed_on
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.CASE_CLOSED,
        object=case,
        changes={"status": ["open", "closed"], "closed_on": [None, closed_on.isoformat()]},
    )
    return case


def _require_open(case: Case) -> None:
    if case.disposed_at is not None:
        raise DomainError("This case’s content was destroyed under the retention policy")
    if case.status is not CaseStatus.OPEN:
        raise DomainError("This case is closed and can no longer be changed")
