"""A subject access request, and the person records the auditor confirmed it is about.

Who asked and how to reach them, the details searched for and every reason are sealed under the
request's own data key; the regime, status and dates stay in clear so the list of open requests
sorts on its due date.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.accounts.models import User
from app.database import Base
from app.database import utcnow
from app.keys.sealed import DATE
from app.keys.sealed import TEXT
from app.keys.sealed import Sealed
from app.keys.sealed import SealedRecord
from cases.models import Person


class Regime(StrEnum):
    """The law the request is made under, which sets whether its deadline can be extended."""

    UK_GDPR = "uk_gdpr"
    LAW_ENFORCEMENT = "dpa_part_3"

    @property
    def label(self) -> str:
        return {
            "uk_gdpr": "UK GDPR (DPA 2018 Part 2)",
            "dpa_part_3": "DPA 2018 Part 3 (law enforcement processing)",
        }[self.value]

    @property
    def extendable(self) -> bool:
        """UK GDPR allows up to two further months; Part 3 allows none (domain §7.8, E44)."""
        return self is Regime.UK_GDPR


class RequestStatus(StrEnum):
    RECEIVED = "received"
    CLARIFYING = "clarifying"  # identity or scope being clarified: the clock is stopped
    IN_PROGRESS = "in_progress"
    EXTENDED = "extended"
    COMPLETED = "completed"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return {
            "received": "Received",
            "clarifying": "Clarifying identity or scope (clock paused)",
            "in_progress": "In progress",
            "extended": "Extended",
            "completed": "Completed",
            "refused": "Refused",
        }[self.value]

    @property
    def open(self) -> bool:
        return self not in CLOSED_STATUSES


CLOSED_STATUSES = frozenset({RequestStatus.COMPLETED, RequestStatus.REFUSED})


class SubjectAccessRequest(SealedRecord):
    __tablename__ = "subject_access_requests"
    __table_args__ = (Index("ix_subject_access_requests_status_due_on", "status", "due_on", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    regime: Mapped[Regime]
    status: Mapped[RequestStatus] = mapped_column(default=RequestStatus.RECEIVED)
    received_on: Mapped[date]
    # The deadline as it stands, kept current by each change, for the list's order.
    due_on: Mapped[date]
    paused_since: Mapped[date | None]  # set while the clock is stopped
    paused_days: Mapped[int] = mapped_column(default=0)  # days the clock stood still before
    extension_months: Mapped[int] = mapped_column(default=0)
    closed_on: Mapped[date | None]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A second person's approval of the confirmed records: the bundle opens only after it.
    bundle_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    bundle_approved_at: Mapped[datetime | None]

    requester_name = Sealed(TEXT)
    requester_contact = Sealed(TEXT)
    identity_evidence = Sealed(TEXT)  # how the requester's identity was checked
    # What the requester says identifies them: searched for by blind index.
    subject_given_names = Sealed(TEXT)
    subject_family_name = Sealed(TEXT)
    subject_date_of_birth = Sealed(DATE)
    extension_reason = Sealed(TEXT)
    refusal_reason = Sealed(TEXT)

    recorded_by: Mapped[User] = relationship(
        foreign_keys=[recorded_by_id], lazy="joined", innerjoin=True
    )
    bundle_approved_by: Mapped[User | None] = relationship(foreign_keys=[bundle_approved_by_id])
    subjects: Mapped[list[RequestSubject]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestSubject.id"
    )

    @property
    def reference(self) -> str:
        return f"SAR-{self.id:06d}"

    @property
    def confirmed_by_ids(self) -> frozenset[int]:
        """Whoever confirmed the records the request is about: none of them may approve."""
        return frozenset(subject.confirmed_by_id for subject in self.subjects)


class RequestSubject(Base):
    """A person record the auditor confirmed the request is about (E49: never matched
    automatically)."""

    __tablename__ = "subject_access_subjects"
    __table_args__ = (UniqueConstraint("request_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("subject_access_requests.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    confirmed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[SubjectAccessRequest] = relationship(back_populates="subjects")
    person: Mapped[Person] = relationship(lazy="joined", innerjoin=True)


class DisclosureDecision(SealedRecord):
    """A decision to disclose a referral to a requester who is the alleged perpetrator in its
    case: without one the referral's existence is withheld (domain R15, default deny)."""

    __tablename__ = "subject_access_disclosures"
    __table_args__ = (UniqueConstraint("request_id", "referral_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("subject_access_requests.id", ondelete="CASCADE"), index=True
    )
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    decided_on: Mapped[date]
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    reason = Sealed(TEXT)  # who decided (the panel, the DPO) and why it is safe to disclose

    decided_by: Mapped[User] = relationship(lazy="joined", innerjoin=True)
