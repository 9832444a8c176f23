"""Admin pages for a panel's information sharing protocol register (domain §8 R1): versions
and the organisations that signed each, renewed, withdrew or signed again."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.accounts.models import Organisation
from app.database import db
from app.database import uk_today
from app.errors import DomainError
from app.forms import error_summary_items
from app.routing import LARGEST_ID
from app.security import Permission
from app.security import requires
from app.unit_of_work import attempt
from panels import forms
from panels import isp
from panels import queries
from panels.models import Panel
from panels.views import bp


@bp.route("/admin/panels/<int:panel_id>/isp")
@requires(Permission.ADMIN_PANELS_MANAGE)
def isp_register(panel_id: int) -> str:
    """The panel's information sharing protocol: each version and who has signed it."""
    panel = db.get_or_404(Panel, panel_id)
    today = uk_today()
    register = queries.isp_register(panel, today)
    return render_template(
        "panels/isp_register.html",
        panel=panel,
        register=register,
        isp_in_force=register.in_force,
        without_access=queries.members_without_access(panel, today),
    )


@bp.route("/admin/panels/<int:panel_id>/isp/new", methods=["GET", "POST"])
@requires(Permission.ADMIN_PANELS_MANAGE)
def add_isp_version(panel_id: int) -> str | Response:
    """Add a version of the information sharing protocol."""
    panel = db.get_or_404(Panel, panel_id)
    form = forms.AgreementForm()
    if form.validate_on_submit():
        assert form.in_force_from.data is not None
        with attempt(form) as done:
            agreement = isp.add_agreement(
                actor=current_user,
                panel=panel,
                version=form.version.data,
                in_force_from=form.in_force_from.data,
            )
        if done:
            flash(f"Version {agreement.version} has been added", "success")
            return _back_to_register(panel)
    return _isp_form(panel, form, heading="Add a version of the protocol")


@bp.route("/admin/panels/<int:panel_id>/isp/<int:agreement_id>/sign", methods=["GET", "POST"])
@requires(Permission.ADMIN_PANELS_MANAGE)
def add_isp_signatory(panel_id: int, agreement_id: int) -> str | Response:
    """Record an organisation's signature of a version of the protocol."""
    panel = db.get_or_404(Panel, panel_id)
    agreement = queries.agreement_of(panel, agreement_id) or abort(404)
    form = forms.SignatoryForm()
    choices = queries.organisations_to_sign(agreement)
    form.organisation_id.choices = [("", "Choose an organisation")] + [
        (str(o.id), o.name) for o in choices
    ]
    if form.validate_on_submit():
        assert form.signed_on.data is not None
        assert form.review_on.data is not None
        with attempt(form) as done:
            signatory = isp.add_signatory(
                actor=current_user,
                agreement=agreement,
                organisation=_chosen_organisation(form),
                signed_on=form.signed_on.data,
                review_on=form.review_on.data,
            )
        if done:
            flash(
                f"{signatory.organisation.name} has signed version {agreement.version}", "success"
            )
            return _back_to_register(panel)
    return _isp_form(panel, form, heading=f"Add a signatory to version {agreement.version}")


def _chosen_organisation(form: forms.SignatoryForm) -> Organisation:
    value = form.organisation_id.data
    valid_id = value.isdigit() and int(value) <= LARGEST_ID
    organisation = db.session.get(Organisation, int(value)) if valid_id else None
    if organisation is None:
        raise DomainError("Select the organisation that signed", field="organisation_id")
    return organisation


@bp.route(
    "/admin/panels/<int:panel_id>/isp/signatories/<int:signatory_id>/renew", methods=["GET", "POST"]
)
@requires(Permission.ADMIN_PANELS_MANAGE)
def renew_isp_signatory(panel_id: int, signatory_id: int) -> str | Response:
    """Renew a signature after the organisation has reviewed the protocol: a new review date."""
    panel = db.get_or_404(Panel, panel_id)
    signatory = queries.signatory_of(panel, signatory_id) or abort(404)
    form = forms.RenewForm()
    if form.validate_on_submit():
        assert form.review_on.data is not None
        review_on = form.review_on.data
        done = _register_change(
            panel,
            form,
            lambda: isp.renew_signatory(signatory, actor=current_user, review_on=review_on),
            f"{signatory.organisation.name}'s signature has been renewed",
        )
        if done is not None:
            return done
    return _isp_form(panel, form, heading=f"Renew {signatory.organisation.name}'s signature")


@bp.route(
    "/admin/panels/<int:panel_id>/isp/signatories/<int:signatory_id>/sign-again",
    methods=["GET", "POST"],
)
@requires(Permission.ADMIN_PANELS_MANAGE)
def sign_isp_again(panel_id: int, signatory_id: int) -> str | Response:
    """Record that an organisation that withdrew has signed the same version again."""
    panel = db.get_or_404(Panel, panel_id)
    signatory = queries.signatory_of(panel, signatory_id) or abort(404)
    form = forms.SignAgainForm()
    if form.validate_on_submit():
        assert form.signed_on.data is not None
        assert form.review_on.data is not None
        signed_on, review_on = form.signed_on.data, form.review_on.data
        done = _register_change(
            panel,
            form,
            lambda: isp.sign_again(
                signatory, actor=current_user, signed_on=signed_on, review_on=review_on
            ),
            f"{signatory.organisation.name} has signed again",
        )
        if done is not None:
            return done
    return _isp_form(panel, form, heading=f"{signatory.organisation.name} signs again")


@bp.route(
    "/admin/panels/<int:panel_id>/isp/signatories/<int:signatory_id>/withdraw",
    methods=["GET", "POST"],
)
@requires(Permission.ADMIN_PANELS_MANAGE)
def withdraw_isp_signatory(panel_id: int, signatory_id: int) -> str | Response:
    """Record an organisation's withdrawal from the protocol."""
    panel = db.get_or_404(Panel, panel_id)
    signatory = queries.signatory_of(panel, signatory_id) or abort(404)
    form = forms.WithdrawForm()
    if form.validate_on_submit():
        assert form.withdrawn_on.data is not None
        withdrawn_on = form.withdrawn_on.data
        done = _register_change(
            panel,
            form,
            lambda: isp.withdraw_signatory(
                signatory, actor=current_user, withdrawn_on=withdrawn_on
            ),
            f"{signatory.organisation.name} has withdrawn",
        )
        if done is not None:
            return done
    return _isp_form(
        panel,
        form,
        heading=f"Withdraw {signatory.organisation.name}",
        warning="Its staff lose access to this panel's cases from the date of withdrawal.",
    )


def _register_change(
    panel: Panel, form: FlaskForm, change: Callable[[], object], done: str
) -> Response | None:
    """Make one change to the register: kept and back to the register, or refused with the
    reason next to its field and nothing kept (None: the form is shown again)."""
    with attempt(form) as kept:
        change()
    if not kept:
        return None
    flash(done, "success")
    return _back_to_register(panel)


def _isp_form(panel: Panel, form: FlaskForm, *, heading: str, warning: str = "") -> str:
    return render_template(
        "panels/isp_form.html",
        panel=panel,
        form=form,
        heading=heading,
        warning=warning,
        error_list=error_summary_items,
    )


def _back_to_register(panel: Panel) -> Response:
    return redirect(url_for("panels.isp_register", panel_id=panel.id))
