"""Restricting a case against an organisation whose staff include someone in it (staff as
subject, security R19): the case's coordinators list, add and lift restrictions."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from werkzeug.wrappers import Response

import audit
from app.security import signed_in
from app.unit_of_work import attempt
from audit import AuditAction
from cases import policy
from cases.restrictions import queries
from cases.restrictions import services
from cases.restrictions.forms import RestrictionForm

bp = Blueprint("restrictions", __name__)


@bp.route("/cases/<int:case_id>/restrictions", methods=["GET", "POST"])
@signed_in
def index(case_id: int) -> str | Response:
    """A case's restrictions, with the form to restrict it against an organisation."""
    case = policy.coordinated_case_or_404(current_user, case_id)
    organisations = queries.active_organisations()
    form = RestrictionForm()
    form.organisation_id.choices = [("", "Choose an organisation")] + [
        (str(o.id), o.name) for o in organisations
    ]
    if form.validate_on_submit():
        chosen = next(o for o in organisations if str(o.id) == form.organisation_id.data)
        with attempt(form, field="organisation_id") as done:
            services.restrict(actor=current_user, case=case, organisation=chosen)
        if done:
            flash(f"Nobody from {chosen.name} can open this case now", "success")
            return redirect(url_for("restrictions.index", case_id=case.id))
    # Which agency a case is closed to says someone in it works there: the read is recorded.
    audit.record(actor=current_user, action=AuditAction.CASE_RESTRICTIONS_VIEWED, object=case)
    return render_template(
        "restrictions/index.html",
        case=case,
        form=form,
        restrictions=queries.restrictions_of(case),
    )


@bp.route("/cases/<int:case_id>/restrictions/<int:restriction_id>/lift", methods=["POST"])
@signed_in
def lift(case_id: int, restriction_id: int) -> Response:
    """Lift a restriction, so the organisation's staff may open the case again."""
    case = policy.coordinated_case_or_404(current_user, case_id)
    restriction = queries.restriction_of(case, restriction_id)
    if restriction is None:
        abort(404)
    with attempt() as done:
        services.lift(restriction, actor=current_user)
    if done.error:
        flash(done.error.message, "error")
    else:
        flash(f"The restriction against {restriction.organisation.name} has been lifted", "success")
    return redirect(url_for("restrictions.index", case_id=case.id))


@bp.app_template_global()
def coordinates_panel(panel_id: int) -> bool:
    """For templates: whether the signed-in user coordinates the panel (the case page shows
    its coordinators the link to the restrictions page)."""
    return current_user.is_authenticated and policy.coordinates(current_user, panel_id)
