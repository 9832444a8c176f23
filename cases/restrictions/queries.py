"""Reads for the restrictions page: a case's restrictions with who placed and lifted them,
and the organisations a case can be restricted against. The case itself is fetched through
`cases.policy.coordinated_case_or_404` before any of these run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from cases.models import Case
from cases.restrictions.models import CaseRestriction


@dataclass(frozen=True)
class RestrictionRow:
    restriction: CaseRestriction
    placed_by: str
    lifted_by: str | None

    @property
    def live(self) -> bool:
        return self.restriction.lifted_at is None

    @property
    def placed_at(self) -> datetime:
        return self.restriction.placed_at


def restrictions_of(case: Case) -> list[RestrictionRow]:
    """Every restriction of the case, live ones first, newest first (one query)."""
    placer, lifter = aliased(User), aliased(User)
    rows = db.session.execute(
        select(CaseRestriction, placer.display_name, lifter.display_name)
        .join(placer, placer.id == CaseRestriction.placed_by_id)
        .outerjoin(lifter, lifter.id == CaseRestriction.lifted_by_id)
        .where(CaseRestriction.case_id == case.id)
        .order_by(
            CaseRestriction.lifted_at.is_not(None),
            CaseRestriction.placed_at.desc(),
            CaseRestriction.id.desc(),
        )
    ).all()
    return [RestrictionRow(row[0], row[1], row[2]) for row in rows]


def restriction_of(case: Case, restriction_id: int) -> CaseRestriction | None:
    """The case's restriction with this id; another case's restriction is not found."""
    return db.session.scalar(
        select(CaseRestriction).where(
            CaseRestriction.id == restriction_id, CaseRestriction.case_id == case.id
        )
    )


def active_organisations() -> Sequence[Organisation]:
    return db.session.scalars(
        select(Organisation).where(Organisation.active.is_(True)).order_by(Organisation.name)
    ).all()
