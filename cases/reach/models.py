"""The rows a representative's case scope reads (see the package's docstring)."""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from app.database import Base


class CaseReader(Base):
    """A person who accepted the confidentiality statement of a meeting at which the case was
    listed or on the agenda (R3, R5), on the case's current panel. The key's order is the
    lookup's: one person's cases on the panels they represent."""

    __tablename__ = "case_readers"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CaseReferrer(Base):
    """An agency that referred the case to its current panel: it sees what became of its own
    referral (a referral to the panel a case was transferred from gives nothing)."""

    __tablename__ = "case_referring_agencies"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, index=True
    )
