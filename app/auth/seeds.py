"""TOTP seeds are kept sealed under a service key (wrapped by the KEK), bound to the user's row."""

from __future__ import annotations

from app.accounts.models import User
from app.crypto import SecretBox
from app.keys.models import KeyPurpose
from app.keys.store import key_store

SEAL = {"table": "users", "column": "totp_secret_encrypted"}


def _box() -> SecretBox:
    return SecretBox(key_store().service_key(KeyPurpose.TOTP_SEEDS))


def seal_totp_secret(user: User, secret: str) -> bytes:
    return _box().seal(secret.encode(), row_id=user.id, **SEAL)


def totp_secret(user: User) -> str:
    assert user.totp_secret_encrypted is not None
    return _box().open(user.totp_secret_encrypted, row_id=user.id, **SEAL).decode()
