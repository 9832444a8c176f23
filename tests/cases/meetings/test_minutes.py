"""Minutes of a meeting (issue 21; domain §2.6, §8 R3, R7, R9, R12): the coordinator drafts
them, saving as often as needed, every word sealed (a case's part under the case's key); two
people drafting at once never overwrite each other; only the chair, having accepted the
meeting's statement, approves them; approved minutes are never changed; only then are they
distributed, to the panel's coordinators and chairs and to the agencies that attended or sent
information, and anyone else gets a 404 and finds no link; an agency's actions-only extract
shows only its own actions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy import text as sql

from app.accounts.models import User
from app.database import db
from app.database import uk_today
from app.errors import DomainError
from audit.models import AuditAction
from audit.models import AuditEvent
from cases.actions import services as actions
from cases.meetings import services
from cases.meetings.models import AttendanceStatus
from cases.meetings.models import MeetingMinutes
from cases.meetings.models import MinutesCaseSection
from cases.meetings.models import MinutesStatus
from cases.meetings.rules import contribution_field
from cases.meetings.rules import decision_field
from cases.meetings.rules import discussion_field
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

EVERYONE = (COORDINATOR, SECOND_COORDINATOR, CHAIR, IDVA, IDVA_COLLEAGUE, HOUSING, HEALTH)
HELD_ON = uk_today() - timedelta(days=7)
GENERAL = "Minutes of the last meeting agreed as a true record"
DISCUSSION = "Risk remains high; the panel agreed a safety plan with the victim"
IDVA_SAID = "IDVA has weekly contact at safe times agreed with Wren"
HOUSING_SAID = "Housing holds a tenancy in the victim's sole name"
RESTRICTED_SAID = "Discussion of the second case, closed to Housing"
IDVA_ACTION = "Refer to the sanctuary scheme within a week"
HOUSING_ACTION = "Change the locks at the victim's home"


@dataclass(frozen=True)
class World:
    meeting: int
    future_meeting: int
    case: int
    restricted_case: int
    reference: str
    restricted_reference: str
    users: dict[str, int]
    organisations: dict[str, int]


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> World:
    enrol(accounts, COORDINATOR, SECOND_COORDINATOR, CHAIR, IDVA, IDVA_COLLEAGUE, HOUSING, HEALTH)
    with app.test_request_context():
        marac = panel("Thornbury")
        users = {u.email: u for u in db.session.scalars(select(User))}
        roles = {COORDINATOR: PanelRole.COORDINATOR, SECOND_COORDINATOR: PanelRole.COORDINATOR}
        roles[CHAIR] = PanelRole.CHAIR
        for email in EVERYONE:
            member(marac, users[email], roles.get(email, PanelRole.REPRESENTATIVE))
        meeting = panel_services.schedule_meeting(actor=None, panel=marac, held_on=HELD_ON)
        future = panel_services.schedule_meeting(
            actor=None, panel=marac, held_on=uk_today() + timedelta(days=21)
        )
        cases = []
        for given, referrer in (("Wren", IDVA), ("Lark", COORDINATOR)):
            answers = marac_answers(
                referred_on=HELD_ON - timedelta(days=10),
                people=[victim(given=given), perpetrator()],
            )
            sent = submitted(users[referrer], marac, answers)
            cases.append(
                referrals.accept_referral(
                    sent, actor=users[COORDINATOR], matches=[None, None], today=HELD_ON
                ).case
            )
            referrals.list_for_meeting(sent, actor=users[COORDINATOR], meeting=meeting)
        db.session.add(
            CaseRestriction(
                case_id=cases[1].id,
                organisation_id=users[HOUSING].organisation_id,
                placed_by_id=users[COORDINATOR].id,
            )
        )
        # Those who attended accepted the statement before the meeting (R3).
        for email in (COORDINATOR, CHAIR, IDVA):
            db.session.add(
                ConfidentialityDeclaration(
                    meeting_id=meeting.id, user_id=users[email].id, statement_version="1"
                )
            )
        db.session.flush()
        services.record_attendance(
            meeting,
            actor=users[COORDINATOR],
            seen=None,
            statuses={
                users[COORDINATOR].id: AttendanceStatus.PRESENT,
                users[CHAIR].id: AttendanceStatus.PRESENT,
                users[IDVA].id: AttendanceStatus.PRESENT,
            },
            information_from={users[HOUSING].organisation_id},
            observers=[],
            today=uk_today(),
        )
        db.session.commit()
        return World(
            meeting.id,
            future.id,
            cases[0].id,
            cases[1].id,
            cases[0].reference,
            cases[1].reference,
            {email: users[email].id for email in EVERYONE},
            {email: users[email].organisation_id for email in EVERYONE},
        )


@pytest.fixture
def clients(app: Flask, world: World, sign_in: SignIn) -> dict[str, FlaskClient]:
    return {email: sign_in(app.test_client(), email) for email in EVERYONE}


def minutes_url(world: World, end: str = "") -> str:
    return f"/meetings/{world.meeting}/minutes{end}"


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="{name}"', page)
    assert found, name
    return found.group(1) or found.group(2)


def draft_data(world: World, page: str, **entries: str) -> dict[str, str]:
    """The draft form as drawn in `page`, with `entries` typed in (field name -> text)."""
    return {"csrf_token": csrf_token(page), "seen": hidden(page, "seen"), **entries}


def full_draft(world: World) -> dict[str, str]:
    """Every part of the minutes, a decision on each case included (needed for approval)."""
    return {
        "general": GENERAL,
        decision_field(world.case): "safety_plan",
        decision_field(world.restricted_case): "not_heard",
        discussion_field(world.case): DISCUSSION,
        contribution_field(world.case, world.organisations[IDVA]): IDVA_SAID,
        contribution_field(world.case, world.organisations[HOUSING]): HOUSING_SAID,
        discussion_field(world.restricted_case): RESTRICTED_SAID,
    }


def save_draft(client: FlaskClient, world: World, **entries: str) -> object:
    page = client.get(minutes_url(world, "/draft"))
    assert page.status_code == 200
    return client.post(minutes_url(world, "/draft"), data=draft_data(world, page.text, **entries))


def approve(client: FlaskClient, world: World, seen: str | None = None) -> object:
    page = client.get(minutes_url(world))
    assert page.status_code == 200
    revision = seen if seen is not None else hidden(page.text, "seen")
    return client.post(
        minutes_url(world, "/approve"), data={"csrf_token": csrf_token(page.text), "seen": revision}
    )


@dataclass(frozen=True)
class Stored:
    status: MinutesStatus
    revision: int
    general: str | None
    approved_by_id: int | None


def stored(app: Flask, world: World) -> Stored | None:
    """The minutes as saved, read in their own context."""
    with app.app_context():
        found = db.session.scalar(
            select(MeetingMinutes).where(MeetingMinutes.meeting_id == world.meeting)
        )
        if found is None:
            return None
        return Stored(found.status, found.revision, found.general, found.approved_by_id)


def events_of(app: Flask, action: AuditAction) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        db.session.expunge_all()
        return list(rows)


def approved(app: Flask, world: World, clients: dict[str, FlaskClient]) -> None:
    """The coordinator drafts the minutes and the chair approves them."""
    assert save_draft(clients[COORDINATOR], world, **full_draft(world)).status_code == 302  # type: ignore[attr-defined]
    assert approve(clients[CHAIR], world).status_code == 302  # type: ignore[attr-defined]


# Drafting -------------------------------------------------------------------------------------


def test_r12_the_coordinator_drafts_minutes_and_saves_them_as_often_as_needed(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    coordinator = clients[COORDINATOR]
    response = save_draft(coordinator, world, general=GENERAL)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response.location == minutes_url(world)  # type: ignore[attr-defined]
    response = save_draft(coordinator, world, **full_draft(world))
    assert response.status_code == 302  # type: ignore[attr-defined]
    saved = stored(app, world)
    assert saved is not None
    assert (saved.status, saved.revision, saved.general) == (MinutesStatus.DRAFT, 2, GENERAL)
    page = text(coordinator.get(minutes_url(world)))
    for words in (GENERAL, DISCUSSION, IDVA_SAID, HOUSING_SAID, RESTRICTED_SAID):
        assert words in page
    assert "Draft" in page
    assert "Holloway Lane IDVA Service" in page  # each contribution names its agency (R7)


def test_r7_contribution_boxes_are_only_for_agencies_that_attended_or_sent_information(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    page = clients[COORDINATOR].get(minutes_url(world, "/draft")).text
    assert contribution_field(world.case, world.organisations[IDVA]) in page
    assert contribution_field(world.case, world.organisations[HOUSING]) in page
    assert contribution_field(world.case, world.organisations[HEALTH]) not in page
    with app.test_request_context():
        meeting = db.session.get_one(Meeting, world.meeting)
        actor = db.session.get_one(User, world.users[COORDINATOR])
        with pytest.raises(DomainError, match="only from agencies that attended or sent"):
            services.save_minutes(
                meeting,
                actor=actor,
                seen=0,
                general="",
                cases={
                    world.case: services.CaseMinutes(
                        "", {world.organisations[HEALTH]: "Forged contribution"}
                    )
                },
                today=uk_today(),
            )


def test_r20_every_word_is_sealed_a_cases_part_under_the_cases_key(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """The database holds no text of the minutes; what concerns a case is sealed under its key
    (destroyed with its content), the general part under a key of its own."""
    save_draft(clients[COORDINATOR], world, **full_draft(world))
    with app.app_context():
        raw = b"".join(
            value or b""
            for row in db.session.execute(
                sql(
                    "SELECT general FROM meeting_minutes UNION ALL "
                    "SELECT discussion FROM meeting_minutes_cases UNION ALL "
                    "SELECT text FROM meeting_minutes_contributions"
                )
            )
            for value in row
        )
        assert raw
        for words in (GENERAL, DISCUSSION, IDVA_SAID, HOUSING_SAID):
            assert words.encode() not in raw
        minutes = db.session.scalars(select(MeetingMinutes)).one()
        case = db.session.get_one(Case, world.case)
        section = next(s for s in minutes.sections if s.case_id == case.id)
        assert section.data_key_id == case.data_key_id
        assert {c.data_key_id for c in section.contributions} == {case.data_key_id}
        assert minutes.data_key_id not in {c.data_key_id for c in db.session.scalars(select(Case))}


def test_clearing_a_cases_entries_removes_its_section(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    save_draft(clients[COORDINATOR], world, **full_draft(world))
    cleared = {name: "" for name in full_draft(world)}
    save_draft(clients[COORDINATOR], world, **(cleared | {"general": GENERAL}))
    with app.app_context():
        cases = db.session.scalars(select(MinutesCaseSection.case_id)).all()
    assert cases == []


def test_two_people_drafting_at_once_never_overwrite_each_other(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """The form carries the revision it was drawn from: a save over a newer one is refused,
    the newer minutes are shown, and what the second person typed stays in the form."""
    first, second = clients[COORDINATOR], clients[SECOND_COORDINATOR]
    first_page = first.get(minutes_url(world, "/draft")).text
    second_page = second.get(minutes_url(world, "/draft")).text
    first.post(minutes_url(world, "/draft"), data=draft_data(world, first_page, general=GENERAL))
    theirs = "Second coordinator's version of the general minutes"
    response = second.post(
        minutes_url(world, "/draft"), data=draft_data(world, second_page, general=theirs)
    )
    page = text(response)
    assert response.status_code == 200
    assert "Someone else saved these minutes while you were editing them" in page
    assert theirs in page  # their text is kept in the form
    assert GENERAL in page  # the minutes as saved now are shown
    saved = stored(app, world)
    assert saved is not None
    assert (saved.general, saved.revision) == (GENERAL, 1)
    # Having seen the newer minutes, saving again applies theirs.
    again = second.post(
        minutes_url(world, "/draft"), data=draft_data(world, response.text, general=theirs)
    )
    assert again.status_code == 302
    saved = stored(app, world)
    assert saved is not None
    assert (saved.general, saved.revision) == (theirs, 2)


def test_a_save_without_the_revision_it_was_drawn_from_is_refused(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    save_draft(clients[COORDINATOR], world, general=GENERAL)
    page = clients[COORDINATOR].get(minutes_url(world, "/draft")).text
    for forged in ("", "0", "forged"):
        data = draft_data(world, page, general="Overwritten") | {"seen": forged}
        response = clients[COORDINATOR].post(minutes_url(world, "/draft"), data=data)
        assert "Someone else saved these minutes" in text(response), forged
    saved = stored(app, world)
    assert saved is not None
    assert saved.general == GENERAL


def test_minutes_are_written_from_the_day_of_the_meeting(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    url = f"/meetings/{world.future_meeting}/minutes/draft"
    page = text(clients[COORDINATOR].get(url))
    assert "Minutes can be written from the day of the meeting" in page
    assert 'name="general"' not in page
    response = clients[COORDINATOR].post(
        url, data={"csrf_token": csrf_token(page), "seen": "0", "general": GENERAL}
    )
    assert response.status_code == 200
    assert "Minutes can be written from the day of the meeting" in text(response)


def test_an_empty_first_save_is_a_message_and_a_too_long_entry_is_refused_with_input_kept(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    response = save_draft(clients[COORDINATOR], world)
    assert "Write the minutes before saving them" in text(response)
    long = "x" * (services.DISCUSSION_MAX + 1)
    response = save_draft(
        clients[COORDINATOR], world, general=GENERAL, **{discussion_field(world.case): long}
    )
    page = text(response)
    assert f"must be {services.DISCUSSION_MAX:,} characters or fewer" in page
    assert f'href="#{discussion_field(world.case)}"' in page
    assert GENERAL in page
    assert stored(app, world) is None


def test_only_coordinators_draft(world: World, clients: dict[str, FlaskClient]) -> None:
    """The chair approves, members read: neither drafts (the same 404 as for nothing)."""
    for email in (CHAIR, IDVA, HEALTH):
        assert clients[email].get(minutes_url(world, "/draft")).status_code == 404, email


# Approval -------------------------------------------------------------------------------------


def test_r12_only_the_chair_approves_and_anyone_else_is_told_so(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    save_draft(clients[COORDINATOR], world, **full_draft(world))
    response = approve(clients[COORDINATOR], world, seen="1")
    page = text(response)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "Only the chair of Thornbury marac can approve the minutes" in page
    assert 'class="govuk-error-summary' in page
    saved = stored(app, world)
    assert saved is not None
    assert saved.status is MinutesStatus.DRAFT
    assert events_of(app, AuditAction.MINUTES_APPROVED) == []

    response = approve(clients[CHAIR], world)
    assert response.status_code == 302  # type: ignore[attr-defined]
    saved = stored(app, world)
    assert saved is not None
    assert (saved.status, saved.approved_by_id) == (MinutesStatus.APPROVED, world.users[CHAIR])
    (event,) = events_of(app, AuditAction.MINUTES_APPROVED)
    assert (event.actor_id, event.object_type, event.object_id) == (
        world.users[CHAIR],
        "meetings",
        str(world.meeting),
    )


def test_r3_a_chair_who_has_not_accepted_the_statement_neither_reads_nor_approves(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    save_draft(clients[COORDINATOR], world, **full_draft(world))
    with app.app_context():
        db.session.execute(
            sql("DELETE FROM confidentiality_declarations WHERE user_id = :u"),
            {"u": world.users[CHAIR]},
        )
        db.session.commit()
    assert clients[CHAIR].get(minutes_url(world)).status_code == 404
    page = clients[CHAIR].get(minutes_url(world)).text
    response = clients[CHAIR].post(
        minutes_url(world, "/approve"), data={"csrf_token": csrf_token(page), "seen": "1"}
    )
    assert response.status_code == 404
    saved = stored(app, world)
    assert saved is not None
    assert saved.status is MinutesStatus.DRAFT


def test_the_chair_approves_only_the_minutes_they_read(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    save_draft(clients[COORDINATOR], world, general=GENERAL)
    read = hidden(clients[CHAIR].get(minutes_url(world)).text, "seen")
    save_draft(clients[COORDINATOR], world, general="Changed after the chair read them")
    response = approve(clients[CHAIR], world, seen=read)
    assert "changed after you opened them" in text(response)
    saved = stored(app, world)
    assert saved is not None
    assert saved.status is MinutesStatus.DRAFT


def test_approved_minutes_cannot_be_changed(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """Decided: refuse, and say a correction goes in the next meeting's minutes."""
    approved(app, world, clients)
    page = text(clients[COORDINATOR].get(minutes_url(world, "/draft")))
    assert "cannot be changed" in page
    assert 'name="general"' not in page
    response = clients[COORDINATOR].post(
        minutes_url(world, "/draft"),
        data={"csrf_token": csrf_token(page), "seen": "1", "general": "Rewritten afterwards"},
    )
    assert "Record any correction in the minutes of the next meeting" in text(response)
    saved = stored(app, world)
    assert saved is not None
    assert (saved.general, saved.revision) == (GENERAL, 1)
    assert "Approve the minutes" not in clients[CHAIR].get(minutes_url(world)).text
    assert "already been approved" in text(approve(clients[CHAIR], world, seen="1"))


# Distribution ---------------------------------------------------------------------------------


def test_r12_draft_minutes_go_to_nobody_but_the_coordinators_and_the_chair(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    save_draft(clients[COORDINATOR], world, **full_draft(world))
    for email in (COORDINATOR, SECOND_COORDINATOR, CHAIR):
        assert clients[email].get(minutes_url(world)).status_code == 200, email
    for email in (IDVA, IDVA_COLLEAGUE, HOUSING, HEALTH):
        assert clients[email].get(minutes_url(world)).status_code == 404, email
        page = clients[email].get(f"/meetings/{world.meeting}").text
        assert minutes_url(world) not in page, email


def test_r12_approved_minutes_go_to_the_agencies_that_attended_or_sent_information(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    approved(app, world, clients)
    for email in (IDVA, IDVA_COLLEAGUE, HOUSING):  # attended; the agency attended; sent
        response = clients[email].get(minutes_url(world))
        assert response.status_code == 200, email
        assert DISCUSSION in text(response)
        meeting_page = clients[email].get(f"/meetings/{world.meeting}").text
        assert f'href="{minutes_url(world)}"' in meeting_page, email


def test_r12_an_agency_that_neither_attended_nor_sent_information_gets_a_404_and_no_link(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    approved(app, world, clients)
    health = clients[HEALTH]
    for url in (minutes_url(world), minutes_url(world, "/actions"), minutes_url(world, "/draft")):
        assert health.get(url).status_code == 404, url
    for page in (
        health.get(f"/meetings/{world.meeting}").text,
        health.get("/meetings?when=all").text,
        health.get("/actions?showing=all").text,
    ):
        assert "/minutes" not in page
        assert DISCUSSION not in page


def test_staff_as_subject_a_case_closed_to_an_agency_is_left_out_of_its_minutes(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    approved(app, world, clients)
    housing = text(clients[HOUSING].get(minutes_url(world)))
    assert DISCUSSION in housing
    assert RESTRICTED_SAID not in housing
    assert world.restricted_reference not in housing
    assert RESTRICTED_SAID in text(clients[IDVA].get(minutes_url(world)))


def test_the_minutes_link_only_the_cases_the_reader_may_open(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """The IDVA's colleague did not attend: the minutes reach the agency, the cases do not."""
    approved(app, world, clients)
    colleague = clients[IDVA_COLLEAGUE].get(minutes_url(world)).text
    assert f'href="/cases/{world.restricted_case}"' not in colleague
    coordinator = clients[COORDINATOR].get(minutes_url(world)).text
    assert f'href="/cases/{world.case}"' in coordinator


# The actions extract --------------------------------------------------------------------------


def agree_actions(app: Flask, world: World) -> None:
    with app.test_request_context():
        case = db.session.get_one(Case, world.case)
        meeting = db.session.get_one(Meeting, world.meeting)
        coordinator = db.session.get_one(User, world.users[COORDINATOR])
        for email, words in ((IDVA, IDVA_ACTION), (HOUSING, HOUSING_ACTION)):
            owner = db.session.get_one(User, world.users[email]).organisation
            actions.agree_action(
                case,
                actor=coordinator,
                action=actions.NewAction(words, owner, HELD_ON + timedelta(days=14), meeting),
                today=uk_today(),
            )
        db.session.commit()


def test_r12_the_actions_extract_shows_an_agency_only_its_own_actions(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    agree_actions(app, world)
    approved(app, world, clients)
    idva = text(clients[IDVA].get(minutes_url(world, "/actions")))
    assert IDVA_ACTION in idva
    assert HOUSING_ACTION not in idva
    for words in (DISCUSSION, IDVA_SAID, GENERAL):
        assert words not in idva  # actions only: no discussion
    housing = text(clients[HOUSING].get(minutes_url(world, "/actions")))
    assert HOUSING_ACTION in housing
    assert IDVA_ACTION not in housing
    # A member cannot ask for another agency's extract: the choice is the coordinators'.
    other = f"?agency={world.organisations[HOUSING]}"
    assert HOUSING_ACTION not in text(clients[IDVA].get(minutes_url(world, "/actions") + other))
    chosen = text(clients[COORDINATOR].get(minutes_url(world, "/actions") + other))
    assert HOUSING_ACTION in chosen
    assert IDVA_ACTION not in chosen


def test_the_extract_waits_for_approval_except_for_those_who_run_the_meeting(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    agree_actions(app, world)
    save_draft(clients[COORDINATOR], world, general=GENERAL)
    assert clients[IDVA].get(minutes_url(world, "/actions")).status_code == 404
    assert clients[COORDINATOR].get(minutes_url(world, "/actions")).status_code == 200
    assert clients[CHAIR].get(minutes_url(world, "/actions")).status_code == 200


# The record -----------------------------------------------------------------------------------


def test_r9_each_read_and_change_is_one_audit_event_of_ids_and_codes(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    approved(app, world, clients)
    before = {a: len(events_of(app, a)) for a in AuditAction}
    clients[IDVA].get(minutes_url(world))
    clients[IDVA].get(minutes_url(world, "/actions"))
    after = {a: len(events_of(app, a)) for a in AuditAction}
    assert {a: after[a] - before[a] for a in AuditAction if after[a] != before[a]} == {
        AuditAction.MINUTES_VIEWED: 1,
        AuditAction.MINUTES_EXTRACT_VIEWED: 1,
    }
    (saved,) = events_of(app, AuditAction.MINUTES_SAVED)
    assert (saved.object_type, saved.object_id) == ("meetings", str(world.meeting))
    with app.app_context():
        trail = " ".join(
            str(row) for row in db.session.execute(sql("SELECT changes, purpose FROM audit_events"))
        )
    for words in (GENERAL, DISCUSSION, IDVA_SAID, HOUSING_SAID, RESTRICTED_SAID):
        assert words not in trail


def test_r15_another_panels_member_gets_a_404_for_every_minutes_page(
    app: Flask, accounts: Accounts, world: World, clients: dict[str, FlaskClient], sign_in: SignIn
) -> None:
    approved(app, world, clients)
    accounts.user("outsider@test.example", organisation="Eastmere Police", name="Otto East")
    with app.test_request_context():
        other = panel("Eastmere")
        user = db.session.scalars(select(User).where(User.email == "outsider@test.example")).one()
        member(other, user, PanelRole.COORDINATOR)
        db.session.commit()
    outsider = sign_in(app.test_client(), "outsider@test.example")
    for end in ("", "/draft", "/actions"):
        assert outsider.get(minutes_url(world, end)).status_code == 404, end
