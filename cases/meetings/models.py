"""What happened at a meeting beyond its date: who attended for which agency, who sent
apologies, which agencies sent information without attending, observers (domain §2.6, R2, R3),
and declarations of interest on the cases heard (an attendee leaves for that item).

Attendance and interests hold ids and codes only. An observer's name and organisation are
typed in, so like all free text they are sealed, each observer under a key of their own.
"""

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
from panels.models import PanelRole


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    # Present in place of the agency's named representative (R2).
    DEPUTY = "deputy"
    APOLOGIES = "apologies"

    @property
    def label(self) -> str:
        return {
            "present": "Attended",
            "deputy": "Attended as deputy",
            "apologies": "Sent apologies",
        }[self.value]

    @property
    def attended(self) -> bool:
        return self is not AttendanceStatus.APOLOGIES


class MeetingAttendance(Base):
    """One panel member at one meeting: attended (as named representative or deputy) or sent
    apologies. The agency and panel role are those they held when it was recorded."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    panel_role: Mapped[PanelRole]
    status: Mapped[AttendanceStatus]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined", innerjoin=True)
    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)


class InformationSent(Base):
    """An agency that sent information to the meeting without attending it (domain §2.6)."""

    __tablename__ = "meeting_information_sent"
    __table_args__ = (UniqueConstraint("meeting_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)


class MeetingObserver(SealedRecord):
    """Someone who observed the meeting without sitting on the panel (a student, an inspector).
    Their name and organisation are sealed under a key of their own (a person's key)."""

    __tablename__ = "meeting_observers"
    __table_args__ = (Index("ix_meeting_observers_meeting_id", "meeting_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    position: Mapped[int]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    name = Sealed(TEXT)
    organisation = Sealed(TEXT)


class InterestDeclaration(Base):
    """An attendee declared an interest in a case on the agenda, and left for that item."""

    __tablename__ = "meeting_interest_declarations"
    __table_args__ = (UniqueConstraint("meeting_id", "case_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined", innerjoin=True)
    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
