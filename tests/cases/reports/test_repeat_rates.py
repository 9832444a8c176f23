"""Every panel's repeat rate in one table (issue 20, domain §2.10.1, R23, E7, E11): the panels
in the reader's reports whose type reports a rate, each with the quarter and the 12 months to
its end, exact only for the panels they run, never added up. The world is the access tests':
Ashcombe's MARAC heard 6 cases last quarter, 2 of them repeats; Brindle's heard none."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.database import uk_today
from audit.models import AuditAction
from audit.models import AuditEvent
from cases.reports import services
from cases.reports.rules import Quarter
from panels.models import Area
from panels.models import Panel
from tests.cases.reports.conftest import History
from tests.cases.reports.test_access import World
from tests.cases.reports.test_access import clients  # noqa: F401  (fixture)
from tests.cases.reports.test_access import world  # noqa: F401  (fixture)

LAST = Quarter.of(uk_today()).shifted(-1)
URL = "/reports/repeat-rates"


def rows(page: str) -> list[str]:
    """Each panel's row as text, in the table's order."""
    body = page.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    return [
        " ".join(re.sub(r"<[^>]+>", " ", row.split(">", 1)[1]).split())
        for row in body.split("<tr")[1:]
    ]


def test_r23_each_reader_sees_their_panels_rates_exact_only_where_they_run_them(
    world: World,  # noqa: F811
    clients: dict[str, FlaskClient],  # noqa: F811
) -> None:
    """The manager of Ashcombe sees its MARAC (Channel reports no rate) with the 2 repeats
    hidden and the rate with them; its coordinator sees 33.3% (2 of 6); Brindle's manager sees
    only Brindle's MARAC, with nothing heard; a representative has no panels to report on."""
    manager = clients["ashcombe_manager"].get(URL)
    assert manager.status_code == 200
    (row,) = rows(manager.text)
    assert row.startswith("Ashcombe MARAC Ashcombe")
    assert "fewer than 5" in row
    assert "33.3%" not in manager.text
    coordinator = clients["coordinator"].get(URL)
    (row,) = rows(coordinator.text)
    assert "Ashcombe · exact" in row
    assert "6 2 33.3%" in row
    brindle = clients["brindle_manager"].get(URL)
    (row,) = rows(brindle.text)
    assert row.startswith("Brindle MARAC")
    assert "Ashcombe MARAC" not in brindle.text
    assert "You have no panels to report on" in clients["representative"].get(URL).text


def test_panels_are_sorted_by_their_12_month_rate_with_hidden_ones_last(
    app: Flask,
    world: World,  # noqa: F811
    clients: dict[str, FlaskClient],  # noqa: F811
) -> None:
    """The Ashcombe manager is given Brindle too, whose MARAC heard 10 cases (6 repeats, 60%):
    sorted by rate, Brindle comes first and Ashcombe, whose rate is hidden, after it; sorted
    by area, Ashcombe first. Filtered to one area, only its panel."""
    with app.test_request_context():
        admin = db.session.get_one(User, world.users["admin"])
        manager = db.session.get_one(User, world.users["ashcombe_manager"])
        brindle = db.session.get_one(Panel, world.panels["brindle"])
        history = History(admin)
        meeting = history.meeting(brindle, LAST.start + timedelta(days=20))
        for n in range(10):
            history.referral(brindle, referred_on=LAST.start, meeting=meeting, repeat=n < 6)
        services.add_manager_area(
            manager, actor=admin, area=db.session.get_one(Area, world.areas["Brindle"])
        )
        db.session.commit()
    client = clients["ashcombe_manager"]
    by_rate = rows(client.get(f"{URL}?sort=rate").text)
    assert [row.split(" ")[0] for row in by_rate] == ["Brindle", "Ashcombe"]
    assert "10 6 60.0%" in by_rate[0]
    by_area = rows(client.get(f"{URL}?sort=area").text)
    assert [row.split(" ")[0] for row in by_area] == ["Ashcombe", "Brindle"]
    one_area = rows(client.get(f"{URL}?area={world.areas['Brindle']}").text)
    assert [row.split(" ")[0] for row in one_area] == ["Brindle"]


def test_the_file_is_suppressed_even_for_the_coordinator_and_each_view_is_recorded(
    app: Flask,
    world: World,  # noqa: F811
    clients: dict[str, FlaskClient],  # noqa: F811
) -> None:
    client = clients["coordinator"]
    assert client.get(f"{URL}?quarter={LAST.key}").status_code == 200
    response = client.get(f"{URL}.csv?quarter={LAST.key}&sort=rate")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="repeat-rates-{LAST.key}.csv"'
    )
    assert "Ashcombe,Ashcombe MARAC" in response.text
    assert "fewer than 5" in response.text
    assert "33.3" not in response.text
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_([AuditAction.REPORT_VIEWED, AuditAction.REPORT_EXPORTED]))
            .order_by(AuditEvent.sequence)
        ).all()
        changes = [json.loads(event.changes or "{}") for event in events]
        assert [(event.action, c["report"]) for event, c in zip(events, changes, strict=True)] == [
            (AuditAction.REPORT_VIEWED, "repeat_rates"),
            (AuditAction.REPORT_EXPORTED, "repeat_rates"),
        ]
        assert changes[1]["filters"]["sort"] == "rate"
        assert changes[1]["suppressed"] is True


def test_a_filter_not_offered_is_a_message_and_its_file_goes_back_to_the_page(
    world: World,  # noqa: F811
    clients: dict[str, FlaskClient],  # noqa: F811
) -> None:
    client = clients["ashcombe_manager"]
    page = client.get(f"{URL}?quarter=1066-Q9&panel_type=channel&area={world.areas['Brindle']}")
    assert page.status_code == 200
    assert "Select a quarter from the list" in page.text
    assert "Select a panel type from the list" in page.text  # Channel reports no rate
    assert "Select an area from the list" in page.text  # not one of theirs
    export = client.get(f"{URL}.xlsx?quarter=1066-Q9")
    assert export.status_code == 302
    assert export.headers["Location"].endswith(f"{URL}?quarter=1066-Q9")
