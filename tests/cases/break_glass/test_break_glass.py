"""Emergency ("break-glass") access, security R19: someone on a case's panel with no normal
relationship to it gets short, loud, recorded access only by giving a reason; the case's
coordinators are alerted (by reference only) and review it afterwards. Every refusal reads the
same, so the form is no way to learn which cases exist."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import pyotp
import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text as sql

from app.accounts.models import User
from app.auth.seeds import totp_secret
from app.database import db
from app.database import utcnow
from app.errors import DomainError
from app.extensions import limiter
from audit.models import AuditAction
from audit.models import AuditEvent
from audit.models import Outcome
from cases.break_glass import services as break_glass
from cases.break_glass.forms import CANNOT
from cases.break_glass.models import BreakGlassGrant
from cases.break_glass.models import BreakGlassReason
from cases.break_glass.models import BreakGlassReview
from cases.break_glass.models import CaseAlert
from cases.models import Case
from cases.referrals import services as referrals
from cases.restrictions.models import CaseRestriction
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.settings import InvalidSettings
from panels.settings import PanelSettings
from tests.cases.referrals.test_referral_pages import post
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.referral_fixtures import marac_answers
from tests.referral_fixtures import member
from tests.referral_fixtures import panel as make_panel
from tests.referral_fixtures import perpetrator
from tests.referral_fixtures import submitted
from tests.referral_fixtures import victim

COORDINATOR = "cora@test.example"
DEPUTY = "dev@test.example"
LAPSED = "lapsed@test.example"
REP = "rhian@test.example"
OTHER_REP = "otto@test.example"
ELSEWHERE = "elsewhere@test.example"

# A victim name found nowhere else: it must never reach an alert, the alerts page or a review.
CANARY_GIVEN, CANARY_FAMILY = "Zephyrine", "Quillfeather"
REASON = "Police report a threat to her life tonight and the coordinator cannot be reached"
# Midwinter, so UK time is UTC and the banner's HH:MM reads the same as here.
START = datetime(2027, 1, 15, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    case_id: int
    reference: str
    restricted_id: int
    other_panel_case_id: int
    other_panel_reference: str
    panel_id: int
    coordinator_ids: tuple[int, ...]
    lapsed_id: int


def _accepted_case(actor: User, on: Panel, *, given: str, family: str) -> Case:
    referral = submitted(
        actor,
        on,
        marac_answers(
            referred_on=date(2026, 11, 3),
            people=[victim(given, family), perpetrator()],
        ),
    )
    return referrals.accept_referral(
        referral, actor=actor, matches=[None, None], today=date(2026, 11, 4)
    ).case


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> World:
    """A Thornbury MARAC with two coordinators in force (and one whose agency's ISP signature
    is missing), two representatives of an IDVA service that referred nothing, and a MARAC
    elsewhere. The IDVA representatives sit on the panel but see none of its cases."""
    cora = accounts.user(COORDINATOR, organisation="Thornbury Vale Council", name="Cora Lindqvist")
    dev = accounts.user(DEPUTY, organisation="Thornbury Vale Council", name="Dev Okafor")
    lapsed = accounts.user(LAPSED, organisation="Thornbury Housing", name="Lars Penhallow")
    rep = accounts.user(REP, organisation="Holloway Lane IDVA Service", name="Rhian Penrose")
    other = accounts.user(OTHER_REP, organisation="Holloway Lane IDVA Service", name="Otto Brisk")
    away = accounts.user(ELSEWHERE, organisation="Eastmere Police", name="Elias Marsh")
    with app.test_request_context():
        users = {u.id: u for u in db.session.scalars(select(User))}
        home, elsewhere = make_panel("Thornbury Vale"), make_panel("Eastmere")
        member(home, users[cora.id], PanelRole.COORDINATOR)
        member(home, users[dev.id], PanelRole.COORDINATOR)
        member(home, users[rep.id], PanelRole.REPRESENTATIVE)
        member(home, users[other.id], PanelRole.REPRESENTATIVE)
        member(elsewhere, users[away.id], PanelRole.COORDINATOR)
        # On the panel, but their agency never signed its ISP: not in force, so not alerted.
        db.session.add(
            PanelMembership(panel=home, user=users[lapsed.id], role=PanelRole.COORDINATOR)
        )
        case = _accepted_case(users[cora.id], home, given=CANARY_GIVEN, family=CANARY_FAMILY)
        restricted = _accepted_case(users[cora.id], home, given="Ffion", family="Marrowby")
        db.session.add(
            CaseRestriction(
                case_id=restricted.id,
                organisation_id=users[rep.id].organisation_id,
                placed_by_id=cora.id,
            )
        )
        far = _accepted_case(users[away.id], elsewhere, given="Isolde", family="Brackwater")
        db.session.commit()
        return World(
            case.id,
            case.reference,
            restricted.id,
            far.id,
            far.reference,
            home.id,
            (cora.id, dev.id),
            lapsed.id,
        )


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def text(response: object) -> str:
    return html.unescape(response.text)  # type: ignore[attr-defined]


def signed_in(app: Flask, sign_in: SignIn, email: str) -> FlaskClient:
    client = sign_in(app.test_client(), email)
    client.email = email  # type: ignore[attr-defined]
    return client


def fresh_code(app: Flask, email: str) -> str:
    """The person's current security code, as their authenticator shows it, usable again
    (sign-in spent this time step's code), for `ask` to type as the form asks for it."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None
        user.totp_last_step = None
        db.session.commit()
        return pyotp.TOTP(totp_secret(user)).at(utcnow().timestamp())


def ask(
    client: FlaskClient,
    reference: str,
    reason: str = REASON,
    code: str = BreakGlassReason.IMMEDIATE_RISK.value,
    security_code: str | None = None,
) -> object:
    if security_code is None:
        security_code = fresh_code(client.application, client.email)  # type: ignore[attr-defined]
    return post(
        client,
        "/emergency-access",
        {"reference": reference, "reason_code": code, "reason": reason, "code": security_code},
    )


def last_sequence(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(AuditEvent.sequence))) or 0


def events_since(app: Flask, sequence: int) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.sequence > sequence).order_by(AuditEvent.sequence)
        ).all()
        db.session.expunge_all()
        return list(rows)


def grants(app: Flask) -> list[BreakGlassGrant]:
    with app.app_context():
        rows = db.session.scalars(select(BreakGlassGrant).order_by(BreakGlassGrant.id)).all()
        db.session.expunge_all()
        return list(rows)


def alert_rows(app: Flask) -> list[tuple[int, int, int | None, str, datetime | None]]:
    with app.app_context():
        return [
            (a.recipient_id, a.case_id, a.grant_id, a.kind, a.read_at)
            for a in db.session.scalars(select(CaseAlert).order_by(CaseAlert.recipient_id))
        ]


def granted(app: Flask, sign_in: SignIn, world: World) -> tuple[FlaskClient, int]:
    """The representative's client, after they broke glass on the case, and the grant's id."""
    rep = signed_in(app, sign_in, REP)
    response = ask(rep, world.reference)
    assert response.status_code == 302, text(response)  # type: ignore[attr-defined]
    return rep, grants(app)[-1].id


# Breaking glass ----------------------------------------------------------------------------


def test_r19_a_representative_who_cannot_see_a_case_breaks_glass_and_sees_it_with_a_banner(
    app: Flask, sign_in: SignIn, world: World, clock: time_machine.Traveller
) -> None:
    rep = signed_in(app, sign_in, REP)
    assert rep.get(f"/cases/{world.case_id}").status_code == 404  # not listed, did not refer

    response = ask(rep, world.reference.lower().replace("-0000", "-"))  # e.g. marac-42

    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response.location == f"/cases/{world.case_id}"  # type: ignore[attr-defined]
    page = rep.get(f"/cases/{world.case_id}")
    assert page.status_code == 200
    shown = text(page)
    assert CANARY_FAMILY in shown  # they really see the case now
    assert "app-emergency-banner" in shown
    assert f"Emergency access to case {world.reference} ends at 14:00 (UK time)." in shown
    assert f"Reason: {BreakGlassReason.IMMEDIATE_RISK.label}." in shown
    assert "Everything you open is recorded" in shown
    assert "End emergency access now" in shown


def test_r19_the_banner_is_not_shown_to_people_who_see_the_case_normally(
    app: Flask, sign_in: SignIn, world: World
) -> None:
    coordinator = signed_in(app, sign_in, COORDINATOR)
    shown = text(coordinator.get(f"/cases/{world.case_id}"))
    assert CANARY_FAMILY in shown
    assert "app-emergency-banner" not in shown


def test_r19_breaking_glass_writes_one_event_and_alerts_each_coordinator_in_force(
    app: Flask, sign_in: SignIn, world: World, clock: time_machine.Traveller
) -> None:
    rep = signed_in(app, sign_in, REP)
    rep.get("/emergency-access")
    before = last_sequence(app)

    ask(rep, world.reference, code=BreakGlassReason.URGENT_SAFEGUARDING.value)

    written = [e for e in events_since(app, before) if e.action != AuditAction.ACCESS_DENIED]
    # The fresh security code (step-up, R13), then the grant.
    assert [e.action for e in written] == [
        AuditAction.TWO_FACTOR_PASSED,
        AuditAction.BREAK_GLASS_STARTED,
    ]
    started = written[1]
    assert (started.object_type, started.object_id) == ("cases", str(world.case_id))
    assert started.purpose == BreakGlassReason.URGENT_SAFEGUARDING.value
    assert "threat" not in (started.changes or "")  # the free text never enters the trail
    (grant,) = grants(app)
    assert grant.started_at == START
    assert grant.expires_at == START + timedelta(hours=4)  # the default time box
    assert grant.reason_code is BreakGlassReason.URGENT_SAFEGUARDING
    # One alert for each coordinator in force; none for the one whose ISP is not signed.
    assert alert_rows(app) == [
        (coordinator, world.case_id, grant.id, "break_glass", None)
        for coordinator in world.coordinator_ids
    ]


def test_r19_the_reason_is_sealed_at_rest(
    app: Flask, sign_in: SignIn, world: World, clock: time_machine.Traveller
) -> None:
    granted(app, sign_in, world)
    with app.app_context():
        stored = db.session.execute(sql("SELECT reason FROM break_glass_grants")).scalar_one()
    assert isinstance(stored, bytes)
    assert b"threat" not in stored


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Explain why you need emergency access to this case"),
        ("   ", "Explain why you need emergency access to this case"),
        ("urgent", "Explain why you need emergency access in at least 3 words"),
        ("x" * 2_001, "Enter 2,000 characters or fewer"),
    ],
)
def test_r19_a_missing_or_thin_reason_is_refused_and_what_was_typed_is_kept(
    app: Flask, sign_in: SignIn, world: World, reason: str, message: str
) -> None:
    rep = signed_in(app, sign_in, REP)
    response = ask(rep, world.reference, reason, BreakGlassReason.EMERGENCY_MEETING.value)
    assert response.status_code == 200  # type: ignore[attr-defined]
    page = text(response)
    assert "There is a problem" in page
    assert page.count(message) == 2  # in the summary and next to the field
    assert f'value="{world.reference}"' in page
    assert re.search(r'value="emergency_meeting"\s+checked', page)
    if reason.strip():
        assert reason in page
    assert grants(app) == []
    assert alert_rows(app) == []


def test_r19_a_reason_code_must_be_chosen(app: Flask, sign_in: SignIn, world: World) -> None:
    rep = signed_in(app, sign_in, REP)
    page = text(ask(rep, world.reference, REASON, code="no_such_code"))
    assert "Select why you need emergency access" in page
    assert REASON in page
    assert grants(app) == []


def test_r19_every_refusal_reads_the_same_and_is_recorded(
    app: Flask, sign_in: SignIn, world: World
) -> None:
    """Another panel's case, a case restricted against the agency (staff as subject), a case
    that does not exist, a wrong prefix and something that is not a reference at all: one
    answer for each, so the form tells nobody which cases exist."""
    rep = signed_in(app, sign_in, REP)
    prefix, number = world.reference.split("-")
    attempts = {
        "other panel": world.other_panel_reference,
        "restricted": f"{prefix}-{world.restricted_id:06d}",
        "missing": f"{prefix}-{world.case_id + 9000:06d}",
        "too large": f"{prefix}-999999999999",
        "wrong prefix": f"CHANNEL-{number}",
        "not a reference": f"{CANARY_GIVEN} {CANARY_FAMILY}",
        "very long": "M" * 41,
    }
    before = last_sequence(app)
    answers = {}
    for name, reference in attempts.items():
        with app.app_context():
            limiter.reset()  # every post counts against the security-code limit
        response = ask(rep, reference)
        assert response.status_code == 200, name  # type: ignore[attr-defined]
        page = text(response)
        errors = re.findall(r'govuk-error-message">\s*<span[^>]*>Error:</span>\s*([^<]+)<', page)
        answers[name] = [error.strip() for error in errors]
    assert set(map(tuple, answers.values())) == {(CANNOT,)}, answers

    denied = [e for e in events_since(app, before) if e.action == AuditAction.ACCESS_DENIED]
    # Each lookup is recorded; a reference too long for the form is never looked up.
    assert len(denied) == len(attempts) - 1
    assert all(e.outcome is Outcome.DENIED for e in denied)
    assert CANARY_FAMILY not in repr([(e.object_id, e.purpose, e.changes) for e in denied])
    assert not any(e.action == AuditAction.BREAK_GLASS_STARTED for e in events_since(app, 0))
    assert grants(app) == []
    # The restricted case and the other panel's case stay closed to them.
    assert rep.get(f"/cases/{world.restricted_id}").status_code == 404
    assert rep.get(f"/cases/{world.other_panel_case_id}").status_code == 404


def test_r19_someone_who_already_sees_the_case_is_not_given_a_grant(
    app: Flask, sign_in: SignIn, world: World
) -> None:
    coordinator = signed_in(app, sign_in, COORDINATOR)
    assert CANNOT in text(ask(coordinator, world.reference))
    assert grants(app) == []


# Ending ------------------------------------------------------------------------------------


def test_r19_access_ends_by_itself_when_its_time_is_up(
    app: Flask, sign_in: SignIn, world: World, clock: time_machine.Traveller
) -> None:
    rep, _ = granted(app, sign_in, world)
    assert rep.get(f"/cases/{world.case_id}").status_code == 200
    clock.move_to(START + timedelta(hours=3, minutes=59))
    rep = signed_in(app, sign_in, REP)  # the idle timeout ended the old session
    assert rep.get(f"/cases/{world.case_id}").status_code == 200
    before = last_sequence(app)

    clock.move_to(START + timedelta(hours=4, minutes=1))
    rep = signed_in(app, sign_in, REP)
    assert rep.get(f"/cases/{world.case_id}").status_code == 404

    ended = [e for e in events_since(app, before) if e.action == AuditAction.BREAK_GLASS_ENDED]
    assert len(ended) == 1
    assert '"expired"' in (ended[0].changes or "")
    assert ended[0].object_id == str(world.case_id)
    (grant,) = grants(app)
    assert grant.ended_at == START + timedelta(hours=4)  # when it ran out, not when noticed
    # The next request finds nothing more to end: still exactly one end event.
    rep.get("/cases")
    assert [e.action for e in events_since(app, 0)].count(AuditAction.BREAK_GLASS_ENDED) == 1


def test_r19_the_holder_ends_access_early(
    app: Flask, sign_in: SignIn, world: World, clock: time_machine.Traveller
) -> None:
    rep, grant_id = granted(app, sign_in, world)
    clock.move_to(START + timedelta(minutes=20))
    before = last_sequence(app)

    response = post(rep, f"/emergency-access/{grant_id}/end", {}, token_from="/cases")

    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response.location == "/cases"  # type: ignore[attr-defined]
    assert f"Your emergency access to case {world.reference} has ended" in text(rep.get("/cases"))
    assert rep.get(f"/cases/{world.case_id}").status_code == 404
    ended = [e for e in events_since(app, before) if e.action == AuditAction.BREAK_GLASS_ENDED]
    assert len(ended) == 1
    assert '"by user"' in (ended[0].changes or "")
    (grant,) = grants(app)
    assert grant.ended_at == START + timedelta(minutes=20)
    # Ending it again (a second click, an old tab) says so; nothing more is recorded.
    before = last_sequence(app)
    again = post(rep, f"/emergency-access/{grant_id}/end", {}, token_from="/cases")
    assert again.status_code == 302  # type: ignore[attr-defined]
    assert "has already ended" in text(rep.get("/cases"))
    assert AuditAction.BREAK_GLASS_ENDED not in [e.action for e in events_since(app, before)]


def test_r19_nobody_else_can_end_someone_s_grant(
    app: Flask, sign_in: SignIn, world: World, clock: time_machine.Traveller
) -> None:
    _, grant_id = granted(app, sign_in, world)
    colleague = signed_in(app, sign_in, OTHER_REP)
    before = last_sequence(app)
    response = post(colleague, f"/emergency-access/{grant_id}/end", {}, token_from="/cases")
    assert response.status_code == 404  # type: ignore[attr-defined]
    assert grants(app)[0].ended_at is None
    denied = [e for e in events_since(app, before) if e.action == AuditAction.ACCESS_DENIED]
    assert [(e.object_type, e.object_id) for e in denied] == [("break_glass_grants", str(grant_id))]


# Alerts and review -------------------------------------------------------------------------


def test_r19_coordinators_see_their_alerts_and_review_the_access(
    app: Flask, sign_in: SignIn, world: World, clock: time_machine.Traveller
) -> None:
    _, grant_id = granted(app, sign_in, world)
    clock.move_to(START + timedelta(hours=5))
    coordinator = signed_in(app, sign_in, COORDINATOR)
    assert "Alerts (1 unread)" in text(coordinator.get("/"))
    before = last_sequence(app)

    alerts = text(coordinator.get("/alerts"))

    assert world.reference in alerts
    assert "Review needed" in alerts
    assert f"/alerts/{grant_id}/review" in alerts
    assert [e.action for e in events_since(app, before)] == [AuditAction.ALERTS_VIEWED]
    review = text(coordinator.get(f"/alerts/{grant_id}/review"))
    for shown in (
        "Rhian Penrose, Holloway Lane IDVA Service",
        BreakGlassReason.IMMEDIATE_RISK.label,
        REASON,
        "15 January 2027 at 10am to 15 January 2027 at 2pm (time ran out)",
    ):
        assert shown in review
    before = last_sequence(app)

    response = post(
        coordinator,
        f"/alerts/{grant_id}/review",
        {"outcome": "justified", "note": "Confirmed with the police SPOC: a real emergency"},
    )

    assert response.status_code == 302  # type: ignore[attr-defined]
    written = events_since(app, before)
    # Reading the form's page, then the review itself: one event each.
    assert [e.action for e in written] == [
        AuditAction.ALERTS_VIEWED,
        AuditAction.BREAK_GLASS_REVIEWED,
    ]
    assert '"justified"' in (written[1].changes or "")
    assert "SPOC" not in repr([(e.changes, e.purpose) for e in written])
    (grant,) = grants(app)
    assert grant.review_outcome is BreakGlassReview.JUSTIFIED
    assert grant.reviewed_by_id == world.coordinator_ids[0]
    # Both coordinators' alerts are read once one of them has reviewed it.
    assert all(read_at is not None for *_, read_at in alert_rows(app))
    assert "Alerts (0 unread)" in text(coordinator.get("/alerts"))
    reviewed = text(coordinator.get(f"/alerts/{grant_id}/review"))
    assert "This emergency access has been reviewed" in reviewed
    assert "Confirmed with the police SPOC" in reviewed
    with app.app_context():
        stored = db.session.execute(sql("SELECT review_note FROM break_glass_grants")).scalar_one()
    assert isinstance(stored, bytes)
    assert b"SPOC" not in stored


def test_r19_a_review_needs_an_outcome_and_a_note_and_keeps_what_was_typed(
    app: Flask, sign_in: SignIn, world: World
) -> None:
    _, grant_id = granted(app, sign_in, world)
    coordinator = signed_in(app, sign_in, DEPUTY)
    url = f"/alerts/{grant_id}/review"
    page = text(post(coordinator, url, {"outcome": "not_justified", "note": "  "}))
    assert "Enter a note about your review" in page
    assert re.search(r'value="not_justified"\s+checked', page)
    page = text(post(coordinator, url, {"note": "Spoke to the IDVA manager"}))
    assert "Select whether the emergency access was justified" in page
    assert "Spoke to the IDVA manager" in page
    assert grants(app)[0].reviewed_at is None


@pytest.mark.parametrize("who", [REP, OTHER_REP, ELSEWHERE, LAPSED])
def test_r19_only_a_coordinator_of_the_case_s_panel_may_review(
    app: Flask, sign_in: SignIn, world: World, who: str
) -> None:
    """The holder, a fellow representative, another panel's coordinator and a coordinator
    whose agency's ISP signature is missing all get the same recorded 404."""
    _, grant_id = granted(app, sign_in, world)
    client = signed_in(app, sign_in, who)
    before = last_sequence(app)
    assert client.get(f"/alerts/{grant_id}/review").status_code == 404
    token = html.unescape(client.get("/alerts").text)
    assert world.reference not in token  # their alerts page lists nothing of it
    denied = [e for e in events_since(app, before) if e.action == AuditAction.ACCESS_DENIED]
    assert [(e.object_type, e.object_id) for e in denied] == [("break_glass_grants", str(grant_id))]
    assert grants(app)[0].reviewed_at is None


def test_r19_alerts_hold_no_personal_data(
    app: Flask, sign_in: SignIn, world: World, clock: time_machine.Traveller
) -> None:
    _, grant_id = granted(app, sign_in, world)
    with app.app_context():
        rows = db.session.execute(sql("SELECT * FROM case_alerts")).all()
    assert rows
    for row in rows:
        assert CANARY_FAMILY not in repr(row)
        assert CANARY_GIVEN not in repr(row)
        assert "threat" not in repr(row)
    coordinator = signed_in(app, sign_in, COORDINATOR)
    for url in ("/alerts", f"/alerts/{grant_id}/review", "/"):
        page = text(coordinator.get(url))
        assert CANARY_FAMILY not in page, url
        assert CANARY_GIVEN not in page, url
    assert REASON not in text(coordinator.get("/alerts"))


def test_r19_the_navigation_offers_alerts_to_coordinators_only(
    app: Flask, sign_in: SignIn, world: World
) -> None:
    assert "Alerts (0 unread)" in text(signed_in(app, sign_in, COORDINATOR).get("/"))
    rep = signed_in(app, sign_in, REP)
    assert "Alerts (" not in text(rep.get("/"))
    cases_page = text(rep.get("/cases"))
    assert 'href="/emergency-access">Emergency access</a>' in cases_page


# The time box is the panel's setting -------------------------------------------------------


def test_r19_the_panel_s_break_glass_hours_set_the_time_box(app: Flask, world: World) -> None:
    with app.test_request_context():
        panel = db.session.get_one(Panel, world.panel_id)
        panel.local_settings = PanelSettings(break_glass_hours=2).to_json()
        rep = db.session.scalar(select(User).where(User.email == REP))
        assert rep is not None
        case = db.session.get_one(Case, world.case_id)
        grant = break_glass.start(
            actor=rep,
            case=case,
            reason_code=BreakGlassReason.COVERING_ABSENT_COLLEAGUE,
            reason=REASON,
            now=START,
        )
        assert grant.expires_at == START + timedelta(hours=2)


def test_r19_a_holder_cannot_review_their_own_access(app: Flask, world: World) -> None:
    with app.test_request_context():
        rep = db.session.scalar(select(User).where(User.email == REP))
        assert rep is not None
        case = db.session.get_one(Case, world.case_id)
        grant = break_glass.start(
            actor=rep,
            case=case,
            reason_code=BreakGlassReason.IMMEDIATE_RISK,
            reason=REASON,
            now=START,
        )
        with pytest.raises(DomainError, match="Someone else must review"):
            break_glass.review(
                grant, actor=rep, outcome=BreakGlassReview.JUSTIFIED, note="Fine by me"
            )


# Issue 26: emergency access is no way to browse ---------------------------------------------


def _hidden_cases(app: Flask, world: World, count: int) -> list[int]:
    """More cases of the home panel that the representative cannot see."""
    with app.test_request_context():
        panel = db.session.get_one(Panel, world.panel_id)
        cora = db.session.scalar(select(User).where(User.email == COORDINATOR))
        assert cora is not None
        ids = [
            _accepted_case(cora, panel, given=f"Wren{n}", family="Ashgrove").id
            for n in range(count)
        ]
        db.session.commit()
        return ids


def _set_limits(app: Flask, world: World, **limits: int) -> None:
    with app.app_context():
        panel = db.session.get_one(Panel, world.panel_id)
        panel.local_settings = PanelSettings().with_changes(**limits).to_json()
        db.session.commit()


@dataclass(frozen=True)
class Started:
    id: int
    case_id: int
    user_id: int


def _start(app: Flask, case_id: int, *, at: datetime) -> Started:
    """The representative breaks glass through the service, committing the grant."""
    with app.test_request_context():
        rep = db.session.scalar(select(User).where(User.email == REP))
        assert rep is not None
        grant = break_glass.start(
            actor=rep,
            case=db.session.get_one(Case, case_id),
            reason_code=BreakGlassReason.IMMEDIATE_RISK,
            reason=REASON,
            now=at,
        )
        started = Started(grant.id, grant.case_id, grant.user_id)
        db.session.commit()
        return started


def _refusal(app: Flask, case_id: int, *, at: datetime) -> break_glass.Refused:
    with app.test_request_context():
        rep = db.session.scalar(select(User).where(User.email == REP))
        assert rep is not None
        with pytest.raises(break_glass.Refused) as refused:
            break_glass.start(
                actor=rep,
                case=db.session.get_one(Case, case_id),
                reason_code=BreakGlassReason.IMMEDIATE_RISK,
                reason=REASON,
                now=at,
            )
        db.session.rollback()
        return refused.value


def _kinds(app: Flask, grant_id: int) -> set[str]:
    return {kind for _, _, grant, kind, _ in alert_rows(app) if grant == grant_id}


def test_the_panel_s_limit_on_grants_at_once_refuses_one_more(app: Flask, world: World) -> None:
    _set_limits(app, world, break_glass_at_once=1, break_glass_per_day=3)
    first, second = _hidden_cases(app, world, 2)
    grant = _start(app, first, at=START)

    refused = _refusal(app, second, at=START + timedelta(hours=1))

    assert refused.why == "limit_at_once"
    assert "You already have 1 emergency access running" in refused.message
    assert "ask a coordinator" in refused.message
    assert [g.case_id for g in grants(app)] == [first]
    # Once the first has ended, the next is given.
    with app.test_request_context():
        rep = db.session.get_one(User, grant.user_id)
        break_glass.end(
            db.session.get_one(BreakGlassGrant, grant.id),
            actor=rep,
            now=START + timedelta(hours=1, minutes=30),
        )
        db.session.commit()
    assert _start(app, second, at=START + timedelta(hours=2)).case_id == second


def test_the_panel_s_daily_limit_alerts_when_reached_and_refuses_beyond_for_24_hours(
    app: Flask, world: World
) -> None:
    _set_limits(app, world, break_glass_at_once=2, break_glass_per_day=2, break_glass_hours=1)
    first, second, third = _hidden_cases(app, world, 3)

    calm = _start(app, first, at=START)
    reaching = _start(app, second, at=START + timedelta(hours=1))
    refused = _refusal(app, third, at=START + timedelta(hours=2))

    assert _kinds(app, calm.id) == {"break_glass"}
    # The grant that reaches the daily limit looks like browsing: urgent alert at once.
    assert _kinds(app, reaching.id) == {"break_glass_browsing"}
    assert refused.why == "limit_per_day"
    assert "You have started 2 emergency accesses in the last 24 hours" in refused.message
    assert len(grants(app)) == 2
    # 24 hours after the first, one more may be started.
    later = START + timedelta(hours=24, minutes=1)
    assert _start(app, third, at=later).case_id == third


def test_a_second_grant_within_minutes_alerts_coordinators_as_browsing(
    app: Flask, world: World
) -> None:
    first, second, third = _hidden_cases(app, world, 3)
    _set_limits(app, world, break_glass_at_once=3, break_glass_per_day=10)

    one = _start(app, first, at=START)
    quick = _start(app, second, at=START + timedelta(minutes=9))
    slow = _start(app, third, at=START + timedelta(minutes=20))

    assert _kinds(app, one.id) == {"break_glass"}
    assert _kinds(app, quick.id) == {"break_glass_browsing"}
    assert _kinds(app, slow.id) == {"break_glass"}
    started = [e for e in events_since(app, 0) if e.action == AuditAction.BREAK_GLASS_STARTED]
    assert ['"break_glass_browsing"' in (e.changes or "") for e in started] == [
        False,
        True,
        False,
    ]


def test_browsing_alerts_are_marked_urgent_on_the_alerts_page(
    app: Flask, sign_in: SignIn, world: World
) -> None:
    first, second = _hidden_cases(app, world, 2)
    _start(app, first, at=START)
    _start(app, second, at=START + timedelta(minutes=1))
    coordinator = signed_in(app, sign_in, COORDINATOR)

    page = text(coordinator.get("/alerts"))

    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', page, flags=re.S)
    urgent = [row for row in rows if "Urgent" in row]
    assert len(urgent) == 1
    assert "Emergency access that looks like browsing" in urgent[0]
    assert f"MARAC-{second:06d}" in urgent[0]


def test_a_grant_beyond_a_limit_is_refused_on_the_page_recorded_and_the_case_stays_hidden(
    app: Flask, sign_in: SignIn, world: World, clock: time_machine.Traveller
) -> None:
    _set_limits(app, world, break_glass_at_once=1, break_glass_per_day=3)
    (other,) = _hidden_cases(app, world, 1)
    rep = signed_in(app, sign_in, REP)
    assert ask(rep, world.reference).status_code == 302  # type: ignore[attr-defined]
    before = last_sequence(app)

    response = ask(rep, f"MARAC-{other:06d}")

    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "You already have 1 emergency access running" in text(response)
    assert f"MARAC-{other:06d}" in text(response)  # what was typed is kept
    denied = [e for e in events_since(app, before) if e.action == AuditAction.ACCESS_DENIED]
    assert [(e.object_id, e.purpose, e.outcome) for e in denied] == [
        (str(other), "break_glass", Outcome.DENIED)
    ]
    assert '"limit_at_once"' in (denied[0].changes or "")
    assert rep.get(f"/cases/{other}").status_code == 404
    assert len(grants(app)) == 1


# Issue 26: a grant nobody could review is refused -------------------------------------------


def _assert_refused_for_want_of_a_reviewer(app: Flask, rep: FlaskClient, world: World) -> None:
    before = last_sequence(app)
    response = ask(rep, world.reference)
    assert response.status_code == 200  # type: ignore[attr-defined]
    shown = text(response)
    assert "cannot be given, because nobody could review it" in shown
    assert "information governance lead" in shown
    assert grants(app) == []
    assert alert_rows(app) == []
    denied = [e for e in events_since(app, before) if e.action == AuditAction.ACCESS_DENIED]
    assert [(e.object_id, e.purpose, e.outcome) for e in denied] == [
        (str(world.case_id), "break_glass", Outcome.DENIED)
    ]
    assert '"no_reviewer"' in (denied[0].changes or "")
    assert rep.get(f"/cases/{world.case_id}").status_code == 404


def test_a_grant_on_a_panel_with_no_coordinator_in_force_is_refused_and_recorded(
    app: Flask, sign_in: SignIn, world: World
) -> None:
    with app.app_context():
        for membership in db.session.scalars(
            select(PanelMembership).where(
                PanelMembership.panel_id == world.panel_id,
                PanelMembership.user_id.in_(world.coordinator_ids),
            )
        ):
            db.session.delete(membership)
        db.session.commit()
    # Left: the coordinator whose agency's ISP signature is missing (not in force).
    _assert_refused_for_want_of_a_reviewer(app, signed_in(app, sign_in, REP), world)


def test_a_grant_is_refused_when_every_coordinator_s_organisation_is_restricted_on_the_case(
    app: Flask, sign_in: SignIn, world: World
) -> None:
    with app.app_context():
        cora = db.session.get_one(User, world.coordinator_ids[0])
        db.session.add(
            CaseRestriction(
                case_id=world.case_id,
                organisation_id=cora.organisation_id,
                placed_by_id=cora.id,
            )
        )
        db.session.commit()
    _assert_refused_for_want_of_a_reviewer(app, signed_in(app, sign_in, REP), world)


# Issue 26, security R9 and R13: a fresh security code, then a new session id -----------------


def test_starting_a_grant_needs_a_fresh_security_code_and_a_wrong_one_is_recorded(
    app: Flask,
    sign_in: SignIn,
    accounts: Accounts,
    world: World,
    clock: time_machine.Traveller,
) -> None:
    rep = signed_in(app, sign_in, REP)
    before = last_sequence(app)

    # The code spent at sign-in (the clock stands still: the same time step) is refused.
    replayed = ask(rep, world.reference, security_code=accounts.code(REP))
    missing = ask(rep, world.reference, security_code="")
    right = fresh_code(app, REP)
    wrong = ask(rep, world.reference, security_code="000000" if right != "000000" else "111111")

    for response in (replayed, missing, wrong):
        assert response.status_code == 200  # type: ignore[attr-defined]
        assert REASON in text(response)  # what was typed is kept
    assert "The security code is not correct or has already been used" in text(replayed)
    assert "Enter the 6-digit security code" in text(missing)
    assert "The security code is not correct or has already been used" in text(wrong)
    assert grants(app) == []
    assert rep.get(f"/cases/{world.case_id}").status_code == 404
    failed = [e for e in events_since(app, before) if e.action == AuditAction.TWO_FACTOR_FAILED]
    assert len(failed) == 2  # the replayed and the wrong code; the missing one is not checked
    assert all(e.outcome == Outcome.FAILURE for e in failed)


def test_starting_a_grant_gives_the_session_a_new_id_and_keeps_the_user_signed_in(
    app: Flask, sign_in: SignIn, world: World
) -> None:
    rep = signed_in(app, sign_in, REP)
    old = rep.get_cookie("session")
    assert old is not None

    assert ask(rep, world.reference).status_code == 302  # type: ignore[attr-defined]

    new = rep.get_cookie("session")
    assert new is not None
    assert new.value != old.value
    assert rep.get(f"/cases/{world.case_id}").status_code == 200  # still signed in
    stale = app.test_client()
    stale.set_cookie("session", old.value)
    assert stale.get("/cases").status_code == 302  # the old id no longer works


def test_security_code_attempts_on_the_form_are_throttled_and_recorded(
    app: Flask, sign_in: SignIn, world: World
) -> None:
    rep = signed_in(app, sign_in, REP)
    before = last_sequence(app)
    statuses = [
        ask(rep, world.reference, security_code="000000").status_code  # type: ignore[attr-defined]
        for _ in range(6)
    ]
    assert statuses[-1] == 429
    throttled = [e for e in events_since(app, before) if e.action == AuditAction.SIGN_IN_THROTTLED]
    assert len(throttled) == statuses.count(429) >= 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"break_glass_at_once": 0}, "break_glass_at_once", "between 1 and 10"),
        ({"break_glass_at_once": 11}, "break_glass_at_once", "between 1 and 10"),
        ({"break_glass_per_day": 21}, "break_glass_per_day", "between 1 and 20"),
        (
            {"break_glass_at_once": 4, "break_glass_per_day": 3},
            "break_glass_per_day",
            "cannot be fewer than emergency accesses at once",
        ),
    ],
)
def test_the_limits_are_panel_settings_refused_outside_their_range(
    changes: dict[str, int], field: str, message: str
) -> None:
    defaults = PanelSettings()
    assert (defaults.break_glass_at_once, defaults.break_glass_per_day) == (2, 3)
    assert defaults.with_changes(break_glass_at_once=10, break_glass_per_day=20).problems() == []
    with pytest.raises(InvalidSettings) as refused:
        defaults.with_changes(**changes)
    assert [(p.field, message in p.message) for p in refused.value.problems] == [(field, True)]
