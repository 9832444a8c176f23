"""Research before the meeting (issue 21; domain §2.6, R3, R7, R9): on each case listed on a
meeting's agenda, each agency on the panel marks its research as done and records what it is
sharing, sealed under the case's key with the agency as originator (R7), or that it has
nothing to share. One record per agency per case, updated by any of its members, never
silently overwritten by a colleague saving at once; only those running the meeting read
another agency's text; research is recorded until the meeting's day, and refused after."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy import text as sql
from sqlalchemy import update

from app.accounts.models import User
from app.database import db
from app.database import uk_today
from app.errors import DomainError
from audit.models import AuditAction
from audit.models import AuditEvent
from cases.meetings import services
from cases.meetings.models import CaseResearch
from cases.models import Case
from cases.referrals import services as referrals
from cases.restrictions.models import CaseRestriction
from panels import services as panel_services
from panels.models import ConfidentialityDeclaration
from panels.models import Meeting
from panels.models import PanelRole
from tests.cases.meetings.cast import CHAIR
from tests.cases.meetings.cast import COORDINATOR
from tests.cases.meetings.cast import HEALTH
from tests.cases.meetings.cast import HOUSING
from tests.cases.meetings.cast import IDVA
from tests.cases.meetings.cast import IDVA_COLLEAGUE
from tests.cases.meetings.cast import enrol
from tests.cases.referrals.test_referral_pages import text
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import csrf_token
from tests.referral_fixtures import marac_answers
from tests.referral_fixtures import member
from tests.referral_fixtures import panel
from tests.referral_fixtures import perpetrator
from tests.referral_fixtures import submitted
from tests.referral_fixtures import victim

EVERYONE = (COORDINATOR, CHAIR, IDVA, IDVA_COLLEAGUE, HOUSING, HEALTH)
HELD_ON = uk_today() + timedelta(days=5)
IDVA_SHARES = "IDVA holds three contacts since March; victim fears retaliation"
COLLEAGUE_SHARES = "IDVA: a further call on Friday, victim moving to a refuge"
HOUSING_SHARES = "Housing holds a tenancy in the victim's sole name"


@dataclass(frozen=True)
class World:
    meeting: int
    case: int
    restricted_case: int
    unlisted_case: int
    reference: str
    users: dict[str, int]
    organisations: dict[str, int]


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> World:
    enrol(accounts, COORDINATOR, CHAIR, IDVA, IDVA_COLLEAGUE, HOUSING, HEALTH)
    with app.test_request_context():
        marac = panel("Thornbury")
        users = {u.email: u for u in db.session.scalars(select(User))}
        roles = {COORDINATOR: PanelRole.COORDINATOR, CHAIR: PanelRole.CHAIR}
        for email in EVERYONE:
            member(marac, users[email], roles.get(email, PanelRole.REPRESENTATIVE))
        meeting = panel_services.schedule_meeting(actor=None, panel=marac, held_on=HELD_ON)
        cases = []
        for given, listed in (("Wren", True), ("Lark", True), ("Finch", False)):
            answers = marac_answers(
                referred_on=uk_today() - timedelta(days=3),
                people=[victim(given=given), perpetrator()],
            )
            sent = submitted(users[COORDINATOR], marac, answers)
            cases.append(
                referrals.accept_referral(
                    sent, actor=users[COORDINATOR], matches=[None, None], today=uk_today()
                ).case
            )
            if listed:
                referrals.list_for_meeting(sent, actor=users[COORDINATOR], meeting=meeting)
        db.session.add(
            CaseRestriction(
                case_id=cases[1].id,
                organisation_id=users[HOUSING].organisation_id,
                placed_by_id=users[COORDINATOR].id,
            )
        )
        for email in (CHAIR, IDVA, IDVA_COLLEAGUE, HOUSING):
            db.session.add(
                ConfidentialityDeclaration(
                    meeting_id=meeting.id, user_id=users[email].id, statement_version="1"
                )
            )
        db.session.commit()
        return World(
            meeting.id,
            cases[0].id,
            cases[1].id,
            cases[2].id,
            cases[0].reference,
            {email: users[email].id for email in EVERYONE},
            {email: users[email].organisation_id for email in EVERYONE},
        )


@pytest.fixture
def clients(app: Flask, world: World, sign_in: SignIn) -> dict[str, FlaskClient]:
    return {email: sign_in(app.test_client(), email) for email in EVERYONE}


def research_url(world: World, case_id: int | None = None) -> str:
    return f"/meetings/{world.meeting}/cases/{case_id or world.case}/research"


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="{name}"', page)
    assert found, name
    return found.group(1) or found.group(2)


def form_data(page: str, shared: str = "", nothing: bool = False) -> dict[str, str]:
    data = {"csrf_token": csrf_token(page), "seen": hidden(page, "seen"), "shared": shared}
    if nothing:
        data["nothing_to_share"] = "y"
    return data


def save(client: FlaskClient, world: World, shared: str = "", nothing: bool = False) -> object:
    page = client.get(research_url(world))
    assert page.status_code == 200
    return client.post(research_url(world), data=form_data(page.text, shared, nothing))


@dataclass(frozen=True)
class Stored:
    organisation_id: int
    shared: str | None
    nothing_to_share: bool
    revision: int
    updated_by_id: int


def stored(app: Flask) -> list[Stored]:
    with app.app_context():
        return [
            Stored(r.organisation_id, r.shared, r.nothing_to_share, r.revision, r.updated_by_id)
            for r in db.session.scalars(select(CaseResearch).order_by(CaseResearch.id))
        ]


def events_of(app: Flask, action: AuditAction) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        db.session.expunge_all()
        return list(rows)


def changes_of(event: AuditEvent) -> dict[str, object]:
    changes = event.changes
    return json.loads(changes) if isinstance(changes, str) else dict(changes or {})


# Marking and updating ------------------------------------------------------------------------


def test_r7_a_member_marks_their_agencys_research_done_and_a_colleague_updates_it(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """One record per agency per case: a colleague's save updates it, never duplicates it."""
    response = save(clients[IDVA], world, IDVA_SHARES)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response.location == f"/meetings/{world.meeting}#agenda"  # type: ignore[attr-defined]
    colleague = text(clients[IDVA_COLLEAGUE].get(research_url(world)))
    assert IDVA_SHARES in colleague  # the agency's record, in the colleague's form
    assert "Researched" in colleague
    response = save(clients[IDVA_COLLEAGUE], world, COLLEAGUE_SHARES)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert stored(app) == [
        Stored(world.organisations[IDVA], COLLEAGUE_SHARES, False, 2, world.users[IDVA_COLLEAGUE])
    ]
    # Nothing to share is research done too.
    assert save(clients[HOUSING], world, nothing=True).status_code == 302  # type: ignore[attr-defined]
    assert stored(app)[1] == Stored(
        world.organisations[HOUSING], None, True, 1, world.users[HOUSING]
    )


def test_r7_what_is_shared_is_sealed_under_the_cases_key(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    save(clients[IDVA], world, IDVA_SHARES)
    with app.app_context():
        raw = b"".join(
            row[0] or b""
            for row in db.session.execute(sql("SELECT shared FROM meeting_case_research"))
        )
        assert raw
        assert IDVA_SHARES.encode() not in raw
        row = db.session.scalars(select(CaseResearch)).one()
        assert row.data_key_id == db.session.get_one(Case, world.case).data_key_id
        assert row.organisation_id == world.organisations[IDVA]  # the originator (R7)


@pytest.mark.parametrize(
    ("shared", "nothing", "message"),
    [
        ("", False, "Enter what your agency is sharing for the meeting"),
        ("   ", False, "Enter what your agency is sharing for the meeting"),
        (IDVA_SHARES, True, "Either enter what your agency is sharing"),
        ("x" * 5_001, False, "5,000 characters or fewer"),
    ],
)
def test_bad_research_is_refused_next_to_the_field_with_the_input_kept(
    app: Flask,
    world: World,
    clients: dict[str, FlaskClient],
    shared: str,
    nothing: bool,
    message: str,
) -> None:
    response = save(clients[IDVA], world, shared, nothing)
    assert response.status_code == 200  # type: ignore[attr-defined]
    page = text(response)
    assert 'href="#shared"' in page  # the error summary links to the field
    assert page.count(message) == 2  # in the summary and next to the field
    if shared.strip():
        assert shared in page
    assert stored(app) == []


# Two members of one agency at once -----------------------------------------------------------


def test_two_members_saving_at_once_never_silently_overwrite_each_other(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    first = clients[IDVA].get(research_url(world)).text
    second = clients[IDVA_COLLEAGUE].get(research_url(world)).text
    assert (
        clients[IDVA].post(research_url(world), data=form_data(first, IDVA_SHARES)).status_code
        == 302
    )
    response = clients[IDVA_COLLEAGUE].post(
        research_url(world), data=form_data(second, COLLEAGUE_SHARES)
    )
    assert response.status_code == 200
    page = text(response)
    assert "Someone else in your agency saved its research" in page
    assert IDVA_SHARES in page  # theirs is shown
    assert COLLEAGUE_SHARES in page  # and the colleague's text is kept
    assert [s.shared for s in stored(app)] == [IDVA_SHARES]
    # Having seen theirs, saving again applies it.
    again = clients[IDVA_COLLEAGUE].post(
        research_url(world), data=form_data(response.text, COLLEAGUE_SHARES)
    )
    assert again.status_code == 302
    assert [(s.shared, s.revision) for s in stored(app)] == [(COLLEAGUE_SHARES, 2)]


def test_two_first_saves_at_once_make_one_record_not_two(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """Both forms drawn before any record exists (revision 0): the second is refused."""
    first = clients[IDVA].get(research_url(world)).text
    second = clients[IDVA_COLLEAGUE].get(research_url(world)).text
    assert hidden(first, "seen") == hidden(second, "seen") == "0"
    clients[IDVA].post(research_url(world), data=form_data(first, IDVA_SHARES))
    response = clients[IDVA_COLLEAGUE].post(
        research_url(world), data=form_data(second, nothing=True)
    )
    assert response.status_code == 200
    assert len(stored(app)) == 1


# Who sees what (R3, R7) ----------------------------------------------------------------------


def test_r7_another_agency_cannot_read_what_an_agency_shared(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    save(clients[IDVA], world, IDVA_SHARES)
    housing = clients[HOUSING]
    for url in (research_url(world), f"/meetings/{world.meeting}"):
        response = housing.get(url)
        assert response.status_code == 200
        assert IDVA_SHARES not in text(response)
    assert "Ashcombe Homes: not yet researched" in text(housing.get(f"/meetings/{world.meeting}"))


def test_r7_the_coordinator_and_chair_read_what_each_agency_shared(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    save(clients[IDVA], world, IDVA_SHARES)
    save(clients[HOUSING], world, HOUSING_SHARES)
    for email in (COORDINATOR, CHAIR):
        page = text(clients[email].get(research_url(world)))
        assert IDVA_SHARES in page
        assert HOUSING_SHARES in page
        assert "Holloway Lane IDVA Service" in page  # each text names its originator


def test_r3_a_member_who_cannot_see_the_case_gets_404(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """Health has not accepted the statement; the second case is closed to Housing; the third
    case is not on this agenda at all: the same 404 for each, on both methods."""
    refused = [
        (HEALTH, world.case),
        (HOUSING, world.restricted_case),
        (COORDINATOR, world.unlisted_case),
    ]
    token = csrf_token(clients[IDVA].get(research_url(world)).text)
    for email, case_id in refused:
        client = clients[email]
        assert client.get(research_url(world, case_id)).status_code == 404
        response = client.post(
            research_url(world, case_id), data={"csrf_token": token, "seen": "0", "shared": "x"}
        )
        assert response.status_code in (400, 404)
    assert stored(app) == []


# The coordinator's "not yet researched" list -------------------------------------------------


def test_the_coordinator_sees_which_agencies_have_not_yet_researched_each_case(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    save(clients[IDVA], world, IDVA_SHARES)
    save(clients[HOUSING], world, nothing=True)
    page = text(clients[COORDINATOR].get(f"/meetings/{world.meeting}"))
    # Five agencies sit on the panel; two researched the first case, none the second.
    assert "2 of 5 agencies researched" in page
    assert "Not yet: Northgate Health, Thornbury Community Safety, Thornbury Police" in page
    assert "0 of 5 agencies researched" in page
    research = text(clients[COORDINATOR].get(research_url(world)))
    assert "2 of 5 agencies on the panel have researched this case" in research
    assert "Not yet researched: Northgate Health, Thornbury Community Safety" in research


# The meeting's day -----------------------------------------------------------------------------


def _move_meeting(app: Flask, world: World, held_on: object) -> None:
    with app.app_context():
        db.session.execute(
            update(Meeting).where(Meeting.id == world.meeting).values(held_on=held_on)
        )
        db.session.commit()


def test_research_is_recorded_on_the_day_and_refused_after_the_meeting(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    page = clients[IDVA].get(research_url(world)).text
    _move_meeting(app, world, uk_today())
    response = clients[IDVA].post(research_url(world), data=form_data(page, IDVA_SHARES))
    assert response.status_code == 302  # the meeting's day is inclusive
    page = clients[IDVA].get(research_url(world)).text
    _move_meeting(app, world, uk_today() - timedelta(days=1))
    response = clients[IDVA].post(research_url(world), data=form_data(page, COLLEAGUE_SHARES))
    assert response.status_code == 200
    assert "research for it could be recorded until that day" in text(response)
    assert [s.shared for s in stored(app)] == [IDVA_SHARES]
    # The page still shows the agency its own record, with no form; nothing more than before.
    after = text(clients[IDVA].get(research_url(world)))
    assert IDVA_SHARES in after
    assert 'name="shared"' not in after


def test_the_service_refuses_research_after_the_meetings_day(app: Flask, world: World) -> None:
    with app.test_request_context():
        meeting = db.session.get_one(Meeting, world.meeting)
        case = db.session.get_one(Case, world.case)
        actor = db.session.get_one(User, world.users[IDVA])
        with pytest.raises(DomainError, match="could be recorded until that day"):
            services.record_research(
                meeting,
                actor=actor,
                case=case,
                seen=0,
                shared=IDVA_SHARES,
                nothing_to_share=False,
                today=HELD_ON + timedelta(days=1),
            )


# Audit (R9) ------------------------------------------------------------------------------------


def test_r9_each_save_is_one_audit_event_of_ids_and_codes_never_the_text(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    save(clients[IDVA], world, IDVA_SHARES)
    save(clients[IDVA_COLLEAGUE], world, nothing=True)
    events = events_of(app, AuditAction.RESEARCH_RECORDED)
    assert len(events) == 2
    assert (events[0].object_type, events[0].object_id) == ("meetings", str(world.meeting))
    first, second = (changes_of(event) for event in events)
    assert first["case_id"] == [None, world.case]
    assert first["organisation_id"] == [None, world.organisations[IDVA]]
    assert second["revision"] == [1, 2]
    assert second["nothing_to_share"] == [False, True]
    assert second["case_id"] == [world.case, world.case]
    with app.app_context():
        trail = " ".join(
            str(row) for row in db.session.execute(sql("SELECT changes, purpose FROM audit_events"))
        )
    assert IDVA_SHARES not in trail


def test_r9_opening_the_research_page_is_one_read_event(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    before = len(events_of(app, AuditAction.RESEARCH_VIEWED))
    assert clients[COORDINATOR].get(research_url(world)).status_code == 200
    events = events_of(app, AuditAction.RESEARCH_VIEWED)
    assert len(events) == before + 1
    assert changes_of(events[-1]) == {"case_id": [None, world.case]}
