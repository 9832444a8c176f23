"""The minutes travel with a Marac-to-Marac transfer (issue 21; domain §2.6, R12, R19, E9): the
case's page shows, under "Minutes from earlier meetings", its part of the approved minutes of
every meeting that minuted it, newest first, with each meeting's panel, date and decision, the
discussion and each agency's contribution. After a transfer the receiving panel's
coordinators read the sending panel's; anyone else reads only minutes distributed to them. A
draft never travels, another case's minutes never appear, and the sending panel's people no
longer see the case."""

# The minutes tests' fixtures (`world`, `clients`) are imported, then asked for by name.
# ruff: noqa: F811

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete
from sqlalchemy import event
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.database import uk_today
from app.keys.models import KeyPurpose
from app.keys.store import key_store
from app.template_filters import uk_date
from audit.models import AuditAction
from cases.meetings import queries
from cases.meetings.models import MeetingAttendance
from cases.meetings.models import MeetingMinutes
from cases.meetings.models import MinutesCaseSection
from cases.meetings.models import MinutesStatus
from cases.models import Case
from cases.referrals import services as referrals
from cases.sharing.models import ConsentStatus
from cases.sharing.models import LawfulBasis
from panels import services as panel_services
from panels.models import PanelRole
from tests.cases.meetings.cast import CHAIR
from tests.cases.meetings.cast import COORDINATOR
from tests.cases.meetings.cast import IDVA
from tests.cases.meetings.cast import IDVA_COLLEAGUE
from tests.cases.meetings.cast import OUTSIDER
from tests.cases.meetings.cast import enrol
from tests.cases.meetings.test_minutes import DISCUSSION
from tests.cases.meetings.test_minutes import HELD_ON
from tests.cases.meetings.test_minutes import HOUSING_SAID
from tests.cases.meetings.test_minutes import IDVA_SAID
from tests.cases.meetings.test_minutes import RESTRICTED_SAID
from tests.cases.meetings.test_minutes import World
from tests.cases.meetings.test_minutes import approved
from tests.cases.meetings.test_minutes import clients  # noqa: F401
from tests.cases.meetings.test_minutes import events_of
from tests.cases.meetings.test_minutes import full_draft
from tests.cases.meetings.test_minutes import save_draft
from tests.cases.meetings.test_minutes import world  # noqa: F401
from tests.cases.referrals.test_referral_pages import text
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.referral_fixtures import member
from tests.referral_fixtures import panel

HEADING = "Minutes from earlier meetings"
NONE_SHOWN = "No approved minutes of a meeting about this case that you can read."
# On the receiving panel: a representative of the IDVA service that referred the case, so
# they see it there (their agency referred it), but they sit on no panel of the sending area.
RECEIVING_IDVA = "eastmere.idva@test.example"
DRAFT_SAID = "Synthetic discussion in minutes still in draft"


def case_page(client: FlaskClient, world: World) -> str:
    response = client.get(f"/cases/{world.case}")
    assert response.status_code == 200
    return text(response)


def earlier_minutes(page: str) -> str:
    """The page's "Minutes from earlier meetings" section."""
    assert HEADING in page
    return page.split(HEADING, 1)[1].split('id="notes"', 1)[0]


def transfer(app: Flask, world: World, accounts: Accounts) -> None:
    """Eastmere's MARAC, coordinated by the outsider, with the receiving IDVA on it; the
    world's case transferred there by the Thornbury coordinator."""
    enrol(accounts, OUTSIDER)
    accounts.user(RECEIVING_IDVA, organisation="Holloway Lane IDVA Service", name="Eli East")
    with app.test_request_context():
        eastmere = panel("Eastmere")
        users = {u.email: u for u in db.session.scalars(select(User))}
        member(eastmere, users[OUTSIDER], PanelRole.COORDINATOR)
        member(eastmere, users[RECEIVING_IDVA], PanelRole.REPRESENTATIVE)
        referrals.transfer_case(
            db.session.get_one(Case, world.case),
            actor=users[COORDINATOR],
            to_panel=eastmere,
            transferred_on=uk_today(),
            reason="The victim moved to Eastmere",
            lawful_basis=LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
            consent=ConsentStatus.GIVEN,
            without_agreement_reason="Urgent: agencies told by phone",
        )
        db.session.commit()


def draft_minutes_of_an_earlier_meeting(app: Flask, world: World) -> None:
    """An earlier Thornbury meeting whose minutes about the case are still a draft (set up
    directly: only what the case page reads matters here)."""
    with app.test_request_context():
        case = db.session.get_one(Case, world.case)
        earlier = panel_services.schedule_meeting(
            actor=None, panel=case.panel, held_on=HELD_ON - timedelta(days=28)
        )
        coordinator = world.users[COORDINATOR]
        minutes = MeetingMinutes(
            data_key=key_store().new_key(KeyPurpose.PERSON),
            meeting_id=earlier.id,
            drafted_by_id=coordinator,
            updated_by_id=coordinator,
        )
        minutes.sections.append(
            MinutesCaseSection(
                data_key=case.data_key,
                case_id=case.id,
                decision="safety_plan",
                discussion=DRAFT_SAID,
            )
        )
        db.session.add(minutes)
        db.session.commit()


# On the case's own panel ----------------------------------------------------------------------


def test_r12_the_case_page_shows_its_part_of_the_approved_minutes_to_those_who_run_the_panel(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    approved(app, world, clients)
    shown = earlier_minutes(case_page(clients[COORDINATOR], world))
    assert "Thornbury marac, scheduled meeting on" in shown
    for words in ("Safety plan agreed", DISCUSSION, IDVA_SAID, HOUSING_SAID):
        assert words in shown, words
    assert "Holloway Lane IDVA Service" in shown  # each contribution names its agency (R7)
    assert RESTRICTED_SAID not in shown  # another case's part of the same minutes
    assert DISCUSSION in earlier_minutes(case_page(clients[CHAIR], world))


def test_r12_a_representative_sees_on_the_case_page_only_minutes_distributed_to_their_agency(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """The IDVA's colleague sees the case (their agency referred it): its minutes while their
    agency took part in the meeting, and not once the record says it did not."""
    approved(app, world, clients)
    assert DISCUSSION in earlier_minutes(case_page(clients[IDVA_COLLEAGUE], world))
    with app.app_context():
        db.session.execute(
            delete(MeetingAttendance).where(
                MeetingAttendance.organisation_id == world.organisations[IDVA]
            )
        )
        db.session.commit()
    shown = earlier_minutes(case_page(clients[IDVA_COLLEAGUE], world))
    assert DISCUSSION not in shown
    assert NONE_SHOWN in shown


def test_r12_draft_minutes_are_not_on_the_case_page(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    save_draft(clients[COORDINATOR], world, **full_draft(world))
    shown = earlier_minutes(case_page(clients[COORDINATOR], world))
    assert DISCUSSION not in shown
    assert NONE_SHOWN in shown


def test_r9_the_case_pages_read_names_the_meetings_whose_minutes_it_showed(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    approved(app, world, clients)
    case_page(clients[COORDINATOR], world)
    (viewed,) = events_of(app, AuditAction.CASE_VIEWED)
    assert json.loads(viewed.changes or "{}") == {"minutes_of_meetings": [None, [world.meeting]]}


# After a transfer -----------------------------------------------------------------------------


def test_r19_e9_after_a_transfer_the_receiving_coordinator_reads_the_sending_panels_minutes(
    app: Flask,
    world: World,
    clients: dict[str, FlaskClient],
    accounts: Accounts,
    sign_in: SignIn,
) -> None:
    approved(app, world, clients)
    transfer(app, world, accounts)
    page = case_page(sign_in(app.test_client(), OUTSIDER), world)
    assert "Eastmere marac" in page  # the case is on the receiving panel now
    shown = earlier_minutes(page)
    assert "Thornbury marac, scheduled meeting on" in shown
    assert f"scheduled meeting on {uk_date(HELD_ON)}" in shown
    for words in ("Safety plan agreed", DISCUSSION, IDVA_SAID, HOUSING_SAID):
        assert words in shown, words


def test_r19_the_sending_panels_people_no_longer_see_the_case(
    app: Flask, world: World, clients: dict[str, FlaskClient], accounts: Accounts
) -> None:
    approved(app, world, clients)
    transfer(app, world, accounts)
    for email in (COORDINATOR, CHAIR, IDVA, IDVA_COLLEAGUE):
        assert clients[email].get(f"/cases/{world.case}").status_code == 404, email


def test_r12_draft_minutes_never_travel_with_a_transfer(
    app: Flask,
    world: World,
    clients: dict[str, FlaskClient],
    accounts: Accounts,
    sign_in: SignIn,
) -> None:
    save_draft(clients[COORDINATOR], world, **full_draft(world))  # never approved
    draft_minutes_of_an_earlier_meeting(app, world)
    transfer(app, world, accounts)
    shown = earlier_minutes(case_page(sign_in(app.test_client(), OUTSIDER), world))
    for words in (DISCUSSION, DRAFT_SAID, IDVA_SAID):
        assert words not in shown, words
    assert NONE_SHOWN in shown


def test_another_cases_minutes_never_travel_with_a_transfer(
    app: Flask,
    world: World,
    clients: dict[str, FlaskClient],
    accounts: Accounts,
    sign_in: SignIn,
) -> None:
    """The same minutes say something about the case closed to Housing: it stays behind."""
    approved(app, world, clients)
    transfer(app, world, accounts)
    page = case_page(sign_in(app.test_client(), OUTSIDER), world)
    assert RESTRICTED_SAID not in page
    assert world.restricted_reference not in page


def test_r12_a_representative_of_the_receiving_panel_does_not_see_the_sending_panels_minutes(
    app: Flask,
    world: World,
    clients: dict[str, FlaskClient],
    accounts: Accounts,
    sign_in: SignIn,
) -> None:
    """Their agency attended the sending panel's meeting, but they sit on no panel there: the
    minutes were never distributed to them."""
    approved(app, world, clients)
    transfer(app, world, accounts)
    shown = earlier_minutes(case_page(sign_in(app.test_client(), RECEIVING_IDVA), world))
    for words in (DISCUSSION, IDVA_SAID, "Safety plan agreed"):
        assert words not in shown, words
    assert NONE_SHOWN in shown


@contextmanager
def counted() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_the_history_is_read_in_two_queries_however_many_meetings_minuted_the_case(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """No query per meeting or per contribution: the sections with their meetings and panels,
    then the contributions."""
    approved(app, world, clients)
    draft_minutes_of_an_earlier_meeting(app, world)
    with app.test_request_context():
        earlier = db.session.scalars(
            select(MeetingMinutes).where(MeetingMinutes.meeting_id != world.meeting)
        ).one()
        earlier.status = MinutesStatus.APPROVED  # two approved minutes about the case now
        db.session.commit()
        case = db.session.get_one(Case, world.case)
        coordinator = db.session.get_one(User, world.users[COORDINATOR])
        queries.minutes_history(case, coordinator)  # the viewer's access, worked out once
        with counted() as statements:
            history = queries.minutes_history(case, coordinator)
            shown = [(e.meeting.held_on, e.decision, len(e.section.contributions)) for e in history]
        assert len(statements) == 2, statements
        assert [held_on for held_on, _, _ in shown] == [HELD_ON, HELD_ON - timedelta(days=28)]
        assert shown[0][1:] == ("Safety plan agreed", 2)
