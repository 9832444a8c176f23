"""Staff as subject (security R19 "restricted", domain §8 R5): a coordinator restricts a case
against the organisation someone in it works for; from then on nobody from that organisation
opens, lists or finds the case, whatever their role or emergency grant, until it is lifted.
Everyone else is unaffected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.accounts.models import User
from app.database import db
from app.database import utcnow
from audit.models import AuditAction
from audit.models import AuditEvent
from cases.break_glass.models import BreakGlassGrant
from cases.break_glass.models import BreakGlassReason
from cases.referrals import services as referrals
from cases.referrals.models import Referral
from cases.restrictions.models import CaseRestriction
from panels import services as panel_services
from panels.models import Panel
from panels.models import PanelRole
from tests.cases.referrals.test_referral_pages import post
from tests.cases.referrals.test_referral_pages import text
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import csrf_token
from tests.referral_fixtures import VICTIM_BORN
from tests.referral_fixtures import marac_answers
from tests.referral_fixtures import member
from tests.referral_fixtures import panel
from tests.referral_fixtures import submitted

# Ashcombe Homes employs someone in the case: its coordinator, its representative who
# referred the case and its representative holding an emergency grant must all lose it.
HOUSING = "Ashcombe Homes"
HOUSING_COORDINATOR = "housing-coordinator@test.example"
HOUSING_REFERRER = "housing-referrer@test.example"
HOUSING_EMERGENCY = "housing-emergency@test.example"
COORDINATOR = "coordinator@test.example"  # Thornbury Community Safety: places restrictions
POLICE_REFERRER = "police-referrer@test.example"  # Thornbury Police: also referred, unaffected
EVERYONE = (HOUSING_COORDINATOR, HOUSING_REFERRER, HOUSING_EMERGENCY, COORDINATOR, POLICE_REFERRER)
HOUSING_STAFF = (HOUSING_COORDINATOR, HOUSING_REFERRER, HOUSING_EMERGENCY)
OTHERS = (COORDINATOR, POLICE_REFERRER)


@dataclass(frozen=True)
class World:
    case: int
    reference: str
    housing: int  # organisation ids
    own: int  # the restricting coordinator's organisation
    police: int


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> World:
    accounts.user(HOUSING_COORDINATOR, organisation=HOUSING, name="Hana Coord")
    accounts.user(HOUSING_REFERRER, organisation=HOUSING, name="Hal Referrer")
    accounts.user(HOUSING_EMERGENCY, organisation=HOUSING, name="Hetty Glass")
    accounts.user(COORDINATOR, organisation="Thornbury Community Safety", name="Cora Ord")
    accounts.user(POLICE_REFERRER, organisation="Thornbury Police", name="Pip Referrer")
    with app.test_request_context():
        marac = panel("Thornbury")
        users = {u.email: u for u in db.session.scalars(select(User))}
        member(marac, users[HOUSING_COORDINATOR], PanelRole.COORDINATOR)
        member(marac, users[COORDINATOR], PanelRole.COORDINATOR)
        for email in (HOUSING_REFERRER, HOUSING_EMERGENCY, POLICE_REFERRER):
            member(marac, users[email], PanelRole.REPRESENTATIVE)
        answers = marac_answers(referred_on=date(2026, 3, 2))
        first = submitted(users[HOUSING_REFERRER], marac, answers)
        case = referrals.accept_referral(
            first, actor=users[COORDINATOR], matches=[None, None], today=date(2026, 3, 3)
        ).case
        again = submitted(users[POLICE_REFERRER], marac, answers)
        people = [link.person_id for link in sorted(case.people, key=lambda link: link.id)]
        referrals.accept_referral(
            again, actor=users[COORDINATOR], matches=people, today=date(2026, 3, 4)
        )
        now = utcnow()
        db.session.add(
            BreakGlassGrant(
                case_id=case.id,
                data_key=case.data_key,
                user_id=users[HOUSING_EMERGENCY].id,
                reason_code=BreakGlassReason.IMMEDIATE_RISK,
                started_at=now,
                expires_at=now + timedelta(days=3650),
            )
        )
        db.session.commit()
        return World(
            case.id,
            case.reference,
            users[HOUSING_COORDINATOR].organisation_id,
            users[COORDINATOR].organisation_id,
            users[POLICE_REFERRER].organisation_id,
        )


@pytest.fixture
def clients(app: Flask, world: World, sign_in: SignIn) -> dict[str, FlaskClient]:
    return {email: sign_in(app.test_client(), email) for email in EVERYONE}


def restrict(client: FlaskClient, world: World, organisation_id: int) -> object:
    url = f"/cases/{world.case}/restrictions"
    return post(client, url, {"organisation_id": str(organisation_id)})


def search_finds(client: FlaskClient, reference: str) -> bool:
    """Whether a people search for the case's victim lists the case."""
    page = client.post(
        "/cases",
        data=MultiDict(
            [
                ("csrf_token", csrf_token(client.get("/cases").text)),
                ("given_names", "Wren"),
                ("family_name", "Talbothay"),
                ("date_of_birth", str(VICTIM_BORN.day)),
                ("date_of_birth", str(VICTIM_BORN.month)),
                ("date_of_birth", str(VICTIM_BORN.year)),
            ]
        ),
    )
    assert page.status_code == 200
    return reference in text(page)


def reference_opens(client: FlaskClient, reference: str) -> bool:
    response = client.get("/cases", query_string={"reference": reference})
    return response.status_code == 302


def listed(client: FlaskClient, reference: str) -> bool:
    page = client.get("/cases")
    assert page.status_code == 200
    return reference in text(page)


def reaches(client: FlaskClient, world: World) -> dict[str, bool]:
    """Every way to the case: its page, the list, people search and reference search."""
    return {
        "page": client.get(f"/cases/{world.case}").status_code == 200,
        "list": listed(client, world.reference),
        "people search": search_finds(client, world.reference),
        "reference search": reference_opens(client, world.reference),
    }


ALL_WAYS = {"page": True, "list": True, "people search": True, "reference search": True}
NO_WAY = {"page": False, "list": False, "people search": False, "reference search": False}


def live_restrictions(app: Flask) -> list[CaseRestriction]:
    with app.app_context():
        rows = db.session.scalars(
            select(CaseRestriction).where(CaseRestriction.lifted_at.is_(None))
        ).all()
        db.session.expunge_all()
        return list(rows)


def test_before_any_restriction_everyone_reaches_the_case(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    """The fixture is sound: each user has a way in (role, referral or emergency grant)."""
    for email in EVERYONE:
        assert reaches(clients[email], world) == ALL_WAYS, email


def test_r19_a_restriction_closes_every_way_in_to_that_organisations_staff_only(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    placed = restrict(clients[COORDINATOR], world, world.housing)
    assert placed.status_code == 302  # type: ignore[attr-defined]
    for email in HOUSING_STAFF:  # coordinator, referrer and emergency grant alike
        assert reaches(clients[email], world) == NO_WAY, email
    for email in OTHERS:
        assert reaches(clients[email], world) == ALL_WAYS, email
    # Nor can the restricted coordinator see or lift the restriction itself.
    assert clients[HOUSING_COORDINATOR].get(f"/cases/{world.case}/restrictions").status_code == 404


def test_r19_a_restricted_case_drops_out_of_the_agenda_too(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    with app.test_request_context():
        marac = db.session.scalars(select(Panel)).one()
        meeting = panel_services.schedule_meeting(actor=None, panel=marac, held_on=date(2099, 1, 7))
        db.session.commit()
        meeting_id = meeting.id
    coordinator = clients[COORDINATOR]
    listed_at = post(
        coordinator,
        f"/referrals/{first_referral(app)}/list",
        {"meeting_id": str(meeting_id)},
    )
    assert listed_at.status_code == 302  # type: ignore[attr-defined]
    assert world.reference in text(clients[HOUSING_COORDINATOR].get(f"/meetings/{meeting_id}"))
    restrict(coordinator, world, world.housing)
    agenda = text(clients[HOUSING_COORDINATOR].get(f"/meetings/{meeting_id}"))
    assert world.reference not in agenda
    assert "0 cases listed" in agenda


def first_referral(app: Flask) -> int:
    with app.app_context():
        found = db.session.scalar(select(func.min(Referral.id)))
        assert found is not None
        return found


def test_r19_lifting_the_restriction_restores_access(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    coordinator = clients[COORDINATOR]
    restrict(coordinator, world, world.housing)
    (restriction,) = live_restrictions(app)
    lifted = post(
        coordinator,
        f"/cases/{world.case}/restrictions/{restriction.id}/lift",
        {},
        token_from=f"/cases/{world.case}/restrictions",
    )
    assert lifted.status_code == 302  # type: ignore[attr-defined]
    assert live_restrictions(app) == []
    for email in EVERYONE:
        assert reaches(clients[email], world) == ALL_WAYS, email
    page = text(coordinator.get(f"/cases/{world.case}/restrictions"))
    assert HOUSING in page
    assert "Lifted" in page
    assert "by Cora Ord" in page


def test_the_page_lists_live_and_lifted_restrictions_with_who_and_when(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    coordinator = clients[COORDINATOR]
    empty = text(coordinator.get(f"/cases/{world.case}/restrictions"))
    assert "This case has never been restricted" in empty
    restrict(coordinator, world, world.housing)
    page = text(coordinator.get(f"/cases/{world.case}/restrictions"))
    assert "In force" in page
    assert HOUSING in page
    assert "by Cora Ord" in page
    assert f"Lift restriction against {HOUSING}" in page


def test_restricting_your_own_organisation_is_refused_with_a_clear_message(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    refused = restrict(clients[COORDINATOR], world, world.own)
    assert refused.status_code == 200  # type: ignore[attr-defined]
    page = text(refused)
    assert "Ask a coordinator from another agency" in page
    assert "govuk-error-summary" in page
    assert live_restrictions(app) == []
    assert reaches(clients[COORDINATOR], world) == ALL_WAYS


def test_a_second_live_restriction_for_the_same_organisation_is_a_message(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    coordinator = clients[COORDINATOR]
    restrict(coordinator, world, world.housing)
    again = restrict(coordinator, world, world.housing)
    assert again.status_code == 200  # type: ignore[attr-defined]
    assert f"already restricted against {HOUSING}" in text(again)
    assert len(live_restrictions(app)) == 1


@pytest.mark.parametrize("value", ["", "999999", "not-a-number"])
def test_a_missing_or_forged_organisation_is_a_message_and_nothing_is_saved(
    app: Flask, world: World, clients: dict[str, FlaskClient], value: str
) -> None:
    response = post(
        clients[COORDINATOR], f"/cases/{world.case}/restrictions", {"organisation_id": value}
    )
    assert response.status_code == 200  # type: ignore[attr-defined]
    page = text(response)
    assert "Select the organisation the person works for" in page or (
        "Select an organisation from the list" in page
    )
    assert live_restrictions(app) == []


def test_only_coordinators_of_the_case_open_the_restrictions_pages(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """Representatives who can see the case still get the same 404 as for a missing case."""
    representative = clients[POLICE_REFERRER]
    assert representative.get(f"/cases/{world.case}").status_code == 200
    assert representative.get(f"/cases/{world.case}/restrictions").status_code == 404
    assert representative.get("/cases/999999/restrictions").status_code == 404
    assert "Restrict this case" not in text(representative.get(f"/cases/{world.case}"))
    assert "Restrict this case" in text(clients[COORDINATOR].get(f"/cases/{world.case}"))


def test_lifting_a_restriction_of_another_case_or_twice_changes_nothing(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    coordinator = clients[COORDINATOR]
    restrict(coordinator, world, world.housing)
    (restriction,) = live_restrictions(app)
    page = f"/cases/{world.case}/restrictions"
    missing = post(coordinator, f"/cases/{world.case}/restrictions/999999/lift", {}, page)
    assert missing.status_code == 404  # type: ignore[attr-defined]
    lift = f"/cases/{world.case}/restrictions/{restriction.id}/lift"
    post(coordinator, lift, {}, page)
    twice = post(coordinator, lift, {}, page)
    assert twice.status_code == 302  # type: ignore[attr-defined]
    assert "already been lifted" in text(coordinator.get(page))


def test_placing_and_lifting_are_each_one_audit_event_of_codes(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    coordinator = clients[COORDINATOR]
    restrict(coordinator, world, world.housing)
    (restriction,) = live_restrictions(app)
    post(
        coordinator,
        f"/cases/{world.case}/restrictions/{restriction.id}/lift",
        {},
        token_from=f"/cases/{world.case}/restrictions",
    )
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action.in_(
                    [AuditAction.CASE_RESTRICTED, AuditAction.CASE_RESTRICTION_LIFTED]
                )
            )
        ).all()
        assert [e.action for e in events] == [
            AuditAction.CASE_RESTRICTED,
            AuditAction.CASE_RESTRICTION_LIFTED,
        ]
        assert all(e.object_id == str(world.case) for e in events)
        assert HOUSING not in repr([e.changes for e in events])


def test_opening_the_restrictions_page_is_a_recorded_read_of_the_case(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """R9: which agency a case is closed to is itself sensitive, so each read is recorded."""
    clients[COORDINATOR].get(f"/cases/{world.case}/restrictions")
    with app.app_context():
        reads = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.CASE_RESTRICTIONS_VIEWED)
        ).all()
        assert [(e.object_type, e.object_id) for e in reads] == [("cases", str(world.case))]
