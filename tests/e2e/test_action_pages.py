"""Action plans in a real browser (domain §2.6, R13): a coordinator agrees an action after a
missing answer is explained, the police representative finds it under Actions and reports that
it was not done only once they say why, and the agenda shows the case's outstanding actions.
axe-core's WCAG 2.2 AA checks run on every state.

The live server is shared by the session: this test works on the newest listed case of the
Newham Community MARAC, which no other browser test changes.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from app.database import db
from app.database import uk_today
from cases.models import Case
from cases.referrals.models import Referral
from panels.models import Panel
from tests.e2e.conftest import SignedInPage
from tests.e2e.test_information_sharing_pages import NEWHAM_COORDINATOR
from tests.e2e.test_information_sharing_pages import POLICE_REPRESENTATIVE
from tests.e2e.test_information_sharing_pages import assert_accessible
from tests.e2e.test_information_sharing_pages import error_summary
from tests.e2e.test_information_sharing_pages import fill_date
from tests.e2e.test_information_sharing_pages import success_banner

pytestmark = pytest.mark.browser

PANEL = "Newham Community MARAC"
POLICE = "Metropolitan Police – East Area"
WORDING = "Synthetic: visit the neighbours about the noise nuisance"


def newest_listed_case(live_app: Flask) -> tuple[int, str, int]:
    """The panel's newest open case listed at a meeting: its id, reference and meeting."""
    with live_app.app_context():
        row = db.session.execute(
            select(Case.id, Referral.meeting_id)
            .join(Referral, Referral.case_id == Case.id)
            .join(Panel, Panel.id == Case.panel_id)
            .where(Panel.name == PANEL, Case.closed_on.is_(None), Referral.meeting_id.is_not(None))
            .order_by(Case.id.desc(), Referral.id.desc())
        ).first()
        assert row is not None, PANEL
        case = db.session.get_one(Case, row[0])
        return case.id, case.reference, row[1]


def test_an_action_is_agreed_reported_on_and_shown_on_the_agenda(
    live_app: Flask, signed_in_page: SignedInPage, axe_source: Path
) -> None:
    case_id, reference, meeting = newest_listed_case(live_app)
    page = signed_in_page(NEWHAM_COORDINATOR)
    page.goto(f"/cases/{case_id}")
    expect(page.get_by_role("heading", name="Action plan")).to_be_visible()
    page.get_by_role("link", name="Agree an action").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Agree an action")
    assert_accessible(page, axe_source)

    page.get_by_label("What will the agency do?").fill(WORDING)
    page.get_by_role("button", name="Agree action").click()
    summary = error_summary(page)
    expect(summary).to_contain_text("Select the agency responsible")
    expect(summary).to_contain_text("Enter the date it is due")
    expect(page.get_by_label("What will the agency do?")).to_have_value(WORDING)
    assert_accessible(page, axe_source)

    page.get_by_label("Agency responsible").select_option(label=POLICE)
    fill_date(page, "Date it is due", uk_today() + timedelta(days=21))
    page.get_by_role("button", name="Agree action").click()
    expect(page).to_have_url(re.compile(rf"/cases/{case_id}#actions$"))
    expect(success_banner(page)).to_contain_text("The action has been agreed")
    row = page.get_by_role("row", name=re.compile(re.escape(WORDING)))
    expect(row).to_contain_text(POLICE)
    expect(row).to_contain_text("Open")
    assert_accessible(page, axe_source)

    police = signed_in_page(POLICE_REPRESENTATIVE)
    police.goto("/")
    police.get_by_role("link", name="Actions", exact=True).click()
    expect(police.get_by_role("heading", level=1)).to_have_text("Actions")
    assert_accessible(police, axe_source)
    police.get_by_role("link", name=WORDING).click()
    expect(police.get_by_text(reference)).to_be_visible()
    assert_accessible(police, axe_source)

    police.get_by_label("Not done by the agency").check()
    police.get_by_role("button", name="Send report").click()
    expect(error_summary(police)).to_contain_text("Say why the action was not completed")
    expect(police.get_by_label("Not done by the agency")).to_be_checked()
    assert_accessible(police, axe_source)
    police.get_by_label("What has been done").fill("Synthetic: officer moved to another team")
    police.get_by_role("button", name="Send report").click()
    expect(success_banner(police)).to_contain_text("Your report has been saved")
    expect(police.get_by_text("Synthetic: officer moved to another team")).to_be_visible()
    expect(police.get_by_role("button", name="Send report")).to_have_count(0)
    assert_accessible(police, axe_source)

    # R13: the case's actions come up at its meeting; the one just closed is not outstanding.
    page.goto(f"/meetings/{meeting}")
    expect(page.get_by_role("columnheader", name="Outstanding actions")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(re.escape(reference)))).to_be_visible()
    assert_accessible(page, axe_source)
