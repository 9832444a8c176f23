"""Recording what happened at a meeting (domain §2.6, R2, R3): who attended for which agency,
apologies, agencies that sent information without attending, observers; and declarations of
interest on the cases heard. Each change flushes and writes one audit event of ids and codes:
an observer's name and organisation are sealed and never reach the trail."""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass

import audit
from app.accounts.models import User
from app.database import db
from app.database import flush_unique
from app.errors import DomainError
from app.keys.models import KeyPurpose
from app.keys.store import key_store
from audit import AuditAction
from cases.meetings import queries
from cases.meetings.models import AttendanceStatus
from cases.meetings.models import InformationSent
from cases.meetings.models import InterestDeclaration
from cases.meetings.models import MeetingAttendance
from cases.meetings.models import MeetingObserver
from cases.meetings.rules import member_field
from cases.models import Case
from panels.models import Meeting

OBSERVER_TEXT_MAX = 120
OBSERVERS_MAX = 8


@dataclass(frozen=True)
class Observer:
    name: str
    organisation: str

    @property
    def blank(self) -> bool:
        """A row left empty on the form: not an observer."""
        return not self.name.strip() and not self.organisation.strip()


class AttendanceProblems(DomainError):
    """Entries a rule refuses, each with the field it belongs next to; the first is the
    message and field of the error itself."""

    def __init__(self, problems: list[DomainError]) -> None:
        super().__init__(problems[0].message, field=problems[0].field)
        self.problems = problems


class AttendanceChangedMeanwhile(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "Someone else recorded this meeting's attendance while you were editing it, so "
            "yours was not saved. The attendance as it is now is shown above the form: check "
            "your entries against it, then save again"
        )


def record_attendance(
    meeting: Meeting,
    *,
    actor: User,
    seen: str | None,
    statuses: Mapping[int, AttendanceStatus | None],
    information_from: Collection[int],
    observers: Sequence[Observer],
) -> None:
    """Record the meeting's attendance as a whole: each member's status (None: not recorded),
    the agencies that sent information without attending, and the observers.

    R3: nobody is recorded as attending who has not accepted the meeting's confidentiality
    statement. `seen` is the fingerprint of the attendance the form was drawn from: if it has
    been saved since, nothing is saved, rather than one coordinator silently putting back what
    another just recorded. The meeting's row is locked first, so two saves cannot both pass.
    """
    db.session.refresh(meeting, with_for_update=True)
    current = queries.attendance_record(meeting)
    if seen is not None and seen != current.fingerprint:
        raise AttendanceChangedMeanwhile
    members = {m.user_id: m for m in queries.panel_members(meeting)}
    declared = queries.declared_user_ids(meeting)
    problems: list[DomainError] = []
    for user_id, status in statuses.items():
        if user_id not in members:
            problems.append(DomainError("Select only the panel's members", field="members"))
        elif status is not None and status.attended and user_id not in declared:
            name = members[user_id].user.display_name
            problems.append(
                DomainError(
                    f"{name} has not accepted the confidentiality statement for this meeting: "
                    "their attendance cannot be recorded until they do",
                    field=member_field(user_id),
                )
            )
    agencies = {m.user.organisation_id: m.user.organisation for m in members.values()}
    attending = {
        members[user_id].user.organisation_id
        for user_id, status in statuses.items()
        if user_id in members and status is not None and status.attended
    }
    for organisation_id in sorted(information_from):
        if organisation_id not in agencies:
            problems.append(
                DomainError("Select only agencies that sit on the panel", field="information")
            )
        elif organisation_id in attending:
            problems.append(
                DomainError(
                    f"{agencies[organisation_id].name} attended: tick only agencies that sent "
                    "information without attending",
                    field="information",
                )
            )
    problems.extend(_observer_problems(observers))
    if problems:
        raise AttendanceProblems(problems)

    before = current.described()
    _save_statuses(meeting, actor, current.rows, members, statuses)
    _save_information(meeting, actor, current.information, set(information_from))
    _save_observers(meeting, actor, current.observers, observers)
    db.session.flush()
    after = queries.attendance_record(meeting).described()
    audit.record(
        actor=actor,
        action=AuditAction.ATTENDANCE_RECORDED,
        object=meeting,
        changes=audit.changes(before, after),
    )


def _observer_problems(observers: Sequence[Observer]) -> list[DomainError]:
    problems = []
    if len([o for o in observers if not o.blank]) > OBSERVERS_MAX:
        problems.append(
            DomainError(f"Record at most {OBSERVERS_MAX} observers", field="observers-0-name")
        )
    for index, observer in enumerate(observers[:OBSERVERS_MAX]):
        number = index + 1
        if observer.blank:
            continue
        if not observer.name.strip():
            problems.append(
                DomainError(f"Enter the name of observer {number}", field=f"observers-{index}-name")
            )
        elif len(observer.name) > OBSERVER_TEXT_MAX:
            problems.append(
                DomainError(
                    f"The name of observer {number} must be {OBSERVER_TEXT_MAX} characters or "
                    "fewer",
                    field=f"observers-{index}-name",
                )
            )
        if not observer.organisation.strip():
            problems.append(
                DomainError(
                    f"Enter the organisation of observer {number}",
                    field=f"observers-{index}-organisation",
                )
            )
        elif len(observer.organisation) > OBSERVER_TEXT_MAX:
            problems.append(
                DomainError(
                    f"The organisation of observer {number} must be {OBSERVER_TEXT_MAX} "
                    "characters or fewer",
                    field=f"observers-{index}-organisation",
                )
            )
    return problems


def _save_statuses(
    meeting: Meeting,
    actor: User,
    rows: Mapping[int, MeetingAttendance],
    members: Mapping[int, queries.Member],
    statuses: Mapping[int, AttendanceStatus | None],
) -> None:
    for user_id, status in statuses.items():
        row = rows.get(user_id)
        if status is None:
            if row is not None:
                db.session.delete(row)
            continue
        if row is not None and row.status is status:
            continue
        member = members[user_id]
        values = {
            "status": status,
            "organisation_id": member.user.organisation_id,
            "panel_role": member.role,
            "recorded_by_id": actor.id,
        }
        if row is None:
            db.session.add(MeetingAttendance(meeting_id=meeting.id, user_id=user_id, **values))
        else:
            for name, value in values.items():
                setattr(row, name, value)


def _save_information(
    meeting: Meeting, actor: User, rows: Sequence[InformationSent], chosen: set[int]
) -> None:
    kept = {row.organisation_id for row in rows}
    for row in rows:
        if row.organisation_id not in chosen:
            db.session.delete(row)
    for organisation_id in sorted(chosen - kept):
        db.session.add(
            InformationSent(
                meeting_id=meeting.id, organisation_id=organisation_id, recorded_by_id=actor.id
            )
        )


def _save_observers(
    meeting: Meeting, actor: User, rows: Sequence[MeetingObserver], observers: Sequence[Observer]
) -> None:
    """Observers are replaced only when the list changed: an unchanged list keeps its rows."""
    wanted = [(o.name.strip(), o.organisation.strip()) for o in observers if not o.blank]
    if wanted == [(row.name, row.organisation) for row in rows]:
        return
    for row in rows:
        key = row.data_key
        db.session.delete(row)
        # Each observer's key goes with them: what was typed cannot be read again.
        key_store().destroy(key)
    for position, (name, organisation) in enumerate(wanted):
        db.session.add(
            MeetingObserver(
                data_key=key_store().new_key(KeyPurpose.PERSON),
                meeting_id=meeting.id,
                position=position,
                recorded_by_id=actor.id,
                name=name,
                organisation=organisation,
            )
        )


def declare_interest(
    meeting: Meeting, *, actor: User, case: Case, attendee_id: int
) -> InterestDeclaration:
    """Record that an attendee declared an interest in a case on the meeting's agenda: they
    leave the meeting for that item."""
    if case.id not in queries.agenda_case_ids(meeting):
        raise DomainError("Select a case on this meeting’s agenda", field="case_id")
    attendee = queries.attendance_record(meeting).rows.get(attendee_id)
    if attendee is None or not attendee.status.attended:
        raise DomainError(
            "Select someone recorded as attending the meeting: record the attendance first",
            field="attendee_id",
        )
    declaration = InterestDeclaration(
        meeting_id=meeting.id,
        case_id=case.id,
        user_id=attendee_id,
        organisation_id=attendee.organisation_id,
        recorded_by_id=actor.id,
    )
    db.session.add(declaration)
    flush_unique(
        f"{attendee.user.display_name} has already declared an interest in this case",
        field="attendee_id",
    )
    audit.record(
        actor=actor,
        action=AuditAction.INTEREST_DECLARED,
        object=meeting,
        changes={"case_id": [None, case.id], "user_id": [None, attendee_id]},
    )
    return declaration
