"""The minutes journey in a real browser with axe-core (issue 21, domain §2.6, R3, R12): the
coordinator drafts a past meeting's minutes (first saving nothing, told so), the chair cannot
approve them until every case has the panel's decision (told which), then approves them, the
IDVA, whose agency attended, reads them and their agency's actions extract, and children's
social care, which neither attended nor sent information, gets the 404 of a page that does not
exist and no link. WCAG 2.2 AA checks run on every page and state.

The live server is shared by the session: this test works on the second latest Newham MARAC
meeting held with a case on it (the meeting journey takes the latest), records its attendance
directly, and `put_back` removes the attendance, declarations and minutes afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import delete
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.database import uk_today
from app.keys.store import key_store
from cases.meetings.models import AttendanceStatus
from cases.meetings.models import MeetingAttendance
from cases.meetings.models import MeetingMinutes
from cases.meetings.queries import ON_AN_AGENDA
from cases.models import Case
from cases.referrals.models import Referral
from panels.models import ConfidentialityDeclaration
from panels.models import Meeting
from panels.models import Panel
from panels.models import PanelRole
from tests.e2e.conftest import SignedInPage
from tests.e2e.test_browser import url_path
from tests.e2e.test_information_sharing_pages import IDVA_REPRESENTATIVE
from tests.e2e.test_information_sharing_pages import NEWHAM_COORDINATOR
from tests.e2e.test_information_sharing_pages import assert_accessible
from tests.e2e.test_information_sharing_pages import error_summary
from tests.e2e.test_information_sharing_pages import status_of
from tests.e2e.test_information_sharing_pages import success_banner

pytestmark = pytest.mark.browser

PANEL = "Newham MARAC"
CHAIR = "chair.newham@demo.example"
CHILDRENS = "childrens.newham@demo.example"  # on the panel; their agency took no part
GENERAL = "Synthetic general minutes: last meeting's minutes agreed as a true record"
DISCUSSION = "Synthetic discussion: risk remains high and a safety plan was agreed"
CONTRIBUTION = "Synthetic contribution: weekly contact at agreed safe times"


@dataclass(frozen=True)
class HeldMeeting:
    id: int
    case_reference: str


@pytest.fixture
def meeting(live_app: Flask) -> Iterator[HeldMeeting]:
    """A past Newham MARAC meeting with a case, attended by the coordinator, the chair and the
    IDVA, each having accepted its statement (set up directly, those the demo had not); afterwards
    what this added and the minutes are gone again (audit events stay)."""
    with live_app.app_context():
        rows = db.session.execute(
            select(Meeting.id, Referral.case_id)
            .join(Panel, Panel.id == Meeting.panel_id)
            .join(Referral, Referral.meeting_id == Meeting.id)
            .where(
                Panel.name == PANEL,
                Meeting.held_on < uk_today(),
                Referral.status.in_(ON_AN_AGENDA),
            )
            .order_by(Meeting.held_on.desc(), Referral.id)
        ).all()
        meetings = list(dict.fromkeys(meeting_id for meeting_id, _ in rows))
        assert len(meetings) >= 2, PANEL
        meeting_id = meetings[1]
        case_id = next(case for found, case in rows if found == meeting_id)
        for model in (MeetingAttendance, MeetingMinutes):
            assert db.session.scalar(select(model.id).where(model.meeting_id == meeting_id)) is None
        users = {
            u.email: u
            for u in db.session.scalars(
                select(User).where(User.email.in_([NEWHAM_COORDINATOR, CHAIR, IDVA_REPRESENTATIVE]))
            )
        }
        roles = {
            NEWHAM_COORDINATOR: PanelRole.COORDINATOR,
            CHAIR: PanelRole.CHAIR,
            IDVA_REPRESENTATIVE: PanelRole.REPRESENTATIVE,
        }
        declared = set(
            db.session.scalars(
                select(ConfidentialityDeclaration.user_id).where(
                    ConfidentialityDeclaration.meeting_id == meeting_id
                )
            )
        )
        added = [user.id for user in users.values() if user.id not in declared]
        for user_id in added:
            db.session.add(
                ConfidentialityDeclaration(
                    meeting_id=meeting_id, user_id=user_id, statement_version="1"
                )
            )
        for email, user in users.items():
            db.session.add(
                MeetingAttendance(
                    meeting_id=meeting_id,
                    user_id=user.id,
                    organisation_id=user.organisation_id,
                    panel_role=roles[email],
                    status=AttendanceStatus.PRESENT,
                    recorded_by_id=users[NEWHAM_COORDINATOR].id,
                )
            )
        db.session.commit()
        found = HeldMeeting(meeting_id, db.session.get_one(Case, case_id).reference)
    yield found
    with live_app.app_context():
        for minutes in db.session.scalars(
            select(MeetingMinutes).where(MeetingMinutes.meeting_id == meeting_id)
        ):
            key = minutes.data_key
            db.session.delete(minutes)  # its sections and contributions go with it
            key_store().destroy(key)
        db.session.execute(
            delete(MeetingAttendance).where(MeetingAttendance.meeting_id == meeting_id)
        )
        db.session.execute(
            delete(ConfidentialityDeclaration).where(
                ConfidentialityDeclaration.meeting_id == meeting_id,
                ConfidentialityDeclaration.user_id.in_(added),
            )
        )
        db.session.commit()


def test_minutes_are_drafted_approved_by_the_chair_and_reach_only_the_agencies_there(
    signed_in_page: SignedInPage, axe_source: Path, meeting: HeldMeeting
) -> None:
    minutes_path = f"/meetings/{meeting.id}/minutes"

    # The coordinator drafts them; saving nothing at all is refused with a message.
    page = signed_in_page(NEWHAM_COORDINATOR)
    page.goto(f"/meetings/{meeting.id}")
    page.get_by_role("link", name="Minutes", exact=True).click()
    expect(page.get_by_text("The minutes have not been drafted yet.")).to_be_visible()
    assert_accessible(page, axe_source)
    page.get_by_role("link", name="Draft the minutes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draft the minutes")
    assert_accessible(page, axe_source)
    page.get_by_role("button", name="Save draft minutes").click()
    expect(error_summary(page)).to_contain_text("Write the minutes before saving them")
    assert_accessible(page, axe_source)
    page.get_by_label("General minutes").fill(GENERAL)
    page.get_by_label(f"Discussion of case {meeting.case_reference}").fill(DISCUSSION)
    page.get_by_label(f"East London Domestic Abuse Service on case {meeting.case_reference}").fill(
        CONTRIBUTION
    )
    page.get_by_role("button", name="Save draft minutes").click()
    expect(page).to_have_url(url_path(minutes_path))
    expect(success_banner(page)).to_contain_text("The draft minutes have been saved")
    expect(page.get_by_text(DISCUSSION)).to_be_visible()
    expect(
        page.get_by_text("Only the chair of Newham MARAC can approve the minutes")
    ).to_be_visible()
    assert_accessible(page, axe_source)

    # Not distributed yet: the IDVA cannot open them.
    idva = signed_in_page(IDVA_REPRESENTATIVE)
    assert status_of(idva, minutes_path) == 404

    # The chair cannot approve them until every case has the panel's decision.
    chair = signed_in_page(CHAIR)
    chair.goto(minutes_path)
    assert_accessible(chair, axe_source)
    chair.get_by_role("button", name="Approve the minutes").click()
    expect(error_summary(chair)).to_contain_text(
        f"The minutes record no decision on case {meeting.case_reference}"
    )
    assert_accessible(chair, axe_source)
    page.get_by_role("link", name="Edit the draft minutes").click()
    page.get_by_label(f"The panel’s decision on case {meeting.case_reference}").select_option(
        label="Safety plan agreed"
    )
    for decision in page.locator("select[name$='-decision']").all():
        if not decision.input_value():
            decision.select_option("not_heard")  # any other case the meeting did not reach
    assert_accessible(page, axe_source)
    page.get_by_role("button", name="Save draft minutes").click()
    expect(success_banner(page)).to_contain_text("The draft minutes have been saved")

    # The chair approves them.
    chair.goto(minutes_path)
    expect(chair.get_by_text("Safety plan agreed")).to_be_visible()
    chair.get_by_role("button", name="Approve the minutes").click()
    expect(success_banner(chair)).to_contain_text("The minutes are approved and distributed")
    expect(chair.get_by_role("heading", level=1)).to_contain_text("Approved")
    assert_accessible(chair, axe_source)

    # The IDVA's agency attended: the minutes and its actions extract reach it.
    idva.goto(f"/meetings/{meeting.id}")
    idva.get_by_role("link", name="Read the minutes").click()
    expect(idva.get_by_text(CONTRIBUTION)).to_be_visible()
    assert_accessible(idva, axe_source)
    idva.goto(f"/meetings/{meeting.id}")
    idva.get_by_role("link", name="Actions agreed for your agency").click()
    expect(idva.get_by_role("heading", level=1)).to_have_text(
        "Actions agreed for East London Domestic Abuse Service"
    )
    expect(idva.get_by_text(DISCUSSION)).to_have_count(0)
    assert_accessible(idva, axe_source)

    # Children's social care neither attended nor sent information: a 404 and no link.
    childrens = signed_in_page(CHILDRENS)
    assert status_of(childrens, minutes_path) == 404
    childrens.goto(f"/meetings/{meeting.id}")
    expect(childrens.get_by_role("link", name="Read the minutes")).to_have_count(0)
    assert_accessible(childrens, axe_source)
