"""Admin pages for panels: the list, adding and editing a panel, its members and its local
settings."""

from __future__ import annotations

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts.models import User
from app.auth.forms import ConfirmForm
from app.database import db
from app.database import uk_today
from app.errors import DomainError
from app.forms import error_summary_items
from app.routing import LARGEST_ID
from app.security import Permission
from app.security import requires
from app.unit_of_work import attempt
from panels import forms
from panels import queries
from panels import services
from panels.models import Area
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.policy import agreements_in_force
from panels.types.common import MeetingCadence
from panels.types.common import PanelType
from panels.views import bp


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
    changed_meanwhile = False
    if form.validate_on_submit():
        # Not attempt(form): a refusal may name several fields (InvalidSettings).
        with attempt() as done:
            services.update_panel_settings(
                panel,
                actor=current_user,
                seen=form.seen.data,
                **forms.settings_changes(form, current),
            )
        if done.error:
            forms.add_errors(form, done.error)
            if isinstance(done.error, services.SettingsChangedMeanwhile):
                # Their entries stay; saving again, having seen the new settings, applies them.
                changed_meanwhile = True
                form.seen.data = panel.settings.fingerprint
        else:
            flash("Settings saved", "success")
            return redirect(url_for("panels.admin_show", panel_id=panel.id))
    return render_template(
        "panels/settings_form.html",
        panel=panel,
        form=form,
        errors=error_summary_items(form),
        hint=forms.setting_hint,
        changed_meanwhile=changed_meanwhile,
        setting_labels=forms.SETTING_LABELS,
    )
