"""Meeting packs as PDF (issue 21; domain R3, R9, R10, R12): the agenda, the approved minutes
and an agency's actions extract. Every page carries the protective marking, the handling
caveat, who printed it when (UK time) and its page number; the documents are tagged PDF/UA
(structure tree, language, title, table header cells); each pack is authorised exactly as its
page, draft minutes have no pack, and each download is one audit event with no content."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pikepdf
import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.database import uk_today
from app.settings import DEFAULT_HANDLING_CAVEAT
from audit.models import AuditAction
from audit.models import AuditEvent
from cases.actions import services as actions
from cases.meetings import services
from cases.meetings.models import AttendanceStatus
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
from tests.cases.meetings.cast import OUTSIDER
from tests.cases.meetings.cast import SECOND_COORDINATOR
from tests.cases.meetings.cast import enrol
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.referral_fixtures import marac_answers
from tests.referral_fixtures import member
from tests.referral_fixtures import panel
from tests.referral_fixtures import perpetrator
from tests.referral_fixtures import submitted
from tests.referral_fixtures import victim

UK = ZoneInfo("Europe/London")
MEMBERS = (COORDINATOR, SECOND_COORDINATOR, CHAIR, IDVA, IDVA_COLLEAGUE, HOUSING, HEALTH)
EVERYONE = (*MEMBERS, OUTSIDER)
HELD_ON = uk_today() - timedelta(days=7)
MARKING = "OFFICIAL-SENSITIVE"
# Long enough to take the minutes over more than one page.
GENERAL = "\n".join(f"Standing item {n}: synthetic business agreed by the panel" for n in range(90))
DISCUSSION = "Risk remains high; the panel agreed a safety plan with the victim"
IDVA_SAID = "IDVA has weekly contact at safe times agreed with Wren"
RESTRICTED_SAID = "Discussion of the second case, closed to Housing"
IDVA_ACTION = "Refer to the sanctuary scheme within a week"
HOUSING_ACTION = "Change the locks at the victim's home"
VICTIM = "Wren"
OBSERVER = "Olive Synthetic"
PACKS = {
    "agenda": "/meetings/{id}/agenda.pdf",
    "minutes": "/meetings/{id}/minutes.pdf",
    "actions": "/meetings/{id}/minutes/actions.pdf",
}
PAGES = {
    "agenda": "/meetings/{id}",
    "minutes": "/meetings/{id}/minutes",
    "actions": "/meetings/{id}/minutes/actions",
}


@dataclass(frozen=True)
class World:
    meeting: int
    case: int
    restricted_case: int
    reference: str
    restricted_reference: str
    users: dict[str, int]
    organisations: dict[str, int]


def _build(app: Flask, accounts: Accounts, *, approve: bool) -> World:
    """A MARAC meeting held a week ago with two cases (the second closed to Housing): the
    coordinator, the chair and the IDVA attended, Housing sent information, Health did
    neither; actions agreed for the IDVA service and Housing; minutes written and, if
    `approve`, approved by the chair. An outsider coordinates another area's MARAC."""
    enrol(accounts, *EVERYONE)
    with app.test_request_context():
        marac = panel("Thornbury")
        users = {u.email: u for u in db.session.scalars(select(User))}
        roles = {COORDINATOR: PanelRole.COORDINATOR, SECOND_COORDINATOR: PanelRole.COORDINATOR}
        roles[CHAIR] = PanelRole.CHAIR
        for email in MEMBERS:
            member(marac, users[email], roles.get(email, PanelRole.REPRESENTATIVE))
        member(panel("Eastmere"), users[OUTSIDER], PanelRole.COORDINATOR)
        meeting = panel_services.schedule_meeting(actor=None, panel=marac, held_on=HELD_ON)
        cases: list[Case] = []
        for given, referrer in ((VICTIM, IDVA), ("Lark", COORDINATOR)):
            answers = marac_answers(
                referred_on=HELD_ON - timedelta(days=10),
                people=[victim(given=given), perpetrator()],
            )
            sent = submitted(users[referrer], marac, answers)
            accepted = referrals.accept_referral(
                sent, actor=users[COORDINATOR], matches=[None, None], today=HELD_ON
            )
            assert accepted.case is not None
            cases.append(accepted.case)
            referrals.list_for_meeting(sent, actor=users[COORDINATOR], meeting=meeting)
        db.session.add(
            CaseRestriction(
                case_id=cases[1].id,
                organisation_id=users[HOUSING].organisation_id,
                placed_by_id=users[COORDINATOR].id,
            )
        )
        for email in (COORDINATOR, CHAIR, IDVA):  # R3: accepted before the meeting
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
                users[email].id: AttendanceStatus.PRESENT for email in (COORDINATOR, CHAIR, IDVA)
            },
            information_from={users[HOUSING].organisation_id},
            observers=[services.Observer(OBSERVER, "Thornbury Council")],
            today=uk_today(),
        )
        for email, words in ((IDVA, IDVA_ACTION), (HOUSING, HOUSING_ACTION)):
            actions.agree_action(
                cases[0],
                actor=users[COORDINATOR],
                action=actions.NewAction(
                    words, users[email].organisation, HELD_ON + timedelta(days=14), meeting
                ),
                today=uk_today(),
            )
        decision = marac.spec.decisions[0].code
        services.save_minutes(
            meeting,
            actor=users[COORDINATOR],
            seen=0,
            general=GENERAL,
            cases={
                cases[0].id: services.CaseMinutes(
                    DISCUSSION, {users[IDVA].organisation_id: IDVA_SAID}, decision
                ),
                cases[1].id: services.CaseMinutes(RESTRICTED_SAID, {}, decision),
            },
            today=uk_today(),
        )
        if approve:
            services.approve_minutes(meeting, actor=users[CHAIR], seen=1)
        db.session.commit()
        return World(
            meeting.id,
            cases[0].id,
            cases[1].id,
            cases[0].reference,
            cases[1].reference,
            {email: users[email].id for email in EVERYONE},
            {email: users[email].organisation_id for email in EVERYONE},
        )


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> World:
    return _build(app, accounts, approve=True)


class Clients(dict[str, FlaskClient]):
    """Each member's signed-in client, signed in when first asked for (signing in is slow)."""

    def __init__(self, app: Flask, sign_in: SignIn) -> None:
        super().__init__()
        self.app, self.sign_in = app, sign_in

    def __missing__(self, email: str) -> FlaskClient:
        self[email] = self.sign_in(self.app.test_client(), email)
        return self[email]


@pytest.fixture
def clients(app: Flask, world: World, sign_in: SignIn) -> Clients:
    return Clients(app, sign_in)


def url(world: World, pack: str, table: dict[str, str] = PACKS) -> str:
    return table[pack].format(id=world.meeting)


def pages_of(pdf: bytes) -> list[str]:
    """The text of each page, its whitespace made single spaces (lines wrap anywhere)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def whole(pdf: bytes) -> str:
    return " ".join(pages_of(pdf))


def stamp(name: str, agency: str, moment: datetime) -> str:
    local = moment.astimezone(UK)
    return f"Printed by {name} ({agency}) on {local:%d/%m/%Y} at {local:%H:%M}"


def events(app: Flask, since: int) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.sequence > since).order_by(AuditEvent.sequence)
        ).all()
        db.session.expunge_all()
        return list(rows)


def head(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(AuditEvent.sequence))) or 0


# What every page carries ---------------------------------------------------------------------


@pytest.mark.parametrize("pack", list(PACKS))
def test_r10_every_page_carries_the_marking_the_caveat_who_printed_it_and_its_number(
    world: World, clients: dict[str, FlaskClient], pack: str
) -> None:
    """The stamp names the person who printed the pack, their agency and the UK time."""
    moment = datetime.now(UK).replace(second=0, microsecond=0)
    with time_machine.travel(moment, tick=False):
        response = clients[IDVA].get(url(world, pack))
    assert response.status_code == 200
    pages = pages_of(response.data)
    if pack == "minutes":
        assert len(pages) >= 2  # the marking must repeat, not only open the document
    printed = stamp("Ines Marr", "Holloway Lane IDVA Service", moment)
    caveat = " ".join(DEFAULT_HANDLING_CAVEAT.split())
    for number, page in enumerate(pages, start=1):
        assert page.count(MARKING) >= 2, (number, page)  # at the top and at the foot
        assert page.count(caveat) >= 2, number
        assert printed in page, number
        assert f"Page {number} of {len(pages)}" in page, number


def test_r10_the_stamp_is_uk_local_time_in_summer(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    """In British Summer Time the stamp is an hour ahead of UTC."""
    moment = datetime(2026, 7, 1, 8, 30, tzinfo=ZoneInfo("UTC"))
    with time_machine.travel(moment, tick=False):
        response = clients[COORDINATOR].get(url(world, "agenda"))
    assert response.status_code == 200
    for page in pages_of(response.data):
        assert "Printed by Cora Vance (Thornbury Community Safety) on 01/07/2026 at 09:30" in page


# Accessibility -------------------------------------------------------------------------------


def _structure_types(pdf: pikepdf.Pdf) -> set[str]:
    found: set[str] = set()
    pending: list[object] = [pdf.Root.StructTreeRoot]
    while pending:
        node = pending.pop()
        if isinstance(node, pikepdf.Array):
            pending.extend(node)
        elif isinstance(node, pikepdf.Dictionary):
            if "/S" in node:
                found.add(str(node.S))
            if "/K" in node:
                pending.append(node.K)
    return found


@pytest.mark.parametrize(
    ("pack", "title"),
    [
        ("agenda", "Agenda: Thornbury marac, {date}"),
        ("minutes", "Minutes: Thornbury marac, {date}"),
        ("actions", "Actions for Holloway Lane IDVA Service: Thornbury marac, {date}"),
    ],
)
def test_the_packs_are_tagged_pdf_ua_with_language_title_headings_and_header_cells(
    world: World, clients: dict[str, FlaskClient], pack: str, title: str
) -> None:
    response = clients[IDVA].get(url(world, pack))
    assert response.status_code == 200
    with pikepdf.open(io.BytesIO(response.data)) as pdf:
        assert "/StructTreeRoot" in pdf.Root
        assert bool(pdf.Root.MarkInfo.Marked) is True
        assert str(pdf.Root.Lang) == "en-GB"
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle) is True
        expected = title.format(date=f"{HELD_ON:%d/%m/%Y}")
        assert str(pdf.docinfo.Title) == expected
        with pdf.open_metadata() as metadata:
            assert metadata["dc:title"] == expected
            assert metadata["pdfuaid:part"] == "1"
        kinds = _structure_types(pdf)
        assert {"/H1", "/H2" if pack != "actions" else "/H1", "/Table", "/TH", "/TD"} <= kinds
        for page in pdf.pages:  # every font embedded (PDF/UA, and the same text everywhere)
            for font in page.Resources.Font.values():
                described = (
                    font.DescendantFonts[0].FontDescriptor
                    if "/DescendantFonts" in font
                    else font.FontDescriptor
                )
                assert any(k in described for k in ("/FontFile", "/FontFile2", "/FontFile3"))


# Who may print what ---------------------------------------------------------------------------

# The agenda: as its page shows it, to the coordinators and to members who accepted the
# meeting's statement (R3); the page shows the others the statement, the pack is a 404.
# The minutes and the extract: exactly as their pages (R12).
EXPECTED = {
    "agenda": {
        COORDINATOR: 200,
        SECOND_COORDINATOR: 200,
        CHAIR: 200,
        IDVA: 200,
        IDVA_COLLEAGUE: 404,
        HOUSING: 404,
        HEALTH: 404,
        OUTSIDER: 404,
    },
    "minutes": {
        COORDINATOR: 200,
        SECOND_COORDINATOR: 200,
        CHAIR: 200,
        IDVA: 200,
        IDVA_COLLEAGUE: 200,  # the agency attended
        HOUSING: 200,  # the agency sent information
        HEALTH: 404,  # neither attended nor sent information
        OUTSIDER: 404,
    },
    "actions": {
        COORDINATOR: 200,
        SECOND_COORDINATOR: 200,
        CHAIR: 200,
        IDVA: 200,
        IDVA_COLLEAGUE: 200,
        HOUSING: 200,
        HEALTH: 404,
        OUTSIDER: 404,
    },
}


@pytest.mark.parametrize("pack", list(PACKS))
def test_r12_each_pack_answers_each_role_as_its_page_does(
    world: World, clients: dict[str, FlaskClient], pack: str
) -> None:
    for email, status in EXPECTED[pack].items():
        response = clients[email].get(url(world, pack))
        assert response.status_code == status, (pack, email)
        if status == 200:
            assert response.mimetype == "application/pdf"
            assert response.data.startswith(b"%PDF-")
        if pack != "agenda":  # the same answer as the page, whoever asks
            assert clients[email].get(url(world, pack, PAGES)).status_code == status, email


def test_r12_an_agency_that_neither_attended_nor_sent_information_finds_no_pack(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    health = clients[HEALTH]
    for pack in PACKS:
        assert health.get(url(world, pack)).status_code == 404, pack
    for page in (health.get(f"/meetings/{world.meeting}").text, health.get("/meetings").text):
        assert ".pdf" not in page


def test_a_missing_meeting_answers_as_one_that_is_not_yours(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    for template in PACKS.values():
        assert clients[COORDINATOR].get(template.format(id=987654)).status_code == 404


# Draft minutes are not distributed -----------------------------------------------------------


@pytest.fixture
def draft_world(app: Flask, accounts: Accounts) -> World:
    return _build(app, accounts, approve=False)


def test_r12_draft_minutes_have_no_pack_for_anyone_and_no_link(
    app: Flask, draft_world: World, sign_in: SignIn
) -> None:
    """Decided: a pack is what is printed and passed round, so draft minutes (readable by the
    coordinators and the chair on screen) have none until the chair approves them."""
    world = draft_world
    for email in (COORDINATOR, CHAIR, IDVA, HEALTH):
        client = sign_in(app.test_client(), email)
        assert client.get(url(world, "minutes")).status_code == 404, email
    coordinator = sign_in(app.test_client(), COORDINATOR)
    assert coordinator.get(url(world, "minutes", PAGES)).status_code == 200  # on screen
    assert "minutes.pdf" not in coordinator.get(url(world, "minutes", PAGES)).text


def test_the_extract_pack_follows_its_page_before_approval(
    app: Flask, draft_world: World, sign_in: SignIn
) -> None:
    """The extract holds only actions, no word of the draft: those running the meeting print
    it before approval, as they open its page; a member cannot, as on the page."""
    world = draft_world
    for email, status in ((COORDINATOR, 200), (CHAIR, 200), (IDVA, 404), (HOUSING, 404)):
        client = sign_in(app.test_client(), email)
        assert client.get(url(world, "actions")).status_code == status, email
        assert client.get(url(world, "actions", PAGES)).status_code == status, email


def test_each_page_links_its_pack(world: World, clients: dict[str, FlaskClient]) -> None:
    for pack in PACKS:
        page = clients[IDVA].get(url(world, pack, PAGES)).text
        assert f'href="{url(world, pack)}"' in page, pack


# What each pack shows ------------------------------------------------------------------------


def test_the_minutes_pack_holds_attendance_the_general_part_decisions_and_contributions(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    text = whole(clients[IDVA].get(url(world, "minutes")).data)
    for words in (
        "Standing item 0:",
        "Standing item 89:",
        DISCUSSION,
        IDVA_SAID,
        RESTRICTED_SAID,
        "Priya Holt (Thornbury Police), chair",  # attended
        "Ashcombe Homes",  # sent information
        OBSERVER,
        world.reference,
    ):
        assert words in text, words
    assert "Approved by Priya Holt" in text


def test_staff_as_subject_a_case_closed_to_an_agency_is_left_out_of_its_minutes_pack(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    text = whole(clients[HOUSING].get(url(world, "minutes")).data)
    assert DISCUSSION in text
    assert RESTRICTED_SAID not in text
    assert world.restricted_reference not in text


def test_the_agenda_pack_shows_no_more_than_the_meeting_page(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    """Every agency's research progress is for those running the meeting; a member sees their
    own agency's. The pack names cases by reference, as the page does, never a person."""
    coordinator = whole(clients[COORDINATOR].get(url(world, "agenda")).data)
    member = whole(clients[IDVA].get(url(world, "agenda")).data)
    for text in (coordinator, member):
        assert world.reference in text
        assert world.restricted_reference in text
        assert VICTIM not in text
        assert "Ines Marr (Holloway Lane IDVA Service)" in text  # attendance
    assert "agencies researched" in coordinator
    assert "agencies researched" not in member
    assert "Holloway Lane IDVA Service: not yet researched" in member


def test_r12_the_extract_pack_shows_one_agencys_actions_chosen_as_on_its_page(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    idva = whole(clients[IDVA].get(url(world, "actions")).data)
    assert IDVA_ACTION in idva
    assert HOUSING_ACTION not in idva
    assert DISCUSSION not in idva
    housing = f"?agency={world.organisations[HOUSING]}"
    # A member's choice of another agency is ignored, as on the page.
    ignored = whole(clients[IDVA].get(url(world, "actions") + housing).data)
    assert IDVA_ACTION in ignored
    assert HOUSING_ACTION not in ignored
    chosen = clients[COORDINATOR].get(url(world, "actions") + housing)
    assert HOUSING_ACTION in whole(chosen.data)
    assert IDVA_ACTION not in whole(chosen.data)
    assert "Actions agreed for Ashcombe Homes" in whole(chosen.data)
    # The page's link names the agency it shows; with none chosen, the coordinator's own.
    own = f"?agency={world.organisations[COORDINATOR]}"
    page = clients[COORDINATOR].get(url(world, "actions", PAGES)).text
    assert f'href="{url(world, "actions")}{own}"' in page
    mine = clients[COORDINATOR].get(url(world, "actions") + own)
    assert mine.status_code == 200
    assert "Actions agreed for Thornbury Community Safety" in whole(mine.data)


def test_a_choice_that_is_not_an_agency_goes_back_to_the_page_that_says_so(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    coordinator = clients[COORDINATOR]  # signed in first: signing in is on the record too
    before = head(app)
    response = coordinator.get(url(world, "actions") + "?agency=forged")
    assert response.status_code == 302
    assert response.location == url(world, "actions", PAGES) + "?agency=forged"
    assert events(app, before) == []  # nothing printed
    page = clients[COORDINATOR].get(response.location)
    assert "Select an agency from the list" in page.text


# The record and the file ---------------------------------------------------------------------


@pytest.mark.parametrize("pack", list(PACKS))
def test_r9_each_download_is_one_audit_event_naming_the_meeting_and_the_pack_only(
    app: Flask, world: World, clients: dict[str, FlaskClient], pack: str
) -> None:
    idva = clients[IDVA]  # signed in first: signing in is on the record too
    before = head(app)
    assert idva.get(url(world, pack)).status_code == 200
    (event,) = events(app, before)
    assert event.action == AuditAction.MEETING_PACK_PRINTED
    assert (event.actor_id, event.actor_agency_id) == (
        world.users[IDVA],
        world.organisations[IDVA],
    )
    assert (event.object_type, event.object_id) == ("meetings", str(world.meeting))
    assert f'"pack":"{pack}"' in (event.changes or "")
    for words in (DISCUSSION, IDVA_SAID, IDVA_ACTION, VICTIM, "Standing item", world.reference):
        assert words not in (event.changes or "")
    # Each download is on the record: a second is a second event.
    assert clients[IDVA].get(url(world, pack)).status_code == 200
    assert len(events(app, before)) == 2


def test_a_refused_pack_is_recorded_as_refused_not_as_printed(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    health = clients[HEALTH]
    before = head(app)
    assert health.get(url(world, "minutes")).status_code == 404
    assert [e.action for e in events(app, before)] == [AuditAction.ACCESS_DENIED]


@pytest.mark.parametrize("pack", list(PACKS))
def test_the_file_is_an_attachment_named_without_personal_data_and_not_cached(
    world: World, clients: dict[str, FlaskClient], pack: str
) -> None:
    response = clients[IDVA].get(url(world, pack))
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    name = f"thornbury-marac-{HELD_ON:%Y-%m-%d}-{pack}.pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert re.fullmatch(r"[a-z0-9-]+\.pdf", name)
    for personal in (VICTIM.lower(), "ines", "marr", world.reference.lower()):
        assert personal not in name


def test_without_pango_the_pack_is_a_clear_page_and_nothing_is_recorded(
    app: Flask, world: World, clients: dict[str, FlaskClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import pdf

    def unavailable() -> object:
        raise pdf.PdfUnavailable("no pango")

    monkeypatch.setattr(pdf, "_weasyprint", unavailable)
    coordinator = clients[COORDINATOR]
    before = head(app)
    response = coordinator.get(url(world, "minutes"))
    assert response.status_code == 503
    assert "PDF packs are not available" in response.text
    assert events(app, before) == []


def test_the_packs_name_the_meeting_not_people_in_their_headings(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """Their opening lines say which panel and meeting they are about."""
    with app.app_context():
        meeting = db.session.get_one(Meeting, world.meeting)
        kind = meeting.kind.label
    first = pages_of(clients[IDVA].get(url(world, "minutes")).data)[0]
    assert f"Thornbury marac · {kind} meeting on" in first
