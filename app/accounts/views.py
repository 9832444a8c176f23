"""Admin pages for organisations and user accounts."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts import forms
from app.accounts import queries
from app.accounts import services
from app.accounts.models import AgencyType
from app.accounts.models import Organisation
from app.accounts.models import User
from app.auth.forms import ConfirmForm
from app.database import db
from app.errors import DomainError
from app.routing import page_argument
from app.security import Permission
from app.security import requires
from app.sessions import current_session_id
from app.settings import SERVER_WORKERS
from app.settings import shared_limits_warning
from app.unit_of_work import attempt

bp = Blueprint("accounts", __name__, url_prefix="/admin")

USERS_PER_PAGE = 50


@bp.route("/")
@requires(Permission.ADMIN_USERS_MANAGE)
def index() -> str:
    """The admin home: links to organisations, users, areas and panels, under a warning when
    the sign-in rate limits are not shared by every server process (issue 26)."""
    warning = shared_limits_warning(
        current_app.config["SETTINGS"], current_app.config.get(SERVER_WORKERS)
    )
    return render_template("accounts/index.html", rate_limit_warning=warning)


# Organisations -----------------------------------------------------------------------------


@bp.route("/organisations")
@requires(Permission.ADMIN_ORGANISATIONS_MANAGE)
def organisations() -> str:
    """Every organisation with how many user accounts it has."""
    rows = queries.organisations_with_user_counts()
    return render_template("accounts/organisations.html", rows=rows)


@bp.route("/organisations/new", methods=["GET", "POST"])
@requires(Permission.ADMIN_ORGANISATIONS_MANAGE)
def new_organisation() -> str | Response:
    """Add an organisation (a partner agency) and its agency type."""
    form = forms.OrganisationForm()
    if form.validate_on_submit():
        with attempt(form, field="name") as done:
            organisation = services.create_organisation(
                actor=current_user,
                name=form.name.data,
                agency_type=AgencyType(form.agency_type.data),
            )
        if done:
            flash(f"{organisation.name} has been added", "success")
            return redirect(url_for("accounts.organisations"))
    return render_template("accounts/organisation_form.html", form=form, organisation=None)


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@requires(Permission.ADMIN_ORGANISATIONS_MANAGE)
def edit_organisation(organisation_id: int) -> str | Response:
    """Rename an organisation, change its agency type, or deactivate it."""
    organisation = db.get_or_404(Organisation, organisation_id)
    form = forms.OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        with attempt(form, field="name") as done:
            services.update_organisation(
                organisation,
                actor=current_user,
                name=form.name.data,
                agency_type=AgencyType(form.agency_type.data),
                active=form.active.data,
            )
        if done:
            flash(f"{organisation.name} has been updated", "success")
            return redirect(url_for("accounts.organisations"))
    return render_template("accounts/organisation_form.html", form=form, organisation=organisation)


# Users -------------------------------------------------------------------------------------


@bp.route("/users")
@requires(Permission.ADMIN_USERS_MANAGE)
def users() -> str:
    """Find user accounts by name or email address, 50 to a page."""
    search = forms.UserSearchForm(request.args)
    page = page_argument()
    # An invalid search shows its message next to the box, and no results.
    query = queries.user_search(search.q.data, valid=search.validate())
    pagination = db.paginate(query, page=page, per_page=USERS_PER_PAGE, error_out=False)
    return render_template("accounts/users.html", form=search, pagination=pagination)


def _user_form(user: User | None = None) -> forms.UserForm:
    form = forms.UserForm(obj=user)
    organisations = queries.organisations_to_choose(keeping=user.organisation_id if user else None)
    form.organisation_id.choices = [("", "Choose an organisation")] + [
        (str(o.id), o.name) for o in organisations
    ]
    if user is not None and request.method == "GET":
        form.organisation_id.data = str(user.organisation_id)
        form.global_role.data = user.global_role.value if user.global_role else forms.NO_GLOBAL_ROLE
    return form


def _chosen_organisation(form: forms.UserForm) -> Organisation:
    organisation = db.session.get(Organisation, int(form.organisation_id.data))
    if organisation is None:
        raise DomainError("Select the person’s organisation", field="organisation_id")
    return organisation


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Permission.ADMIN_USERS_MANAGE)
def new_user() -> str | Response:
    """Create an account; the person sets their password through a one-time link."""
    form = _user_form()
    if form.validate_on_submit():
        with attempt(form, field="email") as done:
            user = services.create_user(
                actor=current_user,
                email=form.email.data,
                display_name=form.display_name.data,
                organisation=_chosen_organisation(form),
                global_role=form.selected_role(),
            )
        if done:
            flash(
                f"Account created. An email with a link to set their password is on its way "
                f"to {user.email}: the link works once, for 3 days.",
                "success",
            )
            return redirect(url_for("accounts.show_user", user_id=user.id))
    return render_template("accounts/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>")
@requires(Permission.ADMIN_USERS_MANAGE)
def show_user(user_id: int) -> str:
    """One account: its organisation, role, panel memberships and status."""
    user = db.get_or_404(User, user_id)
    return render_template("accounts/user.html", user=user, confirm=ConfirmForm())


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires(Permission.ADMIN_USERS_MANAGE)
def edit_user(user_id: int) -> str | Response:
    """Change an account's name, organisation or role."""
    user = db.get_or_404(User, user_id)
    form = _user_form(user)
    del form.email  # the email address is the sign-in name; a new address means a new account
    if form.validate_on_submit():
        with attempt(form, field="display_name") as done:
            services.update_user(
                user,
                actor=current_user,
                display_name=form.display_name.data,
                organisation=_chosen_organisation(form),
                global_role=form.selected_role(),
                keep_session=current_session_id(),
            )
        if done:
            flash(f"{user.display_name}’s account has been updated", "success")
            return redirect(url_for("accounts.show_user", user_id=user.id))
    return render_template("accounts/user_form.html", form=form, user=user)


@bp.route(
    "/users/<int:user_id>/<any(deactivate,reactivate,'reset-two-factor'):action>", methods=["POST"]
)
@requires(Permission.ADMIN_USERS_MANAGE)
def change_user(user_id: int, action: str) -> Response:
    """Deactivate or reactivate an account, or reset its two-factor authentication."""
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    operation, message = USER_ACTIONS[action]
    with attempt() as done:
        operation(user, actor=current_user)
    if done.error:
        flash(done.error.message, "important")
    else:
        flash(message.format(name=user.display_name), "success")
    return redirect(url_for("accounts.show_user", user_id=user.id))


USER_ACTIONS = {
    "deactivate": (
        services.deactivate_user,
        "{name} can no longer sign in and has been signed out",
    ),
    "reactivate": (services.reactivate_user, "{name} can sign in again"),
    "reset-two-factor": (
        services.reset_two_factor,
        "{name}’s two-factor authentication has been reset. They will set it up again when they "
        "next sign in.",
    ),
}


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@requires(Permission.ADMIN_USERS_MANAGE)
def reset_password(user_id: int) -> Response:
    """Email the person a one-time link with which they set a new password."""
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.start_password_reset(user, actor=current_user)
    flash(
        f"An email with a link to set a new password is on its way to {user.email}: the link "
        "works once, for 3 days, and any earlier link stops working.",
        "success",
    )
    return redirect(url_for("accounts.show_user", user_id=user.id))
