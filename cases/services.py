"""State changes on cases and people. Each takes the actor, flushes, and writes one audit event.

Audit events name cases and people by id and record only structural fields: names, dates of
birth and note text are never in the trail, not even masked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import audit
from app.accounts.models import User
from app.database import db
from app.errors import DomainError
from app.keys.blind import IndexKind
from app.keys.blind import index_of
from app.keys.blind import name_and_birth_date
from app.keys.blind import normalise_identifier
from app.keys.models import KeyPurpose
from app.keys.store import key_store
from audit import AuditAction
from cases.models import Case
from cases.models import CaseNote
from cases.models import CasePerson
from cases.models import CaseRole
from cases.models import CaseStatus
from cases.models import Person
from cases.models import PersonSearchKey
from cases.models import split_alias
from panels.models import Panel

NOTE_MAX_LENGTH = 10_000


@dataclass(frozen=True)
class Identity:
    """What is known of a person when they are added to a case."""

    given_names: str
    family_name: str
    date_of_birth: date | None = None
    aliases: tuple[str, ...] = ()
    address: str | None = None
    phone: str | None = None
    contact_safety: str | None = None
    nhs_number: str | None = None
    pnc_id: str | None = None


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
    if not identity.given_names.strip() and not identity.family_name.strip():
        raise DomainError("Enter the person’s name", field="family_name")
    person = Person(
        data_key=key_store().new_key(KeyPurpose.PERSON),
        given_names=identity.given_names.strip(),
        family_name=identity.family_name.strip(),
        aliases="\n".join(alias.strip() for alias in identity.aliases if alias.strip()) or None,
        date_of_birth=identity.date_of_birth,
        address=identity.address,
        phone=identity.phone,
        contact_safety=identity.contact_safety,
        nhs_number=identity.nhs_number,
        pnc_id=identity.pnc_id,
    )
    person.search_keys = [PersonSearchKey(kind=k, value=v) for k, v in _search_keys_for(identity)]
    db.session.add(CasePerson(case=case, person=person, role=role))
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.CASE_PERSON_ADDED,
        object=case,
        changes={"person_id": [None, person.id], "role": [None, role.value]},
    )
    return person


def _search_keys_for(identity: Identity) -> Iterable[tuple[IndexKind, int]]:
    """Blind indexes for the name (and each alias) with the date of birth, and identifiers."""
    if identity.date_of_birth is not None:
        names = [(identity.given_names, identity.family_name)]
        names += [split_alias(alias) for alias in identity.aliases if alias.strip()]
        values = {name_and_birth_date(g, f, identity.date_of_birth) for g, f in names}
        for value in sorted(values):
            yield IndexKind.NAME_AND_BIRTH_DATE, index_of(IndexKind.NAME_AND_BIRTH_DATE, value)
    if identity.nhs_number:
        yield (
            IndexKind.NHS_NUMBER,
            index_of(IndexKind.NHS_NUMBER, normalise_identifier(identity.nhs_number)),
        )
    if identity.pnc_id:
        yield IndexKind.PNC_ID, index_of(IndexKind.PNC_ID, normalise_identifier(identity.pnc_id))


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
