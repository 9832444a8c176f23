"""Action plans: coordinators and chairs agree actions for a case; the agency that owns an
action, or the panel's coordinator, reports on it; each agency lists its actions."""

from __future__ import annotations

from datetime import date

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from werkzeug.wrappers import Response

import audit
from app.accounts.models import Organisation
from app.database import db
from app.database import uk_today
from app.errors import DomainError
from app.routing import page_argument
from app.routing import pagination
from app.security import signed_in
from audit import AuditAction
from cases import action_queries as queries
from cases import actions as services
from cases import policy
from cases.action_forms import ActionFilterForm
from cases.action_forms import ActionForm
from cases.action_forms import ProgressForm
from cases.action_queries import Showing
from cases.action_queries import Whose
from cases.models import ActionStatus
from cases.models import Case
from cases.models import CaseAction
from panels.models import Meeting

bp = Blueprint("actions", __name__)


@bp.route("/actions")
@signed_in
def index() -> str:
    """The signed-in agency's actions, soonest due first; coordinators and chairs may also
    list every agency's actions on their panels."""
    form = _filter_form()
    today = uk_today()
    listing = None
    if form.validate():
        showing = Showing(form.showing.data or Showing.OUTSTANDING)
        whose = Whose(form.whose.data or Whose.AGENCY)
        listing = queries.actions_for(
            current_user, showing=showing, whose=whose, page=page_argument(), today=today
        )
        audit.record(
            actor=current_user,
            action=AuditAction.ACTIONS_LIST_VIEWED,
            changes={
                "filters": {"showing": showing.value, "whose": whose.value},
                "page": [None, listing.page],
                "results": [None, listing.total],
            },
        )
    args = {name: value for name, value in request.args.items() if name in ("showing", "whose")}
    page = render_template(
        "actions/index.html",
        form=form,
        listing=listing,
        pagination=pagination("actions.index", listing.page, listing.pages, args)
        if listing
        else None,
        today=today,
    )
    db.session.commit()
    return page


def _filter_form() -> ActionFilterForm:
    form = ActionFilterForm(request.args)
    choices = [(Whose.AGENCY.value, "Your agency’s actions")]
    if policy.viewer_of(current_user).panels.panel_wide:
        choices.append(
            (Whose.PANELS.value, "Every agency’s, on the panels you coordinate or chair")
        )
    form.whose.choices = choices
    return form


@bp.route("/cases/<int:case_id>/actions/new", methods=["GET", "POST"])
@signed_in
def new(case_id: int) -> str | Response:
    case = policy.action_planning_case_or_404(current_user, case_id)
    today = uk_today()
    owners = queries.owner_agencies(case.panel, today)
    meetings = queries.meetings_of(case)
    form = ActionForm()
    form.owner_agency_id.choices = [("", "Choose an agency")] + [
        (str(o.id), o.name) for o in owners
    ]
    form.meeting_id.choices = [(str(m.id), m.held_on.strftime("%-d %B %Y")) for m in meetings] + [
        ("", "Not at a meeting")
    ]
    if request.method == "GET":
        form.meeting_id.data = _latest_held(meetings, today)
    if form.validate_on_submit():
        try:
            services.agree_action(
                case,
                actor=current_user,
                action=_new_action(form, owners, meetings),
                owners=owners,
                meetings=meetings,
                today=today,
            )
        except DomainError as error:
            db.session.rollback()  # nothing of a refused change is kept
            form._fields.get(error.field or "", form.description).errors.append(error.message)
        else:
            db.session.commit()
            flash("The action has been agreed", "success")
            return redirect(url_for("cases.show", case_id=case.id, _anchor="actions"))
    return render_template("actions/new.html", case=case, form=form)


def _latest_held(meetings: list[Meeting], today: date) -> str:
    """The meeting an action is most likely agreed at: the latest one held by today."""
    held = [m for m in meetings if m.held_on <= today]
    return str(held[0].id) if held else ""


def _new_action(
    form: ActionForm, owners: list[Organisation], meetings: list[Meeting]
) -> services.NewAction:
    assert form.due_on.data is not None  # required by the form
    owner = next(o for o in owners if str(o.id) == form.owner_agency_id.data)
    meeting = next((m for m in meetings if str(m.id) == form.meeting_id.data), None)
    return services.NewAction(
        description=form.description.data or "",
        owner=owner,
        due_on=form.due_on.data,
        meeting=meeting,
    )


@bp.route("/cases/<int:case_id>/actions/<int:action_id>", methods=["GET", "POST"])
@signed_in
def show(case_id: int, action_id: int) -> str | Response:
    action = policy.action_or_404(current_user, case_id, action_id)
    form = ProgressForm()
    if request.method == "GET":
        form.version.data = str(action.version)
    if form.validate_on_submit():
        try:
            services.report_progress(
                action,
                actor=current_user,
                status=ActionStatus(form.status.data),
                text=form.text.data or "",
                seen_version=_version(form),
            )
        except DomainError as error:
            db.session.rollback()  # nothing of a refused change is kept
            action = policy.action_or_404(current_user, case_id, action_id)
            form.version.data = str(action.version)  # they have now seen the latest
            form._fields.get(error.field or "", form.text).errors.append(error.message)
        else:
            db.session.commit()
            flash("Your report has been saved", "success")
            return redirect(url_for("actions.show", case_id=case_id, action_id=action_id))
    audit.record(
        actor=current_user,
        action=AuditAction.ACTION_VIEWED,
        object=action.case,
        changes={"action_id": [None, action.id]},
    )
    page = render_template(
        "actions/show.html",
        action=action,
        case=action.case,
        form=form,
        sees_case=_sees_case(action.case),
        today=uk_today(),
    )
    db.session.commit()
    return page


def _version(form: ProgressForm) -> int:
    """The version the form was drawn from; a forged or missing one is never current."""
    try:
        return int(form.version.data or "")
    except ValueError:
        return 0


def _sees_case(case: Case) -> bool:
    """Whether to link to the case: the owner agency's staff may hold the action alone."""
    return policy.sees_case(current_user, case.id)


@bp.app_template_global()
def reports_on_action(action: CaseAction) -> bool:
    """For the case page: whether the signed-in user may report on the action."""
    return policy.reports_on(current_user, action)
