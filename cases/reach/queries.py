"""The reach rows as they should be, read from the facts they are derived from, and the scope
conditions that read the rows. Read only."""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlalchemy import CompoundSelect
from sqlalchemy import Connection
from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import except_
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy import union

from cases.meetings.models import AgendaItem
from cases.models import Case
from cases.reach.models import CaseReader
from cases.reach.models import CaseReferrer
from cases.referrals.models import Referral
from panels.models import ConfidentialityDeclaration


def readers_of(cases: ColumnElement[bool]) -> CompoundSelect[int, int, int]:
    """(user, panel, case) for the `cases` chosen: everyone who accepted the statement of a
    meeting at which the case had a referral listed or an entry on the agenda."""
    through_referrals, through_agenda = (
        select(ConfidentialityDeclaration.user_id, Case.panel_id, Case.id)
        .join(listing, listing.case_id == Case.id)
        .join(
            ConfidentialityDeclaration,
            ConfidentialityDeclaration.meeting_id == listing.meeting_id,
        )
        .where(cases)
        for listing in (Referral, AgendaItem)
    )
    return union(through_referrals, through_agenda)  # a union keeps each row once


def referrers_of(cases: ColumnElement[bool]) -> Select[int, int, int]:
    """(agency, panel, case) for the `cases` chosen: each agency that referred the case to the
    panel it is on now."""
    return (
        select(Referral.referring_agency_id, Case.panel_id, Case.id)
        .join(Referral, and_(Referral.case_id == Case.id, Referral.panel_id == Case.panel_id))
        .where(cases)
        .distinct()
    )


def cases_at(meeting_ids: Collection[int]) -> CompoundSelect[int | None]:
    """The cases a meeting's declarations open: its listed referrals' and its agenda's."""
    return union(
        select(Referral.case_id).where(
            Referral.meeting_id.in_(meeting_ids), Referral.case_id.is_not(None)
        ),
        select(AgendaItem.case_id).where(AgendaItem.meeting_id.in_(meeting_ids)),
    )


def reached_by(user_id: int, organisation_id: int, panels: Iterable[int]) -> ColumnElement[bool]:
    """On `Case`: a case of one of `panels` that the user may read as a listed case of a
    meeting they declared for, or that their agency referred.

    Written as a probe of each table's key for each case of the panels (EXISTS), as the
    coordinator's list reads the panels' cases from their index: at a million referrals,
    `Case.id IN (the user's rows)` had SQLite look up every such case by its id instead,
    four times as long (benchmarks/README.md)."""
    read, referred = (
        select(table.case_id)
        .where(who == whom, table.panel_id == Case.panel_id, table.case_id == Case.id)
        .exists()
        for table, who, whom in (
            (CaseReader, CaseReader.user_id, user_id),
            (CaseReferrer, CaseReferrer.organisation_id, organisation_id),
        )
    )
    return and_(Case.panel_id.in_(sorted(panels)), or_(read, referred))


@dataclass(frozen=True)
class Drift:
    """Rows that should be there and are not, and rows that should not be there and are."""

    missing_readers: list[tuple[int, int, int]]
    extra_readers: list[tuple[int, int, int]]
    missing_referrers: list[tuple[int, int, int]]
    extra_referrers: list[tuple[int, int, int]]

    def __bool__(self) -> bool:
        return any(
            (self.missing_readers, self.extra_readers, self.missing_referrers, self.extra_referrers)
        )


def drift(connection: Connection) -> Drift:
    """How the rows differ from what they are derived from (nothing, if every change that
    could move them went through a flush)."""
    every_case = true()
    derived_readers = select(readers_of(every_case).subquery())
    derived_referrers = select(referrers_of(every_case).subquery())
    readers = select(CaseReader.user_id, CaseReader.panel_id, CaseReader.case_id)
    referrers = select(CaseReferrer.organisation_id, CaseReferrer.panel_id, CaseReferrer.case_id)

    def rows(statement: CompoundSelect[int, int, int]) -> list[tuple[int, int, int]]:
        return sorted((a, b, c) for a, b, c in connection.execute(statement))

    return Drift(
        missing_readers=rows(except_(derived_readers, readers)),
        extra_readers=rows(except_(readers, derived_readers)),
        missing_referrers=rows(except_(derived_referrers, referrers)),
        extra_referrers=rows(except_(referrers, derived_referrers)),
    )
