"""All cryptography lives here: the only module that imports `cryptography`.

Secrets are sealed with AES-256-GCM in a versioned envelope:
``version (1 byte) | key id (4 bytes) | nonce (12 bytes) | ciphertext and tag``.
The associated data names the table, column and row, so a ciphertext copied into another row or
column fails to open instead of revealing someone else's data.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidSignature
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ENVELOPE_VERSION = 1
KEY_ID_BYTES = 4
NONCE_BYTES = 12
HEADER_BYTES = 1 + KEY_ID_BYTES + NONCE_BYTES


class DecryptionError(Exception):
    """A sealed value could not be opened: wrong key, wrong row or tampered bytes."""


def derive_key(key_encryption_key: bytes, purpose: str) -> bytes:
    """A separate 256-bit key per purpose, so one key's use never weakens another's."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
    return hkdf.derive(key_encryption_key)


def associated_data(table: str, column: str, row_id: int | str) -> bytes:
    return f"{table}.{column}:{row_id}".encode()


class SecretBox:
    """Seals small secrets (such as TOTP seeds) under a key derived from the key-encryption key."""

    def __init__(self, key_encryption_key: bytes, purpose: str) -> None:
        if len(key_encryption_key) != 32:
            raise ValueError("The key-encryption key must be 32 bytes.")
        key = derive_key(key_encryption_key, purpose)
        self._aead = AESGCM(key)
        self.key_id = hmac.new(key, b"key-id", hashlib.sha256).digest()[:KEY_ID_BYTES]

    def seal(self, plaintext: bytes, *, table: str, column: str, row_id: int | str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        ad = associated_data(table, column, row_id)
        header = bytes([ENVELOPE_VERSION]) + self.key_id + nonce
        return header + self._aead.encrypt(nonce, plaintext, ad)

    def open(self, envelope: bytes, *, table: str, column: str, row_id: int | str) -> bytes:
        if len(envelope) <= HEADER_BYTES or envelope[0] != ENVELOPE_VERSION:
            raise DecryptionError("Unknown or truncated envelope.")
        if envelope[1 : 1 + KEY_ID_BYTES] != self.key_id:
            raise DecryptionError("Sealed under a different key.")
        nonce = envelope[1 + KEY_ID_BYTES : HEADER_BYTES]
        try:
            return self._aead.decrypt(
                nonce, envelope[HEADER_BYTES:], associated_data(table, column, row_id)
            )
        except InvalidTag as error:
            raise DecryptionError("The value does not belong here or was altered.") from error


class CheckpointSigner:
    """Ed25519 signatures over audit checkpoints, from a key derived from the key-encryption key.

    Anyone holding the public key can check an exported checkpoint; only the app can make one.
    """

    def __init__(self, key_encryption_key: bytes) -> None:
        seed = derive_key(key_encryption_key, "audit-checkpoint-signing")
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


def keyed_hash(key: bytes, purpose: str, value: str, *, length: int = 16) -> str:
    """A short keyed hash (HMAC-SHA256) that links equal values without revealing them."""
    digest = hmac.new(derive_key(key, purpose), value.encode(), hashlib.sha256).hexdigest()
    return digest[:length]
