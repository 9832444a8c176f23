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
from flask_migrate import downgrade
from flask_migrate import upgrade
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text as sql
from sqlalchemy import update

from app.accounts.models import User
from app.auth.seeds import totp_secret
from app.database import db
from app.database import utcnow
from app.errors import DomainError
from app.extensions import limiter
from audit.models import AuditAction
from audit.models import AuditEvent
from audit.models import Outcome
from cases import policy
from cases.break_glass import services as break_glass
from cases.break_glass.forms import CANNOT
from cases.break_glass.models import BreakGlassDecision
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
from tests.conftest import csrf_token
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
    awaiting_approval: bool


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def _start(app: Flask, case_id: int, *, at: datetime) -> Started:
    """The representative breaks glass through the service, committing what it gives: a grant,
    or beyond their limits a request awaiting approval."""
    with app.test_request_context():
        grant = break_glass.start(
            actor=_user(REP),
            case=db.session.get_one(Case, case_id),
            reason_code=BreakGlassReason.IMMEDIATE_RISK,
            reason=REASON,
            now=at,
        )
        started = Started(grant.id, grant.case_id, grant.user_id, grant.awaiting_approval)
        db.session.commit()
        return started


def _refusal(
    app: Flask, case_id: int, *, at: datetime, refusal: type[DomainError] = break_glass.Refused
) -> DomainError:
    with app.test_request_context():
        with pytest.raises(refusal) as refused:
            break_glass.start(
                actor=_user(REP),
                case=db.session.get_one(Case, case_id),
                reason_code=BreakGlassReason.IMMEDIATE_RISK,
                reason=REASON,
                now=at,
            )
        db.session.rollback()
        return refused.value


def _end(app: Flask, grant_id: int, *, at: datetime) -> None:
    with app.test_request_context():
        grant = db.session.get_one(BreakGlassGrant, grant_id)
        break_glass.end(grant, actor=grant.user, now=at)
        db.session.commit()


def _decide(
    app: Flask, grant_id: int, email: str, *, approve: bool, at: datetime, note: str = ""
) -> None:
    with app.test_request_context():
        grant = db.session.get_one(BreakGlassGrant, grant_id)
        if approve:
            break_glass.approve(grant, actor=_user(email), now=at)
        else:
            break_glass.decline(grant, actor=_user(email), note=note, now=at)
        db.session.commit()


def _sees(app: Flask, email: str, case_id: int) -> bool:
    """Whether the policy lets the person see the case now (as every page and list asks)."""
    with app.test_request_context():
        return policy.sees_case(_user(email), case_id)


def _kinds(app: Flask, grant_id: int) -> set[str]:
    return {kind for _, _, grant, kind, _ in alert_rows(app) if grant == grant_id}


def _alerts_of(app: Flask, grant_id: int) -> list[tuple[int, str, bool]]:
    """(recipient, kind, read) for each alert about the grant or request."""
    return [
        (recipient, kind, read_at is not None)
        for recipient, _, grant, kind, read_at in alert_rows(app)
        if grant == grant_id
    ]


def test_r19_beyond_the_limit_at_once_emergency_access_needs_a_coordinator_s_approval(
    app: Flask, world: World
) -> None:
    """Issue 26: "a per-person limit on concurrent and daily grants ... beyond which a grant
    needs a coordinator's approval". The request is recorded, gives no access and counts
    towards no limit; each coordinator in force is asked to decide it."""
    _set_limits(app, world, break_glass_at_once=1, break_glass_per_day=5)
    first, second, third = _hidden_cases(app, world, 3)
    grant = _start(app, first, at=START)

    request = _start(app, second, at=START + timedelta(hours=1))

    assert not grant.awaiting_approval
    assert request.awaiting_approval
    row = grants(app)[-1]
    assert (row.requested_at, row.started_at, row.expires_at) == (
        START + timedelta(hours=1),
        None,
        None,
    )
    assert _sees(app, REP, first)
    assert not _sees(app, REP, second)  # no access until approved
    # Each coordinator in force is asked; the one whose agency's ISP is unsigned is not.
    assert _alerts_of(app, request.id) == [
        (coordinator, "break_glass_approval", False) for coordinator in world.coordinator_ids
    ]
    requested = [e for e in events_since(app, 0) if e.action == AuditAction.BREAK_GLASS_REQUESTED]
    assert [(e.object_id, e.purpose) for e in requested] == [
        (str(second), BreakGlassReason.IMMEDIATE_RISK.value)
    ]
    assert '"limit_at_once"' in (requested[0].changes or "")
    assert "threat" not in (requested[0].changes or "")  # the free text never enters the trail
    # One request per case is enough: asking again is refused, and nothing more is recorded.
    again = _refusal(app, second, at=START + timedelta(hours=1, minutes=5), refusal=DomainError)
    assert "You have already asked for emergency access to this case" in again.message
    assert len(grants(app)) == 2
    # The request counts towards nothing: once the first grant has ended, the next is given.
    _end(app, grant.id, at=START + timedelta(hours=1, minutes=30))
    assert not _start(app, third, at=START + timedelta(hours=2)).awaiting_approval
    assert _sees(app, REP, third)
    assert not _sees(app, REP, second)


def test_r19_beyond_the_daily_limit_a_request_needs_approval_for_24_hours(
    app: Flask, world: World
) -> None:
    """Issue 26: the daily limit alerts when it is reached, and beyond it for 24 hours what the
    person asks for waits for a coordinator's approval."""
    _set_limits(app, world, break_glass_at_once=2, break_glass_per_day=2, break_glass_hours=1)
    first, second, third, fourth = _hidden_cases(app, world, 4)

    calm = _start(app, first, at=START)
    reaching = _start(app, second, at=START + timedelta(hours=1))
    request = _start(app, third, at=START + timedelta(hours=2))

    assert _kinds(app, calm.id) == {"break_glass"}
    # The grant that reaches the daily limit looks like browsing: urgent alert at once.
    assert _kinds(app, reaching.id) == {"break_glass_browsing"}
    assert request.awaiting_approval
    assert _kinds(app, request.id) == {"break_glass_approval"}
    requested = [e for e in events_since(app, 0) if e.action == AuditAction.BREAK_GLASS_REQUESTED]
    assert len(requested) == 1
    assert '"limit_per_day"' in (requested[0].changes or "")
    assert not _sees(app, REP, third)
    # 24 hours after the first, one more is given at once (the request did not count).
    later = START + timedelta(hours=24, minutes=1)
    assert not _start(app, fourth, at=later).awaiting_approval


def test_r19_an_approved_grant_counts_towards_the_limits_from_its_approval(
    app: Flask, world: World
) -> None:
    _set_limits(app, world, break_glass_at_once=1, break_glass_per_day=2)
    first, second, third = _hidden_cases(app, world, 3)
    first_grant = _start(app, first, at=START)
    request = _start(app, second, at=START + timedelta(hours=1))
    _decide(app, request.id, COORDINATOR, approve=True, at=START + timedelta(hours=2))
    _end(app, first_grant.id, at=START + timedelta(hours=2, minutes=30))

    # One running (the approved one) is the most at once, and two started in 24 hours (the
    # approved one from its approval) the most a day: the next is a request again.
    assert _start(app, third, at=START + timedelta(hours=3)).awaiting_approval
    requested = [e for e in events_since(app, 0) if e.action == AuditAction.BREAK_GLASS_REQUESTED]
    assert '"limit_at_once"' in (requested[-1].changes or "")


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
    assert "Looks like browsing" in urgent[0]
    assert f"MARAC-{second:06d}" in urgent[0]


# Issue 26: beyond the limits, a coordinator approves or declines -----------------------------


def requested(app: Flask, sign_in: SignIn, world: World) -> tuple[FlaskClient, int, int]:
    """The representative, at their limit of one grant at once (on the world's case), asks for
    another hidden case through the page: their client, that case and the request's id."""
    _set_limits(app, world, break_glass_at_once=1, break_glass_per_day=3)
    (other,) = _hidden_cases(app, world, 1)
    rep, _ = granted(app, sign_in, world)
    response = ask(rep, f"MARAC-{other:06d}")
    assert response.status_code == 302, text(response)  # type: ignore[attr-defined]
    assert response.location == "/emergency-access"  # type: ignore[attr-defined]
    return rep, other, grants(app)[-1].id


def test_r19_a_request_beyond_a_limit_is_explained_on_the_page_and_the_case_stays_hidden(
    app: Flask, sign_in: SignIn, world: World, clock: time_machine.Traveller
) -> None:
    """Issue 26: the person is told their request went to the panel's coordinators and that
    they get access when one approves it; it still needs the fresh security code (R13)."""
    _set_limits(app, world, break_glass_at_once=1, break_glass_per_day=3)
    (other,) = _hidden_cases(app, world, 1)
    reference = f"MARAC-{other:06d}"
    rep = signed_in(app, sign_in, REP)
    assert ask(rep, world.reference).status_code == 302  # type: ignore[attr-defined]
    # Without the fresh security code, nothing is asked for.
    refused = ask(
        rep, reference, security_code="000000" if fresh_code(app, REP) != "000000" else "1"
    )
    assert "The security code is not correct" in text(refused)
    assert len(grants(app)) == 1
    before = last_sequence(app)

    response = ask(rep, reference, code=BreakGlassReason.URGENT_SAFEGUARDING.value)

    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response.location == "/emergency-access"  # type: ignore[attr-defined]
    page = text(rep.get("/emergency-access"))
    assert (
        f"your request for case {reference} has gone to the coordinators of its panel. You "
        "will get access when one of them approves it"
    ) in page
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', page, flags=re.S)
    assert len(rows) == 2  # the heading's row and the request's
    assert reference in rows[1]
    assert "Waiting for approval" in rows[1]
    assert "Withdraw request" in rows[1]
    written = events_since(app, before)
    assert [e.action for e in written] == [
        AuditAction.TWO_FACTOR_PASSED,
        AuditAction.BREAK_GLASS_REQUESTED,
    ]
    assert (written[1].object_type, written[1].object_id) == ("cases", str(other))
    assert written[1].purpose == BreakGlassReason.URGENT_SAFEGUARDING.value
    assert "threat" not in (written[1].changes or "")
    # No access: the case page is refused and the case list does not show it.
    assert rep.get(f"/cases/{other}").status_code == 404
    assert reference not in text(rep.get("/cases"))
    (request,) = [g for g in grants(app) if g.case_id == other]
    assert request.awaiting_approval
    assert _alerts_of(app, request.id) == [
        (coordinator, "break_glass_approval", False) for coordinator in world.coordinator_ids
    ]


def test_r19_a_coordinator_approves_a_request_and_the_time_box_starts_then(
    app: Flask, sign_in: SignIn, world: World, clock: time_machine.Traveller
) -> None:
    _, other, request_id = requested(app, sign_in, world)
    clock.move_to(START + timedelta(minutes=30))
    coordinator = signed_in(app, sign_in, COORDINATOR)
    assert "Alerts (2 unread)" in text(coordinator.get("/"))  # the grant's, and the request's
    alerts = text(coordinator.get("/alerts"))
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', alerts, flags=re.S)
    (row,) = [row for row in rows if f"/alerts/{request_id}/decide" in row]
    for shown in ("Urgent", "Request for emergency access", "Decision needed"):
        assert shown in row
    page = text(coordinator.get(f"/alerts/{request_id}/decide"))
    for shown in (
        "Rhian Penrose, Holloway Lane IDVA Service",
        "15 January 2027 at 10am",
        BreakGlassReason.IMMEDIATE_RISK.label,
        REASON,
        "1 running now, 1 started in the last 24 hours, 1 waiting for approval",
        "they can see the case for 4 hours from now",
    ):
        assert shown in page
    before = last_sequence(app)

    response = post(coordinator, f"/alerts/{request_id}/decide", {"decision": "approve"})

    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response.location == "/alerts"  # type: ignore[attr-defined]
    written = events_since(app, before)
    # Reading the request's page, then the approval: one event each.
    assert [e.action for e in written] == [
        AuditAction.ALERTS_VIEWED,
        AuditAction.BREAK_GLASS_APPROVED,
    ]
    approved = written[1]
    assert (approved.object_type, approved.object_id) == ("cases", str(other))
    assert approved.actor_id == world.coordinator_ids[0]
    assert approved.purpose == BreakGlassReason.IMMEDIATE_RISK.value
    assert (START + timedelta(hours=4, minutes=30)).isoformat() in (approved.changes or "")
    assert "threat" not in (approved.changes or "")
    grant = grants(app)[-1]
    assert grant.decision is BreakGlassDecision.APPROVED
    assert grant.decided_by_id == world.coordinator_ids[0]
    # The time box starts at the approval, not when the person asked.
    assert grant.started_at == START + timedelta(minutes=30)
    assert grant.expires_at == START + timedelta(hours=4, minutes=30)
    # The request's alerts are done; every coordinator is now asked to review it (R19).
    assert sorted(_alerts_of(app, request_id)) == sorted(
        [(c, "break_glass_approval", True) for c in world.coordinator_ids]
        + [(c, "break_glass", False) for c in world.coordinator_ids]
    )
    assert f"You approved the request for emergency access to MARAC-{other:06d}" in text(
        coordinator.get("/alerts")
    )

    rep = signed_in(app, sign_in, REP)  # the idle timeout ended the old session
    case_page = text(rep.get(f"/cases/{other}"))
    assert f"Emergency access to case MARAC-{other:06d} ends at 14:30 (UK time)." in case_page
    start_page = text(rep.get("/emergency-access"))
    assert "Approved" in start_page
    assert f"Open case MARAC-{other:06d}" in start_page
    # Still open when a time box from the request would have ended; closed at its own end.
    clock.move_to(START + timedelta(hours=4, minutes=10))
    assert signed_in(app, sign_in, REP).get(f"/cases/{other}").status_code == 200
    clock.move_to(START + timedelta(hours=4, minutes=31))
    assert signed_in(app, sign_in, REP).get(f"/cases/{other}").status_code == 404
    # Reviewed afterwards like any other emergency access.
    coordinator = signed_in(app, sign_in, COORDINATOR)
    assert f"/alerts/{request_id}/review" in text(coordinator.get("/alerts"))
    response = post(
        coordinator,
        f"/alerts/{request_id}/review",
        {"outcome": "justified", "note": "Checked with the IDVA manager afterwards"},
    )
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert grants(app)[-1].review_outcome is BreakGlassReview.JUSTIFIED


def test_r19_a_declined_request_never_gives_access_and_its_reason_is_sealed(
    app: Flask, sign_in: SignIn, world: World, clock: time_machine.Traveller
) -> None:
    rep, other, request_id = requested(app, sign_in, world)
    deputy = signed_in(app, sign_in, DEPUTY)
    url = f"/alerts/{request_id}/decide"
    page = text(post(deputy, url, {"decision": "decline", "note": "  "}))
    assert page.count("Enter why you are declining the request") == 2
    assert re.search(r'value="decline"\s+checked', page)
    page = text(post(deputy, url, {"note": "Spoke to the IDVA manager"}))
    assert "Select whether you approve the emergency access" in page
    assert "Spoke to the IDVA manager" in page  # what was typed is kept
    assert grants(app)[-1].awaiting_approval
    before = last_sequence(app)

    response = post(
        deputy, url, {"decision": "decline", "note": "The police SPOC says the risk is managed"}
    )

    assert response.status_code == 302  # type: ignore[attr-defined]
    written = events_since(app, before)
    assert [e.action for e in written] == [
        AuditAction.ALERTS_VIEWED,
        AuditAction.BREAK_GLASS_DECLINED,
    ]
    assert written[1].object_id == str(other)
    assert "SPOC" not in repr([(e.changes, e.purpose) for e in written])
    grant = grants(app)[-1]
    assert grant.decision is BreakGlassDecision.DECLINED
    assert grant.decided_by_id == world.coordinator_ids[1]
    assert (grant.started_at, grant.expires_at) == (None, None)
    with app.app_context():
        stored = db.session.execute(
            sql("SELECT decision_note FROM break_glass_grants WHERE id = :id"), {"id": request_id}
        ).scalar_one()
    assert isinstance(stored, bytes)
    assert b"SPOC" not in stored
    # Its alerts are done, and nobody is asked to review access that was never given.
    assert _alerts_of(app, request_id) == [
        (coordinator, "break_glass_approval", True) for coordinator in world.coordinator_ids
    ]
    decided = text(signed_in(app, sign_in, COORDINATOR).get(url))
    assert "Declined by Dev Okafor" in decided
    assert "The police SPOC says the risk is managed" in decided
    assert "This request gave no access to the case" in decided
    # The person who asked never sees the case, nor the coordinator's reason.
    assert rep.get(f"/cases/{other}").status_code == 404
    start_page = text(rep.get("/emergency-access"))
    assert "Declined" in start_page
    assert "SPOC" not in start_page
    # A declined request is nothing to review: asking again is a new request, not refused.
    assert ask(rep, f"MARAC-{other:06d}").location == "/emergency-access"  # type: ignore[attr-defined]
    assert grants(app)[-1].awaiting_approval


def test_r19_the_person_who_asked_cannot_approve_their_own_request(
    app: Flask, sign_in: SignIn, world: World, clock: time_machine.Traveller
) -> None:
    _, _, request_id = requested(app, sign_in, world)
    # Made a coordinator of the panel since asking: the request is among their alerts now.
    with app.app_context():
        membership = db.session.scalar(
            select(PanelMembership).where(
                PanelMembership.panel_id == world.panel_id,
                PanelMembership.user_id == _user(REP).id,
            )
        )
        assert membership is not None
        membership.role = PanelRole.COORDINATOR
        db.session.commit()
    rep = signed_in(app, sign_in, REP)
    before = last_sequence(app)

    page = text(post(rep, f"/alerts/{request_id}/decide", {"decision": "approve"}))

    assert "Someone else must decide on your request" in page
    assert grants(app)[-1].awaiting_approval
    assert AuditAction.BREAK_GLASS_APPROVED not in [e.action for e in events_since(app, before)]
    with app.test_request_context(), pytest.raises(DomainError, match="Someone else must decide"):
        break_glass.decline(
            db.session.get_one(BreakGlassGrant, request_id),
            actor=_user(REP),
            note="Not needed after all",
            now=START,
        )


@pytest.mark.parametrize("who", [REP, OTHER_REP, ELSEWHERE, LAPSED])
def test_r19_only_a_coordinator_of_the_case_s_panel_may_decide_a_request(
    app: Flask, sign_in: SignIn, world: World, clock: time_machine.Traveller, who: str
) -> None:
    """The person who asked, a fellow representative, another panel's coordinator and a
    coordinator whose agency's ISP signature is missing all get the same recorded 404."""
    _, _, request_id = requested(app, sign_in, world)
    client = signed_in(app, sign_in, who)
    url = f"/alerts/{request_id}/decide"
    before = last_sequence(app)

    assert client.get(url).status_code == 404
    response = post(client, url, {"decision": "approve"}, token_from="/cases")

    assert response.status_code == 404  # type: ignore[attr-defined]
    denied = [e for e in events_since(app, before) if e.action == AuditAction.ACCESS_DENIED]
    assert [(e.object_type, e.object_id) for e in denied] == [
        ("break_glass_grants", str(request_id))
    ] * 2
    assert grants(app)[-1].awaiting_approval


def test_a_request_is_decided_once_and_a_second_decision_is_refused_with_a_clear_message(
    app: Flask, sign_in: SignIn, world: World, clock: time_machine.Traveller
) -> None:
    """Two coordinators open the same request; the first decision stands, and the second is
    told what became of it rather than silently replacing it."""
    _, _, request_id = requested(app, sign_in, world)
    url = f"/alerts/{request_id}/decide"
    cora = signed_in(app, sign_in, COORDINATOR)
    dev = signed_in(app, sign_in, DEPUTY)
    devs_page = dev.get(url)  # Dev opens the request...
    assert post(cora, url, {"decision": "approve"}).status_code == 302  # type: ignore[attr-defined]
    before = last_sequence(app)

    # ...and declines it after Cora has approved it.
    response = dev.post(
        url,
        data={
            "csrf_token": csrf_token(devs_page.text),
            "decision": "decline",
            "note": "Not an emergency by the sound of it",
        },
    )

    assert response.status_code == 302
    assert response.location == url
    assert "This request for emergency access has already been approved" in text(dev.get(url))
    grant = grants(app)[-1]
    assert grant.decision is BreakGlassDecision.APPROVED
    assert grant.decided_by_id == world.coordinator_ids[0]
    assert grant.decision_note is None
    decisions = {AuditAction.BREAK_GLASS_APPROVED, AuditAction.BREAK_GLASS_DECLINED}
    assert not [e for e in events_since(app, before) if e.action in decisions]


def test_two_decisions_at_once_cannot_both_win(app: Flask, world: World) -> None:
    """Concurrency: the decision is recorded by a conditional update, so a coordinator whose
    copy of the request is stale (another decision was written after it was read) changes
    nothing, though the request looked undecided when they loaded it."""
    _set_limits(app, world, break_glass_at_once=1, break_glass_per_day=3)
    first, second = _hidden_cases(app, world, 2)
    _start(app, first, at=START)
    request = _start(app, second, at=START + timedelta(hours=1))
    with app.test_request_context():
        cora, dev = _user(COORDINATOR), _user(DEPUTY)
        stale = db.session.get_one(BreakGlassGrant, request.id)
        assert stale.awaiting_approval
        db.session.execute(
            update(BreakGlassGrant)
            .where(BreakGlassGrant.id == request.id)
            .values(decision=BreakGlassDecision.DECLINED, decided_by_id=dev.id, decided_at=START)
            .execution_options(synchronize_session=False)
        )
        assert stale.awaiting_approval  # the copy in hand does not know yet

        with pytest.raises(break_glass.AlreadyDecided, match="already been declined"):
            break_glass.approve(stale, actor=cora, now=START + timedelta(hours=2))

        assert stale.started_at is None
        assert stale.decided_by_id == dev.id
        db.session.rollback()


def test_pending_requests_are_capped_per_person_so_coordinators_cannot_be_flooded(
    app: Flask, world: World
) -> None:
    _set_limits(app, world, break_glass_at_once=1, break_glass_per_day=10)
    cases = _hidden_cases(app, world, 5)
    _start(app, cases[0], at=START)
    pending = [
        _start(app, case_id, at=START + timedelta(minutes=n))
        for n, case_id in enumerate(cases[1:4], start=1)
    ]
    assert all(request.awaiting_approval for request in pending)

    refused = _refusal(app, cases[4], at=START + timedelta(minutes=10))

    assert isinstance(refused, break_glass.Refused)
    assert refused.why == "limit_pending"
    assert "you already have 3 requests waiting for a coordinator’s approval" in refused.message
    assert len(grants(app)) == 4
    # Once one is decided, another may be asked for.
    _decide(
        app,
        pending[0].id,
        COORDINATOR,
        approve=False,
        at=START + timedelta(minutes=15),
        note="Not an emergency",
    )
    assert _start(app, cases[4], at=START + timedelta(minutes=20)).awaiting_approval


def test_the_person_who_asked_withdraws_their_request_and_it_can_no_longer_be_approved(
    app: Flask, sign_in: SignIn, world: World, clock: time_machine.Traveller
) -> None:
    rep, other, request_id = requested(app, sign_in, world)
    before = last_sequence(app)

    response = post(rep, f"/emergency-access/{request_id}/end", {}, token_from="/emergency-access")

    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response.location == "/emergency-access"  # type: ignore[attr-defined]
    page = text(rep.get("/emergency-access"))
    assert f"Your request for emergency access to case MARAC-{other:06d} is withdrawn" in page
    assert "Withdrawn" in page
    assert [e.action for e in events_since(app, before)] == [AuditAction.BREAK_GLASS_WITHDRAWN]
    grant = grants(app)[-1]
    assert grant.decision is BreakGlassDecision.WITHDRAWN
    assert grant.decided_by_id == grant.user_id
    assert _alerts_of(app, request_id) == [
        (coordinator, "break_glass_approval", True) for coordinator in world.coordinator_ids
    ]
    coordinator = signed_in(app, sign_in, COORDINATOR)
    url = f"/alerts/{request_id}/decide"
    response = post(coordinator, url, {"decision": "approve"}, token_from="/alerts")
    assert response.location == url  # type: ignore[attr-defined]
    assert "This request for emergency access has already been withdrawn" in text(
        coordinator.get(url)
    )
    assert rep.get(f"/cases/{other}").status_code == 404


def test_once_decided_a_request_s_alert_says_what_became_of_it_and_is_no_longer_urgent(
    app: Flask, sign_in: SignIn, world: World, clock: time_machine.Traveller
) -> None:
    """Found by a walkthrough: a withdrawn request still read "Urgent" and "Decided" (by
    nobody), and its page counted it as waiting."""
    rep, _, request_id = requested(app, sign_in, world)
    post(rep, f"/emergency-access/{request_id}/end", {}, token_from="/emergency-access")
    coordinator = signed_in(app, sign_in, COORDINATOR)

    alerts = text(coordinator.get("/alerts"))

    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', alerts, flags=re.S)
    (row,) = [row for row in rows if f"/alerts/{request_id}/decide" in row]
    assert "Withdrawn" in row
    assert "Urgent" not in row
    assert "Decided" not in row
    page = text(coordinator.get(f"/alerts/{request_id}/decide"))
    assert "0 waiting for approval" in page
    assert "this one included" not in page


def test_a_request_cannot_be_approved_once_the_person_has_left_the_panel(
    app: Flask, sign_in: SignIn, world: World, clock: time_machine.Traveller
) -> None:
    _, _, request_id = requested(app, sign_in, world)
    with app.app_context():
        db.session.execute(
            sql("DELETE FROM panel_memberships WHERE user_id = :id AND panel_id = :panel"),
            {"id": _user(REP).id, "panel": world.panel_id},
        )
        db.session.commit()
    coordinator = signed_in(app, sign_in, COORDINATOR)

    page = text(post(coordinator, f"/alerts/{request_id}/decide", {"decision": "approve"}))

    assert "can no longer be given to the person who asked" in page
    assert grants(app)[-1].awaiting_approval


def test_a_request_waiting_more_than_a_day_can_only_be_declined(
    app: Flask, sign_in: SignIn, world: World, clock: time_machine.Traveller
) -> None:
    """An emergency does not wait a day: approving a request 24 hours after it was made would
    open access long after the need, so only declining is left."""
    _, other, request_id = requested(app, sign_in, world)
    clock.shift(timedelta(hours=24, minutes=1))
    coordinator = signed_in(app, sign_in, COORDINATOR)

    page = text(post(coordinator, f"/alerts/{request_id}/decide", {"decision": "approve"}))

    assert "made more than 24 hours ago" in page
    assert grants(app)[-1].awaiting_approval
    assert signed_in(app, sign_in, REP).get(f"/cases/{other}").status_code == 404


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


# Migration 0012 keeps what it can, on a database in use ----------------------------------------


def test_migration_0012_round_trips_a_database_holding_grants_requests_and_alerts(
    app: Flask, world: World
) -> None:
    """Down: the grants given and their alerts stay, the requests never given go with their
    alerts. Up again: each grant was asked for as it started, and needed no approval."""
    _set_limits(app, world, break_glass_at_once=1, break_glass_per_day=3)
    first, second = _hidden_cases(app, world, 2)
    grant = _start(app, first, at=START)
    request = _start(app, second, at=START + timedelta(hours=1))
    grants_sql = "SELECT id FROM break_glass_grants ORDER BY id"
    alerts_sql = "SELECT id, grant_id, kind FROM case_alerts ORDER BY id"
    with app.app_context():
        alerts_before = db.session.execute(sql(alerts_sql)).all()
        db.session.commit()

        downgrade(revision="0011")
        assert db.session.execute(sql(grants_sql)).scalars().all() == [grant.id]
        assert db.session.execute(sql(alerts_sql)).all() == [
            row for row in alerts_before if row.grant_id == grant.id
        ]
        db.session.commit()

        upgrade()
        db.session.commit()
    (kept,) = grants(app)
    assert (kept.id, kept.requested_at, kept.started_at) == (grant.id, START, START)
    assert not kept.approval_needed
    assert kept.decision is None
    assert request.id not in [row.id for row in grants(app)]
    assert len(alert_rows(app)) == len(world.coordinator_ids)
