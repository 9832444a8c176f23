"""Emergency (break-glass) access grants, and the alerts they and other sensitive events send
coordinators."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import and_
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.accounts.models import User
from app.database import Base
from app.database import utcnow
from app.keys.sealed import TEXT
from app.keys.sealed import Sealed
from app.keys.sealed import SealedRecord
from cases.models import Case


class BreakGlassReason(StrEnum):
    IMMEDIATE_RISK = "immediate_risk"
    URGENT_SAFEGUARDING = "urgent_safeguarding"
    COVERING_ABSENT_COLLEAGUE = "covering_absent_colleague"
    EMERGENCY_MEETING = "emergency_meeting"

    @property
    def label(self) -> str:
        return {
            "immediate_risk": "Immediate risk to someone's life or safety",
            "urgent_safeguarding": "Urgent safeguarding decision needed",
            "covering_absent_colleague": "Covering for an absent colleague",
            "emergency_meeting": "Preparing for an emergency meeting",
        }[self.value]


class BreakGlassReview(StrEnum):
    JUSTIFIED = "justified"
    NOT_JUSTIFIED = "not_justified"

    @property
    def label(self) -> str:
        return {"justified": "Justified", "not_justified": "Not justified"}[self.value]


class BreakGlassDecision(StrEnum):
    """What became of a request beyond the person's limits (issue 26)."""

    APPROVED = "approved"  # by a coordinator of the case's panel: the time box starts then
    DECLINED = "declined"  # by a coordinator, with a reason: never gave access
    WITHDRAWN = "withdrawn"  # by the person who asked, before anyone decided

    @property
    def label(self) -> str:
        return {"approved": "Approved", "declined": "Declined", "withdrawn": "Withdrawn"}[
            self.value
        ]


class BreakGlassGrant(SealedRecord):
    """Emergency access to one case by someone with no normal relationship to it: stated
    reason, short time box, alert to the case's coordinators, review afterwards (R19).

    Beyond the person's limits (the panel's `break_glass_at_once` and `break_glass_per_day`)
    the row is first a request awaiting a coordinator's approval (`approval_needed`, no
    `decision`): it has no `started_at` or `expires_at` until it is approved, so it gives no
    access and counts towards no limit (a comparison with NULL is never true). Declined or
    withdrawn, it never gets them."""

    __tablename__ = "break_glass_grants"
    __table_args__ = (Index("ix_break_glass_grants_user_id_expires_at", "user_id", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason_code: Mapped[BreakGlassReason]
    # When the person asked (for a grant given at once, when it started).
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]  # None until given
    expires_at: Mapped[datetime | None]  # None until given
    ended_at: Mapped[datetime | None]  # set when ended early, or recorded after expiry
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    review_outcome: Mapped[BreakGlassReview | None]
    approval_needed: Mapped[bool] = mapped_column(default=False)
    decision: Mapped[BreakGlassDecision | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]

    reason = Sealed(TEXT)
    review_note = Sealed(TEXT)
    decision_note = Sealed(TEXT)  # why a coordinator declined (or approved), never in the trail

    case: Mapped[Case] = relationship(lazy="joined", innerjoin=True)
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined", innerjoin=True)
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def given(self) -> bool:
        """Access was given (at once, or on approval): it has a time box, and is reviewed."""
        return self.started_at is not None

    @property
    def awaiting_approval(self) -> bool:
        return self.approval_needed and self.decision is None

    @classmethod
    def was_given(cls) -> ColumnElement[bool]:
        """SQL: access was given. A request awaiting approval, declined or withdrawn never
        gives access, whatever else a query asks of the row."""
        return cls.expires_at.is_not(None)

    @classmethod
    def pending(cls) -> ColumnElement[bool]:
        """SQL: a request still awaiting a coordinator's decision."""
        return and_(cls.approval_needed.is_(True), cls.decision.is_(None))


class AlertKind(StrEnum):
    """What an alert tells its coordinator of."""

    BREAK_GLASS = "break_glass"  # emergency access to the case: review it
    # Emergency access that looks like browsing (another grant minutes before, or the person's
    # daily limit reached with it): review it now.
    BREAK_GLASS_BROWSING = "break_glass_browsing"
    # Emergency access asked for beyond the person's limits: approve or decline it (issue 26).
    BREAK_GLASS_APPROVAL = "break_glass_approval"
    SUBJECT_ACCESS = "subject_access"  # a subject access request matched someone in the case

    @property
    def label(self) -> str:
        return {
            "break_glass": "Emergency access",
            "break_glass_browsing": "Emergency access",
            "break_glass_approval": "Request for emergency access",
            "subject_access": "A subject access request was matched to someone in this case",
        }[self.value]

    @property
    def hint(self) -> str | None:
        """Said under the alert on the Alerts page."""
        return {
            "break_glass_browsing": "Looks like browsing: started minutes after another one, "
            "or it reached the person’s daily limit",
            "break_glass_approval": "Beyond the person’s limits: they have no access unless "
            "a coordinator approves it",
        }.get(self.value)

    @property
    def urgent(self) -> bool:
        """Marked urgent on the Alerts page."""
        return self in (AlertKind.BREAK_GLASS_BROWSING, AlertKind.BREAK_GLASS_APPROVAL)

    @property
    def asks_a_decision(self) -> bool:
        """Done when the request is approved, declined or withdrawn (not when reviewed)."""
        return self is AlertKind.BREAK_GLASS_APPROVAL


class CaseAlert(Base):
    """Something a coordinator must look at, such as emergency access to their case. It holds
    a reference and a code, never personal data: alerts may be read or mailed anywhere."""

    __tablename__ = "case_alerts"
    __table_args__ = (Index("ix_case_alerts_recipient_id_read_at", "recipient_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("break_glass_grants.id"))
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(lazy="joined", innerjoin=True)
    # What became of the grant or request it is about (the Alerts page's status); one query
    # for the whole page.
    grant: Mapped[BreakGlassGrant | None] = relationship(lazy="selectin")
