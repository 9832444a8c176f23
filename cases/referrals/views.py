"""Referral pages: start, the task list and its sections, check answers and submit; screening
with identity matching; listing at meetings; the meeting calendar; case transfer."""

from __future__ import annotations

from datetime import date
from datetime import timedelta
from typing import Any

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from werkzeug.wrappers import Response

import audit
from app.database import db
from app.database import uk_today
from app.errors import DomainError
from app.security import signed_in
from audit import AuditAction
from cases import policy
from cases.actions import queries as action_queries
from cases.meetings import queries as declaration_queries
from cases.meetings.queries import AttendedMeeting
from cases.models import CaseRole
from cases.people.repeats import Suggestion
from cases.people.repeats import suggest_people
from cases.referrals import queries
from cases.referrals import services
from cases.referrals.forms import SECTION_FORMS
from cases.referrals.forms import DashForm
from cases.referrals.forms import DecisionForm
from cases.referrals.forms import ListingForm
from cases.referrals.forms import MatrixForm
from cases.referrals.forms import MeetingForm
from cases.referrals.forms import PersonForm
from cases.referrals.forms import ReasonsForm
from cases.referrals.forms import SectionForm
from cases.referrals.forms import StartForm
from cases.referrals.forms import TransferForm
from cases.referrals.models import Referral
from cases.referrals.rules import answers_of
from cases.referrals.rules import completed_sections
from cases.referrals.rules import effective_criteria
from cases.referrals.rules import people_of
from cases.sharing import rules as sharing_rules
from panels import declarations
from panels import services as panel_services
from panels.forms import DeclarationForm
from panels.models import Meeting
from panels.models import MeetingKind
from panels.models import Panel
from panels.registry import CONFIDENTIALITY_STATEMENT
from panels.registry import CONFIDENTIALITY_STATEMENT_VERSION
from panels.registry import DASH_ITEMS
from panels.registry import FormSection
from panels.registry import ReferralStatus
from panels.registry import RiskTool

bp = Blueprint("referrals", __name__)

ROLES_BY_NAME = {
    role.value: role for role in (CaseRole.VICTIM, CaseRole.PERPETRATOR, CaseRole.CHILD)
}


@bp.route("/referrals")
@signed_in
def index() -> str:
    mine = queries.referrals_by(current_user)
    to_screen = queries.awaiting_screening(current_user)
    audit.record(actor=current_user, action=AuditAction.REFERRAL_LIST_VIEWED)
    db.session.commit()
    return render_template("referrals/index.html", mine=mine, to_screen=to_screen)


@bp.route("/referrals/new", methods=["GET", "POST"])
@signed_in
def start() -> str | Response:
    panels = queries.panels_to_refer_to(current_user)
    form = StartForm()
    form.panel_id.choices = [(str(p.id), f"{p.name} ({p.area.name})") for p in panels]
    if form.validate_on_submit():
        panel = next(p for p in panels if str(p.id) == form.panel_id.data)
        try:
            referral = services.start_referral(actor=current_user, panel=panel)
        except DomainError as error:
            db.session.rollback()  # nothing of a refused change is kept
            form.panel_id.errors.append(error.message)
        else:
            db.session.commit()
            return redirect(url_for("referrals.show", referral_id=referral.id))
    return render_template("referrals/start.html", form=form, panels=panels)


@bp.route("/referrals/<int:referral_id>")
@signed_in
def show(referral_id: int) -> str:
    referral = policy.referral_or_404(current_user, referral_id)
    audit.record(actor=current_user, action=AuditAction.REFERRAL_VIEWED, object=referral)
    db.session.commit()
    if _editable_by_me(referral):
        return render_template(
            "referrals/task_list.html",
            referral=referral,
            done=completed_sections(referral),
            sections=referral.panel.spec.sections,
        )
    return render_template("referrals/summary.html", **_summary(referral))


@bp.route("/referrals/<int:referral_id>/sections/<section>", methods=["GET", "POST"])
@signed_in
def section(referral_id: int, section: str) -> str | Response:
    referral = _own_draft_or_404(referral_id)
    chosen = _section_or_404(referral, section)
    if chosen is FormSection.PEOPLE:
        return redirect(url_for("referrals.people", referral_id=referral.id))
    form = _section_form(referral, chosen)
    if request.method == "GET":
        form.fill(answers_of(referral).get(chosen.value, {}))
    if form.validate_on_submit():
        services.save_section(referral, actor=current_user, section=chosen, data=form.to_data())
        db.session.commit()
        return redirect(url_for("referrals.show", referral_id=referral.id))
    _record_read(referral)
    return render_template(
        "referrals/section.html", referral=referral, section=chosen, form=form, dash=DASH_ITEMS
    )


@bp.route("/referrals/<int:referral_id>/people")
@signed_in
def people(referral_id: int) -> str:
    referral = _own_draft_or_404(referral_id)
    _record_read(referral)
    return render_template("referrals/people.html", referral=referral, people=people_of(referral))


@bp.route("/referrals/<int:referral_id>/people/add/<role>", methods=["GET", "POST"])
@signed_in
def add_person(referral_id: int, role: str) -> str | Response:
    referral = _own_draft_or_404(referral_id)
    if role not in ROLES_BY_NAME:
        abort(404)
    form = PersonForm()
    if form.validate_on_submit():
        entries = [*people_of(referral), form.to_entry(ROLES_BY_NAME[role])]
        services.save_section(
            referral, actor=current_user, section=FormSection.PEOPLE, data={"people": entries}
        )
        db.session.commit()
        return redirect(url_for("referrals.people", referral_id=referral.id))
    return render_template(
        "referrals/person.html", referral=referral, form=form, role=ROLES_BY_NAME[role]
    )


@bp.route("/referrals/<int:referral_id>/people/<int:number>/remove", methods=["POST"])
@signed_in
def remove_person(referral_id: int, number: int) -> Response:
    referral = _own_draft_or_404(referral_id)
    entries = people_of(referral)
    if number > len(entries):
        abort(404)
    del entries[number - 1]
    services.save_section(
        referral, actor=current_user, section=FormSection.PEOPLE, data={"people": entries}
    )
    db.session.commit()
    flash("The person has been removed from the referral", "success")
    return redirect(url_for("referrals.people", referral_id=referral.id))


@bp.route("/referrals/<int:referral_id>/check", methods=["GET", "POST"])
@signed_in
def check(referral_id: int) -> str | Response:
    referral = _own_draft_or_404(referral_id)
    problems: list[tuple[FormSection, str]] = []
    if request.method == "POST":
        try:
            services.submit_referral(referral, actor=current_user)
        except services.ReferralIncomplete as incomplete:
            problems = incomplete.problems
        else:
            db.session.commit()
            flash(f"Referral {referral.reference} has been sent to the coordinator", "success")
            return redirect(url_for("referrals.show", referral_id=referral.id))
    error_list = [{"text": m, "href": f"#section-{s.value}"} for s, m in problems]
    _record_read(referral)
    return render_template("referrals/check.html", problems=error_list, **_summary(referral))


@bp.route("/referrals/<int:referral_id>/withdraw", methods=["POST"])
@signed_in
def withdraw(referral_id: int) -> Response:
    referral = policy.referral_or_404(current_user, referral_id)
    if referral.referrer_id != current_user.id:
        policy.refuse(current_user, "referrals", referral_id)
    try:
        services.withdraw_referral(referral, actor=current_user)
    except DomainError as error:
        db.session.rollback()  # nothing of a refused change is kept
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"Referral {referral.reference} has been withdrawn", "success")
    return redirect(url_for("referrals.index"))


# Screening -----------------------------------------------------------------------------------


@bp.route("/referrals/<int:referral_id>/screen", methods=["GET", "POST"])
@signed_in
def screen(referral_id: int) -> str | Response:
    referral = _coordinated_referral_or_404(referral_id)
    if referral.status is not ReferralStatus.SUBMITTED:
        flash(
            f"This referral is {referral.status.label.lower()}: there is nothing to screen", "error"
        )
        return redirect(url_for("referrals.show", referral_id=referral.id))
    form = DecisionForm()
    entries = people_of(referral)
    candidates = [_suggestions(referral.panel, entry) for entry in entries]
    match_errors: dict[int, str] = {}
    if form.validate_on_submit():
        matches = _chosen_matches(entries, candidates, match_errors)
        if not match_errors:
            try:
                response = _decide(referral, form, matches)
            except DomainError as error:
                db.session.rollback()  # nothing of a refused change is kept
                (form.reason if error.field == "reason" else form.decision).errors.append(
                    error.message
                )
            else:
                db.session.commit()
                return response
    _record_read(referral)
    return render_template(
        "referrals/screen.html",
        form=form,
        candidates=candidates,
        match_errors=match_errors,
        chosen=request.form,
        **_summary(referral),
    )


def _decide(referral: Referral, form: DecisionForm, matches: list[int | None]) -> Response:
    decision = form.decision.data
    if decision == "accept":
        accepted = services.accept_referral(
            referral, actor=current_user, matches=matches, today=uk_today()
        )
        flash(
            f"Accepted as a {'repeat' if referral.is_repeat else 'new'} referral in case "
            f"{accepted.case.reference}",
            "success",
        )
        return redirect(url_for("referrals.show", referral_id=referral.id))
    if decision == "return":
        services.return_referral(referral, actor=current_user, reason=form.reason.data)
        flash("The referral has been returned to the referrer", "success")
    else:
        services.reject_referral(referral, actor=current_user, reason=form.reason.data)
        flash("The referral has been rejected", "success")
    return redirect(url_for("referrals.index"))


def _suggestions(panel: Panel, entry: dict[str, Any]) -> list[Suggestion]:
    births = [d for d in [entry.get("date_of_birth"), *entry.get("other_birth_dates", [])] if d]
    return suggest_people(
        panel,
        entry.get("given_names", ""),
        entry.get("family_name", ""),
        [date.fromisoformat(d) for d in births],
        entry.get("aliases", []),
        viewer=policy.viewer_of(current_user),
    )


def _chosen_matches(
    entries: list[dict[str, Any]], candidates: list[list[Suggestion]], errors: dict[int, str]
) -> list[int | None]:
    """The coordinator's choice for each person: "new" or one of the suggested people."""
    chosen: list[int | None] = []
    for number, (entry, suggestions) in enumerate(zip(entries, candidates, strict=True), start=1):
        value = request.form.get(f"match-{number}", "new" if not suggestions else "")
        allowed = {str(s.person.id) for s in suggestions}
        if value == "new":
            chosen.append(None)
        elif value in allowed:
            chosen.append(int(value))
        else:
            name = f"{entry.get('given_names', '')} {entry.get('family_name', '')}".strip()
            errors[number] = f"Say whether {name} is someone already known or a new person"
            chosen.append(None)
    return chosen


# Meetings -----------------------------------------------------------------------------------


@bp.route("/referrals/<int:referral_id>/list", methods=["GET", "POST"])
@signed_in
def list_for_meeting(referral_id: int) -> str | Response:
    referral = _coordinated_referral_or_404(referral_id)
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
        try:
            services.list_for_meeting(referral, actor=current_user, meeting=meeting)
        except DomainError as error:
            db.session.rollback()  # nothing of a refused change is kept
            form.meeting_id.errors.append(error.message)
        else:
            db.session.commit()
            flash(f"Listed for the meeting on {meeting.held_on:%d/%m/%Y}", "success")
            return redirect(url_for("referrals.show", referral_id=referral.id))
    return render_template("referrals/list.html", referral=referral, form=form, meetings=meetings)


@bp.route("/referrals/<int:referral_id>/heard", methods=["POST"])
@signed_in
def heard(referral_id: int) -> Response:
    referral = _coordinated_referral_or_404(referral_id)
    try:
        services.mark_heard(referral, actor=current_user, today=uk_today())
    except DomainError as error:
        db.session.rollback()  # nothing of a refused change is kept
        flash(error.message, "error")
    else:
        db.session.commit()
        flash("Recorded as heard at the meeting", "success")
    return redirect(url_for("referrals.show", referral_id=referral.id))


@bp.route("/meetings", methods=["GET", "POST"])
@signed_in
def meetings() -> str | Response:
    panels = queries.coordinated_panels(current_user)
    form = MeetingForm()
    form.panel_id.choices = [("", "Choose a panel")] + [(str(p.id), p.name) for p in panels]
    if form.validate_on_submit():
        panel = next((p for p in panels if str(p.id) == form.panel_id.data), None)
        if panel is None:
            form.panel_id.errors.append("Select one of the panels you coordinate")
        else:
            assert form.held_on.data is not None
            try:
                panel_services.schedule_meeting(
                    actor=current_user,
                    panel=panel,
                    held_on=form.held_on.data,
                    kind=MeetingKind(form.kind.data),
                )
            except DomainError as error:
                db.session.rollback()  # nothing of a refused change is kept
                form.held_on.errors.append(error.message)
            else:
                db.session.commit()
                flash("The meeting has been added", "success")
                return redirect(url_for("referrals.meetings"))
    calendar = queries.meetings_for(current_user, since=uk_today().replace(day=1))
    return render_template("referrals/meetings.html", form=form, calendar=calendar, panels=panels)


@bp.route("/meetings/<int:meeting_id>")
@signed_in
def meeting(meeting_id: int) -> str:
    """The agenda, for the panel's coordinators and for members who have accepted the
    confidentiality statement for this meeting; other members see the statement (R3)."""
    found = policy.meeting_or_404(current_user, meeting_id)
    if not policy.may_see_agenda(current_user, found):
        form = DeclarationForm(statement_version=CONFIDENTIALITY_STATEMENT_VERSION)
        return _declaration_page(found, form)
    listed = queries.agenda(found, current_user)
    # R13: each case's outstanding actions come up for review at its next meeting.
    outstanding = action_queries.outstanding_by_case(
        [r.case_id for r in listed if r.case_id], uk_today()
    )
    audit.record(actor=current_user, action=AuditAction.MEETING_VIEWED, object=found)
    db.session.commit()
    return render_template(
        "referrals/meeting.html", meeting=found, listed=listed, outstanding=outstanding
    )


@bp.route("/meetings/<int:meeting_id>/declaration", methods=["POST"])
@signed_in
def declaration(meeting_id: int) -> str | Response:
    found = policy.meeting_or_404(current_user, meeting_id)
    form = DeclarationForm()
    if form.validate_on_submit():
        try:
            declarations.accept_confidentiality(
                actor=current_user, meeting=found, statement_version=form.statement_version.data
            )
        except DomainError as error:
            db.session.rollback()  # nothing of a refused change is kept
            form.submit.errors = [error.message]
        else:
            db.session.commit()
            policy.forget_cached_viewer()
            return redirect(url_for("referrals.meeting", meeting_id=found.id))
    form.statement_version.data = CONFIDENTIALITY_STATEMENT_VERSION
    return _declaration_page(found, form)


def _declaration_page(meeting: Meeting, form: DeclarationForm) -> str:
    return render_template(
        "referrals/declaration.html",
        meeting=meeting,
        form=form,
        confidentiality_statement=CONFIDENTIALITY_STATEMENT,
        today=uk_today(),
    )


@bp.app_template_global()
def meetings_to_attend() -> list[AttendedMeeting]:
    """For the meetings page: the signed-in member's meetings on panels they do not coordinate,
    from the start of this month, with their declaration status (dates only, no agenda)."""
    if not current_user.is_authenticated:
        return []
    return declaration_queries.attended_meetings(current_user, uk_today().replace(day=1))


# Transfer -----------------------------------------------------------------------------------


@bp.route("/cases/<int:case_id>/transfer", methods=["GET", "POST"])
@signed_in
def transfer(case_id: int) -> str | Response:
    case = policy.coordinated_case_or_404(current_user, case_id)
    targets = queries.transfer_targets(case)
    originators = sharing_rules.agencies_to_agree(case, current_user.organisation_id)
    form = TransferForm()
    form.to_panel_id.choices = [(str(p.id), f"{p.name} ({p.area.name})") for p in targets]
    form.offer_agencies(originators)
    if form.validate_on_submit():
        to_panel = next(p for p in targets if str(p.id) == form.to_panel_id.data)
        assert form.transferred_on.data is not None
        basis = form.chosen_basis()
        assert basis is not None  # required by the form: a transfer shares
        try:
            services.transfer_case(
                case,
                actor=current_user,
                to_panel=to_panel,
                transferred_on=form.transferred_on.data,
                reason=form.reason.data,
                lawful_basis=basis,
                consent=form.chosen_consent(),
                agreements=form.agreements(),
                without_agreement_reason=form.without_agreement_reason.data,
            )
        except DomainError as error:
            db.session.rollback()  # nothing of a refused change is kept
            field = form._fields.get(error.field or "", form.to_panel_id)
            field.errors.append(error.message)
        else:
            db.session.commit()
            flash(f"Case {case.reference} has been transferred to {to_panel.name}", "success")
            return redirect(url_for("cases.index"))
    return render_template(
        "referrals/transfer.html", case=case, form=form, targets=targets, originators=originators
    )


# Helpers ------------------------------------------------------------------------------------


def _summary(referral: Referral) -> dict[str, Any]:
    return {
        "referral": referral,
        "answers": answers_of(referral),
        "people": people_of(referral),
        "criteria": effective_criteria(referral),
        "sections": referral.panel.spec.sections,
        "dash": DASH_ITEMS,
        "can_screen": policy.coordinates(current_user, referral.panel_id),
    }


def _section_form(referral: Referral, section: FormSection) -> SectionForm:
    if section is FormSection.REASONS:
        return ReasonsForm(referral.panel)
    if section is FormSection.RISK:
        if referral.panel.spec.risk_tool is RiskTool.DASH:
            return DashForm()
        return MatrixForm(referral.panel)
    return SECTION_FORMS[section]()


def _section_or_404(referral: Referral, name: str) -> FormSection:
    try:
        chosen = FormSection(name)
    except ValueError:
        abort(404)
    if chosen not in referral.panel.spec.sections:
        abort(404)
    return chosen


def _editable_by_me(referral: Referral) -> bool:
    return referral.referrer_id == current_user.id and referral.status in services.EDITABLE


def _own_draft_or_404(referral_id: int) -> Referral:
    """Only the referrer changes a draft (or a returned referral): anyone else gets a 404."""
    referral = policy.referral_or_404(current_user, referral_id)
    if not _editable_by_me(referral):
        policy.refuse(current_user, "referrals", referral_id)
    return referral


def _coordinated_referral_or_404(referral_id: int) -> Referral:
    referral = policy.referral_or_404(current_user, referral_id)
    if not policy.coordinates(current_user, referral.panel_id):
        policy.refuse(current_user, "referrals", referral_id)
    return referral


def _record_read(referral: Referral) -> None:
    """Every page that shows what a referral says is on the record (R9)."""
    audit.record(actor=current_user, action=AuditAction.REFERRAL_VIEWED, object=referral)
    db.session.commit()
