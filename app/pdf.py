"""PDF documents drawn from HTML (issue 21): meeting packs now, board packs later.

One call, `render_pdf`, turns a page of HTML with its own CSS into a tagged PDF/UA-1 document:
headings, tables and their header cells in the structure tree, the language of `<html lang>`
and the title of `<title>` (shown as the window's title), every font embedded. WeasyPrint
draws it; it needs Debian's pango (`make pdf`) and loads it when imported, so it is imported
here on first use: the app starts without pango, and only a PDF answers that it is missing.

Nothing is fetched while drawing: a document carries its CSS in a `<style>` element and uses
the fonts installed, so a document can neither reach the network nor read a file. WeasyPrint's
own messages (about CSS, fonts, glyphs) are kept, without the values they quote: a glyph no
font has is a letter of the document, so no message may carry the document's text to the log.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
PDF_MIMETYPE = "application/pdf"
# PDF/UA-1 (ISO 14289-1) on PDF 1.7: tagged, with the document's language and title.
PDF_VARIANT = "pdf/ua-1"
FILE_NAME_PART_LENGTH = 60

log = logging.getLogger(__name__)


class PdfUnavailable(RuntimeError):
    """WeasyPrint cannot draw here: pango (or WeasyPrint itself) is not installed."""


def render_pdf(html: str, *, base_url: str) -> bytes:
    """The tagged PDF/UA-1 document of `html` (a whole page, with `<html lang>` and `<title>`).
    `base_url` resolves the page's relative links. Raises PdfUnavailable without pango."""
    weasyprint = _weasyprint()
    # No protocol allowed: every image, stylesheet or font URL is refused (and the refusal
    # logged without the URL), the document is drawn on without it.
    refuses_all = weasyprint.urls.URLFetcher(allowed_protocols=frozenset())
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=refuses_all)
    pdf: bytes = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)
    return pdf


def printed_by(name: str, agency: str | None, moment: datetime) -> str:
    """The stamp on every page of a printed document: who printed it and when, in UK local
    time, e.g. "Printed by Cora Vance (Thornbury Police) on 01/07/2026 at 09:30"."""
    local = moment.astimezone(UK)
    who = f"{name} ({agency})" if agency else name
    return f"Printed by {who} on {local:%d/%m/%Y} at {local:%H:%M}"


def file_name_part(text: str) -> str:
    """`text` as part of a download's file name: lower-case ASCII letters and digits joined by
    hyphens ("Thornbury MARAC (North)" -> "thornbury-marac-north")."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:FILE_NAME_PART_LENGTH].strip("-")


@cache
def _weasyprint() -> Any:
    """The weasyprint module, imported on first use (it loads pango), its logging quietened."""
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: cffi could not load pango
        log.error("PDF documents are unavailable: %s", type(error).__name__)
        raise PdfUnavailable(
            "PDF documents need WeasyPrint and Debian's pango and fonts: run `make pdf` "
            "(as root) and `make install`"
        ) from error
    _quieten(("weasyprint", "weasyprint.progress", "fontTools"))
    return weasyprint


def _quieten(names: tuple[str, ...]) -> None:
    """Warnings and errors only, each without the values it quotes."""
    for name in names:
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING)
        if not any(isinstance(f, _WithoutValues) for f in logger.filters):
            logger.addFilter(_WithoutValues())


class _WithoutValues(logging.Filter):
    """Keeps a record's message template and drops its arguments and traceback: WeasyPrint
    quotes CSS values, URLs and the letters no font can draw (document text) in its
    arguments, and an exception's text could quote them too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = f"{record.msg} (details withheld)"
        record.args = None
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True
