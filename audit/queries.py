"""Reads of the audit trail for auditors: filtered, newest first, paged by sequence.

The trail grows to tens of millions of rows, so pages are keyset pages ("events before
sequence N") on indexed columns, never OFFSET, and nothing counts the matches.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import Base
from app.database import db
from app.template_filters import UK
from audit.models import AuditAction
from audit.models import AuditEvent
from audit.models import Outcome

PAGE_SIZE = 100
EXPORT_BATCH = 5000


@dataclass(frozen=True)
class EventFilters:
    """What an auditor searched for; dates are UK calendar days, both ends included."""

    actor_id: int | None = None
    agency_id: int | None = None
    action: AuditAction | None = None
    outcome: Outcome | None = None
    object_type: str | None = None
    object_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def described(self) -> dict[str, Any]:
        """The filters in use as JSON-ready values, for the audit record of the search."""
        values = {
            "user": self.actor_id,
            "agency": self.agency_id,
            "action": self.action.value if self.action else None,
            "outcome": self.outcome.value if self.outcome else None,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }
        return {name: value for name, value in values.items() if value is not None}


@dataclass(frozen=True)
class Names:
    """Display names of the users and agencies that appear on a page of events."""

    users: dict[int, str]
    agencies: dict[int, str]

    def user(self, user_id: int | None) -> str:
        if user_id is None:
            return "No user"
        return self.users.get(user_id, f"Deleted user {user_id}")

    def agency(self, agency_id: int | None) -> str:
        if agency_id is None:
            return ""
        return self.agencies.get(agency_id, f"Deleted agency {agency_id}")


@dataclass(frozen=True)
class EventPage:
    events: Sequence[AuditEvent]
    names: Names
    has_more: bool

    @property
    def next_before(self) -> int | None:
        """The `before` argument of the next (older) page, if there is one."""
        return self.events[-1].sequence if self.has_more else None


def filtered_events(filters: EventFilters, *, before: int | None = None) -> Select[AuditEvent]:
    """Matching events older than sequence `before`, newest first."""
    statement = select(AuditEvent).where(*_conditions(filters))
    if before is not None:
        statement = statement.where(AuditEvent.sequence < before)
    return statement.order_by(AuditEvent.sequence.desc())


def head_sequence() -> int:
    """The sequence number of the chain's newest event (0 while it is empty)."""
    return db.session.scalar(select(func.max(AuditEvent.sequence))) or 0


def event_page(filters: EventFilters, *, before: int | None = None) -> EventPage:
    """One page of matching events, with the names they mention."""
    rows = db.session.scalars(filtered_events(filters, before=before).limit(PAGE_SIZE + 1)).all()
    events = rows[:PAGE_SIZE]
    return EventPage(events, names_for(events), has_more=len(rows) > PAGE_SIZE)


def event_batches(
    filters: EventFilters, *, before: int | None = None, size: int = EXPORT_BATCH
) -> Iterator[tuple[Sequence[AuditEvent], Names]]:
    """Every matching event, newest first, in batches that each end their own transaction.

    The transaction ends before a batch is handed on, so a slow download holds no database
    lock (SQLite takes its write lock at BEGIN) and keeps no transaction idle on PostgreSQL.
    Closing the session also detaches the batch, so memory stays flat however long the trail.
    """
    while True:
        events = db.session.scalars(filtered_events(filters, before=before).limit(size)).all()
        names = names_for(events)
        db.session.close()
        if not events:
            return
        yield events, names
        if len(events) < size:
            return
        before = events[-1].sequence


def names_for(events: Iterable[AuditEvent]) -> Names:
    """The names of the events' users and agencies, in two queries whatever the page size."""
    events = list(events)
    user_ids = {event.actor_id for event in events if event.actor_id is not None}
    agency_ids = {event.actor_agency_id for event in events if event.actor_agency_id is not None}
    users = select(User.id, User.display_name).where(User.id.in_(user_ids))
    agencies = select(Organisation.id, Organisation.name).where(Organisation.id.in_(agency_ids))
    return Names(
        users=_by_id(users) if user_ids else {},
        agencies=_by_id(agencies) if agency_ids else {},
    )


def user_choices() -> list[tuple[int, str]]:
    """Every user, current or deactivated, for the filter form."""
    statement = select(User.id, User.display_name, User.email).order_by(User.display_name, User.id)
    # The email tells apart two people with the same name.
    return [(row.id, f"{row.display_name} ({row.email})") for row in db.session.execute(statement)]


def object_type_choices() -> list[str]:
    """The kinds of object events refer to: the app's tables, and endpoints for refusals."""
    return sorted([*Base.metadata.tables, "endpoint"])


def agency_choices() -> list[tuple[int, str]]:
    """Every organisation, active or not, for the filter form."""
    statement = select(Organisation.id, Organisation.name).order_by(Organisation.name)
    return [(row.id, row.name) for row in db.session.execute(statement)]


def uk_day_start(day: date) -> datetime:
    """The UTC instant a UK calendar day begins: midnight in London, whether GMT or BST."""
    return datetime.combine(day, time.min, tzinfo=UK).astimezone(UTC)


def _conditions(filters: EventFilters) -> list[ColumnElement[bool]]:
    conditions = []
    if filters.actor_id is not None:
        conditions.append(AuditEvent.actor_id == filters.actor_id)
    if filters.agency_id is not None:
        conditions.append(AuditEvent.actor_agency_id == filters.agency_id)
    if filters.action is not None:
        conditions.append(AuditEvent.action == filters.action)
    if filters.outcome is not None:
        conditions.append(AuditEvent.outcome == filters.outcome)
    if filters.object_type is not None:
        conditions.append(AuditEvent.object_type == filters.object_type)
    if filters.object_id is not None:
        conditions.append(AuditEvent.object_id == filters.object_id)
    if filters.date_from is not None:
        conditions.append(AuditEvent.occurred_at >= uk_day_start(filters.date_from))
    if filters.date_to is not None and filters.date_to < date.max:
        # Up to the start of the next UK day, so the whole of the last day is included.
        conditions.append(AuditEvent.occurred_at < uk_day_start(filters.date_to + timedelta(1)))
    return conditions


def _by_id(statement: Select[int, str]) -> dict[int, str]:
    return {row[0]: row[1] for row in db.session.execute(statement)}


# What each sign-in event means to the person it is about, for their own account page.
ACCOUNT_ACTIVITY = {
    AuditAction.SIGN_IN: "Signed in",
    AuditAction.SIGN_IN_FAILED: "Wrong password entered",
    AuditAction.SIGN_IN_THROTTLED: "Sign-in attempts slowed down after repeated failures",
    AuditAction.TWO_FACTOR_FAILED: "Wrong security code entered",
    AuditAction.RECOVERY_CODE_USED: "Recovery code tried",
    AuditAction.PASSWORD_CHANGED: "Password change",
    AuditAction.PASSWORD_SET_BY_LINK: "Password set from a link",
    AuditAction.RECOVERY_CODES_REISSUED: "New recovery codes made",
    AuditAction.USER_TWO_FACTOR_RESET: "Two-factor authentication reset by an administrator",
}


def account_activity(user: User, *, limit: int = 10) -> Sequence[AuditEvent]:
    """The latest sign-in events about a user, newest first, for their own account page."""
    return db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.object_type == User.__tablename__,
            AuditEvent.object_id == str(user.id),
            AuditEvent.action.in_(ACCOUNT_ACTIVITY),
        )
        .order_by(AuditEvent.sequence.desc())
        .limit(limit)
    ).all()
