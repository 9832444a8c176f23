"""Meeting packs as PDF (issue 21; domain R9, R10, R12): the agenda, the approved minutes and
an agency's actions extract, each drawn from what its page shows the user, tagged for
accessibility (app/pdf.py), with the protective marking, the handling caveat and who printed
it when on every page.

Each pack is authorised exactly as its page: the same `cases.policy` decision, the same 404
for anyone else. One more rule for the minutes: a pack is what gets printed and passed round,
so the minutes have one only once the chair has approved them (R12: draft minutes are
distributed to nobody). Until then their pack is a 404 for everyone, the coordinators and the
chair included, and their page offers none. The actions extract holds no word of the minutes'
discussion, only actions its agency already holds, so its pack follows its page: for those
running the meeting before approval, for members after. Each download is one audit event
naming the meeting and the kind of pack, never its content (R9)."""

from __future__ import annotations

from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from werkzeug.wrappers import Response

import audit
from app.database import uk_today
from app.database import utcnow
from app.pdf import PDF_MIMETYPE
from app.pdf import PdfUnavailable
from app.pdf import file_name_part
from app.pdf import printed_by
from app.pdf import render_pdf
from app.security import signed_in
from audit import AuditAction
from cases import policy
from cases.actions import queries as action_queries
from cases.meetings import queries
from cases.meetings.forms import ExtractForm
from cases.meetings.views import bp
from panels.models import Meeting


@bp.route("/meetings/<int:meeting_id>/agenda.pdf")
@signed_in
def agenda_pdf(meeting_id: int) -> Response | tuple[str, int]:
    """The meeting's attendance and agenda as a PDF, as its page shows them: for the panel's
    coordinators and for members who have accepted the meeting's statement (R3). Anyone else
    gets a 404 (the page would show them the statement instead)."""
    found = policy.meeting_or_404(current_user, meeting_id)
    if not policy.may_see_agenda(current_user, found):
        policy.refuse(current_user, "meetings", meeting_id, {"pack": [None, "agenda"]})
    today = uk_today()
    listed = queries.agenda(found, current_user)
    case_ids = [entry.case_id for entry in listed]
    runs = found.panel_id in policy.viewer_of(current_user).panels.panel_wide
    recorded = queries.research_by_case(found)
    agencies = queries.panel_agencies(found) if runs else []
    record = queries.attendance_record(found)
    organisation_id = current_user.organisation_id
    return _pack(
        found,
        "agenda",
        "meetings/pdf/agenda.html",
        title=f"Agenda: {found.panel.name}, {found.held_on:%d/%m/%Y}",
        listed=listed,
        outstanding=action_queries.outstanding_by_case(case_ids, today),
        record=record,
        held=found.held_on <= today,
        quorum=queries.quorum(found, record),
        needs=queries.quorum_needed(found),
        interests=queries.interests(found),
        research_progress={
            case_id: queries.research_progress(agencies, recorded, case_id)
            for case_id in case_ids
            if runs
        },
        researches=policy.viewer_of(current_user).panels.sits_on(found.panel_id),
        researched={case_id for case_id, rows in recorded.items() if organisation_id in rows},
    )


@bp.route("/meetings/<int:meeting_id>/minutes.pdf")
@signed_in
def minutes_pdf(meeting_id: int) -> Response | tuple[str, int]:
    """The approved minutes as a PDF, for those they were distributed to: the panel's
    coordinators and chairs, and members whose agency attended or sent information (R12).
    Draft minutes have no pack; anyone else gets a 404, as for the minutes' page."""
    found, written = policy.minutes_or_404(current_user, meeting_id)
    if written is None or not written.approved:
        policy.refuse(current_user, "meetings", meeting_id, {"pack": [None, "minutes"]})
    return _pack(
        found,
        "minutes",
        "meetings/pdf/minutes.html",
        title=f"Minutes: {found.panel.name}, {found.held_on:%d/%m/%Y}",
        minutes=written,
        cases=queries.minuted_cases(found, current_user, written),
        record=queries.attendance_record(found),
    )


@bp.route("/meetings/<int:meeting_id>/minutes/actions.pdf")
@signed_in
def actions_pdf(meeting_id: int) -> Response | tuple[str, int]:
    """An agency's actions extract as a PDF, with the page's choice of agency (`?agency=`, for
    the panel's coordinators and chairs): for those who may open the extract's page (R12);
    anyone else gets a 404. A choice that is not one of the agencies goes back to the page,
    which says what is wrong."""
    found = policy.extract_or_404(current_user, meeting_id)
    viewer = policy.viewer_of(current_user)
    chooses = found.panel_id in viewer.panels.panel_wide
    agencies = queries.agencies_with_actions(found) if chooses else []
    form = ExtractForm(request.args)
    form.agency.choices = [("", "Your agency")] + [(str(a.id), a.name) for a in agencies]
    agency_id = viewer.organisation_id
    # The page's link names the agency it shows: their own, for someone who chose none.
    if chooses and form.agency.data and form.agency.data != str(agency_id):
        if not form.validate():
            page = url_for("meetings.minutes_actions", meeting_id=found.id, agency=form.agency.data)
            return redirect(page)
        agency_id = int(form.agency.data)
    agency = next((a for a in agencies if a.id == agency_id), current_user.organisation)
    actions = queries.agreed_actions(found, current_user, agency_id)
    return _pack(
        found,
        "actions",
        "meetings/pdf/actions.html",
        title=f"Actions for {agency.name}: {found.panel.name}, {found.held_on:%d/%m/%Y}",
        changes={"organisation_id": agency_id, "actions": len(actions)},
        agency=agency,
        actions=actions,
        today=uk_today(),
    )


def _pack(
    meeting: Meeting,
    kind: str,
    template: str,
    *,
    title: str,
    changes: dict[str, object] | None = None,
    **context: object,
) -> Response | tuple[str, int]:
    """The pack as a PDF file to download, and its download on the record (R9)."""
    organisation = current_user.organisation
    html = render_template(
        template,
        meeting=meeting,
        title=title,
        printed=printed_by(
            current_user.display_name, organisation.name if organisation else None, utcnow()
        ),
        **context,
    )
    try:
        pdf = render_pdf(html, base_url=request.url_root)
    except PdfUnavailable:
        return render_template("meetings/pdf/unavailable.html", meeting=meeting), 503
    audit.record(
        actor=current_user,
        action=AuditAction.MEETING_PACK_PRINTED,
        object=meeting,
        changes={"pack": kind, **(changes or {})},
    )
    response = Response(pdf, mimetype=PDF_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name(meeting, kind)}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def file_name(meeting: Meeting, kind: str) -> str:
    """The download's name: the panel, the meeting's date and the kind of pack, no personal
    data ("thornbury-marac-2026-11-30-minutes.pdf")."""
    panel = file_name_part(meeting.panel.name) or "panel"
    return f"{panel}-{meeting.held_on:%Y-%m-%d}-{kind}.pdf"
