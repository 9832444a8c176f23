"""Files people download, as CSV streamed in pieces or as an XLSX workbook, made the same way
for every feature: the protective marking and handling caveat on the first row (domain R10),
then what the figures are, the table, and any notes after it. A workbook also carries the
marking as the header and footer of every printed page of every sheet.

Every text cell a spreadsheet would run as a formula (starting = + - @, a tab or a carriage
return) is made inert with a leading apostrophe (security R20, ASVS 1.2.10), in both formats;
XLSX is written with `strings_to_formulas` off, in constant-memory mode, so a long table never
sits whole in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from typing import BinaryIO

import xlsxwriter  # type: ignore[import-untyped]  # (no type hints published)

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | Decimal | date | None
Row = Sequence[Cell]
Marking = tuple[str, str]  # (protective marking, handling caveat)
MARKING_PRINT_LENGTH = 100  # of the marking in a printed page's header and footer


def inert(cell: Cell) -> Cell:
    """Text a spreadsheet would treat as a formula, made plain text; anything else as it is."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


@dataclass(frozen=True)
class Sheet:
    """One table to download, top to bottom after the marking: `about` (what the figures are,
    a blank row after it), the header, the rows, then `notes` (a blank row before them)."""

    name: str  # the worksheet's name: 31 characters at most, none of []:*?/\
    header: Sequence[str]
    # The table's rows in batches: a CSV sends each batch as it comes, so a long export read a
    # batch at a time is never held whole. A small table is one batch.
    batches: Iterable[Sequence[Row]]
    about: Sequence[Row] = ()
    notes: Sequence[Row] = ()
    widths: Sequence[int] = ()  # spreadsheet columns' widths from the first, in characters


def csv_chunks(sheet: Sheet, *, marking: Marking) -> Iterator[str]:
    """The CSV file in pieces: a byte order mark (Excel then reads UTF-8), the marking, `about`
    and the header first; then one piece per batch of rows; then the notes. Dates are written
    DD/MM/YYYY."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def write(rows: Iterable[Row]) -> None:
        writer.writerows([_csv_text(inert(cell)) for cell in row] for row in rows)

    buffer.write("\ufeff")
    write(_opening(sheet, marking))
    yield _drain(buffer)
    for batch in sheet.batches:
        write(batch)
        if text := _drain(buffer):
            yield text
    if sheet.notes:
        write([[], *sheet.notes])
        yield _drain(buffer)


def xlsx_bytes(sheet: Sheet, *, marking: Marking) -> bytes:
    """The sheet as an XLSX workbook in memory (for a short table; `write_xlsx` for a long one)."""
    output = io.BytesIO()
    write_xlsx(sheet, output, marking=marking)
    return output.getvalue()


def write_xlsx(sheet: Sheet, output: str | BinaryIO, *, marking: Marking) -> None:
    """The sheet as an XLSX workbook written to a file name or binary file: text stays text,
    numbers are numbers and dates are dates (DD/MM/YYYY); the header is bold, frozen above the
    rows and filters them. Rows go to temporary files as they come (constant memory)."""
    workbook = xlsxwriter.Workbook(
        output,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    worksheet = workbook.add_worksheet(sheet.name)
    _print_marking(worksheet, marking)
    day = workbook.add_format({"num_format": "dd/mm/yyyy"})
    bold = workbook.add_format({"bold": True})
    number = 0

    def write(row: Row, text_format: object = None) -> None:
        nonlocal number
        for column, cell in enumerate(row):
            value = inert(cell)
            if isinstance(value, date):
                worksheet.write_datetime(number, column, value, day)
            elif isinstance(value, int | Decimal):
                worksheet.write_number(number, column, float(value))
            elif value is not None:
                worksheet.write_string(number, column, value, text_format)
        number += 1

    for column, width in enumerate(sheet.widths):
        worksheet.set_column(column, column, width)
    opening = _opening(sheet, marking)
    for row in opening[:-1]:
        write(row)
    header_at = number
    write(opening[-1], bold)
    worksheet.freeze_panes(header_at + 1, 0)
    for batch in sheet.batches:
        for row in batch:
            write(row)
    worksheet.autofilter(header_at, 0, number - 1, max(len(sheet.header) - 1, 0))
    if sheet.notes:
        for row in [[], *sheet.notes]:
            write(row)
    workbook.close()


def _print_marking(worksheet: Any, marking: Marking) -> None:
    """The protective marking at the top and the bottom of every printed page (domain R10),
    besides the first row: centred, bold, with the page number in the footer."""
    # "&" starts a control code in Excel's header text, so a marking's own "&" is doubled;
    # Excel takes 255 characters at most, and a marking is a word or two.
    text = marking[0][:MARKING_PRINT_LENGTH].replace("&", "&&")
    worksheet.set_header(f"&C&B{text}&B")
    worksheet.set_footer(f"&C&B{text}&B&RPage &P of &N")


def _opening(sheet: Sheet, marking: Marking) -> list[Row]:
    """The rows before the table's: the marking, `about` and a blank row, the header last."""
    about = [*sheet.about, []] if sheet.about else []
    return [list(marking), *about, list(sheet.header)]


def _csv_text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, date):
        return f"{cell:%d/%m/%Y}"
    return str(cell)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
