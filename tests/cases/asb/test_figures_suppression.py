"""The ASB Case Review figures as they leave the panel (domain R23, E11): anyone who does not
run a panel (a manager, a representative) sees its small counts as "fewer than 5", by the
reports' own rule; its coordinators and chairs see them exact. And each panel is its own row:
two panels of one name in different areas are never added together."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.database import db
from cases.asb import queries
from cases.asb import services
from cases.reports import services as reports
from panels.models import Area
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import MeetingCadence
from panels.types.common import PanelType
from tests.cases.asb.test_asb_case_review import details
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.referral_fixtures import sign_for_members

NAME = "Riverside Community MARAC"  # the same name in both areas
RECEIVED = date(2026, 5, 6)  # April 2026 to March 2027


@dataclass
class World:
    coordinator: int
    representative: int
    manager: int


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> World:
    """Ashcombe's panel: 3 applications (a small count). Brindle's, of the same name: 6."""
    admin = accounts.user("admin@test.example", role=GlobalRole.ADMIN)
    coordinator = accounts.user("coordinator@test.example", organisation="Riverside Council")
    representative = accounts.user("rep@test.example", organisation="Riverside Homes")
    manager = accounts.user("manager@test.example", role=GlobalRole.MANAGER)
    with app.test_request_context():
        panels = [
            Panel(
                area=Area(name=area),
                name=NAME,
                panel_type=PanelType.COMMUNITY_MARAC,
                meeting_cadence=MeetingCadence.MONTHLY,
            )
            for area in ("Ashcombe", "Brindle")
        ]
        db.session.add_all(panels)
        for panel in panels:
            db.session.add(
                PanelMembership(panel=panel, user_id=coordinator.id, role=PanelRole.COORDINATOR)
            )
        db.session.add(
            PanelMembership(
                panel=panels[0], user_id=representative.id, role=PanelRole.REPRESENTATIVE
            )
        )
        db.session.flush()
        sign_for_members()
        actor = db.session.get_one(User, coordinator.id)
        for panel, received in zip(panels, (3, 6), strict=True):
            for _ in range(received):
                services.receive_application(
                    actor=actor, panel=panel, details=details(received_on=RECEIVED)
                )
            reports.add_manager_area(
                db.session.get_one(User, manager.id),
                actor=db.session.get_one(User, admin.id),
                area=panel.area,
            )
        db.session.commit()
    return World(coordinator.id, representative.id, manager.id)


def rows_of(client: FlaskClient) -> list[str]:
    page = client.get("/case-reviews/figures")
    assert page.status_code == 200
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split())
        for row in re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', page.text, re.S)[1:]
    ]


def test_r23_a_manager_sees_small_counts_as_fewer_than_five(
    app: Flask, world: World, sign_in: SignIn
) -> None:
    rows = rows_of(sign_in(app.test_client(), "manager@test.example"))
    assert rows == [
        f"April 2026 to March 2027 {NAME} (Ashcombe) fewer than 5 0 0 0",
        f"April 2026 to March 2027 {NAME} (Brindle) 6 0 0 0",
    ]


def test_r23_the_panel_s_coordinator_sees_them_exact_and_a_representative_does_not(
    app: Flask, world: World, sign_in: SignIn
) -> None:
    """Only those who run the panel see its figures unsuppressed (as the reports decide,
    cases.policy.report_scope); a representative on the panel is shown them as they leave it."""
    exact = rows_of(sign_in(app.test_client(), "coordinator@test.example"))
    assert exact == [
        f"April 2026 to March 2027 {NAME} (Ashcombe) 3 0 0 0",
        f"April 2026 to March 2027 {NAME} (Brindle) 6 0 0 0",
    ]
    representative = rows_of(sign_in(app.test_client(), "rep@test.example"))
    assert representative == [f"April 2026 to March 2027 {NAME} fewer than 5 0 0 0"]


def test_two_panels_of_one_name_are_two_rows_never_added_together(app: Flask, world: World) -> None:
    with app.test_request_context():
        manager = db.session.get_one(User, world.manager)
        figures = queries.figures_for(manager)
        assert [(row.panel, row.received, row.text("received")) for row in figures] == [
            (f"{NAME} (Ashcombe)", None, "fewer than 5"),
            (f"{NAME} (Brindle)", 6, "6"),
        ]
        assert all(row.suppressed for row in figures)
        coordinator = db.session.get_one(User, world.coordinator)
        assert [row.received for row in queries.figures_for(coordinator)] == [3, 6]
