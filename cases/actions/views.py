"""Action plans: coordinators and chairs agree actions for a case; the agency that owns an
action, or the panel's coordinator, reports on it; the coordinator moves its due date by
agreement; each agency lists its actions."""

from __future__ import annotations

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
from app.database import uk_today
from app.routing import page_argument
from app.routing import pagination
from app.security import signed_in
from app.template_filters import uk_date
from app.unit_of_work import attempt
from audit import AuditAction
from cases import policy
from cases.actions import queries
from cases.actions import services
from cases.actions.forms import ActionFilterForm
from cases.actions.forms import ActionForm
from cases.actions.forms import DueDateForm
from cases.actions.forms import ProgressForm
from cases.actions.models import ActionStatus
from cases.actions.models import CaseAction
from cases.actions.queries import Showing
from cases.actions.queries import Whose
from panels.models import Meeting

bp = Blueprint("actions", __name__)


@bp.route("/actions")
@signed_in
def index() -> str:
    """The signed-in agency's actions, soonest due first; coordinators and chairs may also
    list every agency's actions on their panels."""
    form = _filter_form()
    listing = _listing(form) if form.validate() else None
    args = {name: value for name, value in request.args.items() if name in ("showing", "whose")}
    return render_template(
        "actions/index.html",
        form=form,
        listing=listing,
        every_agency=form.whose.data == Whose.PANELS,
        pagination=pagination("actions.index", listing.page, listing.pages, args)
        if listing
        else None,
        today=uk_today(),
    )


def _filter_form() -> ActionFilterForm:
    form = ActionFilterForm(request.args)
    form.whose.choices = [(Whose.AGENCY.value, "Your agency’s actions")]
    if policy.viewer_of(current_user).panels.panel_wide:
        form.whose.choices.append(
            (Whose.PANELS.value, "Every agency’s, on the panels you coordinate or chair")
        )
    return form


def _listing(form: ActionFilterForm) -> queries.ActionPage:
    showing = Showing(form.showing.data or Showing.OUTSTANDING)
    whose = Whose(form.whose.data or Whose.AGENCY)
    listing = queries.actions_for(
        current_user, showing=showing, whose=whose, page=page_argument(), today=uk_today()
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
    return listing


@bp.route("/cases/<int:case_id>/actions/new", methods=["GET", "POST"])
@signed_in
def new(case_id: int) -> str | Response:
    """Agree a new action for a case, owned by one of the panel's agencies."""
    case = policy.action_planning_case_or_404(current_user, case_id)
    today = uk_today()
    owners, meetings = queries.owner_agencies(case, today), queries.meetings_of(case, today)
    form = _action_form(owners, meetings)
    if form.validate_on_submit():
        with attempt(form) as done:
            agreed = _agreed(form, owners, meetings)
            services.agree_action(case, actor=current_user, action=agreed, today=today)
        if done:
            flash("The action has been agreed", "success")
            return redirect(url_for("cases.show", case_id=case.id, _anchor="actions"))
    return render_template("actions/new.html", case=case, form=form)


def _action_form(owners: list[Organisation], meetings: list[Meeting]) -> ActionForm:
    """The form with the agencies and meetings to choose from; the latest meeting held is
    where an action is most likely agreed."""
    form = ActionForm()
    form.owner_agency_id.choices = [("", "Choose an agency")] + [
        (str(o.id), o.name) for o in owners
    ]
    form.meeting_id.choices = [(str(m.id), uk_date(m.held_on)) for m in meetings]
    form.meeting_id.choices.append(("", "Not at a meeting"))
    if request.method == "GET" and meetings:
        form.meeting_id.data = str(meetings[0].id)
    return form


def _agreed(
    form: ActionForm, owners: list[Organisation], meetings: list[Meeting]
) -> services.NewAction:
    assert form.due_on.data is not None  # required by the form
    owner = next(o for o in owners if str(o.id) == form.owner_agency_id.data)
    meeting = next((m for m in meetings if str(m.id) == form.meeting_id.data), None)
    return services.NewAction(form.description.data or "", owner, form.due_on.data, meeting)


@bp.route("/cases/<int:case_id>/actions/<int:action_id>", methods=["GET", "POST"])
@signed_in
def show(case_id: int, action_id: int) -> str | Response:
    """An action and its reports, with the form to report on its progress."""
    action = policy.action_or_404(current_user, case_id, action_id)
    form = ProgressForm()
    if request.method == "GET":
        form.version.data = str(action.version)  # only the form as drawn may carry it
    if form.validate_on_submit():
        with attempt(form) as done:
            _report(action, form)
        if done:
            flash("Your report has been saved", "success")
            return redirect(url_for("actions.show", case_id=case_id, action_id=action_id))
        action = policy.action_or_404(current_user, case_id, action_id)
        form.version.data = str(action.version)  # they have now seen the latest
    return _action_page(action, form)


def _report(action: CaseAction, form: ProgressForm) -> None:
    try:
        seen = int(form.version.data or "")
    except ValueError:
        seen = 0  # a forged or missing version is never current
    services.report_progress(
        action,
        actor=current_user,
        status=ActionStatus(form.status.data),
        text=form.text.data or "",
        seen_version=seen,
    )


def _action_page(action: CaseAction, form: ProgressForm) -> str:
    """The action and its reports, a recorded read; the case is linked only for those who
    may open it (the owning agency's staff may hold the action alone)."""
    audit.record(
        actor=current_user,
        action=AuditAction.ACTION_VIEWED,
        object=action.case,
        changes={"action_id": [None, action.id]},
    )
    return render_template(
        "actions/show.html",
        action=action,
        case=action.case,
        form=form,
        sees_case=policy.sees_case(current_user, action.case_id),
        moves_due_date=policy.coordinates(current_user, action.panel_id),
        today=uk_today(),
    )


@bp.route("/cases/<int:case_id>/actions/<int:action_id>/due-date", methods=["GET", "POST"])
@signed_in
def due_date(case_id: int, action_id: int) -> str | Response:
    """Move an open action's due date, as agreed with its agency, saying why: for the
    coordinators of the case's panel."""
    action = policy.action_or_404(current_user, case_id, action_id)
    if not policy.coordinates(current_user, action.panel_id):
        policy.refuse(current_user, "cases", case_id, {"action_id": [None, action_id]})
    form = DueDateForm()
    if request.method == "GET":
        form.version.data = str(action.version)  # only the form as drawn may carry it
    if form.validate_on_submit():
        assert form.due_on.data is not None  # required by the form
        version = form.version.data or ""
        with attempt(form) as done:
            services.change_due_date(
                action,
                actor=current_user,
                due_on=form.due_on.data,
                reason=form.reason.data or "",
                seen_version=int(version) if version.isdigit() else 0,
                today=uk_today(),
            )
        if done:
            flash(f"The action is now due on {uk_date(form.due_on.data)}", "success")
            return redirect(url_for("actions.show", case_id=case_id, action_id=action_id))
        action = policy.action_or_404(current_user, case_id, action_id)
        form.version.data = str(action.version)  # they have now seen the latest
    audit.record(
        actor=current_user,
        action=AuditAction.ACTION_VIEWED,
        object=action.case,
        changes={"action_id": [None, action.id]},
    )
    return render_template("actions/due_date.html", action=action, case=action.case, form=form)


@bp.app_template_global()
def reports_on_action(action: CaseAction) -> bool:
    """For the case page: whether the signed-in user may report on the action."""
    return policy.reports_on(current_user, action)
