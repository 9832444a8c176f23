"""Printing the HTML pages (issue 21, domain R10): a printed meeting, case or report carries its
content and the protective marking with its handling caveat, and nothing that only works on a
screen. Checked in a real chromium with print media emulated, and in the PDF chromium prints.

- Left out: the skip link, the header's home link, the service navigation, the account bar
  ("Sign out"), every form (filters, notes, sign-out) and button, back links, the footer.
- Kept: the marking strip at the top of the first page, the marking at the foot of every page
  and the report's SVG chart.
- No link is followed by its address (GOV.UK Frontend adds " (/path)" in print unless told not
  to).

Nothing here changes the shared live server's data.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from app.database import db
from app.database import uk_today
from app.settings import Settings
from cases.meetings.queries import ON_AN_AGENDA
from cases.referrals.models import Referral
from panels.models import Meeting
from panels.models import Panel
from tests.e2e.conftest import SignedInPage
from tests.e2e.test_information_sharing_pages import NEWHAM_COORDINATOR

pytestmark = pytest.mark.browser

PANEL = "Newham MARAC"

# What must not show on paper, by selector; each is on every page below (the filters only on
# the report, which has them).
SCREEN_ONLY = {
    "skip link": ".govuk-skip-link",
    "organisation's home link": ".govuk-generic-header",
    "service navigation": ".govuk-service-navigation",
    "account bar with Sign out": ".app-account-bar",
    "footer": ".govuk-footer",
}

# For every element matched, whether the browser would draw it, and every link's ::after text.
RENDERED = """(selector) => [...document.querySelectorAll(selector)].map(element => {
  const style = getComputedStyle(element);
  const box = element.getBoundingClientRect();
  return {
    html: element.outerHTML.slice(0, 120),
    drawn: style.display !== 'none' && style.visibility !== 'hidden'
      && element.getClientRects().length > 0 && box.width > 0 && box.height > 0,
  };
})"""

LINK_ADDRESSES = """() => [...document.querySelectorAll('a')].map(link => ({
  href: link.getAttribute('href'),
  after: getComputedStyle(link, '::after').content,
}))"""


@dataclass(frozen=True)
class Printable:
    meeting_id: int
    case_id: int
    panel_id: int


@pytest.fixture
def printable(live_app: Flask) -> Printable:
    """The latest Newham MARAC meeting held with a case on it, that case and the panel."""
    with live_app.app_context():
        row = db.session.execute(
            select(Meeting.id, Referral.case_id, Panel.id)
            .join(Panel, Panel.id == Meeting.panel_id)
            .join(Referral, Referral.meeting_id == Meeting.id)
            .where(
                Panel.name == PANEL,
                Meeting.held_on < uk_today(),
                Referral.status.in_(ON_AN_AGENDA),
            )
            .order_by(Meeting.held_on.desc(), Referral.id)
        ).first()
        assert row is not None, PANEL
        meeting_id, case_id, panel_id = row
        return Printable(meeting_id, case_id, panel_id)


@pytest.fixture
def settings(live_app: Flask) -> Settings:
    found: Settings = live_app.config["SETTINGS"]
    return found


def rendered(page: Page, selector: str) -> list[dict[str, Any]]:
    return page.evaluate(RENDERED, selector)  # type: ignore[no-any-return]


def assert_prints_content_only(page: Page, settings: Settings) -> None:
    """R10 with print media: the marking strip is drawn and first; navigation, footer, forms
    and buttons are not drawn; no link is followed by its address."""
    page.emulate_media(media="print")
    # The screen-only parts are on the page (so the check below means something)...
    for name, selector in SCREEN_ONLY.items():
        assert rendered(page, selector), f"the {name} is missing from the page altogether"
    # ...and none of them, nor any form, button or back link, is drawn in print.
    for selector in [*SCREEN_ONLY.values(), "form", ".govuk-button", ".govuk-back-link"]:
        drawn = [found["html"] for found in rendered(page, selector) if found["drawn"]]
        assert not drawn, f"{selector} is printed: {drawn}"
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()

    # The marking strip is drawn, above everything else in the page.
    strip = page.locator(".app-protective-marking")
    expect(strip).to_be_visible()
    expect(strip).to_contain_text(settings.protective_marking)
    expect(strip).to_contain_text(settings.handling_caveat)
    top = page.evaluate(
        """() => [...document.body.querySelectorAll('*')]
          .filter(element => element.getClientRects().length
                  && getComputedStyle(element).display !== 'none'
                  && !element.closest('.app-protective-marking, script'))
          .map(element => element.getBoundingClientRect().top)"""
    )
    strip_box = strip.bounding_box()
    assert strip_box is not None
    assert strip_box["y"] <= min(top), "something is printed above the marking"
    # And again at the foot of every printed page.
    expect(page.locator(".app-print-marking")).to_be_visible()
    expect(page.locator(".app-print-marking")).to_contain_text(settings.protective_marking)

    # No link address after any link, whatever the link's class.
    links = page.evaluate(LINK_ADDRESSES)
    assert any(link["href"] and link["href"].startswith("/") for link in links)
    shown = [link for link in links if link["after"] not in ("none", "normal", '""')]
    assert not shown, f"links print their address: {shown}"


def pdf_text(path: Path) -> str | None:
    """The PDF's text, or None when pypdf is not installed."""
    if importlib.util.find_spec("pypdf") is None:
        return None
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def assert_pdf_has_marking_not_navigation(page: Page, path: Path, settings: Settings) -> None:
    """R10 on paper: chromium's PDF of the page has the marking and no "Sign out"."""
    page.pdf(path=str(path), format="A4")
    assert path.stat().st_size > 1000
    text = pdf_text(path)
    if text is None:
        return
    flat = " ".join(text.split())
    assert settings.protective_marking in flat
    assert " ".join(settings.handling_caveat.split()) in flat
    assert "Sign out" not in flat
    assert "Skip to main content" not in flat
    assert "Accessibility statement" not in flat  # a footer link


def test_a_meeting_prints_its_content_with_the_marking_and_no_navigation(
    signed_in_page: SignedInPage, printable: Printable, settings: Settings, tmp_path: Path
) -> None:
    page = signed_in_page(NEWHAM_COORDINATOR)
    page.goto(f"/meetings/{printable.meeting_id}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_prints_content_only(page, settings)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_pdf_has_marking_not_navigation(page, tmp_path / "meeting.pdf", settings)


def test_a_case_prints_without_its_note_form_or_navigation(
    signed_in_page: SignedInPage, printable: Printable, settings: Settings, tmp_path: Path
) -> None:
    page = signed_in_page(NEWHAM_COORDINATOR)
    page.goto(f"/cases/{printable.case_id}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert rendered(page, "form textarea"), "the case page should offer a note form on screen"
    assert_prints_content_only(page, settings)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("main table").first).to_be_visible()
    assert_pdf_has_marking_not_navigation(page, tmp_path / "case.pdf", settings)


def test_a_report_prints_its_chart_without_its_filters(
    signed_in_page: SignedInPage, printable: Printable, settings: Settings, tmp_path: Path
) -> None:
    page = signed_in_page(NEWHAM_COORDINATOR)
    page.goto(f"/reports/panels/{printable.panel_id}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert rendered(page, "main form[method='get']"), "the report should have its filters"
    assert_prints_content_only(page, settings)
    # The chart is kept, full width, and its table with it.
    chart = page.locator("main figure svg").first
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None
    assert box["width"] > 300, box
    assert box["height"] > 100, box
    expect(page.locator("main table").first).to_be_visible()
    # Rows are not cut across pages where they fit on one, and the header row repeats.
    table = page.evaluate(
        """() => ({
          row: getComputedStyle(document.querySelector('main tbody .govuk-table__row')).breakInside,
          head: getComputedStyle(document.querySelector('main .govuk-table__head')).display,
        })"""
    )
    assert table == {"row": "avoid", "head": "table-header-group"}, table
    assert_pdf_has_marking_not_navigation(page, tmp_path / "report.pdf", settings)
