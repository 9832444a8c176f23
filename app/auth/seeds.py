"""TOTP seeds are kept sealed under the key-encryption key, bound to the user's row."""

from __future__ import annotations

from flask import current_app

from app.accounts.models import User
from app.crypto import SecretBox

SEAL = {"table": "users", "column": "totp_secret_encrypted"}


def _box() -> SecretBox:
    return SecretBox(current_app.config["SETTINGS"].key_encryption_key, purpose="totp-seed")


def seal_totp_secret(user: User, secret: str) -> bytes:
    return _box().seal(secret.encode(), row_id=user.id, **SEAL)


def totp_secret(user: User) -> str:
    assert user.totp_secret_encrypted is not None
    return _box().open(user.totp_secret_encrypted, row_id=user.id, **SEAL).decode()
