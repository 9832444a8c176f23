"""Scoped reads of cases and people."""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.database import db
from app.keys.blind import IndexKind
from app.keys.blind import index_of
from app.keys.blind import name_and_birth_date
from app.keys.store import ContentDestroyed
from cases.models import REFERENCE_PREFIX
from cases.models import Case
from cases.models import CasePerson
from cases.models import CaseStatus
from cases.models import Person
from cases.models import PersonSearchKey
from cases.models import RecordType
from cases.models import RetentionRule
from cases.models import split_alias
from panels.models import Panel
from panels.models import PanelMembership

PAGE_SIZE = 50
REFERENCE_PATTERN = re.compile(r"^\s*([A-Za-z]+)-0*(\d{1,12})\s*$")


def panel_ids_of(user: User) -> Select[int]:
    return select(PanelMembership.panel_id).where(PanelMembership.user_id == user.id)


def visible_case(user: User, case_id: int) -> Case | None:
    """The case if the user sits on its panel, else None (the view answers 404 either way)."""
    return db.session.scalar(
        select(Case)
        .where(Case.id == case_id, Case.panel_id.in_(panel_ids_of(user)))
        .options(selectinload(Case.people), selectinload(Case.notes))
    )


def cases_for(user: User, *, page: int) -> tuple[Sequence[Case], int]:
    """A page of the cases on the user's panels, newest first, and the total."""
    scope = Case.panel_id.in_(panel_ids_of(user))
    total = db.session.scalar(select(func.count()).select_from(Case).where(scope)) or 0
    rows = db.session.scalars(
        select(Case)
        .where(scope)
        .order_by(Case.opened_on.desc(), Case.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
        .options(selectinload(Case.people))
    ).all()
    return rows, total


def case_by_reference(reference: str) -> Case | None:
    """A case by its reference such as MARAC-000042 (the prefix must match its panel type)."""
    match = REFERENCE_PATTERN.match(reference)
    if not match:
        return None
    case = db.session.get(Case, int(match.group(2)))
    if case is None or REFERENCE_PREFIX[case.panel.panel_type] != match.group(1).upper():
        return None
    return case


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
    """The user's panels' cases in which these people appear."""
    return db.session.scalars(
        select(CasePerson)
        .join(CasePerson.case)
        .where(
            CasePerson.person_id.in_([p.id for p in people]),
            Case.panel_id.in_(panel_ids_of(user)),
            Case.disposed_at.is_(None),
        )
        .options(selectinload(CasePerson.case))
    ).all()


# Retention ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueCase:
    case: Case
    rule: RetentionRule
    due_on: date

    @property
    def held(self) -> bool:
        return self.case.on_legal_hold


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier, or the month's last day when it has fewer days."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def months_after(day: date, months: int) -> date:
    return months_before(day, -months)


def retention_rules() -> Sequence[RetentionRule]:
    return db.session.scalars(
        select(RetentionRule).order_by(RetentionRule.panel_type, RetentionRule.record_type)
    ).all()


def review(today: date) -> list[DueCase]:
    """Closed cases whose retention has run out, oldest first; those on legal hold included
    (and marked) so the reviewer sees what is being kept and why."""
    due: list[DueCase] = []
    closed_case_rules = db.session.scalars(
        select(RetentionRule).where(RetentionRule.record_type == RecordType.CLOSED_CASE)
    )
    for rule in closed_case_rules:
        cutoff = months_before(today, rule.months)
        cases = db.session.scalars(
            select(Case)
            .join(Case.panel)
            .where(
                Panel.panel_type == rule.panel_type,
                Case.status == CaseStatus.CLOSED,
                Case.disposed_at.is_(None),
                Case.closed_on <= cutoff,
            )
        )
        for case in cases:
            assert case.closed_on is not None
            due.append(DueCase(case, rule, months_after(case.closed_on, rule.months)))
    return sorted(due, key=lambda item: (item.due_on, item.case.id))
