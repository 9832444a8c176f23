"""Step-up authentication (security R9, R13) for high-risk actions outside the sign-in pages:
the user's current security code again, checked by the same service as at sign-in (single use,
on the record, pass or fail) and counted by the same per-account limit, then a new session id.

A page that asks for a code gives its form `code = step_up.code_field("... asks for it again")`
and:

    @bp.route(...)
    @signed_in
    @step_up.code_limit
    def view(): ...
        if not step_up.code_accepted(current_user, form.code.data):  # outside `attempt`
            form.code.errors.append(step_up.CODE_FAILED)
        ...
        step_up.renew_session()  # once the high-risk action is done

and registers `step_up.throttled_page` as its blueprint's 429 handler, so a throttled attempt is
recorded as at sign-in.
"""

from __future__ import annotations

from flask import g
from flask import session
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from app.accounts.models import User
from app.auth import services
from app.auth.views import CODE_FAILED
from app.auth.views import second_factor_limit
from app.database import utcnow
from app.errors import error_page
from app.forms import strip_whitespace
from app.sessions import ServerSession

__all__ = [
    "CODE_FAILED",
    "code_accepted",
    "code_field",
    "code_limit",
    "renew_session",
    "throttled_page",
]

# One counter per account across every page that checks a code (sign-in's included).
code_limit = second_factor_limit


def code_field(why: str) -> StringField:
    """The form's field for the code: `why` ends the hint, saying what asks for it again
    ("emergency access asks for it again, even though you are signed in")."""
    return StringField(
        "Your security code",
        widget=GovTextInput(),
        description=f"The 6-digit code your authenticator app shows now: {why}",
        filters=[strip_whitespace],
        validators=[
            DataRequired(message="Enter the 6-digit security code from your authenticator app"),
            Length(max=12, message="The security code is 6 digits"),
        ],
    )


def code_accepted(user: User, code: str) -> bool:
    """Whether the code is the user's current one, not used before. Either way the check is
    recorded; call it outside `attempt`, so that a refusal after it cannot roll the record back."""
    return services.verify_second_factor(user, code or "")


def renew_session() -> None:
    """A new session id for the signed-in user (an id stolen before is useless), keeping them
    signed in and keeping the session's absolute lifetime: stepping up never extends it."""
    current = session._get_current_object()  # type: ignore[attr-defined]
    assert isinstance(current, ServerSession)
    created_at = current.created_at
    current.regenerate()
    current.created_at = created_at
    session["authenticated_at"] = utcnow().timestamp()


def throttled_page(error: Exception) -> tuple[str, int]:
    """The 429 page for a page using `code_limit`: the request's work is already rolled back,
    so the throttled attempt goes on the record here, as the sign-in pages do."""
    if "throttled" in g:
        services.note_throttled(*g.throttled)
    return error_page(429)
