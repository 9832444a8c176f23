"""Drafting a referral: start, the task list and its sections, the people in it, check answers
and submit, and withdraw. Only the referrer changes a draft (or a returned referral)."""

from __future__ import annotations

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from werkzeug.wrappers import Response

import audit
from app.security import signed_in
from app.unit_of_work import attempt
from audit import AuditAction
from cases import policy
from cases.models import CaseRole
from cases.referrals import queries
from cases.referrals import services
from cases.referrals.forms import SECTION_FORMS
from cases.referrals.forms import PersonForm
from cases.referrals.forms import ReasonsForm
from cases.referrals.forms import StartForm
from cases.referrals.models import Referral
from cases.referrals.rules import answers_of
from cases.referrals.rules import completed_sections
from cases.referrals.rules import people_of
from cases.referrals.views import bp
from cases.referrals.views import record_read
from cases.referrals.views import summary
from panels.instruments.asb_matrix import MatrixForm
from panels.instruments.dash import DASH_ITEMS
from panels.instruments.dash import DashForm
from panels.instruments.section import SectionForm
from panels.types.common import FormSection
from panels.types.common import RiskTool

ROLES_BY_NAME = {
    role.value: role for role in (CaseRole.VICTIM, CaseRole.PERPETRATOR, CaseRole.CHILD)
}


@bp.route("/referrals")
@signed_in
def index() -> str:
    """The user's own referrals, and those waiting for them to screen."""
    mine = queries.referrals_by(current_user)
    to_screen = queries.awaiting_screening(current_user)
    audit.record(actor=current_user, action=AuditAction.REFERRAL_LIST_VIEWED)
    return render_template("referrals/index.html", mine=mine, to_screen=to_screen)


@bp.route("/referrals/new", methods=["GET", "POST"])
@signed_in
def start() -> str | Response:
    """Start a referral to one of the user's panels."""
    panels = queries.panels_to_refer_to(current_user)
    form = StartForm()
    form.panel_id.choices = [(str(p.id), f"{p.name} ({p.area.name})") for p in panels]
    if form.validate_on_submit():
        panel = next(p for p in panels if str(p.id) == form.panel_id.data)
        with attempt(form, field="panel_id") as done:
            referral = services.start_referral(actor=current_user, panel=panel)
        if done:
            return redirect(url_for("referrals.show", referral_id=referral.id))
    return render_template("referrals/start.html", form=form, panels=panels)


@bp.route("/referrals/<int:referral_id>")
@signed_in
def show(referral_id: int) -> str:
    """A referral: its task list for the referrer while it can be edited, else its summary."""
    referral = policy.referral_or_404(current_user, referral_id)
    audit.record(actor=current_user, action=AuditAction.REFERRAL_VIEWED, object=referral)
    if _editable_by_me(referral):
        return render_template(
            "referrals/task_list.html",
            referral=referral,
            done=completed_sections(referral),
            sections=referral.panel.spec.sections,
        )
    return render_template("referrals/summary.html", **summary(referral))


@bp.route("/referrals/<int:referral_id>/sections/<section>", methods=["GET", "POST"])
@signed_in
def section(referral_id: int, section: str) -> str | Response:
    """One section of a draft, shown as saved and saved as typed."""
    referral = _own_draft_or_404(referral_id)
    chosen = _section_or_404(referral, section)
    if chosen is FormSection.PEOPLE:
        return redirect(url_for("referrals.people", referral_id=referral.id))
    form = _section_form(referral, chosen)
    if request.method == "GET":
        form.fill(answers_of(referral).get(chosen.value, {}))
    if form.validate_on_submit():
        services.save_section(referral, actor=current_user, section=chosen, data=form.to_data())
        return redirect(url_for("referrals.show", referral_id=referral.id))
    record_read(referral)
    return render_template(
        "referrals/section.html", referral=referral, section=chosen, form=form, dash=DASH_ITEMS
    )


@bp.route("/referrals/<int:referral_id>/people")
@signed_in
def people(referral_id: int) -> str:
    """The people in a draft, to add or remove."""
    referral = _own_draft_or_404(referral_id)
    record_read(referral)
    return render_template("referrals/people.html", referral=referral, people=people_of(referral))


@bp.route("/referrals/<int:referral_id>/people/add/<role>", methods=["GET", "POST"])
@signed_in
def add_person(referral_id: int, role: str) -> str | Response:
    """Add a victim, perpetrator or child to a draft."""
    referral = _own_draft_or_404(referral_id)
    if role not in ROLES_BY_NAME:
        abort(404)
    form = PersonForm()
    if form.validate_on_submit():
        entries = [*people_of(referral), form.to_entry(ROLES_BY_NAME[role])]
        services.save_section(
            referral, actor=current_user, section=FormSection.PEOPLE, data={"people": entries}
        )
        return redirect(url_for("referrals.people", referral_id=referral.id))
    return render_template(
        "referrals/person.html", referral=referral, form=form, role=ROLES_BY_NAME[role]
    )


@bp.route("/referrals/<int:referral_id>/people/<int:number>/remove", methods=["POST"])
@signed_in
def remove_person(referral_id: int, number: int) -> Response:
    """Remove one person from a draft."""
    referral = _own_draft_or_404(referral_id)
    entries = people_of(referral)
    if number > len(entries):
        abort(404)
    del entries[number - 1]
    services.save_section(
        referral, actor=current_user, section=FormSection.PEOPLE, data={"people": entries}
    )
    flash("The person has been removed from the referral", "success")
    return redirect(url_for("referrals.people", referral_id=referral.id))


@bp.route("/referrals/<int:referral_id>/check", methods=["GET", "POST"])
@signed_in
def check(referral_id: int) -> str | Response:
    """Check a draft's answers and send it to the coordinator, or see what is left to do."""
    referral = _own_draft_or_404(referral_id)
    problems: list[tuple[FormSection, str]] = []
    if request.method == "POST":
        with attempt() as done:
            services.submit_referral(referral, actor=current_user)
        if done:
            flash(f"Referral {referral.reference} has been sent to the coordinator", "success")
            return redirect(url_for("referrals.show", referral_id=referral.id))
        if isinstance(done.error, services.ReferralIncomplete):
            problems = done.error.problems
        elif done.error:
            flash(done.error.message, "error")
    error_list = [{"text": m, "href": f"#section-{s.value}"} for s, m in problems]
    record_read(referral)
    return render_template("referrals/check.html", problems=error_list, **summary(referral))


@bp.route("/referrals/<int:referral_id>/withdraw", methods=["POST"])
@signed_in
def withdraw(referral_id: int) -> Response:
    """Withdraw the user's own referral."""
    referral = policy.referral_or_404(current_user, referral_id)
    if referral.referrer_id != current_user.id:
        policy.refuse(current_user, "referrals", referral_id)
    with attempt() as done:
        services.withdraw_referral(referral, actor=current_user)
    if done.error:
        flash(done.error.message, "error")
    else:
        flash(f"Referral {referral.reference} has been withdrawn", "success")
    return redirect(url_for("referrals.index"))


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
