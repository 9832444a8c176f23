"""Referral pages end to end through the test client: a representative drafts and sends a MARAC
referral, the coordinator screens it (identity matching, repeat), lists it and transfers the case;
each form's error paths keep what was typed; everyone else gets the same 404."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from app.database import uk_today
from audit.models import AuditAction
from audit.models import AuditEvent
from cases.models import Case
from cases.models import Person
from cases.referrals.models import Referral
from panels import services as panel_services
from panels.models import Meeting
from panels.models import Panel
from panels.models import PanelRole
from panels.types.common import FormSection
from panels.types.common import PanelType
from panels.types.common import ReferralStatus
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import csrf_token
from tests.referral_fixtures import marac_answers
from tests.referral_fixtures import member
from tests.referral_fixtures import panel
from tests.referral_fixtures import submitted
from tests.referral_fixtures import victim

REP = "idva@test.example"
COORDINATOR = "coordinator@test.example"
OUTSIDER = "outsider@test.example"


@dataclass(frozen=True)
class World:
    marac: int
    other_marac: int
    community: int


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> World:
    accounts.user(REP, organisation="Holloway Lane IDVA Service")
    accounts.user(COORDINATOR, organisation="Thornbury Community Safety")
    accounts.user(OUTSIDER, organisation="Eastmere Police")
    with app.test_request_context():
        marac = panel("Thornbury")
        community = panel("Thornbury", PanelType.COMMUNITY_MARAC, area_obj=marac.area)
        other = panel("Eastmere")
        users = {u.email: u for u in db.session.scalars(select(User))}
        member(marac, users[REP], PanelRole.REPRESENTATIVE)
        member(community, users[REP], PanelRole.REPRESENTATIVE)
        member(marac, users[COORDINATOR], PanelRole.COORDINATOR)
        member(other, users[OUTSIDER], PanelRole.COORDINATOR)
        panel_services.schedule_meeting(actor=None, panel=marac, held_on=date(2099, 1, 7))
        db.session.commit()
        return World(marac.id, other.id, community.id)


def post(
    client: FlaskClient,
    url: str,
    data: dict[str, str] | list[tuple[str, str]],
    token_from: str | None = None,
) -> object:
    """POST as a browser would, with the CSRF token of the form's page (or `token_from`)."""
    page = client.get(token_from or url)
    assert page.status_code == 200, (url, page.status_code)
    pairs = list(data.items()) if isinstance(data, dict) else list(data)
    return client.post(url, data=MultiDict([("csrf_token", csrf_token(page.text)), *pairs]))


def text(response: object) -> str:
    return html.unescape(response.text)  # type: ignore[attr-defined]


def start(client: FlaskClient, panel_id: int) -> int:
    response = post(client, "/referrals/new", {"panel_id": str(panel_id)})
    assert response.status_code == 302  # type: ignore[attr-defined]
    return int(response.location.rsplit("/", 1)[1])  # type: ignore[attr-defined]


def fill_marac(client: FlaskClient, referral: int, *, yes: int = 15) -> None:
    base = f"/referrals/{referral}"
    ok = [
        post(client, f"{base}/sections/about", [("referred_on", d) for d in ("3", "11", "2026")]),
        post(
            client,
            f"{base}/people/add/victim",
            [
                ("given_names", "Wren"),
                ("family_name", "Talbothay"),
                *[("date_of_birth", d) for d in ("14", "5", "1988")],
                ("aliases", "Wren Ashby"),
            ],
        ),
        post(
            client,
            f"{base}/people/add/perpetrator",
            [
                ("given_names", "Corin"),
                ("family_name", "Maddox"),
                *[("date_of_birth", d) for d in ("2", "2", "1985")],
                ("relationship", "Ex-partner"),
            ],
        ),
        post(client, f"{base}/sections/safety", {"safe_to_call": "yes", "safe_times": "Mornings"}),
        post(
            client,
            f"{base}/sections/diversity",
            {"gender": "female", "minoritised": "not_known", "disabled": "no", "lgbt": "not_known"},
        ),
        post(client, f"{base}/sections/reasons", {"criteria": "visible_high_risk"}),
        post(client, f"{base}/sections/risk", dash_form(yes)),
        post(client, f"{base}/sections/consent", {"consent_given": "yes", "victim_aware": "yes"}),
    ]
    assert [r.status_code for r in ok] == [302] * len(ok), [
        text(r)[:2000] for r in ok if r.status_code != 302
    ]  # type: ignore[attr-defined]


def sent_by_rep(app: Flask, sign_in: SignIn, panel_id: int, **fill: int) -> tuple[FlaskClient, int]:
    """A representative's client and a complete MARAC referral they have sent."""
    rep = app.test_client()
    sign_in(rep, REP)
    referral_id = start(rep, panel_id)
    fill_marac(rep, referral_id, **fill)
    post(rep, f"/referrals/{referral_id}/check", {})
    return rep, referral_id


def accepted_by_coordinator(
    app: Flask, client: FlaskClient, sign_in: SignIn, panel_id: int
) -> tuple[FlaskClient, int]:
    """A referral sent by the representative and accepted by the coordinator on `client`."""
    rep, referral_id = sent_by_rep(app, sign_in, panel_id)
    sign_in(client, COORDINATOR)
    post(client, f"/referrals/{referral_id}/screen", {"decision": "accept"})
    return rep, referral_id


def onward(app: Flask) -> list[tuple[str, str]]:
    """A transfer's sharing decision (R7, R8): its lawful basis, consent, and the referring
    agency's agreement to onward disclosure."""
    with app.app_context():
        idva = db.session.scalar(
            select(Organisation.id).where(Organisation.name == "Holloway Lane IDVA Service")
        )
    return [
        ("lawful_basis", "public_task_safeguarding"),
        ("consent", "not_sought_unsafe"),
        ("agreed", str(idva)),
    ]


def dash_form(yes: int) -> list[tuple[str, str]]:
    fields = [("tool", "dash"), ("with_victim", "yes")]
    for i in range(24):
        fields += [(f"answer_{i}", "yes" if i < yes else "not_known"), (f"source_{i}", "victim")]
    return fields


def referral(app: Flask, referral_id: int) -> Referral:
    with app.app_context():
        found = db.session.get(Referral, referral_id)
        assert found is not None
        db.session.expunge_all()
        return found


def test_a_representative_drafts_and_sends_a_marac_referral(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    sign_in(client, REP)
    referral_id = start(client, world.marac)
    tasks = text(client.get(f"/referrals/{referral_id}"))
    assert "You have completed 0 of 7 sections" in tasks
    fill_marac(client, referral_id)
    check = text(client.get(f"/referrals/{referral_id}/check"))
    for shown in (
        "Wren Talbothay",
        "Also known as Wren Ashby",
        "15 “yes” answers of 24",
        "Ex-partner",
    ):
        assert shown in check
    sent = post(client, f"/referrals/{referral_id}/check", {})
    assert sent.status_code == 302  # type: ignore[attr-defined]
    assert referral(app, referral_id).status is ReferralStatus.SUBMITTED
    page = text(client.get(f"/referrals/{referral_id}"))
    assert "Awaiting screening" in page
    assert client.get(f"/referrals/{referral_id}/sections/about").status_code == 404


def test_sending_an_incomplete_referral_lists_what_to_finish(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    sign_in(client, REP)
    referral_id = start(client, world.marac)
    response = post(client, f"/referrals/{referral_id}/check", {})
    page = text(response)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "There is a problem" in page
    assert "Complete the section ‘People’" in page
    assert 'href="#section-people"' in page
    assert referral(app, referral_id).status is ReferralStatus.DRAFT


def test_under_16_victim_is_explained_on_check_answers(
    client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    """E15: the message points to children's safeguarding."""
    sign_in(client, REP)
    referral_id = start(client, world.marac)
    fill_marac(client, referral_id)
    # Replace the victim with a 14-year-old.
    post(
        client,
        f"/referrals/{referral_id}/people/1/remove",
        {},
        token_from=f"/referrals/{referral_id}/people",
    )
    post(
        client,
        f"/referrals/{referral_id}/people/add/victim",
        [
            ("given_names", "Ash"),
            ("family_name", "Merrow"),
            *[("date_of_birth", d) for d in ("1", "1", "2012")],
        ],
    )
    page = text(post(client, f"/referrals/{referral_id}/check", {}))
    assert "MARAC is for victims aged 16 or over" in page


def test_section_errors_keep_what_was_typed_and_save_nothing(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    sign_in(client, REP)
    referral_id = start(client, world.marac)
    base = f"/referrals/{referral_id}"
    response = post(
        client,
        f"{base}/sections/about",
        [
            ("referred_on", "31"),
            ("referred_on", "2"),
            ("referred_on", "2026"),
            ("referrer_phone", "01632 960123"),
        ],
    )
    page = text(response)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "Date of referral must be a real date" in page
    assert "01632 960123" in page
    consent = text(
        post(client, f"{base}/sections/consent", {"consent_given": "no", "victim_aware": "yes"})
    )
    assert "Explain why the information is shared without the victim’s consent" in consent
    risk = text(
        post(
            client,
            f"{base}/sections/risk",
            [("tool", "dash"), ("with_victim", "yes"), ("answer_0", "yes")],
        )
    )
    assert "Answer question 2: yes, no or not known" in risk
    forged = text(post(client, f"{base}/sections/reasons", {"criteria": "made_up"}))
    assert "Select reasons from the list" in forged
    person = text(post(client, f"{base}/people/add/victim", {"aliases": "Someone"}))
    assert "Enter the person’s first or last name" in person
    assert "Someone" in person
    with app.app_context():
        stored = db.session.get(Referral, referral_id)
        assert stored is not None
        assert stored.answers == "{}"


def test_only_the_referrer_opens_a_draft_and_only_coordinators_screen(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn, accounts: Accounts
) -> None:
    sign_in(client, REP)
    referral_id = start(client, world.marac)
    fill_marac(client, referral_id)
    post(client, f"/referrals/{referral_id}/check", {})
    assert client.get(f"/referrals/{referral_id}/screen").status_code == 404
    client.get("/sign-out")
    outsider = app.test_client()
    sign_in(outsider, OUTSIDER)
    for url in (
        f"/referrals/{referral_id}",
        f"/referrals/{referral_id}/screen",
        f"/referrals/{referral_id}/check",
        "/referrals/999999",
    ):
        assert outsider.get(url).status_code == 404, url
    with app.app_context():
        denied = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.ACCESS_DENIED)
        ).all()
        assert {e.object_id for e in denied} >= {str(referral_id), "999999"}


def test_the_coordinator_screens_matches_and_a_repeat_joins_the_case(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    rep, first = sent_by_rep(app, sign_in, world.marac)
    coordinator = app.test_client()
    sign_in(coordinator, COORDINATOR)
    assert f"/referrals/{first}/screen" in coordinator.get("/referrals").text
    accepted = post(coordinator, f"/referrals/{first}/screen", {"decision": "accept"})
    assert accepted.status_code == 302  # type: ignore[attr-defined]
    case_id = referral(app, first).case_id
    assert case_id is not None

    second = start(rep, world.marac)
    fill_marac(rep, second, yes=2)
    post(rep, f"/referrals/{second}/sections/reasons", {"criteria": "repeat"})
    post(rep, f"/referrals/{second}/check", {})
    screen = text(coordinator.get(f"/referrals/{second}/screen"))
    assert "Wren Talbothay, born 14 May 1988 (likely match)" in screen
    with app.app_context():
        people = {link.role.value: link.person_id for link in db.session.get(Case, case_id).people}
    unanswered = post(coordinator, f"/referrals/{second}/screen", {"decision": "accept"})
    assert "Say whether Wren Talbothay is someone already known" in text(unanswered)
    done = post(
        coordinator,
        f"/referrals/{second}/screen",
        {
            "decision": "accept",
            "match-1": str(people["victim"]),
            "match-2": str(people["perpetrator"]),
        },
    )
    assert done.status_code == 302  # type: ignore[attr-defined]
    again = referral(app, second)
    assert (again.case_id, again.is_repeat, again.repeat_of_id) == (case_id, True, first)


def test_return_and_reject_need_a_reason(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    rep = app.test_client()
    sign_in(rep, REP)
    referral_id = start(rep, world.marac)
    fill_marac(rep, referral_id, yes=3)
    post(rep, f"/referrals/{referral_id}/sections/reasons", {"criteria": "repeat"})
    post(rep, f"/referrals/{referral_id}/check", {})
    sign_in(client, COORDINATOR)
    page = text(post(client, f"/referrals/{referral_id}/screen", {"decision": "return"}))
    assert "Enter the reason" in page
    returned = post(
        client,
        f"/referrals/{referral_id}/screen",
        {"decision": "return", "reason": "Add the children"},
    )
    assert returned.status_code == 302  # type: ignore[attr-defined]
    assert referral(app, referral_id).status is ReferralStatus.RETURNED
    tasks = text(rep.get(f"/referrals/{referral_id}"))
    assert "The coordinator returned this referral: Add the children" in tasks


def test_listing_at_a_meeting_and_the_meeting_page(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    _, referral_id = accepted_by_coordinator(app, client, sign_in, world.marac)
    with app.app_context():
        meeting_id = db.session.scalar(select(Meeting.id).where(Meeting.panel_id == world.marac))
    listed = post(client, f"/referrals/{referral_id}/list", {"meeting_id": str(meeting_id)})
    assert listed.status_code == 302  # type: ignore[attr-defined]
    assert referral(app, referral_id).status is ReferralStatus.LISTED
    meeting_page = text(client.get(f"/meetings/{meeting_id}"))
    assert "1 case listed" in meeting_page
    post(client, f"/referrals/{referral_id}/heard", {}, token_from="/referrals")
    early = text(client.get(f"/referrals/{referral_id}"))
    assert "only be marked as heard on or after its meeting date" in early


def test_coordinators_add_meetings_with_clear_errors(
    client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    sign_in(client, COORDINATOR)
    # Within the form's range: a year back, two years ahead (issue 21).
    soon = uk_today() + timedelta(days=30)
    missing = text(post(client, "/meetings", {"panel_id": str(world.marac), "kind": "scheduled"}))
    assert "Enter the date of the meeting" in missing
    forged = text(
        post(
            client,
            "/meetings",
            [
                ("panel_id", str(world.other_marac)),
                ("kind", "scheduled"),
                *[("held_on", str(d)) for d in (soon.day, soon.month, soon.year)],
            ],
        )
    )
    assert "Not a valid choice" not in forged
    assert "There is a problem" in forged
    added = post(
        client,
        "/meetings",
        [
            ("panel_id", str(world.marac)),
            ("kind", "emergency"),
            *[("held_on", str(d)) for d in (soon.day, soon.month, soon.year)],
        ],
    )
    assert added.status_code == 302  # type: ignore[attr-defined]


def test_a_case_is_transferred_to_another_areas_marac(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    rep, referral_id = accepted_by_coordinator(app, client, sign_in, world.marac)
    case_id = referral(app, referral_id).case_id
    assert rep.get(f"/cases/{case_id}/transfer").status_code == 404  # representatives cannot
    form = text(client.get(f"/cases/{case_id}/transfer"))
    assert "Eastmere" in form
    missing = text(
        post(client, f"/cases/{case_id}/transfer", {"to_panel_id": str(world.other_marac)})
    )
    assert "Enter the reason for the transfer" in missing
    moved = post(
        client,
        f"/cases/{case_id}/transfer",
        [
            ("to_panel_id", str(world.other_marac)),
            ("reason", "Moved area"),
            *[("transferred_on", d) for d in ("10", "11", "2026")],
            *onward(app),
        ],
    )
    assert moved.status_code == 302  # type: ignore[attr-defined]
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case is not None
        assert case.panel_id == world.other_marac
    assert client.get(f"/cases/{case_id}").status_code == 404


def test_starting_needs_a_panel_you_sit_on(
    client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    sign_in(client, REP)
    nothing = text(post(client, "/referrals/new", {}))
    assert "Select the panel" in nothing
    forged = text(post(client, "/referrals/new", {"panel_id": str(world.other_marac)}))
    assert "Select the panel" in forged
    assert "Not a valid choice" not in forged


def test_a_forged_meeting_is_refused_with_a_message(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    _, referral_id = accepted_by_coordinator(app, client, sign_in, world.marac)
    page = text(post(client, f"/referrals/{referral_id}/list", {"meeting_id": "424242"}))
    assert "Select a meeting" in page
    assert referral(app, referral_id).status is ReferralStatus.ACCEPTED


def test_a_forged_identity_match_is_refused_and_nothing_is_saved(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    _, referral_id = sent_by_rep(app, sign_in, world.marac)
    sign_in(client, COORDINATOR)
    with app.app_context():
        people_before = db.session.scalar(select(func.count()).select_from(Person))
    page = text(
        post(
            client,
            f"/referrals/{referral_id}/screen",
            {"decision": "accept", "match-1": "new", "match-2": "999999"},
        )
    )
    assert "Say whether Corin Maddox is someone already known or a new person" in page
    assert referral(app, referral_id).status is ReferralStatus.SUBMITTED
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Person)) == people_before


def test_every_page_showing_a_referral_records_a_read(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    def reads() -> int:
        with app.app_context():
            return len(
                db.session.scalars(
                    select(AuditEvent).where(AuditEvent.action == AuditAction.REFERRAL_VIEWED)
                ).all()
            )

    sign_in(client, REP)
    referral_id = start(client, world.marac)
    pages = ["", "/people", "/sections/about", "/sections/risk", "/check"]
    for number, page in enumerate(pages, start=1):
        assert client.get(f"/referrals/{referral_id}{page}").status_code == 200
        assert reads() == number, page


def test_after_a_transfer_only_the_receiving_panel_sees_the_referrals(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    rep, referral_id = accepted_by_coordinator(app, client, sign_in, world.marac)
    case_id = referral(app, referral_id).case_id
    moved = post(
        client,
        f"/cases/{case_id}/transfer",
        [("to_panel_id", str(world.other_marac)), ("reason", "Moved area")]
        + [("transferred_on", d) for d in ("10", "11", "2026")]
        + onward(app),
    )
    assert moved.status_code == 302  # type: ignore[attr-defined]
    assert client.get(f"/referrals/{referral_id}").status_code == 404
    assert rep.get(f"/referrals/{referral_id}").status_code == 404
    receiving = app.test_client()
    sign_in(receiving, OUTSIDER)
    assert receiving.get(f"/referrals/{referral_id}").status_code == 200


def test_coordinators_do_not_see_drafts(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    rep = app.test_client()
    sign_in(rep, REP)
    referral_id = start(rep, world.marac)
    sign_in(client, COORDINATOR)
    assert client.get(f"/referrals/{referral_id}").status_code == 404


def test_a_forged_twenty_digit_day_is_a_message_not_an_error(
    client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    sign_in(client, REP)
    referral_id = start(client, world.marac)
    page = post(
        client,
        f"/referrals/{referral_id}/sections/about",
        [("referred_on", "99999999999999999999"), ("referred_on", "1"), ("referred_on", "2026")],
    )
    assert page.status_code == 200  # type: ignore[attr-defined]
    assert "Date of referral must be a real date" in text(page)


def test_withdrawing_someone_elses_referral_is_a_recorded_404(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    _, referral_id = sent_by_rep(app, sign_in, world.marac)
    sign_in(client, COORDINATOR)
    response = post(client, f"/referrals/{referral_id}/withdraw", {}, token_from="/referrals")
    assert response.status_code == 404  # type: ignore[attr-defined]
    with app.app_context():
        denied = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.ACCESS_DENIED)
        ).all()
        assert str(referral_id) in {event.object_id for event in denied}


def test_a_returned_referral_s_reason_ends_in_one_full_stop(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    """Issue 25: a reason typed with its own full stop read "…children.. Change what…"."""
    rep, referral_id = sent_by_rep(app, sign_in, world.marac)
    sign_in(client, COORDINATOR)
    returned = post(
        client,
        f"/referrals/{referral_id}/screen",
        {"decision": "return", "reason": "Add the children and their schools."},
    )
    assert returned.status_code == 302  # type: ignore[attr-defined]
    tasks = text(rep.get(f"/referrals/{referral_id}"))
    assert "returned this referral: Add the children and their schools. Change what" in tasks
    assert ".." not in tasks


@pytest.mark.parametrize(
    ("panel_type", "rule", "not_shown"),
    [
        (
            PanelType.MARAC,
            "a referral about the same victim and perpetrator joins their case",
            "about the same person joins",
        ),
        (
            PanelType.COMMUNITY_MARAC,
            "a referral about the same person joins their case",
            "same victim and perpetrator",
        ),
    ],
)
def test_screening_explains_the_panel_type_s_own_rule_for_joining_a_case(
    app: Flask,
    client: FlaskClient,
    world: World,
    sign_in: SignIn,
    panel_type: PanelType,
    rule: str,
    not_shown: str,
) -> None:
    """Issue 25: Community MARAC screening stated MARAC's rule (domain §2.5: other panels keep
    one case per person at its centre)."""
    panel_id = world.marac if panel_type is PanelType.MARAC else world.community
    with app.test_request_context():
        users = {u.email: u for u in db.session.scalars(select(User))}
        on = db.session.get(Panel, panel_id)
        assert on is not None
        if panel_type is PanelType.COMMUNITY_MARAC:
            member(on, users[COORDINATOR], PanelRole.COORDINATOR)
        answers = marac_answers(referred_on=date(2026, 11, 3))
        answers[FormSection.REASONS] = {
            "criteria": [on.spec.criteria[0].value],
        }
        if panel_type is PanelType.COMMUNITY_MARAC:
            answers[FormSection.PEOPLE] = {"people": [victim()]}
            answers[FormSection.RISK] = {
                "tool": "asb_risk_matrix",
                "items": [{"answer": "yes"}] * 3 + [{"answer": "no"}] * 5,
            }
        referral_id = submitted(users[REP], on, answers).id
        db.session.commit()
    sign_in(client, COORDINATOR)
    page = client.get(f"/referrals/{referral_id}/screen")
    assert page.status_code == 200
    assert rule in text(page)
    assert not_shown not in text(page)


def test_the_screening_page_shows_the_referral_before_the_decision(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    """Issue 25: a coordinator decides after reading, so the referral's content comes first."""
    _, referral_id = sent_by_rep(app, sign_in, world.marac)
    sign_in(client, COORDINATOR)
    page = text(client.get(f"/referrals/{referral_id}/screen"))
    content = page.index("The referral</h2>")
    assert content < page.index("Talbothay")  # the victim's name, in the answers
    assert page.index("Talbothay") < page.index("Who is this?")
    assert page.index("Who is this?") < page.index("Your decision")
