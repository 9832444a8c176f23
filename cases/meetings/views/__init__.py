"""Meeting pages: every meeting of your panels (adding one), a meeting with its agenda and
attendance, the confidentiality statement a member accepts before seeing one (R3), recording
attendance (R2, R3) and declarations of interest, and listing a referral at a meeting and
recording it as heard. The minutes and the actions extract are `minutes` (R12).

The blueprint is defined here; `minutes` adds its routes to it when imported (below)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint
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
from app.routing import page_argument
from app.routing import pagination
from app.security import signed_in
from app.unit_of_work import attempt
from audit import AuditAction
from cases import policy
from cases.actions import queries as action_queries
from cases.meetings import queries
from cases.meetings import services
from cases.meetings.forms import InterestForm
from cases.meetings.forms import ListingForm
from cases.meetings.forms import MeetingFilterForm
from cases.meetings.forms import MeetingForm
from cases.meetings.forms import WithdrawInterestForm
from cases.meetings.forms import add_errors
from cases.meetings.forms import attendance_form
from cases.meetings.rules import not_held_yet
from cases.referrals import services as referrals
from panels import declarations
from panels import services as panel_services
from panels.declarations import CONFIDENTIALITY_STATEMENT
from panels.declarations import CONFIDENTIALITY_STATEMENT_VERSION
from panels.forms import DeclarationForm
from panels.models import Meeting
from panels.models import MeetingKind

bp = Blueprint("meetings", __name__)


@bp.route("/meetings", methods=["GET", "POST"])
@signed_in
def index() -> str | Response:
    """Every meeting of the user's panels, past and to come, filtered and paged; and for
    coordinators a form to add one. Someone who sits on no panel is told so."""
    today = uk_today()
    panels = queries.coordinated_panels(current_user)
    form = MeetingForm()
    form.panel_id.choices = [("", "Choose a panel")] + [(str(p.id), p.name) for p in panels]
    if form.validate_on_submit():
        panel = next((p for p in panels if str(p.id) == form.panel_id.data), None)
        if panel is None:
            form.panel_id.errors.append("Select one of the panels you coordinate")
        elif form.plausible_date(today):
            assert form.held_on.data is not None
            with attempt(form, field="held_on") as done:
                panel_services.schedule_meeting(
                    actor=current_user,
                    panel=panel,
                    held_on=form.held_on.data,
                    kind=MeetingKind(form.kind.data),
                )
            if done:
                flash("The meeting has been added", "success")
                return redirect(url_for("meetings.index"))
    member_of = queries.panels_with_meetings(current_user)
    filters = MeetingFilterForm.for_panels(member_of, request.args)
    listing = (
        queries.browse(current_user, filters.filters(), page=page_argument(), today=today)
        if member_of and filters.validate()
        else None
    )
    return render_template(
        "meetings/index.html",
        form=form,
        filters=filters,
        errors=error_summary_items(filters) + error_summary_items(form),
        listing=listing,
        panels=panels,
        member_of=member_of,
        today=today,
        pagination=pagination("meetings.index", listing.page, listing.pages, filters.query_args())
        if listing
        else None,
    )


@bp.route("/meetings/<int:meeting_id>")
@signed_in
def show(meeting_id: int) -> str:
    """The agenda and attendance, for the panel's coordinators and for members who have
    accepted the confidentiality statement for this meeting; other members see the statement
    (R3)."""
    found = policy.meeting_or_404(current_user, meeting_id)
    if not policy.may_see_agenda(current_user, found):
        form = DeclarationForm(statement_version=CONFIDENTIALITY_STATEMENT_VERSION)
        return _declaration_page(found, form)
    written = queries.minutes_of(found)
    listed = queries.agenda(found, current_user)
    # R13: each case's outstanding actions come up for review at its next meeting.
    outstanding = action_queries.outstanding_by_case(
        [r.case_id for r in listed if r.case_id], uk_today()
    )
    record = queries.attendance_record(found)
    audit.record(actor=current_user, action=AuditAction.MEETING_VIEWED, object=found)
    runs = _runs(found)
    # Research (domain §2.6, R7): those running the meeting see which agencies on the panel
    # have researched each case; a member sees only their own agency's.
    recorded = queries.research_by_case(found)
    agencies = queries.panel_agencies(found) if runs else []
    organisation_id = current_user.organisation_id
    sits = policy.viewer_of(current_user).panels.sits_on(found.panel_id)
    return render_template(
        "meetings/show.html",
        meeting=found,
        listed=listed,
        outstanding=outstanding,
        record=record,
        # The verdict only once the meeting is held; before it, what it will need.
        held=found.held_on <= uk_today(),
        quorum=queries.quorum(found, record),
        needs=queries.quorum_needed(found),
        interests=queries.interests(found),
        runs=runs,
        research_progress={
            r.case_id: queries.research_progress(agencies, recorded, r.case_id)
            for r in listed
            if r.case_id and runs
        },
        own_research={
            case_id: rows[organisation_id]
            for case_id, rows in recorded.items()
            if organisation_id in rows
        },
        researches=sits,
        research_open=found.held_on >= uk_today(),
        coordinates=policy.coordinates(current_user, found.panel_id),
        agenda_published=found.agenda_published(uk_today()),
        withdraw=WithdrawInterestForm() if runs else None,
        minutes=written,
        minutes_shown=policy.may_read_minutes(current_user, found, written),
        extract_shown=policy.may_open_extract(current_user, found, written),
        # The coordinator attends too: they accept the statement like everyone else (R3).
        declaration=DeclarationForm(statement_version=CONFIDENTIALITY_STATEMENT_VERSION)
        if not policy.declared(current_user, found) and found.held_on >= uk_today()
        else None,
    )


@bp.route("/meetings/<int:meeting_id>/attendance", methods=["GET", "POST"])
@signed_in
def attendance(meeting_id: int) -> str | Response:
    """Record who attended for each agency, apologies, agencies that sent information and
    observers: for the panel's coordinators and chairs (R2, R3)."""
    found = policy.meeting_or_404(current_user, meeting_id)
    if not _runs(found):
        policy.refuse(current_user, "meetings", meeting_id)
    today = uk_today()
    members = queries.panel_members(found)
    record = queries.attendance_record(found)
    form = attendance_form(members, record, request.form if request.method == "POST" else None)
    changed_meanwhile = False
    held = found.held_on <= today
    # Before the meeting's day the page says when attendance can be recorded, with no form.
    if held and form.validate_on_submit():
        # Not attempt(form): a refusal may name several fields (AttendanceProblems).
        with attempt() as done:
            services.record_attendance(
                found,
                actor=current_user,
                seen=form.seen.data or None,
                statuses=form.statuses(),
                information_from={int(value) for value in form.information.data or []},
                observers=form.observers(),
                today=today,
            )
        if done:
            flash("Attendance saved", "success")
            return redirect(url_for("meetings.show", meeting_id=found.id, _anchor="attendance"))
        assert done.error is not None
        add_errors(form, done.error)
        if isinstance(done.error, services.AttendanceChangedMeanwhile):
            # Their entries stay; saving again, having seen the new attendance, applies them.
            changed_meanwhile = True
            record = queries.attendance_record(found)
            form.seen.data = record.fingerprint
    return render_template(
        "meetings/attendance.html",
        meeting=found,
        form=form,
        errors=error_summary_items(form) if held else [],
        declared=queries.declared_user_ids(found),
        interested=queries.interested_user_ids(found),
        record=record,
        changed_meanwhile=changed_meanwhile,
        held=held,
        not_held_yet=not_held_yet(found.held_on),
    )


@bp.route("/meetings/<int:meeting_id>/interests", methods=["GET", "POST"])
@signed_in
def interests(meeting_id: int) -> str | Response:
    """Record that an attendee declared an interest in a case on the agenda, and left the
    meeting for that item: for coordinators and chairs who may see the agenda."""
    found = policy.meeting_or_404(current_user, meeting_id)
    if not (_runs(found) and policy.may_see_agenda(current_user, found)):
        policy.refuse(current_user, "meetings", meeting_id)
    cases = {r.case.id: r.case for r in queries.agenda(found, current_user) if r.case}
    attendees = queries.attendance_record(found).attended()
    form = InterestForm(case_id=request.args.get("case", ""))
    form.case_id.choices = [("", "Choose a case")] + [
        (str(case.id), case.reference) for case in cases.values()
    ]
    form.attendee_id.choices = [("", "Choose who declared")] + [
        (str(row.user_id), f"{row.user.display_name} ({row.organisation.name})")
        for row in attendees
    ]
    if form.validate_on_submit():
        case = cases[int(form.case_id.data)]
        with attempt(form, field="attendee_id") as done:
            services.declare_interest(
                found, actor=current_user, case=case, attendee_id=int(form.attendee_id.data)
            )
        if done:
            flash(f"Declaration of interest recorded for {case.reference}", "success")
            return redirect(url_for("meetings.show", meeting_id=found.id, _anchor="agenda"))
    return render_template(
        "meetings/interests.html",
        meeting=found,
        form=form,
        errors=error_summary_items(form),
        attendees=attendees,
    )


@bp.route("/meetings/<int:meeting_id>/interests/withdraw", methods=["POST"])
@signed_in
def withdraw_interest(meeting_id: int) -> Response:
    """Remove a declaration of interest recorded in error: for the coordinators and chairs
    who may record one, on a case of the agenda they may see. A declaration that is not this
    meeting's, or is on a case closed to the user, is answered as one already removed."""
    found = policy.meeting_or_404(current_user, meeting_id)
    if not (_runs(found) and policy.may_see_agenda(current_user, found)):
        policy.refuse(current_user, "meetings", meeting_id)
    form = WithdrawInterestForm()
    declaration = (
        queries.interest_of(found, form.declaration()) if form.validate_on_submit() else None
    )
    visible = {r.case_id for r in queries.agenda(found, current_user)}
    if declaration is None or declaration.case_id not in visible:
        flash("That declaration of interest is not recorded at this meeting", "error")
        return redirect(url_for("meetings.show", meeting_id=found.id, _anchor="agenda"))
    name = declaration.user.display_name
    with attempt() as done:
        services.withdraw_interest(found, actor=current_user, declaration=declaration)
    if done:
        flash(f"{name}’s declaration of interest has been removed", "success")
    elif done.error:
        flash(done.error.message, "error")
    return redirect(url_for("meetings.show", meeting_id=found.id, _anchor="agenda"))


@bp.route("/meetings/<int:meeting_id>/declaration", methods=["POST"])
@signed_in
def declaration(meeting_id: int) -> str | Response:
    """Accept the meeting's confidentiality statement, then see its agenda."""
    found = policy.meeting_or_404(current_user, meeting_id)
    form = DeclarationForm()
    if form.validate_on_submit():
        with attempt() as done:
            declarations.accept_confidentiality(
                actor=current_user, meeting=found, statement_version=form.statement_version.data
            )
        if done:
            policy.forget_cached_viewer()
            return redirect(url_for("meetings.show", meeting_id=found.id))
        if done.error:  # next to the button whatever its field: the version is a hidden input
            form.submit.errors = [done.error.message]
    form.statement_version.data = CONFIDENTIALITY_STATEMENT_VERSION
    return _declaration_page(found, form)


@bp.route("/referrals/<int:referral_id>/list", methods=["GET", "POST"])
@signed_in
def list_referral(referral_id: int) -> str | Response:
    """List an accepted referral at one of its panel's meetings."""
    referral = policy.coordinated_referral_or_404(current_user, referral_id)
    # Meetings from the referral date, but no further back than two months: a coordinator may
    # record a recent meeting after the event, and the next ones always fit in the choice.
    since = max(referral.referred_on or uk_today(), uk_today() - timedelta(days=61))
    meetings = queries.upcoming_meetings(referral.panel_id, since)
    form = ListingForm()
    form.meeting_id.choices = [
        (str(m.id), f"{m.held_on:%d/%m/%Y} ({m.kind.label.lower()})") for m in meetings
    ]
    if form.validate_on_submit():
        meeting = next(m for m in meetings if str(m.id) == form.meeting_id.data)
        with attempt(form, field="meeting_id") as done:
            services.list_referral(referral, actor=current_user, meeting=meeting)
        if done:
            flash(f"Listed for the meeting on {meeting.held_on:%d/%m/%Y}", "success")
            return redirect(url_for("referrals.show", referral_id=referral.id))
    return render_template("meetings/list.html", referral=referral, form=form, meetings=meetings)


@bp.route("/referrals/<int:referral_id>/heard", methods=["POST"])
@signed_in
def heard(referral_id: int) -> Response:
    """Record that a listed referral was heard at its meeting."""
    referral = policy.coordinated_referral_or_404(current_user, referral_id)
    with attempt() as done:
        referrals.mark_heard(referral, actor=current_user, today=uk_today())
    if done.error:
        flash(done.error.message, "error")
    else:
        flash("Recorded as heard at the meeting", "success")
    return redirect(url_for("referrals.show", referral_id=referral.id))


def _runs(meeting: Meeting) -> bool:
    """Whether the user runs the meeting: its panel's coordinators and chairs."""
    return meeting.panel_id in policy.viewer_of(current_user).panels.panel_wide


def _declaration_page(meeting: Meeting, form: DeclarationForm) -> str:
    """The statement to accept; for a meeting already held, the minutes and the actions
    extract of an agency that received them are linked from here (R12): a colleague who did
    not attend could not accept the statement afterwards."""
    written = queries.minutes_of(meeting)
    return render_template(
        "meetings/declaration.html",
        meeting=meeting,
        # Those who run the meeting prepare its agenda before it opens to members.
        published=meeting.agenda_published(uk_today()) or _runs(meeting),
        form=form,
        confidentiality_statement=CONFIDENTIALITY_STATEMENT,
        today=uk_today(),
        minutes=written,
        minutes_shown=policy.may_read_minutes(current_user, meeting, written),
        extract_shown=policy.may_open_extract(current_user, meeting, written),
    )


# The job modules register their routes on `bp` when imported.
from cases.meetings.views import agenda  # noqa: E402, F401
from cases.meetings.views import minutes  # noqa: E402, F401
from cases.meetings.views import packs  # noqa: E402, F401
from cases.meetings.views import research  # noqa: E402, F401
