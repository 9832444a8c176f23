"""The PDF renderer (app/pdf.py, issue 21): tagged PDF/UA documents from HTML, nothing fetched
while drawing, WeasyPrint's messages logged without the document's text, a clear error where
pango is missing, and the stamp and file names the packs use."""

from __future__ import annotations

import builtins
import io
import logging
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pypdf import PdfReader

from app import pdf

CANARY = "Quennell"  # a synthetic surname: it stands for the document's personal data


def page(body: str, *, style: str = "", head: str = "") -> str:
    return (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        f"<title>Synthetic document</title>{head}<style>{style}</style></head>"
        f"<body>{body}</body></html>"
    )


def text_of(document: bytes) -> str:
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(document)).pages)


def test_a_document_is_tagged_pdf_ua_with_its_language_and_title() -> None:
    document = pdf.render_pdf(
        page("<h1>Heading</h1><table><tr><th scope='col'>A</th></tr><tr><td>1</td></tr></table>"),
        base_url="http://127.0.0.1/",
    )
    with pikepdf.open(io.BytesIO(document)) as opened:
        assert "/StructTreeRoot" in opened.Root
        assert bool(opened.Root.MarkInfo.Marked)
        assert str(opened.Root.Lang) == "en-GB"
        assert str(opened.docinfo.Title) == "Synthetic document"
        with opened.open_metadata() as metadata:
            assert metadata["pdfuaid:part"] == "1"


def test_nothing_is_fetched_while_drawing(tmp_path: Path) -> None:
    """A stylesheet, an image or a font named by the document is refused, on disk as on the
    network: a document could otherwise read the server's files into a PDF."""
    sheet = tmp_path / "fetched.css"
    sheet.write_text('body::before { content: "FETCHED-FROM-DISK"; }')
    document = pdf.render_pdf(
        page(
            f'<p>Drawn</p><img src="{(tmp_path / "x.png").as_uri()}" alt="">',
            head=f'<link rel="stylesheet" href="{sheet.as_uri()}">',
            style=f'@import url("{sheet.as_uri()}");',
        ),
        base_url=tmp_path.as_uri() + "/",
    )
    text = text_of(document)
    assert "Drawn" in text
    assert "FETCHED-FROM-DISK" not in text


def test_weasyprint_logs_no_word_of_the_document(caplog: pytest.LogCaptureFixture) -> None:
    """Its warnings quote CSS values and the letters no font can draw; the log keeps the
    warning and drops what it quotes."""
    with caplog.at_level(logging.DEBUG):
        pdf.render_pdf(
            # A private-use letter no font has (WeasyPrint names it), a bad CSS value, and an
            # image URL carrying the name.
            page(
                f"<p>{CANARY} \ue000</p><img src='http://127.0.0.1:9/{CANARY}.png' alt=''>",
                style=f"p {{ color: {CANARY}; }}",
            ),
            base_url="http://127.0.0.1/",
        )
    weasyprint = [r for r in caplog.records if r.name.startswith("weasyprint")]
    assert weasyprint, "WeasyPrint's warnings are still logged"
    for record in caplog.records:
        assert CANARY not in record.getMessage(), record.getMessage()
        assert "\ue000" not in record.getMessage()
        assert record.exc_info is None
    assert CANARY not in caplog.text


def test_without_weasyprint_or_pango_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_import = builtins.__import__

    def no_pango(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    pdf._weasyprint.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_pango)
    try:
        with pytest.raises(pdf.PdfUnavailable, match="make pdf"):
            pdf.render_pdf(page("<p>x</p>"), base_url="http://127.0.0.1/")
    finally:
        monkeypatch.undo()
        pdf._weasyprint.cache_clear()


@pytest.mark.parametrize(
    ("moment", "stamp"),
    [
        # Greenwich Mean Time in winter, British Summer Time (an hour ahead) in summer.
        (datetime(2026, 1, 15, 9, 5, tzinfo=UTC), "on 15/01/2026 at 09:05"),
        (datetime(2026, 7, 1, 8, 30, tzinfo=UTC), "on 01/07/2026 at 09:30"),
        (datetime(2026, 10, 24, 23, 30, tzinfo=UTC), "on 25/10/2026 at 00:30"),
    ],
)
def test_the_printed_by_stamp_is_in_uk_local_time(moment: datetime, stamp: str) -> None:
    assert pdf.printed_by("Cora Vance", "Thornbury Police", moment) == (
        f"Printed by Cora Vance (Thornbury Police) {stamp}"
    )
    assert pdf.printed_by("Cora Vance", None, moment) == f"Printed by Cora Vance {stamp}"


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("Thornbury MARAC", "thornbury-marac"),
        ("St. Mary's (North) – Channel", "st-mary-s-north-channel"),
        ('"; rm -rf /', "rm-rf"),
        ("Ærø", "r"),
        ("", ""),
    ],
)
def test_a_file_name_part_is_plain_ascii(text: str, part: str) -> None:
    assert pdf.file_name_part(text) == part
