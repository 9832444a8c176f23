"""The blind indexes a person is found by: their name and date of birth, aliases, identifiers."""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.database import Base
from app.keys.blind import IndexKind
from cases.models import Person


class PersonSearchKey(Base):
    """One blind index of a person: their name and date of birth, an alias, or an identifier."""

    __tablename__ = "person_search_keys"
    __table_args__ = (Index("ix_person_search_keys_kind_value", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[IndexKind]
    value: Mapped[int]

    person: Mapped[Person] = relationship(back_populates="search_keys")
