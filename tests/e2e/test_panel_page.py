"""The panel's own page (`/panels/<id>`, issue 25) in a real browser, with axe-core's WCAG 2.2
AA checks: a coordinator reaches it from the home page and reads it; a member whose
organisation withdrew from the protocol finds no link and no page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.e2e.conftest import SignedInPage
from tests.e2e.test_browser import assert_accessible
from tests.e2e.test_browser import url_path
from tests.e2e.test_information_sharing_pages import panel_id

pytestmark = pytest.mark.browser

NEWHAM_COORDINATOR = "coordinator.newham@demo.example"
WITHDRAWN_PROBATION = "probation.east@demo.example"  # withdrew from Newham IOM's protocol


def test_a_coordinator_opens_their_panel_from_the_home_page_and_reads_it(
    signed_in_page: SignedInPage, live_app: Flask, axe_source: Path
) -> None:
    page = signed_in_page(NEWHAM_COORDINATOR)
    page.goto("/")
    page.get_by_role("link", name="Newham MARAC", exact=True).click()
    expect(page).to_have_url(url_path(f"/panels/{panel_id(live_app, 'Newham MARAC')}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Newham MARAC")
    main = page.get_by_role("main")
    for section in ("How a MARAC (high-risk domestic abuse) panel works", "Local settings"):
        expect(main.get_by_role("heading", name=section, exact=True)).to_be_visible()
    expect(main.get_by_role("heading", name="Information sharing protocol")).to_be_visible()
    expect(
        main.get_by_role("heading", name=re.compile(r"^Version .*: signatories$")).first
    ).to_be_visible()
    members = main.locator("#members")
    expect(
        members.get_by_role("row", name=re.compile(r"^Casey Coordinator .* Coordinator$"))
    ).to_be_visible()
    # Read-only: nothing to submit and nothing to change.
    expect(main.locator("form")).to_have_count(0)
    expect(main.get_by_role("button")).to_have_count(0)
    expect(main.get_by_role("link", name=re.compile("Change|Edit|Remove|Renew|Add"))).to_have_count(
        0
    )
    assert_accessible(page, axe_source)


def test_a_member_whose_organisation_withdrew_gets_no_link_and_no_page(
    signed_in_page: SignedInPage, live_app: Flask
) -> None:
    page = signed_in_page(WITHDRAWN_PROBATION)
    page.goto("/")
    panels = page.get_by_role("table").first
    expect(panels.get_by_role("cell", name="Newham IOM Panel", exact=True)).to_be_visible()
    expect(panels.get_by_role("link", name="Newham IOM Panel")).to_have_count(0)
    expect(panels.get_by_role("link", name="Newham MARAC", exact=True)).to_be_visible()
    page.goto(f"/panels/{panel_id(live_app, 'Newham IOM Panel')}")
    expect(page).to_have_title(re.compile(r"^Page not found"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
