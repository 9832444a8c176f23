"""Every panel's repeat rate at once (issue 20): the panels in your reports whose type reports
one, each with its quarter and 12 months, filtered and sorted, and the table as CSV or XLSX."""

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
from cases.reports import queries
from cases.reports.forms import RatesForm
from cases.reports.queries import RateFilters
from cases.reports.queries import RateSort
from cases.reports.rules import Quarter
from cases.reports.rules import last_complete_quarter
from cases.reports.rules import rates_sheet
from cases.reports.views import bp
from cases.reports.views import download
from cases.reports.views import quarter_choices
from panels.types.common import PanelType


@bp.route("/reports/repeat-rates")
@signed_in
def repeat_rates() -> str:
    """Every panel in your reports that reports a repeat rate, with the quarter's and the 12
    months' figures, exact for the panels you run and suppressed for the rest (R23), found by
    area and type and sorted; no total adds panels up."""
    scope = report_scope(current_user)
    form, filters = _rates_form()
    settings: Settings = current_app.config["SETTINGS"]
    rates, more = None, False
    if filters is not None and not scope.empty:
        rates, more = queries.repeat_rates(
            current_user, filters, settings=settings.reports, today=uk_today()
        )
        audit.record(
            actor=current_user,
            action=AuditAction.REPORT_VIEWED,
            changes={"report": "repeat_rates", "filters": _described(filters)},
        )
    return render_template(
        "reports/repeat_rates.html",
        form=form,
        scope=scope,
        rates=rates,
        more=more,
        settings=settings.reports,
        # The files' links carry the filters as shown (the defaults filled in).
        export_args={
            name: field.data
            for name, field in form._fields.items()
            if name != "submit" and field.data
        },
    )


@bp.route("/reports/repeat-rates.<any(csv, xlsx):file_format>")
@signed_in
def repeat_rates_export(file_format: str) -> Response:
    """The table of every panel's repeat rate as a file, always suppressed (R23); each export
    is on the record with its filters (R9). A choice not offered goes back to the page."""
    _, filters = _rates_form()
    if filters is None or report_scope(current_user).empty:
        args: dict[str, Any] = request.args.to_dict()
        return redirect(url_for("reports.repeat_rates", **args))
    settings: Settings = current_app.config["SETTINGS"]
    # The file leaves the panels: suppressed even for those who run them.
    rates, _ = queries.repeat_rates(
        current_user, filters, settings=settings.reports, today=uk_today(), leaving=True
    )
    audit.record(
        actor=current_user,
        action=AuditAction.REPORT_EXPORTED,
        changes={
            "report": "repeat_rates",
            "format": file_format,
            "filters": _described(filters),
            "suppressed": True,
        },
    )
    sheet = rates_sheet(rates, filters.quarter, generated=utcnow())
    return download(sheet, file_format, f"repeat-rates-{filters.quarter.key}.{file_format}")


def _rates_form() -> tuple[RatesForm, RateFilters | None]:
    today = uk_today()
    form = RatesForm(request.args)
    form.quarter.choices = quarter_choices(today)
    form.area.choices = [("", "Any area")] + [
        (str(area.id), area.name) for area in queries.areas_in_scope(current_user)
    ]
    if not form.quarter.data:
        form.quarter.data = last_complete_quarter(today).key
    if not form.sort.data:
        form.sort.data = RateSort.AREA.value
    if not form.validate():
        return form, None
    quarter = Quarter.parse(form.quarter.data)
    assert quarter is not None  # one of the choices
    return form, RateFilters(
        quarter=quarter,
        area_id=int(form.area.data) if form.area.data else None,
        kinds=(PanelType(form.panel_type.data),) if form.panel_type.data else (),
        sort=RateSort(form.sort.data),
    )


def _described(filters: RateFilters) -> dict[str, Any]:
    return {
        "quarter": filters.quarter.key,
        "area_id": filters.area_id,
        "panel_type": filters.kinds[0].value if filters.kinds else None,
        "sort": filters.sort.value,
    }
