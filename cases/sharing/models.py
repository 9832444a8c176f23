"""Sharing decisions: disclosures outside the panel, with their lawful basis and the
originators' agreement."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import Base
from app.database import utcnow
from app.keys.sealed import TEXT
from app.keys.sealed import Sealed
from app.keys.sealed import SealedRecord


class LawfulBasis(StrEnum):
    """The lawful basis a sharing decision relies on (domain §7.1-7.3)."""

    PUBLIC_TASK_SAFEGUARDING = "public_task_safeguarding"
    PUBLIC_TASK_CRIME = "public_task_crime"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    LAW_ENFORCEMENT = "law_enforcement"
    CONSENT = "consent"

    @property
    def label(self) -> str:
        return {
            "public_task_safeguarding": "UK GDPR 6(1)(e) public task, with DPA 2018 Sch.1 "
            "para 18 (safeguarding of children and individuals at risk)",
            "public_task_crime": "UK GDPR 6(1)(e) public task, with DPA 2018 Sch.1 para 10 "
            "(preventing or detecting unlawful acts) and Crime and Disorder Act 1998 s115",
            "legal_obligation": "UK GDPR 6(1)(c) legal obligation",
            "vital_interests": "UK GDPR 6(1)(d) vital interests",
            "law_enforcement": "DPA 2018 Part 3 law enforcement processing (s35)",
            "consent": "Consent of the person (UK GDPR 6(1)(a))",
        }[self.value]


class ConsentStatus(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    NOT_SOUGHT_UNSAFE = "not_sought_unsafe"
    NOT_SOUGHT_PREJUDICE = "not_sought_prejudice"
    CANNOT_BE_GIVEN = "cannot_be_given"

    @property
    def label(self) -> str:
        return {
            "given": "Consent given",
            "refused": "Consent refused (shared without it)",
            "not_sought_unsafe": "Not sought: seeking it would put someone at risk",
            "not_sought_prejudice": "Not sought: it would prejudice preventing or detecting crime",
            "cannot_be_given": "Cannot be given (capacity, or cannot reasonably be obtained)",
        }[self.value]


class Disclosure(StrEnum):
    """What a sharing decision was about."""

    WITHIN_PANEL = "within_panel"
    TRANSFER = "transfer"
    OUTSIDE_PANEL = "outside_panel"

    @property
    def label(self) -> str:
        return {
            "within_panel": "Sharing with the panel",
            "transfer": "Transfer to another panel",
            "outside_panel": "Disclosure outside the panel",
        }[self.value]


class SharingDecision(SealedRecord):
    """A decision to share or not to share, with its lawful basis, consent and reasons (R8,
    golden rule 7). Onward disclosure also records each originating agency's agreement (R7)."""

    __tablename__ = "sharing_decisions"
    __table_args__ = (Index("ix_sharing_decisions_case_id_decided_at", "case_id", "decided_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    disclosure: Mapped[Disclosure]
    shared: Mapped[bool]
    lawful_basis: Mapped[LawfulBasis | None]  # none only when the decision is not to share
    consent: Mapped[ConsentStatus]
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("case_transfers.id"))

    # Who it went to: meant to be an organisation or panel, but typed, so sealed like free text.
    recipient = Sealed(TEXT)
    reason = Sealed(TEXT)
    # Why information was disclosed without an originator's agreement (R7), if it was.
    without_agreement_reason = Sealed(TEXT)

    decided_by: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    agency: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
    originators: Mapped[list[OriginatorAgreement]] = relationship(
        back_populates="decision", cascade="all, delete-orphan", order_by="OriginatorAgreement.id"
    )


class OriginatorAgreement(Base):
    """Whether an agency that provided information in the case agreed to its onward disclosure."""

    __tablename__ = "originator_agreements"
    __table_args__ = (UniqueConstraint("decision_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("sharing_decisions.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    agreed: Mapped[bool]

    decision: Mapped[SharingDecision] = relationship(back_populates="originators")
    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
