"""Identity matching and the case a referral belongs to (domain §2.5, §3.7).

- A MARAC case is one victim with the same perpetrator(s); a referral naming the same victim and
  at least one of the same perpetrators belongs to that case (E2). A new perpetrator means a
  new case, even for the same victim (E52). Other panels keep one case per person at its centre.
- Identity is only ever *suggested* from blind indexes (names, aliases, other dates of birth,
  looser family-name and first-name keys); a coordinator confirms every match (E49).

Whether a referral is a repeat of its case's earlier ones is a rule of referrals
(`cases.referrals.rules.assess_repeat`).
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement
from sqlalchemy import Exists
from sqlalchemy import and_
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import QueryableAttribute

from app.database import db
from app.keys.blind import IndexKind
from app.keys.blind import family_and_birth_date
from app.keys.blind import given_and_birth_date
from app.keys.blind import indexer
from app.keys.blind import name_and_birth_date
from app.keys.store import ContentDestroyed
from cases import policy
from cases.models import Case
from cases.models import CasePerson
from cases.models import CaseRole
from cases.models import Person
from cases.models import split_alias
from cases.people.models import PersonSearchKey
from cases.policy import Viewer
from cases.queries import birth_dates_of
from panels.models import Panel
from panels.types.common import SameCase

# Which case a referral belongs to --------------------------------------------------------------


def case_for(panel: Panel, victim_id: int, perpetrator_ids: Collection[int]) -> Case | None:
    """The live case on this panel that a referral about these people belongs to, if any.

    MARAC: the case with this victim and at least one of these perpetrators; where several
    qualify (a victim with concurrent cases), the one referred most recently. Other panels: the
    case with this person at its centre.
    """
    victim_cases = (
        select(CasePerson.case_id)
        .where(CasePerson.person_id == victim_id, CasePerson.role == CaseRole.VICTIM)
        .scalar_subquery()
    )
    query = select(Case).where(
        Case.panel_id == panel.id, Case.disposed_at.is_(None), Case.id.in_(victim_cases)
    )
    if panel.spec.same_case is SameCase.VICTIM_AND_PERPETRATOR:
        if not perpetrator_ids:
            return None
        shared = select(CasePerson.case_id).where(
            CasePerson.person_id.in_(list(perpetrator_ids)),
            CasePerson.role == CaseRole.PERPETRATOR,
        )
        query = query.where(Case.id.in_(shared))
    order = (Case.last_referred_on.desc().nulls_last(), Case.id.desc())
    return db.session.scalars(query.order_by(*order).limit(1)).first()


# Identity matching -----------------------------------------------------------------------------


class MatchStrength:
    LIKELY = "likely"  # name (or an alias) and a date of birth agree
    POSSIBLE = "possible"  # family name or first name with a date of birth agree


@dataclass(frozen=True)
class Suggestion:
    person: Person
    strength: str


def suggest_people(
    panel: Panel,
    given_names: str,
    family_name: str,
    births: Sequence[date],
    aliases: Sequence[str] = (),
    *,
    viewer: Viewer | None = None,
) -> list[Suggestion]:
    """People already in this panel's live cases who may be the person referred, strongest
    first. Index hits are confirmed by decrypting each candidate: coincidences are dropped.
    With a viewer, cases closed to their organisation (staff as subject) are left out."""
    return suggest_among(panel, given_names, family_name, births, aliases, viewer=viewer)


def suggest_among(
    panel: Panel | None,
    given_names: str,
    family_name: str,
    births: Sequence[date],
    aliases: Sequence[str] = (),
    *,
    viewer: Viewer | None = None,
    family_name_needed: bool = False,
) -> list[Suggestion]:
    """Like `suggest_people`, among the people in the panel's live cases, or everyone when the
    panel is None (the auditor's search for a subject access request spans every panel).
    With `family_name_needed`, a first name and date of birth alone suggest nobody: the
    family name must match too (a first name spelled differently still does)."""
    names = [(given_names, family_name), *(split_alias(a) for a in aliases if a.strip())]
    wanted: dict[IndexKind, set[str]] = {kind: set() for kind in _MATCH_KINDS}
    for born in births:
        for given, family in names:
            wanted[IndexKind.NAME_AND_BIRTH_DATE].add(name_and_birth_date(given, family, born))
            wanted[IndexKind.FAMILY_AND_BIRTH_DATE].add(family_and_birth_date(family, born))
            if not family_name_needed:
                wanted[IndexKind.GIVEN_AND_BIRTH_DATE].add(given_and_birth_date(given, born))
    index = indexer()
    indexes = [(kind, index(kind, value)) for kind, values in wanted.items() for value in values]
    if not indexes:
        return []
    hits = select(PersonSearchKey.person_id).where(_any_of(indexes))
    if panel is not None:
        hits = hits.where(on_live_case_of(panel, PersonSearchKey.person_id, viewer))
    candidates = db.session.scalars(select(Person).where(Person.id.in_(hits))).all()
    suggestions = []
    for person in candidates:
        strength = _strength(person, wanted)
        if strength:
            suggestions.append(Suggestion(person, strength))
    return sorted(suggestions, key=lambda s: (s.strength != MatchStrength.LIKELY, s.person.id))


def on_live_case_of(
    panel: Panel, person_id: QueryableAttribute[int], viewer: Viewer | None = None
) -> Exists:
    """Whether the person (a column of the enclosing query) is in one of the panel's live cases.

    A correlated EXISTS looks up only that person's cases. The IN over every person on the
    panel that it replaces was built again for each query: 50 ms at 100,000 referrals on
    SQLite, growing with the panel.
    """
    live = (
        select(CasePerson.id)
        .join(CasePerson.case)
        .where(
            CasePerson.person_id == person_id,
            Case.panel_id == panel.id,
            Case.disposed_at.is_(None),
        )
    )
    if viewer is not None:
        live = live.where(policy.not_restricted(viewer))
    return live.exists()


_MATCH_KINDS = (
    IndexKind.NAME_AND_BIRTH_DATE,
    IndexKind.FAMILY_AND_BIRTH_DATE,
    IndexKind.GIVEN_AND_BIRTH_DATE,
)


def _any_of(indexes: Sequence[tuple[IndexKind, int]]) -> ColumnElement[bool]:
    return or_(
        *(and_(PersonSearchKey.kind == kind, PersonSearchKey.value == v) for kind, v in indexes)
    )


def _strength(person: Person, wanted: dict[IndexKind, set[str]]) -> str | None:
    try:
        births = birth_dates_of(person)
        names = [(person.given_names or "", person.family_name or "")]
        names += [split_alias(alias) for alias in (person.aliases or "").splitlines()]
    except ContentDestroyed:
        return None
    full = {name_and_birth_date(g, f, b) for g, f in names for b in births}
    if full & wanted[IndexKind.NAME_AND_BIRTH_DATE]:
        return MatchStrength.LIKELY
    loose = {family_and_birth_date(f, b) for _, f in names for b in births} & wanted[
        IndexKind.FAMILY_AND_BIRTH_DATE
    ]
    loose |= {given_and_birth_date(g, b) for g, _ in names for b in births} & wanted[
        IndexKind.GIVEN_AND_BIRTH_DATE
    ]
    return MatchStrength.POSSIBLE if loose else None
