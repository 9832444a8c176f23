"""The retention rules that decide when a closed case's content is destroyed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from app.database import Base
from app.database import utcnow
from panels.types.common import PanelType


class RecordType(StrEnum):
    """Kinds of record a retention rule governs."""

    CLOSED_CASE = "closed_case"

    @property
    def label(self) -> str:
        return {"closed_case": "Closed case (people, notes, summary)"}[self.value]


class RetentionRule(Base):
    """How long a kind of record is kept for a type of panel, in months after it ends."""

    __tablename__ = "retention_rules"
    __table_args__ = (UniqueConstraint("panel_type", "record_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_type: Mapped[PanelType]
    record_type: Mapped[RecordType]
    months: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def description(self) -> str:
        return f"{self.panel_type.value}/{self.record_type.value}: {self.months} months"


# Information sharing (domain §7-8) ---------------------------------------------------------
