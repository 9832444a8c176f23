"""The repeat-rate report as CSV and XLSX. Always suppressed: a file leaves the panel (R23,
E11). Every text cell that a spreadsheet would run as a formula (starting = + - @, a tab or a
carriage return) is made inert with a leading apostrophe (security R20, ASVS 1.2.10); XLSX is
written with `strings_to_formulas` off, in constant-memory mode."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from datetime import datetime
from decimal import Decimal

import xlsxwriter  # type: ignore[import-untyped]  # (no type hints published)

from app.template_filters import UK
from cases.reports.report import RepeatReport
from cases.reports.rules import Row
from cases.reports.rules import Shown
from cases.reports.rules import View

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | Decimal | date | None


def inert(cell: Cell) -> Cell:
    """Text a spreadsheet would treat as a formula, made plain text."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def sheet_rows(
    report: RepeatReport, *, marking: tuple[str, str], generated: datetime
) -> Iterator[list[Cell]]:
    """The file's rows, top to bottom: the marking, what the figures are, the table, and the
    benchmark and national figure they are read against."""
    settings = report.settings
    yield [marking[0]]
    yield [marking[1]]
    yield ["Report", "Repeat rate"]
    yield ["Panel", report.panel.name]
    yield ["Area", report.panel.area.name]
    yield ["Panel type", report.panel.spec.label]
    yield ["Periods", f"{report.view.label}, to {report.last.label}"]
    yield ["Definition", report.figure.definition]
    yield [
        "Counted",
        "Cases heard: each listing of a case at a meeting held in the period, by the date of "
        "the meeting (a case heard at two meetings counts twice). Repeat rate: repeat cases "
        "heard ÷ cases heard.",
    ]
    yield [
        "Small numbers",
        f"Counts from 1 to {report.threshold - 1} are shown as “fewer than {report.threshold}”; "
        "“not shown” hides a figure that would reveal one.",
    ]
    yield ["Generated", f"{generated.astimezone(UK):%d/%m/%Y %H:%M}"]
    yield []
    band_header = f"Against the benchmark band ({settings.band_label})"
    yield [
        "Period",
        "Period ends",
        "Cases heard",
        "Repeat cases",
        "Repeat rate (%)",
        *([band_header] if report.compared else []),
    ]
    for row in [*report.rows, *([report.total] if report.total else [])]:
        yield _table_row(report, row)
    if report.compared:
        yield []
        yield ["Benchmark band", settings.band_label]
        yield [
            "National repeat rate",
            settings.national_label,
            settings.national_period,
            settings.national_source,
        ]
        yield [
            "Reading the rate",
            "A low repeat rate usually means that repeats are not being identified, not that "
            "fewer victims are harmed again.",
        ]


def _table_row(report: RepeatReport, row: Row) -> list[Cell]:
    def figure(column: str) -> Cell:
        shown: Shown = getattr(row, column)
        if shown.value is None or shown.hidden:
            return report.text(row, column)
        return shown.value

    cells: list[Cell] = [row.label, row.end, figure("heard"), figure("repeats"), figure("rate")]
    if report.compared:
        cells.append(row.position.label if row.position else "")
    return cells


def csv_chunks(
    report: RepeatReport, *, marking: tuple[str, str], generated: datetime
) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # lets Excel read the file as UTF-8
    for row in sheet_rows(report, marking=marking, generated=generated):
        writer.writerow([_csv_text(inert(cell)) for cell in row])
    yield buffer.getvalue()


def _csv_text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, date):
        return f"{cell:%d/%m/%Y}"
    return str(cell)


def xlsx_bytes(report: RepeatReport, *, marking: tuple[str, str], generated: datetime) -> bytes:
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    sheet = workbook.add_worksheet("Repeat rate")
    day = workbook.add_format({"num_format": "dd/mm/yyyy"})
    bold = workbook.add_format({"bold": True})
    header_at = None
    for number, row in enumerate(sheet_rows(report, marking=marking, generated=generated)):
        if row and row[0] == "Period" and header_at is None:
            header_at = number
        for column, cell in enumerate(row):
            value = inert(cell)
            if isinstance(value, date):
                sheet.write_datetime(number, column, value, day)
            elif isinstance(value, int | Decimal):
                sheet.write_number(number, column, float(value))
            elif value is not None:
                sheet.write_string(number, column, value, bold if number == header_at else None)
    if header_at is not None:
        sheet.freeze_panes(header_at + 1, 0)
        last_row = header_at + len(report.rows) + (1 if report.total else 0)
        sheet.autofilter(header_at, 0, last_row, 5 if report.compared else 4)
    sheet.set_column(0, 0, 36)
    sheet.set_column(1, 5, 16)
    workbook.close()
    return output.getvalue()


def file_name(report: RepeatReport, extension: str) -> str:
    """An ASCII name without the panel's own words (they could be anything)."""
    view = "quarters" if report.view is View.QUARTERS else "12-months"
    return f"repeat-rate-panel-{report.panel.id}-{report.last.key}-{view}.{extension}"
