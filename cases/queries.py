"""Scoped reads of cases and people."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.database import db
from app.keys.blind import IndexKind
from app.keys.blind import index_of
from app.keys.blind import name_and_birth_date
from app.keys.store import ContentDestroyed
from app.routing import LARGEST_ID
from cases import policy
from cases.models import Case
from cases.models import CasePerson
from cases.models import Person
from cases.models import case_reference
from cases.models import split_alias
from cases.people.models import PersonSearchKey
from panels.models import Panel
from panels.types import spec_for
from panels.types.common import ReferralStatus
from panels.types.common import RiskLevel

PAGE_SIZE = 50
MAX_PAGES = 200
REFERENCE_PATTERN = re.compile(r"^\s*([A-Za-z]+)-0*(\d{1,12})\s*$")


def live_panel_ids(user: User) -> frozenset[int]:
    """The panels the user sits on with their organisation's ISP signature in force."""
    return policy.viewer_of(user).panels.panels


class CaseSort(StrEnum):
    """Orders of the case list; each ends on the id so that pages never overlap."""

    LAST_REFERRED = "last_referred"
    OPENED = "opened"
    REFERENCE = "reference"
    NEXT_MEETING = "next_meeting"

    @property
    def label(self) -> str:
        return {
            "last_referred": "Most recently referred",
            "opened": "Most recently opened",
            "reference": "Reference number",
            "next_meeting": "Next meeting, soonest first",
        }[self.value]


class Listing(StrEnum):
    """Whether a case is listed at a meeting to come."""

    UPCOMING = "upcoming"
    NOT_LISTED = "not_listed"

    @property
    def label(self) -> str:
        return {
            "upcoming": "Listed at an upcoming meeting",
            "not_listed": "Not listed at an upcoming meeting",
        }[self.value]


@dataclass(frozen=True)
class CaseFilters:
    """What the case list is narrowed to and ordered by; codes and dates only."""

    panel_id: int | None = None
    stage: ReferralStatus | None = None
    risk_level: RiskLevel | None = None
    repeat: bool | None = None
    listing: Listing | None = None
    meeting_on: date | None = None
    sort: CaseSort = CaseSort.LAST_REFERRED

    def described(self) -> dict[str, Any]:
        """The filters in use as JSON-ready codes, for the audit record of the list read."""
        values = {
            "panel": self.panel_id,
            "stage": self.stage.value if self.stage else None,
            "risk": self.risk_level.value if self.risk_level else None,
            "repeat": None if self.repeat is None else ("yes" if self.repeat else "no"),
            "listing": self.listing.value if self.listing else None,
            "meeting_on": self.meeting_on.isoformat() if self.meeting_on else None,
            "sort": self.sort.value,
        }
        return {name: value for name, value in values.items() if value is not None}


@dataclass(frozen=True)
class CasePage:
    cases: Sequence[Case]
    total: int
    page: int
    pages: int  # the pages that can be reached, at most MAX_PAGES

    @property
    def reachable(self) -> int:
        """How many of the matching cases can be paged through."""
        return min(self.total, MAX_PAGES * PAGE_SIZE)

    @property
    def capped(self) -> bool:
        """Whether more cases match than can be paged through."""
        return self.total > self.reachable


def panels_of(user: User) -> Sequence[Panel]:
    """The panels the user sits on, by name."""
    return db.session.scalars(
        select(Panel).where(Panel.id.in_(live_panel_ids(user))).order_by(Panel.name, Panel.id)
    ).all()


def cases_for(user: User, filters: CaseFilters, *, page: int, today: date) -> CasePage:
    """One page of the cases the user may see that match the filters, and how many match.

    The page number is brought within the pages there are. OFFSET grows with the page, so only
    the first MAX_PAGES can be reached: past them the filters or a search narrow the list.
    """
    conditions = [policy.case_scope(policy.viewer_of(user)), *_conditions(filters, today)]
    total = db.session.scalar(select(func.count()).select_from(Case).where(*conditions)) or 0
    pages = min(MAX_PAGES, max(1, -(-total // PAGE_SIZE)))
    page = min(max(page, 1), pages)
    # The page's ids first, from the cases table alone, then just those rows with their panel,
    # key and people: sorting every matching case joined to its panel and data key cost
    # 110 ms at 100,000 referrals on SQLite, and grew with the size of the user's panels.
    ids = _page_ids(conditions, filters.sort, page, total)
    loaded = db.session.scalars(
        select(Case).where(Case.id.in_(ids)).options(selectinload(Case.people))
    ).all()
    by_id = {case.id: case for case in loaded}
    return CasePage([by_id[case_id] for case_id in ids], total, page, pages)


def _conditions(filters: CaseFilters, today: date) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.panel_id is not None:
        conditions.append(Case.panel_id == filters.panel_id)
    if filters.stage is not None:
        conditions.append(Case.stage == filters.stage)
    if filters.risk_level is not None:
        conditions.append(Case.risk_level == filters.risk_level)
    if filters.repeat is not None:
        conditions.append(Case.is_repeat.is_(filters.repeat))
    # A meeting date already past no longer counts: the case waits to be listed again.
    if filters.listing is Listing.UPCOMING:
        conditions.append(Case.next_meeting_on >= today)
    elif filters.listing is Listing.NOT_LISTED:
        conditions.append(or_(Case.next_meeting_on.is_(None), Case.next_meeting_on < today))
    if filters.meeting_on is not None:
        conditions.append(Case.next_meeting_on == filters.meeting_on)
    return conditions


@dataclass(frozen=True)
class Window:
    """Which rows of a sorted list a page is, as LIMIT and OFFSET in one direction or other."""

    limit: int
    offset: int
    from_end: bool  # read in the reverse order, then turned round


def page_window(page: int, total: int, page_size: int) -> Window:
    """A page past the middle is read from the list's end: the database then sorts only the
    rows from the end up to the page, not every row before it (at a million referrals, about
    6,300 rather than 10,000 for a coordinator's last reachable page)."""
    offset = (page - 1) * page_size
    size = max(0, min(page_size, total - offset))
    from_end = total - offset - size
    if from_end >= offset:
        return Window(page_size, offset, from_end=False)
    return Window(size, from_end, from_end=True)


def _page_ids(
    conditions: list[ColumnElement[bool]], sort: CaseSort, page: int, total: int
) -> list[int]:
    """The ids on the page, in order."""
    window = page_window(page, total, PAGE_SIZE)
    order = order_by(sort, from_end=window.from_end)
    ids = _ids(conditions, order, window.limit, window.offset)
    return list(reversed(ids)) if window.from_end else list(ids)


def _ids(
    conditions: list[ColumnElement[bool]],
    order: list[ColumnElement[Any]],
    limit: int,
    offset: int,
) -> Sequence[int]:
    statement = select(Case.id).where(*conditions).order_by(*order).limit(limit).offset(offset)
    return db.session.scalars(statement).all()


# Each sort as (column, descending); every one ends with the id, so the order is total and
# reads the same from either end. Cases never referred (opened directly) have no referral date,
# and cases not listed no meeting: they come last.
SORT_KEYS: dict[CaseSort, tuple[tuple[Any, bool], ...]] = {
    CaseSort.LAST_REFERRED: ((Case.last_referred_on, True), (Case.id, True)),
    CaseSort.OPENED: ((Case.opened_on, True), (Case.id, True)),
    CaseSort.REFERENCE: ((Case.id, False),),
    CaseSort.NEXT_MEETING: ((Case.next_meeting_on, False), (Case.id, False)),
}
NULLABLE = frozenset({Case.last_referred_on.key, Case.next_meeting_on.key})


def order_by(sort: CaseSort, *, from_end: bool = False) -> list[ColumnElement[Any]]:
    """The ORDER BY of a sort, or its exact reverse (NULLs first) when read from the end."""
    order = []
    for column, descending in SORT_KEYS[sort]:
        term = column.desc() if descending != from_end else column.asc()
        if column.key in NULLABLE:
            term = term.nulls_first() if from_end else term.nulls_last()
        order.append(term)
    return order


def parse_reference(reference: str) -> tuple[str, int] | None:
    """The prefix (upper case) and number of a reference such as "marac-42", or None."""
    match = REFERENCE_PATTERN.match(reference)
    if not match:
        return None
    return match.group(1).upper(), int(match.group(2))


def case_named_by(reference: str, load: Callable[[int], Case | None]) -> Case | None:
    """The case a reference such as MARAC-000042 names, fetched by `load` from its number;
    None when the reference is unreadable, its number out of range, `load` finds nothing, or
    the prefix is not the one of the case's panel type (`PanelSpec.reference_prefix`)."""
    parsed = parse_reference(reference)
    if parsed is None or parsed[1] > LARGEST_ID:
        return None
    case = load(parsed[1])
    if case is None or case.panel.spec.reference_prefix != parsed[0]:
        return None
    return case


def references_of(ids: Sequence[str]) -> dict[str, str]:
    """Each case's reference by its id as text (for the audit trail's object column): ids
    only, no content, so it needs no scope; ids that are no case are left out."""
    numbers = {int(i) for i in ids if i.isdigit() and int(i) <= LARGEST_ID}
    rows = db.session.execute(
        select(Case.id, Panel.panel_type).join(Case.panel).where(Case.id.in_(numbers))
    )
    return {
        str(case_id): f"Case {case_reference(spec_for(panel_type), case_id)}"
        for case_id, panel_type in rows
    }


def case_by_reference(reference: str) -> Case | None:
    """A case by its reference such as MARAC-000042 (the prefix must match its panel type).

    Unscoped: for the command line. Pages use `visible_case_by_reference`."""
    return case_named_by(reference, lambda number: db.session.get(Case, number))


def visible_case_by_reference(user: User, reference: str) -> Case | None:
    """The case with this reference if the user may see it, else None."""

    def visible(number: int) -> Case | None:
        scope = policy.case_scope(policy.viewer_of(user))
        return db.session.scalar(select(Case).where(Case.id == number, scope))

    return case_named_by(reference, visible)


def people_named(given_names: str, family_name: str, born: date) -> list[Person]:
    """People whose name (or an alias) and date of birth match, found by blind index and then
    confirmed by decrypting each candidate: index coincidences are dropped here."""
    wanted = name_and_birth_date(given_names, family_name, born)
    candidates = db.session.scalars(
        select(Person)
        .join(PersonSearchKey)
        .where(
            PersonSearchKey.kind == IndexKind.NAME_AND_BIRTH_DATE,
            PersonSearchKey.value == index_of(IndexKind.NAME_AND_BIRTH_DATE, wanted),
        )
        .distinct()
    ).all()
    return [person for person in candidates if wanted in _names_and_birth_dates(person)]


def _names_and_birth_dates(person: Person) -> set[str]:
    try:
        births = birth_dates_of(person)
        names = [(person.given_names or "", person.family_name or "")]
        names += [split_alias(alias) for alias in (person.aliases or "").splitlines()]
    except ContentDestroyed:
        return set()
    return {name_and_birth_date(g, f, born) for g, f in names for born in births}


def birth_dates_of(person: Person) -> list[date]:
    """The person's date of birth and any alternative dates recorded for them (E50)."""
    others = [date.fromisoformat(line) for line in (person.other_birth_dates or "").splitlines()]
    return [d for d in (person.date_of_birth, *others) if d is not None]


def cases_of(people: Sequence[Person], user: User) -> Sequence[CasePerson]:
    """The cases the user may see in which these people appear (a Channel subject never shows
    in a MARAC member's search: the scope holds only the user's own panels, R4)."""
    return db.session.scalars(
        select(CasePerson)
        .join(CasePerson.case)
        .where(
            CasePerson.person_id.in_([p.id for p in people]),
            policy.case_scope(policy.viewer_of(user)),
            Case.disposed_at.is_(None),
        )
        .options(selectinload(CasePerson.case))
    ).all()


# Calendar months (repeat windows, retention periods) -------------------------------


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier, or the month's last day when it has fewer days."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def months_after(day: date, months: int) -> date:
    return months_before(day, -months)
