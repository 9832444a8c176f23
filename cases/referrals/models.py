"""Referrals, the risk assessments that come with them, and transfers of a case between panels."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import utcnow
from app.keys.sealed import TEXT
from app.keys.sealed import Sealed
from app.keys.sealed import SealedRecord
from cases.models import Case
from panels.models import Meeting
from panels.models import Panel
from panels.types.common import ReferralStatus
from panels.types.common import RepeatDefinition
from panels.types.common import RiskLevel
from panels.types.common import RiskTool


class AgeBand(StrEnum):
    """A referred person's age on the referral date, as the SafeLives return counts it."""

    UNDER_16 = "under_16"
    SIXTEEN_SEVENTEEN = "16_17"
    EIGHTEEN_PLUS = "18_plus"
    NOT_KNOWN = "not_known"  # no date of birth, or uncertain ones in different bands (E50)

    @property
    def label(self) -> str:
        return {
            "under_16": "Under 16",
            "16_17": "16 or 17",
            "18_plus": "18 or over",
            "not_known": "Not known",
        }[self.value]


class Referral(SealedRecord):
    """One referral to a panel. It is sealed under its own key: until screening it belongs to
    no case, and screening may attach it to an existing case (a repeat) or open a new one.

    Everything the referrer typed is kept sealed in `answers` (JSON, by section) so a draft
    loses nothing; what lists and reports need (status, dates, criteria, risk, repeat, the
    coded diversity answers) is copied to clear columns when it is submitted and screened.
    """

    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_panel_id_status_referred_on", "panel_id", "status", "referred_on"),
        Index("ix_referrals_case_id_referred_on", "case_id", "referred_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    status: Mapped[ReferralStatus] = mapped_column(default=ReferralStatus.DRAFT)
    referrer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    referring_agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    referred_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    screened_at: Mapped[datetime | None]
    screened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    criteria: Mapped[list[str] | None] = mapped_column(JSON)
    risk_tool: Mapped[RiskTool | None]
    risk_score: Mapped[int | None]
    risk_level: Mapped[RiskLevel | None]
    consent_given: Mapped[bool | None]
    victim_aware: Mapped[bool | None]
    children_count: Mapped[int] = mapped_column(default=0)
    # Coded diversity answers for the published figures: "yes", "no" or "not_known" (E8).
    victim_gender: Mapped[str | None] = mapped_column(String(20))
    victim_minoritised: Mapped[str | None] = mapped_column(String(20))
    victim_disabled: Mapped[str | None] = mapped_column(String(20))
    victim_lgbt: Mapped[str | None] = mapped_column(String(20))
    # Ages coded from the dates of birth on the referral date, for the SafeLives return
    # (domain §2.10, E8, E50): the victim's `AgeBand` value and how many perpetrators were 17
    # or under. NULL on referrals submitted before they were recorded: reports read "not known".
    victim_age_band: Mapped[str | None] = mapped_column(String(20))
    young_perpetrators: Mapped[int | None]
    # Repeat detection (domain §2.10.1): the referral it repeats and the rule that applied.
    is_repeat: Mapped[bool] = mapped_column(default=False)
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))
    repeat_definition: Mapped[RepeatDefinition | None]
    rules_version: Mapped[str | None] = mapped_column(String(20))
    flag_expires_on: Mapped[date | None]
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    # A receiving panel's referral made by a transfer (R19) names the sending panel's referral.
    transferred_from_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))

    # Bumped on every change: two people saving the same referral at once cannot both win.
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    answers = Sealed(TEXT)
    decision_reason = Sealed(TEXT)

    panel: Mapped[Panel] = relationship(lazy="joined", innerjoin=True)
    case: Mapped[Case | None] = relationship(back_populates="referrals", foreign_keys=[case_id])
    referrer: Mapped[User] = relationship(foreign_keys=[referrer_id])
    referring_agency: Mapped[Organisation] = relationship()
    meeting: Mapped[Meeting | None] = relationship()
    repeat_of: Mapped[Referral | None] = relationship(remote_side=[id], foreign_keys=[repeat_of_id])
    transferred_from: Mapped[Referral | None] = relationship(
        remote_side=[id], foreign_keys=[transferred_from_id]
    )
    assessments: Mapped[list[RiskAssessment]] = relationship(back_populates="referral")

    @property
    def reference(self) -> str:
        return f"REF-{self.id:06d}"

    @property
    def window_opened_on(self) -> date | None:
        """The date this referral's repeat window runs from: its referral date (E1), or for a
        referral made by a transfer, the date of the referral it came from. Moving area is
        not a new disclosure, so a transfer neither opens nor extends a window (E9)."""
        if self.transferred_from is not None:
            return self.transferred_from.window_opened_on
        return self.referred_on


class RiskAssessment(SealedRecord):
    """A completed risk tool: a versioned instrument, its score and level in clear, and the
    per-item answers (answer, source, comment) sealed under the referral's key."""

    __tablename__ = "risk_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    tool: Mapped[RiskTool]
    instrument_version: Mapped[str] = mapped_column(String(40))
    completed_on: Mapped[date | None]
    with_victim: Mapped[bool | None]
    score: Mapped[int | None]
    level: Mapped[RiskLevel | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    items = Sealed(TEXT)  # JSON list of {"answer", "source", "comment"}

    referral: Mapped[Referral] = relationship(back_populates="assessments")


class CaseTransfer(SealedRecord):
    """A case moved to another area's panel (Marac-to-Marac, domain §2.6, E9): the case and all
    its history travel; the receiving panel sees where it came from."""

    __tablename__ = "case_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"))
    to_panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"))
    transferred_on: Mapped[date]
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    reason = Sealed(TEXT)

    case: Mapped[Case] = relationship(back_populates="transfers")
    from_panel: Mapped[Panel] = relationship(foreign_keys=[from_panel_id], lazy="joined")
    to_panel: Mapped[Panel] = relationship(foreign_keys=[to_panel_id], lazy="joined")


# Action plans (domain §2.6, R13) ------------------------------------------------------------
