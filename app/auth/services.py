"""Sign-in rules: checking passwords and second factors, enrolment, activation, password changes.

Services flush and never commit; the view that calls them owns the transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy import update

from app.accounts.models import AccountToken
from app.accounts.models import RecoveryCode
from app.accounts.models import User
from app.auth import passwords
from app.auth import totp
from app.crypto import SecretBox
from app.database import db
from app.database import utcnow
from app.errors import DomainError
from app.sessions import revoke_user_sessions
from app.settings import Settings

RECOVERY_CODE_COUNT = 10
TOTP_SEAL = {"table": "users", "column": "totp_secret_encrypted"}


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None; unknown emails cost the same time."""
    user = find_user_by_email(email)
    password_ok = passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.is_active:
        return None
    assert user.password_hash is not None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    db.session.flush()
    return user


def record_sign_in(user: User) -> None:
    user.last_signed_in_at = utcnow()
    db.session.flush()


# Second factor -------------------------------------------------------------------------------


def _secret_box() -> SecretBox:
    settings: Settings = current_app.config["SETTINGS"]
    return SecretBox(settings.key_encryption_key, purpose="totp-seed")


def totp_secret(user: User) -> str:
    assert user.totp_secret_encrypted is not None
    sealed = _secret_box().open(user.totp_secret_encrypted, row_id=user.id, **TOTP_SEAL)
    return sealed.decode()


def start_enrolment(user: User) -> None:
    """Give the user a fresh, not yet confirmed TOTP secret (after their password is checked)."""
    secret = totp.new_secret()
    user.totp_secret_encrypted = _secret_box().seal(secret.encode(), row_id=user.id, **TOTP_SEAL)
    user.totp_last_step = None
    user.mfa_enrolled_at = None
    db.session.flush()


def enrolment_qr_code(user: User, issuer: str) -> tuple[str, str]:
    """The QR code (data URI) and the secret as text, for an authenticator app."""
    secret = totp_secret(user)
    uri = totp.provisioning_uri(secret, email=user.email, issuer=issuer)
    return totp.qr_code_data_uri(uri), secret


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Finish enrolment with a first valid code; returns new recovery codes to show once."""
    if not verify_totp(user, code):
        raise DomainError("Enter the 6-digit code currently shown in your app", field="code")
    user.mfa_enrolled_at = utcnow()
    return issue_recovery_codes(user)


def verify_totp(user: User, code: str) -> bool:
    """Accept a current code once; replays and codes older than the last one are refused."""
    if user.totp_secret_encrypted is None:
        return False
    step = totp.matching_step(totp_secret(user), code, last_step=user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    db.session.flush()
    return True


def issue_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with new ones; only their hashes are kept."""
    user.recovery_codes.clear()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    user.recovery_codes.extend(RecoveryCode(code_hash=_hash(_canonical(c))) for c in codes)
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one unused recovery code; each works once."""
    wanted = _hash(_canonical(code))
    for recovery_code in user.recovery_codes:
        if recovery_code.used_at is None and secrets.compare_digest(
            recovery_code.code_hash, wanted
        ):
            recovery_code.used_at = utcnow()
            db.session.flush()
            return True
    return False


def unused_recovery_code_count(user: User) -> int:
    return sum(1 for code in user.recovery_codes if code.used_at is None)


def _new_recovery_code() -> str:
    raw = secrets.token_hex(5).upper()
    return f"{raw[:5]}-{raw[5:]}"


def _canonical(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# Passwords and account links ---------------------------------------------------------------


def change_password(user: User, *, current: str, new: str, keep_session: str | None) -> None:
    """Change the password and end the user's other sessions (anyone holding the old one)."""
    if not passwords.verify_password(user.password_hash, current):
        raise DomainError("Your current password is incorrect", field="current_password")
    set_password(user, new)
    revoke_user_sessions(user.id, keep=keep_session)


def set_password(user: User, new: str) -> None:
    problem = passwords.password_problem(new, email=user.email)
    if problem:
        raise DomainError(problem, field="new_password")
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    db.session.flush()


def hash_token(raw_token: str) -> str:
    return _hash(raw_token)


def valid_account_token(raw_token: str, *, now: datetime | None = None) -> AccountToken | None:
    """The unused, unexpired token matching a link, or None."""
    token: AccountToken | None = db.session.scalar(
        select(AccountToken).where(AccountToken.token_hash == hash_token(raw_token))
    )
    if token is None or token.used_at is not None or token.expires_at <= (now or utcnow()):
        return None
    if not token.user.is_active:
        return None
    return token


def redeem_account_token(raw_token: str, new_password: str) -> User:
    """Set a password through an activation or reset link, which then stops working."""
    token = valid_account_token(raw_token)
    if token is None:
        raise DomainError("This link has expired or has already been used")
    set_password(token.user, new_password)
    retire_account_tokens(token.user)
    revoke_user_sessions(token.user.id)
    return token.user


def retire_account_tokens(user: User) -> None:
    """Mark every unused link of the user as used, so only the newest one ever works."""
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    db.session.flush()
