"""Who sees which panels' figures (issue 20, domain R23, security R15): a manager sees the
panels of the areas assigned to them, suppressed; a panel's coordinators and chairs see its
exact figures; everyone else gets the same recorded 404 as for a panel that does not exist.
And the administrator's page that assigns a manager their areas, audited."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.database import db
from app.database import uk_today
from audit.models import AuditAction
from audit.models import AuditEvent
from cases.reports import services
from cases.reports.rules import Quarter
from panels.models import Area
from panels.models import PanelRole
from panels.types.common import PanelType
from tests.cases.reports.conftest import History
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import csrf_token
from tests.referral_fixtures import member

PEOPLE = {
    # key: (global role, managed areas, panel roles)
    "ashcombe_manager": (GlobalRole.MANAGER, ("Ashcombe",), {}),
    "brindle_manager": (GlobalRole.MANAGER, ("Brindle",), {}),
    "manager_without_areas": (GlobalRole.MANAGER, (), {}),
    "coordinator": (None, (), {"marac": PanelRole.COORDINATOR}),
    "chair": (None, (), {"marac": PanelRole.CHAIR}),
    "representative": (None, (), {"marac": PanelRole.REPRESENTATIVE}),
    "auditor": (GlobalRole.AUDITOR, (), {}),
    "admin": (GlobalRole.ADMIN, (), {}),
}
SEES_ASHCOMBE_MARAC = {"ashcombe_manager", "coordinator", "chair"}


@dataclass
class World:
    panels: dict[str, int]
    users: dict[str, int]
    areas: dict[str, int]


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> World:
    ids = {
        key: accounts.user(f"{key}@test.example", role=role, organisation="Ashcombe Council").id
        for key, (role, _, _) in PEOPLE.items()
    }
    with app.test_request_context():
        admin = db.session.get_one(User, ids["admin"])
        history = History(admin)
        marac = history.panel("Ashcombe", name="Ashcombe MARAC")
        channel = history.panel(marac.area, PanelType.CHANNEL, name="Ashcombe Channel")
        brindle = history.panel("Brindle", name="Brindle MARAC")
        # A small history: last quarter, 6 heard of which 2 repeats (so "fewer than 5").
        last = Quarter.of(uk_today()).shifted(-1)
        meeting = history.meeting(marac, last.start + timedelta(days=10))
        for n in range(6):
            history.referral(marac, referred_on=last.start, meeting=meeting, repeat=n < 2)
        areas = {"Ashcombe": marac.area, "Brindle": brindle.area}
        panels = {"marac": marac, "channel": channel, "brindle": brindle}
        for key, (_, managed, roles) in PEOPLE.items():
            user = db.session.get_one(User, ids[key])
            for area in managed:
                services.add_manager_area(user, actor=admin, area=areas[area])
            for panel_key, role in roles.items():
                member(panels[panel_key], user, role)
        db.session.commit()
        return World(
            panels={k: p.id for k, p in panels.items()},
            users=ids,
            areas={k: a.id for k, a in areas.items()},
        )


@pytest.fixture
def clients(app: Flask, world: World, sign_in: SignIn) -> dict[str, FlaskClient]:
    return {key: sign_in(app.test_client(), f"{key}@test.example") for key in PEOPLE}


@pytest.mark.parametrize("person", list(PEOPLE))
def test_r15_each_person_sees_exactly_the_panels_in_their_scope(
    world: World, clients: dict[str, FlaskClient], person: str
) -> None:
    """A manager of another area, a representative and everyone else: the 404 of a panel
    that does not exist, for the report and its exports alike."""
    client = clients[person]
    for key, panel_id in world.panels.items():
        allowed = person in SEES_ASHCOMBE_MARAC and key == "marac"
        allowed |= person == "ashcombe_manager" and key == "channel"
        allowed |= person == "brindle_manager" and key == "brindle"
        for url in (
            f"/reports/panels/{panel_id}",
            f"/reports/panels/{panel_id}/repeat-rate.csv",
            f"/reports/panels/{panel_id}/repeat-rate.xlsx",
            f"/reports/panels/{panel_id}/safelives",
            f"/reports/panels/{panel_id}/safelives.csv",
            f"/reports/panels/{panel_id}/safelives.xlsx",
        ):
            status = client.get(url).status_code
            if allowed:
                assert status in (200, 302), (person, url, status)
            else:
                assert status == 404, (person, url, status)
    assert client.get("/reports/panels/987654").status_code == 404


def test_a_refusal_is_recorded_like_any_other(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    clients["brindle_manager"].get(f"/reports/panels/{world.panels['marac']}")
    with app.app_context():
        last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.sequence.desc())).first()
        assert last is not None
        assert (last.action, last.object_type, last.object_id) == (
            AuditAction.ACCESS_DENIED,
            "panels",
            str(world.panels["marac"]),
        )


def test_the_reports_home_lists_the_scope_and_finds_filters_and_sorts(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    page = clients["ashcombe_manager"].get("/reports").text
    assert "Ashcombe MARAC" in page
    assert "Ashcombe Channel" in page
    assert "Brindle MARAC" not in page
    found = clients["ashcombe_manager"].get("/reports?text=chan").text
    assert "Ashcombe Channel" in found
    assert "Ashcombe MARAC" not in found
    typed = clients["ashcombe_manager"].get("/reports?panel_type=marac").text
    assert "Ashcombe MARAC" in typed
    assert "Ashcombe Channel" not in typed
    by_type = clients["ashcombe_manager"].get("/reports?sort=type").text
    assert by_type.index("Ashcombe Channel") < by_type.index("Ashcombe MARAC")  # channel, marac
    bad = clients["ashcombe_manager"].get("/reports?area=987654&sort=nonsense")
    assert bad.status_code == 200
    assert "Select an area from the list" in bad.text
    assert "Select how to sort the panels from the list" in bad.text
    other_area = clients["brindle_manager"].get(f"/reports?area={world.areas['Ashcombe']}").text
    assert "Select an area from the list" in other_area  # not one of theirs to choose
    nothing = clients["representative"].get("/reports")
    assert nothing.status_code == 200
    assert "You have no panels to report on" in nothing.text


def test_the_manager_s_home_page_links_to_their_reports(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    assert 'href="/reports"' in clients["ashcombe_manager"].get("/").text
    home = clients["manager_without_areas"].get("/").text
    assert "No areas have been given to you to report on yet" in home
    assert 'href="/reports"' not in home
    assert 'href="/reports"' not in clients["representative"].get("/").text


def test_r23_a_manager_sees_suppressed_figures_and_the_coordinator_exact_ones(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    url = f"/reports/panels/{world.panels['marac']}"
    manager = clients["ashcombe_manager"].get(url).text
    coordinator = clients["coordinator"].get(url).text
    assert "fewer than 5" in manager
    assert "33.3%" not in manager  # 2 of 6 would come back from the rate
    assert "fewer than 5" not in coordinator
    assert "33.3%" in coordinator
    # E53: said in words, never in red.
    assert "A low repeat rate usually means that repeats are not being identified" in manager
    assert "govuk-tag--red" not in manager
    # The chart is SVG with its title and description, and the table is beside it.
    assert re.search(r'<svg[^>]+role="img"[^>]+aria-labelledby="repeat-chart-title', coordinator)
    assert '<title id="repeat-chart-title">' in coordinator
    assert "<script" not in coordinator.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_r23_the_safelives_return_is_exact_for_its_coordinator_and_suppressed_for_a_manager(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """The coordinators make the return, so they see and download it exact, marked as not for
    publication; a manager's page and files hide the 2 repeats of 6 cases. Each download is
    recorded with its quarter and whether it was suppressed (R9)."""
    panel_id = world.panels["marac"]
    quarter = Quarter.of(uk_today()).shifted(-1)
    url = f"/reports/panels/{panel_id}/safelives"
    assert f'href="{url}"' in clients["ashcombe_manager"].get("/reports").text
    manager = clients["ashcombe_manager"].get(url)
    coordinator = clients["coordinator"].get(url)
    assert manager.status_code == coordinator.status_code == 200
    assert f"In {quarter.label}, 1 meeting discussed 6 cases" in coordinator.text
    assert "repeat cases were 33.3% of them" in coordinator.text
    assert "These are exact figures, for typing into the SafeLives return" in coordinator.text
    assert "fewer than 5" not in coordinator.text
    repeats_row = re.compile(
        r'<th scope="row"[^>]*>Repeat cases</th>\s*<td[^>]*>2</td>\s*<td[^>]*>2</td>\s*'
        r"<td[^>]*>33.3%</td>"
    )
    assert repeats_row.search(coordinator.text)
    assert "the share of repeat cases is not shown, to protect small numbers" in manager.text
    assert "fewer than 5" in manager.text
    assert "These are exact figures" not in manager.text
    exact = clients["coordinator"].get(f"{url}.csv?quarter={quarter.key}")
    hidden = clients["ashcombe_manager"].get(f"{url}.csv?quarter={quarter.key}")
    assert exact.status_code == hidden.status_code == 200
    assert exact.headers["Content-Disposition"] == (
        f'attachment; filename="safelives-return-panel-{panel_id}-{quarter.key}-exact.csv"'
    )
    assert "not for publication" in exact.text
    assert "Repeat cases,2,2,33.3" in exact.text
    assert "Repeat cases,fewer than 5,not shown,not shown" in hidden.text
    workbook = clients["ashcombe_manager"].get(f"{url}.xlsx?quarter={quarter.key}")
    assert workbook.status_code == 200
    assert workbook.data[:2] == b"PK"  # a zip: the XLSX container
    with app.app_context():
        exports = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == AuditAction.REPORT_EXPORTED)
            .order_by(AuditEvent.sequence)
        ).all()
        recorded = [json.loads(event.changes or "{}") for event in exports]
        assert [(c["report"], c["format"], c["suppressed"]) for c in recorded] == [
            ("safelives_return", "csv", False),
            ("safelives_return", "csv", True),
            ("safelives_return", "xlsx", True),
        ]
        assert {c["filters"]["quarter"] for c in recorded} == {quarter.key}


def test_the_safelives_return_of_a_bad_quarter_or_another_type_is_a_message(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    url = f"/reports/panels/{world.panels['marac']}/safelives?quarter=1066-Q9"
    response = clients["coordinator"].get(url)
    assert response.status_code == 200
    assert "Select a quarter from the list" in response.text
    export = clients["coordinator"].get(
        f"/reports/panels/{world.panels['marac']}/safelives.csv?quarter=1066-Q9"
    )
    assert export.status_code == 302
    assert export.headers["Location"].endswith("/safelives?quarter=1066-Q9")
    channel = clients["ashcombe_manager"].get(
        f"/reports/panels/{world.panels['channel']}/safelives"
    )
    assert channel.status_code == 200
    assert "panels make no SafeLives return" in channel.text


def test_a_bad_period_is_a_message_not_an_error(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    url = f"/reports/panels/{world.panels['marac']}?quarter=1066-Q9&view=forever"
    response = clients["coordinator"].get(url)
    assert response.status_code == 200
    assert "Select a quarter from the list" in response.text
    assert "Select quarters or rolling 12 months" in response.text
    export = clients["coordinator"].get(
        f"/reports/panels/{world.panels['marac']}/repeat-rate.csv?quarter=1066-Q9"
    )
    assert export.status_code == 302


def test_a_type_without_figures_says_so(world: World, clients: dict[str, FlaskClient]) -> None:
    page = clients["ashcombe_manager"].get(f"/reports/panels/{world.panels['channel']}")
    assert page.status_code == 200
    assert "There are no figures for Channel" in page.text


# The administrator's page ---------------------------------------------------------------------


def _post(client: FlaskClient, url: str, data: dict[str, str]) -> object:
    token = csrf_token(client.get("/account").text)
    return client.post(url, data={"csrf_token": token, **data})


def test_an_administrator_adds_and_removes_a_manager_s_area_and_each_is_audited(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    admin = clients["admin"]
    manager_id = world.users["manager_without_areas"]
    page = admin.get(f"/admin/users/{manager_id}/areas")
    assert page.status_code == 200
    assert "No areas yet" in page.text
    assert f'href="/admin/users/{manager_id}/areas"' in admin.get(f"/admin/users/{manager_id}").text
    response = _post(
        admin, f"/admin/users/{manager_id}/areas", {"area_id": str(world.areas["Brindle"])}
    )
    assert response.status_code == 302  # type: ignore[attr-defined]
    manager = clients["manager_without_areas"]
    assert manager.get(f"/reports/panels/{world.panels['brindle']}").status_code == 200
    response = _post(admin, f"/admin/users/{manager_id}/areas/{world.areas['Brindle']}/remove", {})
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert manager.get(f"/reports/panels/{world.panels['brindle']}").status_code == 404
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "users", AuditEvent.object_id == str(manager_id)
            )
        ).all()
        assert [e.action for e in events][-2:] == [
            AuditAction.MANAGER_AREA_ADDED,
            AuditAction.MANAGER_AREA_REMOVED,
        ]


def test_only_a_manager_is_given_areas_and_the_same_area_not_twice(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    admin = clients["admin"]
    rep = world.users["representative"]
    page = admin.get(f"/admin/users/{rep}/areas").text
    assert "Only a manager reports on areas" in page
    refused = _post(admin, f"/admin/users/{rep}/areas", {"area_id": str(world.areas["Brindle"])})
    assert refused.status_code == 200  # type: ignore[attr-defined]
    assert "change their role to manager first" in refused.text  # type: ignore[attr-defined]
    manager = world.users["ashcombe_manager"]
    again = _post(admin, f"/admin/users/{manager}/areas", {"area_id": str(world.areas["Ashcombe"])})
    assert "Select an area from the list" in again.text  # type: ignore[attr-defined]
    empty = _post(admin, f"/admin/users/{manager}/areas", {"area_id": ""})
    assert "Select the area they will report on" in empty.text  # type: ignore[attr-defined]
    assert clients["ashcombe_manager"].get(f"/admin/users/{manager}/areas").status_code == 403


def test_a_manager_whose_role_changes_loses_their_areas_figures(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    with app.app_context():
        user = db.session.get_one(User, world.users["ashcombe_manager"])
        user.global_role = GlobalRole.AUDITOR
        db.session.commit()
    url = f"/reports/panels/{world.panels['marac']}"
    assert clients["ashcombe_manager"].get(url).status_code == 404


def test_areas_are_deleted_with_their_manager_rows(app: Flask, world: World) -> None:
    """ManagerArea rows name an area by id only; an area is never deleted by the app, so this
    just checks the join the admin page relies on."""
    with app.app_context():
        area = db.session.get_one(Area, world.areas["Ashcombe"])
        assert area.name == "Ashcombe"
    assert date.today()  # noqa: DTZ011
