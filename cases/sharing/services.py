"""Recording decisions to share or not to share (domain §8 R7, R8; golden rule 7).

`record_decision` is the one way a decision is written, whether from the case's sharing log or
as part of a transfer (`cases.referrals.transfer_case`). It flushes, never commits, and writes
one audit event holding codes only: the reasons are sealed with the case and never enter the
trail. The rules it applies, and the originators it asks about, are in `cases.sharing.rules`.
"""

from __future__ import annotations

from collections.abc import Mapping

import audit
from app.accounts.models import User
from app.database import db
from app.errors import DomainError
from audit import AuditAction
from cases.models import Case
from cases.referrals.models import CaseTransfer
from cases.sharing.models import ConsentStatus
from cases.sharing.models import Disclosure
from cases.sharing.models import LawfulBasis
from cases.sharing.models import OriginatorAgreement
from cases.sharing.models import SharingDecision
from cases.sharing.rules import check_decision
from cases.sharing.rules import originators_of

__all__ = ["originators_of", "record_decision"]


def record_decision(
    *,
    actor: User,
    case: Case,
    disclosure: Disclosure,
    shared: bool,
    recipient: str,
    lawful_basis: LawfulBasis | None,
    consent: ConsentStatus,
    reason: str,
    agreements: Mapping[int, bool] | None = None,
    without_agreement_reason: str | None = None,
    transfer: CaseTransfer | None = None,
) -> SharingDecision:
    """Record the decision made by `actor` for their agency. `agreements` maps each originating
    agency's id to whether it agreed to onward disclosure (R7); a transfer's decision names the
    transfer it allowed."""
    if case.disposed_at is not None:
        raise DomainError("This case’s content was destroyed under the retention policy")
    if disclosure is Disclosure.TRANSFER and shared and transfer is None:
        raise DomainError("Record a transfer from the case’s transfer page", field="disclosure")
    checked = check_decision(
        case=case,
        organisation_id=actor.organisation_id,
        disclosure=disclosure,
        shared=shared,
        recipient=recipient,
        lawful_basis=lawful_basis,
        consent=consent,
        reason=reason,
        agreements=agreements or {},
        without_agreement_reason=without_agreement_reason,
    )
    decision = SharingDecision(
        data_key=case.data_key,
        case_id=case.id,
        panel_id=case.panel_id,
        decided_by_id=actor.id,
        agency_id=actor.organisation_id,
        disclosure=disclosure,
        shared=shared,
        lawful_basis=lawful_basis,
        consent=consent,
        recipient=checked.recipient,
        transfer_id=transfer.id if transfer is not None else None,
        reason=checked.reason,
        without_agreement_reason=checked.without_agreement_reason,
        originators=[
            OriginatorAgreement(organisation_id=agency_id, agreed=agreed)
            for agency_id, agreed in checked.agreements.items()
        ],
    )
    db.session.add(decision)
    db.session.flush()
    agreed = sorted(agency for agency, yes in checked.agreements.items() if yes)
    not_agreed = sorted(agency for agency, yes in checked.agreements.items() if not yes)
    audit.record(
        actor=actor,
        action=AuditAction.SHARING_DECISION_RECORDED,
        object=case,
        changes={
            "decision_id": [None, decision.id],
            "disclosure": [None, disclosure.value],
            "shared": [None, shared],
            "lawful_basis": [None, lawful_basis.value if lawful_basis else None],
            "consent": [None, consent.value],
            "transfer_id": [None, decision.transfer_id],
            "agreed_agency_ids": [None, agreed],
            "not_agreed_agency_ids": [None, not_agreed],
            "without_agreement": [None, checked.without_agreement_reason is not None],
        },
    )
    return decision
