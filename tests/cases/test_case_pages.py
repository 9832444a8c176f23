"""Case pages: the list and search are scoped to the user's panels, a case page opens only on its
panel and is audited, notes are saved only on open cases, destroyed content stays unreadable,
and the database file never holds names, addresses or note text in clear."""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.sessions import ServerSessionRecord
from app.settings import Settings
from audit.models import AuditAction
from audit.models import AuditEvent
from audit.models import Outcome
from cases import services
from cases.models import Case
from cases.models import CaseNote
from cases.models import CaseRole
from cases.people.services import Identity
from cases.retention.models import RecordType
from cases.retention.models import RetentionRule
from cases.retention.queries import DueCase
from cases.retention.services import dispose
from panels.models import Area
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import MeetingCadence
from panels.types.common import PanelType
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import csrf_token
from tests.conftest import post_form
from tests.referral_fixtures import sign_for_members

REP_EMAIL = "rep@test.example"
OTHER_EMAIL = "other-rep@test.example"
REP_ORGANISATION = "Thornbury Vale Police"
ZOE_BORN = date(1984, 3, 27)


@dataclass(frozen=True)
class World:
    """Ids of what the tests act on; the rep sits on the home panel only."""

    home_case: int  # Zoë O’Hara, on the rep's panel
    second_home_case: int  # Orrin Halloway, on the rep's panel
    away_case: int  # Brannoc Veldt and another Zoë O’Hara record, on a panel the rep is not on


def reference(case_id: int) -> str:
    return f"MARAC-{case_id:06d}"


def marac_panel(area_name: str) -> Panel:
    return Panel(
        area=Area(name=area_name),
        name=f"{area_name} MARAC",
        panel_type=PanelType.MARAC,
        meeting_cadence=MeetingCadence.MONTHLY,
    )


def zoe() -> Identity:
    return Identity(
        given_names="Zoë",
        family_name="O’Hara",
        date_of_birth=ZOE_BORN,
        aliases=("Rosa Quellwin",),
        address="12 Fennick Row, Thornbury Vale",
    )


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> World:
    rep = accounts.user(REP_EMAIL, organisation=REP_ORGANISATION, name="Rhian Penrose")
    other = accounts.user(OTHER_EMAIL, organisation="Eastmere Health", name="Olly Tamsin")
    with app.app_context():
        home, away = marac_panel("Thornbury Vale"), marac_panel("Eastmere")
        db.session.add_all(
            [
                home,
                away,
                PanelMembership(panel=home, user_id=rep.id, role=PanelRole.COORDINATOR),
                PanelMembership(panel=away, user_id=other.id, role=PanelRole.COORDINATOR),
            ]
        )
        db.session.flush()
        sign_for_members()
        home_case = services.open_case(
            actor=None,
            panel=home,
            opened_on=date(2026, 1, 12),
            summary="Synthetic summary: threats made at the Fennick Row address",
        )
        services.add_person(home_case, actor=None, role=CaseRole.VICTIM, identity=zoe())
        second = services.open_case(
            actor=None, panel=home, opened_on=date(2026, 2, 3), summary="Second synthetic case"
        )
        services.add_person(
            second,
            actor=None,
            role=CaseRole.VICTIM,
            identity=Identity(
                given_names="Orrin", family_name="Halloway", date_of_birth=date(1990, 7, 1)
            ),
        )
        away_case = services.open_case(
            actor=None, panel=away, opened_on=date(2026, 1, 20), summary="Eastmere-only summary"
        )
        services.add_person(
            away_case,
            actor=None,
            role=CaseRole.PERPETRATOR,
            identity=Identity(
                given_names="Brannoc", family_name="Veldt", date_of_birth=date(1979, 11, 5)
            ),
        )
        # The same person details recorded separately on the other panel.
        services.add_person(away_case, actor=None, role=CaseRole.VICTIM, identity=zoe())
        db.session.commit()
        return World(home_case.id, second.id, away_case.id)


@pytest.fixture
def rep_client(client: FlaskClient, world: World, sign_in: SignIn) -> FlaskClient:
    return sign_in(client, REP_EMAIL)


def events_of(app: Flask, action: AuditAction) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.sequence)
        ).all()
        db.session.expunge_all()
        return list(rows)


def note_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(CaseNote)) or 0


def search_args(given: str, family: str, day: str, month: str, year: str) -> list[tuple[str, str]]:
    """A search as the GOV.UK date input sends it: its three parts share the field's name."""
    return [
        ("given_names", given),
        ("family_name", family),
        ("date_of_birth", day),
        ("date_of_birth", month),
        ("date_of_birth", year),
    ]


def search(client: FlaskClient, args: list[tuple[str, str]]) -> TestResponse:
    """Search for a person as the case list's form does: a POST, with its CSRF token."""
    token = csrf_token(client.get("/cases").text)
    return client.post("/cases", data=MultiDict([("csrf_token", token), *args]))


PER_RESPONSE = re.compile(r'(nonce|name="csrf_token" value)="[^"]*"')


def comparable(page: str) -> str:
    """The page without what differs on every response (the CSP nonce, and the CSRF token,
    which is timestamped), to compare two responses."""
    return PER_RESPONSE.sub(r'\1=""', page)


def text_of(page: str) -> str:
    """The page with HTML entities decoded, so curly apostrophes compare as typed."""
    return html.unescape(page)


# The list ------------------------------------------------------------------------------------


def test_case_list_shows_only_cases_on_the_users_panels_with_decrypted_names(
    rep_client: FlaskClient, world: World
) -> None:
    response = rep_client.get("/cases")

    assert response.status_code == 200
    page = text_of(response.text)
    assert reference(world.home_case) in page
    assert reference(world.second_home_case) in page
    assert "2 cases on your panels" in page
    assert "Zoë O’Hara (victim)" in page
    assert "Orrin Halloway (victim)" in page
    assert reference(world.away_case) not in page
    assert "Brannoc" not in page
    assert "Veldt" not in page
    assert "Eastmere" not in page


# One case ------------------------------------------------------------------------------------


def test_case_page_shows_decrypted_details_and_records_the_view(
    app: Flask, rep_client: FlaskClient, world: World
) -> None:
    response = rep_client.get(f"/cases/{world.home_case}")

    assert response.status_code == 200
    page = text_of(response.text)
    assert f"Case {reference(world.home_case)}" in page
    assert "Zoë O’Hara" in page
    assert "Also known as Rosa Quellwin" in page
    assert "12 Fennick Row, Thornbury Vale" in page
    assert "Synthetic summary: threats made at the Fennick Row address" in page
    viewed = events_of(app, AuditAction.CASE_VIEWED)
    assert [(e.object_type, e.object_id) for e in viewed] == [("cases", str(world.home_case))]


def test_case_on_another_panel_and_missing_case_answer_the_same_404_and_are_recorded(
    app: Flask, rep_client: FlaskClient, world: World
) -> None:
    missing_id = world.away_case + 1000
    away = rep_client.get(f"/cases/{world.away_case}")
    missing = rep_client.get(f"/cases/{missing_id}")

    assert away.status_code == missing.status_code == 404
    assert comparable(away.text) == comparable(missing.text)
    for name in ("Brannoc", "Veldt", "Eastmere"):
        assert name not in away.text
    denied = events_of(app, AuditAction.ACCESS_DENIED)
    assert [(e.object_type, e.object_id, e.outcome) for e in denied] == [
        ("cases", str(world.away_case), Outcome.DENIED),
        ("cases", str(missing_id), Outcome.DENIED),
    ]
    assert events_of(app, AuditAction.CASE_VIEWED) == []


@pytest.mark.parametrize(
    "role", [GlobalRole.ADMIN, GlobalRole.MANAGER, GlobalRole.AUDITOR, None], ids=str
)
def test_users_on_no_panel_see_no_case_whatever_their_role(
    client: FlaskClient, accounts: Accounts, sign_in: SignIn, world: World, role: GlobalRole | None
) -> None:
    """Admins see no case content, managers aggregates only, auditors the trail (design §2)."""
    accounts.user("outsider@test.example", role=role)
    sign_in(client, "outsider@test.example")
    listing = text_of(client.get("/cases").text)
    assert "0 cases on your panels" in listing
    for case_id in (world.home_case, world.second_home_case, world.away_case):
        response = client.get(f"/cases/{case_id}")
        assert response.status_code == 404
        assert "O’Hara" not in response.text
    assert "Zoë" not in listing


# Search --------------------------------------------------------------------------------------


def test_search_form_gives_each_date_part_the_fields_name(
    rep_client: FlaskClient, world: World
) -> None:
    page = rep_client.get("/cases").text

    for part in ("day", "month", "year"):
        assert f'id="date_of_birth-{part}" name="date_of_birth"' in page


def test_search_finds_a_person_ignoring_case_accents_and_punctuation(
    app: Flask, rep_client: FlaskClient, world: World
) -> None:
    response = search(rep_client, search_args("zoe", "OHARA", "27", "3", "1984"))

    assert response.status_code == 200
    page = text_of(response.text)
    assert "1 case with this person on your panels" in page
    assert f'<a class="govuk-link" href="/cases/{world.home_case}">' in page
    assert len(events_of(app, AuditAction.PEOPLE_SEARCHED)) == 1


def test_search_finds_a_person_by_an_alias(rep_client: FlaskClient, world: World) -> None:
    response = search(rep_client, search_args("ROSA", "quell-win", "27", "03", "1984"))

    page = text_of(response.text)
    assert "1 case with this person on your panels" in page
    assert f"{reference(world.home_case)}</a> (Thornbury Vale MARAC): victim" in page


def test_search_with_a_different_date_of_birth_finds_nothing(
    rep_client: FlaskClient, world: World
) -> None:
    response = search(rep_client, search_args("Zoë", "O’Hara", "28", "3", "1984"))

    assert response.status_code == 200
    assert "0 cases with this person on your panels" in text_of(response.text)


def test_search_never_returns_a_case_on_a_panel_the_user_is_not_on(
    rep_client: FlaskClient, world: World
) -> None:
    # The same person details are recorded on the away panel's case too.
    response = search(rep_client, search_args("Zoë", "O’Hara", "27", "3", "1984"))

    page = text_of(response.text)
    assert "1 case with this person on your panels" in page
    assert reference(world.away_case) not in page
    assert f"/cases/{world.away_case}" not in page
    assert "Eastmere" not in page


def test_search_is_recorded_without_what_was_searched_for(
    app: Flask, rep_client: FlaskClient, world: World
) -> None:
    search(rep_client, search_args("Zoe", "OHara", "27", "3", "1984"))

    [searched] = events_of(app, AuditAction.PEOPLE_SEARCHED)
    recorded = searched.changes or ""
    for typed in ("Zoe", "zoe", "OHara", "ohara", "1984", "Quellwin"):
        assert typed not in recorded
    assert '"results"' in recorded


MARKERS = ("Quorvindel", "Smarkwell")  # a planted name, found nowhere else


def test_issue_26_a_searched_name_reaches_no_address_log_session_or_trail(
    app: Flask, rep_client: FlaskClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A search is a POST answered in place; after an idle timeout neither a search nor an old
    address with a name in it leaves that name in the session kept for after signing in."""
    caplog.set_level(logging.DEBUG)
    args = search_args(*MARKERS, "27", "3", "1984")
    token = csrf_token(rep_client.get("/cases").text)
    answered = rep_client.post("/cases", data=MultiDict([("csrf_token", token), *args]))
    assert answered.status_code == 200
    assert "0 cases with this person on your panels" in text_of(answered.text)
    assert rep_client.get("/cases", query_string=args).status_code == 200  # an old address
    with time_machine.travel(utcnow() + timedelta(minutes=31)):
        later = [
            rep_client.post("/cases", data=MultiDict([("csrf_token", token), *args])),
            rep_client.get("/cases", query_string=args),
        ]
        # The form's token died with the session; the old address sends them to sign in.
        assert [r.status_code for r in later] == [400, 302]
        with app.app_context():
            sessions = " ".join(db.session.scalars(select(ServerSessionRecord.data)))
    with app.app_context():
        trail = " ".join(
            f"{e.changes} {e.object_id} {e.purpose}" for e in db.session.scalars(select(AuditEvent))
        )
    headers = " ".join(str(r.headers) for r in [answered, *later])
    assert '"next_url": "/cases"' in sessions
    for marker in MARKERS:
        for where, held in (
            ("session", sessions),
            ("trail", trail),
            ("headers", headers),
            ("logs", caplog.text),
        ):
            assert marker not in held, (marker, where)


def test_issue_26_person_searches_are_limited_per_user_and_the_limit_is_recorded(
    app: Flask, rep_client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    """Security R18: 20 a minute each, enough for screening and far too few to walk names and
    dates of birth; the refused search is on the record, and the list itself still opens."""
    args = search_args("Zoe", "OHara", "27", "3", "1984")
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        assert {search(rep_client, args).status_code for _ in range(20)} == {200}
        refused = search(rep_client, args)
        assert refused.status_code == 429
        assert "You have searched for people too many times" in refused.text
        assert rep_client.get("/cases").status_code == 200
        other = sign_in(app.test_client(), OTHER_EMAIL)
        assert search(other, args).status_code == 200  # a limit per person, not for everyone
        clock.shift(timedelta(seconds=61))
        assert search(rep_client, args).status_code == 200
    [throttled] = events_of(app, AuditAction.PEOPLE_SEARCH_THROTTLED)
    with app.app_context():
        rep_id = db.session.scalar(select(User.id).where(User.email == REP_EMAIL))
    assert (throttled.actor_id, throttled.outcome) == (rep_id, Outcome.DENIED)
    assert len(events_of(app, AuditAction.PEOPLE_SEARCHED)) == 22


@pytest.mark.parametrize(
    ("args", "message", "kept"),
    [
        (search_args("Tamsin", "Orkney", "", "", ""), "Enter a date of birth", "Tamsin"),
        (search_args("Tamsin", "", "27", "3", "1984"), "Enter a last name", "Tamsin"),
        (search_args("", "Orkney", "27", "3", "1984"), "Enter a first name", "Orkney"),
    ],
)
def test_search_with_a_missing_part_shows_the_error_summary(
    app: Flask,
    rep_client: FlaskClient,
    world: World,
    args: list[tuple[str, str]],
    message: str,
    kept: str,
) -> None:
    response = search(rep_client, args)

    assert response.status_code == 200
    page = text_of(response.text)
    assert "There is a problem" in page
    assert message in page
    assert f'value="{kept}"' in page
    assert events_of(app, AuditAction.PEOPLE_SEARCHED) == []


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("31", "2", "1984", "Date of birth must be a real date"),
        ("27", "", "1984", "Date of birth must include a month"),
        ("27", "3", "84", "Year must include 4 numbers"),
    ],
)
def test_search_with_an_incomplete_or_impossible_date_of_birth_says_what_is_wrong(
    app: Flask,
    rep_client: FlaskClient,
    world: World,
    day: str,
    month: str,
    year: str,
    message: str,
) -> None:
    response = search(rep_client, search_args("Zoe", "OHara", day, month, year))

    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert events_of(app, AuditAction.PEOPLE_SEARCHED) == []
    assert message in response.text


# Notes ---------------------------------------------------------------------------------------


def test_adding_a_note_saves_it_with_the_authors_agency_and_records_it(
    app: Flask, rep_client: FlaskClient, world: World
) -> None:
    url = f"/cases/{world.home_case}"
    response = post_form(rep_client, url, {"text": "Synthetic note: safety plan agreed"})

    assert response.status_code == 302
    assert response.location == f"{url}#notes"
    page = text_of(rep_client.get(url).text)
    assert "Synthetic note: safety plan agreed" in page
    assert f"{REP_ORGANISATION}, " in page
    assert note_count(app) == 1
    [added] = events_of(app, AuditAction.CASE_NOTE_ADDED)
    assert (added.object_type, added.object_id) == ("cases", str(world.home_case))
    assert "safety plan" not in (added.changes or "")


def test_an_empty_note_is_refused_with_an_error_summary(
    app: Flask, rep_client: FlaskClient, world: World
) -> None:
    response = post_form(rep_client, f"/cases/{world.home_case}", {"text": "   "})

    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert "Enter the note" in response.text
    assert note_count(app) == 0
    assert events_of(app, AuditAction.CASE_NOTE_ADDED) == []


def test_a_closed_case_offers_no_note_form_and_refuses_a_forged_note(
    app: Flask, rep_client: FlaskClient, world: World
) -> None:
    with app.app_context():
        case = db.session.get(Case, world.home_case)
        assert case is not None
        services.close_case(case, actor=None, closed_on=date(2026, 3, 1))
        db.session.commit()
    url = f"/cases/{world.home_case}"

    page = rep_client.get(url)
    assert page.status_code == 200
    assert 'name="text"' not in page.text
    assert "Save note" not in page.text
    # The session's token (from the sign-out button) lets the forged POST past CSRF.
    response = rep_client.post(
        url, data={"csrf_token": csrf_token(page.text), "text": "Forged synthetic note"}
    )

    assert response.status_code != 302
    assert "This case is closed and can no longer be changed" in text_of(response.text)
    assert "Forged synthetic note" not in response.text
    assert note_count(app) == 0
    assert events_of(app, AuditAction.CASE_NOTE_ADDED) == []


# Retention -----------------------------------------------------------------------------------


def test_a_case_whose_content_was_destroyed_opens_without_any_personal_data(
    app: Flask, rep_client: FlaskClient, world: World
) -> None:
    with app.app_context():
        case = db.session.get(Case, world.home_case)
        assert case is not None
        services.close_case(case, actor=None, closed_on=date(2026, 3, 1))
        rule = db.session.scalar(
            select(RetentionRule).where(
                RetentionRule.panel_type == PanelType.MARAC,
                RetentionRule.record_type == RecordType.CLOSED_CASE,
            )
        )
        assert rule is not None
        dispose(DueCase(case, rule, date(2032, 3, 1)), actor=None)
        db.session.commit()

    shown = rep_client.get(f"/cases/{world.home_case}")
    listed = rep_client.get("/cases")

    assert shown.status_code == 200
    assert "Content destroyed under retention policy" in shown.text
    assert listed.status_code == 200
    row = text_of(listed.text).split(reference(world.home_case), 1)[1].split("</tr>", 1)[0]
    assert "Content destroyed under retention policy" in row
    assert "Destroyed" in row
    for page in (text_of(shown.text), text_of(listed.text)):
        for personal in ("Zoë", "O’Hara", "Quellwin", "Fennick Row", "threats made"):
            assert personal not in page
    # The other case on the panel is untouched.
    assert "Orrin Halloway (victim)" in text_of(listed.text)


# At rest -------------------------------------------------------------------------------------


def test_the_database_file_holds_no_plaintext_names_addresses_or_notes(
    app: Flask, rep_client: FlaskClient, world: World, settings: Settings
) -> None:
    markers = ("Quillonfrost", "Marker Lane", "MARKER-NOTE-5521", "MARKER-SUMMARY-8830")
    with app.app_context():
        panel = db.session.scalar(select(Panel).where(Panel.name == "Thornbury Vale MARAC"))
        assert panel is not None
        case = services.open_case(
            actor=None, panel=panel, opened_on=date(2026, 4, 2), summary="MARKER-SUMMARY-8830"
        )
        services.add_person(
            case,
            actor=None,
            role=CaseRole.VICTIM,
            identity=Identity(
                given_names="Ysolde",
                family_name="Quillonfrost",
                date_of_birth=date(1988, 9, 14),
                address="7 Marker Lane, Thornbury Vale",
            ),
        )
        db.session.commit()
        case_id = case.id
    url = f"/cases/{case_id}"
    saved = post_form(rep_client, url, {"text": "Synthetic MARKER-NOTE-5521 text"})
    assert saved.status_code == 302

    page = rep_client.get(url).text
    for marker in markers:
        assert marker in page

    with app.app_context():
        db.engine.dispose()  # closes the connections, checkpointing the WAL
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    files = [database, database.with_name(database.name + "-wal")]
    stored = b"".join(path.read_bytes() for path in files if path.exists())
    assert len(stored) > 0
    for marker in markers:
        assert marker.encode() not in stored, marker
