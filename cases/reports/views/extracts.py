"""Coordinators' referral-level extracts (issue 20, R9, R13, R20): asked for with the security
code, made by the job queue while a page shows the progress, downloaded only by the person who
asked, each download in the audit trail, and deleted when they expire."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask
from flask import current_app
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.auth import step_up
from app.database import db
from app.extensions import limiter
from app.keys.store import ContentDestroyed
from app.security import signed_in
from app.settings import Settings
from app.unit_of_work import attempt
from cases.policy import extracts_panels
from cases.policy import referral_extract_or_404
from cases.policy import refuse
from cases.reports import queries
from cases.reports import services
from cases.reports.forms import ExtractForm
from cases.reports.models import ExtractFormat
from cases.reports.models import ExtractPart
from cases.reports.models import ExtractStatus
from cases.reports.views import bp
from panels.models import Panel

MIMETYPES = {
    ExtractFormat.CSV: "text/csv",
    ExtractFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

bp.register_error_handler(429, step_up.throttled_page)


def _coordinator_or_404() -> None:
    """Extracts are for coordinators; anyone else gets the 404 of a page that is not there."""
    if not extracts_panels(current_user):
        refuse(current_user, "report_extracts", "new")


@bp.route("/reports/extracts")
@signed_in
def extracts() -> str:
    """Your referral-level extracts, newest first: what each holds, how far it has got, and
    until when it can be downloaded. Nobody sees anyone else's."""
    _coordinator_or_404()
    return render_template(
        "reports/extracts.html",
        extracts=queries.extracts_of(current_user),
        panel_names=_panel_names(),
    )


def _extracts_limit() -> str:
    settings: Settings = current_app.config["SETTINGS"]
    return settings.rate_limits.extracts_per_user


def _requester_key() -> str:
    return f"extracts:{getattr(current_user, 'id', 'anonymous')}"


@bp.route("/reports/extracts/new", methods=["GET", "POST"])
@signed_in
@step_up.code_limit
@limiter.limit(_extracts_limit, key_func=_requester_key, methods=["POST"])
def extract_new() -> str | Response:
    """Ask for an extract of your panels' referrals, with your security code (R13): it is made
    in the background, and its page shows the progress."""
    _coordinator_or_404()
    form = ExtractForm()
    panels = queries.extract_panels(current_user)
    form.panel_ids.choices = [(panel.id, panel.name) for panel in panels]
    if form.validate_on_submit():
        if not step_up.code_accepted(current_user, form.code.data):  # outside `attempt`
            form.code.errors.append(step_up.CODE_FAILED)
        else:
            chosen = [panel for panel in panels if panel.id in form.panel_ids.data]
            with attempt(form) as done:
                extract = services.request_extract(
                    actor=current_user,
                    panels=chosen,
                    referred_from=form.referred_from.data,
                    referred_to=form.referred_to.data,
                    personal=form.personal.data == "yes",
                    file_format=ExtractFormat(form.file_format.data),
                )
            if done:
                step_up.renew_session()
                return redirect(url_for("reports.extract", extract_id=extract.id))
    form.code.data = ""  # a code is used once: never shown again
    settings: Settings = current_app.config["SETTINGS"]
    return render_template(
        "reports/extract_new.html", form=form, keep_hours=settings.reports.extract_keep_hours
    )


@bp.route("/reports/extracts/<int:extract_id>")
@signed_in
def extract(extract_id: int) -> str:
    """An extract's progress while it is made (the page refreshes itself while it runs), then
    its download link until it expires. Only the person who asked sees it."""
    found = referral_extract_or_404(current_user, extract_id)
    return render_template("reports/extract.html", extract=found, panel_names=_panel_names())


@bp.route("/reports/extracts/<int:extract_id>/download")
@signed_in
def extract_download(extract_id: int) -> Response:
    """The extract's file, for the person who asked for it, while it is kept; each download
    is in the audit trail. It is opened part by part as it is sent."""
    found = referral_extract_or_404(current_user, extract_id)
    if found.status is not ExtractStatus.READY:
        return redirect(url_for("reports.extract", extract_id=found.id))
    services.record_download(found, actor=current_user)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    response = Response(_file(app, found.id), mimetype=MIMETYPES[found.file_format])
    response.headers["Content-Disposition"] = f'attachment; filename="{found.file_name}"'
    response.headers["Content-Length"] = str(found.size_bytes)
    response.headers["Cache-Control"] = "no-store"
    return response


def _file(app: Flask, extract_id: int) -> Iterator[bytes]:
    """The parts in order, each read and opened in a short context of its own as the body is
    sent (after the request's own work is committed): no transaction, and so no lock, is held
    while the file travels to a slow connection."""
    sequence = 0
    while True:
        sequence += 1
        with app.app_context():
            part = db.session.scalar(
                select(ExtractPart).where(
                    ExtractPart.extract_id == extract_id, ExtractPart.sequence == sequence
                )
            )
            try:
                content = part.content if part is not None else None
            except ContentDestroyed:  # expired while being sent: the file stops short
                content = None
        if content is None:
            return
        yield content


def _panel_names() -> dict[int, str]:
    ids = extracts_panels(current_user)
    rows = db.session.execute(select(Panel.id, Panel.name).where(Panel.id.in_(ids)))
    return {panel_id: name for panel_id, name in rows}
