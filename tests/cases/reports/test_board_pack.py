"""The board pack (issue 20, domain R23, E11): one PDF per area and quarter with each of the
area's panels in the reader's reports and the figures its type has, suppressed whoever prints
it, the protective marking on every page, each print on the record. The world is the access
tests': Ashcombe's MARAC (6 heard last quarter, 2 repeats) and Channel, Brindle's MARAC."""

from __future__ import annotations

import io
import json

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from app.database import db
from app.database import uk_today
from audit.models import AuditAction
from audit.models import AuditEvent
from cases.reports.board_pack import financial_year_of
from cases.reports.rules import Quarter
from tests.cases.reports.test_access import World
from tests.cases.reports.test_access import clients  # noqa: F401  (fixture)
from tests.cases.reports.test_access import world  # noqa: F401  (fixture)

LAST = Quarter.of(uk_today()).shifted(-1)


def pages(pdf: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def pack(client: FlaskClient, area_id: int, quarter: Quarter = LAST) -> list[str]:
    response = client.get(f"/reports/board-pack.pdf?area={area_id}&quarter={quarter.key}")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    return pages(response.data)


def exports(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == AuditAction.REPORT_EXPORTED)
                .order_by(AuditEvent.sequence)
            )
        )


def test_r23_a_manager_s_board_pack_holds_the_area_s_panels_suppressed_with_the_marking(
    app: Flask,
    world: World,  # noqa: F811
    clients: dict[str, FlaskClient],  # noqa: F811
) -> None:
    area = world.areas["Ashcombe"]
    choosing = clients["ashcombe_manager"].get("/reports/board-pack")
    assert choosing.status_code == 200
    assert f'<option value="{area}">Ashcombe</option>' in choosing.text
    assert f"/reports/board-pack.pdf?area={area}&amp;quarter={LAST.key}" in choosing.text
    assert "Brindle" not in choosing.text  # not one of their areas
    chosen = clients["ashcombe_manager"].get(f"/reports/board-pack?area={area}&quarter={LAST.key}")
    assert "Ashcombe MARAC (MARAC (high-risk domestic abuse))" in chosen.text
    assert "Ashcombe Channel (Channel (Prevent)): no figures yet for its type" in chosen.text
    text = pack(clients["ashcombe_manager"], area)
    whole = " ".join(text)
    assert all("OFFICIAL-SENSITIVE" in page for page in text)  # R10: on every page
    assert all("Printed by" in page for page in text)
    assert f"Board pack: Ashcombe Figures for {LAST.label}" in whole
    assert "Ashcombe MARAC" in whole
    assert "Ashcombe Channel" in whole
    assert "There are no figures for Channel" in whole
    assert "Brindle" not in whole
    # 6 heard, 2 repeats: the 2 is hidden, and the rate with it (it gives the 2 back).
    assert "fewer than 5" in whole
    assert "33.3%" not in whole
    assert "SafeLives return" in whole
    assert "How the figures are counted" in whole
    (event,) = exports(app)
    assert (event.object_type, event.object_id) == ("areas", str(area))
    changes = json.loads(event.changes or "{}")
    assert changes["report"] == "board_pack"
    assert changes["filters"] == {"quarter": LAST.key}
    assert changes["suppressed"] is True
    assert sorted(changes["panels"]) == sorted([world.panels["marac"], world.panels["channel"]])


def test_r23_a_coordinator_s_pack_holds_only_their_panels_and_is_suppressed_too(
    world: World,  # noqa: F811
    clients: dict[str, FlaskClient],  # noqa: F811
) -> None:
    """The coordinator sees their MARAC's figures exact on screen; a board pack leaves the
    panel, so it is suppressed for them too, and holds no panel they do not run."""
    whole = " ".join(pack(clients["coordinator"], world.areas["Ashcombe"]))
    assert "Ashcombe MARAC" in whole
    assert "Ashcombe Channel" not in whole
    assert "fewer than 5" in whole
    assert "33.3%" not in whole


def test_an_area_not_in_your_reports_is_not_offered_and_never_printed(
    app: Flask,
    world: World,  # noqa: F811
    clients: dict[str, FlaskClient],  # noqa: F811
) -> None:
    """The choice goes back to the page, which says what is wrong; nothing is printed or
    recorded as printed. Someone with no panels to report on is told so."""
    for person in ("brindle_manager", "representative"):
        url = f"/reports/board-pack.pdf?area={world.areas['Ashcombe']}&quarter={LAST.key}"
        response = clients[person].get(url)
        assert response.status_code == 302
        page = clients[person].get(response.headers["Location"])
        assert page.status_code == 200
        if person == "brindle_manager":
            assert "Select an area from the list" in page.text
        else:
            assert "You have no panels to report on" in page.text
    bad_quarter = clients["ashcombe_manager"].get(
        f"/reports/board-pack.pdf?area={world.areas['Ashcombe']}&quarter=1066-Q9"
    )
    assert bad_quarter.status_code == 302
    assert "Select a quarter from the list" in (
        clients["ashcombe_manager"].get(bad_quarter.headers["Location"]).text
    )
    missing = clients["ashcombe_manager"].get("/reports/board-pack.pdf?area=&quarter=")
    assert "Select the area the board pack is for" in (
        clients["ashcombe_manager"].get(missing.headers["Location"]).text
    )
    assert exports(app) == []


def test_the_financial_year_of_a_quarter_starts_in_april() -> None:
    assert financial_year_of(Quarter(2026, 1)) == 2025  # January to March 2026
    assert financial_year_of(Quarter(2026, 2)) == 2026
    assert financial_year_of(Quarter(2026, 4)) == 2026
