"""Wrapped data keys. The plaintext keys never reach the database; the KEK lives outside it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from app.database import Base
from app.database import utcnow


class KeyPurpose(StrEnum):
    """What a data key protects. Service keys exist once each; their id is their purpose."""

    CASE = "case"
    PERSON = "person"
    EXTRACT = "extract"  # a downloadable file, destroyed when the file expires
    TOTP_SEEDS = "service:totp-seed"
    BLIND_INDEX = "service:blind-index"
    CHECKPOINT_SIGNING = "service:audit-checkpoint-signing"

    @property
    def is_service_key(self) -> bool:
        return self.value.startswith("service:")


class DataKey(Base):
    """A random AES-256 key, stored wrapped under a KEK. Destroying it (crypto-shredding) clears
    the wrapped bytes, after which nothing sealed under it can be read again."""

    __tablename__ = "data_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    purpose: Mapped[KeyPurpose]
    kek_id: Mapped[str | None] = mapped_column(String(16), index=True)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    destroyed_at: Mapped[datetime | None]

    @property
    def destroyed(self) -> bool:
        return self.wrapped_key is None
