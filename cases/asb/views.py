"""ASB Case Review pages: the applications on your Community MARAC panels, recording one, its
page with the threshold calculation and the next step, adding a complaint, and the figures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

import audit
from app.accounts.models import User
from app.routing import page_argument
from app.security import signed_in
from app.unit_of_work import attempt
from audit import AuditAction
from cases import policy
from cases.asb import forms
from cases.asb import queries
from cases.asb import rules
from cases.asb import services
from cases.asb.models import Applicant
from cases.asb.models import CaseReviewApplication
from cases.asb.models import ReviewStatus

bp = Blueprint("asb", __name__)

Step = Callable[[CaseReviewApplication, User, Any], None]
STEPS: dict[str, tuple[type[FlaskForm], Step]] = {
    "acknowledge": (
        forms.AcknowledgeForm,
        lambda a, actor, f: services.acknowledge(a, actor=actor, on=f.on.data),
    ),
    "threshold": (
        forms.ThresholdForm,
        lambda a, actor, f: services.decide_threshold(
            a, actor=actor, on=f.on.data, met=f.met.data == "yes", reason=f.reason.data
        ),
    ),
    "meeting": (
        forms.MeetingForm,
        lambda a, actor, f: services.record_review_meeting(a, actor=actor, on=f.on.data),
    ),
    "outcome": (
        forms.OutcomeForm,
        lambda a, actor, f: services.record_outcome(
            a,
            actor=actor,
            on=f.on.data,
            recommendations_made=f.recommendations_made.data == "yes",
            action_plan=f.action_plan.data or "",
        ),
    ),
    "appeal": (
        forms.AppealForm,
        lambda a, actor, f: services.request_appeal(
            a, actor=actor, on=f.on.data, grounds=f.grounds.data
        ),
    ),
    "appeal-decision": (
        forms.AppealDecisionForm,
        lambda a, actor, f: services.decide_appeal(
            a, actor=actor, on=f.on.data, upheld=f.upheld.data == "yes", reason=f.reason.data
        ),
    ),
}
# The step (form) that moves an application into each status.
STEP_INTO = {
    ReviewStatus.ACKNOWLEDGED: "acknowledge",
    ReviewStatus.THRESHOLD_MET: "threshold",
    ReviewStatus.THRESHOLD_NOT_MET: "threshold",
    ReviewStatus.REVIEW_HELD: "meeting",
    ReviewStatus.OUTCOME_RECORDED: "outcome",
    ReviewStatus.APPEAL_REQUESTED: "appeal",
    ReviewStatus.APPEAL_DECIDED: "appeal-decision",
}


@bp.route("/case-reviews")
@signed_in
def index() -> str:
    """The case review applications on the user's panels, newest first, filtered by status."""
    search = forms.ApplicationFilterForm(request.args)
    status = search.selected() if search.validate() else None
    page = page_argument()
    applications, total = queries.applications_for(current_user, status=status, page=page)
    audit.record(
        actor=current_user,
        action=AuditAction.CASE_REVIEW_LIST_VIEWED,
        changes={"page": [None, page], "status": [None, status.value if status else None]},
    )
    return render_template(
        "asb/index.html",
        form=search,
        applications=applications,
        total=total,
        page=page,
        pages=max(1, -(-total // queries.PAGE_SIZE)),
        status=status,
        can_record=bool(queries.review_panels_of(current_user)),
    )


@bp.route("/case-reviews/new", methods=["GET", "POST"])
@signed_in
def new() -> str | Response:
    """Record a new case review application."""
    panels = queries.review_panels_of(current_user)
    form = forms.ApplicationForm()
    form.panel_id.choices = [("", "Select a panel")] + [(str(p.id), p.name) for p in panels]
    if form.validate_on_submit():
        panel = next(p for p in panels if str(p.id) == form.panel_id.data)
        with attempt(form) as done:
            application = services.receive_application(
                actor=current_user, panel=panel, details=_details(form)
            )
        if done:
            flash(f"Application {application.reference} recorded", "success")
            return redirect(url_for("asb.show", application_id=application.id))
    return render_template("asb/new.html", form=form, panels=panels)


@bp.route("/case-reviews/figures")
@signed_in
def figures() -> str:
    """The case review figures per panel and financial year."""
    rows = queries.figures_for(current_user)
    audit.record(actor=current_user, action=AuditAction.CASE_REVIEW_FIGURES_VIEWED)
    return render_template("asb/figures.html", rows=rows)


@bp.route("/case-reviews/<int:application_id>")
@signed_in
def show(application_id: int) -> str:
    """One application: its threshold calculation, deadlines and the form for its next step."""
    application = _visible_application_or_404(application_id)
    step = _next_step(application)
    form = STEPS[step][0]() if step else None
    return _render_show(application, step, form)


@bp.route(
    "/case-reviews/<int:application_id>/"
    "<any(acknowledge, threshold, meeting, outcome, appeal, 'appeal-decision'):step>",
    methods=["POST"],
)
@signed_in
def advance(application_id: int, step: str) -> str | Response:
    """Record the application's next step (acknowledgement, threshold decision and so on)."""
    application = _visible_application_or_404(application_id)
    form_class, apply = STEPS[step]
    form = form_class()
    if form.validate_on_submit():
        with attempt(form) as done:
            apply(application, current_user, form)
        if done:
            flash(f"{application.status.label}: recorded", "success")
            return redirect(url_for("asb.show", application_id=application.id))
    return _render_show(application, step, form)


@bp.route("/case-reviews/<int:application_id>/complaints/new", methods=["GET", "POST"])
@signed_in
def add_complaint(application_id: int) -> str | Response:
    """Add a complaint to an application."""
    application = _visible_application_or_404(application_id)
    agencies = queries.agencies()
    form = forms.ComplaintForm()
    form.incident.choices = (
        [("", "Select an incident")]
        + [
            (str(i.id), f"{i.behaviour_on:%d/%m/%Y}: {i.description}")
            for i in application.incidents
        ]
        + [(forms.NEW_INCIDENT, "A new incident")]
    )
    form.agency.choices = [("", "Select an agency")] + [(str(a.id), a.name) for a in agencies]
    if form.validate_on_submit():
        with attempt(form) as done:
            services.add_complaint(
                application, actor=current_user, **_complaint(form, application, agencies)
            )
        if done:
            flash("Complaint added", "success")
            return redirect(
                url_for("asb.show", application_id=application.id, _anchor="complaints")
            )
    audit.record(actor=current_user, action=AuditAction.CASE_REVIEW_VIEWED, object=application)
    return render_template("asb/complaint.html", application=application, form=form)


# Helpers ------------------------------------------------------------------------------------


def _render_show(
    application: CaseReviewApplication, step: str | None, form: FlaskForm | None
) -> str:
    audit.record(actor=current_user, action=AuditAction.CASE_REVIEW_VIEWED, object=application)
    return render_template(
        "asb/show.html",
        application=application,
        assessment=queries.assessment_of(application),
        deadlines=_deadlines(application),
        step=step,
        form=form,
        takes_complaints=application.status in rules.TAKES_COMPLAINTS,
    )


def _next_step(application: CaseReviewApplication) -> str | None:
    statuses = rules.next_statuses(application.status, review_owed=application.review_owed)
    return STEP_INTO[min(statuses)] if statuses else None


def _deadlines(application: CaseReviewApplication) -> dict[str, Any]:
    """Target dates in working days after receipt (E55), by step: (date, working days)."""
    received = application.received_on
    return {
        step: (rules.working_days_after(received, days), days)
        for step, days in (
            ("acknowledge", rules.ACKNOWLEDGE_WITHIN_WORKING_DAYS),
            ("decide", rules.DECIDE_WITHIN_WORKING_DAYS),
        )
    }


def _details(form: forms.ApplicationForm) -> services.ApplicationDetails:
    assert form.received_on.data is not None  # required by the form
    return services.ApplicationDetails(
        received_on=form.received_on.data,
        applicant=Applicant(form.applicant.data),
        applicant_name=form.applicant_name.data,
        applicant_contact=form.applicant_contact.data,
        victim_name=form.victim_name.data or "",
        victim_consented=bool(form.victim_consented.data),
        description=form.description.data,
    )


def _complaint(
    form: forms.ComplaintForm, application: CaseReviewApplication, agencies: Any
) -> dict[str, Any]:
    chosen = form.incident.data
    incident = next((i for i in application.incidents if str(i.id) == chosen), None)
    new = None
    if chosen == forms.NEW_INCIDENT:
        assert form.behaviour_on.data is not None  # required by the form for a new incident
        new = services.NewIncident(form.behaviour_on.data, form.incident_description.data or "")
    return {
        "agency": next(a for a in agencies if str(a.id) == form.agency.data),
        "complained_on": form.complained_on.data,
        "incident": incident,
        "new_incident": new,
    }


def _visible_application_or_404(application_id: int) -> CaseReviewApplication:
    """The application, or the same 404 for "no such application" and "not on your panels"."""
    application = queries.visible_application(current_user, application_id)
    if application is None:
        policy.refuse(current_user, "case_review_applications", application_id)
    return application
