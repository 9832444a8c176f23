"""Per-meeting confidentiality declarations (domain §8 R3): an attendee accepts the panel's
confidentiality statement for a meeting before its agenda, and the cases listed at it, open
to them (`cases.policy.may_see_agenda`, `cases.policy.case_scope`)."""

from __future__ import annotations

from sqlalchemy import select

import audit
from app.accounts.models import User
from app.database import db
from app.database import flush_unique
from app.database import uk_today
from app.errors import DomainError
from app.template_filters import uk_date
from audit import AuditAction
from panels.models import ConfidentialityDeclaration
from panels.models import Meeting
from panels.policy import panel_access

# The confidentiality statement each attendee accepts for each meeting before seeing its
# agenda (domain §8 R3). A new wording gets a new version; declarations record the version.
CONFIDENTIALITY_STATEMENT_VERSION = "2026-1"
CONFIDENTIALITY_STATEMENT = (
    "I will keep everything shared at this meeting confidential, use it only for the panel's "
    "safeguarding purpose, share it only as the panel's information sharing protocol allows, "
    "and tell the coordinator at once if I have a personal connection to anyone discussed."
)


def accept_confidentiality(
    *, actor: User, meeting: Meeting, statement_version: str
) -> ConfidentialityDeclaration:
    """Record the actor's acceptance of the statement for this meeting. Accepting again changes
    nothing: the first declaration stands and no second event is written."""
    if not panel_access(actor).sits_on(meeting.panel_id):
        raise DomainError("Only members of the panel can attend its meetings")
    if statement_version != CONFIDENTIALITY_STATEMENT_VERSION:
        raise DomainError(
            "The confidentiality statement has changed: read it again before accepting",
            field="statement_version",
        )
    existing = db.session.scalar(
        select(ConfidentialityDeclaration).where(
            ConfidentialityDeclaration.meeting_id == meeting.id,
            ConfidentialityDeclaration.user_id == actor.id,
        )
    )
    if existing is not None:
        return existing
    today = uk_today()
    if (
        not meeting.agenda_published(today)
        and meeting.panel_id not in panel_access(actor).panel_wide
    ):
        # The statement opens the agenda: members wait for it to be published; those who run
        # the meeting (coordinators, the chair) prepare it.
        raise DomainError(
            "The agenda for this meeting is not published yet: you can accept the statement "
            f"and see it from {uk_date(meeting.agenda_publishes_on)}, or sooner if the "
            "coordinator publishes it",
            field="statement_version",
        )
    if meeting.held_on < today:
        # A declaration opens the cases listed at the meeting: made afterwards, it would open
        # a past agenda to someone who never attended (or turn emergency access into lasting).
        raise DomainError(
            "This meeting has already been held: its statement can no longer be accepted",
            field="statement_version",
        )
    declaration = ConfidentialityDeclaration(
        meeting_id=meeting.id, user_id=actor.id, statement_version=statement_version
    )
    db.session.add(declaration)
    flush_unique("You have already accepted the statement for this meeting", field="submit")
    audit.record(
        actor=actor,
        action=AuditAction.CONFIDENTIALITY_ACCEPTED,
        object=meeting,
        changes={"statement_version": [None, statement_version]},
    )
    return declaration
