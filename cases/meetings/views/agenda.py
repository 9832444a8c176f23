"""Building a meeting's agenda (domain §2.5, §2.6): the coordinator orders it, brings cases
back for review (those whose repeat flag expires before the next meeting first), carries
forward referrals an earlier meeting did not hear, and publishes it to the panel's members
before the day it would open to them by itself."""

from __future__ import annotations

from datetime import date

from flask import flash
from flask import redirect
from flask import render_template
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
from cases.meetings.forms import AgendaChangeForm
from cases.meetings.models import AgendaReason
from cases.meetings.views import bp
from panels.models import Meeting


@bp.route("/meetings/<int:meeting_id>/agenda", methods=["GET", "POST"])
@signed_in
def agenda(meeting_id: int) -> str | Response:
    """The agenda as its panel's coordinators build it, with what they may add: cases due for
    review and referrals not heard at an earlier meeting. Each button makes one change."""
    found = policy.meeting_or_404(current_user, meeting_id)
    if not policy.coordinates(current_user, found.panel_id):
        policy.refuse(current_user, "meetings", meeting_id)
    today = uk_today()
    form = AgendaChangeForm()
    if form.validate_on_submit():
        change = form.chosen()
        done = _apply(found, form, change, today) if change else None
        if done is not None:
            flash(done, "success")
            return redirect(url_for("meetings.agenda", meeting_id=found.id))
        if change != "review" or not form.reference.errors:
            # A button's refusal is said at the top; the agenda shown is as it is now.
            message = form.change.errors[0] if form.change.errors else "Choose a change to make"
            flash(message, "error")
            return redirect(url_for("meetings.agenda", meeting_id=found.id))
    entries = queries.agenda(found, current_user)
    held = found.held_on < today
    audit.record(actor=current_user, action=AuditAction.MEETING_VIEWED, object=found)
    return render_template(
        "meetings/agenda.html",
        meeting=found,
        entries=entries,
        form=form,
        errors=error_summary_items(form),
        held=held,
        published=found.agenda_published(today),
        reviews=[] if held else queries.reviews_due(found, current_user),
        not_heard=[] if held else queries.not_heard(found, current_user, today),
        following=queries.next_meeting_after(found),
    )


def _apply(meeting: Meeting, form: AgendaChangeForm, change: str, today: date) -> str | None:
    """Make the change the button asked for; its confirmation, or None with the refusal on
    the form (next to the case reference, or on `change` for a button)."""
    seen = form.number(form.seen)
    field = "reference" if change == "review" else "change"
    if change == "publish":
        with attempt(form, field=field) as done:
            services.publish_agenda(meeting, actor=current_user, seen=seen, today=today)
        return (
            "The agenda is published: members can now accept the statement and see it"
            if done
            else None
        )
    if change == "carry":
        referral = next(
            (
                r
                for r in queries.not_heard(meeting, current_user, today)
                if r.id == form.number(form.referral_id)
            ),
            None,
        )
        if referral is None:
            form.change.errors = ["That referral is no longer waiting to be carried forward"]
            return None
        with attempt(form, field=field) as done:
            services.carry_forward(
                meeting, actor=current_user, referral=referral, seen=seen, today=today
            )
        reference = referral.case.reference if referral.case else referral.reference
        return f"{reference} is carried forward to this meeting" if done else None
    if change == "review":
        return _add_for_review(meeting, form, seen, today)
    case = next(
        (
            e.case
            for e in queries.agenda(meeting, current_user)
            if e.case_id == form.number(form.case_id)
        ),
        None,
    )
    if case is None:
        form.change.errors = ["That case is no longer on this agenda"]
        return None
    with attempt(form, field=field) as done:
        if change == "remove":
            services.remove_from_agenda(
                meeting, actor=current_user, case=case, seen=seen, today=today
            )
        else:
            services.move_on_agenda(
                meeting, actor=current_user, case=case, up=change == "up", seen=seen, today=today
            )
    if not done:
        return None
    return (
        f"{case.reference} is taken off the agenda"
        if change == "remove"
        else f"{case.reference} is moved {change}"
    )


def _add_for_review(meeting: Meeting, form: AgendaChangeForm, seen: int, today: date) -> str | None:
    """A case due for review (its id from the suggestions) or any case of the panel (its
    reference typed in)."""
    case_id = form.number(form.case_id)
    if case_id:
        due = {r.case.id: r.case for r in queries.reviews_due(meeting, current_user)}
        case = due.get(case_id)
        if case is None:
            form.change.errors = ["That case is no longer due for review at this meeting"]
            return None
        reason = AgendaReason.FLAG_EXPIRY
    else:
        reference = form.reference.data or ""
        if not reference:
            form.reference.errors = ["Enter the reference of the case to bring back for review"]
            return None
        found = queries.panel_case_by_reference(meeting, reference, current_user)
        if found is None:
            form.reference.errors = [
                f"No case of {meeting.panel.name} has the reference {reference}: check it, "
                f"for example {meeting.panel.spec.reference_prefix}-000123"
            ]
            return None
        case, reason = found, AgendaReason.REVIEW
    with attempt(form, field="reference") as done:
        services.add_for_review(
            meeting, actor=current_user, case=case, reason=reason, seen=seen, today=today
        )
    if done:
        return f"{case.reference} is on the agenda for review"
    if case_id:
        form.change.errors = list(form.reference.errors)
        form.reference.errors = []
    return None
