"""Transferring a case to another area's panel of the same kind (R19), with the sharing decision
the transfer is (R7, R8)."""

from __future__ import annotations

from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from werkzeug.wrappers import Response

import audit
from app.database import uk_today
from app.security import signed_in
from app.unit_of_work import attempt
from audit import AuditAction
from cases import policy
from cases.actions import queries as action_queries
from cases.referrals import queries
from cases.referrals import services
from cases.referrals.forms import TransferForm
from cases.referrals.views import bp
from cases.sharing import services as sharing


@bp.route("/cases/<int:case_id>/transfer", methods=["GET", "POST"])
@signed_in
def transfer(case_id: int) -> str | Response:
    """Transfer a case the user coordinates, with the originating agencies' agreement."""
    case = policy.coordinated_case_or_404(current_user, case_id)
    targets = queries.transfer_targets(case)
    originators = sharing.agencies_to_agree(case, current_user.organisation_id)
    form = TransferForm()
    form.to_panel_id.choices = [(str(p.id), f"{p.name} ({p.area.name})") for p in targets]
    form.offer_agencies(originators)
    if form.validate_on_submit():
        to_panel = next(p for p in targets if str(p.id) == form.to_panel_id.data)
        assert form.transferred_on.data is not None
        basis = form.chosen_basis()
        assert basis is not None  # required by the form: a transfer shares
        with attempt(form, field="to_panel_id") as done:
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
        if done:
            flash(f"Case {case.reference} has been transferred to {to_panel.name}", "success")
            return redirect(url_for("cases.index"))
    today = uk_today()
    left_behind = {
        target: action_queries.left_behind_by_transfer(case, target, today) for target in targets
    }
    # The page lists the case's open actions as they are worded: a read of the case (R9).
    audit.record(actor=current_user, action=AuditAction.CASE_VIEWED, object=case)
    return render_template(
        "referrals/transfer.html",
        case=case,
        form=form,
        targets=targets,
        originators=originators,
        left_behind={target: actions for target, actions in left_behind.items() if actions},
    )
