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
