"""Emergency access pages: asking for it, ending it (or withdrawing a request for it), and the
coordinators' alerts, decisions on requests beyond the limits, and reviews (security R19). The
case page's banner is `templates/break_glass/_banner.html`, fed by the `emergency_grant_for`
template global registered here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

import audit
from app.auth import step_up
from app.database import utcnow
from app.security import signed_in
from app.unit_of_work import attempt
from app.unit_of_work import before_commit
from app.unit_of_work import when_writing
from audit import AuditAction
from audit import Outcome
from cases import policy
from cases.break_glass import queries
from cases.break_glass import services as break_glass
from cases.break_glass.forms import CANNOT
from cases.break_glass.forms import DecisionForm
from cases.break_glass.forms import EmergencyAccessForm
from cases.break_glass.forms import ReviewForm
from cases.break_glass.models import AlertKind
from cases.break_glass.models import BreakGlassGrant
from cases.models import Case
from cases.queries import case_named_by
from cases.queries import parse_reference

bp = Blueprint("break_glass", __name__)


def end_expired_grants() -> None:
    """A grant past its end is not in force (the policy reads it so, and writes nothing). When
    the policy noticed one in this request, its end is recorded before the request commits,
    dated when it ran out (after the page, if the request only reads). Run by the unit of
    work (registered below)."""
    if not current_user.is_authenticated:
        return
    viewer = policy.viewer_seen(current_user)
    if viewer is not None and viewer.expired_grants:
        actor, now = current_user._get_current_object(), utcnow()
        when_writing(lambda: break_glass.end_expired(actor=actor, now=now))


bp.register_error_handler(429, step_up.throttled_page)


@bp.route("/emergency-access", methods=["GET", "POST"])
@signed_in
@step_up.code_limit
def start() -> str | Response:
    """Ask for emergency access to a case, confirmed with a fresh security code: given at once
    (within the panel's limits, and if a coordinator can review it), and reviewed afterwards.
    Beyond the limits it is a request, given when a coordinator approves it; the page lists
    the user's requests (by case reference) and what became of them."""
    form = EmergencyAccessForm()
    if form.validate_on_submit():
        case = _case_for_emergency(form.reference.data)
        if case is None:
            form.reference.errors.append(CANNOT)
        elif not step_up.code_accepted(current_user, form.code.data):
            # The failed check is on the record (outside `attempt`, so it stays there).
            form.code.errors.append(step_up.CODE_FAILED)
        else:
            with attempt(form, field="reference") as done:
                grant = break_glass.start(
                    actor=current_user,
                    case=case,
                    reason_code=form.chosen_reason,
                    reason=form.reason.data,
                    now=utcnow(),
                )
            if done and grant.awaiting_approval:
                flash(
                    f"You have reached your limits for emergency access, so your request for "
                    f"case {case.reference} has gone to the coordinators of its panel. You will "
                    "get access when one of them approves it: it is listed below until then",
                    "important",
                )
                return redirect(url_for("break_glass.start"))
            if done:
                step_up.renew_session()  # a privilege change: a new session id (R9)
                return redirect(url_for("cases.show", case_id=grant.case_id))
            if isinstance(done.error, break_glass.Refused):
                _record_refusal(case, done.error.why)
    return render_template(
        "break_glass/start.html",
        form=form,
        requests=queries.own_requests(current_user, now=utcnow()),
        now=utcnow(),
    )


def _record_refusal(case: Case, why: str) -> None:
    """A grant the rules refuse (no reviewer, or beyond the limits) is a refused access."""
    audit.record(
        actor=current_user,
        action=AuditAction.ACCESS_DENIED,
        object=case,
        purpose="break_glass",
        outcome=Outcome.DENIED,
        changes={"refused": [None, why]},
    )


def _case_for_emergency(reference: str) -> Case | None:
    """The case the reference names if emergency access may be given; otherwise None, with
    the refusal recorded as any refused access is (but the form is shown again, not a 404)."""
    case = case_named_by(reference, lambda number: policy.may_break_glass(current_user, number))
    if case is None:
        parsed = parse_reference(reference)
        audit.record(
            actor=current_user,
            action=AuditAction.ACCESS_DENIED,
            # What was typed may be anything (even a name): only a parsed number is recorded.
            object=("cases", parsed[1] if parsed else "unreadable reference"),
            purpose="break_glass",
            outcome=Outcome.DENIED,
        )
    return case


@bp.route("/emergency-access/<int:grant_id>/end", methods=["POST"])
@signed_in
def end(grant_id: int) -> Response:
    """End the signed-in user's own emergency access to a case, or withdraw their request for
    it while it still awaits a coordinator's decision."""
    grant = queries.own_grant(current_user, grant_id)
    if grant is None:
        policy.refuse(current_user, "break_glass_grants", grant_id)
    reference = grant.case.reference
    if grant.approval_needed and not grant.given:
        with attempt() as done:
            break_glass.withdraw(grant, actor=current_user, now=utcnow())
        if done.error:
            flash(done.error.message, "important")
        else:
            flash(f"Your request for emergency access to case {reference} is withdrawn", "success")
        return redirect(url_for("break_glass.start"))
    with attempt() as done:
        break_glass.end(grant, actor=current_user, now=utcnow())
    if done.error:
        flash(done.error.message, "important")
    else:
        flash(f"Your emergency access to case {reference} has ended", "success")
    return redirect(url_for("cases.index"))


@bp.route("/alerts")
@signed_in
def alerts() -> str:
    """The coordinator's alerts: emergency access given to their panels' cases, and subject
    access requests matched to someone in a case of a panel whose type asks for that."""
    shown = queries.alerts_for(current_user)
    audit.record(
        actor=current_user,
        action=AuditAction.ALERTS_VIEWED,
        changes={"results": [None, len(shown)]},
    )
    return render_template(
        "break_glass/alerts.html",
        alerts=shown,
        limit=queries.ALERTS_SHOWN,
        alert_labels={kind.value: kind.label for kind in AlertKind},
        alert_hints={kind.value: kind.hint for kind in AlertKind if kind.hint},
        urgent_kinds={kind.value for kind in AlertKind if kind.urgent},
        decision_kinds={kind.value for kind in AlertKind if kind.asks_a_decision},
    )


@bp.route("/alerts/<int:alert_id>/seen", methods=["POST"])
@signed_in
def acknowledge(alert_id: int) -> Response:
    """Mark an alert that asks nothing more (not emergency access) as seen."""
    alert = queries.own_alert(current_user, alert_id)
    if alert is None:
        policy.refuse(current_user, "case_alerts", alert_id)
    with attempt() as done:
        break_glass.acknowledge_alert(alert, actor=current_user)
    if done.error:
        flash(done.error.message, "important")
    return redirect(url_for("break_glass.alerts"))


@bp.route("/alerts/<int:grant_id>/review", methods=["GET", "POST"])
@signed_in
def review(grant_id: int) -> str | Response:
    """One emergency access, with its sealed reason and the form to review it."""
    grant = queries.reviewable_grant(current_user, grant_id)
    if grant is None:
        policy.refuse(current_user, "break_glass_grants", grant_id)
    if not grant.given:
        # A request beyond the limits: decided first, and reviewed only if it was approved.
        return redirect(url_for("break_glass.decide", grant_id=grant.id))
    form = ReviewForm()
    if grant.reviewed_at is None and form.validate_on_submit():
        with attempt(form, field="outcome") as done:
            break_glass.review(
                grant, actor=current_user, outcome=form.chosen_outcome, note=form.note.data
            )
        if done:
            flash(
                f"Your review of emergency access to {grant.case.reference} is recorded", "success"
            )
            return redirect(url_for("break_glass.alerts"))
    # The page shows the sealed reason (and any review note): reading it is recorded.
    audit.record(actor=current_user, action=AuditAction.ALERTS_VIEWED, object=grant)
    return render_template(
        "break_glass/review.html", grant=grant, form=form, ended_at=_ended_at(grant)
    )


@bp.route("/alerts/<int:grant_id>/decide", methods=["GET", "POST"])
@signed_in
def decide(grant_id: int) -> str | Response:
    """A request for emergency access made beyond the person's limits, with its sealed reason
    and the form to approve or decline it (issue 26); once decided, what became of it."""
    grant = queries.reviewable_grant(current_user, grant_id)
    if grant is None:
        policy.refuse(current_user, "break_glass_grants", grant_id)
    if not grant.approval_needed:
        return redirect(url_for("break_glass.review", grant_id=grant.id))
    form = DecisionForm()
    if form.validate_on_submit():
        reference = grant.case.reference
        with attempt(form, field="decision") as done:
            if form.approving:
                break_glass.approve(grant, actor=current_user, now=utcnow())
            else:
                break_glass.decline(grant, actor=current_user, note=form.note.data, now=utcnow())
        if done:
            what = "approved" if form.approving else "declined"
            flash(f"You {what} the request for emergency access to {reference}", "success")
            return redirect(url_for("break_glass.alerts"))
        if isinstance(done.error, break_glass.AlreadyDecided):
            # Decided meanwhile (by another coordinator, or in another tab): say so, and show
            # the decision that stands.
            flash(done.error.message, "important")
            return redirect(url_for("break_glass.decide", grant_id=grant.id))
    # The page shows the sealed reason (and any decision note): reading it is recorded.
    audit.record(actor=current_user, action=AuditAction.ALERTS_VIEWED, object=grant)
    return render_template(
        "break_glass/decide.html",
        grant=grant,
        form=form,
        activity=queries.activity_of(grant.user, now=utcnow()),
        hours=grant.case.panel.settings.break_glass_hours,
    )


def _ended_at(grant: BreakGlassGrant) -> datetime | None:
    """When the access ended, counting a time box run out that its holder has not yet come
    back to notice (the end event is written on their next request)."""
    if grant.ended_at is not None:
        return grant.ended_at
    if grant.expires_at is None:
        return None
    return grant.expires_at if grant.expires_at <= utcnow() else None


# Wiring: the case page's banner and the coordinators' navigation item ----------------------


def emergency_grant_for(case: Case) -> queries.EmergencyAccess | None:
    """For templates: the signed-in user's live emergency access to the case, if any."""
    if not current_user.is_authenticated:
        return None
    return queries.emergency_access(current_user, case)


def alerts_navigation() -> dict[str, Any] | None:
    """ "Alerts (N unread)" in the service navigation, for coordinators only: counted once per
    request, though the navigation is drawn for every template (form widgets included)."""
    if "alerts_navigation" not in g:
        g.alerts_navigation = _alerts_item()
    item: dict[str, Any] | None = g.alerts_navigation
    return item


def _alerts_item() -> dict[str, Any] | None:
    if not current_user.is_authenticated:
        return None
    try:
        if not queries.coordinates_any_panel(current_user):
            return None
        unread = queries.unread_alert_count(current_user)
    except SQLAlchemyError:
        # An error page drawn after a failed transaction (or with the database down) must
        # still render: the item is left out rather than failing the page again.
        return None
    href = url_for("break_glass.alerts")
    return {
        "text": f"Alerts ({unread} unread)",
        "href": href,
        "active": request.path.startswith(href),
    }


@bp.record_once
def _register_template_helpers(state: BlueprintSetupState) -> None:
    app = state.app
    app.add_template_global(emergency_grant_for)
    app.extensions.setdefault("navigation_items", []).append(alerts_navigation)
    before_commit(app, end_expired_grants)
