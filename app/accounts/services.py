"""Admin operations on organisations and user accounts.

Each takes the acting admin explicitly and writes exactly one audit event.
"""

from __future__ import annotations

from typing import Any

import audit
from app.accounts.models import AgencyType
from app.accounts.models import GlobalRole
from app.accounts.models import Organisation
from app.accounts.models import User
from app.auth.queries import normalise_email
from app.database import db
from app.database import flush_unique
from app.errors import DomainError
from app.sessions import revoke_organisation_sessions
from app.sessions import revoke_user_sessions
from audit import AuditAction
from notifications import Event
from notifications import notify
from notifications import path_for
from notifications import send_account_link

# Staff names and emails are personal data: the audit trail says they changed, not to what.
SENSITIVE_USER_FIELDS = frozenset({"display_name", "email"})


def create_organisation(*, actor: User | None, name: str, agency_type: AgencyType) -> Organisation:
    organisation = Organisation(name=name.strip(), agency_type=agency_type)
    db.session.add(organisation)
    flush_unique("An organisation with this name already exists", field="name")
    audit.record(
        actor=actor,
        action=AuditAction.ORGANISATION_CREATED,
        object=organisation,
        changes=audit.changes({}, _organisation_fields(organisation)),
    )
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
    before = _organisation_fields(organisation)
    if organisation.active and not active:
        revoke_organisation_sessions(organisation.id)
    organisation.name = name.strip()
    organisation.agency_type = agency_type
    organisation.active = active
    flush_unique("An organisation with this name already exists", field="name")
    audit.record(
        actor=actor,
        action=AuditAction.ORGANISATION_UPDATED,
        object=organisation,
        changes=audit.changes(before, _organisation_fields(organisation)),
    )
    return organisation


def create_user(
    *,
    actor: User | None,
    email: str,
    display_name: str,
    organisation: Organisation,
    global_role: GlobalRole | None,
    invite: bool = True,
) -> User:
    """Create an account with no password. With `invite` the person is emailed a one-time
    link to set it (made when the email is sent: the link is never shown to anyone else).

    `actor` is None only when the command line bootstraps the first administrator; the
    command prints that account's link instead (there may be no mail server yet).
    """
    user = User(
        email=normalise_email(email),
        display_name=display_name.strip(),
        organisation=organisation,
        global_role=global_role,
    )
    db.session.add(user)
    flush_unique("An account with this email address already exists", field="email")
    if invite:
        send_account_link(user, Event.ACCOUNT_INVITATION)
    audit.record(
        actor=actor,
        action=AuditAction.USER_CREATED,
        object=user,
        changes=audit.changes({}, _user_fields(user), sensitive=SENSITIVE_USER_FIELDS),
    )
    return user


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
    before = _user_fields(user)
    if (global_role, organisation.id) != (user.global_role, user.organisation_id):
        revoke_user_sessions(user.id, keep=keep_session)
    user.display_name = display_name.strip()
    user.organisation = organisation
    user.global_role = global_role
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.USER_UPDATED,
        object=user,
        changes=audit.changes(before, _user_fields(user), sensitive=SENSITIVE_USER_FIELDS),
    )
    return user


def deactivate_user(user: User, *, actor: User) -> None:
    """Stop a user signing in and end their sessions at once."""
    if user.id == actor.id:
        raise DomainError("You cannot deactivate your own account")
    user.active = False
    revoke_user_sessions(user.id)
    audit.record(actor=actor, action=AuditAction.USER_DEACTIVATED, object=user)


def reactivate_user(user: User, *, actor: User) -> None:
    user.active = True
    audit.record(actor=actor, action=AuditAction.USER_REACTIVATED, object=user)


def reset_two_factor(user: User, *, actor: User) -> None:
    """Remove the user's authenticator and recovery codes; they enrol again at next sign-in."""
    user.totp_secret_encrypted = None
    user.totp_last_step = None
    user.mfa_enrolled_at = None
    user.recovery_codes.clear()
    revoke_user_sessions(user.id)
    audit.record(actor=actor, action=AuditAction.USER_TWO_FACTOR_RESET, object=user)
    notify(Event.TWO_FACTOR_CHANGED, to=[user], link=path_for("auth.account"))


def start_password_reset(user: User, *, actor: User) -> None:
    """Admins never set or see passwords: the person is emailed a one-time link instead."""
    send_account_link(user, Event.PASSWORD_RESET)
    audit.record(actor=actor, action=AuditAction.USER_PASSWORD_RESET_ISSUED, object=user)


def _organisation_fields(organisation: Organisation) -> dict[str, Any]:
    return {
        "name": organisation.name,
        "agency_type": organisation.agency_type,
        "active": organisation.active,
    }


def _user_fields(user: User) -> dict[str, Any]:
    return {
        "display_name": user.display_name,
        "email": user.email,
        "organisation_id": user.organisation.id,
        "global_role": user.global_role,
    }
