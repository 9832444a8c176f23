"""What happened at a meeting beyond its date: who attended for which agency, who sent
apologies, which agencies sent information without attending, observers (domain §2.6, R2, R3),
declarations of interest on the cases heard (an attendee leaves for that item), and the
minutes the chair approves (R12).

Attendance and interests hold ids and codes only. An observer's name and organisation are
typed in, so like all free text they are sealed, each observer under a key of their own; so
is every word of the minutes (see `MeetingMinutes`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
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


class MinutesStatus(StrEnum):
    DRAFT = "draft"
    # Approved by the chair: from then on distributed (R12) and never changed.
    APPROVED = "approved"

    @property
    def label(self) -> str:
        return {"draft": "Draft", "approved": "Approved by the chair"}[self.value]


class MeetingMinutes(SealedRecord):
    """The minutes of a meeting (domain §2.6, R12): a general section, and per case heard the
    discussion and each agency's contribution (`MinutesCaseSection`). The coordinator drafts
    them, saving as often as they like; the chair approves them, and only then are they
    distributed. Approved minutes are never changed: a correction is minuted at the next
    meeting, as panels do when they agree the last meeting's minutes.

    The general section names no case, so it is sealed under a key of its own (as an
    observer's name is). `revision` counts
    the saves: the form carries the revision it was drawn from, so a save over someone
    else's newer one is refused rather than applied over theirs."""

    __tablename__ = "meeting_minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[MinutesStatus] = mapped_column(default=MinutesStatus.DRAFT)
    revision: Mapped[int] = mapped_column(default=1)
    drafted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    drafted_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]

    general = Sealed(TEXT)

    updated_by: Mapped[User] = relationship(foreign_keys=[updated_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    sections: Mapped[list[MinutesCaseSection]] = relationship(
        back_populates="minutes",
        cascade="all, delete-orphan",
        order_by="MinutesCaseSection.id",
    )

    @property
    def approved(self) -> bool:
        return self.status is MinutesStatus.APPROVED


class MinutesCaseSection(SealedRecord):
    """What the minutes say about one case heard at the meeting: the panel's decision (a code
    in the panel type's terms) and the discussion, sealed under the case's key (as its notes
    are), so it is destroyed with the case's content."""

    __tablename__ = "meeting_minutes_cases"
    __table_args__ = (UniqueConstraint("minutes_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("meeting_minutes.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # What the panel decided, as a code of the panel type's decisions (`PanelSpec.decisions`):
    # a code, not free text, so it is stored in clear. None while the draft leaves it open.
    decision: Mapped[str | None] = mapped_column(String(40))

    discussion = Sealed(TEXT)

    minutes: Mapped[MeetingMinutes] = relationship(back_populates="sections")
    contributions: Mapped[list[MinutesContribution]] = relationship(
        back_populates="section",
        cascade="all, delete-orphan",
        order_by="MinutesContribution.id",
    )


class MinutesContribution(SealedRecord):
    """What one agency contributed on one case at the meeting, sealed under the case's key and
    tagged with the agency as its originator (R7)."""

    __tablename__ = "meeting_minutes_contributions"
    __table_args__ = (UniqueConstraint("section_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_minutes_cases.id", ondelete="CASCADE")
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)

    text = Sealed(TEXT)

    section: Mapped[MinutesCaseSection] = relationship(back_populates="contributions")
    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)


class CaseResearch(SealedRecord):
    """One agency's research on one case listed at a meeting (domain §2.6: agencies research
    their own records before the meeting): marked done by saving it, with what the agency is
    sharing for the meeting, sealed under the case's key and tagged with the agency as its
    originator (R7), or that it has nothing to share. One row per agency per listed case, which
    any member of that agency updates; `revision` counts the saves, so a save over a
    colleague's newer one is refused rather than applied over theirs."""

    __tablename__ = "meeting_case_research"
    __table_args__ = (UniqueConstraint("meeting_id", "case_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    nothing_to_share: Mapped[bool] = mapped_column(default=False)
    revision: Mapped[int] = mapped_column(default=1)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    shared = Sealed(TEXT)

    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
    updated_by: Mapped[User] = relationship(foreign_keys=[updated_by_id])


class AgendaReason(StrEnum):
    """Why a case is on a meeting's agenda (issue 21)."""

    # A referral listed at the meeting (its listing is the entry; the row keeps its place).
    REFERRAL = "referral"
    # Its repeat flag expires before the panel's next meeting: SafeLives' aide-memoire raises
    # cases where 12 months have passed since the last MARAC (domain §2.5).
    FLAG_EXPIRY = "flag_expiry"
    # Brought back by the coordinator for the panel to review, without a new referral.
    REVIEW = "review"
    # Listed at an earlier meeting and not heard there.
    CARRIED_FORWARD = "carried_forward"

    @property
    def label(self) -> str:
        return {
            "referral": "New referral",
            "flag_expiry": "Review: repeat flag expires before the next meeting",
            "review": "Review",
            "carried_forward": "Carried forward",
        }[self.value]


class AgendaItem(Base):
    """A case's place on a meeting's agenda, and why it is there. A referral listed at the
    meeting is on its agenda whether or not it has a row here: the row is written when the
    coordinator orders the agenda, and for the entries that are not a new referral (a case
    brought back for review, a referral carried forward from a meeting that did not hear it).
    When a referral is carried forward, the earlier meeting keeps its row, marked with the
    meeting it went to, so that meeting's record still shows it was listed and not heard."""

    __tablename__ = "meeting_agenda_items"
    __table_args__ = (UniqueConstraint("meeting_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))
    reason: Mapped[AgendaReason]
    # None until the coordinator orders the agenda: such entries follow, oldest referral first.
    position: Mapped[int | None]
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    carried_to_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
