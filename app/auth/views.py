"""Sign-in pages: password, then the second factor (enrolling on first use), then sign-out.

Between the password and the second factor the session holds only `pending_user_id`; Flask-Login
does not know the user until both factors pass, so nothing else is reachable half-signed-in.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import g
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_login import current_user
from flask_login import login_user
from flask_login import logout_user
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from app.accounts.models import User
from app.accounts.tokens import valid_account_token
from app.auth import forms
from app.auth import queries
from app.auth import services
from app.database import db
from app.database import utcnow
from app.errors import DomainError
from app.errors import error_page
from app.extensions import limiter
from app.extensions import login_manager
from app.forms import show_error
from app.security import public
from app.security import signed_in
from app.sessions import PENDING_USER_KEY
from app.sessions import ServerSession
from app.sessions import current_session_id
from app.settings import Settings
from app.unit_of_work import attempt
from audit import queries as audit_queries

bp = Blueprint("auth", __name__)

PENDING_USER = PENDING_USER_KEY
PENDING_SINCE = "pending_since"
PENDING_LIFETIME = timedelta(minutes=10)
DEVICE_COOKIE_DAYS = 400  # the longest browsers keep a cookie
SIGN_IN_FAILED = "Enter a correct email address and password"
CODE_FAILED = "The security code is not correct or has already been used"


def _settings() -> Settings:
    settings: Settings = current_app.config["SETTINGS"]
    return settings


def _failed() -> None:
    """Count this attempt against the throttles (only failures count)."""
    g.auth_failed = True


def _attempt_failed(response: Any) -> bool:
    return bool(g.get("auth_failed", False))


def _throttled(user: User | None) -> None:
    """Note whose attempt was throttled; `_too_many_attempts` records it when answering 429."""
    g.throttled = (user,)


def _email_key() -> str:
    email = queries.normalise_email(request.form.get("email", ""))
    return "sign-in:" + hashlib.sha256(email.encode()).hexdigest()


def _sign_in_account_limit() -> str:
    return _settings().rate_limits.sign_in_per_account


def _sign_in_address_limit() -> str:
    return _settings().rate_limits.sign_in_per_address


def _two_factor_limit() -> str:
    return _settings().rate_limits.two_factor_per_account


def _second_factor_key() -> str:
    """The account whose second factor (or password, on account pages) is being tried."""
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return f"account:{session.get(PENDING_USER, 'none')}"


def _second_factor_user() -> User | None:
    return current_user if current_user.is_authenticated else _pending_user()


# One counter per account across every page that checks a code or a signed-in user's password,
# counting every attempt.
second_factor_limit = limiter.shared_limit(
    _two_factor_limit,
    scope="second-factor",
    key_func=_second_factor_key,
    methods=["POST"],
    on_breach=lambda limit: _throttled(_second_factor_user()),
)


@bp.errorhandler(429)
def _too_many_attempts(error: HTTPException) -> tuple[str, int]:
    """The 429 page for this blueprint's pages: the request's work is already rolled back, so a
    throttled attempt goes on the record here, and the unit of work commits that record alone."""
    if "throttled" in g:
        services.note_throttled(*g.throttled)
    return error_page(429)


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(_sign_in_address_limit, methods=["POST"], deduct_when=_attempt_failed)
@limiter.limit(
    # Every attempt counts (not only failures): counting after the fact would let parallel
    # guesses slip through between the check and the count.
    _sign_in_account_limit,
    key_func=_email_key,
    methods=["POST"],
    on_breach=lambda limit: _throttled(queries.find_user_by_email(request.form.get("email", ""))),
)
def sign_in() -> str | Response:
    """Sign in with email address and password, the first of the two factors."""
    if current_user.is_authenticated:
        return redirect(url_for("panels.home"))
    form = forms.SignInForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            return _password_accepted(user)
        _failed()
        form.password.errors.append(SIGN_IN_FAILED)
    elif request.method == "POST":
        _failed()
    return render_template("auth/sign_in.html", form=form)


def _password_accepted(user: User) -> Response:
    """The password was right: on to the second factor, enrolling first if there is none yet."""
    server_session = _server_session()
    next_url = session.get("next_url")
    server_session.clear()
    server_session.regenerate()
    session[PENDING_USER] = user.id
    session[PENDING_SINCE] = utcnow().timestamp()
    if next_url:
        session["next_url"] = next_url
    if not user.mfa_enrolled:
        services.start_enrolment(user)
        return redirect(url_for("auth.set_up_two_factor"))
    return redirect(url_for("auth.two_factor"))


def _pending_user() -> User | None:
    """The user who has passed the password step in this session, if still in time."""
    user_id = session.get(PENDING_USER)
    since = session.get(PENDING_SINCE, 0)
    if user_id is None or utcnow().timestamp() - since > PENDING_LIFETIME.total_seconds():
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_active else None


def _restart_sign_in() -> Response:
    session.pop(PENDING_USER, None)
    flash("Sign in again to continue", "important")
    return redirect(url_for("auth.sign_in"))


@bp.route("/sign-in/security-code", methods=["GET", "POST"])
@public
@second_factor_limit
def two_factor() -> str | Response:
    """Finish signing in with a security code from the authenticator app."""
    user = _pending_user()
    if user is None or not user.mfa_enrolled:
        return _restart_sign_in()
    form = forms.CodeForm()
    if form.validate_on_submit():
        if services.verify_second_factor(user, form.code.data):
            return _complete_sign_in(user)
        _failed()
        form.code.errors.append(CODE_FAILED)
    elif request.method == "POST":
        _failed()
    return render_template("auth/two_factor.html", form=form)


@bp.route("/sign-in/recovery-code", methods=["GET", "POST"])
@public
@second_factor_limit
def recovery_code() -> str | Response:
    """Finish signing in with a recovery code instead of a security code."""
    user = _pending_user()
    if user is None or not user.mfa_enrolled:
        return _restart_sign_in()
    form = forms.RecoveryCodeForm()
    if form.validate_on_submit():
        if services.use_recovery_code(user, form.code.data):
            remaining = queries.unused_recovery_code_count(user)
            flash(
                f"You have {remaining} recovery codes left. Make new ones from your account "
                "page if you are running low.",
                "important",
            )
            return _complete_sign_in(user)
        _failed()
        form.code.errors.append("The recovery code is not correct or has already been used")
    elif request.method == "POST":
        _failed()
    return render_template("auth/recovery_code.html", form=form)


@bp.route("/sign-in/set-up-two-factor", methods=["GET", "POST"])
@public
@second_factor_limit
def set_up_two_factor() -> str | Response:
    """Set up the authenticator app on first sign-in, then show the recovery codes once."""
    user = _pending_user()
    if user is None or user.mfa_enrolled or user.totp_secret_encrypted is None:
        return _restart_sign_in()
    form = forms.CodeForm()
    if form.validate_on_submit():
        try:
            codes = services.confirm_enrolment(user, form.code.data)
        except DomainError as error:  # the wrong code is on the record: no attempt()
            _failed()
            form.code.errors.append(error.message)
        else:
            signed_in = _complete_sign_in(user)
            # Shown once, in this response: the codes are never stored in a readable form.
            shown = make_response(render_template("auth/recovery_codes.html", codes=codes))
            _keep_device_cookie(shown, signed_in)
            return shown
    elif request.method == "POST":
        _failed()
    qr_code, secret = queries.enrolment_qr_code(user, issuer=_settings().service_name)
    return render_template("auth/set_up_two_factor.html", form=form, qr_code=qr_code, secret=secret)


def _complete_sign_in(user: User) -> Response:
    next_url = session.get("next_url")
    server_session = _server_session()
    server_session.clear()
    server_session.regenerate()
    login_user(user)
    session["authenticated_at"] = utcnow().timestamp()
    fresh = services.complete_sign_in(user, device=request.cookies.get(_device_cookie()))
    response = redirect(
        next_url if next_url and _is_safe_next(next_url) else url_for("panels.home")
    )
    if fresh:
        response.set_cookie(
            _device_cookie(),
            fresh,
            max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
            httponly=True,
            secure=_settings().https,
            samesite="Lax",
            path="/",
        )
    return response


def _device_cookie() -> str:
    """The cookie by which a browser is known to the accounts signed in from it (issue 22)."""
    return "__Host-device" if _settings().https else "device"


def _keep_device_cookie(page: Response, signed_in: Response) -> None:
    """Carry the device cookie a sign-in set over to the page shown instead of its redirect."""
    for header in signed_in.headers.getlist("Set-Cookie"):
        page.headers.add("Set-Cookie", header)


@bp.route("/sign-out", methods=["POST"])
@signed_in
def sign_out() -> Response:
    """Sign out and end the session."""
    services.sign_out(current_user)
    logout_user()
    _server_session().end()
    flash("You have signed out", "success")
    response = redirect(url_for("auth.sign_in"))
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@bp.route("/account")
@signed_in
def account() -> str:
    """The signed-in user's account: recovery codes left and recent sign-in activity."""
    return render_template(
        "auth/account.html",
        user=current_user,
        recovery_codes_left=queries.unused_recovery_code_count(current_user),
        activity=audit_queries.account_activity(current_user),
        activity_text=audit_queries.ACCOUNT_ACTIVITY,
        confirm=forms.ConfirmForm(),
    )


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
@second_factor_limit
def change_password() -> str | Response:
    """Change one's own password, signing out every other session."""
    form = forms.ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user,
                current=form.current_password.data,
                new=form.new_password.data,
                keep_session=current_session_id(),
            )
        except DomainError as error:  # a wrong current password is on the record: no attempt()
            show_error(form, error, field="new_password")
        else:
            flash("Your password has been changed. Other sessions have been signed out.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/account/recovery-codes", methods=["GET", "POST"])
@signed_in
@second_factor_limit
def new_recovery_codes() -> str:
    """Make new recovery codes, confirmed with a security code; the old ones stop working."""
    form = forms.CodeForm()
    if form.validate_on_submit():
        try:
            codes = services.reissue_recovery_codes(current_user, form.code.data)
        except DomainError as error:  # the wrong code is on the record: no attempt()
            form.code.errors.append(error.message)
        else:
            return render_template("auth/recovery_codes.html", codes=codes)
    return render_template("auth/new_recovery_codes.html", form=form)


@bp.route("/account/set-password/<token>", methods=["GET", "POST"])
@public
def set_password(token: str) -> str | Response | tuple[str, int]:
    """Set a password through an activation or reset link."""
    if valid_account_token(token) is None:
        return render_template("auth/link_expired.html"), 404
    form = forms.NewPasswordForm()
    if form.validate_on_submit():
        with attempt(form, field="new_password") as done:
            services.redeem_account_token(token, form.new_password.data)
        if done:
            flash("Your password has been set. Sign in to continue.", "success")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/set_password.html", form=form)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.is_active else None


@login_manager.unauthorized_handler
def send_to_sign_in() -> Response:
    if _server_session().timed_out:
        flash("You were signed out because your session timed out", "important")
    # The path alone: a query string may hold what someone searched for (a name, a date of
    # birth), and the session is stored in the database in clear.
    if request.method == "GET" and _is_safe_next(request.path):
        session["next_url"] = request.path
    return redirect(url_for("auth.sign_in"))


def _is_safe_next(url: str) -> bool:
    """Only same-site paths: never an absolute or scheme-relative URL (open redirect)."""
    return url.startswith("/") and not url.startswith("//") and "\\" not in url


def _server_session() -> ServerSession:
    assert isinstance(session._get_current_object(), ServerSession)  # type: ignore[attr-defined]
    return session._get_current_object()  # type: ignore[attr-defined,no-any-return]
