"""Recording what happened at a meeting (domain §2.6, R2, R3, R12): who attended for which
agency, apologies, agencies that sent information without attending, observers; declarations
of interest on the cases heard; and the minutes, drafted by a coordinator and approved by the
chair. Each change flushes and writes one audit event of ids and codes: an observer's name and
organisation, and every word of the minutes, are sealed and never reach the trail."""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select

import audit
from app import jobs
from app.accounts.models import User
from app.database import UK
from app.database import db
from app.database import flush_unique
from app.database import utcnow
from app.errors import DomainError
from app.keys.models import KeyPurpose
from app.keys.store import key_store
from app.template_filters import uk_date
from app.unit_of_work import job_change
from audit import AuditAction
from cases import policy
from cases.meetings import queries
from cases.meetings.models import AgendaItem
from cases.meetings.models import AgendaReason
from cases.meetings.models import AttendanceStatus
from cases.meetings.models import CaseResearch
from cases.meetings.models import InformationSent
from cases.meetings.models import InterestDeclaration
from cases.meetings.models import MeetingAttendance
from cases.meetings.models import MeetingMinutes
from cases.meetings.models import MeetingObserver
from cases.meetings.models import MinutesCaseSection
from cases.meetings.models import MinutesContribution
from cases.meetings.models import MinutesStatus
from cases.meetings.rules import contribution_field
from cases.meetings.rules import decision_field
from cases.meetings.rules import discussion_field
from cases.meetings.rules import member_field
from cases.meetings.rules import not_held_yet
from cases.meetings.rules import research_closed
from cases.models import Case
from cases.referrals import services as referrals
from cases.referrals.models import Referral
from notifications import Event
from notifications import notify
from notifications import path_for
from panels.models import Meeting
from panels.models import PanelRole
from panels.policy import members_to_tell
from panels.types.common import NOT_HEARD

OBSERVER_TEXT_MAX = 120
OBSERVERS_MAX = 8
AGENDA_NOTICE_HOUR = 7  # UK time: members hear of an agenda opening by itself that morning
AGENDA_DAYS_BEFORE_MAX = 28  # the longest a panel's agenda opens before its meeting


@dataclass(frozen=True)
class Observer:
    name: str
    organisation: str

    @property
    def blank(self) -> bool:
        """A row left empty on the form: not an observer."""
        return not self.name.strip() and not self.organisation.strip()


class Problems(DomainError):
    """Entries a rule refuses, each with the field it belongs next to; the first is the
    message and field of the error itself."""

    def __init__(self, problems: list[DomainError]) -> None:
        super().__init__(problems[0].message, field=problems[0].field)
        self.problems = problems


class AttendanceProblems(Problems):
    pass


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
    today: date,
) -> None:
    """Record the meeting's attendance as a whole: each member's status (None: not recorded),
    the agencies that sent information without attending, and the observers; from the day of
    the meeting (`today`, a UK date), never before it is held.

    R3: nobody is recorded as attending who has not accepted the meeting's confidentiality
    statement. Nobody who declared an interest in a case at the meeting is recorded as not
    attending: the declaration is removed first (`withdraw_interest`), so the record never
    says that someone absent left for an item. `seen` is the fingerprint of the attendance the
    form was drawn from: if it has been saved since, nothing is saved, rather than one
    coordinator silently putting back what another just recorded. The meeting's row is locked
    first, so two saves cannot both pass.
    """
    db.session.refresh(meeting, with_for_update={"of": Meeting})
    if meeting.held_on > today:
        raise DomainError(not_held_yet(meeting.held_on))
    current = queries.attendance_record(meeting)
    if seen is not None and seen != current.fingerprint:
        raise AttendanceChangedMeanwhile
    members = {m.user_id: m for m in queries.panel_members(meeting)}
    declared = queries.declared_user_ids(meeting)
    interested = queries.interested_user_ids(meeting)
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
        elif (status is None or not status.attended) and user_id in interested:
            name = members[user_id].user.display_name
            problems.append(
                DomainError(
                    f"{name} declared an interest in a case at this meeting, so they attended: "
                    "remove their declaration of interest from the meeting page first if they "
                    "did not",
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


def withdraw_interest(meeting: Meeting, *, actor: User, declaration: InterestDeclaration) -> None:
    """Remove a declaration of interest recorded in error (the wrong person, or someone who
    did not attend after all), so the record can always be corrected: attendance cannot say
    that a declarant did not attend while their declaration stands."""
    db.session.refresh(meeting, with_for_update={"of": Meeting})
    changes = {"case_id": [declaration.case_id, None], "user_id": [declaration.user_id, None]}
    db.session.delete(declaration)
    db.session.flush()
    audit.record(
        actor=actor, action=AuditAction.INTEREST_WITHDRAWN, object=meeting, changes=changes
    )


# Minutes (R12) -------------------------------------------------------------------------------

GENERAL_MAX = 20_000
DISCUSSION_MAX = 10_000
CONTRIBUTION_MAX = 5_000
APPROVED_UNCHANGEABLE = (
    "These minutes have been approved by the chair and distributed, so they cannot be "
    "changed. Record any correction in the minutes of the next meeting"
)


@dataclass(frozen=True)
class CaseMinutes:
    """What the minutes say about one case: the discussion, each agency's contribution by
    organisation id (blank: nothing recorded), and the panel's decision, a code of its type's
    decisions (None: not recorded yet)."""

    discussion: str
    contributions: Mapping[int, str]
    decision: str | None = None

    @property
    def blank(self) -> bool:
        return (
            not self.discussion.strip()
            and not any(t.strip() for t in self.contributions.values())
            and not self.decision
        )


class MinutesProblems(Problems):
    pass


class MinutesChangedMeanwhile(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "Someone else saved these minutes while you were editing them, so yours were not "
            "saved. The minutes as they are now are shown above the form, and your text is "
            "still in it: check it against theirs, then save again",
            field="general",
        )


def save_minutes(
    meeting: Meeting,
    *,
    actor: User,
    seen: int,
    general: str,
    cases: Mapping[int, CaseMinutes],
    today: date,
) -> MeetingMinutes:
    """Save the draft minutes of a meeting held (on or before `today`): the general section,
    and for each case given, the panel's decision (one of its type's, or none yet), its
    discussion and each agency's contribution (only agencies that attended or sent
    information). Cases not given are left as they are: a coordinator from an agency a case is
    closed to never sees, and so never removes, what was minuted about it.

    `seen` is the revision the form was drawn from (0: none yet). If the minutes have been
    saved since, nothing is saved: one coordinator never silently overwrites another. The
    meeting's row is locked first, so two saves cannot both pass. Approved minutes are never
    changed."""
    db.session.refresh(meeting, with_for_update={"of": Meeting})
    minutes = queries.minutes_of(meeting)
    if minutes is not None and minutes.approved:
        raise DomainError(APPROVED_UNCHANGEABLE, field="general")
    if seen != (minutes.revision if minutes else 0):
        raise MinutesChangedMeanwhile
    if meeting.held_on > today:
        raise DomainError(
            f"Minutes can be written from the day of the meeting, {uk_date(meeting.held_on)}",
            field="general",
        )
    listed = {view.case.id: view.case for view in queries.minuted_cases(meeting, actor, minutes)}
    agencies = {o.id for o in queries.agencies_taking_part(meeting)}
    problems = _minutes_problems(general, cases, listed, agencies)
    if problems:
        raise MinutesProblems(problems)
    general = general.strip()
    if minutes is None and not general and all(entry.blank for entry in cases.values()):
        raise DomainError("Write the minutes before saving them", field="general")
    before = _described(minutes)
    if minutes is None:
        minutes = MeetingMinutes(
            # The general section names no case: a key of its own, as an observer's name has.
            data_key=key_store().new_key(KeyPurpose.PERSON),
            meeting_id=meeting.id,
            drafted_by_id=actor.id,
            updated_by_id=actor.id,
            general=general or None,
        )
        db.session.add(minutes)
    else:
        minutes.general = general or None
        minutes.revision += 1
        minutes.updated_by_id = actor.id
        minutes.updated_at = utcnow()
    for case_id, entry in cases.items():
        _save_section(minutes, listed[case_id], entry)
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.MINUTES_SAVED,
        object=meeting,
        changes=audit.changes(before, _described(minutes)),
    )
    return minutes


def _minutes_problems(
    general: str, cases: Mapping[int, CaseMinutes], listed: Mapping[int, Case], agencies: set[int]
) -> list[DomainError]:
    problems: list[DomainError] = []
    if len(general.strip()) > GENERAL_MAX:
        problems.append(
            DomainError(
                f"The general minutes must be {GENERAL_MAX:,} characters or fewer", field="general"
            )
        )
    for case_id, entry in cases.items():
        case = listed.get(case_id)
        if case is None:
            problems.append(
                DomainError(
                    "Write minutes only for cases on this meeting’s agenda", field="general"
                )
            )
            continue
        if case.disposed_at is not None and not entry.blank:
            problems.append(
                DomainError(
                    f"Case {case.reference}’s content was destroyed under the retention policy: "
                    "nothing more can be minuted about it",
                    field=discussion_field(case_id),
                )
            )
            continue
        # One of the case's panel type's decisions: a code of another type is refused too.
        if entry.decision and case.panel.spec.decision(entry.decision) is None:
            problems.append(
                DomainError(
                    f"Select one of the panel’s decisions for case {case.reference}",
                    field=decision_field(case_id),
                )
            )
        if len(entry.discussion.strip()) > DISCUSSION_MAX:
            problems.append(
                DomainError(
                    f"The discussion of case {case.reference} must be {DISCUSSION_MAX:,} "
                    "characters or fewer",
                    field=discussion_field(case_id),
                )
            )
        for organisation_id, text in entry.contributions.items():
            field = contribution_field(case_id, organisation_id)
            if organisation_id not in agencies:
                problems.append(
                    DomainError(
                        "Record contributions only from agencies that attended or sent "
                        "information: record the attendance first",
                        field=field,
                    )
                )
            elif len(text.strip()) > CONTRIBUTION_MAX:
                problems.append(
                    DomainError(
                        f"Each agency’s contribution must be {CONTRIBUTION_MAX:,} characters or "
                        "fewer",
                        field=field,
                    )
                )
    return problems


def _save_section(minutes: MeetingMinutes, case: Case, entry: CaseMinutes) -> None:
    section = next((s for s in minutes.sections if s.case_id == case.id), None)
    if entry.blank:
        if section is not None:
            minutes.sections.remove(section)
        return
    discussion = entry.discussion.strip() or None
    if section is None:
        section = MinutesCaseSection(
            data_key=case.data_key, case_id=case.id, discussion=discussion, decision=entry.decision
        )
        minutes.sections.append(section)
    else:
        if section.discussion != discussion:
            section.discussion = discussion
        if section.decision != entry.decision:
            section.decision = entry.decision
    kept = {c.organisation_id: c for c in section.contributions}
    for organisation_id, text in sorted(entry.contributions.items()):
        text = text.strip()
        contribution = kept.get(organisation_id)
        if not text:
            if contribution is not None:
                section.contributions.remove(contribution)
        elif contribution is None:
            section.contributions.append(
                MinutesContribution(
                    data_key=case.data_key, organisation_id=organisation_id, text=text
                )
            )
        elif contribution.text != text:
            contribution.text = text


def _described(minutes: MeetingMinutes | None) -> dict[str, object]:
    """Ids and codes for the audit trail: never a word of the minutes."""
    if minutes is None:
        return {}
    values: dict[str, object] = {"revision": minutes.revision, "status": minutes.status.value}
    for section in minutes.sections:
        values[f"case.{section.case_id}"] = sorted(c.organisation_id for c in section.contributions)
        values[f"decision.{section.case_id}"] = section.decision
    return values


def approve_minutes(meeting: Meeting, *, actor: User, seen: int) -> MeetingMinutes:
    """The chair approves the draft minutes as they read them (`seen`: the revision shown to
    them); from then on they are distributed (R12) and never changed. Only the chair of the
    meeting's panel, in force and having accepted the meeting's statement, approves, and only
    minutes that record the panel's decision on every case on the agenda (a case the panel
    did not reach has "not heard" recorded), so approved minutes say what became of each."""
    db.session.refresh(meeting, with_for_update={"of": Meeting})
    minutes = queries.minutes_of(meeting)
    if not policy.chairs(actor, meeting):
        raise DomainError(
            f"Only the chair of {meeting.panel.name} can approve the minutes, once they have "
            "accepted the meeting’s confidentiality statement: ask the chair to read and "
            "approve them",
            field="approve",
        )
    if minutes is None:
        raise DomainError("There are no minutes to approve yet", field="approve")
    if minutes.approved:
        raise DomainError("These minutes have already been approved", field="approve")
    if seen != minutes.revision:
        raise DomainError(
            "The minutes were changed after you opened them, so they were not approved: read "
            "them again as they are now, then approve them",
            field="approve",
        )
    undecided = queries.undecided_cases(meeting, minutes)
    if undecided:
        raise DomainError(_undecided_message(actor, undecided), field="approve")
    minutes.status = MinutesStatus.APPROVED
    minutes.approved_by_id = actor.id
    minutes.approved_at = utcnow()
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.MINUTES_APPROVED,
        object=meeting,
        changes={
            "status": [MinutesStatus.DRAFT.value, MinutesStatus.APPROVED.value],
            "revision": [None, minutes.revision],
        },
    )
    members = members_to_tell(meeting.panel_id, *PanelRole)
    notify(
        Event.MINUTES_APPROVED,
        to=[person for person in members if policy.may_read_minutes(person, meeting, minutes)],
        link=path_for("meetings.minutes", meeting_id=meeting.id),
        panel=meeting.panel.name,
    )
    return minutes


def _undecided_message(actor: User, undecided: Sequence[Case]) -> str:
    """Why minutes without a decision on every case are not approved, naming the cases the
    approver may see and counting any closed to their agency (staff as subject)."""
    restricted = policy.viewer_of(actor).restricted
    named = [f"case {case.reference}" for case in undecided if case.id not in restricted]
    hidden = len(undecided) - len(named)
    if hidden:
        named.append(f"{hidden} case{'' if hidden == 1 else 's'} closed to your agency")
    listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    return (
        f"The minutes record no decision on {listed}, so they were not approved. Ask a "
        "coordinator to record the panel’s decision on every case in the draft (for a case "
        f"the panel did not reach: “{NOT_HEARD.label}”), then approve them"
    )


# Research before the meeting (domain §2.6, R7) ----------------------------------------------

SHARED_MAX = 5_000


class ResearchChangedMeanwhile(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "Someone else in your agency saved its research on this case while you were "
            "editing it, so yours was not saved. Their entry is shown above the form, and your "
            "text is still in it: check it against theirs, then save again",
            field="shared",
        )


def record_research(
    meeting: Meeting,
    *,
    actor: User,
    case: Case,
    seen: int,
    shared: str,
    nothing_to_share: bool,
    today: date,
) -> CaseResearch:
    """Mark the actor's agency's research on a case listed at the meeting as done, with what
    the agency is sharing for the meeting (sealed under the case's key, the agency its
    originator, R7) or that it has nothing to share. Any member of the agency on the panel
    updates the agency's one record; research is recorded until the meeting's day (`today`,
    a UK date), inclusive.

    `seen` is the revision the form was drawn from (0: none yet): if the agency's record has
    been saved since, nothing is saved, so one colleague never silently overwrites another.
    The meeting's row is locked first, so two saves cannot both pass."""
    db.session.refresh(meeting, with_for_update={"of": Meeting})
    if meeting.held_on < today:
        raise DomainError(research_closed(meeting.held_on), field="shared")
    if case.id not in queries.agenda_case_ids(meeting):
        raise DomainError("Record research only on cases on this meeting’s agenda", field="shared")
    if not policy.viewer_of(actor).panels.sits_on(meeting.panel_id):
        raise DomainError(
            f"Only members of agencies on {meeting.panel.name} record research for its meetings",
            field="shared",
        )
    if case.disposed_at is not None:
        raise DomainError(
            f"Case {case.reference}’s content was destroyed under the retention policy: "
            "nothing more can be shared about it",
            field="shared",
        )
    organisation_id = actor.organisation_id
    research = queries.research_of(meeting, case.id, organisation_id)
    if seen != (research.revision if research else 0):
        raise ResearchChangedMeanwhile
    text = shared.strip()
    if len(text) > SHARED_MAX:
        raise DomainError(
            f"What your agency is sharing must be {SHARED_MAX:,} characters or fewer",
            field="shared",
        )
    if nothing_to_share and text:
        raise DomainError(
            "Either enter what your agency is sharing or select that it has nothing to share, "
            "not both",
            field="shared",
        )
    if not nothing_to_share and not text:
        raise DomainError(
            "Enter what your agency is sharing for the meeting, or select that it has nothing "
            "to share",
            field="shared",
        )
    # Ids and codes only: never a word of what is shared. The case and agency are named
    # on every save, updates included, so each event says whose record it was.
    before: dict[str, object] = (
        {
            "case_id": case.id,
            "organisation_id": organisation_id,
            "revision": research.revision,
            "nothing_to_share": research.nothing_to_share,
        }
        if research
        else {}
    )
    if research is None:
        research = CaseResearch(
            data_key=case.data_key,
            meeting_id=meeting.id,
            case_id=case.id,
            organisation_id=organisation_id,
            nothing_to_share=nothing_to_share,
            recorded_by_id=actor.id,
            updated_by_id=actor.id,
            shared=text or None,
        )
        db.session.add(research)
        flush_unique("Your agency’s research on this case has just been recorded", field="shared")
    else:
        research.shared = text or None
        research.nothing_to_share = nothing_to_share
        research.revision += 1
        research.updated_by_id = actor.id
        research.updated_at = utcnow()
        db.session.flush()
    after = {
        "case_id": case.id,
        "organisation_id": organisation_id,
        "revision": research.revision,
        "nothing_to_share": research.nothing_to_share,
    }
    changes = audit.changes(before, after)
    changes["case_id"] = [before.get("case_id"), case.id]
    changes["organisation_id"] = [before.get("organisation_id"), organisation_id]
    audit.record(actor=actor, action=AuditAction.RESEARCH_RECORDED, object=meeting, changes=changes)
    return research


# Building and publishing the agenda (domain §2.5, §2.6) ---------------------------------------


class AgendaChangedMeanwhile(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "Someone else changed this agenda while you were looking at it, so your change was "
            "not made. The agenda is shown as it is now: check it, then try again"
        )


def _change_agenda(meeting: Meeting, seen: int, today: date) -> None:
    """Lock the meeting's row, refuse a change made from an agenda someone has changed since
    (`seen`, the revision the page showed) or to a meeting already held, and count the change."""
    db.session.refresh(meeting, with_for_update={"of": Meeting})
    if meeting.agenda_revision != seen:
        raise AgendaChangedMeanwhile
    if meeting.held_on < today:
        raise DomainError(
            f"The meeting on {uk_date(meeting.held_on)} has been held: its agenda can no longer "
            "be changed"
        )
    meeting.agenda_revision += 1


def _item(meeting: Meeting, case_id: int) -> AgendaItem | None:
    return db.session.scalar(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id, AgendaItem.case_id == case_id)
    )


def _next_position(meeting: Meeting) -> int | None:
    """After the last ordered entry; None while the coordinator has ordered nothing."""
    last = db.session.scalar(
        select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id)
    )
    return None if last is None else last + 1


def list_referral(referral: Referral, *, actor: User, meeting: Meeting) -> Referral:
    """List an accepted referral at the meeting (the referral's own event), at the end of its
    agenda; a case already there for review becomes this referral's entry."""
    referrals.list_for_meeting(referral, actor=actor, meeting=meeting)
    assert referral.case_id is not None
    db.session.refresh(meeting, with_for_update={"of": Meeting})
    item = _item(meeting, referral.case_id)
    if item is None:
        db.session.add(
            AgendaItem(
                meeting_id=meeting.id,
                case_id=referral.case_id,
                referral_id=referral.id,
                reason=AgendaReason.REFERRAL,
                position=_next_position(meeting),
                added_by_id=actor.id,
            )
        )
    else:
        item.referral_id = referral.id
        item.reason = AgendaReason.REFERRAL
    meeting.agenda_revision += 1
    db.session.flush()
    return referral


REVIEW_REASONS = (AgendaReason.FLAG_EXPIRY, AgendaReason.REVIEW)


def add_for_review(
    meeting: Meeting, *, actor: User, case: Case, reason: AgendaReason, seen: int, today: date
) -> AgendaItem:
    """Bring a case of the panel back to the meeting for review, without a new referral: one
    whose repeat flag expires before the next meeting (domain §2.5), or any the coordinator
    chooses. Its members see it once they accept the meeting's statement (R3)."""
    if reason not in REVIEW_REASONS:
        raise DomainError("Choose why the case is coming back for review", field="reference")
    if case.panel_id != meeting.panel_id:
        raise DomainError(
            f"Case {case.reference} is not a case of {meeting.panel.name}", field="reference"
        )
    if case.disposed_at is not None:
        raise DomainError(
            f"Case {case.reference}’s content was destroyed under the retention policy: it "
            "cannot come back to a meeting",
            field="reference",
        )
    _change_agenda(meeting, seen, today)
    if case.id in queries.agenda_case_ids(meeting):
        raise DomainError(f"Case {case.reference} is already on this agenda", field="reference")
    item = AgendaItem(
        meeting_id=meeting.id,
        case_id=case.id,
        reason=reason,
        position=_next_position(meeting),
        added_by_id=actor.id,
    )
    db.session.add(item)
    flush_unique(f"Case {case.reference} is already on this agenda", field="reference")
    audit.record(
        actor=actor,
        action=AuditAction.AGENDA_CHANGED,
        object=meeting,
        changes={"added_case_id": [None, case.id], "reason": [None, reason.value]},
    )
    return item


def remove_from_agenda(
    meeting: Meeting, *, actor: User, case: Case, seen: int, today: date
) -> None:
    """Take a case brought back for review off the agenda. A listed referral stays: it is
    carried forward, or recorded as heard, as what happened to it."""
    _change_agenda(meeting, seen, today)
    item = _item(meeting, case.id)
    if item is None or item.referral_id is not None:
        raise DomainError(
            f"Case {case.reference} is on the agenda for a referral: only a case brought back "
            "for review can be taken off"
        )
    db.session.delete(item)
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.AGENDA_CHANGED,
        object=meeting,
        changes={"removed_case_id": [case.id, None], "reason": [item.reason.value, None]},
    )


def move_on_agenda(
    meeting: Meeting, *, actor: User, case: Case, up: bool, seen: int, today: date
) -> None:
    """Move a case one place up or down the agenda. The first move fixes every entry's place
    (the order the page showed), so later listings go to the end."""
    _change_agenda(meeting, seen, today)
    entries = queries.agenda(meeting, None)
    order = [entry.case_id for entry in entries]
    if case.id not in order:
        raise DomainError(f"Case {case.reference} is not on this agenda")
    at = order.index(case.id)
    to = at - 1 if up else at + 1
    if not 0 <= to < len(order):
        raise DomainError(
            f"Case {case.reference} is already {'first' if up else 'last'} on the agenda"
        )
    before = list(order)
    order[at], order[to] = order[to], order[at]
    by_case = {entry.case_id: entry for entry in entries}
    for position, case_id in enumerate(order, start=1):
        item = _item(meeting, case_id)
        if item is None:
            entry = by_case[case_id]
            item = AgendaItem(
                meeting_id=meeting.id,
                case_id=case_id,
                referral_id=entry.referral.id if entry.referral else None,
                reason=entry.reason,
                added_by_id=actor.id,
                # Already on the agenda: the row records its place, not a new entry.
                added_at=min(utcnow(), queries.published_moment(meeting)),
            )
            db.session.add(item)
        item.position = position
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.AGENDA_CHANGED,
        object=meeting,
        changes={"order": [before, order]},
    )


def carry_forward(
    meeting: Meeting, *, actor: User, referral: Referral, seen: int, today: date
) -> AgendaItem:
    """Carry a referral that an earlier meeting did not hear forward to this one: its listing
    moves here (so it counts where it is heard, E7), the earlier meeting keeps a row saying
    where it went, and it joins the end of this agenda."""
    _change_agenda(meeting, seen, today)
    assert referral.case_id is not None
    if referral.meeting is not None and referral.meeting.held_on >= today:
        raise DomainError(
            f"The meeting on {uk_date(referral.meeting.held_on)} has not been held yet: list "
            "the referral where it will be heard instead"
        )
    earlier = referrals.carry_listing(referral, meeting=meeting)
    left = _item(earlier, referral.case_id)
    if left is None:
        left = AgendaItem(
            meeting_id=earlier.id,
            case_id=referral.case_id,
            referral_id=referral.id,
            reason=AgendaReason.REFERRAL,
            added_by_id=actor.id,
        )
        db.session.add(left)
    left.carried_to_id = meeting.id
    item = _item(meeting, referral.case_id)
    if item is None:
        item = AgendaItem(
            meeting_id=meeting.id,
            case_id=referral.case_id,
            position=_next_position(meeting),
            added_by_id=actor.id,
            reason=AgendaReason.CARRIED_FORWARD,
        )
        db.session.add(item)
    item.referral_id = referral.id
    item.reason = AgendaReason.CARRIED_FORWARD
    item.carried_from_id = earlier.id
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.REFERRAL_CARRIED_FORWARD,
        object=referral,
        changes={"meeting_id": [earlier.id, meeting.id]},
    )
    return item


def publish_agenda(meeting: Meeting, *, actor: User, seen: int, today: date) -> Meeting:
    """Open the agenda to the panel's members now, before the day it would open by itself:
    from then on they can accept the statement, see it and record their research (R3)."""
    _change_agenda(meeting, seen, today)
    if meeting.agenda_published(today):
        raise DomainError(
            "This agenda is already published: members can accept the statement and see it"
        )
    if not queries.agenda_case_ids(meeting):
        raise DomainError("Add at least one case to the agenda before publishing it")
    meeting.agenda_published_at = utcnow()
    meeting.agenda_published_by_id = actor.id
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.AGENDA_PUBLISHED,
        object=meeting,
        changes={"agenda_published_by_id": [None, actor.id]},
    )
    _tell_agenda_published(meeting)
    return meeting


@jobs.daily(hour=AGENDA_NOTICE_HOUR)
def _agendas_opening_today(now: datetime) -> None:
    """An agenda not published by hand opens by itself on its day (R3): its members are told
    that morning, as they are when a coordinator publishes it early (once either way)."""
    today = now.astimezone(UK).date()
    with job_change():
        opening = db.session.scalars(
            select(Meeting)
            .where(
                Meeting.agenda_published_at.is_(None),
                Meeting.held_on.between(today, today + timedelta(days=AGENDA_DAYS_BEFORE_MAX)),
            )
            .order_by(Meeting.id)
        ).all()
        for meeting in opening:
            if meeting.agenda_published(today) and queries.agenda_case_ids(meeting):
                _tell_agenda_published(meeting)


def _tell_agenda_published(meeting: Meeting) -> None:
    """The panel's members in force hear that the agenda is open to them (issue 22)."""
    notify(
        Event.AGENDA_PUBLISHED,
        to=members_to_tell(meeting.panel_id, *PanelRole),
        link=path_for("meetings.show", meeting_id=meeting.id),
        panel=meeting.panel.name,
        once=f"{Event.AGENDA_PUBLISHED.value}:{meeting.id}",
    )
