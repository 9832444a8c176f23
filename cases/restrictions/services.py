"""Staff as subject (security R19 "restricted"): when someone in a case works for a partner
agency, a coordinator of the case's panel closes the case to every member of that agency,
whatever their role or emergency. `cases.policy.case_scope` enforces the restriction; these
services place and lift it, each with one audit event holding codes only."""

from __future__ import annotations

from sqlalchemy import select

import audit
from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.errors import DomainError
from audit import AuditAction
from cases.models import Case
from cases.restrictions.models import CaseRestriction

OWN_ORGANISATION = (
    "Ask a coordinator from another agency: restricting your own organisation would remove "
    "your access too"
)


def restrict(*, actor: User, case: Case, organisation: Organisation) -> CaseRestriction:
    """Close the case to the organisation's staff. The caller has checked that the actor
    coordinates the case's panel."""
    if organisation.id == actor.organisation_id:
        raise DomainError(OWN_ORGANISATION, field="organisation_id")
    if not organisation.active:
        raise DomainError("Select an active organisation", field="organisation_id")
    if _live_restriction(case, organisation.id) is not None:
        raise DomainError(
            f"The case is already restricted against {organisation.name}",
            field="organisation_id",
        )
    restriction = CaseRestriction(
        case_id=case.id, organisation_id=organisation.id, placed_by_id=actor.id
    )
    db.session.add(restriction)
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.CASE_RESTRICTED,
        object=case,
        changes={"organisation": [None, organisation.id], "restriction": [None, restriction.id]},
    )
    return restriction


def lift(restriction: CaseRestriction, *, actor: User) -> CaseRestriction:
    """Open the case to the organisation's staff again (on the same terms as anyone else)."""
    if restriction.lifted_at is not None:
        raise DomainError("This restriction has already been lifted")
    restriction.lifted_at = utcnow()
    restriction.lifted_by_id = actor.id
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.CASE_RESTRICTION_LIFTED,
        object=("cases", restriction.case_id),
        changes={
            "organisation": [restriction.organisation_id, None],
            "restriction": [None, restriction.id],
        },
    )
    return restriction


def _live_restriction(case: Case, organisation_id: int) -> CaseRestriction | None:
    return db.session.scalar(
        select(CaseRestriction).where(
            CaseRestriction.case_id == case.id,
            CaseRestriction.organisation_id == organisation_id,
            CaseRestriction.lifted_at.is_(None),
        )
    )
