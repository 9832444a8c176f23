"""Public pages: the health check and the accessibility, privacy and cookie pages."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.database import reading_connection
from app.security import public

bp = Blueprint("pages", __name__)


@bp.route("/healthz")
@public
def healthz() -> tuple[dict[str, str], int]:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        # Its own connection, outside the request's unit of work: a failure leaves nothing to undo.
        with reading_connection() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200


@bp.route("/accessibility")
@public
def accessibility() -> str:
    """The accessibility statement."""
    return render_template("pages/accessibility.html")


@bp.route("/privacy")
@public
def privacy() -> str:
    """How the service uses personal data."""
    return render_template("pages/privacy.html")


@bp.route("/cookies")
@public
def cookies() -> str:
    """The cookies the service sets."""
    return render_template("pages/cookies.html")
