"""The SafeLives MARAC quarterly return's page and its CSV and XLSX files (issue 20)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from werkzeug.wrappers import Response

import audit
from app.database import uk_today
from app.database import utcnow
from app.security import signed_in
from app.settings import Settings
from audit import AuditAction
from cases.policy import report_scope
from cases.policy import reportable_panel_or_404
from cases.reports import queries
from cases.reports.forms import QuarterForm
from cases.reports.rules import Quarter
from cases.reports.rules import last_complete_quarter
from cases.reports.safelives import MEASURES
from cases.reports.safelives import SafeLivesReturn
from cases.reports.safelives import file_name as safelives_file_name
from cases.reports.safelives import return_sheet
from cases.reports.views import bp
from cases.reports.views import download
from cases.reports.views import quarter_choices
from panels.models import Panel


@bp.route("/reports/panels/<int:panel_id>/safelives")
@signed_in
def safelives(panel_id: int) -> str:
    """A MARAC's SafeLives quarterly return, meeting by meeting, with the quarter's totals and
    percentages, cases per 10,000 adult women and the capacity that volume needs. Exact for
    the panel's coordinators, who make the return; suppressed for anyone else (R23)."""
    panel = reportable_panel_or_404(current_user, panel_id)
    form, quarter = _quarter_form()
    report = None
    if quarter is not None:
        report = _return(panel, quarter, suppress=not report_scope(current_user).exact_for(panel))
    if report is not None:
        audit.record(
            actor=current_user,
            action=AuditAction.REPORT_VIEWED,
            object=panel,
            changes={"report": "safelives_return", "filters": {"quarter": report.quarter.key}},
        )
    return render_template(
        "reports/safelives_return.html", panel=panel, form=form, report=report, measures=MEASURES
    )


@bp.route("/reports/panels/<int:panel_id>/safelives.<any(csv, xlsx):file_format>")
@signed_in
def safelives_export(panel_id: int, file_format: str) -> Response:
    """The SafeLives return as a CSV or XLSX file laid out as the return is typed in: exact
    for the panel's coordinators (for the return only, and marked so), suppressed for anyone
    else; each download is on the record with its quarter (R9, R23)."""
    panel = reportable_panel_or_404(current_user, panel_id)
    _, quarter = _quarter_form()
    exact = report_scope(current_user).exact_for(panel)
    report = None if quarter is None else _return(panel, quarter, suppress=not exact)
    if report is None:  # the page says what is wrong, or that the type makes no return
        args: dict[str, Any] = request.args.to_dict()
        return redirect(url_for("reports.safelives", panel_id=panel.id, **args))
    audit.record(
        actor=current_user,
        action=AuditAction.REPORT_EXPORTED,
        object=panel,
        changes={
            "report": "safelives_return",
            "format": file_format,
            "filters": {"quarter": report.quarter.key},
            "suppressed": report.suppressed,
        },
    )
    sheet = return_sheet(report, generated=utcnow())
    return download(sheet, file_format, safelives_file_name(report, file_format))


def _quarter_form() -> tuple[QuarterForm, Quarter | None]:
    """The return's quarter from the query string (the last complete quarter when none is
    chosen), or None if the choice is not one offered."""
    today = uk_today()
    form = QuarterForm(request.args)
    form.quarter.choices = quarter_choices(today)
    if not form.quarter.data:
        form.quarter.data = last_complete_quarter(today).key
    if not form.validate():
        return form, None
    return form, Quarter.parse(form.quarter.data)


def _return(panel: Panel, quarter: Quarter, *, suppress: bool) -> SafeLivesReturn | None:
    settings: Settings = current_app.config["SETTINGS"]
    return queries.safelives_return(
        panel, quarter, suppress=suppress, settings=settings.reports, today=uk_today()
    )
