"""Areas, panels (one of the five panel types in an area) and who sits on them."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON
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
from panels.settings import PanelSettings
from panels.types import spec_for
from panels.types.common import MeetingCadence
from panels.types.common import PanelSpec
from panels.types.common import PanelType


class PanelRole(StrEnum):
    COORDINATOR = "coordinator"
    CHAIR = "chair"
    REPRESENTATIVE = "representative"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Area(Base):
    """A local authority area served by a community safety partnership."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)

    panels: Mapped[list[Panel]] = relationship(back_populates="area")


class Panel(Base):
    __tablename__ = "panels"
    __table_args__ = (UniqueConstraint("area_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_type: Mapped[PanelType]
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    meeting_cadence: Mapped[MeetingCadence]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The panel's [LOCAL] settings over its type's defaults; see panels.settings.PanelSettings.
    local_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    area: Mapped[Area] = relationship(back_populates="panels", lazy="joined")
    memberships: Mapped[list[PanelMembership]] = relationship(
        back_populates="panel", cascade="all, delete-orphan"
    )

    @property
    def spec(self) -> PanelSpec:
        """How this panel's type behaves (its module in panels.types)."""
        return spec_for(self.panel_type)

    @property
    def settings(self) -> PanelSettings:
        """The panel's [LOCAL] settings, its type's defaults where it has set none."""
        return PanelSettings.from_json(self.local_settings)


class PanelMembership(Base):
    """A user's role on one panel; they sit for their own organisation (agency)."""

    __tablename__ = "panel_memberships"
    __table_args__ = (UniqueConstraint("panel_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[PanelRole]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    panel: Mapped[Panel] = relationship(back_populates="memberships", lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")


class MeetingKind(StrEnum):
    SCHEDULED = "scheduled"
    EMERGENCY = "emergency"  # for a case that cannot wait for the next meeting (domain §2.6)

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Meeting(Base):
    """A meeting of a panel on a date: the calendar that referrals are listed against."""

    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_panel_id_held_on", "panel_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"))
    held_on: Mapped[date]
    kind: Mapped[MeetingKind] = mapped_column(default=MeetingKind.SCHEDULED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The agenda opens to members when the coordinator publishes it, or by itself on
    # `agenda_publishes_on` (the panel's setting), whichever comes first (issue 21).
    agenda_published_at: Mapped[datetime | None]
    agenda_published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Counts changes to the agenda: a coordinator's change made from an agenda someone has
    # changed since is refused rather than applied over theirs.
    agenda_revision: Mapped[int] = mapped_column(default=1)

    panel: Mapped[Panel] = relationship(lazy="joined", innerjoin=True)

    @property
    def agenda_publishes_on(self) -> date:
        """The day the agenda opens to members by itself: the panel's setting of days before."""
        return self.held_on - timedelta(days=self.panel.settings.agenda_days_before)

    def agenda_published(self, today: date) -> bool:
        """Whether members may accept the statement and see the agenda (R3)."""
        return self.agenda_published_at is not None or today >= self.agenda_publishes_on


class IspAgreement(Base):
    """One version of a panel's information sharing protocol (domain §8 R1). The version in
    force is the latest whose start date has come; organisations must sign that version."""

    __tablename__ = "isp_agreements"
    __table_args__ = (UniqueConstraint("panel_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(40))
    in_force_from: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    panel: Mapped[Panel] = relationship(lazy="joined", innerjoin=True)
    signatories: Mapped[list[IspSignatory]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="IspSignatory.id"
    )


class IspSignatory(Base):
    """An organisation's signature on one ISP version: in force from signing until its review
    date passes or it withdraws, whichever is first."""

    __tablename__ = "isp_signatories"
    __table_args__ = (UniqueConstraint("agreement_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("isp_agreements.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    signed_on: Mapped[date]
    review_on: Mapped[date]
    withdrawn_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agreement: Mapped[IspAgreement] = relationship(back_populates="signatories")
    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)

    def in_force_on(self, day: date) -> bool:
        if self.withdrawn_on is not None and self.withdrawn_on <= day:
            return False
        return self.signed_on <= day <= self.review_on


class ConfidentialityDeclaration(Base):
    """An attendee's acceptance of the confidentiality statement for one meeting (R3): until
    then they cannot see its agenda or the cases listed at it."""

    __tablename__ = "confidentiality_declarations"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    statement_version: Mapped[str] = mapped_column(String(40))
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)
