"""A case's sharing-decision log (domain §8 R8): every decision to share or not to share, newest
first, and the form to record one. Anyone who can see the case can read and add to it."""

from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from werkzeug.wrappers import Response

import audit
from app.security import signed_in
from app.unit_of_work import attempt
from audit import AuditAction
from cases import policy
from cases.models import Case
from cases.sharing import rules as sharing_rules
from cases.sharing import services as sharing
from cases.sharing.forms import SharingDecisionForm
from cases.sharing.models import Disclosure

bp = Blueprint("sharing", __name__)


@bp.route("/cases/<int:case_id>/sharing", methods=["GET", "POST"])
@signed_in
def log(case_id: int) -> str | Response:
    """A case's sharing decisions, newest first, with the form to record one."""
    case = policy.case_or_404(current_user, case_id)
    originators = sharing_rules.agencies_to_agree(case, current_user.organisation_id)
    form = SharingDecisionForm()
    form.offer_agencies(originators)
    if form.validate_on_submit():
        with attempt(form, field="reason") as done:
            _record(case, form)
        if done:
            flash("The sharing decision has been recorded", "success")
            return redirect(url_for("sharing.log", case_id=case.id))
    audit.record(actor=current_user, action=AuditAction.SHARING_LOG_VIEWED, object=case)
    return render_template(
        "sharing/log.html",
        case=case,
        form=form,
        originators=originators,
        decisions=sharing_rules.decisions_of(case),
    )


def _record(case: Case, form: SharingDecisionForm) -> None:
    sharing.record_decision(
        actor=current_user,
        case=case,
        disclosure=Disclosure(form.disclosure.data),
        shared=form.is_sharing(),
        recipient=form.recipient.data,
        lawful_basis=form.chosen_basis(),
        consent=form.chosen_consent(),
        reason=form.reason.data,
        agreements=form.agreements(),
        without_agreement_reason=form.without_agreement_reason.data,
    )
