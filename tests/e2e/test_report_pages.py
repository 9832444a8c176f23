"""Reports in a real browser (issue 20, domain §2.10, R23): the demo manager finds a panel of
an area they report on from the menus, reads its repeat rate as a chart with its table, changes
the period, downloads the figures, and is refused another area's panel. axe-core's WCAG 2.2 AA
checks run on every page. Nothing here changes the shared live server's data.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from app.database import db
from panels.models import Panel
from tests.e2e.conftest import SignedInPage
from tests.e2e.test_information_sharing_pages import assert_accessible
from tests.e2e.test_information_sharing_pages import error_summary
from tests.e2e.test_information_sharing_pages import status_of

pytestmark = pytest.mark.browser

MANAGER = "manager@demo.example"  # reports on Havering, Redbridge and Barking and Dagenham


def panel_id(live_app: Flask, name: str) -> int:
    with live_app.app_context():
        found = db.session.scalar(select(Panel.id).where(Panel.name == name))
        assert found is not None, name
        return found


def test_a_manager_reads_a_repeat_rate_changes_the_period_and_downloads_it(
    signed_in_page: SignedInPage, axe_source: Path, live_app: Flask
) -> None:
    page = signed_in_page(MANAGER)
    page.goto("/")
    page.get_by_role("link", name="Reports", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    assert_accessible(page, axe_source)

    # Find the panel: a forged sort is explained, then the type filter narrows the list.
    page.goto("/reports?sort=forged")
    expect(error_summary(page)).to_contain_text("Select how to sort the panels from the list")
    assert_accessible(page, axe_source)
    page.get_by_label("Panel type").select_option(value="marac")
    page.get_by_role("button", name="Show panels").click()
    rows = page.locator("tbody tr")
    expect(rows.first).to_be_visible()
    names = rows.locator("td:first-child").all_inner_texts()
    assert any("Havering MARAC" in name for name in names)
    assert not any("Newham" in name for name in names)  # not an area they report on
    # Community MARAC panels hold ASB Case Reviews: their figures join the reports.
    page.get_by_label("Panel type").select_option(value="community_marac")
    page.get_by_role("button", name="Show panels").click()
    expect(
        page.get_by_role("link", name="ASB Case Review figures for Havering Community MARAC")
    ).to_be_visible()
    page.get_by_label("Panel type").select_option(value="marac")
    page.get_by_role("button", name="Show panels").click()
    assert_accessible(page, axe_source)

    page.get_by_role("link", name="Repeat rate for Havering MARAC").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Repeat rate")
    chart = page.locator("svg[role='img']").first
    expect(chart).to_be_visible()
    assert (chart.locator("title").text_content() or "").startswith("Repeat rate")
    expect(page.locator("table caption").first).to_contain_text("Repeat rate")
    assert_accessible(page, axe_source)

    page.get_by_label("Show", exact=True).select_option(label="Rolling 12 months")
    page.get_by_role("button", name="Show figures").click()
    expect(page).to_have_url(re.compile(r"view=12-months"))
    expect(page.locator("table caption").first).to_contain_text("rolling 12 months")
    assert_accessible(page, axe_source)

    link = page.get_by_role("link", name="Download as CSV")
    response = page.request.get(link.get_attribute("href") or "")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "OFFICIAL-SENSITIVE" in response.text().splitlines()[0]

    # Another area's panel is the same 404 as a panel that does not exist.
    assert status_of(page, f"/reports/panels/{panel_id(live_app, 'Newham MARAC')}") == 404


def test_a_manager_reads_a_marac_s_safelives_return_suppressed_and_downloads_it(
    signed_in_page: SignedInPage, axe_source: Path
) -> None:
    """Issue 20, domain §2.10, R23: the return of a MARAC in the manager's areas, meeting by
    meeting (a table that scrolls in its own focusable region when wide), with volume and
    capacity, suppressed for a manager; an earlier quarter chosen from the list; the file laid
    out as the return with the protective marking first."""
    page = signed_in_page(MANAGER)
    page.goto("/reports?panel_type=marac")
    page.get_by_role("link", name="SafeLives return for Havering MARAC").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("SafeLives MARAC quarterly return")
    expect(page.get_by_text("Small numbers are suppressed")).to_be_visible()
    expect(page.get_by_text("These are exact figures")).to_have_count(0)
    expect(page.get_by_role("heading", name=re.compile("^Volume and capacity"))).to_be_visible()
    assert_accessible(page, axe_source)

    quarter = page.get_by_label("Quarter", exact=True)
    options = quarter.locator("option").all_inner_texts()
    quarter.select_option(label=options[4])
    page.get_by_role("button", name="Show the return").click()
    expect(page.locator("p.govuk-body-l")).to_contain_text(options[4].split(" (")[0])
    region = page.get_by_role("region", name=re.compile("^Meeting by meeting"))
    if region.count():
        region.focus()
        expect(region).to_be_focused()
        expect(
            region.get_by_role("rowheader", name="Cases discussed (repeats included)")
        ).to_be_visible()
    assert_accessible(page, axe_source)

    link = page.get_by_role("link", name="Download as CSV")
    response = page.request.get(link.get_attribute("href") or "")
    assert response.status == 200
    lines = response.text().splitlines()
    assert "OFFICIAL-SENSITIVE" in lines[0]
    assert any(line.startswith("Report,SafeLives MARAC quarterly return") for line in lines)
    assert "suppressed.csv" in response.headers["content-disposition"]


def test_a_manager_prints_an_area_s_board_pack(
    signed_in_page: SignedInPage, axe_source: Path
) -> None:
    """Issue 20: from Reports, the board pack page offers the manager's areas and the quarters;
    a forged area is explained on the page; a choice shows the panels the pack holds, and the
    PDF downloads."""
    page = signed_in_page(MANAGER)
    page.goto("/reports")
    page.get_by_role("link", name="Print a board pack").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Board packs")
    areas = page.get_by_label("Area", exact=True).locator("option").all_inner_texts()
    assert areas == ["Choose an area", "Barking and Dagenham", "Havering", "Redbridge"]
    assert_accessible(page, axe_source)

    page.goto("/reports/board-pack?area=987654")
    expect(error_summary(page)).to_contain_text("Select an area from the list")
    assert_accessible(page, axe_source)

    page.get_by_label("Area", exact=True).select_option(label="Havering")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Havering, ")
    expect(page.get_by_text("Havering MARAC (MARAC (high-risk domestic abuse))")).to_be_visible()
    assert_accessible(page, axe_source)
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"^Download the board pack for Havering")).click()
    assert download.value.suggested_filename.startswith("board-pack-havering-")
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_a_manager_compares_every_panel_s_repeat_rate(
    signed_in_page: SignedInPage, axe_source: Path
) -> None:
    """Issue 20: one table of the repeat rates of every panel in the manager's areas (the
    MARACs and Community MARACs of Havering, Redbridge and Barking and Dagenham), sorted by rate;
    a panel's row leads to its own report."""
    page = signed_in_page(MANAGER)
    page.goto("/reports")
    page.get_by_role("link", name="Repeat rates of every panel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Repeat rates of every panel")
    panels = page.locator("tbody th a").all_inner_texts()
    assert "Havering MARAC" in panels
    assert "Havering Community MARAC" in panels
    assert not any("Newham" in name for name in panels)
    assert_accessible(page, axe_source)
    page.get_by_label("Sort by").select_option(value="rate")
    page.get_by_role("button", name="Show repeat rates").click()
    expect(page).to_have_url(re.compile(r"sort=rate"))
    assert_accessible(page, axe_source)
    page.get_by_role("link", name="Havering MARAC", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Repeat rate")
