"""Creating, opening and destroying data keys.

Unwrapped keys are cached per process by their wrapped bytes, so a list page that shows a
thousand people does not unwrap the same key twice; a destroyed key has no wrapped bytes left to
look up, so shredding takes effect in every worker at once.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.crypto import DecryptionError
from app.crypto import FieldCipher
from app.crypto import LocalKeyring
from app.crypto import derive_key
from app.crypto import random_key
from app.database import db
from app.database import reading
from app.database import utcnow
from app.keys.models import DataKey
from app.keys.models import KeyPurpose
from app.settings import Settings

CACHE_SIZE = 20_000
# Service keys sealed values before keys were stored; their first stored value is the one that
# was derived from the KEK then, so those values stay readable.
DERIVED_FIRST_VALUE = {
    KeyPurpose.TOTP_SEEDS: "totp-seed",
    KeyPurpose.CHECKPOINT_SIGNING: "audit-checkpoint-signing",
}


class ContentDestroyed(DecryptionError):
    """The data key was destroyed under the retention policy: the content is gone for good."""


class KeyStore:
    """The keyring of one app, and a bounded cache of unwrapped keys."""

    def __init__(self, settings: Settings) -> None:
        self.keyring = LocalKeyring(
            settings.key_encryption_key, settings.previous_key_encryption_keys
        )
        self._current_kek = settings.key_encryption_key
        self._cache: OrderedDict[tuple[str, str, bytes], FieldCipher | bytes] = OrderedDict()
        self._lock = threading.Lock()

    def new_key(self, purpose: KeyPurpose) -> DataKey:
        """A fresh random data key, added to the session and wrapped under the current KEK."""
        plain = random_key()
        key = DataKey(id=uuid.uuid4().hex, purpose=purpose)
        self._store_wrapped(key, plain)
        db.session.add(key)
        return key

    def cipher(self, key: DataKey) -> FieldCipher:
        """The field cipher for a data key; a destroyed key raises `ContentDestroyed`."""
        cached = self._cached(key, "cipher")
        if cached is None:
            cached = FieldCipher(self.plain(key), bytes.fromhex(key.id))
            self._remember(key, "cipher", cached)
        assert isinstance(cached, FieldCipher)
        return cached

    def plain(self, key: DataKey) -> bytes:
        if key.wrapped_key is None or key.kek_id is None:
            raise ContentDestroyed("This content was destroyed under the retention policy.")
        cached = self._cached(key, "plain")
        if cached is None:
            cached = self.keyring.unwrap(key.kek_id, key.wrapped_key)
            self._remember(key, "plain", cached)
        assert isinstance(cached, bytes)
        return cached

    def rewrap(self, key: DataKey) -> bool:
        """Wrap the key under the current KEK; False when it already was (or is destroyed)."""
        if key.destroyed or key.kek_id == self.keyring.current_kek_id:
            return False
        self._store_wrapped(key, self.plain(key))
        return True

    def destroy(self, key: DataKey) -> None:
        """Crypto-shred: forget the wrapped key, so nothing sealed under it opens again."""
        key.wrapped_key = None
        key.kek_id = None
        key.destroyed_at = utcnow()
        with self._lock:
            for entry in [entry for entry in self._cache if entry[0] == key.id]:
                del self._cache[entry]

    def service_key(self, purpose: KeyPurpose) -> bytes:
        """One of the app's own keys (TOTP seeds, blind indexes, checkpoint signing), made on
        first use. Like data keys they are wrapped by the KEK, so a KEK rotation keeps them."""
        held = db.session.info.get("service_keys", {}).get(purpose)
        # Held and still in this session: skip even the identity-map lookup (screening and
        # bulk generation compute thousands of blind indexes).
        key = (
            held
            if held is not None and (held in db.session or reading())
            else db.session.get(DataKey, purpose.value)
        )
        if key is None:
            key = self._create_service_key(purpose)
        # The session's identity map holds rows weakly: without a reference here every call
        # queried the database again (0.6 ms), and one search or screening computes many blind
        # indexes. Held by the session, so a rollback or the request's end still lets go of it.
        db.session.info.setdefault("service_keys", {})[purpose] = key
        return self.plain(key)

    def _create_service_key(self, purpose: KeyPurpose) -> DataKey:
        derived = DERIVED_FIRST_VALUE.get(purpose)
        plain = derive_key(self._current_kek, derived) if derived else random_key()
        key = DataKey(id=purpose.value, purpose=purpose)
        self._store_wrapped(key, plain)
        if reading():
            return self._create_apart(key)
        try:
            with db.session.begin_nested():  # another worker may be creating it at this moment
                db.session.add(key)
        except IntegrityError:
            return db.session.scalars(select(DataKey).where(DataKey.id == purpose.value)).one()
        return key

    def _create_apart(self, key: DataKey) -> DataKey:
        """A key first needed by a request that only reads (a GET) is made in a short write
        transaction of its own. The key returned stays outside the request's session, whose
        snapshot was taken before the key existed."""
        with Session(db.engine, expire_on_commit=False) as own, own.begin():
            try:
                with own.begin_nested():  # another worker may be creating it at this moment
                    own.add(key)
            except IntegrityError:
                key = own.scalars(select(DataKey).where(DataKey.id == key.id)).one()
        return key

    def forget(self) -> None:
        """Drop every unwrapped key this process holds, as a fresh worker starts (the
        benchmark's first-view figure measures pages opened that way)."""
        with self._lock:
            self._cache.clear()

    def _store_wrapped(self, key: DataKey, plain: bytes) -> None:
        key.kek_id, key.wrapped_key = self.keyring.wrap(plain)
        self._remember(key, "plain", plain)

    def _cached(self, key: DataKey, kind: str) -> FieldCipher | bytes | None:
        entry = (key.id, kind, key.wrapped_key or b"")
        with self._lock:
            value = self._cache.get(entry)
            if value is not None:
                self._cache.move_to_end(entry)
            return value

    def _remember(self, key: DataKey, kind: str, value: FieldCipher | bytes) -> None:
        entry = (key.id, kind, key.wrapped_key or b"")
        with self._lock:
            self._cache[entry] = value
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)


def key_store() -> KeyStore:
    store: KeyStore = current_app.extensions["key_store"]
    return store
