"""The panels blueprint: the signed-in home page, each panel's read-only page for its members
(`member`), and the admin pages by job: panels, memberships and local settings (`admin`), the
information sharing protocol register (`isp`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import render_template
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from app.accounts.models import User
from app.security import signed_in
from panels import queries
from panels.policy import Suspension
from panels.policy import panel_access

bp = Blueprint("panels", __name__)


@bp.record_once
def _register_template_helpers(state: BlueprintSetupState) -> None:
    # The admin's user page lists the user's panels; app/accounts imports no feature to do it.
    state.app.add_template_global(queries.memberships_of, "panel_memberships_of")
    state.app.extensions["sits_on_a_panel"] = sits_on_a_panel


def sits_on_a_panel(user: User) -> bool:
    """Whether the user has any panel membership, in force or suspended (for the navigation:
    a suspended member still finds the notice saying why on the case list)."""
    try:
        access = panel_access(user)
    except SQLAlchemyError:
        # An error page drawn with the database down must still render.
        return False
    return bool(access.panels or access.suspended)


@bp.route("/")
@signed_in
def home() -> str:
    """The signed-in home page: the user's panels, each in force linking to its page."""
    return render_template(
        "panels/home.html",
        memberships=queries.memberships_of(current_user),
        in_force=panel_access(current_user).panels,
    )


# "Says why" (domain §8 R1) --------------------------------------------------------------------


@bp.app_context_processor
def suspended_memberships() -> dict[str, Any]:
    """`suspended_panels()` in any template: the signed-in user's memberships not in force,
    each with the reason, for the notice on the home and case list pages."""

    def suspended_panels() -> tuple[Suspension, ...]:
        if not current_user.is_authenticated:
            return ()
        return panel_access(current_user).suspended

    return {"suspended_panels": suspended_panels}


# The job modules register their routes on `bp` when imported.
from panels.views import admin  # noqa: E402, F401
from panels.views import isp  # noqa: E402, F401
from panels.views import member  # noqa: E402, F401
