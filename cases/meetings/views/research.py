"""Research before the meeting (domain §2.6, R7): on each case listed on a meeting's agenda,
each agency on the panel marks its research as done and records what it is sharing for the
meeting. A member reads and updates their own agency's record; the panel's coordinators and
chair read every agency's. Who may open the page is decided by `cases.policy`."""

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
from cases.meetings.forms import ResearchForm
from cases.meetings.models import CaseResearch
from cases.meetings.views import bp
from cases.models import Case
from panels.models import Meeting


@bp.route("/meetings/<int:meeting_id>/cases/<int:case_id>/research", methods=["GET", "POST"])
@signed_in
def research(meeting_id: int, case_id: int) -> str | Response:
    """Record the user's agency's research on a case on the meeting's agenda, until the
    meeting's day: for members of the panel who may see the agenda (R3) and the case. Those
    running the meeting also read what every agency shared; anyone else gets a 404."""
    found, case = _listed_case_or_404(meeting_id, case_id)
    today = uk_today()
    organisation_id = current_user.organisation_id
    own = queries.research_of(found, case.id, organisation_id)
    form = ResearchForm()
    changed_meanwhile = False
    if request.method == "GET":
        form.seen.data = str(own.revision if own else 0)
        if own is not None:
            form.shared.data = own.shared or ""
            form.nothing_to_share.data = own.nothing_to_share
    elif form.validate_on_submit():
        with attempt(form, field="shared") as done:
            services.record_research(
                found,
                actor=current_user,
                case=case,
                seen=form.seen_revision(),
                shared=form.shared.data or "",
                nothing_to_share=bool(form.nothing_to_share.data),
                today=today,
            )
        if done:
            flash(f"Your agency’s research on {case.reference} is saved", "success")
            return redirect(url_for("meetings.show", meeting_id=found.id, _anchor="agenda"))
        if isinstance(done.error, services.ResearchChangedMeanwhile):
            # Their text stays in the form; saving again, having seen the new entry, applies it.
            changed_meanwhile = True
            own = queries.research_of(found, case.id, organisation_id)
            form.seen.data = str(own.revision if own else 0)
    runs = found.panel_id in policy.viewer_of(current_user).panels.panel_wide
    # R7: another agency's text is read only by those running the meeting.
    others: list[CaseResearch] = []
    agencies = queries.panel_agencies(found)
    progress = None
    if runs:
        recorded = queries.research_by_case(found)
        others = sorted(
            (r for r in recorded.get(case.id, {}).values() if r.organisation_id != organisation_id),
            key=lambda r: r.organisation.name,
        )
        progress = queries.research_progress(agencies, recorded, case.id)
    audit.record(
        actor=current_user,
        action=AuditAction.RESEARCH_VIEWED,
        object=found,
        changes={"case_id": [None, case.id]},
    )
    return render_template(
        "meetings/research.html",
        meeting=found,
        case=case,
        form=form,
        errors=error_summary_items(form),
        own=own,
        others=others,
        progress=progress,
        changed_meanwhile=changed_meanwhile,
        open=found.held_on >= today,
    )


def _listed_case_or_404(meeting_id: int, case_id: int) -> tuple[Meeting, Case]:
    """The meeting and a case on its agenda, if the user sits on the panel, may see the agenda
    (R3) and may see the case; otherwise the 404 of a case that does not exist."""
    found = policy.meeting_or_404(current_user, meeting_id)
    sits = policy.viewer_of(current_user).panels.sits_on(found.panel_id)
    if not (
        sits
        and policy.may_see_agenda(current_user, found)
        and case_id in queries.agenda_case_ids(found)
    ):
        policy.refuse(current_user, "cases", case_id, {"meeting_id": [None, meeting_id]})
    return found, policy.case_or_404(current_user, case_id)
