"""The audit trail at 1280 x 800 (issue 25): long values (hashes, filters, object names) wrap
inside their cells and the table fits its container. axe-core's WCAG 2.2 AA checks run on it.

A screenshot is saved under the test's tmp_path, to look at when the layout changes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect

import audit
from app.database import db
from audit import AuditAction
from tests.e2e.conftest import SignedInPage
from tests.e2e.test_information_sharing_pages import assert_accessible
from tests.e2e.test_information_sharing_pages import demo_user

pytestmark = pytest.mark.browser

AUDITOR = "auditor@demo.example"
SCREEN = {"width": 1280, "height": 800}

# How far the page, its main column and the table reach past where they should end.
OVERFLOW = """() => {
  const main = document.querySelector('main');
  const table = document.querySelector('table.govuk-table');
  return {
    page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    main: main.scrollWidth - main.clientWidth,
    table: table.getBoundingClientRect().right - main.getBoundingClientRect().right,
    rows: table.querySelectorAll('tbody tr').length,
  };
}"""


def record_long_values(live_app: Flask) -> None:
    """An event with the longest values the trail holds: an object type of one long word, a
    64-character hash and a long filter, so the page is tried with them whatever the demo holds."""
    with live_app.app_context():
        audit.record(
            actor=demo_user(AUDITOR),
            action=AuditAction.AUDIT_LOG_VIEWED,
            object=("case_review_applications", "9" * 12),
            purpose="Synthetic: checking that long values wrap",
            changes={
                "event_hash": [None, "0123456789abcdef" * 4],
                "filters": {"object_type": "case_review_applications", "user": "12345678"},
            },
        )
        db.session.commit()


def test_the_audit_trail_fits_its_container_at_1280(
    live_app: Flask, signed_in_page: SignedInPage, axe_source: Path, tmp_path: Path
) -> None:
    record_long_values(live_app)
    page = signed_in_page(AUDITOR)
    page.set_viewport_size(SCREEN)
    page.goto("/audit/")
    expect(page.get_by_role("heading", name="Audit trail", exact=True)).to_be_visible()
    expect(page.get_by_text("0123456789abcdef" * 4)).to_be_visible()
    page.screenshot(path=str(tmp_path / "audit-trail.first-screen.png"))
    page.screenshot(path=str(tmp_path / "audit-trail.png"), full_page=True)

    overflow = page.evaluate(OVERFLOW)

    assert overflow["rows"] >= 20, "the demo should give the auditor a page of events"
    assert overflow["page"] <= 0, overflow
    assert overflow["main"] <= 0, overflow
    assert overflow["table"] <= 0, overflow
    assert_accessible(page, axe_source)
