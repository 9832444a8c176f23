"""Action plans (domain §2.6, R13): at the meeting an agency volunteers an action for a case and
keeps responsibility for it; it reports progress until the action is completed, no longer
possible, or recorded as not done. Each change flushes and writes one audit event of ids and
codes: the wording of an action and its reports is sealed under the case's key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm.exc import StaleDataError

import audit
from app import jobs
from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.errors import DomainError
from app.template_filters import UK
from app.template_filters import uk_date
from app.unit_of_work import job_change
from audit import AuditAction
from cases.actions import queries as action_queries
from cases.actions.models import ActionDueDateChange
from cases.actions.models import ActionStatus
from cases.actions.models import ActionUpdate
from cases.actions.models import CaseAction
from cases.models import Case
from cases.models import CaseStatus
from cases.restrictions.models import CaseRestriction
from notifications import Event
from notifications import notify
from notifications import path_for
from panels.models import Meeting
from panels.models import PanelRole
from panels.policy import members_to_tell

DESCRIPTION_MAX_LENGTH = 2_000
REPORT_MAX_LENGTH = 5_000
DUE_DATE_REASON_MAX_LENGTH = 1_000
# An action plan looks weeks ahead; a date years out is almost always a typing slip.
LONGEST_DEADLINE_DAYS = 2 * 366
REMINDER_HOUR = 7  # UK time: the daily reminders arrive before the working day
DUE_SOON_DAYS = 3  # an open action due within this many days is "due soon"
REMINDER_BATCH = 500
DUE_DATE_STALE = (
    "Someone else changed this action while you were changing its due date, so your change "
    "was not saved. The action as it is now is shown: check the date, then save again"
)
STALE = (
    "Someone else reported on this action while you were writing. Their report is shown "
    "below: read it, then send yours again"
)


@dataclass(frozen=True)
class NewAction:
    description: str
    owner: Organisation
    due_on: date
    meeting: Meeting | None


def agree_action(case: Case, *, actor: User, action: NewAction, today: date) -> CaseAction:
    """Record an action agreed for the case: owned by an agency that may take it on
    (`action_queries.owner_agencies`), agreed at a meeting held that listed the case, if any."""
    _require_open(case)
    description = _required_text(action.description, "description", "Enter what the agency will do")
    _within(description, DESCRIPTION_MAX_LENGTH, "The action", "description")
    if action.owner not in action_queries.owner_agencies(case, today):
        raise DomainError("Select an agency that sits on this panel", field="owner_agency_id")
    if action.meeting is not None and action.meeting not in action_queries.meetings_of(case, today):
        raise DomainError("Select a meeting held that this case was listed at", field="meeting_id")
    if action.due_on < (action.meeting.held_on if action.meeting else case.opened_on):
        raise DomainError(
            "The date it is due must be on or after the meeting that agreed it"
            if action.meeting
            else "The date it is due must be on or after the date the case opened",
            field="due_on",
        )
    if (action.due_on - today).days > LONGEST_DEADLINE_DAYS:
        raise DomainError("The date it is due must be within 2 years", field="due_on")
    created = CaseAction(
        case=case,
        panel_id=case.panel_id,
        data_key=case.data_key,
        meeting=action.meeting,
        owner_agency=action.owner,
        due_on=action.due_on,
        agreed_by_id=actor.id,
        description=description,
    )
    db.session.add(created)
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.ACTION_AGREED,
        object=case,
        changes={
            "action_id": [None, created.id],
            "owner_agency_id": [None, action.owner.id],
            "due_on": [None, action.due_on.isoformat()],
            "meeting_id": [None, action.meeting.id if action.meeting else None],
        },
    )
    _tell_owners(created, Event.ACTION_ASSIGNED)
    return created


@jobs.daily(hour=REMINDER_HOUR)
def _remind_owners(now: datetime) -> None:
    """The daily reminders (issue 22): each open action due within the next few days, and
    each one past its due date, is told to its agency's representatives once per due date
    (the chair hears of overdue ones too); a new due date is reminded of afresh."""
    today = now.astimezone(UK).date()
    last_id = 0
    while True:
        with job_change():
            batch = db.session.scalars(
                select(CaseAction)
                .join(Case, Case.id == CaseAction.case_id)
                .where(
                    CaseAction.status == ActionStatus.OPEN,
                    CaseAction.due_on <= today + timedelta(days=DUE_SOON_DAYS),
                    Case.status == CaseStatus.OPEN,
                    Case.disposed_at.is_(None),
                    CaseAction.id > last_id,
                )
                .order_by(CaseAction.id)
                .limit(REMINDER_BATCH)
            ).all()
            for action in batch:
                overdue = action.due_on < today
                event = Event.ACTION_OVERDUE if overdue else Event.ACTION_DUE_SOON
                key = f"{event.value}:{action.id}:{action.due_on.isoformat()}"
                _tell_owners(action, event, chair_too=overdue, once=key)
        if len(batch) < REMINDER_BATCH:
            return
        last_id = batch[-1].id


def _tell_owners(
    action: CaseAction, event: Event, *, chair_too: bool = False, once: str | None = None
) -> None:
    """Tell the owning agency's representatives on the panel (and, for an overdue action, the
    chair) that `event` happened to the action; nobody the case is restricted from. With
    `once`, not if a notification with that key was given before."""
    owners = members_to_tell(
        action.panel_id, PanelRole.REPRESENTATIVE, organisation_id=action.owner_agency_id
    )
    chairs = members_to_tell(action.panel_id, PanelRole.CHAIR) if chair_too else []
    restricted = set(
        db.session.scalars(
            select(CaseRestriction.organisation_id).where(
                CaseRestriction.case_id == action.case_id, CaseRestriction.lifted_at.is_(None)
            )
        )
    )
    notify(
        event,
        to=[person for person in owners + chairs if person.organisation_id not in restricted],
        link=path_for("actions.show", case_id=action.case_id, action_id=action.id),
        panel=action.case.panel.name,
        reference=action.case.reference,
        once=once,
    )


def report_progress(
    action: CaseAction, *, actor: User, status: ActionStatus, text: str, seen_version: int
) -> ActionUpdate:
    """Add a progress report and move the action to `status`. `seen_version` is the version
    the person was looking at: if someone reported meanwhile, nothing is saved and they are
    told, rather than one report silently undoing the other's status. Closing a case does
    not end an agency's responsibility for its actions (domain §2.8), so they can still be
    reported on."""
    _require_content(action.case)
    if seen_version != action.version:
        raise DomainError(STALE, field="text")
    if not action.status.outstanding:
        raise DomainError(
            f"This action is already closed ({action.status.label.lower()})", field="status"
        )
    text = text.strip()
    if status.needs_reason and not text:
        raise DomainError("Say why the action was not completed", field="text")
    if not text:
        raise DomainError("Enter what has been done", field="text")
    _within(text, REPORT_MAX_LENGTH, "The report", "text")
    return _close(action, actor=actor, status=status, text=text)


def _close(action: CaseAction, *, actor: User, status: ActionStatus, text: str) -> ActionUpdate:
    """Add a report moving the action to `status`, with its one audit event."""
    before = action.status
    update = ActionUpdate(
        action=action,
        data_key=action.case.data_key,
        author_id=actor.id,
        agency_id=actor.organisation_id,
        status=status,
        text=text,
    )
    action.status = status
    action.updated_at = utcnow()
    db.session.add(update)
    try:
        db.session.flush()  # the version check in SQL catches a report that won the race
    except StaleDataError:
        raise DomainError(STALE, field="text") from None
    audit.record(
        actor=actor,
        action=AuditAction.ACTION_PROGRESS_REPORTED,
        object=action.case,
        changes={"action_id": [None, action.id], "status": [before.value, status.value]},
    )
    return update


def change_due_date(
    action: CaseAction, *, actor: User, due_on: date, reason: str, seen_version: int, today: date
) -> ActionDueDateChange:
    """Move an open action's due date, as agreed with its agency, saying why (the reason is
    sealed under the case's key; the dates and who moved it are in the action's history and
    the audit trail). An action cannot fall due before it was agreed: before the meeting that
    agreed it, or before the day it was agreed if not at a meeting. `seen_version` guards
    against a report or another change made meanwhile, as `report_progress` does."""
    _require_content(action.case)
    if seen_version != action.version:
        raise DomainError(DUE_DATE_STALE, field="due_on")
    if not action.status.outstanding:
        raise DomainError(
            f"This action is closed ({action.status.label.lower()}): its due date can no "
            "longer be changed",
            field="due_on",
        )
    reason = _required_text(reason, "reason", "Enter why the date it is due has changed")
    _within(reason, DUE_DATE_REASON_MAX_LENGTH, "The reason", "reason")
    if due_on == action.due_on:
        raise DomainError(
            f"The action is already due on {uk_date(due_on)}: enter a different date",
            field="due_on",
        )
    if action.meeting is not None and due_on < action.meeting.held_on:
        raise DomainError(
            "The date it is due must be on or after the meeting that agreed it, "
            f"{uk_date(action.meeting.held_on)}",
            field="due_on",
        )
    agreed_on = action.created_at.astimezone(UK).date()
    if action.meeting is None and due_on < agreed_on:
        raise DomainError(
            f"The date it is due must be on or after the day it was agreed, {uk_date(agreed_on)}",
            field="due_on",
        )
    if (due_on - today).days > LONGEST_DEADLINE_DAYS:
        raise DomainError("The date it is due must be within 2 years", field="due_on")
    previous = action.due_on
    change = ActionDueDateChange(
        action=action,
        data_key=action.case.data_key,
        changed_by_id=actor.id,
        agency_id=actor.organisation_id,
        previous_due_on=previous,
        due_on=due_on,
        reason=reason,
    )
    action.due_on = due_on
    action.updated_at = utcnow()
    db.session.add(change)
    try:
        db.session.flush()  # the version check in SQL catches a change that won the race
    except StaleDataError:
        raise DomainError(DUE_DATE_STALE, field="due_on") from None
    audit.record(
        actor=actor,
        action=AuditAction.ACTION_DUE_DATE_CHANGED,
        object=action.case,
        changes={
            "action_id": [None, action.id],
            "due_on": [previous.isoformat(), due_on.isoformat()],
        },
    )
    return change


def follow_transfer(case: Case, *, actor: User, from_panel_name: str, transferred_on: date) -> None:
    """A transferred case's actions move to its new panel with it (they travel with the
    case, R19), so the receiving panel's coordinators see them and the sending panel's
    agencies no longer do. Call it once the case is on its new panel.

    An open action whose agency does not sit on the receiving panel could never be reported
    on there, so the transfer closes it as no longer possible, saying why; the receiving
    panel agrees its own actions with its own agencies. Its history stays with the case."""
    db.session.execute(
        update(CaseAction).where(CaseAction.case_id == case.id).values(panel_id=case.panel_id)
    )
    for action in action_queries.left_behind_by_transfer(case, case.panel, transferred_on):
        _close(
            action,
            actor=actor,
            status=ActionStatus.NO_LONGER_POSSIBLE,
            text=(
                f"Closed when the case was transferred from {from_panel_name} to "
                f"{case.panel.name} on {uk_date(transferred_on)}: "
                f"{action.owner_agency.name} does not sit on {case.panel.name}."
            ),
        )


def destroy_with_case(case: Case) -> None:
    """When a case's content is destroyed its actions go too: their wording can no longer be
    read, and who owed what to whom in that case goes with the rest of it."""
    actions = select(CaseAction.id).where(CaseAction.case_id == case.id)
    db.session.execute(delete(ActionUpdate).where(ActionUpdate.action_id.in_(actions)))
    db.session.execute(
        delete(ActionDueDateChange).where(ActionDueDateChange.action_id.in_(actions))
    )
    db.session.execute(delete(CaseAction).where(CaseAction.case_id == case.id))


def _required_text(value: str | None, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field=field)
    return value


def _within(value: str, limit: int, name: str, field: str) -> None:
    if len(value) > limit:
        raise DomainError(f"{name} must be {limit:,} characters or fewer", field=field)


def _require_content(case: Case) -> None:
    if case.disposed_at is not None:
        raise DomainError("This case’s content was destroyed under the retention policy")


def _require_open(case: Case) -> None:
    _require_content(case)
    if case.status is not CaseStatus.OPEN:
        raise DomainError("This case is closed: no new actions can be agreed for it")
