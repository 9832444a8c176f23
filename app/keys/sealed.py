"""Sealed columns: models read and write plaintext, the database only ever holds ciphertext.

A model that keeps personal or free-text data subclasses `SealedRecord` and declares each such
field as ``family_name = Sealed(TEXT)``. That adds a binary column ``family_name`` (mapped as
``family_name_sealed``) holding the envelope; reading the attribute opens it with the row's data
key and writing it seals at once, so plaintext is never flushed. Every ciphertext is bound to its
table, column, the row's random `uid` and the data key, so it cannot be moved elsewhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from typing import Generic
from typing import Self
from typing import TypeVar
from typing import overload

from sqlalchemy import ForeignKey
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import declared_attr
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.crypto import field_key_id
from app.database import Base
from app.database import db
from app.keys.models import DataKey
from app.keys.store import ContentDestroyed
from app.keys.store import key_store

T = TypeVar("T")


@dataclass(frozen=True)
class Codec(Generic[T]):
    encode: Callable[[T], bytes]
    decode: Callable[[bytes], T]


TEXT: Codec[str] = Codec(str.encode, bytes.decode)
BYTES: Codec[bytes] = Codec(bytes, bytes)
DATE: Codec[date] = Codec(
    lambda value: value.isoformat().encode(), lambda raw: date.fromisoformat(raw.decode())
)


class SealedRecord(Base):
    """A table with sealed columns: a random row id for binding, and the key that seals it."""

    __abstract__ = True

    uid: Mapped[str] = mapped_column(String(32), unique=True)

    @declared_attr
    def data_key_id(cls) -> Mapped[str]:
        return mapped_column(ForeignKey("data_keys.id"), index=True)

    @declared_attr
    def data_key(cls) -> Mapped[DataKey]:
        return relationship(lazy="joined", innerjoin=True)

    def __init__(self, **values: Any) -> None:
        # The row's identity and key come first: sealing a field needs both.
        sealed = {
            name: values.pop(name) for name in list(values) if name in sealed_fields(type(self))
        }
        super().__init__(uid=uuid.uuid4().hex, **values)
        for name, value in sealed.items():
            setattr(self, name, value)

    @property
    def content_destroyed(self) -> bool:
        return self.data_key.destroyed


class Sealed(Generic[T]):
    """A field stored as an AES-256-GCM envelope under the row's data key."""

    def __init__(self, codec: Codec[T]) -> None:
        self.codec = codec

    def __set_name__(self, owner: type[SealedRecord], name: str) -> None:
        self.name = name
        self.attribute = f"{name}_sealed"
        # Declared here so each sealed field is one line in its model; mapped with the class.
        setattr(owner, self.attribute, mapped_column(name, LargeBinary, nullable=True))
        _SEALED.setdefault(owner, []).append(name)

    @overload
    def __get__(self, record: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, record: SealedRecord, owner: type[Any]) -> T | None: ...

    def __get__(self, record: SealedRecord | None, owner: type[Any]) -> Self | T | None:
        if record is None:
            return self
        envelope: bytes | None = getattr(record, self.attribute)
        if envelope is None:
            return None
        return self.codec.decode(open_envelope(record, self.name, envelope))

    def __set__(self, record: SealedRecord, value: T | None) -> None:
        envelope = None if value is None else seal(record, self.name, self.codec.encode(value))
        setattr(record, self.attribute, envelope)


_SEALED: dict[type, list[str]] = {}


def sealed_fields(model: type) -> tuple[str, ...]:
    """The sealed field names of a model, its own and those it inherits."""
    return tuple(name for cls in model.__mro__ for name in _SEALED.get(cls, ()))


def sealed_models() -> tuple[type[SealedRecord], ...]:
    return tuple(model for model in _SEALED if issubclass(model, SealedRecord))


def seal(record: SealedRecord, column: str, plaintext: bytes) -> bytes:
    key = record.data_key
    if key is None:
        raise RuntimeError(f"Set {type(record).__name__}.data_key before its sealed fields.")
    return (
        key_store()
        .cipher(key)
        .seal(plaintext, table=record.__tablename__, column=column, row_id=record.uid)
    )


def open_envelope(record: SealedRecord, column: str, envelope: bytes) -> bytes:
    key_id = field_key_id(envelope).hex()
    # During re-encryption a row's fields may name its old or new key; each names its own.
    key = record.data_key if record.data_key.id == key_id else db.session.get(DataKey, key_id)
    if key is None:
        raise ContentDestroyed("The key this value was sealed under no longer exists.")
    return (
        key_store()
        .cipher(key)
        .open(envelope, table=record.__tablename__, column=column, row_id=record.uid)
    )
