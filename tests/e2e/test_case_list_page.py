"""The case list at 1280 x 800 (issue 25): the finders and filters leave the list on the first
screen, rows stay a few lines tall and the table fits its container; filters in use are
summarised as tags that each remove their filter. axe-core's WCAG 2.2 AA checks run on each state.

A screenshot of each state is saved under the test's tmp_path, to look at when the layout changes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.e2e.conftest import SignedInPage
from tests.e2e.test_information_sharing_pages import NEWHAM_COORDINATOR
from tests.e2e.test_information_sharing_pages import assert_accessible

pytestmark = pytest.mark.browser

SCREEN = {"width": 1280, "height": 800}
MOST_LINES_PER_ROW = 3

# The table's rows as the browser lays them out, and the container it sits in.
MEASURE = """() => {
  const main = document.querySelector('main');
  const table = document.querySelector('table.govuk-table');
  const rows = [...table.querySelectorAll('tbody tr')];
  const cell = getComputedStyle(rows[0].querySelector('td'));
  const px = value => parseFloat(value) || 0;
  return {
    firstRowTop: rows[0].getBoundingClientRect().top,
    rowHeights: rows.map(row => row.getBoundingClientRect().height),
    lineHeight: px(cell.lineHeight),
    padding: px(cell.paddingTop) + px(cell.paddingBottom) + px(cell.borderBottomWidth),
    mainScrollWidth: main.scrollWidth,
    mainClientWidth: main.clientWidth,
    tableRight: table.getBoundingClientRect().right,
    mainRight: main.getBoundingClientRect().right,
  };
}"""


def measure(page: Page) -> dict[str, Any]:
    return page.evaluate(MEASURE)  # type: ignore[no-any-return]


def assert_starts_on_the_first_screen_and_fits(page: Page, shot: Path) -> dict[str, Any]:
    """Screenshots (the first screen and the whole page) to look at, then the checks."""
    page.screenshot(path=str(shot.with_suffix(".first-screen.png")))
    page.screenshot(path=str(shot), full_page=True)
    sizes = measure(page)
    assert sizes["firstRowTop"] < SCREEN["height"], sizes
    assert sizes["mainScrollWidth"] <= sizes["mainClientWidth"], sizes
    assert sizes["tableRight"] <= sizes["mainRight"], sizes
    return sizes


def test_the_case_list_starts_on_the_first_screen_and_its_rows_fit_at_1280(
    signed_in_page: SignedInPage, axe_source: Path, tmp_path: Path
) -> None:
    page = signed_in_page(NEWHAM_COORDINATOR)
    page.set_viewport_size(SCREEN)
    page.goto("/cases")
    expect(page.get_by_role("heading", name="Cases", exact=True)).to_be_visible()
    rows = page.locator("table.govuk-table tbody tr")
    assert rows.count() >= 20, "the demo should give the coordinator a page of cases"
    sizes = assert_starts_on_the_first_screen_and_fits(page, tmp_path / "case-list.png")
    # A page of rows averages three lines at most (it was six, at 19 pixels).
    heights = sizes["rowHeights"]
    tallest_allowed = MOST_LINES_PER_ROW * sizes["lineHeight"] + sizes["padding"]
    assert sum(heights) / len(heights) <= tallest_allowed, sizes
    # Every finder is still on the page, usable without opening anything.
    expect(page.get_by_label("First name")).to_be_visible()
    expect(page.get_by_label("Case reference")).to_be_visible()
    assert_accessible(page, axe_source)


def test_filters_in_use_are_summarised_as_tags_that_remove_them(
    signed_in_page: SignedInPage, axe_source: Path, tmp_path: Path
) -> None:
    page = signed_in_page(NEWHAM_COORDINATOR)
    page.set_viewport_size(SCREEN)
    page.goto("/cases")
    page.get_by_text("Filter and sort cases").click()
    page.get_by_label("Risk level").select_option(label="High")
    page.get_by_label("Repeat referral").select_option(label="Not a repeat")
    page.get_by_role("button", name="Apply filters").click()

    expect(page).to_have_url(re.compile(r"risk=high"))
    caption = page.locator("table.govuk-table caption")
    expect(caption).to_contain_text("matching your filters")
    tags = page.get_by_role("list", name="Filters in use")
    expect(tags.get_by_role("link")).to_have_count(2)
    # The filters stay folded away: the summary says what is in use.
    expect(page.get_by_label("Risk level")).not_to_be_visible()
    assert_starts_on_the_first_screen_and_fits(page, tmp_path / "case-list-filtered.png")
    assert_accessible(page, axe_source)

    tags.get_by_role("link", name="Remove filter: Risk level: High").click()
    expect(page).not_to_have_url(re.compile(r"risk="))
    expect(page).to_have_url(re.compile(r"repeat=no"))
    expect(page.get_by_role("list", name="Filters in use").get_by_role("link")).to_have_count(1)
