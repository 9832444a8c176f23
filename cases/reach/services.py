"""Keeping the reach rows up to date (see the package's docstring).

The rows are derived data, like an index: they are rewritten in the flush of whoever's change
they follow, whose own service records that change in the audit trail, so nothing here takes
an actor or records an event. A change made without a flush (a bulk statement, a loader that
inserts rows directly) must call `refresh` or `rebuild` itself; `queries.drift` finds any
difference, and the tests look for one after every service.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain

from sqlalchemy import ColumnElement
from sqlalchemy import Connection
from sqlalchemy import delete
from sqlalchemy import event
from sqlalchemy import insert
from sqlalchemy import inspect
from sqlalchemy import true
from sqlalchemy.orm import Session
from sqlalchemy.orm import UOWTransaction

from cases.meetings.models import AgendaItem
from cases.models import Case
from cases.reach.models import CaseReader
from cases.reach.models import CaseReferrer
from cases.reach.queries import cases_at
from cases.reach.queries import readers_of
from cases.reach.queries import referrers_of
from cases.referrals.models import Referral
from panels.models import ConfidentialityDeclaration

# The attributes of each model that the rows are derived from (a relationship and its column:
# the ORM sets the column from the relationship only during the flush).
DERIVED_FROM: dict[type, tuple[str, ...]] = {
    Referral: ("case", "case_id", "meeting", "meeting_id", "referring_agency_id", "panel_id"),
    AgendaItem: ("case_id", "meeting_id"),
    Case: ("panel", "panel_id"),
}
BATCH = 500  # case ids per statement, well under SQLite's limit on bound parameters


def connect() -> None:
    """Keep the rows from now on (the factory calls this; connecting twice is harmless)."""
    if not event.contains(Session, "after_flush", _refresh_after_flush):
        event.listen(Session, "after_flush", _refresh_after_flush)


def refresh(connection: Connection, case_ids: Iterable[int]) -> None:
    """Derive the rows of these cases again from the facts."""
    ids = sorted(set(case_ids))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        chosen = Case.id.in_(chunk)
        connection.execute(delete(CaseReader).where(CaseReader.case_id.in_(chunk)))
        connection.execute(delete(CaseReferrer).where(CaseReferrer.case_id.in_(chunk)))
        _derive(connection, chosen)


def rebuild(connection: Connection) -> None:
    """Derive every row again: for a loader that wrote referrals, agendas or declarations
    without the ORM (the benchmark's generator), once it has finished."""
    connection.execute(delete(CaseReader))
    connection.execute(delete(CaseReferrer))
    _derive(connection, true())


def _derive(connection: Connection, cases: ColumnElement[bool]) -> None:
    connection.execute(
        insert(CaseReader).from_select(["user_id", "panel_id", "case_id"], readers_of(cases))
    )
    connection.execute(
        insert(CaseReferrer).from_select(
            ["organisation_id", "panel_id", "case_id"], referrers_of(cases)
        )
    )


def _refresh_after_flush(session: Session, _: UOWTransaction) -> None:
    # In after_flush the new, dirty and deleted sets and each attribute's history still show
    # what this flush changed; the ids it assigned are already set.
    cases: set[int] = set()
    meetings: set[int] = set()
    for instance in chain(session.new, session.dirty, session.deleted):
        if isinstance(instance, ConfidentialityDeclaration):
            meetings.update(_values(instance, "meeting_id"))
            continue
        watched = DERIVED_FROM.get(type(instance))
        if watched is None:
            continue
        if instance in session.dirty and not _changed(instance, watched):
            continue
        cases.update(_values(instance, "id" if isinstance(instance, Case) else "case_id"))
        if not isinstance(instance, Case):
            cases.update(_values(instance, "case", attribute="id"))
    if not cases and not meetings:
        return
    connection = session.connection()
    if meetings:
        cases.update(case_id for case_id in connection.scalars(cases_at(meetings)) if case_id)
    refresh(connection, cases)


def _changed(instance: object, names: tuple[str, ...]) -> bool:
    attributes = inspect(instance).attrs
    return any(name in attributes and attributes[name].history.has_changes() for name in names)


def _values(instance: object, name: str, attribute: str | None = None) -> set[int]:
    """The attribute's value now and before this flush, without loading anything."""
    state = inspect(instance)
    if name not in state.attrs:
        return set()
    history = state.attrs[name].history
    values = [state.dict.get(name), *history.deleted, *history.added]
    if attribute is not None:
        values = [getattr(value, attribute, None) for value in values if value is not None]
    return {value for value in values if isinstance(value, int)}
