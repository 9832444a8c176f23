"""Restrictions that close a case to an organisation (staff as subject)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.accounts.models import Organisation
from app.database import Base
from app.database import utcnow


class CaseRestriction(Base):
    """Staff-as-subject: someone in the case works for this organisation, so none of its staff
    may open, list or find the case, whatever their role or emergency (security R19)."""

    __tablename__ = "case_restrictions"
    __table_args__ = (
        Index("ix_case_restrictions_case_id_organisation_id", "case_id", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    placed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lifted_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
