"""How every download is written (app/exports.py): the protective marking and handling caveat
first (domain R10), text a spreadsheet would run as a formula made inert in CSV and XLSX
(security R20, ASVS 1.2.10), CSV sent a batch at a time, XLSX keeping text as text. The
features' own files are tested with them (tests/cases/reports/test_exports.py, the audit
export in tests/audit/test_audit_views.py)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from app.exports import FORMULA_STARTS
from app.exports import Row
from app.exports import Sheet
from app.exports import csv_chunks
from app.exports import inert
from app.exports import xlsx_bytes

MARKING = ("OFFICIAL-SENSITIVE", "Synthetic caveat")
HOSTILE = '=HYPERLINK("http://evil.example","x")'


def sheet(**changes: object) -> Sheet:
    values: dict[str, object] = {
        "name": "Figures",
        "header": ["Period", "Ends", "Count"],
        "batches": [[["First", date(2025, 3, 31), 7], ["Second", None, Decimal("2.5")]]],
        "about": [["Report", "Test figures"]],
        "notes": [["Source", "Synthetic"]],
    }
    values.update(changes)
    return Sheet(**values)  # type: ignore[arg-type]


def csv_rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")  # Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_r20_inert_prefixes_every_formula_start(start: str) -> None:
    assert inert(f"{start}1+1") == f"'{start}1+1"


def test_r20_inert_leaves_plain_text_numbers_dates_and_blanks_alone() -> None:
    assert inert("Ashcombe") == "Ashcombe"
    assert inert("a=b") == "a=b"
    assert inert(-3) == -3  # numbers are numbers
    assert inert(Decimal("-2.5")) == Decimal("-2.5")
    assert inert(date(2025, 1, 1)) == date(2025, 1, 1)
    assert inert(None) is None


def test_r10_a_csv_has_the_marking_first_then_about_header_rows_and_notes() -> None:
    rows = csv_rows("".join(csv_chunks(sheet(), marking=MARKING)))
    assert rows == [
        list(MARKING),
        ["Report", "Test figures"],
        [],
        ["Period", "Ends", "Count"],
        ["First", "31/03/2025", "7"],
        ["Second", "", "2.5"],
        [],
        ["Source", "Synthetic"],
    ]


def test_a_csv_without_about_notes_or_rows_is_the_marking_and_the_header() -> None:
    plain = sheet(about=(), notes=(), batches=[])
    assert csv_rows("".join(csv_chunks(plain, marking=MARKING))) == [
        list(MARKING),
        ["Period", "Ends", "Count"],
    ]


def test_r20_no_csv_cell_starts_a_formula_wherever_the_text_comes_from() -> None:
    hostile = sheet(
        header=["Period", HOSTILE],
        batches=[[[HOSTILE, "+1", "-1"], ["@SUM(1)", "\tx", "\rx"]]],
        about=[["Panel", HOSTILE]],
        notes=[[HOSTILE]],
    )
    rows = csv_rows("".join(csv_chunks(hostile, marking=(HOSTILE, "-caveat"))))
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(FORMULA_STARTS) for cell in cells)
    assert cells.count(f"'{HOSTILE}") == 5
    assert "'-caveat" in cells


def test_a_csv_is_sent_a_batch_at_a_time_reading_each_batch_only_when_it_is_wanted() -> None:
    read: list[int] = []

    def batches() -> Iterator[Sequence[Row]]:
        for number in range(3):
            read.append(number)
            yield [[f"row {number}", number]]

    chunks = csv_chunks(sheet(batches=batches(), notes=()), marking=MARKING)
    first = next(chunks)
    assert read == []  # the marking and header go before any row is read
    assert "Period" in first
    assert "row 0" in next(chunks)
    assert read == [0]
    assert [chunk.strip() for chunk in chunks] == ["row 1,1", "row 2,2"]


def test_r10_r20_an_xlsx_keeps_text_as_text_numbers_as_numbers_and_dates_as_dates() -> None:
    hostile = sheet(batches=[[[HOSTILE, date(2025, 3, 31), 7], ["@x", None, Decimal("2.5")]]])
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(hostile, marking=MARKING)))
    worksheet = book["Figures"]
    rows = [list(row) for row in worksheet.iter_rows(values_only=True)]
    assert rows[0][:2] == list(MARKING)
    assert rows[1][:2] == ["Report", "Test figures"]
    assert rows[3] == ["Period", "Ends", "Count"]
    assert rows[4][0] == f"'{HOSTILE}"
    assert rows[4][1].date() == date(2025, 3, 31)  # type: ignore[union-attr]
    assert rows[4][2] == 7
    assert rows[5] == ["'@x", None, 2.5]
    assert rows[7][:2] == ["Source", "Synthetic"]
    cells = [cell for row in worksheet.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type != "f" for cell in cells)  # no formula is ever stored


def test_an_xlsx_header_is_bold_frozen_and_filters_the_rows() -> None:
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(sheet(widths=(30, 12)), marking=MARKING)))
    worksheet = book["Figures"]
    assert [cell.font.b for cell in worksheet[4]] == [True, True, True]
    assert not worksheet["A5"].font.b
    assert worksheet.freeze_panes == "A5"
    assert worksheet.auto_filter.ref == "A4:C6"
    assert worksheet.column_dimensions["A"].width == pytest.approx(30, abs=1)


def printed_text(part: str | None) -> str:
    """Header or footer text as printed: the control codes (&B, &P ...) taken out, a doubled
    "&" printed as one."""
    return re.sub(r"&[A-Z]", "", (part or "").replace("&&", "\0")).replace("\0", "&")


@pytest.mark.parametrize("marking", [MARKING, ("OFFICIAL & RESTRICTED", "Synthetic caveat")])
def test_r10_every_printed_page_of_an_xlsx_carries_the_marking(marking: tuple[str, str]) -> None:
    """Domain R10: not only cell A1; the header and the footer of every page, every sheet,
    with an "&" in the marking printed as itself (not read as a code)."""
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(sheet(), marking=marking)))
    assert book.worksheets  # every sheet of the workbook
    for worksheet in book.worksheets:
        for part in (worksheet.oddHeader, worksheet.oddFooter):
            assert printed_text(part.center.text) == marking[0]
        assert worksheet.oddFooter.right.text == "Page &P of &N"  # numbered pages
