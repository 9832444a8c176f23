"""The areas a manager reports on, coordinators' referral-level extracts (kept sealed until
they expire), and the indexes the figures are counted through."""

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

from app.accounts.models import User
from app.database import Base
from app.database import utcnow
from app.keys.sealed import BYTES
from app.keys.sealed import Sealed
from app.keys.sealed import SealedRecord
from cases.referrals.models import Referral
from panels.models import Area


class ManagerArea(Base):
    """An area (partnership) a manager reports on, assigned by an administrator. A manager
    sees the aggregate figures of that area's panels, and nothing else of them."""

    __tablename__ = "manager_areas"
    __table_args__ = (UniqueConstraint("user_id", "area_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    area: Mapped[Area] = relationship(lazy="joined", innerjoin=True)
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ExtractStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return {
            "queued": "Waiting to start",
            "running": "Being made",
            "ready": "Ready to download",
            "failed": "Could not be made",
            "expired": "Expired and deleted",
        }[self.value]


class ExtractFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"

    @property
    def label(self) -> str:
        return {"csv": "CSV (comma-separated values)", "xlsx": "Excel workbook (XLSX)"}[self.value]


class Extract(SealedRecord):
    """A coordinator's referral-level extract of their own panels (issue 20, R9): asked for on
    a page, made by a background job, kept sealed under its own data key for the requester
    alone to download until it expires, then deleted and its key destroyed."""

    __tablename__ = "report_extracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    panel_ids: Mapped[list[int]] = mapped_column(JSON)
    referred_from: Mapped[date | None]
    referred_to: Mapped[date | None]
    personal: Mapped[bool] = mapped_column(default=False)  # names and dates of birth included
    file_format: Mapped[ExtractFormat]
    status: Mapped[ExtractStatus] = mapped_column(default=ExtractStatus.QUEUED)
    rows_total: Mapped[int | None]
    rows_done: Mapped[int] = mapped_column(default=0)
    size_bytes: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    downloads: Mapped[int] = mapped_column(default=0)
    file_name: Mapped[str | None] = mapped_column(String(120))

    requested_by: Mapped[User] = relationship()

    @property
    def filters(self) -> dict[str, Any]:
        """What was asked for, as recorded in the audit trail."""
        return {
            "panel_ids": list(self.panel_ids),
            "referred_from": self.referred_from.isoformat() if self.referred_from else None,
            "referred_to": self.referred_to.isoformat() if self.referred_to else None,
            "personal": self.personal,
            "format": self.file_format.value,
        }

    WAITING_LONG_MINUTES = 5

    @property
    def waiting_long(self) -> bool:
        """Queued for longer than a worker takes to start one: it may not be running."""
        waited = utcnow() - self.created_at
        return self.status is ExtractStatus.QUEUED and waited > timedelta(
            minutes=self.WAITING_LONG_MINUTES
        )

    @property
    def percent_done(self) -> int:
        if self.status is ExtractStatus.READY:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)


class ExtractPart(SealedRecord):
    """One piece of an extract's file, in order, sealed under the extract's own data key."""

    __tablename__ = "report_extract_parts"
    __table_args__ = (UniqueConstraint("extract_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    extract_id: Mapped[int] = mapped_column(ForeignKey("report_extracts.id", ondelete="CASCADE"))
    sequence: Mapped[int]
    content = Sealed(BYTES)


# The repeat rate counts a panel's listings by meeting date: meetings are found by
# (panel_id, held_on), then each meeting's referrals by this index alone, without reading the
# referral rows (status and repeat flag are in the index). Declared here, beside the report
# that needs it, on the referrals table.
Index(
    "ix_referrals_meeting_id_status_is_repeat",
    Referral.__table__.c.meeting_id,
    Referral.__table__.c.status,
    Referral.__table__.c.is_repeat,
)
# A referral sent on by a transfer counts as heard only if its meeting came before the
# transfer: the receiving panel's referral names it, and is found through this index.
Index("ix_referrals_transferred_from_id", Referral.__table__.c.transferred_from_id)
