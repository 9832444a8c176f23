"""Sealed secrets: AES-256-GCM bound to table, column and row; tampering is detected."""

from __future__ import annotations

import secrets

import pytest

from app.crypto import DecryptionError
from app.crypto import SecretBox
from app.crypto import derive_key

KEK = secrets.token_bytes(32)
WHERE = {"table": "users", "column": "totp_secret_encrypted"}


def test_round_trip() -> None:
    box = SecretBox(derive_key(KEK, "totp-seed"))
    sealed = box.seal(b"JBSWY3DPEHPK3PXP", row_id=7, **WHERE)
    assert b"JBSWY3DPEHPK3PXP" not in sealed
    assert box.open(sealed, row_id=7, **WHERE) == b"JBSWY3DPEHPK3PXP"


def test_ciphertext_copied_to_another_row_fails() -> None:
    box = SecretBox(derive_key(KEK, "totp-seed"))
    sealed = box.seal(b"secret", row_id=7, **WHERE)
    with pytest.raises(DecryptionError):
        box.open(sealed, row_id=8, **WHERE)
    with pytest.raises(DecryptionError):
        box.open(sealed, row_id=7, table="users", column="other_column")


def test_every_flipped_byte_is_detected() -> None:
    box = SecretBox(derive_key(KEK, "totp-seed"))
    sealed = box.seal(b"secret", row_id=1, **WHERE)
    for index in range(len(sealed)):
        altered = bytearray(sealed)
        altered[index] ^= 0x01
        with pytest.raises(DecryptionError):
            box.open(bytes(altered), row_id=1, **WHERE)


@pytest.mark.parametrize("envelope", [b"", b"\x01", b"\x02" + b"\x00" * 40])
def test_truncated_or_unknown_envelopes_raise_one_error_type(envelope: bytes) -> None:
    with pytest.raises(DecryptionError):
        SecretBox(derive_key(KEK, "totp-seed")).open(envelope, row_id=1, **WHERE)


def test_other_key_or_purpose_cannot_open() -> None:
    sealed = SecretBox(derive_key(KEK, "totp-seed")).seal(b"secret", row_id=1, **WHERE)
    with pytest.raises(DecryptionError):
        SecretBox(secrets.token_bytes(32)).open(sealed, row_id=1, **WHERE)
    with pytest.raises(DecryptionError):
        SecretBox(derive_key(KEK, "another-purpose")).open(sealed, row_id=1, **WHERE)


def test_nonces_do_not_repeat() -> None:
    box = SecretBox(derive_key(KEK, "totp-seed"))
    nonces = {box.seal(b"x", row_id=1, **WHERE)[5:17] for _ in range(10_000)}
    assert len(nonces) == 10_000


def test_rejects_keys_of_the_wrong_size() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        SecretBox(b"short")
