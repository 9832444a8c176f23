"""Sign-in rules: passwords, second factors, enrolment, account links and password changes.

Every function here changes state and writes exactly one audit event, success or failure.
Services flush and never commit; the view that calls them owns the transaction (and commits
failure events too, so that failed attempts are on the record).
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import exists
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

import audit
from app.accounts.models import KnownDevice
from app.accounts.models import RecoveryCode
from app.accounts.models import User
from app.accounts.tokens import retire_account_tokens
from app.accounts.tokens import valid_account_token
from app.auth import passwords
from app.auth import totp
from app.auth.queries import find_user_by_email
from app.auth.seeds import seal_totp_secret
from app.auth.seeds import totp_secret
from app.database import db
from app.database import utcnow
from app.errors import DomainError
from app.sessions import revoke_user_sessions
from audit import AuditAction
from audit import Outcome
from notifications import Event
from notifications import notify
from notifications import path_for

RECOVERY_CODE_COUNT = 10
WRONG_CODE = "Enter the 6-digit code currently shown in your app"


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None; unknown emails cost the same time."""
    user = find_user_by_email(email)
    password_ok = passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.is_active:
        # Who was tried, when known; never the email typed (it may be a mistyped password).
        audit.record(
            actor=None, action=AuditAction.SIGN_IN_FAILED, object=user, outcome=Outcome.FAILURE
        )
        return None
    assert user.password_hash is not None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    audit.record(actor=user, action=AuditAction.PASSWORD_ACCEPTED, object=user)
    return user


def start_enrolment(user: User) -> None:
    """Give the user a fresh, not yet confirmed TOTP secret (after their password is checked)."""
    user.totp_secret_encrypted = seal_totp_secret(user, totp.new_secret())
    user.totp_last_step = None
    user.mfa_enrolled_at = None
    audit.record(actor=user, action=AuditAction.TWO_FACTOR_ENROLMENT_STARTED, object=user)


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Finish enrolment with a first valid code; returns new recovery codes to show once."""
    if not _accept_totp(user, code):
        audit.record(
            actor=user, action=AuditAction.TWO_FACTOR_FAILED, object=user, outcome=Outcome.FAILURE
        )
        raise DomainError(WRONG_CODE, field="code")
    user.mfa_enrolled_at = utcnow()
    codes = _replace_recovery_codes(user)
    audit.record(actor=user, action=AuditAction.TWO_FACTOR_ENROLLED, object=user)
    _tell_two_factor_changed(user)
    return codes


def verify_second_factor(user: User, code: str) -> bool:
    """Accept a current TOTP code once; replays and codes older than the last are refused."""
    accepted = _accept_totp(user, code)
    audit.record(
        actor=user,
        action=AuditAction.TWO_FACTOR_PASSED if accepted else AuditAction.TWO_FACTOR_FAILED,
        object=user,
        outcome=Outcome.SUCCESS if accepted else Outcome.FAILURE,
    )
    return accepted


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one unused recovery code instead of a TOTP code; each works once."""
    wanted = _hash_code(code)
    spent = next(
        (
            c
            for c in user.recovery_codes
            if c.used_at is None and secrets.compare_digest(c.code_hash, wanted)
        ),
        None,
    )
    if spent is not None and not _spend(spent):
        spent = None  # another request used it a moment ago
    audit.record(
        actor=user,
        action=AuditAction.RECOVERY_CODE_USED,
        object=user,
        outcome=Outcome.SUCCESS if spent else Outcome.FAILURE,
    )
    return spent is not None


def complete_sign_in(user: User, *, device: str | None) -> str | None:
    """Both factors passed: the user is signed in. `device` is the browser's device token (its
    cookie), if it has one; a browser the account does not know is remembered, and the account's
    holder is told of it unless it is their first. Returns a new token for the browser to keep,
    or None when it is already known."""
    now = utcnow()
    user.last_signed_in_at = now
    known = device and db.session.scalar(
        select(KnownDevice).where(
            KnownDevice.user_id == user.id, KnownDevice.token_hash == _device_hash(device)
        )
    )
    fresh = None
    if known:
        known.last_seen_at = now
    else:
        first = not db.session.scalar(select(exists().where(KnownDevice.user_id == user.id)))
        fresh = secrets.token_urlsafe(32)
        db.session.add(KnownDevice(user_id=user.id, token_hash=_device_hash(fresh)))
        if not first:
            notify(Event.NEW_DEVICE, to=[user], link=path_for("auth.account"))
    changes = {"new_device": [None, True]} if fresh else None
    audit.record(actor=user, action=AuditAction.SIGN_IN, object=user, changes=changes)
    return fresh


def note_throttled(user: User | None) -> None:
    """A sign-in or security-code attempt was refused by the rate limits."""
    audit.record(
        actor=None, action=AuditAction.SIGN_IN_THROTTLED, object=user, outcome=Outcome.DENIED
    )


def sign_out(user: User) -> None:
    audit.record(actor=user, action=AuditAction.SIGN_OUT, object=user)


def reissue_recovery_codes(user: User, code: str) -> list[str]:
    """New recovery codes, confirmed with a current TOTP code; the old ones stop working."""
    if not _accept_totp(user, code):
        audit.record(
            actor=user,
            action=AuditAction.RECOVERY_CODES_REISSUED,
            object=user,
            outcome=Outcome.FAILURE,
        )
        raise DomainError("The security code is not correct or has already been used", field="code")
    codes = _replace_recovery_codes(user)
    audit.record(actor=user, action=AuditAction.RECOVERY_CODES_REISSUED, object=user)
    _tell_two_factor_changed(user)
    return codes


def change_password(user: User, *, current: str, new: str, keep_session: str | None) -> None:
    """Change the password and end the user's other sessions (anyone holding the old one)."""
    if not passwords.verify_password(user.password_hash, current):
        audit.record(
            actor=user, action=AuditAction.PASSWORD_CHANGED, object=user, outcome=Outcome.FAILURE
        )
        raise DomainError("Your current password is incorrect", field="current_password")
    _set_password(user, new)
    revoke_user_sessions(user.id, keep=keep_session)
    audit.record(actor=user, action=AuditAction.PASSWORD_CHANGED, object=user)


def redeem_account_token(raw_token: str, new_password: str) -> User:
    """Set a password through an activation or reset link, which then stops working."""
    token = valid_account_token(raw_token)
    if token is None:
        raise DomainError("This link has expired or has already been used")
    user = token.user
    _set_password(user, new_password)
    retire_account_tokens(user)
    revoke_user_sessions(user.id)
    audit.record(actor=user, action=AuditAction.PASSWORD_SET_BY_LINK, object=user)
    return user


def _tell_two_factor_changed(user: User) -> None:
    """The account's holder is emailed whenever its second factor changes (issue 22): if it
    was not them, they know at once. Part of the change that caused it (no event of its own)."""
    notify(Event.TWO_FACTOR_CHANGED, to=[user], link=path_for("auth.account"))


def _accept_totp(user: User, code: str) -> bool:
    """Accept a code only if no other request has used its time step (or a later one)."""
    if user.totp_secret_encrypted is None:
        return False
    step = totp.matching_step(totp_secret(user), code, last_step=user.totp_last_step)
    if step is None:
        return False
    # A conditional update, so two simultaneous requests cannot both spend the same code.
    spent = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
    )
    return bool(spent.rowcount)  # type: ignore[attr-defined]


def _spend(code: RecoveryCode) -> bool:
    """Mark a recovery code used unless another request already has (conditional update)."""
    result = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == code.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _replace_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with new ones; only their hashes are kept."""
    user.recovery_codes.clear()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    user.recovery_codes.extend(RecoveryCode(code_hash=_hash_code(c)) for c in codes)
    db.session.flush()
    return codes


def _set_password(user: User, new: str) -> None:
    problem = passwords.password_problem(new, email=user.email)
    if problem:
        raise DomainError(problem, field="new_password")
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()


def _new_recovery_code() -> str:
    raw = secrets.token_hex(5).upper()
    return f"{raw[:5]}-{raw[5:]}"


def _device_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _hash_code(code: str) -> str:
    canonical = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(canonical.encode()).hexdigest()
