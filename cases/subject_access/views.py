"""Subject access pages for auditors: open requests by due date, recording a request, its page
(deadline, steps, the person records that may be the requester), and the bundle of every record
that mentions the confirmed people, across panels, with third parties marked for redaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

import audit
from app.accounts.models import User
from app.database import uk_today
from app.security import Permission
from app.security import requires
from app.unit_of_work import attempt
from audit import AuditAction
from cases import policy
from cases.forms import error_list
from cases.subject_access import forms
from cases.subject_access import queries
from cases.subject_access import services
from cases.subject_access.models import Regime
from cases.subject_access.models import RequestStatus
from cases.subject_access.models import SubjectAccessRequest

bp = Blueprint("subject_access", __name__, url_prefix="/audit/subject-access")

Step = Callable[[SubjectAccessRequest, User, Any], None]
STEPS: dict[str, tuple[type[FlaskForm], Step]] = {
    "pause": (
        forms.PauseForm,
        lambda r, actor, f: services.pause_clock(r, actor=actor, on=f.on.data, today=uk_today()),
    ),
    "resume": (
        forms.ResumeForm,
        lambda r, actor, f: services.resume_clock(r, actor=actor, on=f.on.data, today=uk_today()),
    ),
    "extend": (
        forms.ExtendForm,
        lambda r, actor, f: services.extend(
            r,
            actor=actor,
            months=int(f.months.data),
            reason=f.reason.data,
            on=f.on.data,
            today=uk_today(),
        ),
    ),
    "complete": (
        forms.CompleteForm,
        lambda r, actor, f: services.complete(r, actor=actor, on=f.on.data, today=uk_today()),
    ),
    "refuse": (
        forms.RefuseForm,
        lambda r, actor, f: services.refuse(
            r, actor=actor, on=f.on.data, reason=f.reason.data, today=uk_today()
        ),
    ),
}


@bp.route("")
@requires(Permission.AUDIT_LOG_READ)
def index() -> str:
    """The open subject access requests, by due date."""
    requests = queries.open_requests()
    audit.record(
        actor=current_user,
        action=AuditAction.SUBJECT_ACCESS_LIST_VIEWED,
        changes={"results": [None, len(requests)]},
    )
    today = uk_today()
    return render_template(
        "subject_access/index.html",
        requests=requests,
        today=today,
        due=lambda r: queries.current_due_on(r, today),
        overdue=lambda r: queries.overdue(r, today),
    )


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.AUDIT_LOG_READ)
def new() -> str | Response:
    """Record a new subject access request."""
    form = forms.RequestForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            request = services.receive_request(
                actor=current_user, details=_details(form), today=uk_today()
            )
        if done:
            flash(f"Request {request.reference} recorded", "success")
            return redirect(url_for("subject_access.show", request_id=request.id))
    return render_template("subject_access/new.html", form=form)


@bp.route("/<int:request_id>")
@requires(Permission.AUDIT_LOG_READ)
def show(request_id: int) -> str:
    """One request: its deadline, its steps and the person records that may be the requester."""
    return _render_show(_request_or_404(request_id))


@bp.route(
    "/<int:request_id>/<any(subjects, approve, pause, resume, extend, complete, refuse):step>",
    methods=["POST"],
)
@requires(Permission.AUDIT_LOG_READ)
def advance(request_id: int, step: str) -> str | Response:
    """A step on a request: confirm its subjects, approve them (a second auditor), pause,
    restart, extend, complete or refuse."""
    request = _request_or_404(request_id)
    if step == "subjects":
        return _confirm_subjects(request)
    if step == "approve":
        return _approve(request)
    form_class, apply = STEPS[step]
    form = form_class(prefix=step)
    if form.validate_on_submit():
        with attempt(form) as done:
            apply(request, current_user, form)
        if done:
            flash(f"{request.reference}: {request.status.label.lower()}", "success")
            return redirect(url_for("subject_access.show", request_id=request.id))
    return _render_show(_request_or_404(request_id), **{step: form})


@bp.route("/<int:request_id>/bundle")
@requires(Permission.AUDIT_LOG_READ)
def bundle(request_id: int) -> str | Response:
    """Every record that mentions the confirmed people, with third parties marked for redaction.
    It opens only once a second auditor has approved the confirmed records."""
    request = _request_or_404(request_id)
    if request.bundle_approved_by_id is None:
        return _awaiting_approval(request)
    found = queries.bundle(request, closed=_closed())
    # A read of case data: which request it served, and which cases and people it gathered.
    audit.record(
        actor=current_user,
        action=AuditAction.SUBJECT_ACCESS_BUNDLE_VIEWED,
        object=request,
        changes={
            "case_ids": [None, found.case_ids],
            "person_ids": [None, sorted(s.person_id for s in request.subjects)],
        },
    )
    return render_template("subject_access/bundle.html", request=request, bundle=found)


@bp.route("/<int:request_id>/referrals/<int:referral_id>/disclosure", methods=["GET", "POST"])
@requires(Permission.AUDIT_LOG_READ)
def disclosure(request_id: int, referral_id: int) -> str | Response:
    """Record a decision to disclose a referral withheld from a perpetrator requester (R15).
    Like the bundle it comes from, it opens only once a second auditor has approved the
    confirmed records: it names the case in which the requester is the alleged perpetrator."""
    request = _request_or_404(request_id)
    referral = queries.withheld_referral(request, referral_id)
    if referral is None:
        abort(404)
    if request.bundle_approved_by_id is None:
        return _awaiting_approval(request)
    form = forms.DisclosureForm()
    if form.validate_on_submit():
        assert form.on.data is not None  # required by the form
        with attempt(form) as done:
            services.record_disclosure(
                request,
                actor=current_user,
                referral=referral,
                on=form.on.data,
                reason=form.reason.data,
                today=uk_today(),
            )
        if done:
            flash(f"Decision to disclose {referral.reference} recorded", "success")
            return redirect(
                url_for("subject_access.bundle", request_id=request_id, _anchor=f"r{referral_id}")
            )
    # The page says in which case the requester is the alleged perpetrator: a read (R9).
    audit.record(
        actor=current_user,
        action=AuditAction.SUBJECT_ACCESS_VIEWED,
        object=request,
        changes={"referral_id": [None, referral.id]},
    )
    return render_template(
        "subject_access/disclosure.html", request=request, referral=referral, form=form
    )


def _confirm_subjects(request: SubjectAccessRequest) -> str | Response:
    candidates = queries.candidates(request, closed=_closed())
    form = _subjects_form(candidates)
    if form.validate_on_submit():
        chosen = {int(value) for value in form.people.data}
        people = [c.suggestion.person for c in candidates if c.suggestion.person.id in chosen]
        with attempt(form) as done:
            services.confirm_subjects(request, actor=current_user, people=people)
        if done:
            flash(f"{request.reference}: records confirmed", "success")
            return redirect(url_for("subject_access.show", request_id=request.id))
    return _render_show(_request_or_404(request.id), subjects=form)


def _awaiting_approval(request: SubjectAccessRequest) -> Response:
    flash("The bundle opens once another auditor has approved the confirmed records", "important")
    return redirect(url_for("subject_access.show", request_id=request.id))


def _approve(request: SubjectAccessRequest) -> str | Response:
    form = forms.ApproveForm(prefix="approve")
    if form.validate_on_submit():
        with attempt(form, field="submit") as done:
            services.approve_bundle(request, actor=current_user)
        if done:
            flash(f"{request.reference}: records approved; the bundle is open", "success")
            return redirect(url_for("subject_access.show", request_id=request.id))
    return _render_show(_request_or_404(request.id), approve=form)


def _subjects_form(candidates: list[queries.Candidate]) -> forms.SubjectsForm:
    form = forms.SubjectsForm(prefix="subjects")
    form.people.choices = [(str(c.suggestion.person.id), _described(c)) for c in candidates]
    return form


def _described(candidate: queries.Candidate) -> str:
    """A candidate as the auditor checks it: name, date of birth, and where it was found."""
    person = candidate.suggestion.person
    if person.content_destroyed:
        return f"Person record {person.id} (content destroyed)"
    born = f", born {person.date_of_birth:%d/%m/%Y}" if person.date_of_birth else ""
    cases = ", ".join(
        f"{link.role.label.lower()} in {link.case.reference} ({link.case.panel.name})"
        for link in candidate.appearances
    )
    return f"{person.full_name}{born}: {cases or 'in no case'}"


def _render_show(request: SubjectAccessRequest, **step_forms: FlaskForm) -> str:
    candidates = queries.candidates(request, closed=_closed())
    subjects = step_forms.get("subjects") or _subjects_form(candidates)
    if "subjects" not in step_forms:
        subjects.people.data = [str(s.person_id) for s in request.subjects]
    step_form_objects = {
        name: step_forms.get(name) or form_class(prefix=name, formdata=None)
        for name, (form_class, _) in STEPS.items()
    }
    approve = step_forms.get("approve") or forms.ApproveForm(prefix="approve", formdata=None)
    audit.record(
        actor=current_user,
        action=AuditAction.SUBJECT_ACCESS_VIEWED,
        object=request,
        changes={"candidates": [None, [c.suggestion.person.id for c in candidates]]},
    )
    today = uk_today()
    return render_template(
        "subject_access/show.html",
        request=request,
        candidates=candidates,
        subjects=subjects,
        approve=approve,
        may_approve=current_user.id not in request.confirmed_by_ids,
        steps=step_form_objects,
        open_step=next((name for name in step_forms if name in STEPS), None),
        today=today,
        due_on=queries.current_due_on(request, today),
        overdue=queries.overdue(request, today),
        Regime=Regime,
        RequestStatus=RequestStatus,
        errors=error_list(subjects, approve, *step_form_objects.values()),
    )


def _request_or_404(request_id: int) -> SubjectAccessRequest:
    request = queries.request_by_id(request_id)
    if request is None:
        abort(404)
    return request


def _details(form: forms.RequestForm) -> services.RequestDetails:
    # Both dates are required by the form.
    assert form.received_on.data is not None
    assert form.subject_date_of_birth.data is not None
    return services.RequestDetails(
        received_on=form.received_on.data,
        regime=Regime(form.regime.data),
        requester_name=form.requester_name.data,
        requester_contact=form.requester_contact.data,
        identity_evidence=form.identity_evidence.data or "",
        subject_given_names=form.subject_given_names.data,
        subject_family_name=form.subject_family_name.data,
        subject_date_of_birth=form.subject_date_of_birth.data,
    )


def _closed() -> frozenset[int]:
    """Cases restricted against the auditor's own organisation: someone in them works there, so
    this organisation's information governance does not handle them (staff as subject)."""
    return policy.viewer_of(current_user).restricted
