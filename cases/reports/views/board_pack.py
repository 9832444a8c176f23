"""The board pack: one PDF of an area's figures for a quarter (issue 20, R23)."""

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
from app.pdf import PDF_MIMETYPE
from app.pdf import PdfUnavailable
from app.pdf import file_name_part
from app.pdf import printed_by
from app.pdf import render_pdf
from app.security import signed_in
from app.settings import Settings
from audit import AuditAction
from cases.policy import report_scope
from cases.policy import reportable_area_or_404
from cases.reports import queries
from cases.reports.board_pack import board_pack as board_pack_of
from cases.reports.forms import BoardPackForm
from cases.reports.rules import Quarter
from cases.reports.rules import last_complete_quarter
from cases.reports.safelives import MEASURES
from cases.reports.views import bp
from cases.reports.views import quarter_choices

# The board pack: one PDF per area and quarter ------------------------------------------------


@bp.route("/reports/board-pack")
@signed_in
def board_pack() -> str:
    """Choose an area and a quarter for a board pack (the areas with panels in your reports),
    see which panels it will hold, and download it; or download last quarter's pack of an
    area straight away. A choice that is not offered is explained on the page."""
    scope = report_scope(current_user)
    form = _board_pack_form()
    chosen = None
    if request.args and not scope.empty and form.validate():
        area = reportable_area_or_404(current_user, int(form.area.data))
        quarter = Quarter.parse(form.quarter.data)
        chosen = (area, quarter, queries.area_panels_in_scope(current_user, area))
    return render_template(
        "reports/board_pack.html",
        form=form,
        scope=scope,
        chosen=chosen,
        areas=queries.areas_in_scope(current_user),
        latest=last_complete_quarter(uk_today()),
    )


@bp.route("/reports/board-pack.pdf")
@signed_in
def board_pack_pdf() -> Response | tuple[str, int]:
    """The area's board pack for the quarter as a PDF: each of its panels in your reports with
    its figures (the repeat rate's chart and table, the SafeLives return's quarter, the ASB
    Case Review figures), the definitions, and the protective marking on every page. It leaves
    the panels, so it is suppressed whoever prints it (R23); each print is on the record."""
    form = _board_pack_form()
    if not form.validate():
        args: dict[str, Any] = request.args.to_dict()
        return redirect(url_for("reports.board_pack", **args))
    area = reportable_area_or_404(current_user, int(form.area.data))
    quarter = Quarter.parse(form.quarter.data)
    assert quarter is not None  # one of the choices
    settings: Settings = current_app.config["SETTINGS"]
    pack = board_pack_of(current_user, area, quarter, settings=settings.reports, today=uk_today())
    organisation = current_user.organisation
    html = render_template(
        "reports/pdf/board_pack.html",
        title=f"Board pack: {area.name}, {quarter.label}",
        pack=pack,
        printed_on=uk_today(),
        measures=MEASURES,
        settings=settings.reports,
        printed=printed_by(
            current_user.display_name, organisation.name if organisation else None, utcnow()
        ),
    )
    try:
        pdf = render_pdf(html, base_url=request.url_root)
    except PdfUnavailable:
        return render_template("reports/pdf_unavailable.html"), 503
    audit.record(
        actor=current_user,
        action=AuditAction.REPORT_EXPORTED,
        object=area,
        changes={
            "report": "board_pack",
            "format": "pdf",
            "filters": {"quarter": quarter.key},
            "panels": [figures.panel.id for figures in pack.panels],
            "suppressed": True,
        },
    )
    response = Response(pdf, mimetype=PDF_MIMETYPE)
    name = f"board-pack-{file_name_part(area.name) or 'area'}-{quarter.key}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _board_pack_form() -> BoardPackForm:
    today = uk_today()
    form = BoardPackForm(request.args)
    form.area.choices = [("", "Choose an area")] + [
        (str(area.id), area.name) for area in queries.areas_in_scope(current_user)
    ]
    form.quarter.choices = quarter_choices(today)
    if not form.quarter.data:
        form.quarter.data = last_complete_quarter(today).key
    return form
