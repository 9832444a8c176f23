"""The meeting journey in a real browser with axe-core (issue 21, domain §2.6, R2, R3): the
coordinator pages through every meeting, filters to a past one and opens it, records its
attendance (first with someone who never accepted the statement, told so next to their name
with everything else kept), sees that it was not quorate, and records a declaration of
interest. WCAG 2.2 AA checks run on every page and state.

The live server is shared by the session: this test works on the latest Newham MARAC meeting
held with a case on it, and `put_back` removes what it recorded there afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Locator
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import delete
from sqlalchemy import select

from app.database import db
from app.database import uk_today
from app.keys.store import key_store
from app.template_filters import uk_date
from cases.meetings.models import InformationSent
from cases.meetings.models import InterestDeclaration
from cases.meetings.models import MeetingAttendance
from cases.meetings.models import MeetingObserver
from cases.meetings.queries import ON_AN_AGENDA
from cases.models import Case
from cases.referrals.models import Referral
from panels.models import Meeting
from panels.models import Panel
from tests.e2e.conftest import SignedInPage
from tests.e2e.test_browser import url_path
from tests.e2e.test_information_sharing_pages import NEWHAM_COORDINATOR
from tests.e2e.test_information_sharing_pages import assert_accessible
from tests.e2e.test_information_sharing_pages import error_summary
from tests.e2e.test_information_sharing_pages import fill_date
from tests.e2e.test_information_sharing_pages import success_banner

pytestmark = pytest.mark.browser

PANEL = "Newham MARAC"
OBSERVER = ("Synthetic Observer", "Student social worker, Barking Council")


@dataclass(frozen=True)
class HeldMeeting:
    id: int
    held_on: date
    case_reference: str


@pytest.fixture
def meeting(live_app: Flask) -> Iterator[HeldMeeting]:
    """The latest Newham MARAC meeting already held with a case listed at it; afterwards its
    attendance, observers and declarations of interest are gone again (audit events stay)."""
    with live_app.app_context():
        row = db.session.execute(
            select(Meeting.id, Meeting.held_on, Referral.case_id)
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
        meeting_id, held_on, case_id = row
        recorded = db.session.scalar(
            select(MeetingAttendance.id).where(MeetingAttendance.meeting_id == meeting_id)
        )
        assert recorded is None, "another test recorded this meeting's attendance"
        found = HeldMeeting(meeting_id, held_on, db.session.get_one(Case, case_id).reference)
    yield found
    with live_app.app_context():
        for model in (InterestDeclaration, MeetingAttendance, InformationSent):
            db.session.execute(delete(model).where(model.meeting_id == meeting_id))
        for observer in db.session.scalars(
            select(MeetingObserver).where(MeetingObserver.meeting_id == meeting_id)
        ):
            key = observer.data_key
            db.session.delete(observer)
            key_store().destroy(key)
        db.session.commit()


def member(page: Page, name: str) -> Locator:
    """The radios of one panel member on the attendance form (a group named by its legend)."""
    return page.get_by_role("group", name=name, exact=True)


def choose(page: Page, name: str, status: str) -> None:
    page.get_by_role("group", name=name, exact=True).get_by_label(status, exact=True).check()


def test_a_coordinator_records_a_past_meetings_attendance_and_an_interest(
    signed_in_page: SignedInPage, axe_source: Path, meeting: HeldMeeting
) -> None:
    page = signed_in_page(NEWHAM_COORDINATOR)
    page.goto("/")
    page.get_by_role("link", name="Meetings", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meetings")
    assert_accessible(page, axe_source)

    # Every meeting, past and to come, a page at a time.
    page.get_by_role("link", name="All meetings").click()
    caption = page.locator(".govuk-table__caption")
    expect(caption).to_contain_text("past and to come")
    expect(caption).to_contain_text("page 1 of")
    page.get_by_role("link", name=re.compile("^Next")).click()
    expect(caption).to_contain_text("page 2 of")
    assert_accessible(page, axe_source)

    # Narrowed to the panel's meetings already held, on the meeting's date.
    filters = page.locator("details.govuk-details")
    if filters.get_attribute("open") is None:
        filters.get_by_text("Filter and sort meetings").click()
    filters.get_by_label("Meetings", exact=True).select_option(label="Already held")
    filters.get_by_label("Panel", exact=True).select_option(label=PANEL)
    fill_date(page, "Held from", meeting.held_on)
    fill_date(page, "Held up to", meeting.held_on)
    page.get_by_role("button", name="Apply filters").click()
    expect(caption).to_contain_text("1 meeting: already held")
    assert_accessible(page, axe_source)
    page.get_by_role("link", name=uk_date(meeting.held_on)).click()
    expect(page).to_have_url(url_path(f"/meetings/{meeting.id}"))
    expect(page.get_by_text("Attendance has not been recorded.")).to_be_visible()
    assert_accessible(page, axe_source)

    # R3: the coordinator never accepted this meeting's statement, so cannot be recorded as
    # attending it; the message is beside their name and every other entry stays.
    page.get_by_role("link", name="Record attendance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record attendance")
    assert_accessible(page, axe_source)
    choose(page, "Casey Coordinator", "Attended")
    for name in ("Chris Chair", "Pat Police", "Iris IDVA", "Parker Probation"):
        choose(page, name, "Attended")
    choose(page, "Cody Children", "Sent apologies")
    page.get_by_label("Newham Children’s Social Care", exact=True).check()
    page.get_by_label("Name of observer 1").fill(OBSERVER[0])
    page.get_by_label("Organisation of observer 1").fill(OBSERVER[1])
    page.get_by_role("button", name="Save attendance").click()
    refusal = "Casey Coordinator has not accepted the confidentiality statement for this meeting"
    expect(error_summary(page)).to_contain_text(refusal)
    expect(member(page, "Casey Coordinator").locator(".govuk-error-message")).to_contain_text(
        refusal
    )
    expect(member(page, "Pat Police").get_by_label("Attended", exact=True)).to_be_checked()
    expect(member(page, "Cody Children").get_by_label("Sent apologies", exact=True)).to_be_checked()
    expect(page.get_by_label("Newham Children’s Social Care", exact=True)).to_be_checked()
    expect(page.get_by_label("Name of observer 1")).to_have_value(OBSERVER[0])
    assert_accessible(page, axe_source)

    choose(page, "Casey Coordinator", "Not recorded")
    page.get_by_role("button", name="Save attendance").click()
    expect(page).to_have_url(url_path(f"/meetings/{meeting.id}#attendance"))
    expect(success_banner(page)).to_contain_text("Attendance saved")
    # R2: the police (twice), the IDVA service and probation make three agencies of four.
    expect(page.locator(".govuk-warning-text")).to_contain_text(
        "Not quorate: only 3 agencies attended, and the quorum needs 4"
    )
    expect(page.get_by_text("Pat Police (Metropolitan Police – East Area)")).to_be_visible()
    expect(page.get_by_text(f"{OBSERVER[0]} ({OBSERVER[1]})")).to_be_visible()
    assert_accessible(page, axe_source)

    # A declaration of interest: first without saying who, then Pat Police leaves the item.
    page.get_by_role(
        "link", name=f"Record a declaration of interest for {meeting.case_reference}"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a declaration of interest")
    expect(page.get_by_label("Case", exact=True)).to_have_value(re.compile(r"^\d+$"))
    assert_accessible(page, axe_source)
    page.get_by_role("button", name="Record declaration of interest").click()
    expect(error_summary(page)).to_contain_text("Select who declared an interest")
    assert_accessible(page, axe_source)
    page.get_by_label("Who declared an interest").select_option(
        label="Pat Police (Metropolitan Police – East Area)"
    )
    page.get_by_role("button", name="Record declaration of interest").click()
    expect(page).to_have_url(url_path(f"/meetings/{meeting.id}#agenda"))
    expect(success_banner(page)).to_contain_text(
        f"Declaration of interest recorded for {meeting.case_reference}"
    )
    row = page.get_by_role("row", name=re.compile(re.escape(meeting.case_reference)))
    expect(row).to_contain_text(
        "Pat Police (Metropolitan Police – East Area) declared an interest and left for this item"
    )
    assert_accessible(page, axe_source)
