"""A coordinator's referral-level extract in a real browser (issue 20, R13): from the reports,
the form's errors in the summary and next to their fields, the security code, then the
extract's page, whose progress updates by itself when the job worker has made the file, and
the download. axe-core's WCAG 2.2 AA checks run on every page."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select

from app import jobs
from app.database import db
from app.jobs.models import OutboxMessage
from cases.reports.models import Extract
from cases.reports.models import ExtractPart
from tests.e2e.conftest import DEMO_SECRETS
from tests.e2e.conftest import SignedInPage
from tests.e2e.conftest import SignedInStates
from tests.e2e.test_information_sharing_pages import assert_accessible
from tests.e2e.test_information_sharing_pages import demo_user
from tests.e2e.test_information_sharing_pages import error_summary

pytestmark = pytest.mark.browser

COORDINATOR = "coordinator.newham@demo.example"


@pytest.fixture
def put_back(live_app: Flask, signed_in_state: SignedInStates) -> Iterator[None]:
    """The live server is shared by every browser test: afterwards the extracts this test made
    are gone (their audit events stay) and the coordinator signs in afresh."""
    with live_app.app_context():
        last = db.session.scalar(select(func.max(Extract.id))) or 0
    yield
    with live_app.app_context():
        db.session.execute(delete(ExtractPart).where(ExtractPart.extract_id > last))
        db.session.execute(delete(Extract).where(Extract.id > last))
        db.session.execute(delete(OutboxMessage))
        demo_user(COORDINATOR).totp_last_step = None
        db.session.commit()
    signed_in_state.forget(COORDINATOR)  # the security code renewed the session


@pytest.mark.usefixtures("put_back")
def test_a_coordinator_asks_for_an_extract_watches_it_made_and_downloads_it(
    signed_in_page: SignedInPage, axe_source: Path, live_app: Flask
) -> None:
    page = signed_in_page(COORDINATOR)
    page.goto("/reports")
    page.get_by_role("link", name="Extract your panels’ referrals").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your extracts of referrals")
    assert_accessible(page, axe_source)
    page.get_by_role("link", name="Extract referrals").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Extract your panels’ referrals")
    assert_accessible(page, axe_source)

    # Nothing chosen: every question says what it needs, in the summary and at its field.
    page.get_by_role("button", name="Make the extract").click()
    summary = error_summary(page)
    expect(summary).to_contain_text("Select at least one panel")
    expect(summary).to_contain_text("Select whether to include names and dates of birth")
    expect(summary).to_contain_text("Select the file's format")
    expect(summary).to_contain_text("Enter the 6-digit security code")
    assert_accessible(page, axe_source)

    page.get_by_label("Newham MARAC").check()
    page.get_by_label("No: references and coded answers only").check()
    page.get_by_label("CSV (comma-separated values)").check()
    with live_app.app_context():  # the sign-in's code may be used again (as the unit tests do)
        demo_user(COORDINATOR).totp_last_step = None
        db.session.commit()
    secret = pyotp.TOTP(DEMO_SECRETS[COORDINATOR])
    page.get_by_label("Your security code").fill(secret.at(time.time()))
    page.get_by_role("button", name="Make the extract").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Extract of referrals")
    expect(page.locator("#extract-status")).to_contain_text("Waiting to start")
    expect(page.locator("progress")).to_be_visible()
    assert_accessible(page, axe_source)

    # The worker makes it (here, in this process, as the worker would): the page, left open,
    # shows it ready without being reloaded.
    with live_app.app_context():
        assert jobs.run_pending() >= 1  # the extract (and any emails the sign-ins queued)
    expect(page.locator("#extract-status")).to_contain_text("Ready to download", timeout=15_000)
    assert_accessible(page, axe_source)
    with page.expect_download() as downloaded:
        page.get_by_role("link", name="Download the extract").click()
    text = Path(downloaded.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "OFFICIAL-SENSITIVE"
    header_at = next(i for i, row in enumerate(rows) if row and row[0] == "Referral")
    assert len(rows) > header_at + 1  # the demo's Newham MARAC has referrals
    assert all(row[2] == "Newham MARAC" for row in rows[header_at + 1 :] if row)
