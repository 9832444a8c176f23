"""Emergency access beyond the limits, in a real browser with axe-core (issue 26, R19)."""

from __future__ import annotations

import re
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

from app.database import db
from app.extensions import limiter
from cases.break_glass.models import BreakGlassGrant
from cases.break_glass.models import CaseAlert
from panels.models import Panel
from panels.settings import PanelSettings
from tests.e2e.conftest import DEMO_SECRETS
from tests.e2e.conftest import SignedInPage
from tests.e2e.conftest import SignedInStates
from tests.e2e.test_browser import url_path
from tests.e2e.test_information_sharing_pages import NEWHAM_COORDINATOR
from tests.e2e.test_information_sharing_pages import POLICE_REPRESENTATIVE
from tests.e2e.test_information_sharing_pages import assert_accessible
from tests.e2e.test_information_sharing_pages import case_hidden_from
from tests.e2e.test_information_sharing_pages import demo_user
from tests.e2e.test_information_sharing_pages import error_summary
from tests.e2e.test_information_sharing_pages import status_of
from tests.e2e.test_information_sharing_pages import success_banner

pytestmark = pytest.mark.browser


@pytest.fixture
def put_back(live_app: Flask, signed_in_state: SignedInStates) -> Iterator[None]:
    """The live server is shared by every browser test, in whatever order they run: afterwards,
    Newham MACE's limits are as they were, and the grants and alerts this test made are gone
    (their audit events stay), and nothing counts towards a rate limit, so the other emergency
    access test finds the same world."""
    with live_app.app_context():
        panel = db.session.scalar(select(Panel).where(Panel.name == "Newham MACE"))
        assert panel is not None
        settings = panel.local_settings
        last_grant = db.session.scalar(select(func.max(BreakGlassGrant.id))) or 0
        last_alert = db.session.scalar(select(func.max(CaseAlert.id))) or 0
    yield
    with live_app.app_context():
        db.session.execute(delete(CaseAlert).where(CaseAlert.id > last_alert))
        db.session.execute(delete(BreakGlassGrant).where(BreakGlassGrant.id > last_grant))
        db.session.get_one(Panel, panel.id).local_settings = settings
        # The next step's code was used: signing in again now would be refused as a replay.
        demo_user(POLICE_REPRESENTATIVE).totp_last_step = None
        db.session.commit()
        limiter.reset()  # this test's asks count towards the emergency access rate limit
    signed_in_state.forget(POLICE_REPRESENTATIVE)  # the security code again renewed the session


@pytest.mark.usefixtures("put_back")
def test_a_request_beyond_the_limits_waits_for_a_coordinator_who_approves_it(
    signed_in_page: SignedInPage, axe_source: Path, live_app: Flask
) -> None:
    """Issue 26: beyond the limits the person is told their request went to the coordinators;
    a coordinator approves it (after the form's errors) and the case opens."""
    with live_app.app_context():
        panel = db.session.scalar(select(Panel).where(Panel.name == "Newham MACE"))
        assert panel is not None
        panel.local_settings = PanelSettings().with_changes(break_glass_at_once=1).to_json()
        db.session.commit()
    first_id, first = case_hidden_from(live_app, POLICE_REPRESENTATIVE, "Newham MACE")
    page = signed_in_page(POLICE_REPRESENTATIVE)
    secret = pyotp.TOTP(DEMO_SECRETS[POLICE_REPRESENTATIVE])

    def ask(reference: str) -> None:
        with live_app.app_context():  # the code may be used again (as the unit tests do)
            demo_user(POLICE_REPRESENTATIVE).totp_last_step = None
            db.session.commit()
        page.goto("/emergency-access")
        page.get_by_label("Case reference").fill(reference)
        page.get_by_label("Immediate risk to someone's life or safety").check()
        page.get_by_label("Explain the emergency").fill(
            "Police called to the address overnight; the coordinator cannot be reached."
        )
        page.get_by_label("Your security code").fill(secret.at(time.time() + 30))
        page.get_by_role("button", name="Get emergency access").click()

    ask(first)
    expect(page).to_have_url(url_path(f"/cases/{first_id}"))
    second_id, second = case_hidden_from(live_app, POLICE_REPRESENTATIVE, "Newham MACE")
    ask(second)
    expect(page).to_have_url(url_path("/emergency-access"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"your request for case {second} has gone to the coordinators of its panel"
    )
    expect(page.get_by_role("row", name=re.compile(second))).to_contain_text("Waiting for approval")
    assert_accessible(page, axe_source)
    assert status_of(page, f"/cases/{second_id}") == 404

    coordinator = signed_in_page(NEWHAM_COORDINATOR)
    coordinator.goto("/alerts")
    row = coordinator.get_by_role("row", name=re.compile(second))
    expect(row).to_contain_text("Decision needed")
    assert_accessible(coordinator, axe_source)
    row.get_by_role("link", name=f"Request for emergency access to {second}").click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text(
        f"Request for emergency access to {second}"
    )
    assert_accessible(coordinator, axe_source)
    coordinator.get_by_role("button", name="Record decision").click()
    expect(error_summary(coordinator)).to_contain_text(
        "Select whether you approve the emergency access"
    )
    assert_accessible(coordinator, axe_source)
    coordinator.get_by_label("No, decline it").check()
    coordinator.get_by_role("button", name="Record decision").click()
    expect(error_summary(coordinator)).to_contain_text("Enter why you are declining the request")
    assert_accessible(coordinator, axe_source)
    coordinator.get_by_label("Yes, approve it: their access starts now").check()
    coordinator.get_by_role("button", name="Record decision").click()
    expect(coordinator).to_have_url(url_path("/alerts"))
    expect(success_banner(coordinator)).to_contain_text(
        f"You approved the request for emergency access to {second}"
    )
    assert_accessible(coordinator, axe_source)

    assert status_of(page, f"/cases/{second_id}") == 200
    page.goto("/emergency-access")
    expect(page.get_by_role("row", name=re.compile(second))).to_contain_text("Approved")
    assert_accessible(page, axe_source)
