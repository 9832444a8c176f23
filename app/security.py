"""Deny-by-default access: every view declares who may reach it, and one hook enforces it.

A view is reachable only if it carries one marker: `@public`, `@signed_in` (any fully signed-in
user) or `@requires(Permission.X)`. A view with no marker is refused, so forgetting a decorator
fails closed. Object-level checks (which case, which panel) belong to each feature's policy.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any
from typing import TypeVar

from flask import Flask
from flask import current_app
from flask import request
from flask_login import current_user

from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.errors import ForbiddenRefusal
from app.extensions import login_manager

ACCESS_MARKER = "access_rule"
PUBLIC = "public"
SIGNED_IN = "signed_in"

View = TypeVar("View", bound=Callable[..., Any])


class Permission(StrEnum):
    """Scope:resource:action. Keep alphabetical; never write these strings anywhere else."""

    ADMIN_ORGANISATIONS_MANAGE = "admin:organisation:manage"
    ADMIN_PANELS_MANAGE = "admin:panel:manage"
    ADMIN_USERS_MANAGE = "admin:user:manage"
    AUDIT_LOG_READ = "audit:log:read"
    REPORTS_AGGREGATE_VIEW = "reports:aggregate:view"


ROLE_PERMISSIONS: dict[GlobalRole, frozenset[Permission]] = {
    GlobalRole.ADMIN: frozenset(
        {
            Permission.ADMIN_ORGANISATIONS_MANAGE,
            Permission.ADMIN_PANELS_MANAGE,
            Permission.ADMIN_USERS_MANAGE,
        }
    ),
    GlobalRole.MANAGER: frozenset({Permission.REPORTS_AGGREGATE_VIEW}),
    GlobalRole.AUDITOR: frozenset({Permission.AUDIT_LOG_READ}),
}


def has_permission(user: User, permission: Permission) -> bool:
    """Whether the user's global role grants the permission (panel roles are checked per panel)."""
    if user.global_role is None:
        return False
    return permission in ROLE_PERMISSIONS[user.global_role]


def public(view: View) -> View:
    """Mark a view as reachable without signing in."""
    setattr(view, ACCESS_MARKER, PUBLIC)
    return view


def signed_in(view: View) -> View:
    """Mark a view as reachable by any fully signed-in user (password and second factor)."""
    setattr(view, ACCESS_MARKER, SIGNED_IN)
    return view


def requires(permission: Permission) -> Callable[[View], View]:
    """Mark a view as reachable only by users holding `permission`."""

    def mark(view: View) -> View:
        setattr(view, ACCESS_MARKER, permission)
        return view

    return mark


def access_rule(endpoint: str | None) -> object:
    """The declared rule of an endpoint, or None when it declares nothing (which is refused)."""
    if endpoint is None:
        return None
    if endpoint == "static":
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, ACCESS_MARKER, None)


def enforce_access() -> Any:
    """Before every request: let public views through, then demand sign-in, then the permission."""
    if request.endpoint is None:
        return None  # no such route: the 404 handler answers
    rule = access_rule(request.endpoint)
    if rule == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if rule == SIGNED_IN:
        return None
    if isinstance(rule, Permission) and has_permission(current_user, rule):
        return None
    # Undeclared views and missing permissions alike; the refusal handler records the attempt.
    raise ForbiddenRefusal(current_user._get_current_object(), ("endpoint", request.endpoint or ""))


def register_access_control(app: Flask) -> None:
    app.before_request(enforce_access)
