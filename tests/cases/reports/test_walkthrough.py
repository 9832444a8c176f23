"""What a walkthrough of the reports found (issue 20), through the pages and files as a
manager and a coordinator see them, on 7 December 2026 (the clock is fixed):

- the differencing attack on two 12-month totals (domain R23, E11) no longer works, on
  screen or in the CSV and XLSX, in either view;
- the current quarter, not over yet, is labelled "so far" everywhere (E7: by meeting date,
  so its figures are still coming in): page, summary, table, chart and files;
- the summary says over how many periods a rate could be given;
- a period choice with spaces around it is taken.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import openpyxl
import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.database import db
from app.settings import ReportSettings
from cases.reports import services
from cases.reports.rules import Counts
from cases.reports.rules import Quarter
from cases.reports.rules import View
from cases.reports.rules import assemble
from panels.models import Area
from panels.models import Panel
from panels.models import PanelRole
from panels.types.common import PanelType
from tests.cases.reports.conftest import History
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.referral_fixtures import member

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday, in the last quarter of 2026
# (meeting day, listings heard, of which repeats): the walkthrough's history. 6 repeats in
# the 12 months to 30 June 2026, 7 in the 12 months to 30 September 2026, none in July to
# September 2025: 7 - 6 + 0 would give July to September 2026's 1 away.
MEETINGS = [
    (date(2025, 8, 12), 20, 0),
    (date(2025, 11, 11), 20, 6),
    (date(2026, 2, 10), 20, 0),
    (date(2026, 5, 12), 20, 0),
    (date(2026, 8, 11), 20, 1),
    (date(2026, 11, 10), 11, 6),  # the current quarter, so far
]


@dataclass
class World:
    panel_id: int
    manager: FlaskClient
    coordinator: FlaskClient


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(clock: time_machine.Traveller, app: Flask, accounts: Accounts, sign_in: SignIn) -> World:
    admin = accounts.user("admin@test.example", role=GlobalRole.ADMIN)
    manager = accounts.user("manager@test.example", role=GlobalRole.MANAGER)
    coordinator = accounts.user("coordinator@test.example")
    with app.test_request_context():
        history = History(db.session.get_one(User, admin.id))
        panel = history.panel("Ashcombe", name="Ashcombe MARAC")
        for held_on, heard, repeats in MEETINGS:
            meeting = history.meeting(panel, held_on)
            for n in range(heard):
                referred = held_on - timedelta(days=7)
                history.referral(panel, referred_on=referred, meeting=meeting, repeat=n < repeats)
        services.add_manager_area(
            db.session.get_one(User, manager.id),
            actor=db.session.get_one(User, admin.id),
            area=panel.area,
        )
        member(panel, db.session.get_one(User, coordinator.id), PanelRole.COORDINATOR)
        db.session.commit()
        panel_id = panel.id
    return World(
        panel_id,
        sign_in(app.test_client(), "manager@test.example"),
        sign_in(app.test_client(), "coordinator@test.example"),
    )


def table(page: str) -> dict[str, list[str]]:
    """The report table's rows: period -> cases heard, repeat cases, repeat rate."""
    rows = {}
    body = page.split('<tbody class="govuk-table__body">', 1)[1].split("</tbody>", 1)[0]
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(
            r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S
        )]  # fmt: skip
        rows[cells[0]] = cells[1:4]
    return rows


def csv_table(response_text: str) -> dict[str, list[str]]:
    rows = list(csv.reader(io.StringIO(response_text.lstrip("\ufeff"))))
    header = next(i for i, row in enumerate(rows) if row and row[0] == "Period")
    return {row[0]: row[1:5] for row in rows[header + 1 :] if row}


def xlsx_table(data: bytes) -> dict[str, list[object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(values) if row[0] == "Period")
    return {str(row[0]): list(row[1:5]) for row in values[header + 1 :] if row[0]}


def page(client: FlaskClient, panel_id: int, query: str) -> str:
    response = client.get(f"/reports/panels/{panel_id}?{query}")
    assert response.status_code == 200
    return html.unescape(response.text)


# 1. The differencing attack (R23, E11) -----------------------------------------------------


def test_r23_e11_the_walkthrough_s_differencing_attack_finds_nothing_on_screen(
    world: World,
) -> None:
    """As the manager: 6 in the 12 months to 30 June 2026 is shown; the 12 months to 30
    September 2026 is not (it adds up July to September 2026's hidden 1), in either view."""
    june = table(page(world.manager, world.panel_id, "quarter=2026-Q2&view=quarters"))
    assert june["12 months to 30 June 2026"][1] == "6"
    september = table(page(world.manager, world.panel_id, "quarter=2026-Q3&view=quarters"))
    assert september["July to September 2025"][1] == "0"
    assert september["July to September 2026"][1] == "fewer than 5"
    assert september["12 months to 30 September 2026"] == ["80", "not shown", "not shown"]
    rolling = table(page(world.manager, world.panel_id, "quarter=2026-Q3&view=12-months"))
    assert rolling["12 months to 30 June 2026"][1] == "6"
    assert rolling["12 months to 30 September 2026"][1:] == ["not shown", "not shown"]
    # The panel's coordinator still sees the exact figures on screen.
    exact = table(page(world.coordinator, world.panel_id, "quarter=2026-Q3&view=quarters"))
    assert exact["12 months to 30 September 2026"][1] == "7"


@pytest.mark.parametrize("view", [View.QUARTERS, View.TWELVE_MONTHS])
def test_r23_e11_nor_in_the_files_whoever_downloads_them(world: World, view: View) -> None:
    for client in (world.manager, world.coordinator):
        url = f"/reports/panels/{world.panel_id}/repeat-rate"
        query = f"?quarter=2026-Q3&view={view.value}"
        from_csv = csv_table(client.get(f"{url}.csv{query}").text)
        from_xlsx = xlsx_table(client.get(f"{url}.xlsx{query}").data)
        assert from_csv["12 months to 30 September 2026"][2] == "not shown"
        assert from_xlsx["12 months to 30 September 2026"][2] == "not shown"
        if view is View.QUARTERS:
            assert from_csv["July to September 2026"][2] == "fewer than 5"
            assert from_csv["July to September 2025"][2] == "0"


# 2. A period not over yet is labelled "so far" (E7) -----------------------------------------


def test_e7_the_current_quarter_is_labelled_so_far_on_the_page(world: World) -> None:
    shown = page(world.coordinator, world.panel_id, "quarter=2026-Q4&view=quarters")
    assert (
        "In the 12 months to 31 December 2026 (to 7 December, so far), the repeat rate was" in shown
    )
    rows = table(shown)
    assert rows["October to December 2026 (to 7 December, so far)"] == ["11", "6", "54.5%"]
    assert "12 months to 31 December 2026 (to 7 December, so far)" in rows
    assert "October to December 2026" not in rows  # never as if it were complete
    assert "is not over yet: its figures are counted up to 7 December 2026" in shown
    # The chart's axis: "Oct–Dec" above "2026 (so far)", kept together.
    assert ">2026\u00a0(so\u00a0far)</text>" in shown
    assert "Oct–Dec 2026\u00a0(so\u00a0far): 54.5%" in shown  # the point's tooltip
    rolling = table(page(world.coordinator, world.panel_id, "quarter=2026-Q4&view=12-months"))
    assert "12 months to 31 December 2026 (to 7 December, so far)" in rolling
    assert "12 months to 30 September 2026" in rolling  # complete: no "so far"


def test_e7_a_complete_quarter_is_not_labelled_so_far(world: World) -> None:
    shown = page(world.coordinator, world.panel_id, "quarter=2026-Q3&view=quarters")
    # From the summary on (the choices above it offer the current quarter "(so far)").
    report = shown.split('class="govuk-body-l"', 1)[1]
    assert "so far" not in report
    assert "not over yet" not in report


def test_e7_the_files_say_so_far_and_count_to_today(world: World) -> None:
    url = f"/reports/panels/{world.panel_id}/repeat-rate"
    response = world.manager.get(f"{url}.csv?quarter=2026-Q4&view=quarters")
    rows = csv_table(response.text)
    assert rows["October to December 2026 (to 7 December, so far)"][0] == "07/12/2026"
    assert rows["12 months to 31 December 2026 (to 7 December, so far)"][0] == "07/12/2026"
    assert rows["July to September 2026"][0] == "30/09/2026"
    assert "31/12/2026" not in response.text
    assert "Not over yet" in response.text
    assert "Each quarter, to October to December 2026 (to 7 December, so far)" in response.text
    workbook = xlsx_table(world.manager.get(f"{url}.xlsx?quarter=2026-Q4&view=12-months").data)
    counted_to = workbook["12 months to 31 December 2026 (to 7 December, so far)"][0]
    assert isinstance(counted_to, datetime)
    assert counted_to.date() == date(2026, 12, 7)


# 3. The summary's range --------------------------------------------------------------------


def summary_of(*rates: tuple[int, int]) -> str:
    """The summary of a suppressed quarterly report whose 8 quarters have these counts."""
    last = Quarter(2026, 3)
    counts = {last.shifted(i - 7): Counts(*pair) for i, pair in enumerate(rates)}
    made = Panel(name="Ashcombe MARAC", area=Area(name="Ashcombe"), panel_type=PanelType.MARAC)
    report = assemble(
        made,
        counts,
        last=last,
        view=View.QUARTERS,
        suppress=True,
        settings=ReportSettings(),
        today=date(2026, 12, 7),
    )
    assert report is not None
    return report.summary()


def test_the_summary_s_range_says_over_how_many_periods_a_rate_could_be_given(app: Flask) -> None:
    """Only 2 of the 8 rates shown (the others hidden or with no cases heard): the range says
    so. All 8: over the 8. Fewer than two: no range at all."""
    two = summary_of((20, 0), (3, 0), (0, 0), (20, 2), (20, 0), (2, 1), (0, 0), (4, 0))
    expected = "A rate can be given for 2 of the 8 periods shown: over those it ranged from"
    assert f"{expected} 0.0% to 0.0%." in two
    assert "Over the 8 periods" not in two
    every = summary_of(*[(20, 0)] * 7, (20, 6))
    assert "Over the 8 periods shown it ranged from 0.0% to 30.0%." in every
    one = summary_of((20, 5), *[(0, 0)] * 7)
    assert "ranged" not in one


# 5. Spaces around a choice -----------------------------------------------------------------


def test_a_period_choice_with_spaces_around_it_is_taken(world: World) -> None:
    shown = page(world.manager, world.panel_id, "quarter=%202026-Q3%20&view=%2012-months%20")
    assert "govuk-error-summary" not in shown
    assert "12 months to 30 September 2026" in table(shown)
    response = world.manager.get(
        f"/reports/panels/{world.panel_id}/repeat-rate.csv?quarter=%202026-Q3%20"
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "July to September 2026" in csv_table(response.text)
