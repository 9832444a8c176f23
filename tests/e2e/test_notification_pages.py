"""A coordinator's notifications in a real browser (issue 22): the count in the navigation,
the list, marking one read, and choosing how each kind reaches them; an administrator's email
delivery log. axe-core's WCAG 2.2 AA checks run on every page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update

from app.database import db
from notifications.models import Notification
from notifications.models import NotificationChoice
from tests.e2e.conftest import SignedInPage
from tests.e2e.test_information_sharing_pages import assert_accessible
from tests.e2e.test_information_sharing_pages import demo_user

pytestmark = pytest.mark.browser

COORDINATOR = "coordinator.newham@demo.example"


@pytest.fixture
def put_back(live_app: Flask) -> Iterator[None]:
    """The live server is shared: the coordinator's unread notifications and choices are as
    they were afterwards."""
    with live_app.app_context():
        unread = db.session.scalars(
            select(Notification.id).where(
                Notification.recipient_id == demo_user(COORDINATOR).id,
                Notification.read_at.is_(None),
            )
        ).all()
    yield
    with live_app.app_context():
        db.session.execute(
            update(Notification).where(Notification.id.in_(unread)).values(read_at=None)
        )
        db.session.execute(
            delete(NotificationChoice).where(
                NotificationChoice.user_id == demo_user(COORDINATOR).id
            )
        )
        db.session.commit()


def unread_in_navigation(page: Page) -> int:
    link = page.get_by_role("link", name="Notifications (")
    text = link.inner_text()
    return int(text.split("(")[1].split()[0])


@pytest.mark.usefixtures("put_back")
def test_a_coordinator_reads_a_notification_and_chooses_how_to_be_told(
    signed_in_page: SignedInPage, axe_source: Path
) -> None:
    page = signed_in_page(COORDINATOR)
    page.goto("/")
    unread = unread_in_navigation(page)
    assert unread > 0  # the demo's last fortnight is unread
    page.get_by_role("link", name="Notifications (").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    assert_accessible(page, axe_source)
    page.get_by_role("button", name="Mark as read").first.click()
    expect(page.get_by_role("link", name="Notifications (")).to_contain_text(
        f"({unread - 1} unread)"
    )
    page.get_by_role("link", name="Choose which you are emailed, and how often").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How you are told of things")
    assert_accessible(page, axe_source)
    question = page.get_by_role("group", name="An action is due soon")
    question.get_by_label("Only show it here, in the app").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your choices are saved")
    expect(
        page.get_by_role("group", name="An action is due soon").get_by_label(
            "Only show it here, in the app"
        )
    ).to_be_checked()


def test_the_administrator_reads_the_delivery_log(admin_page: Page, axe_source: Path) -> None:
    admin_page.goto("/admin")
    admin_page.get_by_role("link", name="Email delivery log").click()
    expect(admin_page.get_by_role("heading", level=1)).to_have_text("Email delivery log")
    expect(admin_page.locator("table")).to_contain_text("@demo.example")  # the demo's history
    assert_accessible(admin_page, axe_source)
