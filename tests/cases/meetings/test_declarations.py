"""Per-meeting confidentiality declarations (domain §8 R3, R5): a panel member who does not
coordinate it sees the confidentiality statement, not the agenda, until they accept it for
that meeting; only then do the agenda and the cases listed at it open to them. A declaration
for one meeting opens nothing of another, and another panel's meetings stay a 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.database import utcnow
from audit.models import AuditAction
from audit.models import AuditEvent
from cases.referrals import services as referrals
from panels import services as panel_services
from panels.declarations import CONFIDENTIALITY_STATEMENT_VERSION
from panels.models import ConfidentialityDeclaration
from panels.models import PanelRole
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

REFERRER = "idva@test.example"  # Holloway Lane IDVA Service: referred both cases
COORDINATOR = "coordinator@test.example"
REPRESENTATIVE = "housing@test.example"  # Ashcombe Homes: knows the cases only from meetings
CHAIR = "chair@test.example"
OUTSIDER = "outsider@test.example"  # coordinates another area's MARAC
STATEMENT_START = "I will keep everything shared at this meeting confidential"


@dataclass(frozen=True)
class World:
    meeting_a: int
    meeting_b: int
    other_meeting: int
    case_a: int  # listed at meeting A
    case_b: int  # listed at meeting B
    reference_a: str
    reference_b: str


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> World:
    accounts.user(REFERRER, organisation="Holloway Lane IDVA Service")
    accounts.user(COORDINATOR, organisation="Thornbury Community Safety")
    accounts.user(REPRESENTATIVE, organisation="Ashcombe Homes")
    accounts.user(CHAIR, organisation="Thornbury Police")
    accounts.user(OUTSIDER, organisation="Eastmere Police")
    with app.test_request_context():
        marac, other = panel("Thornbury"), panel("Eastmere")
        users = {u.email: u for u in db.session.scalars(select(User))}
        member(marac, users[REFERRER], PanelRole.REPRESENTATIVE)
        member(marac, users[REPRESENTATIVE], PanelRole.REPRESENTATIVE)
        member(marac, users[COORDINATOR], PanelRole.COORDINATOR)
        member(marac, users[CHAIR], PanelRole.CHAIR)
        member(other, users[OUTSIDER], PanelRole.COORDINATOR)
        meeting_a = panel_services.schedule_meeting(
            actor=None, panel=marac, held_on=date(2099, 1, 7)
        )
        meeting_b = panel_services.schedule_meeting(
            actor=None, panel=marac, held_on=date(2099, 2, 4)
        )
        other_meeting = panel_services.schedule_meeting(
            actor=None, panel=other, held_on=date(2099, 1, 8)
        )
        cases = []
        for meeting, given in ((meeting_a, "Wren"), (meeting_b, "Ottilie")):
            answers = marac_answers(
                referred_on=date(2026, 3, 2), people=[victim(given=given), perpetrator()]
            )
            sent = submitted(users[REFERRER], marac, answers)
            case = referrals.accept_referral(
                sent, actor=users[COORDINATOR], matches=[None, None], today=date(2026, 3, 3)
            ).case
            referrals.list_for_meeting(sent, actor=users[COORDINATOR], meeting=meeting)
            cases.append(case)
        # Both agendas are published (issue 21): the statement opens with the agenda.
        for meeting in (meeting_a, meeting_b, other_meeting):
            meeting.agenda_published_at = utcnow()
        db.session.commit()
        return World(
            meeting_a.id,
            meeting_b.id,
            other_meeting.id,
            cases[0].id,
            cases[1].id,
            cases[0].reference,
            cases[1].reference,
        )


@pytest.fixture
def representative(client: FlaskClient, world: World, sign_in: SignIn) -> FlaskClient:
    return sign_in(client, REPRESENTATIVE)


def accept(client: FlaskClient, meeting_id: int) -> object:
    page = client.get(f"/meetings/{meeting_id}")
    assert page.status_code == 200
    return client.post(
        f"/meetings/{meeting_id}/declaration",
        data={
            "csrf_token": csrf_token(page.text),
            "statement_version": CONFIDENTIALITY_STATEMENT_VERSION,
        },
    )


def declarations(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ConfidentialityDeclaration)) or 0


def test_r3_before_declaring_a_representative_sees_the_statement_and_no_case(
    world: World, representative: FlaskClient
) -> None:
    page = representative.get(f"/meetings/{world.meeting_a}")
    assert page.status_code == 200
    shown = text(page)
    assert STATEMENT_START in shown
    assert "I accept" in shown
    assert world.reference_a not in shown
    assert "case listed" not in shown
    assert representative.get(f"/cases/{world.case_a}").status_code == 404


def test_r3_after_accepting_the_agenda_and_its_cases_open(
    app: Flask, world: World, representative: FlaskClient
) -> None:
    accepted = accept(representative, world.meeting_a)
    assert accepted.status_code == 302  # type: ignore[attr-defined]
    assert accepted.location == f"/meetings/{world.meeting_a}"  # type: ignore[attr-defined]
    agenda = text(representative.get(f"/meetings/{world.meeting_a}"))
    assert STATEMENT_START not in agenda
    assert world.reference_a in agenda
    assert "1 case listed" in agenda
    assert representative.get(f"/cases/{world.case_a}").status_code == 200
    with app.app_context():
        declaration = db.session.scalars(select(ConfidentialityDeclaration)).one()
        assert declaration.statement_version == CONFIDENTIALITY_STATEMENT_VERSION


def test_r3_a_declaration_for_meeting_a_opens_nothing_of_meeting_b(
    world: World, representative: FlaskClient
) -> None:
    accept(representative, world.meeting_a)
    assert STATEMENT_START in text(representative.get(f"/meetings/{world.meeting_b}"))
    assert world.reference_b not in text(representative.get(f"/meetings/{world.meeting_b}"))
    assert representative.get(f"/cases/{world.case_b}").status_code == 404
    assert world.reference_b not in text(representative.get("/cases"))


def test_r3_accepting_twice_is_harmless(
    app: Flask, world: World, representative: FlaskClient
) -> None:
    accept(representative, world.meeting_a)
    page = representative.get(f"/meetings/{world.meeting_a}")
    again = representative.post(
        f"/meetings/{world.meeting_a}/declaration",
        data={
            "csrf_token": csrf_token(page.text),
            "statement_version": CONFIDENTIALITY_STATEMENT_VERSION,
        },
    )
    assert again.status_code == 302
    assert declarations(app) == 1
    with app.app_context():
        accepted = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == AuditAction.CONFIDENTIALITY_ACCEPTED)
        )
        assert accepted == 1


def test_r3_an_out_of_date_statement_version_is_a_message_and_nothing_is_saved(
    app: Flask, world: World, representative: FlaskClient
) -> None:
    page = representative.get(f"/meetings/{world.meeting_a}")
    response = representative.post(
        f"/meetings/{world.meeting_a}/declaration",
        data={"csrf_token": csrf_token(page.text), "statement_version": "1999-1"},
    )
    assert response.status_code == 200
    assert "The confidentiality statement has changed" in text(response)
    assert "govuk-error-summary" in response.text
    assert declarations(app) == 0


def test_r5_another_panels_meeting_is_a_404_to_view_and_to_declare(
    app: Flask, world: World, representative: FlaskClient
) -> None:
    assert representative.get(f"/meetings/{world.other_meeting}").status_code == 404
    token = csrf_token(representative.get(f"/meetings/{world.meeting_a}").text)
    refused = representative.post(
        f"/meetings/{world.other_meeting}/declaration",
        data={"csrf_token": token, "statement_version": CONFIDENTIALITY_STATEMENT_VERSION},
    )
    assert refused.status_code == 404
    assert representative.get("/meetings/999999").status_code == 404
    assert declarations(app) == 0


def test_r3_the_coordinator_sees_the_agenda_without_declaring(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    sign_in(client, COORDINATOR)
    agenda = text(client.get(f"/meetings/{world.meeting_a}"))
    assert world.reference_a in agenda
    assert STATEMENT_START not in agenda
    assert declarations(app) == 0


def test_r3_a_chair_declares_before_seeing_the_agenda(
    world: World, client: FlaskClient, sign_in: SignIn
) -> None:
    sign_in(client, CHAIR)
    before = text(client.get(f"/meetings/{world.meeting_a}"))
    assert STATEMENT_START in before
    assert world.reference_a not in before
    accept(client, world.meeting_a)
    assert world.reference_a in text(client.get(f"/meetings/{world.meeting_a}"))


def test_the_referrer_still_needs_to_declare_for_the_agenda(
    world: World, client: FlaskClient, sign_in: SignIn
) -> None:
    """Their own agency's case stays open to them (R5) but the papers need the statement."""
    sign_in(client, REFERRER)
    assert client.get(f"/cases/{world.case_a}").status_code == 200
    assert STATEMENT_START in text(client.get(f"/meetings/{world.meeting_a}"))


def test_the_meetings_page_shows_a_representative_their_meetings_and_declarations(
    world: World, representative: FlaskClient
) -> None:
    """Dates and declaration status only: no agenda contents on the calendar (R3)."""
    accept(representative, world.meeting_a)
    page = text(representative.get("/meetings"))
    assert "2 meetings: today and to come" in page
    assert f'href="/meetings/{world.meeting_a}"' in page
    assert f'href="/meetings/{world.meeting_b}"' in page
    assert f'href="/meetings/{world.other_meeting}"' not in page
    assert page.count("Declaration accepted") == 1
    assert page.count("Declaration needed") == 1
    assert world.reference_a not in page
    assert world.reference_b not in page
