"""The areas a manager reports on, and the indexes the figures are counted through."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.accounts.models import User
from app.database import Base
from app.database import utcnow
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
