"""Building and publishing a meeting's agenda (issue 21; domain §2.5, §2.6, R3, R5, E7).

The agenda is the referrals listed at the meeting plus the coordinator's own entries: cases
brought back for review (those whose repeat flag expires before the next meeting are
suggested, SafeLives' aide-memoire), referrals carried forward from a meeting that did not
hear them, in the coordinator's order. It opens to members (the statement, then the agenda and
its cases) when the coordinator publishes it or by itself the panel's number of days before.
Every change is one audited service, refused when made from an agenda changed since."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from typing import TypeVar

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import AgencyType
from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from app.database import uk_today
from app.template_filters import uk_date
from audit.models import AuditAction
from audit.models import AuditEvent
from cases import policy
from cases.meetings import queries
from cases.meetings import services as meeting_services
from cases.meetings.models import AgendaItem
from cases.meetings.models import AgendaReason
from cases.models import Case
from cases.referrals import services as referrals
from cases.referrals.models import Referral
from panels import services as panel_services
from panels.declarations import CONFIDENTIALITY_STATEMENT_VERSION
from panels.models import ConfidentialityDeclaration
from panels.models import Meeting
from panels.models import Panel
from panels.models import PanelRole
from tests.cases.meetings.cast import CHAIR
from tests.cases.meetings.cast import COORDINATOR
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

T = TypeVar("T")
TODAY = uk_today()
PAST_ON = TODAY - timedelta(days=14)
UPCOMING_ON = TODAY + timedelta(days=20)  # opens by itself 7 days before: 13 days from now
FOLLOWING_ON = TODAY + timedelta(days=48)
EVERYONE = (COORDINATOR, SECOND_COORDINATOR, CHAIR, IDVA, HOUSING)


@dataclass(frozen=True)
class World:
    past: int
    upcoming: int
    following: int
    other_meeting: int
    not_heard: int  # referral listed at the past meeting, never heard
    listed: int  # case listed at the upcoming meeting
    due: int  # case whose repeat flag expires between the upcoming and following meetings
    quiet: int  # case of the panel on no agenda, its flag expiring much later
    foreign: str  # the reference of another panel's case
    references: dict[int, str]


def _accepted(actor: User, on: Panel, given: str, referred_on: date, coordinator: User) -> Referral:
    sent = submitted(
        actor,
        on,
        marac_answers(referred_on=referred_on, people=[victim(given=given), perpetrator()]),
    )
    referrals.accept_referral(sent, actor=coordinator, matches=[None, None], today=TODAY)
    return sent


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> World:
    enrol(accounts, *EVERYONE, OUTSIDER)
    with app.test_request_context():
        marac, other = panel("Thornbury"), panel("Eastmere")
        users = {u.email: u for u in db.session.scalars(select(User))}
        roles = {
            COORDINATOR: PanelRole.COORDINATOR,
            SECOND_COORDINATOR: PanelRole.COORDINATOR,
            CHAIR: PanelRole.CHAIR,
        }
        for email in EVERYONE:
            member(marac, users[email], roles.get(email, PanelRole.REPRESENTATIVE))
        member(other, users[OUTSIDER], PanelRole.COORDINATOR)
        coordinator = users[COORDINATOR]
        meetings = {
            day: panel_services.schedule_meeting(actor=None, panel=marac, held_on=day)
            for day in (PAST_ON, UPCOMING_ON, FOLLOWING_ON)
        }
        other_meeting = panel_services.schedule_meeting(
            actor=None, panel=other, held_on=UPCOMING_ON
        )
        early = _accepted(coordinator, marac, "Wren", PAST_ON - timedelta(days=10), coordinator)
        referrals.list_for_meeting(early, actor=coordinator, meeting=meetings[PAST_ON])
        listed = _accepted(coordinator, marac, "Lark", TODAY - timedelta(days=2), coordinator)
        referrals.list_for_meeting(listed, actor=coordinator, meeting=meetings[UPCOMING_ON])
        # A year's window from a referral 340 days ago closes 25 days from now: between the
        # upcoming meeting and the following one.
        due = _accepted(coordinator, marac, "Finch", TODAY - timedelta(days=340), coordinator)
        quiet = _accepted(coordinator, marac, "Rook", TODAY - timedelta(days=30), coordinator)
        foreign = _accepted(users[OUTSIDER], other, "Tern", TODAY, users[OUTSIDER])
        db.session.commit()
        cases = [r.case for r in (early, listed, due, quiet)]
        assert due.case
        assert due.case.flag_expires_on
        assert UPCOMING_ON <= due.case.flag_expires_on < FOLLOWING_ON
        assert foreign.case
        return World(
            past=meetings[PAST_ON].id,
            upcoming=meetings[UPCOMING_ON].id,
            following=meetings[FOLLOWING_ON].id,
            other_meeting=other_meeting.id,
            not_heard=early.id,
            listed=listed.case_id or 0,
            due=due.case_id or 0,
            quiet=quiet.case_id or 0,
            foreign=foreign.case.reference,
            references={c.id: c.reference for c in cases if c},
        )


_APP: list[Flask] = []


@pytest.fixture(autouse=True)
def _remember(app: Flask) -> None:
    """The checks below read the database between requests, each in an app context of its own
    (one held across requests would share `g`, and its CSRF token, between sessions)."""
    _APP[:] = [app]


@contextmanager
def reading() -> Iterator[None]:
    with _APP[0].app_context():
        yield


def get(model: type[T], ident: int) -> T:
    with reading():
        found = db.session.get(model, ident)
        assert found is not None
        return found


def item_for(case_id: int) -> AgendaItem | None:
    with reading():
        return db.session.scalar(select(AgendaItem).where(AgendaItem.case_id == case_id))


@pytest.fixture
def clients(app: Flask, world: World, sign_in: SignIn) -> dict[str, FlaskClient]:
    return {email: sign_in(app.test_client(), email) for email in (*EVERYONE, OUTSIDER)}


def agenda_url(meeting_id: int) -> str:
    return f"/meetings/{meeting_id}/agenda"


def change(
    client: FlaskClient, meeting_id: int, what: str, seen: int | None = None, **fields: object
) -> object:
    page = client.get(agenda_url(meeting_id))
    assert page.status_code == 200
    revision = seen if seen is not None else revision_of(meeting_id)
    data = {"csrf_token": csrf_token(page.text), "change": what, "seen": str(revision)}
    data |= {key: str(value) for key, value in fields.items()}
    return client.post(agenda_url(meeting_id), data=data)


def revision_of(meeting_id: int) -> int:
    return get(Meeting, meeting_id).agenda_revision


def order_of(app: Flask, meeting_id: int, as_email: str = COORDINATOR) -> list[int]:
    with app.test_request_context():
        db.session.expire_all()
        user = db.session.scalar(select(User).where(User.email == as_email))
        meeting = db.session.get(Meeting, meeting_id)
        assert user is not None
        assert meeting is not None
        return [entry.case_id for entry in queries.agenda(meeting, user)]


def events(action: AuditAction) -> list[AuditEvent]:
    with reading():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def declare(client: FlaskClient, meeting_id: int) -> object:
    page = client.get(f"/meetings/{meeting_id}")
    return client.post(
        f"/meetings/{meeting_id}/declaration",
        data={
            "csrf_token": csrf_token(page.text),
            "statement_version": CONFIDENTIALITY_STATEMENT_VERSION,
        },
    )


def declarations_of(email: str) -> int:
    with reading():
        return (
            db.session.scalar(
                select(func.count())
                .select_from(ConfidentialityDeclaration)
                .join(User, User.id == ConfidentialityDeclaration.user_id)
                .where(User.email == email)
            )
            or 0
        )


# Who builds the agenda --------------------------------------------------------------------


def test_only_the_panels_coordinators_open_the_agenda_builder(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    assert clients[COORDINATOR].get(agenda_url(world.upcoming)).status_code == 200
    assert clients[SECOND_COORDINATOR].get(agenda_url(world.upcoming)).status_code == 200
    for email in (CHAIR, IDVA, HOUSING, OUTSIDER):
        assert clients[email].get(agenda_url(world.upcoming)).status_code == 404, email
    # Another panel's meeting is a 404 to this panel's coordinator.
    assert clients[COORDINATOR].get(agenda_url(world.other_meeting)).status_code == 404


# Publication (R3) -------------------------------------------------------------------------


def test_r3_a_member_cannot_accept_the_statement_before_the_agenda_is_published(
    world: World, clients: dict[str, FlaskClient], app: Flask
) -> None:
    page = clients[IDVA].get(f"/meetings/{world.upcoming}")
    assert page.status_code == 200
    opens = uk_date(UPCOMING_ON - timedelta(days=7))
    assert f"see the agenda from {opens}" in text(page)
    assert "I accept" not in page.text
    refused = declare(clients[IDVA], world.upcoming)
    assert refused.status_code == 200  # type: ignore[attr-defined]
    assert "The agenda for this meeting is not published yet" in text(refused)  # type: ignore[arg-type]
    assert declarations_of(IDVA) == 0
    # The chair runs the meeting: they accept the statement and see the agenda to prepare.
    assert declare(clients[CHAIR], world.upcoming).status_code == 302  # type: ignore[attr-defined]
    assert world.references[world.listed] in text(clients[CHAIR].get(f"/meetings/{world.upcoming}"))


def test_the_agenda_opens_by_itself_the_panels_number_of_days_before(
    app: Flask, world: World
) -> None:
    with app.test_request_context():
        meeting = db.session.get(Meeting, world.upcoming)
        assert meeting is not None
        assert meeting.agenda_publishes_on == UPCOMING_ON - timedelta(days=7)
        assert not meeting.agenda_published(UPCOMING_ON - timedelta(days=8))
        assert meeting.agenda_published(UPCOMING_ON - timedelta(days=7))
        panel_services.update_panel_settings(meeting.panel, actor=None, agenda_days_before=0)
        assert meeting.agenda_publishes_on == UPCOMING_ON
        assert not meeting.agenda_published(UPCOMING_ON - timedelta(days=1))
        assert meeting.agenda_published(UPCOMING_ON)


def test_publishing_opens_the_agenda_and_its_cases_to_members(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    assert clients[IDVA].get(f"/cases/{world.listed}").status_code == 404
    published = change(clients[COORDINATOR], world.upcoming, "publish")
    assert published.status_code == 302  # type: ignore[attr-defined]
    meeting = get(Meeting, world.upcoming)
    assert meeting is not None
    assert meeting.agenda_published_at is not None
    (event,) = events(AuditAction.AGENDA_PUBLISHED)
    assert event.object_id == str(world.upcoming)
    assert declare(clients[IDVA], world.upcoming).status_code == 302  # type: ignore[attr-defined]
    assert world.references[world.listed] in text(clients[IDVA].get(f"/meetings/{world.upcoming}"))
    assert clients[IDVA].get(f"/cases/{world.listed}").status_code == 200
    # Publishing again is refused and says why; nothing more is recorded.
    again = change(clients[COORDINATOR], world.upcoming, "publish")
    assert again.status_code == 302  # type: ignore[attr-defined]
    shown = text(clients[COORDINATOR].get(agenda_url(world.upcoming)))
    assert "This agenda is already published" in shown
    assert len(events(AuditAction.AGENDA_PUBLISHED)) == 1


def test_an_empty_agenda_is_not_published(world: World, clients: dict[str, FlaskClient]) -> None:
    change(clients[COORDINATOR], world.following, "publish")
    shown = text(clients[COORDINATOR].get(agenda_url(world.following)))
    assert "Add at least one case to the agenda before publishing it" in shown
    meeting = get(Meeting, world.following)
    assert meeting is not None
    assert meeting.agenda_published_at is None


# Reviews (domain §2.5) ----------------------------------------------------------------------


def test_domain_2_5_a_case_whose_flag_expires_before_the_next_meeting_is_suggested(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    page = text(clients[COORDINATOR].get(agenda_url(world.upcoming)))
    due_section = page.split("Due for review", 1)[1].split("Bring another case back", 1)[0]
    assert world.references[world.due] in due_section
    assert world.references[world.quiet] not in due_section
    assert world.references[world.listed] not in due_section  # already on the agenda
    assert uk_date(FOLLOWING_ON) in due_section  # the window ends at the next meeting


def test_r5_a_case_brought_back_for_review_opens_to_members_who_accept_the_statement(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    added = change(clients[COORDINATOR], world.upcoming, "review", case_id=world.due)
    assert added.status_code == 302  # type: ignore[attr-defined]
    item = item_for(world.due)
    assert item is not None
    assert item.reason is AgendaReason.FLAG_EXPIRY
    assert item.referral_id is None
    (event,) = events(AuditAction.AGENDA_CHANGED)
    assert json.loads(event.changes) == {
        "added_case_id": [None, world.due],
        "reason": [None, "flag_expiry"],
    }
    assert clients[IDVA].get(f"/cases/{world.due}").status_code == 404  # not published yet
    change(clients[COORDINATOR], world.upcoming, "publish")
    assert declare(clients[IDVA], world.upcoming).status_code == 302  # type: ignore[attr-defined]
    assert clients[IDVA].get(f"/cases/{world.due}").status_code == 200
    shown = text(clients[IDVA].get(f"/meetings/{world.upcoming}"))
    assert "repeat flag expires" in shown
    # Taken off the agenda again, the case closes to the member.
    removed = change(clients[COORDINATOR], world.upcoming, "remove", case_id=world.due)
    assert removed.status_code == 302  # type: ignore[attr-defined]
    assert clients[IDVA].get(f"/cases/{world.due}").status_code == 404


def test_a_listed_referral_is_not_taken_off_the_agenda(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    change(clients[COORDINATOR], world.upcoming, "remove", case_id=world.listed)
    shown = text(clients[COORDINATOR].get(agenda_url(world.upcoming)))
    assert "only a case brought back for review can be taken off" in shown
    assert world.listed in order_of(clients[COORDINATOR].application, world.upcoming)


def test_any_case_of_the_panel_is_brought_back_by_its_reference(
    world: World, clients: dict[str, FlaskClient], app: Flask
) -> None:
    reference = world.references[world.quiet].lower()  # typed in any case
    added = change(clients[COORDINATOR], world.upcoming, "review", reference=reference)
    assert added.status_code == 302  # type: ignore[attr-defined]
    item = item_for(world.quiet)
    assert item is not None
    assert item.reason is AgendaReason.REVIEW
    assert order_of(app, world.upcoming) == [world.listed, world.quiet]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the reference of the case to bring back for review"),
        ("MARAC-999999", "has the reference MARAC-999999: check it"),
        ("banana", "has the reference banana: check it"),
        ("FOREIGN", "has the reference EASTMERE: check it"),
        ("LISTED", "is already on this agenda"),
    ],
)
def test_a_bad_reference_is_explained_next_to_the_box_and_kept(
    world: World, clients: dict[str, FlaskClient], typed: str, message: str
) -> None:
    typed = {"FOREIGN": world.foreign, "LISTED": world.references[world.listed]}.get(typed, typed)
    message = message.replace("EASTMERE", world.foreign)
    before = revision_of(world.upcoming)
    page = change(clients[COORDINATOR], world.upcoming, "review", reference=typed)
    assert page.status_code == 200  # type: ignore[attr-defined]
    shown = page.text  # type: ignore[attr-defined]
    assert message in text(page)  # type: ignore[arg-type]
    assert 'class="govuk-error-summary' in shown
    assert 'id="reference-error"' in shown or "govuk-error-message" in shown
    if typed:
        assert re.search(rf'name="reference"[^>]*value="{re.escape(typed)}"', shown)
    assert revision_of(world.upcoming) == before  # nothing saved
    assert not events(AuditAction.AGENDA_CHANGED)


# Order ---------------------------------------------------------------------------------------


def test_the_coordinator_orders_the_agenda_and_later_listings_go_last(
    world: World, clients: dict[str, FlaskClient], app: Flask
) -> None:
    change(clients[COORDINATOR], world.upcoming, "review", case_id=world.due)
    assert order_of(app, world.upcoming) == [world.listed, world.due]
    moved = change(clients[COORDINATOR], world.upcoming, "up", case_id=world.due)
    assert moved.status_code == 302  # type: ignore[attr-defined]
    assert order_of(app, world.upcoming) == [world.due, world.listed]
    order_event = events(AuditAction.AGENDA_CHANGED)[-1]
    assert json.loads(order_event.changes) == {
        "order": [[world.listed, world.due], [world.due, world.listed]]
    }
    # The first already first: refused, said, nothing changed.
    change(clients[COORDINATOR], world.upcoming, "up", case_id=world.due)
    assert "is already first on the agenda" in text(
        clients[COORDINATOR].get(agenda_url(world.upcoming))
    )
    assert order_of(app, world.upcoming) == [world.due, world.listed]
    # A referral listed from its page after the agenda was ordered goes to the end.
    listed = clients[COORDINATOR].get(f"/meetings/{world.upcoming}")
    assert listed.status_code == 200
    change(clients[COORDINATOR], world.upcoming, "review", reference=world.references[world.quiet])
    assert order_of(app, world.upcoming) == [world.due, world.listed, world.quiet]


def test_a_change_made_from_an_agenda_changed_since_is_refused(
    world: World, clients: dict[str, FlaskClient], app: Flask
) -> None:
    stale = revision_of(world.upcoming)
    change(clients[SECOND_COORDINATOR], world.upcoming, "review", case_id=world.due)
    refused = change(clients[COORDINATOR], world.upcoming, "down", seen=stale, case_id=world.listed)
    assert refused.status_code == 302  # type: ignore[attr-defined]
    shown = text(clients[COORDINATOR].get(agenda_url(world.upcoming)))
    assert "Someone else changed this agenda while you were looking at it" in shown
    assert order_of(app, world.upcoming) == [world.listed, world.due]


# Carrying forward (E7) -------------------------------------------------------------------------


def test_e7_a_referral_not_heard_is_carried_forward_and_counts_where_it_is_heard(
    world: World, clients: dict[str, FlaskClient], app: Flask
) -> None:
    page = text(clients[COORDINATOR].get(agenda_url(world.upcoming)))
    waiting = page.split("Not heard at an earlier meeting", 1)[1].split("Due for review", 1)[0]
    early_case = next(
        c for c, r in world.references.items() if c not in (world.listed, world.due, world.quiet)
    )
    assert world.references[early_case] in waiting
    carried = change(clients[COORDINATOR], world.upcoming, "carry", referral_id=world.not_heard)
    assert carried.status_code == 302  # type: ignore[attr-defined]
    referral = get(Referral, world.not_heard)
    assert referral is not None
    assert referral.meeting_id == world.upcoming
    case = get(Case, early_case)
    assert case is not None
    assert case.next_meeting_on == UPCOMING_ON
    (event,) = events(AuditAction.REFERRAL_CARRIED_FORWARD)
    assert json.loads(event.changes) == {"meeting_id": [world.past, world.upcoming]}
    assert early_case in order_of(app, world.upcoming)
    # The earlier meeting's record still shows it was listed there, and where it went.
    past = text(clients[COORDINATOR].get(f"/meetings/{world.past}"))
    assert f"carried forward to {uk_date(UPCOMING_ON)}" in past
    upcoming = re.sub(r"<[^>]+>", "", text(clients[COORDINATOR].get(f"/meetings/{world.upcoming}")))
    assert f"Carried forward from {uk_date(PAST_ON)}" in upcoming
    # Nothing more is waiting.
    after = text(clients[COORDINATOR].get(agenda_url(world.upcoming)))
    assert "No referral is waiting" in after


def test_a_meeting_already_held_keeps_its_agenda(
    world: World, clients: dict[str, FlaskClient], app: Flask
) -> None:
    before = order_of(app, world.past)
    page = text(clients[COORDINATOR].get(agenda_url(world.past)))
    assert "can no longer be changed" in page
    change(clients[COORDINATOR], world.past, "review", reference=world.references[world.quiet])
    assert order_of(app, world.past) == before
    assert not events(AuditAction.AGENDA_CHANGED)


def test_an_entry_added_after_publication_is_marked_for_members(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    change(clients[COORDINATOR], world.upcoming, "publish")
    change(clients[COORDINATOR], world.upcoming, "review", case_id=world.due)
    declare(clients[IDVA], world.upcoming)
    shown = text(clients[IDVA].get(f"/meetings/{world.upcoming}"))
    row = shown.split(world.references[world.due], 1)[1].split("Outstanding", 1)[0]
    assert "Added after the agenda was published" in row
    listed_row = shown.split(world.references[world.listed], 1)[1].split(
        world.references[world.due], 1
    )[0]
    assert "Added after the agenda was published" not in listed_row


def test_the_meetings_list_counts_every_case_on_the_agenda(
    world: World, clients: dict[str, FlaskClient], app: Flask
) -> None:
    change(clients[COORDINATOR], world.upcoming, "review", case_id=world.due)
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == COORDINATOR))
        assert user is not None
        counts = {m.id: n for m, n in queries.meetings_for(user, TODAY)}
    assert counts[world.upcoming] == 2


# On PostgreSQL ----------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_agenda_and_its_scope_run_on_postgresql(pg_app: Flask) -> None:
    """The agenda's union queries, row locks and the representative's scope through an agenda
    entry (R5), on a real PostgreSQL."""
    with pg_app.test_request_context():
        marac = panel("Thornbury")
        people = {}
        for email, (organisation, agency, name) in {
            COORDINATOR: ("Thornbury Community Safety", AgencyType.COMMUNITY_SAFETY, "Cora"),
            IDVA: ("Holloway Lane IDVA Service", AgencyType.DOMESTIC_ABUSE_SERVICE, "Ines"),
        }.items():
            user = User(
                email=email,
                display_name=name,
                organisation=Organisation(name=organisation, agency_type=agency),
            )
            member(
                marac,
                user,
                PanelRole.COORDINATOR if email == COORDINATOR else PanelRole.REPRESENTATIVE,
            )
            people[email] = user
        coordinator, idva = people[COORDINATOR], people[IDVA]
        past = panel_services.schedule_meeting(actor=None, panel=marac, held_on=PAST_ON)
        upcoming = panel_services.schedule_meeting(actor=None, panel=marac, held_on=UPCOMING_ON)
        early = _accepted(coordinator, marac, "Wren", PAST_ON - timedelta(days=10), coordinator)
        referrals.list_for_meeting(early, actor=coordinator, meeting=past)
        quiet = _accepted(coordinator, marac, "Rook", TODAY - timedelta(days=30), coordinator)
        assert quiet.case is not None
        db.session.commit()

        meeting_services.add_for_review(
            upcoming,
            actor=coordinator,
            case=quiet.case,
            reason=AgendaReason.REVIEW,
            seen=upcoming.agenda_revision,
            today=TODAY,
        )
        meeting_services.carry_forward(
            upcoming, actor=coordinator, referral=early, seen=upcoming.agenda_revision, today=TODAY
        )
        meeting_services.move_on_agenda(
            upcoming,
            actor=coordinator,
            case=quiet.case,
            up=True,
            seen=upcoming.agenda_revision,
            today=TODAY,
        )
        db.session.commit()
        assert [e.case_id for e in queries.agenda(upcoming, None)] == [quiet.case_id, early.case_id]
        assert {m.id: n for m, n in queries.meetings_for(coordinator, PAST_ON)} == {
            past.id: 1,
            upcoming.id: 2,
        }
        assert queries.not_heard(upcoming, coordinator, TODAY) == []

        def idva_sees(case_id: int) -> bool:
            policy.forget_cached_viewer()
            return (
                db.session.scalar(
                    select(Case.id).where(
                        Case.id == case_id, policy.case_scope(policy.viewer_of(idva))
                    )
                )
                is not None
            )

        assert not idva_sees(quiet.case.id)
        db.session.add(
            ConfidentialityDeclaration(
                meeting_id=upcoming.id, user_id=idva.id, statement_version="1"
            )
        )
        db.session.commit()
        assert idva_sees(quiet.case.id)
