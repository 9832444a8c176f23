"""What a sharing decision must say, and whose agreement onward disclosure needs (domain §8
R7, R8). Reads and checks only: recording a decision is `cases.sharing.record_decision`.

Every piece of information in a case names the agency that provided it: the referring agency
of each referral and the agency of each note. Those are the case's originators. Disclosing
the case beyond the panel (a transfer, or outside the panel) needs each originator's
agreement, or a recorded reason for going ahead without it; the disclosing agency's own
information needs no one's agreement but its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy import union

from app.accounts.models import Organisation
from app.database import db
from app.errors import DomainError
from cases.actions.models import ActionUpdate
from cases.actions.models import CaseAction
from cases.models import Case
from cases.models import CaseNote
from cases.referrals.models import Referral
from cases.sharing.models import ConsentStatus
from cases.sharing.models import Disclosure
from cases.sharing.models import LawfulBasis
from cases.sharing.models import SharingDecision

TEXT_MAX_LENGTH = 2_000
RECIPIENT_MAX_LENGTH = 200
ONWARD = frozenset({Disclosure.TRANSFER, Disclosure.OUTSIDE_PANEL})


def originators_of(case: Case) -> list[Organisation]:
    """The agencies that provided information in the case, each once, by name: referrals,
    notes, and the actions agencies took on with their reports on them."""
    provided = union(
        select(Referral.referring_agency_id.label("id")).where(Referral.case_id == case.id),
        select(CaseNote.agency_id.label("id")).where(CaseNote.case_id == case.id),
        select(CaseAction.owner_agency_id.label("id")).where(CaseAction.case_id == case.id),
        select(ActionUpdate.agency_id.label("id"))
        .join(CaseAction, CaseAction.id == ActionUpdate.action_id)
        .where(CaseAction.case_id == case.id),
    ).subquery()
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.id.in_(select(provided.c.id)))
            .order_by(Organisation.name, Organisation.id)
        )
    )


def agencies_to_agree(case: Case, organisation_id: int) -> list[Organisation]:
    """The originators whose agreement an onward disclosure by this organisation needs."""
    return [agency for agency in originators_of(case) if agency.id != organisation_id]


def decisions_of(case: Case) -> Sequence[SharingDecision]:
    """The case's sharing decisions, newest first."""
    return db.session.scalars(
        select(SharingDecision)
        .where(SharingDecision.case_id == case.id)
        .order_by(SharingDecision.decided_at.desc(), SharingDecision.id.desc())
    ).all()


@dataclass(frozen=True)
class CheckedDecision:
    """A decision's answers once checked: text trimmed, agreements only for real originators."""

    recipient: str
    reason: str
    agreements: dict[int, bool]
    without_agreement_reason: str | None


def check_decision(
    *,
    case: Case,
    organisation_id: int,
    disclosure: Disclosure,
    shared: bool,
    recipient: str,
    lawful_basis: LawfulBasis | None,
    consent: ConsentStatus,
    reason: str,
    agreements: Mapping[int, bool],
    without_agreement_reason: str | None,
) -> CheckedDecision:
    """The decision made by someone of `organisation_id`, or a DomainError naming the field."""
    recipient = _text(
        recipient, "recipient", "Enter who the information would go to", RECIPIENT_MAX_LENGTH
    )
    if shared and lawful_basis is None:
        raise DomainError("Select the lawful basis for sharing", field="lawful_basis")
    if lawful_basis is LawfulBasis.CONSENT and consent is not ConsentStatus.GIVEN:
        raise DomainError(
            "Consent can be the lawful basis only if the person gave it: choose another basis",
            field="lawful_basis",
        )
    reason = _text(reason, "reason", "Enter the reason for the decision", TEXT_MAX_LENGTH)
    unexplained = (without_agreement_reason or "").strip() or None
    if unexplained is not None and len(unexplained) > TEXT_MAX_LENGTH:
        raise DomainError(
            f"The reason must be {TEXT_MAX_LENGTH:,} characters or fewer",
            field="without_agreement_reason",
        )
    needed = agencies_to_agree(case, organisation_id)
    recorded = {agency.id: bool(agreements.get(agency.id, False)) for agency in needed}
    missing = [agency.name for agency in needed if not recorded[agency.id]]
    if disclosure in ONWARD and shared and missing and unexplained is None:
        raise DomainError(
            f"{_names(missing)} {'has' if len(missing) == 1 else 'have'} not agreed to onward "
            "disclosure: record their agreement, or give the reason for disclosing without it",
            field="without_agreement_reason",
        )
    return CheckedDecision(recipient, reason, recorded, unexplained)


def _text(value: str | None, field: str, missing: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(missing, field=field)
    if len(value) > limit:
        raise DomainError(f"The {field} must be {limit:,} characters or fewer", field=field)
    return value


def _names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
