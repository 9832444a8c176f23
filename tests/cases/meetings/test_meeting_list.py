"""Browsing meetings: every meeting of the user's panels, past and to come (R5: never another
panel's), upcoming first by default with a way to the past ones, filtered by panel, dates and
kind, sorted by date, paged within bounds; a forged or impossible filter gets the GOV.UK error
summary with what was typed kept, and no list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.database import db
from app.database import uk_today
from app.template_filters import uk_date
from cases.meetings import queries
from panels import services as panel_services
from panels.models import Meeting
from panels.models import MeetingKind
from panels.models import Panel
from panels.models import PanelRole
from panels.types.common import PanelType
from tests.cases.referrals.test_referral_pages import text
from tests.cases.test_case_list import counted_statements
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import csrf_token
from tests.referral_fixtures import member
from tests.referral_fixtures import panel

COORDINATOR = "coordinator@test.example"
REPRESENTATIVE = "housing@test.example"
OUTSIDER = "outsider@test.example"
MANAGER = "manager@test.example"  # sits on no panel
TODAY = uk_today()


@dataclass(frozen=True)
class World:
    panels: dict[str, int]
    meetings: dict[str, int]  # key -> id


# Thornbury MARAC meets a year back and ahead; its Community MARAC once; Eastmere elsewhere.
DATES = {
    "year_ago": ("marac", TODAY - timedelta(days=364), MeetingKind.SCHEDULED),
    "last_month": ("marac", TODAY - timedelta(days=30), MeetingKind.SCHEDULED),
    "emergency_past": ("marac", TODAY - timedelta(days=10), MeetingKind.EMERGENCY),
    "today": ("marac", TODAY, MeetingKind.SCHEDULED),
    "next_month": ("marac", TODAY + timedelta(days=30), MeetingKind.SCHEDULED),
    "cmarac_next": ("cmarac", TODAY + timedelta(days=20), MeetingKind.SCHEDULED),
    "away": ("away", TODAY + timedelta(days=5), MeetingKind.SCHEDULED),
}


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> World:
    accounts.user(COORDINATOR, organisation="Thornbury Community Safety")
    accounts.user(REPRESENTATIVE, organisation="Ashcombe Homes")
    accounts.user(OUTSIDER, organisation="Eastmere Police")
    with app.test_request_context():
        made = {
            "marac": panel("Thornbury"),
            "cmarac": panel("Thornbury CM", PanelType.COMMUNITY_MARAC),
            "away": panel("Eastmere"),
        }
        users = {u.email: u for u in db.session.scalars(select(User))}
        member(made["marac"], users[COORDINATOR], PanelRole.COORDINATOR)
        member(made["cmarac"], users[COORDINATOR], PanelRole.COORDINATOR)
        member(made["marac"], users[REPRESENTATIVE], PanelRole.REPRESENTATIVE)
        member(made["away"], users[OUTSIDER], PanelRole.COORDINATOR)
        meetings = {
            key: panel_services.schedule_meeting(
                actor=None, panel=made[panel_key], held_on=held_on, kind=kind
            ).id
            for key, (panel_key, held_on, kind) in DATES.items()
        }
        db.session.commit()
        return World({k: p.id for k, p in made.items()}, meetings)


def shown(world: World, page: str) -> list[str]:
    """The meetings listed, by key, in the order shown."""
    ids = [int(i) for i in re.findall(r'href="/meetings/(\d+)"', page)]
    by_id = {v: k for k, v in world.meetings.items()}
    return [by_id[i] for i in ids if i in by_id]


@pytest.fixture
def coordinator(client: FlaskClient, world: World, sign_in: SignIn) -> FlaskClient:
    return sign_in(client, COORDINATOR)


def test_meetings_to_come_first_soonest_first_with_a_link_to_past_ones(
    world: World, coordinator: FlaskClient
) -> None:
    page = coordinator.get("/meetings").text
    assert shown(world, page) == ["today", "cmarac_next", "next_month"]
    assert 'href="/meetings?when=past"' in page
    assert "Meetings already held" in page


def test_past_meetings_can_be_reached_latest_first(world: World, coordinator: FlaskClient) -> None:
    page = coordinator.get("/meetings?when=past").text
    assert shown(world, page) == ["emergency_past", "last_month", "year_ago"]
    oldest_first = coordinator.get("/meetings?when=past&order=earliest").text
    assert shown(world, oldest_first) == ["year_ago", "last_month", "emergency_past"]


def test_emergency_meetings_are_shown_as_such(world: World, coordinator: FlaskClient) -> None:
    page = text(coordinator.get("/meetings?when=all&kind=emergency"))
    assert shown(world, page) == ["emergency_past"]
    assert "Emergency" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"when": "all", "panel": "{cmarac}"}, ["cmarac_next"]),
        (
            {"when": "all", "held_from": "{from}", "held_to": "{to}"},
            ["last_month", "emergency_past"],
        ),
        ({"when": "all", "order": "latest", "kind": "scheduled"}, None),
    ],
)
def test_filters_narrow_the_list(
    world: World, coordinator: FlaskClient, query: dict[str, Any], expected: list[str] | None
) -> None:
    start, end = TODAY - timedelta(days=40), TODAY - timedelta(days=1)
    filled: dict[str, Any] = {}
    for name, value in query.items():
        if value == "{cmarac}":
            filled[name] = str(world.panels["cmarac"])
        elif value == "{from}":
            filled[name] = [str(start.day), str(start.month), str(start.year)]
        elif value == "{to}":
            filled[name] = [str(end.day), str(end.month), str(end.year)]
        else:
            filled[name] = value
    page = coordinator.get("/meetings", query_string=filled).text
    if expected is None:  # every scheduled meeting of the user's panels, latest first
        expected = [
            k
            for k, _ in sorted(
                ((k, v) for k, v in DATES.items() if k not in ("away", "emergency_past")),
                key=lambda item: (item[1][1], world.meetings[item[0]]),
                reverse=True,
            )
        ]
    assert shown(world, page) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"when": "yesterday"}, "Select which meetings to show from the list"),
        ({"panel": "abc"}, "Select a panel from the list"),
        ({"kind": "secret"}, "Select a kind of meeting from the list"),
        ({"order": "random"}, "Select an order from the list"),
        ({"held_from": ["31", "2", "2026"]}, "Held from must be a real date"),
        ({"held_to": ["14", "", "2026"]}, "Held up to must include a month"),
        ({"held_from": ["1", "2", "3", "4"]}, "Held from must be a real date"),
        (
            {"held_from": ["2", "3", "2026"], "held_to": ["1", "3", "2026"]},
            "Held up to must be the same as or after held from",
        ),
    ],
)
def test_forged_or_impossible_filters_get_a_clear_message_kept_input_and_no_list(
    world: World, coordinator: FlaskClient, query: dict[str, Any], message: str
) -> None:
    response = coordinator.get("/meetings", query_string=query)
    assert response.status_code == 200
    page = text(response)
    assert "There is a problem" in page
    assert "<title>Error: " in page
    assert page.count(message) == 2  # in the summary and beside the field
    assert shown(world, page) == []
    if "held_to" in query and query["held_to"][0] == "14":
        assert 'value="14"' in page  # what was typed is kept


def test_another_panels_meetings_never_show_even_when_asked_for(
    world: World, coordinator: FlaskClient
) -> None:
    """R5, R15: the panel filter offers only the user's panels; another's id is refused."""
    everything = coordinator.get("/meetings?when=all").text
    assert "away" not in shown(world, everything)
    forged = text(coordinator.get(f"/meetings?when=all&panel={world.panels['away']}"))
    assert "Select a panel from the list" in forged
    assert shown(world, forged) == []


def test_a_representative_sees_their_panels_meetings_and_declarations_not_case_counts(
    world: World, client: FlaskClient, sign_in: SignIn
) -> None:
    sign_in(client, REPRESENTATIVE)
    page = text(client.get("/meetings?when=all"))
    assert shown(world, page) == [
        "year_ago",
        "last_month",
        "emergency_past",
        "today",
        "next_month",
    ]
    assert "cases listed" not in page
    assert page.count("Declaration needed") == 1  # today: its agenda is open
    # Next month's agenda opens to members the panel's 7 days before (issue 21).
    assert page.count("Agenda opens on") == 1
    assert page.count("Not declared") == 3  # held: the statement can no longer be accepted
    assert "Add a meeting" not in page


def test_pages_are_bounded_and_keep_the_filters(
    world: World, coordinator: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    monkeypatch.setattr(queries, "MAX_PAGES", 2)
    first = coordinator.get("/meetings?when=all").text
    second = coordinator.get("/meetings?when=all&page=2").text
    beyond = coordinator.get("/meetings?when=all&page=99").text
    assert shown(world, first) == ["year_ago", "last_month"]
    assert shown(world, second) == ["emergency_past", "today"]
    assert shown(world, beyond) == shown(world, second)
    assert 'href="/meetings?page=2&amp;when=all"' in first
    assert "page 2 of 2" in text(coordinator.get("/meetings?when=all&page=2"))
    assert "Only the first pages can be reached" in second


def test_the_list_is_a_fixed_number_of_queries_whatever_the_page_holds(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    """No query per row (design §7): rows, declarations and case counts come together."""
    with counted_statements(app) as few:
        assert len(shown(world, coordinator.get("/meetings?when=all").text)) == 6
    with app.app_context():
        marac = db.session.get_one(Panel, world.panels["marac"])
        for day in range(1, 20):
            panel_services.schedule_meeting(actor=None, panel=marac, held_on=date(2099, 1, day))
        db.session.commit()
    with counted_statements(app) as many:
        coordinator.get("/meetings?when=all")
    assert len(few) == len(many)


# Adding a meeting (issue 21 walkthrough, item 3) ----------------------------------------------


def add_meeting(client: FlaskClient, world: World, held_on: date, kind: str = "scheduled") -> Any:
    token = csrf_token(client.get("/meetings").text)
    parts = [str(held_on.day), str(held_on.month), str(held_on.year)]
    return client.post(
        "/meetings",
        data=MultiDict(
            [
                ("csrf_token", token),
                ("panel_id", str(world.panels["marac"])),
                *[("held_on", part) for part in parts],
                ("kind", kind),
            ]
        ),
    )


def meeting_count(app: Flask) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Meeting.id)).all())


@pytest.mark.parametrize(
    ("held_on", "message"),
    [
        (date(2020, 1, 1), "The date of the meeting must be within the last 12 months"),
        (date(2099, 1, 1), "The date of the meeting must be within the next 2 years"),
        (TODAY - timedelta(days=400), "The date of the meeting must be within the last 12 months"),
        (TODAY + timedelta(days=800), "The date of the meeting must be within the next 2 years"),
    ],
)
def test_the_add_meeting_form_refuses_an_implausible_date_keeping_what_was_typed(
    app: Flask, world: World, coordinator: FlaskClient, held_on: date, message: str
) -> None:
    """A mistyped year is not a meeting: refused next to the date, with the error summary and
    the input kept, and nothing added."""
    before = meeting_count(app)
    response = add_meeting(coordinator, world, held_on)
    assert response.status_code == 200
    page = text(response)
    assert page.count(message) == 2  # the summary and next to the field
    assert "<title>Error: " in page
    assert f'value="{held_on.year}"' in response.text
    assert meeting_count(app) == before


def test_the_add_meeting_form_accepts_a_date_within_a_year_back_and_two_ahead(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    before = meeting_count(app)
    for held_on in (TODAY - timedelta(days=300), TODAY + timedelta(days=700)):
        assert add_meeting(coordinator, world, held_on).status_code == 302
    assert meeting_count(app) == before + 2


def test_a_second_meeting_of_a_panel_and_kind_on_one_day_is_refused(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    """Thornbury's MARAC already meets today: a second scheduled meeting is a mistake; an
    emergency meeting the same day is another kind, and is added."""
    before = meeting_count(app)
    refused = add_meeting(coordinator, world, TODAY)
    assert refused.status_code == 200
    message = (
        f"Thornbury marac already has a scheduled meeting on {uk_date(TODAY)}: choose another "
        "date, or use that meeting"
    )
    assert text(refused).count(message) == 2
    assert meeting_count(app) == before
    assert add_meeting(coordinator, world, TODAY, kind="emergency").status_code == 302
    assert meeting_count(app) == before + 1


# Someone who sits on no panel (issue 21 walkthrough, item 4) ----------------------------------


def test_someone_on_no_panel_is_told_so_and_not_offered_meetings(
    app: Flask, accounts: Accounts, world: World, client: FlaskClient, sign_in: SignIn
) -> None:
    """A manager sees aggregate figures only (design §2): /meetings says plainly they sit on
    no panel, with no filter form, and the navigation offers no "Meetings"."""
    accounts.user(MANAGER, role=GlobalRole.MANAGER, organisation="Thornbury Council")
    manager = sign_in(client, MANAGER)
    response = manager.get("/meetings")
    assert response.status_code == 200
    page = text(response)
    assert "You do not sit on any panel, so there are no meetings for you here" in page
    assert "Apply filters" not in page
    assert "Add a meeting" not in page
    assert 'href="/meetings"' not in manager.get("/").text
    member_page = sign_in(app.test_client(), REPRESENTATIVE).get("/").text
    assert 'href="/meetings"' in member_page
