"""Administration: the areas a manager reports on."""

from __future__ import annotations

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.auth.forms import ConfirmForm
from app.database import db
from app.security import Permission
from app.security import requires
from app.unit_of_work import attempt
from cases.reports import queries
from cases.reports import services
from cases.reports.forms import ManagerAreaForm
from cases.reports.views import bp
from panels.models import Area

# Administration: the areas a manager reports on --------------------------------------------


@bp.route("/admin/users/<int:user_id>/areas", methods=["GET", "POST"])
@requires(Permission.ADMIN_USERS_MANAGE)
def manager_areas(user_id: int) -> str | Response:
    """The areas a manager reports on, with a form to add one and a button to remove each."""
    user = db.get_or_404(User, user_id)
    form = ManagerAreaForm()
    form.area_id.choices = [("", "Choose an area")] + [
        (str(area.id), area.name) for area in queries.areas_to_add(user)
    ]
    if form.validate_on_submit():
        area = db.session.get_one(Area, int(form.area_id.data))
        with attempt(form, field="area_id") as done:
            services.add_manager_area(user, actor=current_user, area=area)
        if done:
            flash(f"{user.display_name} now reports on {area.name}", "success")
            return redirect(url_for("reports.manager_areas", user_id=user.id))
    return render_template(
        "reports/manager_areas.html",
        user=user,
        form=form,
        is_manager=user.global_role is GlobalRole.MANAGER,
        assigned=queries.manager_areas_of(user),
    )


@bp.route("/admin/users/<int:user_id>/areas/<int:area_id>/remove", methods=["POST"])
@requires(Permission.ADMIN_USERS_MANAGE)
def remove_manager_area(user_id: int, area_id: int) -> Response:
    """Stop a manager reporting on an area."""
    user = db.get_or_404(User, user_id)
    area = db.get_or_404(Area, area_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with attempt() as done:
        services.remove_manager_area(user, actor=current_user, area=area)
    if done.error:
        flash(done.error.message, "important")
    else:
        flash(f"{user.display_name} no longer reports on {area.name}", "success")
    return redirect(url_for("reports.manager_areas", user_id=user.id))
