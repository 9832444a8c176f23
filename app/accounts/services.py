"""Admin operations on organisations and user accounts. Each takes the acting admin explicitly."""

from __future__ import annotations

import secrets
from datetime import timedelta

from app.accounts.models import AccountToken
from app.accounts.models import AgencyType
from app.accounts.models import GlobalRole
from app.accounts.models import Organisation
from app.accounts.models import TokenPurpose
from app.accounts.models import User
from app.auth.services import hash_token
from app.auth.services import normalise_email
from app.auth.services import retire_account_tokens
from app.database import db
from app.database import flush_unique
from app.database import utcnow
from app.errors import DomainError
from app.sessions import revoke_organisation_sessions
from app.sessions import revoke_user_sessions

ACCOUNT_LINK_LIFETIME = timedelta(days=3)


def create_organisation(*, actor: User | None, name: str, agency_type: AgencyType) -> Organisation:
    organisation = Organisation(name=name.strip(), agency_type=agency_type)
    db.session.add(organisation)
    flush_unique("An organisation with this name already exists", field="name")
    return organisation


def update_organisation(
    organisation: Organisation,
    *,
    actor: User | None,
    name: str,
    agency_type: AgencyType,
    active: bool,
) -> Organisation:
    if actor is not None and not active and actor.organisation_id == organisation.id:
        raise DomainError(
            "You cannot deactivate your own organisation: it would sign you out", field="active"
        )
    organisation.name = name.strip()
    organisation.agency_type = agency_type
    if organisation.active and not active:
        revoke_organisation_sessions(organisation.id)
    organisation.active = active
    flush_unique("An organisation with this name already exists", field="name")
    return organisation


def create_user(
    *,
    actor: User | None,
    email: str,
    display_name: str,
    organisation: Organisation,
    global_role: GlobalRole | None,
) -> tuple[User, str]:
    """Create an account with no password; returns it and a one-time activation link token.

    `actor` is None only when the command line bootstraps the first administrator.
    """
    user = User(
        email=normalise_email(email),
        display_name=display_name.strip(),
        organisation=organisation,
        global_role=global_role,
    )
    db.session.add(user)
    flush_unique("An account with this email address already exists", field="email")
    return user, issue_account_token(user, TokenPurpose.ACTIVATE)


def update_user(
    user: User,
    *,
    actor: User,
    display_name: str,
    organisation: Organisation,
    global_role: GlobalRole | None,
    keep_session: str | None = None,
) -> User:
    """Edit a user; a new role or agency applies from a fresh sign-in, so sessions end.

    `keep_session` spares the acting admin's own session when they edit themselves.
    """
    if user.id == actor.id and global_role is not GlobalRole.ADMIN:
        raise DomainError("You cannot remove your own administrator role", field="global_role")
    if (global_role, organisation.id) != (user.global_role, user.organisation_id):
        revoke_user_sessions(user.id, keep=keep_session)
    user.display_name = display_name.strip()
    user.organisation = organisation
    user.global_role = global_role
    db.session.flush()
    return user


def deactivate_user(user: User, *, actor: User) -> None:
    """Stop a user signing in; the caller ends their sessions once this commits."""
    if user.id == actor.id:
        raise DomainError("You cannot deactivate your own account")
    user.active = False
    revoke_user_sessions(user.id)
    db.session.flush()


def reactivate_user(user: User, *, actor: User) -> None:
    user.active = True
    db.session.flush()


def reset_two_factor(user: User, *, actor: User) -> None:
    """Remove the user's authenticator and recovery codes; they enrol again at next sign-in."""
    user.totp_secret_encrypted = None
    user.totp_last_step = None
    user.mfa_enrolled_at = None
    user.recovery_codes.clear()
    revoke_user_sessions(user.id)
    db.session.flush()


def start_password_reset(user: User, *, actor: User) -> str:
    """Admins never set or see passwords: they hand the user a one-time link instead."""
    return issue_account_token(user, TokenPurpose.RESET_PASSWORD)


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
