"""ASB Case Review applications, the complaints they rest on and the steps they go through.

Complaints are grouped into incidents: one piece of behaviour (one incident) reported to several
agencies is one complaint for the threshold (E27), so each complaint belongs to an incident and
the threshold counts incidents. The behaviour date belongs to the incident and the complaint
date to each complaint (E26). Names, contacts and free text are sealed under the application's
own data key; statuses, dates and agencies stay in clear for lists and the published figures.
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

from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import Base
from app.database import utcnow
from app.keys.sealed import TEXT
from app.keys.sealed import Sealed
from app.keys.sealed import SealedRecord
from panels.models import Panel


class ReviewStatus(StrEnum):
    """Where an application is (domain §3.6)."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    THRESHOLD_MET = "threshold_met"
    THRESHOLD_NOT_MET = "threshold_not_met"
    REVIEW_HELD = "review_held"
    OUTCOME_RECORDED = "outcome_recorded"
    APPEAL_REQUESTED = "appeal_requested"
    APPEAL_DECIDED = "appeal_decided"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    ReviewStatus.RECEIVED: "Application received",
    ReviewStatus.ACKNOWLEDGED: "Acknowledged",
    ReviewStatus.THRESHOLD_MET: "Threshold met",
    ReviewStatus.THRESHOLD_NOT_MET: "Threshold not met",
    ReviewStatus.REVIEW_HELD: "Review meeting held",
    ReviewStatus.OUTCOME_RECORDED: "Outcome sent",
    ReviewStatus.APPEAL_REQUESTED: "Appeal requested",
    ReviewStatus.APPEAL_DECIDED: "Appeal decided",
}


class Applicant(StrEnum):
    """Who applied: the victim, or someone else on the victim's behalf with consent (E28)."""

    VICTIM = "victim"
    THIRD_PARTY = "third_party"

    @property
    def label(self) -> str:
        return {
            "victim": "The victim",
            "third_party": "Someone else, on the victim’s behalf",
        }[self.value]


class CaseReviewApplication(SealedRecord):
    """An application for an ASB Case Review to a Community MARAC panel's partnership."""

    __tablename__ = "case_review_applications"
    __table_args__ = (
        Index("ix_case_review_applications_panel_id_received_on", "panel_id", "received_on", "id"),
        Index("ix_case_review_applications_panel_id_status", "panel_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"))
    status: Mapped[ReviewStatus] = mapped_column(default=ReviewStatus.RECEIVED)
    received_on: Mapped[date]
    applicant: Mapped[Applicant]
    victim_consented: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_on: Mapped[date | None]
    decided_on: Mapped[date | None]
    threshold_met: Mapped[bool | None]  # the partnership's decision, not the calculation
    review_held_on: Mapped[date | None]
    outcome_on: Mapped[date | None]
    recommendations_made: Mapped[bool | None]
    appeal_requested_on: Mapped[date | None]
    appeal_decided_on: Mapped[date | None]
    appeal_upheld: Mapped[bool | None]

    applicant_name = Sealed(TEXT)
    applicant_contact = Sealed(TEXT)
    victim_name = Sealed(TEXT)
    description = Sealed(TEXT)
    decision_reason = Sealed(TEXT)
    action_plan = Sealed(TEXT)
    appeal_grounds = Sealed(TEXT)
    appeal_reason = Sealed(TEXT)

    panel: Mapped[Panel] = relationship(lazy="joined", innerjoin=True)
    incidents: Mapped[list[Incident]] = relationship(
        back_populates="application", order_by="(Incident.behaviour_on, Incident.id)"
    )
    steps: Mapped[list[CaseReviewStep]] = relationship(
        back_populates="application", order_by="CaseReviewStep.id"
    )

    @property
    def reference(self) -> str:
        return f"ASBCR-{self.id:06d}"

    @property
    def review_owed(self) -> bool:
        """An appeal against a "not met" decision was upheld: the review must now be held."""
        return bool(
            self.appeal_upheld and self.threshold_met is False and self.review_held_on is None
        )


class Incident(SealedRecord):
    """One piece of anti-social behaviour, however many agencies it was reported to."""

    __tablename__ = "case_review_incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("case_review_applications.id"), index=True
    )
    behaviour_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    description = Sealed(TEXT)

    application: Mapped[CaseReviewApplication] = relationship(back_populates="incidents")
    complaints: Mapped[list[Complaint]] = relationship(
        back_populates="incident", order_by="(Complaint.complained_on, Complaint.id)"
    )


class Complaint(Base):
    """A report of an incident to one agency, on a date: coded fields only, nothing sealed."""

    __tablename__ = "case_review_complaints"
    # One complaint per agency per incident: a second would change nothing it counts (E27).
    __table_args__ = (UniqueConstraint("incident_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("case_review_incidents.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    complained_on: Mapped[date]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="complaints")
    agency: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)


class CaseReviewStep(Base):
    """One change of status: the history shown on the application page."""

    __tablename__ = "case_review_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("case_review_applications.id"), index=True
    )
    status: Mapped[ReviewStatus]
    on: Mapped[date]
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[CaseReviewApplication] = relationship(back_populates="steps")
    by: Mapped[User | None] = relationship(lazy="joined")
