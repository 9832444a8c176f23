"""The reports: the home listing the panels in someone's scope, a panel's repeat-rate report
with its chart and table, and its CSV and XLSX exports. The blueprint is defined here; the job
modules add their routes to it when imported (below): `safelives` (the SafeLives MARAC return),
`board_pack` (an area's figures as one PDF) and `admin` (the areas a manager reports on)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

import audit
from app.accounts.models import User
from app.database import uk_today
from app.database import utcnow
from app.exports import Sheet
from app.exports import csv_chunks
from app.exports import xlsx_bytes
from app.security import signed_in
from app.settings import Settings
from audit import AuditAction
from cases.policy import extracts_panels
from cases.policy import report_scope
from cases.policy import reportable_panel_or_404
from cases.reports import queries
from cases.reports.forms import PanelFilterForm
from cases.reports.forms import PeriodForm
from cases.reports.queries import PanelFilters
from cases.reports.queries import PanelSort
from cases.reports.rules import Quarter
from cases.reports.rules import RepeatReport
from cases.reports.rules import View
from cases.reports.rules import file_name
from cases.reports.rules import last_complete_quarter
from cases.reports.rules import report_sheet
from panels.models import Panel
from panels.types.common import PanelType

bp = Blueprint("reports", __name__)
QUARTERS_OFFERED = 20  # five years of quarters to choose from


@bp.record_once
def _register(state: BlueprintSetupState) -> None:
    app = state.app
    app.add_template_global(may_report, "may_report")
    app.add_template_global(queries.manager_areas_of, "manager_areas_of")
    app.add_template_global(may_extract, "may_extract")
    app.extensions.setdefault("navigation_items", []).append(reports_navigation)


def may_report(user: User) -> bool:
    """Whether the user has any panel's figures to see (for the home page and navigation)."""
    try:
        return not report_scope(user).empty
    except SQLAlchemyError:
        return False  # an error page drawn with the database down must still render


def may_extract(user: User) -> bool:
    """Whether the user coordinates a panel, and so may extract its referrals."""
    return bool(extracts_panels(user))


def reports_navigation() -> dict[str, Any] | None:
    if not current_user.is_authenticated or not may_report(current_user):
        return None
    href = url_for("reports.index")
    return {"text": "Reports", "href": href, "active": request.path.startswith(href)}


@bp.route("/reports")
@signed_in
def index() -> str:
    """The panels whose figures you may see, found, filtered and sorted, each linking to its
    report. Names and counts of panels only."""
    scope = report_scope(current_user)
    form = PanelFilterForm(request.args)
    form.area.choices = [("", "Any area")] + [
        (str(area.id), area.name) for area in queries.areas_in_scope(current_user)
    ]
    if scope.empty or not form.validate():
        return render_template("reports/index.html", form=form, listing=None, scope=scope)
    filters = PanelFilters(
        text=form.text.data or "",
        area_id=int(form.area.data) if form.area.data else None,
        kinds=(PanelType(form.panel_type.data),) if form.panel_type.data else (),
        sort=PanelSort(form.sort.data or PanelSort.AREA.value),
    )
    listing = queries.panels_in_scope(current_user, filters)
    return render_template("reports/index.html", form=form, listing=listing, scope=scope)


@bp.route("/reports/panels/<int:panel_id>")
@signed_in
def repeat_rate(panel_id: int) -> str:
    """A panel's repeat rate by quarter or rolling 12 months, with the benchmark band and the
    national figure where they apply, as a chart, a summary and a table. Suppressed unless
    you run the panel (R23)."""
    panel = reportable_panel_or_404(current_user, panel_id)
    scope = report_scope(current_user)
    form, period = _period_form()
    report = None
    if period is not None:
        last, view = period
        report = _report(panel, last, view, suppress=not scope.exact_for(panel))
    if report is not None and period is not None:
        audit.record(
            actor=current_user,
            action=AuditAction.REPORT_VIEWED,
            object=panel,
            changes={"filters": _described(*period)},
        )
    return render_template(
        "reports/repeat_rate.html",
        panel=panel,
        form=form,
        report=report,
        chart=report.chart() if report is not None else None,
        first_meeting=queries.first_meeting_on(panel),
        export_args=_described(*period) if period else {},
    )


@bp.route("/reports/panels/<int:panel_id>/repeat-rate.<any(csv, xlsx):file_format>")
@signed_in
def export(panel_id: int, file_format: str) -> Response:
    """The repeat-rate report as a CSV or XLSX file, always with small numbers suppressed;
    each export is on the record with its filters (R9)."""
    panel = reportable_panel_or_404(current_user, panel_id)
    _, period = _period_form()
    if period is None:  # the report page shows what is wrong
        args: dict[str, Any] = request.args.to_dict()
        return redirect(url_for("reports.repeat_rate", panel_id=panel.id, **args))
    last, view = period
    report = _report(panel, last, view, suppress=True)
    if report is None:
        return redirect(url_for("reports.repeat_rate", panel_id=panel.id))
    audit.record(
        actor=current_user,
        action=AuditAction.REPORT_EXPORTED,
        object=panel,
        changes={"format": file_format, "filters": _described(last, view), "suppressed": True},
    )
    sheet = report_sheet(report, generated=utcnow())
    return download(sheet, file_format, file_name(report, file_format))


def download(sheet: Sheet, file_format: str, name: str) -> Response:
    """A few aggregate rows as a file: made whole here, while the request's objects are loaded
    (the request's transaction is closed before a streamed body would be sent)."""
    settings: Settings = current_app.config["SETTINGS"]
    marking = (settings.protective_marking, settings.handling_caveat)
    if file_format == "csv":
        response = Response("".join(csv_chunks(sheet, marking=marking)), mimetype="text/csv")
    else:
        response = Response(
            xlsx_bytes(sheet, marking=marking),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _period_form() -> tuple[PeriodForm, tuple[Quarter, View] | None]:
    """The report's period choice from the query string, and the quarter and view chosen (the
    last complete quarter, by quarter, when nothing is chosen), or None if the choice is not
    one offered."""
    today = uk_today()
    form = PeriodForm(request.args)
    form.quarter.choices = quarter_choices(today)
    if not form.quarter.data:
        form.quarter.data = last_complete_quarter(today).key
    if not form.view.data:
        form.view.data = View.QUARTERS.value
    if not form.validate():
        return form, None
    last = Quarter.parse(form.quarter.data)
    assert last is not None  # one of the choices
    return form, (last, View(form.view.data))


def _report(panel: Panel, last: Quarter, view: View, *, suppress: bool) -> RepeatReport | None:
    settings: Settings = current_app.config["SETTINGS"]
    return queries.repeat_report(
        panel, last=last, view=view, suppress=suppress, settings=settings.reports, today=uk_today()
    )


def _described(last: Quarter, view: View) -> dict[str, str]:
    return {"quarter": last.key, "view": view.value}


def quarter_choices(today: date) -> list[tuple[str, str]]:
    """The quarters a report may be asked for: this one (so far) and the five years before."""
    current = Quarter.of(today)
    return [
        (q.key, q.label + (" (so far)" if q == current else ""))
        for q in (current.shifted(-back) for back in range(QUARTERS_OFFERED + 1))
    ]


# The job modules register their routes on `bp` when imported.
from cases.reports.views import admin  # noqa: E402, F401
from cases.reports.views import board_pack  # noqa: E402, F401
from cases.reports.views import extracts  # noqa: E402, F401
from cases.reports.views import repeat_rates  # noqa: E402, F401
from cases.reports.views import safelives  # noqa: E402, F401
