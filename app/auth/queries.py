"""Read helpers for signing in."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.auth import totp
from app.auth.seeds import totp_secret
from app.database import db


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def unused_recovery_code_count(user: User) -> int:
    return sum(1 for code in user.recovery_codes if code.used_at is None)


def enrolment_qr_code(user: User, issuer: str) -> tuple[str, str]:
    """The QR code (data URI) and the secret as text, for an authenticator app."""
    secret = totp_secret(user)
    uri = totp.provisioning_uri(secret, email=user.email, issuer=issuer)
    return totp.qr_code_data_uri(uri), secret
