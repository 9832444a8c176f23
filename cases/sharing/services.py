"""Recording decisions to share or not to share (domain §8 R7, R8; golden rule 7).

`record_decision` is the one way a decision is written, whether from the case's sharing log or
as part of a transfer (`cases.referrals.transfer_case`). It flushes, never commits, and writes
one audit event holding codes only: the reasons are sealed with the case and never enter the
trail. The rules it applies, and the originators it asks about, are in `cases.sharing.rules`;
other features reach them through this module (a transfer checks its decision before it moves
anything, and offers the originators' agreement on its form).
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
from cases.sharing.rules import CheckedDecision
from cases.sharing.rules import agencies_to_agree
from cases.sharing.rules import check_decision
from cases.sharing.rules import originators_of

__all__ = ["agencies_to_agree", "check_decision", "originators_of", "record_decision"]


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
    _require_recordable(case, disclosure, shared, transfer)
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
    decision = _new_decision(
        actor, case, disclosure, shared, lawful_basis, consent, checked, transfer
    )
    db.session.add(decision)
    db.session.flush()
    _record_event(actor, case, decision, checked)
    return decision


def _require_recordable(
    case: Case, disclosure: Disclosure, shared: bool, transfer: CaseTransfer | None
) -> None:
    """Refuse a decision about destroyed content, or a transfer recorded without its transfer."""
    if case.disposed_at is not None:
        raise DomainError("This case’s content was destroyed under the retention policy")
    if disclosure is Disclosure.TRANSFER and shared and transfer is None:
        raise DomainError("Record a transfer from the case’s transfer page", field="disclosure")


def _new_decision(
    actor: User,
    case: Case,
    disclosure: Disclosure,
    shared: bool,
    lawful_basis: LawfulBasis | None,
    consent: ConsentStatus,
    checked: CheckedDecision,
    transfer: CaseTransfer | None,
) -> SharingDecision:
    """The decision made by the actor for their agency, with each originator's agreement and
    the transfer it allowed, if any."""
    return SharingDecision(
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


def _record_event(
    actor: User, case: Case, decision: SharingDecision, checked: CheckedDecision
) -> None:
    """The decision's audit event: codes and agency ids only, never the reasons."""
    agreed = sorted(agency for agency, yes in checked.agreements.items() if yes)
    not_agreed = sorted(agency for agency, yes in checked.agreements.items() if not yes)
    audit.record(
        actor=actor,
        action=AuditAction.SHARING_DECISION_RECORDED,
        object=case,
        changes={
            "decision_id": [None, decision.id],
            "disclosure": [None, decision.disclosure.value],
            "shared": [None, decision.shared],
            "lawful_basis": [None, decision.lawful_basis.value if decision.lawful_basis else None],
            "consent": [None, decision.consent.value],
            "transfer_id": [None, decision.transfer_id],
            "agreed_agency_ids": [None, agreed],
            "not_agreed_agency_ids": [None, not_agreed],
            "without_agreement": [None, checked.without_agreement_reason is not None],
        },
    )
