"""Attendance (domain §8 R2, R3), the quorum (a panel setting, domain §2.6) and declarations of
interest at a meeting: who attended for which agency, as representative or deputy, apologies,
agencies that sent information, observers (sealed); nobody recorded as attending who has not
accepted the meeting's confidentiality statement; two coordinators never overwrite each other;
every change one audit event of ids and codes; another panel's meeting a 404 throughout."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy import text as sql

from app.accounts.models import User
from app.database import db
from app.database import uk_today
from app.errors import DomainError
from app.template_filters import uk_date
from audit.models import AuditAction
from audit.models import AuditEvent
from cases.meetings import services
from cases.meetings.models import AttendanceStatus
from cases.meetings.models import InformationSent
from cases.meetings.models import InterestDeclaration
from cases.meetings.models import MeetingAttendance
from cases.meetings.models import MeetingObserver
from cases.referrals import services as referrals
from panels import services as panel_services
from panels.models import ConfidentialityDeclaration
from panels.models import Meeting
from panels.models import Panel
from panels.models import PanelRole
from tests.cases.meetings.cast import CHAIR
from tests.cases.meetings.cast import COORDINATOR
from tests.cases.meetings.cast import HEALTH
from tests.cases.meetings.cast import HOUSING
from tests.cases.meetings.cast import IDVA
from tests.cases.meetings.cast import OUTSIDER
from tests.cases.meetings.cast import SECOND_COORDINATOR
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

OBSERVER_NAME = "Quillon Averstrand"  # synthetic


@dataclass(frozen=True)
class World:
    meeting: int  # held today: its attendance can be recorded
    other_meeting: int
    future_meeting: int  # the same panel's next meeting
    case: int
    reference: str
    panel: int
    users: dict[str, int]


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> World:
    enrol(accounts, COORDINATOR, SECOND_COORDINATOR, CHAIR, IDVA, HOUSING, HEALTH, OUTSIDER)
    with app.test_request_context():
        marac, other = panel("Thornbury"), panel("Eastmere")
        users = {u.email: u for u in db.session.scalars(select(User))}
        member(marac, users[COORDINATOR], PanelRole.COORDINATOR)
        member(marac, users[SECOND_COORDINATOR], PanelRole.COORDINATOR)
        member(marac, users[CHAIR], PanelRole.CHAIR)
        member(marac, users[IDVA], PanelRole.REPRESENTATIVE)
        member(marac, users[HOUSING], PanelRole.REPRESENTATIVE)
        member(marac, users[HEALTH], PanelRole.REPRESENTATIVE)
        member(other, users[OUTSIDER], PanelRole.COORDINATOR)
        meeting = panel_services.schedule_meeting(actor=None, panel=marac, held_on=uk_today())
        other_meeting = panel_services.schedule_meeting(
            actor=None, panel=other, held_on=date(2099, 1, 8)
        )
        future_meeting = panel_services.schedule_meeting(
            actor=None, panel=marac, held_on=uk_today() + timedelta(days=1)
        )
        answers = marac_answers(
            referred_on=date(2026, 3, 2), people=[victim(given="Wren"), perpetrator()]
        )
        sent = submitted(users[IDVA], marac, answers)
        case = referrals.accept_referral(
            sent, actor=users[COORDINATOR], matches=[None, None], today=date(2026, 3, 3)
        ).case
        referrals.list_for_meeting(sent, actor=users[COORDINATOR], meeting=meeting)
        db.session.commit()
        return World(
            meeting.id,
            other_meeting.id,
            future_meeting.id,
            case.id,
            case.reference,
            marac.id,
            {email: user.id for email, user in users.items()},
        )


def declare(app: Flask, world: World, *emails: str) -> None:
    """The members accept the meeting's statement (R3), as they would before it."""
    with app.app_context():
        for email in emails:
            db.session.add(
                ConfidentialityDeclaration(
                    meeting_id=world.meeting, user_id=world.users[email], statement_version="1"
                )
            )
        db.session.commit()


def attendance_url(world: World) -> str:
    return f"/meetings/{world.meeting}/attendance"


def form_of(page: str) -> dict[str, Any]:
    """The attendance form as drawn: its token, fingerprint and every member's choice."""
    data: dict[str, Any] = {"csrf_token": csrf_token(page)}
    seen = re.search(r'name="seen"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="seen"', page)
    assert seen
    data["seen"] = seen.group(1) or seen.group(2)
    for name, value in re.findall(r'name="(member-\d+)"[^>]*value="(\w+)"[^>]*checked', page):
        data[name] = value
    return data


def post_attendance(
    client: FlaskClient,
    world: World,
    choices: dict[str, str],
    drawn: str | None = None,
    **extra: Any,
) -> Any:
    page = drawn if drawn is not None else client.get(attendance_url(world)).text
    data = form_of(page)
    data |= {f"member-{world.users[email]}": value for email, value in choices.items()}
    data |= extra
    return client.post(attendance_url(world), data=data)


def statuses(app: Flask, world: World) -> dict[int, AttendanceStatus]:
    with app.app_context():
        return {
            row.user_id: row.status
            for row in db.session.scalars(
                select(MeetingAttendance).where(MeetingAttendance.meeting_id == world.meeting)
            )
        }


def events_of(app: Flask, action: AuditAction) -> list[AuditEvent]:
    with app.app_context():
        found = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.sequence)
        ).all()
        db.session.expunge_all()
        return list(found)


@pytest.fixture
def coordinator(client: FlaskClient, world: World, sign_in: SignIn) -> FlaskClient:
    return sign_in(client, COORDINATOR)


# Who may record -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "status"),
    [(COORDINATOR, 200), (CHAIR, 200), (HOUSING, 404), (OUTSIDER, 404)],
)
def test_r5_attendance_is_recorded_by_the_panels_coordinators_and_chairs_only(
    client: FlaskClient, world: World, sign_in: SignIn, email: str, status: int
) -> None:
    sign_in(client, email)
    assert client.get(attendance_url(world)).status_code == status
    token = csrf_token(client.get("/meetings").text)
    assert client.post(attendance_url(world), data={"csrf_token": token}).status_code == status


def test_r15_another_panels_meeting_is_a_404_for_its_page_attendance_and_interests(
    world: World, coordinator: FlaskClient
) -> None:
    for path in ("", "/attendance", "/interests"):
        assert coordinator.get(f"/meetings/{world.other_meeting}{path}").status_code == 404
        assert coordinator.get(f"/meetings/987654{path}").status_code == 404
    token = csrf_token(coordinator.get(attendance_url(world)).text)
    refused = coordinator.post(
        f"/meetings/{world.other_meeting}/attendance", data={"csrf_token": token}
    )
    assert refused.status_code == 404


# R3: the declaration gate ---------------------------------------------------------------------


def test_r3_nobody_is_recorded_as_attending_without_accepting_the_statement(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    declare(app, world, CHAIR)
    response = post_attendance(
        coordinator, world, {CHAIR: "present", HOUSING: "present", HEALTH: "deputy"}
    )

    assert response.status_code == 200
    page = text(response)
    for name in ("Hal Brook", "Hana Quell"):
        message = (
            f"{name} has not accepted the confidentiality statement for this meeting: their "
            "attendance cannot be recorded until they do"
        )
        assert page.count(message) == 2  # in the summary and next to their choice
    assert "<title>Error: " in page
    assert statuses(app, world) == {}  # nothing half saved: not even the chair
    assert events_of(app, AuditAction.ATTENDANCE_RECORDED) == []
    # The entries are kept: the housing representative is still ticked as attending.
    housing = world.users[HOUSING]
    assert re.search(rf'name="member-{housing}"[^>]*value="present"[^>]*checked', response.text)


def test_r3_apologies_need_no_declaration_and_a_declared_member_is_recorded(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    declare(app, world, CHAIR, IDVA)
    response = post_attendance(
        coordinator, world, {CHAIR: "present", IDVA: "deputy", HOUSING: "apologies"}
    )

    assert response.status_code == 302
    assert response.location == f"/meetings/{world.meeting}#attendance"
    assert statuses(app, world) == {
        world.users[CHAIR]: AttendanceStatus.PRESENT,
        world.users[IDVA]: AttendanceStatus.DEPUTY,
        world.users[HOUSING]: AttendanceStatus.APOLOGIES,
    }
    page = text(coordinator.get(f"/meetings/{world.meeting}"))
    assert "Priya Holt (Thornbury Police), chair" in page
    assert "Ines Marr (Holloway Lane IDVA Service), deputy" in page
    assert "Hal Brook (Ashcombe Homes)" in page


def test_r2_the_agency_and_role_are_kept_as_they_were_at_the_meeting(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    declare(app, world, CHAIR)
    post_attendance(coordinator, world, {CHAIR: "present"})
    with app.app_context():
        row = db.session.scalars(select(MeetingAttendance)).one()
        assert row.organisation.name == "Thornbury Police"
        assert row.panel_role is PanelRole.CHAIR
        assert row.recorded_by_id == world.users[COORDINATOR]


def test_information_is_recorded_only_for_agencies_that_did_not_attend(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    declare(app, world, CHAIR)
    with app.app_context():
        police = db.session.scalars(select(User).where(User.email == CHAIR)).one()
        health = db.session.scalars(select(User).where(User.email == HEALTH)).one()
        police_id, health_id = police.organisation_id, health.organisation_id
    refused = post_attendance(coordinator, world, {CHAIR: "present"}, information=[str(police_id)])
    assert "Thornbury Police attended: tick only agencies that sent information" in text(refused)
    assert statuses(app, world) == {}

    saved = post_attendance(coordinator, world, {CHAIR: "present"}, information=[str(health_id)])
    assert saved.status_code == 302
    with app.app_context():
        sent = db.session.scalars(select(InformationSent)).one()
        assert sent.organisation_id == health_id
    assert "Sent information without attending Northgate Health" in " ".join(
        text(coordinator.get(f"/meetings/{world.meeting}")).split()
    ).replace('</dt> <dd class="govuk-summary-list__value">', " ")


def test_a_forged_member_or_agency_gets_a_message_not_an_error(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    response = post_attendance(coordinator, world, {HOUSING: "everyone"}, information=["987654"])
    assert response.status_code == 200
    page = text(response)
    assert "Select whether Hal Brook attended" in page
    assert "Select only agencies that sit on the panel" in page
    assert statuses(app, world) == {}


# Observers: sealed, never in the trail ----------------------------------------------------------


def test_observers_are_sealed_and_their_names_never_reach_the_audit_trail(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    response = post_attendance(
        coordinator,
        world,
        {},
        **{
            "observer_rows-0-name": OBSERVER_NAME,
            "observer_rows-0-organisation": "Inspectorate of Synthetic Panels",
        },
    )
    assert response.status_code == 302
    assert f"{OBSERVER_NAME} (Inspectorate of Synthetic Panels)" in text(
        coordinator.get(f"/meetings/{world.meeting}")
    )
    with app.app_context():
        raw = db.session.execute(sql("SELECT name, organisation FROM meeting_observers")).one()
        assert OBSERVER_NAME.encode() not in bytes(raw[0])
        assert b"Inspectorate" not in bytes(raw[1])
    [event] = events_of(app, AuditAction.ATTENDANCE_RECORDED)
    assert json.loads(event.changes or "{}") == {"observers": [0, 1]}
    assert "Quillon" not in (event.changes or "")


def test_an_observer_needs_both_a_name_and_an_organisation(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    response = post_attendance(coordinator, world, {}, **{"observer_rows-1-name": "Ada"})
    assert "Enter the organisation of observer 2" in text(response)
    with app.app_context():
        assert db.session.scalars(select(MeetingObserver)).all() == []


def test_removing_an_observer_destroys_their_key(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    post_attendance(
        coordinator,
        world,
        {},
        **{"observer_rows-0-name": OBSERVER_NAME, "observer_rows-0-organisation": "Inspectorate"},
    )
    with app.app_context():
        key = db.session.scalars(select(MeetingObserver)).one().data_key_id
    post_attendance(
        coordinator, world, {}, **{"observer_rows-0-name": "", "observer_rows-0-organisation": ""}
    )
    with app.app_context():
        assert db.session.scalars(select(MeetingObserver)).all() == []
        destroyed = db.session.execute(
            sql("SELECT wrapped_key FROM data_keys WHERE id = :id"), {"id": key}
        ).scalar()
        assert destroyed is None


# Two coordinators at once ---------------------------------------------------------------------


def test_two_coordinators_recording_at_once_never_overwrite_each_other(
    app: Flask, world: World, client: FlaskClient, sign_in: SignIn
) -> None:
    """Both draw the form; the first saves; the second's save is refused with the attendance as
    now saved shown and their entries kept; saving again, having seen it, applies theirs."""
    declare(app, world, CHAIR, IDVA)
    first = sign_in(client, COORDINATOR)
    second = sign_in(app.test_client(), SECOND_COORDINATOR)
    drawn_first = first.get(attendance_url(world)).text
    drawn_second = second.get(attendance_url(world)).text

    assert post_attendance(first, world, {CHAIR: "present"}, drawn_first).status_code == 302
    refused = post_attendance(second, world, {IDVA: "present"}, drawn_second)

    assert refused.status_code == 200
    page = text(refused)
    assert "Someone else recorded this meeting's attendance while you were editing it" in page
    assert "The attendance as saved now" in page
    assert "Priya Holt (Thornbury Police): attended" in page
    assert statuses(app, world) == {world.users[CHAIR]: AttendanceStatus.PRESENT}
    idva = world.users[IDVA]
    assert re.search(rf'name="member-{idva}"[^>]*value="present"[^>]*checked', refused.text)

    again = post_attendance(second, world, {CHAIR: "present", IDVA: "present"}, refused.text)
    assert again.status_code == 302
    assert statuses(app, world) == {
        world.users[CHAIR]: AttendanceStatus.PRESENT,
        world.users[IDVA]: AttendanceStatus.PRESENT,
    }
    assert len(events_of(app, AuditAction.ATTENDANCE_RECORDED)) == 2


def test_attendance_is_one_audit_event_of_ids_and_codes(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    declare(app, world, CHAIR)
    post_attendance(coordinator, world, {CHAIR: "present", HOUSING: "apologies"})
    [event] = events_of(app, AuditAction.ATTENDANCE_RECORDED)
    assert event.object_type == "meetings"
    assert event.object_id == str(world.meeting)
    assert json.loads(event.changes or "{}") == {
        f"attendance.{world.users[CHAIR]}": [None, "present"],
        f"attendance.{world.users[HOUSING]}": [None, "apologies"],
    }


# Quorum ---------------------------------------------------------------------------------------


def meeting_page(client: FlaskClient, world: World) -> str:
    return " ".join(text(client.get(f"/meetings/{world.meeting}")).split())


def test_quorum_not_met_says_what_is_missing(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    """The MARAC default: the chair, four agencies, police and an IDVA service."""
    declare(app, world, HOUSING)
    assert "Attendance has not been recorded" in meeting_page(coordinator, world)
    post_attendance(coordinator, world, {HOUSING: "present"})

    page = meeting_page(coordinator, world)
    assert (
        "Not quorate: the chair did not attend; only 1 agency attended, and the quorum needs 4; "
        "nobody attended for: Police, IDVA / domestic abuse service." in page
    )


def test_quorum_met_with_the_chair_four_agencies_police_and_an_idva(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    declare(app, world, CHAIR, IDVA, HOUSING, HEALTH)
    post_attendance(
        coordinator,
        world,
        {CHAIR: "present", IDVA: "deputy", HOUSING: "present", HEALTH: "apologies"},
    )
    page = meeting_page(coordinator, world)
    assert "Not quorate: only 3 agencies attended, and the quorum needs 4." in page

    declare(app, world, COORDINATOR)
    post_attendance(coordinator, world, {COORDINATOR: "present"})
    page = meeting_page(coordinator, world)
    assert "Not quorate" not in page
    assert "Quorate" in page


def test_the_quorum_follows_the_panels_own_setting(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    declare(app, world, HOUSING, HEALTH)
    post_attendance(coordinator, world, {HOUSING: "present", HEALTH: "present"})
    assert "Not quorate" in meeting_page(coordinator, world)
    with app.app_context():
        marac = db.session.get_one(Panel, world.panel)
        panel_services.update_panel_settings(
            marac, actor=None, quorum_chair=False, quorum_agencies=2, quorum_agency_types=()
        )
        db.session.commit()
    assert "Not quorate" not in meeting_page(coordinator, world)


# Declarations of interest ---------------------------------------------------------------------


def test_an_attendee_who_declares_an_interest_is_recorded_as_leaving_for_that_item(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    declare(app, world, HOUSING)
    post_attendance(coordinator, world, {HOUSING: "present"})
    url = f"/meetings/{world.meeting}/interests"
    page = coordinator.get(url, query_string={"case": world.case})
    assert page.status_code == 200
    response = coordinator.post(
        url,
        data={
            "csrf_token": csrf_token(page.text),
            "case_id": str(world.case),
            "attendee_id": str(world.users[HOUSING]),
        },
    )
    assert response.status_code == 302
    agenda = meeting_page(coordinator, world)
    assert "Hal Brook (Ashcombe Homes) declared an interest and left for this item" in agenda
    [event] = events_of(app, AuditAction.INTEREST_DECLARED)
    assert json.loads(event.changes or "{}") == {
        "case_id": [None, world.case],
        "user_id": [None, world.users[HOUSING]],
    }

    again = coordinator.post(
        url,
        data={
            "csrf_token": csrf_token(page.text),
            "case_id": str(world.case),
            "attendee_id": str(world.users[HOUSING]),
        },
    )
    assert "Hal Brook has already declared an interest in this case" in text(again)
    with app.app_context():
        assert len(db.session.scalars(select(InterestDeclaration)).all()) == 1


def test_only_an_attendee_can_declare_an_interest(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    post_attendance(coordinator, world, {HOUSING: "apologies"})
    url = f"/meetings/{world.meeting}/interests"
    page = coordinator.get(url)
    assert "Nobody is recorded as attending this meeting" in text(page)
    response = coordinator.post(
        url,
        data={
            "csrf_token": csrf_token(page.text),
            "case_id": str(world.case),
            "attendee_id": str(world.users[HOUSING]),
        },
    )
    assert "Select someone recorded as attending the meeting" in text(response)
    assert events_of(app, AuditAction.INTEREST_DECLARED) == []


def test_a_chair_records_interests_only_once_they_may_see_the_agenda(
    app: Flask, world: World, client: FlaskClient, sign_in: SignIn
) -> None:
    """R3: the interests page names the agenda's cases."""
    sign_in(client, CHAIR)
    assert client.get(f"/meetings/{world.meeting}/interests").status_code == 404
    declare(app, world, CHAIR)
    assert client.get(f"/meetings/{world.meeting}/interests").status_code == 200


def test_the_meeting_page_read_stays_one_event(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    declare(app, world, HOUSING)
    post_attendance(coordinator, world, {HOUSING: "present"})
    coordinator.get(f"/meetings/{world.meeting}")
    assert len(events_of(app, AuditAction.MEETING_VIEWED)) == 1


# Correcting a declaration of interest (issue 21 walkthrough, item 1) --------------------------


def record_interest(client: FlaskClient, world: World, email: str) -> Any:
    url = f"/meetings/{world.meeting}/interests"
    page = client.get(url, query_string={"case": world.case})
    return client.post(
        url,
        data={
            "csrf_token": csrf_token(page.text),
            "case_id": str(world.case),
            "attendee_id": str(world.users[email]),
        },
    )


def declaration_ids(app: Flask) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(InterestDeclaration.id)))


def withdraw(client: FlaskClient, meeting_id: int, declaration_id: int | str) -> Any:
    token = csrf_token(client.get(f"/meetings/{meeting_id}").text)
    return client.post(
        f"/meetings/{meeting_id}/interests/withdraw",
        data={"csrf_token": token, "declaration_id": str(declaration_id)},
    )


@pytest.mark.parametrize("choice", ["apologies", "none"])
def test_r2_someone_who_declared_an_interest_is_not_recorded_as_absent(
    app: Flask, world: World, coordinator: FlaskClient, choice: str
) -> None:
    """Domain §2.6: a declarant attended and left for the item. Recording them as having sent
    apologies (or not recorded) is refused next to their name, with nothing saved, rather than
    leaving "declared an interest and left" beside "Apologies"."""
    declare(app, world, CHAIR, HOUSING)
    post_attendance(coordinator, world, {CHAIR: "present", HOUSING: "present"})
    assert record_interest(coordinator, world, HOUSING).status_code == 302

    refused = post_attendance(coordinator, world, {CHAIR: "apologies", HOUSING: choice})

    assert refused.status_code == 200
    message = (
        "Hal Brook declared an interest in a case at this meeting, so they attended: remove "
        "their declaration of interest from the meeting page first if they did not"
    )
    assert text(refused).count(message) == 2  # in the summary and next to their choice
    housing = world.users[HOUSING]
    assert f'href="#member-{housing}' in refused.text
    # Nothing half saved: not even the chair's apologies; and what was chosen is kept.
    assert statuses(app, world) == {
        world.users[CHAIR]: AttendanceStatus.PRESENT,
        housing: AttendanceStatus.PRESENT,
    }
    assert re.search(rf'name="member-{housing}"[^>]*value="{choice}"[^>]*checked', refused.text)
    assert len(events_of(app, AuditAction.ATTENDANCE_RECORDED)) == 1


def test_a_declaration_recorded_in_error_is_removed_and_the_attendance_then_corrected(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    """The record can always be corrected: the coordinator removes the declaration (one audit
    event of ids), after which the member can be recorded as having sent apologies."""
    declare(app, world, HOUSING)
    post_attendance(coordinator, world, {HOUSING: "present"})
    record_interest(coordinator, world, HOUSING)
    [declaration] = declaration_ids(app)
    page = coordinator.get(f"/meetings/{world.meeting}").text
    assert f'name="declaration_id" value="{declaration}"' in page
    assert 'Remove<span class="govuk-visually-hidden"> Hal Brook’s declaration' in page

    removed = withdraw(coordinator, world.meeting, declaration)

    assert removed.status_code == 302
    assert removed.location == f"/meetings/{world.meeting}#agenda"
    assert declaration_ids(app) == []
    shown = meeting_page(coordinator, world)
    assert "Hal Brook’s declaration of interest has been removed" in shown
    assert "declared an interest and left for this item" not in shown
    [event] = events_of(app, AuditAction.INTEREST_WITHDRAWN)
    assert event.object_id == str(world.meeting)
    assert json.loads(event.changes or "{}") == {
        "case_id": [world.case, None],
        "user_id": [world.users[HOUSING], None],
    }
    saved = post_attendance(coordinator, world, {HOUSING: "apologies"})
    assert saved.status_code == 302
    assert statuses(app, world) == {world.users[HOUSING]: AttendanceStatus.APOLOGIES}


def test_r15_a_declaration_is_removed_only_by_who_runs_its_meeting(
    app: Flask, world: World, client: FlaskClient, sign_in: SignIn
) -> None:
    """A member who does not run the meeting gets the 404 of a meeting that does not exist;
    a declaration named under another meeting of the panel, or none, is not removed."""
    declare(app, world, HOUSING)
    coordinator = sign_in(client, COORDINATOR)
    post_attendance(coordinator, world, {HOUSING: "present"})
    record_interest(coordinator, world, HOUSING)
    [declaration] = declaration_ids(app)

    elsewhere = withdraw(coordinator, world.future_meeting, declaration)
    assert elsewhere.status_code == 302
    assert "That declaration of interest is not recorded at this meeting" in text(
        coordinator.get(f"/meetings/{world.future_meeting}")
    )
    assert withdraw(coordinator, world.meeting, "not-a-number").status_code == 302
    assert declaration_ids(app) == [declaration]

    representative = sign_in(app.test_client(), HOUSING)
    token = csrf_token(representative.get(f"/meetings/{world.meeting}").text)
    refused = representative.post(
        f"/meetings/{world.meeting}/interests/withdraw",
        data={"csrf_token": token, "declaration_id": str(declaration)},
    )
    assert refused.status_code == 404
    assert declaration_ids(app) == [declaration]
    assert events_of(app, AuditAction.INTEREST_WITHDRAWN) == []


# A meeting not yet held (issue 21 walkthrough, item 2) ----------------------------------------


def test_attendance_is_not_recorded_before_the_meeting_is_held(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    """Domain §2.6: attendance, and so the quorum, is what happened at the meeting: from its
    day (UK date), never before. The page says when; a forged post saves nothing."""
    with app.app_context():
        db.session.add(
            ConfidentialityDeclaration(
                meeting_id=world.future_meeting,
                user_id=world.users[CHAIR],
                statement_version="1",
            )
        )
        db.session.commit()
    url = f"/meetings/{world.future_meeting}/attendance"
    held_on = uk_date(uk_today() + timedelta(days=1))
    message = f"The meeting is on {held_on}: its attendance can be recorded from that day"
    page = coordinator.get(url)
    assert message in text(page)
    assert 'name="member-' not in page.text
    token = csrf_token(page.text)
    forged = coordinator.post(
        url, data={"csrf_token": token, f"member-{world.users[CHAIR]}": "present"}
    )
    assert forged.status_code == 200
    assert message in text(forged)
    with app.app_context():
        assert (
            db.session.scalars(
                select(MeetingAttendance).where(
                    MeetingAttendance.meeting_id == world.future_meeting
                )
            ).all()
            == []
        )
    assert events_of(app, AuditAction.ATTENDANCE_RECORDED) == []


def test_the_service_refuses_attendance_before_the_meetings_day_and_accepts_it_on_the_day(
    app: Flask, world: World
) -> None:
    with app.test_request_context():
        meeting = db.session.get_one(Meeting, world.meeting)
        coordinator = db.session.get_one(User, world.users[COORDINATOR])
        apologies = {world.users[HOUSING]: AttendanceStatus.APOLOGIES}
        arguments: dict[str, Any] = {
            "actor": coordinator,
            "seen": None,
            "statuses": apologies,
            "information_from": set(),
            "observers": [],
        }
        with pytest.raises(DomainError, match="its attendance can be recorded from that day"):
            services.record_attendance(
                meeting, **arguments, today=meeting.held_on - timedelta(days=1)
            )
        services.record_attendance(meeting, **arguments, today=meeting.held_on)
        db.session.commit()
    assert statuses(app, world) == {world.users[HOUSING]: AttendanceStatus.APOLOGIES}


def test_a_meeting_to_come_shows_the_quorum_it_will_need_not_a_verdict(
    app: Flask, world: World, coordinator: FlaskClient
) -> None:
    """Even with attendance in the record (put there directly: no page records it early), a
    meeting not yet held says what its quorum will need, in the future tense, and no verdict."""
    with app.app_context():
        housing = db.session.get_one(User, world.users[HOUSING])
        db.session.add(
            MeetingAttendance(
                meeting_id=world.future_meeting,
                user_id=housing.id,
                organisation_id=housing.organisation_id,
                panel_role=PanelRole.REPRESENTATIVE,
                status=AttendanceStatus.PRESENT,
                recorded_by_id=world.users[COORDINATOR],
            )
        )
        db.session.commit()
    page = " ".join(text(coordinator.get(f"/meetings/{world.future_meeting}")).split())
    assert "Quorate" not in page
    assert "Not quorate" not in page
    assert (
        "To be quorate it will need the chair and at least 4 agencies, including Police and "
        "IDVA / domestic abuse service." in page
    )
    assert "Record attendance" not in page
    # Once held, the verdict: today's meeting with nobody recorded says so.
    held = meeting_page(coordinator, world)
    assert "Attendance has not been recorded" in held
    assert "To be quorate it will need" not in held
