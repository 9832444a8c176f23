"""Building the agenda in a real browser with axe-core (issue 21, domain §2.5, §2.6): the
Newham coordinator opens the next Newham MARAC meeting, goes to "Build the agenda", moves the
first case down and back up again, and types a reference that is no case of the panel: told
so next to the box, with what they typed kept and nothing changed. WCAG 2.2 AA checks run on
every page and state. The live server is shared: two of the panel's cases are put on the
agenda for review first (so it has two entries at any demo scale), and taken off after."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import delete
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.database import uk_today
from cases.meetings import queries
from cases.meetings.models import AgendaItem
from cases.meetings.models import AgendaReason
from cases.models import Case
from panels.models import Meeting
from panels.models import Panel
from tests.e2e.conftest import SignedInPage
from tests.e2e.test_information_sharing_pages import NEWHAM_COORDINATOR
from tests.e2e.test_information_sharing_pages import assert_accessible
from tests.e2e.test_information_sharing_pages import error_summary
from tests.e2e.test_information_sharing_pages import success_banner

pytestmark = pytest.mark.browser

PANEL = "Newham MARAC"


@pytest.fixture
def reviews(live_app: Flask) -> Iterator[None]:
    """Two cases of the panel brought back for review at its next meeting, then taken off."""
    with live_app.app_context():
        meeting_id, _ = next_meeting(live_app)
        meeting = db.session.get(Meeting, meeting_id)
        assert meeting is not None
        on_agenda = queries.agenda_case_ids(meeting)
        case_ids = db.session.scalars(
            select(Case.id)
            .where(Case.panel_id == meeting.panel_id, Case.id.not_in(on_agenda))
            .order_by(Case.id)
            .limit(2)
        ).all()
        assert len(case_ids) == 2
        coordinator = db.session.scalar(select(User).where(User.email == NEWHAM_COORDINATOR))
        assert coordinator is not None
        db.session.add_all(
            AgendaItem(
                meeting_id=meeting_id,
                case_id=case_id,
                reason=AgendaReason.REVIEW,
                added_by_id=coordinator.id,
            )
            for case_id in case_ids
        )
        db.session.commit()
    yield
    with live_app.app_context():
        db.session.execute(
            delete(AgendaItem).where(
                AgendaItem.meeting_id == meeting_id, AgendaItem.case_id.in_(case_ids)
            )
        )
        db.session.commit()


def next_meeting(live_app: Flask) -> tuple[int, list[str]]:
    """The next Newham MARAC meeting and its agenda's case references, in order."""
    with live_app.app_context():
        meeting = db.session.scalar(
            select(Meeting)
            .join(Panel, Panel.id == Meeting.panel_id)
            .where(Panel.name == PANEL, Meeting.held_on > uk_today())
            .order_by(Meeting.held_on)
            .limit(1)
        )
        assert meeting is not None
        return meeting.id, [entry.case.reference for entry in queries.agenda(meeting, None)]


@pytest.mark.usefixtures("reviews")
def test_the_coordinator_orders_the_agenda_and_is_told_about_a_wrong_reference(
    signed_in_page: SignedInPage, axe_source: Path, live_app: Flask
) -> None:
    meeting_id, order = next_meeting(live_app)
    assert len(order) >= 2, order
    first, second = order[0], order[1]
    page = signed_in_page(NEWHAM_COORDINATOR)
    page.goto(f"/meetings/{meeting_id}")
    assert_accessible(page, axe_source)
    page.get_by_role("link", name="Build the agenda").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Agenda")
    rows = page.locator("#agenda tbody tr")
    expect(rows.first).to_contain_text(first)
    expect(page.get_by_role("heading", name="Due for review")).to_be_visible()
    expect(page.get_by_role("heading", name="Not heard at an earlier meeting")).to_be_visible()
    assert_accessible(page, axe_source)

    page.get_by_role("button", name=f"Move down {first}").click()
    expect(success_banner(page)).to_contain_text(f"{first} is moved down")
    expect(rows.first).to_contain_text(second)
    expect(rows.nth(1)).to_contain_text(first)
    assert_accessible(page, axe_source)

    page.get_by_role("button", name=f"Move up {first}").click()
    expect(success_banner(page)).to_contain_text(f"{first} is moved up")
    expect(rows.first).to_contain_text(first)
    assert next_meeting(live_app)[1] == order

    page.get_by_label("Case reference").fill("MARAC-999999")
    page.get_by_role("button", name="Add for review").last.click()
    expect(error_summary(page)).to_contain_text("has the reference MARAC-999999")
    expect(page.get_by_label("Case reference")).to_have_value("MARAC-999999")
    assert_accessible(page, axe_source)
    assert next_meeting(live_app)[1] == order
