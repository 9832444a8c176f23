"""The panel's own page for its members (issue 25): `/panels/<id>`, read-only.

Coordinators were refused the admin page (`/admin/panels/<id>`), the only place a panel's
settings and information sharing protocol were described. Every member whose membership is in
force now reads them on the panel's page (domain §8 R1: a partner needs to know the protocol it
shares under); anyone else gets the recorded "Page not found" of a panel that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts.models import AgencyType
from app.database import db
from audit.models import AuditAction
from audit.models import AuditEvent
from panels.models import Area
from panels.models import IspAgreement
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import MeetingCadence
from panels.types.common import PanelType
from tests.app.accounts.test_admin import table_rows
from tests.app.accounts.test_admin import title
from tests.conftest import ADMIN_EMAIL
from tests.conftest import Account
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.referral_fixtures import sign_isp

TODAY = date(2026, 6, 10)
COORDINATOR = "coordinator@test.example"
CHAIR = "chair@test.example"
POLICE = "police@test.example"
WITHDRAWN = "housing@test.example"
OTHER_COORDINATOR = "other@test.example"
NOBODY = "nobody@test.example"


@pytest.fixture(autouse=True)
def today() -> Iterator[None]:
    with time_machine.travel(
        datetime(2026, 6, 10, 12, tzinfo=ZoneInfo("Europe/London")), tick=False
    ):
        yield


@dataclass(frozen=True)
class Panels:
    panel: int
    other: int


@pytest.fixture
def panels(app: Flask, accounts: Accounts, admin: Account) -> Panels:
    """Harrowfield MARAC: a coordinator (council), a chair (probation), a police representative
    and a housing representative whose organisation withdrew from the protocol; version 1 is in
    force and version 2 starts next year. Eastmere MARAC has its own coordinator."""
    people = {
        COORDINATOR: ("Cora Ledwith", "Harrowfield Council", AgencyType.COMMUNITY_SAFETY),
        CHAIR: ("Chidi Okoro", "Harrowfield Probation", AgencyType.PROBATION),
        POLICE: ("Piers Anwar", "Harrowfield Police", AgencyType.POLICE),
        WITHDRAWN: ("Hana Ruiz", "Harrowfield Homes", AgencyType.HOUSING),
        OTHER_COORDINATOR: ("Otto Marsh", "Eastmere Council", AgencyType.COMMUNITY_SAFETY),
        NOBODY: ("Nell Parry", "Harrowfield Police", AgencyType.POLICE),
    }
    organisations = {
        organisation: accounts.organisation_id(organisation, agency)
        for _, organisation, agency in people.values()
    }
    ids = {
        email: accounts.user(email, organisation=organisation, name=name).id
        for email, (name, organisation, _) in people.items()
    }
    with app.app_context():
        panel, other = make_marac("Harrowfield"), make_marac("Eastmere")
        for email, role in [
            (COORDINATOR, PanelRole.COORDINATOR),
            (CHAIR, PanelRole.CHAIR),
            (POLICE, PanelRole.REPRESENTATIVE),
            (WITHDRAWN, PanelRole.REPRESENTATIVE),
        ]:
            db.session.add(PanelMembership(panel=panel, user_id=ids[email], role=role))
        db.session.add(
            PanelMembership(panel=other, user_id=ids[OTHER_COORDINATOR], role=PanelRole.COORDINATOR)
        )
        agreement = sign_isp(
            panel,
            *(organisations[people[email][1]] for email in (COORDINATOR, CHAIR, POLICE, WITHDRAWN)),
            signed_on=date(2025, 1, 1),
            review_on=date(2027, 1, 1),
        )
        for signatory in agreement.signatories:
            if signatory.organisation_id == organisations["Harrowfield Homes"]:
                signatory.withdrawn_on = date(2026, 5, 31)
        db.session.add(IspAgreement(panel=panel, version="2", in_force_from=date(2027, 1, 1)))
        sign_isp(other, organisations["Eastmere Council"])
        db.session.commit()
        return Panels(panel.id, other.id)


def make_marac(area: str) -> Panel:
    panel = Panel(
        area=Area(name=area),
        name=f"{area} MARAC",
        panel_type=PanelType.MARAC,
        meeting_cadence=MeetingCadence.MONTHLY,
    )
    db.session.add(panel)
    return panel


def main_content(page: str) -> str:
    """The page's own content, without the header (which holds the sign-out form)."""
    return page[page.index('<main class="govuk-main-wrapper') : page.index("</main>")]


def denied_panels(app: Flask) -> list[tuple[int | None, str | None]]:
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == AuditAction.ACCESS_DENIED, AuditEvent.object_type == "panels"
            )
        ).all()
        return [(event.actor_id, event.object_id) for event in events]


def user_id(app: Flask, email: str) -> int:
    from app.accounts.models import User

    with app.app_context():
        found = db.session.scalar(select(User.id).where(User.email == email))
        assert found is not None
        return found


def test_a_coordinator_reads_their_panels_settings_members_and_protocol(
    app: Flask, client: FlaskClient, sign_in: SignIn, panels: Panels
) -> None:
    response = sign_in(client, COORDINATOR).get(f"/panels/{panels.panel}")
    assert response.status_code == 200
    page = main_content(response.text)
    assert title(response.text).startswith("Harrowfield MARAC")
    # How the type works, and its local settings (national defaults here).
    assert "How a MARAC (high-risk domestic abuse) panel works" in page
    assert re.search(r"DASH threshold</dt>\s*<dd[^>]*>14", page)
    assert "Emergency access: hours" in page
    rows = table_rows(page)
    # The register: version 2 has not started, so version 1 is in force; each signature's state.
    assert ["1", "1 January 2020", "In force"] in rows
    assert ["2", "1 January 2027", "Not yet in force"] in rows
    assert ["Harrowfield Police", "1 January 2025", "1 January 2027", "", "In force"] in rows
    assert [
        "Harrowfield Homes",
        "1 January 2025",
        "1 January 2027",
        "31 May 2026",
        "Withdrawn",
    ] in rows
    assert "Version 1 has been in force since 1 January 2020." in page
    assert 'id="members-without-access"' in page  # the housing member has no access
    # The members: name, organisation and role.
    assert ["Cora Ledwith", "Harrowfield Council", "Coordinator"] in rows
    assert ["Chidi Okoro", "Harrowfield Probation", "Chair"] in rows
    assert ["Piers Anwar", "Harrowfield Police", "Representative"] in rows
    assert ["Hana Ruiz", "Harrowfield Homes", "Representative"] in rows


@pytest.mark.parametrize("email", [CHAIR, POLICE])
def test_every_member_in_force_reads_the_page(
    client: FlaskClient, sign_in: SignIn, panels: Panels, email: str
) -> None:
    """A chair or a representative reads the protocol their agency shares under too (R1)."""
    response = sign_in(client, email).get(f"/panels/{panels.panel}")
    assert response.status_code == 200
    assert "Harrowfield Homes" in response.text


@pytest.mark.parametrize(
    "email",
    [
        OTHER_COORDINATOR,  # coordinates another panel
        NOBODY,  # on no panel, though their organisation signed
        WITHDRAWN,  # a member whose organisation withdrew: no access to any of its data
        ADMIN_EMAIL,  # on no panel: the admin page is theirs
    ],
)
def test_anyone_not_on_the_panel_today_gets_the_recorded_not_found(
    app: Flask, client: FlaskClient, sign_in: SignIn, panels: Panels, email: str
) -> None:
    response = sign_in(client, email).get(f"/panels/{panels.panel}")
    assert response.status_code == 404
    assert "Harrowfield" not in main_content(response.text)
    assert denied_panels(app) == [(user_id(app, email), str(panels.panel))]


def test_a_panel_that_does_not_exist_answers_the_same(
    app: Flask, client: FlaskClient, sign_in: SignIn, panels: Panels
) -> None:
    client = sign_in(client, COORDINATOR)
    missing, others = client.get("/panels/987654"), client.get(f"/panels/{panels.other}")
    assert (missing.status_code, others.status_code) == (404, 404)
    assert main_content(missing.text) == main_content(others.text)
    assert [panel for _, panel in denied_panels(app)] == ["987654", str(panels.other)]


def test_the_members_page_has_no_forms_and_no_change_links(
    client: FlaskClient, sign_in: SignIn, panels: Panels
) -> None:
    """Administrators change the panel; its page only describes it."""
    page = main_content(sign_in(client, COORDINATOR).get(f"/panels/{panels.panel}").text)
    assert "Local settings" in page
    assert "<form" not in page
    assert "<button" not in page
    # Its only links are to its own sections (each version's signatories).
    assert re.findall(r'href="([^"]*)"', page) == ["#version-2", "#version-1"]


def test_the_admin_page_shares_the_content_and_keeps_its_controls(
    admin_client: FlaskClient, panels: Panels
) -> None:
    """The partials the two pages share still carry the admin's forms and links."""
    page = main_content(admin_client.get(f"/admin/panels/{panels.panel}").text)
    assert re.search(r"DASH threshold</dt>\s*<dd[^>]*>14", page)
    assert "Change local settings" in page
    assert ">Remove<span" in page
    assert 'href="/admin/users/' in page
    register = main_content(admin_client.get(f"/admin/panels/{panels.panel}/isp").text)
    assert [
        "Harrowfield Homes",
        "1 January 2025",
        "1 January 2027",
        "31 May 2026",
        "Withdrawn",
        "Sign again Harrowfield Homes",
    ] in table_rows(register)
    assert "Add a version" in register


def test_the_home_page_links_each_panel_in_force_to_its_page(
    client: FlaskClient, sign_in: SignIn, panels: Panels
) -> None:
    page = sign_in(client, COORDINATOR).get("/").text
    assert f'href="/panels/{panels.panel}">Harrowfield MARAC</a>' in page


def test_the_home_page_does_not_link_a_panel_the_member_has_no_access_to(
    client: FlaskClient, sign_in: SignIn, panels: Panels
) -> None:
    page = sign_in(client, WITHDRAWN).get("/").text
    assert "Harrowfield MARAC" in page
    assert f"/panels/{panels.panel}" not in page


def test_the_admins_panel_list_still_leads_to_the_admin_page(
    admin_client: FlaskClient, panels: Panels
) -> None:
    page = admin_client.get("/admin/panels").text
    assert f'href="/admin/panels/{panels.panel}">Harrowfield MARAC</a>' in page
