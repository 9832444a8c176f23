"""The repeat-rate exports: always suppressed (R23, E11), the panel's own words neutralised in
CSV and XLSX (security R20), the protective marking first (R10), and each export audited with
its filters (domain R9). How any file is written (the formula guard, the marking, streaming)
is tested in tests/app/test_exports.py."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.database import uk_today
from audit.models import AuditAction
from audit.models import AuditEvent
from cases.reports.rules import Quarter
from panels.models import PanelRole
from tests.cases.reports.conftest import History
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.referral_fixtures import member

HOSTILE_PANEL = '=HYPERLINK("http://evil.example","x")'
HOSTILE_AREA = "@SUM(1+1)"


@pytest.fixture
def coordinator(app: Flask, accounts: Accounts, sign_in: SignIn) -> tuple[FlaskClient, int]:
    """The coordinator of a panel with a hostile name: last quarter, 7 heard, 3 repeats."""
    account = accounts.user("coordinator@test.example")
    with app.test_request_context():
        user = db.session.get_one(User, account.id)
        history = History(user)
        panel = history.panel(HOSTILE_AREA, name=HOSTILE_PANEL)
        member(panel, user, PanelRole.COORDINATOR)
        last = Quarter.of(uk_today()).shifted(-1)
        meeting = history.meeting(panel, last.start + timedelta(days=3))
        for n in range(7):
            history.referral(panel, referred_on=last.start, meeting=meeting, repeat=n < 3)
        db.session.commit()
        panel_id = panel.id
    return sign_in(app.test_client(), "coordinator@test.example"), panel_id


def test_r20_csv_is_suppressed_marked_and_neutralised_even_for_the_coordinator(
    coordinator: tuple[FlaskClient, int],
) -> None:
    client, panel_id = coordinator
    response = client.get(f"/reports/panels/{panel_id}/repeat-rate.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "HYPERLINK" not in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][0].startswith("OFFICIAL")  # the protective marking first (R10)
    cells = [cell for row in rows for cell in row]
    assert f"'{HOSTILE_PANEL}" in cells
    assert HOSTILE_PANEL not in cells
    assert f"'{HOSTILE_AREA}" in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    header = next(i for i, row in enumerate(rows) if row and row[0] == "Period")
    last_quarter = rows[header + 8]
    assert last_quarter[2:5] == ["7", "fewer than 5", "not shown"]


def test_r20_xlsx_keeps_text_as_text_and_is_suppressed(
    app: Flask, coordinator: tuple[FlaskClient, int]
) -> None:
    client, panel_id = coordinator
    response = client.get(f"/reports/panels/{panel_id}/repeat-rate.xlsx?view=quarters")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book.active
    assert sheet is not None
    values = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type != "f" for cell in values)
    texts = [cell.value for cell in values if isinstance(cell.value, str)]
    assert f"'{HOSTILE_PANEL}" in texts
    assert HOSTILE_PANEL not in texts
    assert "fewer than 5" in texts
    assert not any(text.startswith(("=", "+", "-", "@")) for text in texts)
    # The marking heads and foots every printed page too (R10).
    assert "OFFICIAL" in (sheet.oddHeader.center.text or "")
    assert "OFFICIAL" in (sheet.oddFooter.center.text or "")


def test_r9_each_export_is_recorded_with_its_filters(
    app: Flask, coordinator: tuple[FlaskClient, int]
) -> None:
    client, panel_id = coordinator
    quarter = Quarter.of(uk_today()).shifted(-2).key
    client.get(f"/reports/panels/{panel_id}/repeat-rate.xlsx?quarter={quarter}&view=12-months")
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).order_by(AuditEvent.sequence.desc()).limit(1)
        ).one()
        assert (event.action, event.object_type, event.object_id) == (
            AuditAction.REPORT_EXPORTED,
            "panels",
            str(panel_id),
        )
        changes = json.loads(event.changes or "{}")
        assert changes["filters"] == {"quarter": quarter, "view": "12-months"}
        assert changes["format"] == "xlsx"
        assert changes["suppressed"] is True
