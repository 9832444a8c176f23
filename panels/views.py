"""The signed-in home page and the admin pages for areas, panels, memberships and settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.accounts.models import Organisation
from app.accounts.models import User
from app.auth.forms import ConfirmForm
from app.database import db
from app.database import uk_today
from app.errors import DomainError
from app.routing import LARGEST_ID
from app.security import Permission
from app.security import requires
from app.security import signed_in
from app.unit_of_work import attempt
from panels import forms
from panels import isp
from panels import queries
from panels import services
from panels.models import Area
from panels.models import IspAgreement
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.policy import Suspension
from panels.policy import agreements_in_force
from panels.policy import panel_access
from panels.types.common import MeetingCadence
from panels.types.common import PanelType

bp = Blueprint("panels", __name__)


@bp.record_once
def _register_template_helpers(state: BlueprintSetupState) -> None:
    # The admin's user page lists the user's panels; app/accounts imports no feature to do it.
    state.app.add_template_global(queries.memberships_of, "panel_memberships_of")


@bp.route("/")
@signed_in
def home() -> str:
    """The signed-in home page: the user's panels."""
    return render_template("panels/home.html", memberships=queries.memberships_of(current_user))


@bp.route("/admin/panels", methods=["GET", "POST"])
@requires(Permission.ADMIN_PANELS_MANAGE)
def admin_list() -> str | Response:
    """Every panel and area, and a form to add an area."""
    form = forms.AreaForm()
    if form.validate_on_submit():
        with attempt(form, field="name") as done:
            area = services.create_area(actor=current_user, name=form.name.data)
        if done:
            flash(f"{area.name} has been added", "success")
            return redirect(url_for("panels.admin_list"))
    return render_template(
        "panels/admin_list.html",
        panels=queries.all_panels(),
        areas=queries.all_areas(),
        form=form,
    )


@bp.route("/admin/panels/new", methods=["GET", "POST"])
@requires(Permission.ADMIN_PANELS_MANAGE)
def new_panel() -> str | Response:
    """Add a panel to an area."""
    form = forms.PanelForm()
    form.area_id.choices = [("", "Choose an area")] + [
        (str(a.id), a.name) for a in queries.all_areas()
    ]
    if form.validate_on_submit():
        with attempt(form, field="name") as done:
            panel = services.create_panel(
                actor=current_user,
                area=db.get_or_404(Area, int(form.area_id.data)),
                panel_type=PanelType(form.panel_type.data),
                name=form.name.data,
                cadence=MeetingCadence(form.meeting_cadence.data),
            )
        if done:
            flash(f"{panel.name} has been added", "success")
            return redirect(url_for("panels.admin_show", panel_id=panel.id))
    return render_template("panels/panel_form.html", form=form, panel=None)


@bp.route("/admin/panels/<int:panel_id>", methods=["GET", "POST"])
@requires(Permission.ADMIN_PANELS_MANAGE)
def admin_show(panel_id: int) -> str | Response:
    """One panel: its members, protocol status and settings, and a form to add a member."""
    panel = db.get_or_404(Panel, panel_id)
    form = forms.MembershipForm()
    form.user_id.choices = [("", "Choose a person")] + [
        (str(u.id), f"{u.display_name} ({u.organisation.name})")
        for u in queries.users_not_on(panel)
    ]
    if form.validate_on_submit():
        with attempt(form, field="user_id") as done:
            membership = services.add_member(
                actor=current_user,
                panel=panel,
                user=_chosen_user(form),
                role=PanelRole(form.role.data),
            )
        if done:
            flash(f"{membership.user.display_name} has been added to {panel.name}", "success")
            return redirect(url_for("panels.admin_show", panel_id=panel.id))
    today = uk_today()
    return render_template(
        "panels/admin_show.html",
        panel=panel,
        isp_in_force=agreements_in_force([panel.id], today).get(panel.id),
        without_access=queries.members_without_access(panel, today),
        members=queries.members_of(panel),
        form=form,
        confirm=ConfirmForm(),
        setting_labels=forms.SETTING_LABELS,
    )


def _chosen_user(form: forms.MembershipForm) -> User:
    value = form.user_id.data
    valid_id = value.isdigit() and int(value) <= LARGEST_ID
    user = db.session.get(User, int(value)) if valid_id else None
    if user is None:
        raise DomainError("Select a person to add", field="user_id")
    return user


@bp.route("/admin/panels/<int:panel_id>/edit", methods=["GET", "POST"])
@requires(Permission.ADMIN_PANELS_MANAGE)
def edit_panel(panel_id: int) -> str | Response:
    """Change a panel's name, meeting cadence or whether it is active."""
    panel = db.get_or_404(Panel, panel_id)
    form = forms.PanelForm(obj=panel)
    # Type and area are fixed once a panel exists; only the editable fields are validated.
    del form.area_id, form.panel_type
    if form.validate_on_submit():
        with attempt(form, field="name") as done:
            services.update_panel(
                panel,
                actor=current_user,
                name=form.name.data,
                cadence=MeetingCadence(form.meeting_cadence.data),
                active=form.active.data,
            )
        if done:
            flash(f"{panel.name} has been updated", "success")
            return redirect(url_for("panels.admin_show", panel_id=panel.id))
    return render_template("panels/panel_form.html", form=form, panel=panel)


@bp.route("/admin/panels/<int:panel_id>/members/<int:membership_id>/remove", methods=["POST"])
@requires(Permission.ADMIN_PANELS_MANAGE)
def remove_member(panel_id: int, membership_id: int) -> Response:
    """Remove someone from a panel."""
    membership = db.get_or_404(PanelMembership, membership_id)
    if membership.panel_id != panel_id or not ConfirmForm().validate_on_submit():
        abort(404 if membership.panel_id != panel_id else 400)
    name = membership.user.display_name
    services.remove_member(membership, actor=current_user)
    flash(f"{name} has been removed from the panel", "success")
    return redirect(url_for("panels.admin_show", panel_id=panel_id))


@bp.route("/admin/panels/<int:panel_id>/settings", methods=["GET", "POST"])
@requires(Permission.ADMIN_PANELS_MANAGE)
def panel_settings(panel_id: int) -> str | Response:
    """Change a panel's local settings."""
    panel = db.get_or_404(Panel, panel_id)
    current = panel.settings
    form = forms.local_settings_form(panel.panel_type, current)
    if form.validate_on_submit():
        # Not attempt(form): a refusal may name several fields (InvalidSettings).
        with attempt() as done:
            services.update_panel_settings(
                panel, actor=current_user, **forms.settings_changes(form, current)
            )
        if done.error:
            forms.add_errors(form, done.error)
        else:
            flash("Settings saved", "success")
            return redirect(url_for("panels.admin_show", panel_id=panel.id))
    return render_template(
        "panels/settings_form.html",
        panel=panel,
        form=form,
        errors=forms.error_summary_items(form),
        hint=forms.setting_hint,
    )


# The ISP register (domain §8 R1) ------------------------------------------------------------


@bp.route("/admin/panels/<int:panel_id>/isp")
@requires(Permission.ADMIN_PANELS_MANAGE)
def isp_register(panel_id: int) -> str:
    """The panel's information sharing protocol: each version and who has signed it."""
    panel = db.get_or_404(Panel, panel_id)
    today = uk_today()
    in_force = agreements_in_force([panel.id], today).get(panel.id)

    def version_state(agreement: IspAgreement) -> str:
        if in_force is not None and agreement.id == in_force.id:
            return "In force"
        return "Not yet in force" if agreement.in_force_from > today else "Replaced"

    return render_template(
        "panels/isp_register.html",
        panel=panel,
        agreements=queries.agreements_of(panel),
        version_state=version_state,
        without_access=queries.members_without_access(panel, today),
        status=lambda signatory: queries.signature_status(signatory, today),
    )


@bp.route("/admin/panels/<int:panel_id>/isp/new", methods=["GET", "POST"])
@requires(Permission.ADMIN_PANELS_MANAGE)
def add_isp_version(panel_id: int) -> str | Response:
    """Add a version of the information sharing protocol."""
    panel = db.get_or_404(Panel, panel_id)
    form = forms.AgreementForm()
    if form.validate_on_submit():
        assert form.in_force_from.data is not None
        with attempt(form) as done:
            agreement = isp.add_agreement(
                actor=current_user,
                panel=panel,
                version=form.version.data,
                in_force_from=form.in_force_from.data,
            )
        if done:
            flash(f"Version {agreement.version} has been added", "success")
            return _back_to_register(panel)
    return _isp_form(panel, form, heading="Add a version of the protocol")


@bp.route("/admin/panels/<int:panel_id>/isp/<int:agreement_id>/sign", methods=["GET", "POST"])
@requires(Permission.ADMIN_PANELS_MANAGE)
def add_isp_signatory(panel_id: int, agreement_id: int) -> str | Response:
    """Record an organisation's signature of a version of the protocol."""
    panel = db.get_or_404(Panel, panel_id)
    agreement = queries.agreement_of(panel, agreement_id) or abort(404)
    form = forms.SignatoryForm()
    choices = queries.organisations_to_sign(agreement)
    form.organisation_id.choices = [("", "Choose an organisation")] + [
        (str(o.id), o.name) for o in choices
    ]
    if form.validate_on_submit():
        assert form.signed_on.data is not None
        assert form.review_on.data is not None
        with attempt(form) as done:
            signatory = isp.add_signatory(
                actor=current_user,
                agreement=agreement,
                organisation=_chosen_organisation(form),
                signed_on=form.signed_on.data,
                review_on=form.review_on.data,
            )
        if done:
            flash(
                f"{signatory.organisation.name} has signed version {agreement.version}", "success"
            )
            return _back_to_register(panel)
    return _isp_form(panel, form, heading=f"Add a signatory to version {agreement.version}")


def _chosen_organisation(form: forms.SignatoryForm) -> Organisation:
    value = form.organisation_id.data
    valid_id = value.isdigit() and int(value) <= LARGEST_ID
    organisation = db.session.get(Organisation, int(value)) if valid_id else None
    if organisation is None:
        raise DomainError("Select the organisation that signed", field="organisation_id")
    return organisation


@bp.route(
    "/admin/panels/<int:panel_id>/isp/signatories/<int:signatory_id>/renew", methods=["GET", "POST"]
)
@requires(Permission.ADMIN_PANELS_MANAGE)
def renew_isp_signatory(panel_id: int, signatory_id: int) -> str | Response:
    """Renew a signature after the organisation has reviewed the protocol: a new review date."""
    panel = db.get_or_404(Panel, panel_id)
    signatory = queries.signatory_of(panel, signatory_id) or abort(404)
    form = forms.RenewForm()
    if form.validate_on_submit():
        assert form.review_on.data is not None
        review_on = form.review_on.data
        done = _register_change(
            panel,
            form,
            lambda: isp.renew_signatory(signatory, actor=current_user, review_on=review_on),
            f"{signatory.organisation.name}'s signature has been renewed",
        )
        if done is not None:
            return done
    return _isp_form(panel, form, heading=f"Renew {signatory.organisation.name}'s signature")


@bp.route(
    "/admin/panels/<int:panel_id>/isp/signatories/<int:signatory_id>/sign-again",
    methods=["GET", "POST"],
)
@requires(Permission.ADMIN_PANELS_MANAGE)
def sign_isp_again(panel_id: int, signatory_id: int) -> str | Response:
    """Record that an organisation that withdrew has signed the same version again."""
    panel = db.get_or_404(Panel, panel_id)
    signatory = queries.signatory_of(panel, signatory_id) or abort(404)
    form = forms.SignAgainForm()
    if form.validate_on_submit():
        assert form.signed_on.data is not None
        assert form.review_on.data is not None
        signed_on, review_on = form.signed_on.data, form.review_on.data
        done = _register_change(
            panel,
            form,
            lambda: isp.sign_again(
                signatory, actor=current_user, signed_on=signed_on, review_on=review_on
            ),
            f"{signatory.organisation.name} has signed again",
        )
        if done is not None:
            return done
    return _isp_form(panel, form, heading=f"{signatory.organisation.name} signs again")


@bp.route(
    "/admin/panels/<int:panel_id>/isp/signatories/<int:signatory_id>/withdraw",
    methods=["GET", "POST"],
)
@requires(Permission.ADMIN_PANELS_MANAGE)
def withdraw_isp_signatory(panel_id: int, signatory_id: int) -> str | Response:
    """Record an organisation's withdrawal from the protocol."""
    panel = db.get_or_404(Panel, panel_id)
    signatory = queries.signatory_of(panel, signatory_id) or abort(404)
    form = forms.WithdrawForm()
    if form.validate_on_submit():
        assert form.withdrawn_on.data is not None
        withdrawn_on = form.withdrawn_on.data
        done = _register_change(
            panel,
            form,
            lambda: isp.withdraw_signatory(
                signatory, actor=current_user, withdrawn_on=withdrawn_on
            ),
            f"{signatory.organisation.name} has withdrawn",
        )
        if done is not None:
            return done
    return _isp_form(
        panel,
        form,
        heading=f"Withdraw {signatory.organisation.name}",
        warning="Its staff lose access to this panel's cases from the date of withdrawal.",
    )


def _register_change(
    panel: Panel, form: FlaskForm, change: Callable[[], object], done: str
) -> Response | None:
    """Make one change to the register: kept and back to the register, or refused with the
    reason next to its field and nothing kept (None: the form is shown again)."""
    with attempt(form) as kept:
        change()
    if not kept:
        return None
    flash(done, "success")
    return _back_to_register(panel)


def _isp_form(panel: Panel, form: FlaskForm, *, heading: str, warning: str = "") -> str:
    return render_template(
        "panels/isp_form.html",
        panel=panel,
        form=form,
        heading=heading,
        warning=warning,
        error_list=forms.isp_error_list,
    )


def _back_to_register(panel: Panel) -> Response:
    return redirect(url_for("panels.isp_register", panel_id=panel.id))


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
