"""All cryptography lives here: the only module that imports `cryptography`.

Two envelopes, both AES-256-GCM with a fresh 96-bit random nonce:

* `SecretBox` seals small service secrets (TOTP seeds) under one service key:
  ``version 1 | key id (4 bytes) | nonce (12) | ciphertext and tag``.
* `FieldCipher` seals personal and free-text fields under a per-case or per-person data key:
  ``version 2 | data key id (16 bytes) | nonce (12) | ciphertext and tag``.

In both, the associated data names the table, column and row (and, for fields, the data key), so
a ciphertext copied into another row or column fails to open instead of revealing someone else's
data. Data keys are random and stored only wrapped (AES key wrap, RFC 3394) by a key-encryption
key (KEK) that lives outside the database; a `KeyProvider` does the wrapping, so a KMS or Vault can
stand in for the local keyring later.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Sequence
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

KEY_BYTES = 32
NONCE_BYTES = 12

SECRET_ENVELOPE_VERSION = 1
SECRET_KEY_ID_BYTES = 4
SECRET_HEADER_BYTES = 1 + SECRET_KEY_ID_BYTES + NONCE_BYTES

FIELD_ENVELOPE_VERSION = 2
DATA_KEY_ID_BYTES = 16
FIELD_HEADER_BYTES = 1 + DATA_KEY_ID_BYTES + NONCE_BYTES


class DecryptionError(Exception):
    """A sealed value could not be opened: wrong key, wrong row or tampered bytes."""


class KeyUnavailable(DecryptionError):
    """The key-encryption key a data key was wrapped under is not in the keyring."""


def derive_key(key_encryption_key: bytes, purpose: str) -> bytes:
    """A separate 256-bit key per purpose, so one key's use never weakens another's."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode())
    return hkdf.derive(key_encryption_key)


def random_key() -> bytes:
    return os.urandom(KEY_BYTES)


def associated_data(table: str, column: str, row_id: int | str) -> bytes:
    return f"{table}.{column}:{row_id}".encode()


# Key-encryption keys ------------------------------------------------------------------------


def kek_id(key_encryption_key: bytes) -> str:
    """A short public name for a KEK, stored beside each wrapped key (reveals nothing of it)."""
    return hmac.new(key_encryption_key, b"kek-id", hashlib.sha256).hexdigest()[:16]


class KeyProvider(Protocol):
    """Wraps and unwraps data keys. A KMS or Vault transit provider implements the same three."""

    @property
    def current_kek_id(self) -> str: ...

    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        """Wrap under the current KEK; returns (KEK id, wrapped key)."""
        ...

    def unwrap(self, kek_id: str, wrapped: bytes) -> bytes: ...


class LocalKeyring:
    """KEKs held by this process: the current one wraps, any of them unwraps.

    During a rotation the previous KEKs stay in the keyring until every data key is rewrapped.
    """

    def __init__(self, current: bytes, previous: Sequence[bytes] = ()) -> None:
        for key in (current, *previous):
            if len(key) != KEY_BYTES:
                raise ValueError("A key-encryption key must be 32 bytes.")
        self._current_id = kek_id(current)
        self._keys = {kek_id(key): key for key in (*previous, current)}

    @property
    def current_kek_id(self) -> str:
        return self._current_id

    @property
    def kek_ids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        return self._current_id, aes_key_wrap(self._keys[self._current_id], data_key)

    def unwrap(self, kek_id: str, wrapped: bytes) -> bytes:
        key = self._keys.get(kek_id)
        if key is None:
            raise KeyUnavailable(f"Key-encryption key {kek_id} is not configured.")
        try:
            return aes_key_unwrap(key, wrapped)
        except InvalidUnwrap as error:
            raise DecryptionError("A data key failed to unwrap: altered or wrong KEK.") from error


# Field encryption ---------------------------------------------------------------------------


class FieldCipher:
    """Seals one field's value under a data key, bound to its table, column, row and key."""

    def __init__(self, data_key: bytes, data_key_id: bytes) -> None:
        if len(data_key) != KEY_BYTES or len(data_key_id) != DATA_KEY_ID_BYTES:
            raise ValueError("A data key is 32 bytes and its id 16.")
        self._aead = AESGCM(data_key)
        self._key_id = data_key_id

    def seal(self, plaintext: bytes, *, table: str, column: str, row_id: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        header = bytes([FIELD_ENVELOPE_VERSION]) + self._key_id + nonce
        ad = _field_ad(table, column, row_id, self._key_id)
        return header + self._aead.encrypt(nonce, plaintext, ad)

    def open(self, envelope: bytes, *, table: str, column: str, row_id: str) -> bytes:
        if field_key_id(envelope) != self._key_id:
            raise DecryptionError("Sealed under a different data key.")
        nonce = envelope[1 + DATA_KEY_ID_BYTES : FIELD_HEADER_BYTES]
        ad = _field_ad(table, column, row_id, self._key_id)
        try:
            return self._aead.decrypt(nonce, envelope[FIELD_HEADER_BYTES:], ad)
        except InvalidTag as error:
            raise DecryptionError("The value does not belong here or was altered.") from error


def field_key_id(envelope: bytes) -> bytes:
    """The id of the data key a field envelope names; malformed envelopes are refused."""
    if len(envelope) < FIELD_HEADER_BYTES + 16 or envelope[0] != FIELD_ENVELOPE_VERSION:
        raise DecryptionError("Unknown or truncated envelope.")
    return envelope[1 : 1 + DATA_KEY_ID_BYTES]


def _field_ad(table: str, column: str, row_id: str, key_id: bytes) -> bytes:
    return associated_data(table, column, row_id) + b"|" + key_id.hex().encode()


# Service secrets ----------------------------------------------------------------------------


class SecretBox:
    """Seals small secrets (such as TOTP seeds) under one 32-byte service key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("A service key must be 32 bytes.")
        self._aead = AESGCM(key)
        self.key_id = hmac.new(key, b"key-id", hashlib.sha256).digest()[:SECRET_KEY_ID_BYTES]

    def seal(self, plaintext: bytes, *, table: str, column: str, row_id: int | str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        ad = associated_data(table, column, row_id)
        header = bytes([SECRET_ENVELOPE_VERSION]) + self.key_id + nonce
        return header + self._aead.encrypt(nonce, plaintext, ad)

    def open(self, envelope: bytes, *, table: str, column: str, row_id: int | str) -> bytes:
        if len(envelope) <= SECRET_HEADER_BYTES or envelope[0] != SECRET_ENVELOPE_VERSION:
            raise DecryptionError("Unknown or truncated envelope.")
        if envelope[1 : 1 + SECRET_KEY_ID_BYTES] != self.key_id:
            raise DecryptionError("Sealed under a different key.")
        nonce = envelope[1 + SECRET_KEY_ID_BYTES : SECRET_HEADER_BYTES]
        try:
            return self._aead.decrypt(
                nonce, envelope[SECRET_HEADER_BYTES:], associated_data(table, column, row_id)
            )
        except InvalidTag as error:
            raise DecryptionError("The value does not belong here or was altered.") from error


class CheckpointSigner:
    """Ed25519 signatures over audit checkpoints, from a 32-byte signing seed.

    Anyone holding the public key can check an exported checkpoint; only the app can make one.
    """

    def __init__(self, seed: bytes) -> None:
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key_hex = self._private.public_key().public_bytes_raw().hex()

    def sign(self, message: bytes) -> str:
        return self._private.sign(message).hex()

    @staticmethod
    def is_valid(message: bytes, signature_hex: str, public_key_hex: str) -> bool:
        try:
            public_key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
            public_key.verify(bytes.fromhex(signature_hex), message)
        except (InvalidSignature, ValueError):
            return False
        return True


# Keyed hashes -------------------------------------------------------------------------------


def keyed_hash(key: bytes, purpose: str, value: str, *, length: int = 16) -> str:
    """A short keyed hash (HMAC-SHA256) that links equal values without revealing them."""
    digest = hmac.new(derive_key(key, purpose), value.encode(), hashlib.sha256).hexdigest()
    return digest[:length]


def blind_index(key: bytes, kind: str, normalised: str, *, bits: int) -> int:
    """HMAC-SHA256 of a normalised value, truncated to `bits` so that equal values match and
    each index value is shared by a few different inputs (deliberate coincidences)."""
    message = kind.encode() + b"\x00" + normalised.encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") >> (32 - bits)
