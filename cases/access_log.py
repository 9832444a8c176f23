"""Who has seen this case: the audit trail's reads and changes of a case and its referrals.

Shown to the case's coordinators on the case page (the latest few) and on its own page (all of
them, paged). One query per page: the events joined to the users and agencies they name, keyset
paged by sequence on the (object_type, object_id) index, newest first.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy import and_
from sqlalchemy import or_
from sqlalchemy import select

from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from audit.models import AuditAction
from audit.models import AuditEvent
from audit.models import Outcome
from cases.models import Case

CASE_PAGE_ENTRIES = 50
PAGE_SIZE = 100
CASES = "cases"
REFERRALS = "referrals"


@dataclass(frozen=True)
class AccessEntry:
    """One event on the record: when, who and from which agency, what, and with what outcome."""

    sequence: int
    occurred_at: datetime
    actor_id: int | None  # None: the system itself (a command or a scheduled job)
    user: str
    agency: str
    action: AuditAction
    outcome: Outcome
    object_type: str
    object_id: str

    @property
    def record(self) -> str:
        """What the event was about, as people refer to it."""
        if self.object_type == REFERRALS:
            return f"Referral REF-{int(self.object_id):06d}"
        return "Case"


@dataclass(frozen=True)
class AccessPage:
    entries: Sequence[AccessEntry]
    has_more: bool

    @property
    def next_before(self) -> int | None:
        """The `before` argument of the next (older) page, if there is one."""
        return self.entries[-1].sequence if self.has_more and self.entries else None


def entries_for(
    case_ids: Collection[int],
    referral_ids: Collection[int],
    *,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> AccessPage:
    """Events about these cases and referrals older than sequence `before`, newest first."""
    targets = [(CASES, case_ids), (REFERRALS, referral_ids)]
    about = or_(
        *(
            and_(AuditEvent.object_type == kind, AuditEvent.object_id.in_([str(i) for i in ids]))
            for kind, ids in targets
            if ids
        )
    )
    statement = (
        select(
            AuditEvent.sequence,
            AuditEvent.occurred_at,
            AuditEvent.actor_id,
            AuditEvent.actor_agency_id,
            AuditEvent.action,
            AuditEvent.outcome,
            AuditEvent.object_type,
            AuditEvent.object_id,
            User.display_name.label("user_name"),
            Organisation.name.label("agency_name"),
        )
        # No foreign keys from the trail (it outlives accounts), hence outer joins.
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .outerjoin(Organisation, Organisation.id == AuditEvent.actor_agency_id)
        .where(about)
        .order_by(AuditEvent.sequence.desc())
        .limit(limit + 1)
    )
    if before is not None:
        statement = statement.where(AuditEvent.sequence < before)
    rows = db.session.execute(statement).all()
    entries = [_entry(row) for row in rows[:limit]]
    return AccessPage(entries, has_more=len(rows) > limit)


def case_entries(case: Case, *, before: int | None = None, limit: int = PAGE_SIZE) -> AccessPage:
    """The events about one case and its referrals."""
    return entries_for([case.id], [r.id for r in case.referrals], before=before, limit=limit)


def _entry(row: Row[*tuple[Any, ...]]) -> AccessEntry:
    user, agency = "The system", ""
    if row.actor_id is not None:
        user = row.user_name or f"Deleted user {row.actor_id}"
    if row.actor_agency_id is not None:
        agency = row.agency_name or f"Deleted agency {row.actor_agency_id}"
    return AccessEntry(
        sequence=row.sequence,
        occurred_at=row.occurred_at,
        actor_id=row.actor_id,
        user=user,
        agency=agency,
        action=row.action,
        outcome=row.outcome,
        object_type=row.object_type or "",
        object_id=row.object_id or "",
    )
