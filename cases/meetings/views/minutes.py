"""The minutes of a meeting (domain §2.6, R12): the coordinator drafts them, the chair approves
them, and only then are they distributed, to the panel's coordinators and chairs and to the
agencies that attended or sent information; an agency opens an extract of the actions agreed
for it at the meeting. Who may open what is decided by `cases.policy`."""

from __future__ import annotations

from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from werkzeug.wrappers import Response

import audit
from app.database import uk_today
from app.forms import error_summary_items
from app.security import signed_in
from app.unit_of_work import attempt
from audit import AuditAction
from cases import policy
from cases.meetings import queries
from cases.meetings import services
from cases.meetings.forms import ApproveMinutesForm
from cases.meetings.forms import ExtractForm
from cases.meetings.forms import add_errors
from cases.meetings.forms import minutes_form
from cases.meetings.models import MeetingMinutes
from cases.meetings.views import bp
from panels.models import Meeting


@bp.route("/meetings/<int:meeting_id>/minutes")
@signed_in
def minutes(meeting_id: int) -> str:
    """The minutes: in draft for the panel's coordinators and for its chair once they have
    accepted the meeting's statement; once approved, also for members whose agency attended
    or sent information (R12). Anyone else gets the 404 of a meeting that does not exist."""
    found, written = policy.minutes_or_404(current_user, meeting_id)
    form = ApproveMinutesForm(seen=str(written.revision) if written else "")
    return _minutes_page(found, written, form)


@bp.route("/meetings/<int:meeting_id>/minutes/approve", methods=["POST"])
@signed_in
def approve_minutes(meeting_id: int) -> str | Response:
    """The chair approves the draft minutes as they read them; anyone else who may read the
    draft is told that only the chair can."""
    found, written = policy.minutes_or_404(current_user, meeting_id)
    form = ApproveMinutesForm()
    if form.validate_on_submit():
        with attempt() as done:
            services.approve_minutes(found, actor=current_user, seen=form.seen_revision())
        if done:
            flash("The minutes are approved and distributed", "success")
            return redirect(url_for("meetings.minutes", meeting_id=found.id))
        if done.error:  # next to the button whatever its field: the revision is hidden
            form.submit.errors = [done.error.message]
        written = queries.minutes_of(found)
    form.seen.data = str(written.revision) if written else ""
    return _minutes_page(found, written, form)


def _minutes_page(
    meeting: Meeting, written: MeetingMinutes | None, form: ApproveMinutesForm
) -> str:
    """The minutes as the user may read them: only the cases on the agenda they may see."""
    audit.record(actor=current_user, action=AuditAction.MINUTES_VIEWED, object=meeting)
    cases = queries.minuted_cases(meeting, current_user, written)
    return render_template(
        "meetings/minutes.html",
        meeting=meeting,
        minutes=written,
        cases=cases,
        openable=queries.openable_case_ids(current_user, [view.case.id for view in cases]),
        agencies=queries.agencies_taking_part(meeting),
        drafts=policy.coordinates(current_user, meeting.panel_id),
        approves=policy.chairs(current_user, meeting),
        extract_shown=policy.may_open_extract(current_user, meeting, written),
        form=form,
        errors=error_summary_items(form),
        today=uk_today(),
    )


@bp.route("/meetings/<int:meeting_id>/minutes/draft", methods=["GET", "POST"])
@signed_in
def draft_minutes(meeting_id: int) -> str | Response:
    """Draft the minutes, saving as often as needed: for the panel's coordinators, from the
    day of the meeting until the chair approves them. A save over someone else's newer one is
    refused with the text typed kept."""
    found = policy.meeting_or_404(current_user, meeting_id)
    if not policy.coordinates(current_user, found.panel_id):
        policy.refuse(current_user, "meetings", meeting_id, {"minutes": [None, True]})
    today = uk_today()
    written = queries.minutes_of(found)
    listed = queries.minuted_cases(found, current_user, written)
    agencies = queries.agencies_taking_part(found)
    form = minutes_form(
        listed, agencies, written, request.form if request.method == "POST" else None
    )
    changed_meanwhile = False
    if form.validate_on_submit():
        with attempt() as done:
            services.save_minutes(
                found,
                actor=current_user,
                seen=form.seen_revision(),
                general=form.general.data or "",
                cases=form.cases(),
                today=today,
            )
        if done:
            flash("The draft minutes have been saved", "success")
            return redirect(url_for("meetings.minutes", meeting_id=found.id))
        assert done.error is not None
        add_errors(form, done.error)
        if isinstance(done.error, services.MinutesChangedMeanwhile):
            # Their text stays; saving again, having seen the minutes as now saved, applies it.
            changed_meanwhile = True
            written = queries.minutes_of(found)
            listed = queries.minuted_cases(found, current_user, written)
            form.seen.data = str(written.revision if written else 0)
    # The page shows the minutes as saved (and, after a refusal, as typed): a recorded read.
    audit.record(actor=current_user, action=AuditAction.MINUTES_VIEWED, object=found)
    return render_template(
        "meetings/draft_minutes.html",
        meeting=found,
        minutes=written,
        cases=listed,
        agencies=agencies,
        form=form,
        errors=error_summary_items(form),
        changed_meanwhile=changed_meanwhile,
        held=found.held_on <= today,
    )


@bp.route("/meetings/<int:meeting_id>/minutes/actions")
@signed_in
def minutes_actions(meeting_id: int) -> str:
    """An agency's extract of the minutes: the actions agreed for it at the meeting, without
    the discussion. A member sees their own agency's, once the minutes are approved; the
    panel's coordinators and chairs choose any agency's."""
    found = policy.extract_or_404(current_user, meeting_id)
    viewer = policy.viewer_of(current_user)
    chooses = found.panel_id in viewer.panels.panel_wide
    agencies = queries.agencies_with_actions(found) if chooses else []
    form = ExtractForm(request.args)
    form.agency.choices = [("", "Your agency")] + [(str(a.id), a.name) for a in agencies]
    agency_id = viewer.organisation_id
    if chooses and form.agency.data and form.validate():
        agency_id = int(form.agency.data)
    agency = next((a for a in agencies if a.id == agency_id), current_user.organisation)
    actions = queries.agreed_actions(found, current_user, agency_id)
    audit.record(
        actor=current_user,
        action=AuditAction.MINUTES_EXTRACT_VIEWED,
        object=found,
        changes={"organisation_id": [None, agency_id], "actions": [None, len(actions)]},
    )
    return render_template(
        "meetings/minutes_actions.html",
        meeting=found,
        agency=agency,
        actions=actions,
        form=form if chooses else None,
        errors=error_summary_items(form) if chooses else [],
        today=uk_today(),
    )
