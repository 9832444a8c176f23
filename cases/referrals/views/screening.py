"""Screening a submitted referral: the coordinator matches each person against the people
already known to the panel, then accepts, returns or rejects it."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.database import uk_today
from app.security import signed_in
from app.unit_of_work import attempt
from cases import policy
from cases.people.queries import Suggestion
from cases.people.queries import suggest_people
from cases.referrals import services
from cases.referrals.forms import DecisionForm
from cases.referrals.models import Referral
from cases.referrals.rules import people_of
from cases.referrals.views import bp
from cases.referrals.views import record_read
from cases.referrals.views import summary
from panels.models import Panel
from panels.types.common import ReferralStatus


@bp.route("/referrals/<int:referral_id>/screen", methods=["GET", "POST"])
@signed_in
def screen(referral_id: int) -> str | Response:
    """Screen a submitted referral: match its people, then accept, return or reject it."""
    referral = policy.coordinated_referral_or_404(current_user, referral_id)
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
            with attempt(form, field="decision") as done:
                response = _decide(referral, form, matches)
            if done:
                return response
    record_read(referral)
    return render_template(
        "referrals/screen.html",
        form=form,
        candidates=candidates,
        match_errors=match_errors,
        chosen=request.form,
        **summary(referral),
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
