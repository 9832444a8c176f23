"""One-time account links (activation, password reset): only their hashes are stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy import update

from app.accounts.models import AccountToken
from app.accounts.models import TokenPurpose
from app.accounts.models import User
from app.database import db
from app.database import utcnow

ACCOUNT_LINK_LIFETIME = timedelta(days=3)


def hash_token(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def issue_account_token(user: User, purpose: TokenPurpose) -> str:
    """A new one-time link for the user; any earlier link they have not used stops working."""
    retire_account_tokens(user)
    raw = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            user=user,
            purpose=purpose,
            token_hash=hash_token(raw),
            expires_at=utcnow() + ACCOUNT_LINK_LIFETIME,
        )
    )
    db.session.flush()
    return raw


def retire_account_tokens(user: User) -> None:
    """Mark every unused link of the user as used, so only the newest one ever works."""
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    db.session.flush()


def valid_account_token(raw_token: str) -> AccountToken | None:
    """The unused, unexpired token matching a link, or None."""
    token: AccountToken | None = db.session.scalar(
        select(AccountToken).where(AccountToken.token_hash == hash_token(raw_token))
    )
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        return None
    return token if token.user.is_active else None
