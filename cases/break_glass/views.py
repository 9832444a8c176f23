"""Emergency access pages: asking for it, ending it, and the coordinators' alerts and reviews
(security R19). The case page's banner is `templates/break_glass/_banner.html`, fed by the
`emergency_grant_for(case)` template global registered here."""

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
from app.database import db
from app.database import utcnow
from app.errors import DomainError
from app.routing import LARGEST_ID
from app.security import signed_in
from audit import AuditAction
from audit import Outcome
from cases import policy
from cases.break_glass import queries
from cases.break_glass import services as break_glass
from cases.break_glass.forms import CANNOT
from cases.break_glass.forms import EmergencyAccessForm
from cases.break_glass.forms import ReviewForm
from cases.break_glass.models import BreakGlassGrant
from cases.models import REFERENCE_PREFIX
from cases.models import Case
from cases.queries import parse_reference

bp = Blueprint("break_glass", __name__)


@bp.before_app_request
def end_expired_grants() -> None:
    """A grant past its end is not in force (the policy reads it so, and writes nothing); its
    end is recorded here, on the holder's next request, at the time it ran out."""
    if current_user.is_authenticated:
        break_glass.end_expired(actor=current_user, now=utcnow())


@bp.route("/emergency-access", methods=["GET", "POST"])
@signed_in
def start() -> str | Response:
    form = EmergencyAccessForm()
    if form.validate_on_submit():
        case = _case_for_emergency(form.reference.data)
        if case is not None:
            try:
                grant = break_glass.start(
                    actor=current_user,
                    case=case,
                    reason_code=form.chosen_reason,
                    reason=form.reason.data,
                    now=utcnow(),
                )
            except DomainError as error:
                db.session.rollback()  # nothing of a refused grant is kept
                _field_for(form, error.field).errors.append(error.message)
            else:
                db.session.commit()
                return redirect(url_for("cases.show", case_id=grant.case_id))
        else:
            form.reference.errors.append(CANNOT)
            db.session.commit()  # the refusal's audit event
    return render_template("break_glass/start.html", form=form)


def _case_for_emergency(reference: str) -> Case | None:
    """The case the reference names if emergency access may be given; otherwise None, with
    the refusal recorded as any refused access is (but the form is shown again, not a 404)."""
    parsed = parse_reference(reference)
    case = None
    if parsed is not None and parsed[1] <= LARGEST_ID:
        case = policy.may_break_glass(current_user, parsed[1])
        if case is not None and REFERENCE_PREFIX[case.panel.panel_type] != parsed[0]:
            case = None
    if case is None:
        audit.record(
            actor=current_user,
            action=AuditAction.ACCESS_DENIED,
            # What was typed may be anything (even a name): only a parsed number is recorded.
            object=("cases", parsed[1] if parsed else "unreadable reference"),
            purpose="break_glass",
            outcome=Outcome.DENIED,
        )
    return case


def _field_for(form: EmergencyAccessForm, name: str | None) -> Any:
    return {"reason": form.reason, "reason_code": form.reason_code}.get(name or "", form.reference)


@bp.route("/emergency-access/<int:grant_id>/end", methods=["POST"])
@signed_in
def end(grant_id: int) -> Response:
    grant = queries.own_grant(current_user, grant_id)
    if grant is None:
        policy.refuse(current_user, "break_glass_grants", grant_id)
    reference = grant.case.reference
    try:
        break_glass.end(grant, actor=current_user, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "important")
    else:
        db.session.commit()
        flash(f"Your emergency access to case {reference} has ended", "success")
    return redirect(url_for("cases.index"))


@bp.route("/alerts")
@signed_in
def alerts() -> str:
    shown = queries.alerts_for(current_user)
    audit.record(
        actor=current_user,
        action=AuditAction.ALERTS_VIEWED,
        changes={"results": [None, len(shown)]},
    )
    page = render_template("break_glass/alerts.html", alerts=shown, limit=queries.ALERTS_SHOWN)
    db.session.commit()
    return page


@bp.route("/alerts/<int:grant_id>/review", methods=["GET", "POST"])
@signed_in
def review(grant_id: int) -> str | Response:
    grant = queries.reviewable_grant(current_user, grant_id)
    if grant is None:
        policy.refuse(current_user, "break_glass_grants", grant_id)
    form = ReviewForm()
    if grant.reviewed_at is None and form.validate_on_submit():
        try:
            break_glass.review(
                grant, actor=current_user, outcome=form.chosen_outcome, note=form.note.data
            )
        except DomainError as error:
            db.session.rollback()
            (form.note if error.field == "note" else form.outcome).errors.append(error.message)
        else:
            db.session.commit()
            flash(
                f"Your review of emergency access to {grant.case.reference} is recorded", "success"
            )
            return redirect(url_for("break_glass.alerts"))
    # The page shows the sealed reason (and any review note): reading it is recorded.
    audit.record(actor=current_user, action=AuditAction.ALERTS_VIEWED, object=grant)
    page = render_template(
        "break_glass/review.html", grant=grant, form=form, ended_at=_ended_at(grant)
    )
    db.session.commit()
    return page


def _ended_at(grant: BreakGlassGrant) -> datetime | None:
    """When the access ended, counting a time box run out that its holder has not yet come
    back to notice (the end event is written on their next request)."""
    if grant.ended_at is not None:
        return grant.ended_at
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
