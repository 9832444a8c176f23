"""Subject access requests (domain §7.8, R17, R15, E44, E49): deadlines, the bundle gathered
across panels with third parties marked, auditor-only pages, and an audit trail that holds
ids and codes only."""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.database import db
from app.errors import DomainError
from app.settings import Settings
from audit.models import AuditAction
from audit.models import AuditEvent
from cases import services as case_services
from cases.actions.models import ActionStatus
from cases.actions.models import ActionUpdate
from cases.actions.models import CaseAction
from cases.break_glass.models import AlertKind
from cases.break_glass.models import CaseAlert
from cases.models import Case
from cases.models import CasePerson
from cases.models import CaseRole
from cases.models import Person
from cases.people.services import Identity
from cases.referrals import services as referrals
from cases.referrals.models import Referral
from cases.restrictions.models import CaseRestriction
from cases.subject_access import queries
from cases.subject_access import rules
from cases.subject_access import services
from cases.subject_access.models import Regime
from cases.subject_access.models import RequestStatus
from cases.subject_access.models import SubjectAccessRequest
from cases.subject_access.services import RequestDetails
from panels.models import PanelRole
from panels.types.common import PanelType
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import csrf_token
from tests.conftest import post_form
from tests.referral_fixtures import marac_answers
from tests.referral_fixtures import member
from tests.referral_fixtures import panel as make_panel
from tests.referral_fixtures import perpetrator
from tests.referral_fixtures import submitted
from tests.referral_fixtures import victim
from tests.routes import RULES
from tests.routes import url_for_rule

AUDITOR = "dpo@test.example"
BORN = date(1988, 4, 12)
SECOND_AUDITOR = "second.auditor@test.example"
REQUESTER = "Quillon Ashgrove-Canary"
REDACT = "Third party: redact before disclosure"
RECEIVED = date(2026, 1, 12)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


def details(regime: Regime = Regime.UK_GDPR, received_on: date = RECEIVED) -> RequestDetails:
    return RequestDetails(
        received_on=received_on,
        regime=regime,
        requester_name=REQUESTER,
        requester_contact="14 Wrenfold Lane, Thornbury Vale",
        identity_evidence="",
        subject_given_names="Tamsin",
        subject_family_name="Arrowdale",
        subject_date_of_birth=BORN,
    )


# Deadlines (E44) ------------------------------------------------------------------------------


@given(days)
def test_e44_due_date_is_one_calendar_month_on_clamped_to_the_month_end(received: date) -> None:
    due = rules.due_on(received)
    assert due > received
    year, month = divmod(received.year * 12 + received.month, 12)
    assert (due.year, due.month) == (year, month + 1)
    assert due.day == min(received.day, calendar.monthrange(due.year, due.month)[1])


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 12, 15), date(2027, 1, 15)),
    ],
)
def test_e44_month_end_clamping_examples(received: date, due: date) -> None:
    assert rules.due_on(received) == due


@given(days, st.integers(min_value=0, max_value=400))
def test_e44_days_the_clock_was_paused_are_added_back(received: date, paused: int) -> None:
    assert rules.due_on(received, paused_days=paused) == rules.due_on(received) + timedelta(paused)


@given(days, st.integers(min_value=0, max_value=2), st.integers(min_value=0, max_value=100))
def test_e44_an_extension_moves_the_deadline_on_by_at_most_two_months(
    received: date, months: int, paused: int
) -> None:
    due = rules.due_on(received, paused_days=paused, extension_months=months)
    assert due >= rules.due_on(received, paused_days=paused) >= received
    assert due <= rules.due_on(received, paused_days=paused, extension_months=2)
    assert due - timedelta(paused) <= received + timedelta(days=31 * 3)


@given(st.sampled_from(Regime), st.integers(0, 2), st.integers(-1, 3))
def test_e44_extension_only_under_uk_gdpr_and_two_months_in_all(
    regime: Regime, already: int, more: int
) -> None:
    allowed = regime is Regime.UK_GDPR and more >= 1 and already + more <= 2
    if allowed:
        rules.check_extension(regime, already, more)
    else:
        with pytest.raises(DomainError):
            rules.check_extension(regime, already, more)


def test_e44_deadline_beyond_two_months_extension_is_impossible() -> None:
    with pytest.raises(ValueError, match="between 0 and 2"):
        rules.due_on(RECEIVED, extension_months=3)


# Services -------------------------------------------------------------------------------------


@pytest.fixture
def auditor(app: Flask, accounts: Accounts) -> int:
    return accounts.user(AUDITOR, role=GlobalRole.AUDITOR, name="Dana Prothero").id


def receive(auditor_id: int, regime: Regime = Regime.UK_GDPR) -> SubjectAccessRequest:
    actor = db.session.get(User, auditor_id)
    assert actor is not None
    return services.receive_request(actor=actor, details=details(regime), today=RECEIVED)


def test_e44_pausing_stops_the_clock_and_restarting_adds_the_days(app: Flask, auditor: int) -> None:
    with app.test_request_context():
        request = receive(auditor)
        actor = request.recorded_by
        assert request.due_on == date(2026, 2, 12)
        services.pause_clock(request, actor=actor, on=date(2026, 1, 15), today=date(2026, 1, 15))
        assert request.status is RequestStatus.CLARIFYING
        # while paused, each day moves the deadline on
        assert queries.current_due_on(request, date(2026, 1, 20)) == date(2026, 2, 17)
        assert not queries.overdue(request, date(2026, 3, 1))
        services.resume_clock(request, actor=actor, on=date(2026, 1, 25), today=date(2026, 1, 25))
        assert request.paused_days == 10
        assert request.due_on == date(2026, 2, 22)
        assert request.status is RequestStatus.RECEIVED
        assert queries.overdue(request, date(2026, 2, 23))


def test_e44_uk_gdpr_extends_up_to_two_months_within_the_first_month(
    app: Flask, auditor: int
) -> None:
    with app.test_request_context():
        request = receive(auditor)
        actor, on = request.recorded_by, date(2026, 2, 1)
        services.extend(request, actor=actor, months=1, reason="Complex", on=on, today=on)
        assert (request.status, request.due_on) == (RequestStatus.EXTENDED, date(2026, 3, 12))
        services.extend(request, actor=actor, months=1, reason="Numerous", on=on, today=on)
        assert request.due_on == date(2026, 4, 12)
        with pytest.raises(DomainError, match="two months at most"):
            services.extend(request, actor=actor, months=1, reason="More", on=on, today=on)
        late = receive(auditor)
        after = date(2026, 2, 13)
        with pytest.raises(DomainError, match="within the first month"):
            services.extend(late, actor=actor, months=1, reason="Late", on=after, today=after)


def test_e44_part_3_requests_cannot_be_extended(app: Flask, auditor: int) -> None:
    with app.test_request_context():
        request = receive(auditor, Regime.LAW_ENFORCEMENT)
        on = date(2026, 1, 20)
        with pytest.raises(DomainError, match="Part 3"):
            services.extend(
                request, actor=request.recorded_by, months=1, reason="x", on=on, today=on
            )
        assert (request.extension_months, request.due_on) == (0, date(2026, 2, 12))


def test_closed_requests_cannot_change_and_completion_needs_confirmed_records(
    app: Flask, auditor: int
) -> None:
    with app.test_request_context():
        request = receive(auditor)
        actor, on = request.recorded_by, date(2026, 1, 20)
        with pytest.raises(DomainError, match="Confirm which records"):
            services.complete(request, actor=actor, on=on, today=on)
        services.refuse(request, actor=actor, on=on, reason="Identity not shown", today=on)
        with pytest.raises(DomainError, match="refused"):
            services.pause_clock(request, actor=actor, on=on, today=on)


# The bundle (R17, R15) -----------------------------------------------------------------------

ROLE_PANELS = {
    CaseRole.VICTIM: PanelType.MARAC,
    CaseRole.CHILD: PanelType.MACE,
    CaseRole.SUBJECT: PanelType.CHANNEL,
    CaseRole.PERSON_OF_CONCERN: PanelType.IOM,
}


@dataclass(frozen=True)
class Bundled:
    request_id: int
    case_by_role: dict[CaseRole, int]
    perpetrator_case: int
    person_ids: list[int]
    approver: int  # a second auditor, who approves the records the first confirms


@pytest.fixture
def bundled(app: Flask, accounts: Accounts, auditor: int) -> Bundled:
    """Tamsin Arrowdale appears in a case in every role, across five panels; the perpetrator
    case came through a referral and made a second person record for her."""
    staff = accounts.user(
        "nadia@test.example", organisation="Eastmere Housing", name="Nadia Whitlock"
    )
    with app.test_request_context():
        writer = db.session.get(User, staff.id)
        assert writer is not None
        tamsin: Person | None = None
        cases: dict[CaseRole, int] = {}
        for role, panel_type in ROLE_PANELS.items():
            panel = make_panel(f"Area {role.value}", panel_type)
            case = case_services.open_case(
                actor=None, panel=panel, opened_on=date(2026, 1, 5), summary="Synthetic"
            )
            if tamsin is None:
                tamsin = case_services.add_person(
                    case,
                    actor=None,
                    role=role,
                    identity=Identity("Tamsin", "Arrowdale", BORN, address="2 Ivel Court"),
                )
                case_services.add_person(
                    case,
                    actor=None,
                    role=CaseRole.PERPETRATOR,
                    identity=Identity("Gideon", "Fairweather", address="4 Larch Close"),
                )
                case_services.add_note(case, actor=writer, text="Synthetic note about the visit")
                _action(case, writer, "Synthetic action: fit a door alarm")
            else:
                db.session.add(CasePerson(case=case, person=tamsin, role=role))
            cases[role] = case.id
        away = make_panel("Eastmere")
        member(away, writer, PanelRole.COORDINATOR)
        referral = submitted(
            writer,
            away,
            marac_answers(
                referred_on=date(2026, 1, 6),
                people=[victim("Elowen", "Brack"), perpetrator("Tamsin", "Arrowdale", BORN)],
            ),
        )
        accepted = referrals.accept_referral(
            referral, actor=writer, matches=[None, None], today=date(2026, 1, 7)
        )
        _action(accepted.case, writer, "Synthetic action: check the victim's new address")
        request = receive(auditor)
        db.session.commit()
        people = [c.suggestion.person.id for c in queries.candidates(request, closed=frozenset())]
    approver = accounts.user(SECOND_AUDITOR, role=GlobalRole.AUDITOR, name="Reuben Salt").id
    return Bundled(request.id, cases, accepted.case.id, people, approver)


def _action(case: Case, owner: User, wording: str) -> None:
    """An action owned by the writer's agency, with one report on it."""
    action = CaseAction(
        case=case,
        panel_id=case.panel_id,
        data_key=case.data_key,
        owner_agency_id=owner.organisation_id,
        due_on=date(2026, 2, 1),
        agreed_by_id=owner.id,
        description=wording,
        status=ActionStatus.COMPLETED,
    )
    action.updates.append(
        ActionUpdate(
            data_key=case.data_key,
            author_id=owner.id,
            agency_id=owner.organisation_id,
            status=ActionStatus.COMPLETED,
            text=f"Synthetic report: done ({wording[18:]})",
        )
    )
    db.session.add(action)
    db.session.flush()


def test_r17_candidates_are_found_across_all_panels_by_name_and_birth_date(
    app: Flask, bundled: Bundled
) -> None:
    """E49: both person records are suggested (the auditor confirms them; nothing auto-links)."""
    assert len(bundled.person_ids) == 2
    with app.app_context():
        request = db.session.get(SubjectAccessRequest, bundled.request_id)
        assert request is not None
        assert request.subjects == []


@pytest.mark.parametrize(
    ("given", "family", "found"),
    [
        ("Tamsin", "Arrowdale", True),
        ("Tamsyn", "Arrowdale", True),  # a first name spelled differently
        ("Tamsin", "Ormsby", False),  # a first name and date of birth alone
        ("Tamsin", "Arrowdal", False),
    ],
)
def test_issue_26_a_candidate_needs_the_family_name_and_birth_date_to_match(
    app: Flask, bundled: Bundled, auditor: int, given: str, family: str, found: bool
) -> None:
    """The search spans every panel, Channel's included: a guessed first name and date of birth
    must not confirm that someone is known to any of them (R17, E49)."""
    with app.test_request_context():
        actor = db.session.get_one(User, auditor)
        request = services.receive_request(
            actor=actor,
            details=replace(details(), subject_given_names=given, subject_family_name=family),
            today=RECEIVED,
        )
        people = {c.suggestion.person.id for c in queries.candidates(request, closed=frozenset())}
    assert people == (set(bundled.person_ids) if found else set())


def confirm_all(client: FlaskClient, bundled: Bundled) -> None:
    url = f"/audit/subject-access/{bundled.request_id}"
    page = client.get(url)
    assert "Tamsin Arrowdale, born 12/04/1988" in page.text
    people = [str(i) for i in bundled.person_ids]
    response = client.post(
        f"{url}/subjects", data={"csrf_token": csrf_token(page.text), "subjects-people": people}
    )
    assert response.status_code == 302, response.text
    with client.application.test_request_context():
        request = db.session.get_one(SubjectAccessRequest, bundled.request_id)
        services.approve_bundle(request, actor=db.session.get_one(User, bundled.approver))
        db.session.commit()


def test_issue_26_the_bundle_opens_only_after_a_second_auditor_approves(
    app: Flask, client: FlaskClient, sign_in: SignIn, bundled: Bundled
) -> None:
    """One auditor alone can neither find someone nor read what every panel holds about them:
    whoever confirmed the records cannot approve them, and both are named in the trail."""
    sign_in(client, AUDITOR)
    url = f"/audit/subject-access/{bundled.request_id}"
    page = client.get(url)
    confirmed = client.post(
        f"{url}/subjects",
        data={
            "csrf_token": csrf_token(page.text),
            "subjects-people": [str(i) for i in bundled.person_ids],
        },
    )
    assert confirmed.status_code == 302
    closed = client.get(f"{url}/bundle")
    assert (closed.status_code, closed.location) == (302, url)
    with app.app_context():
        withheld = db.session.scalar(
            select(Referral.id).where(Referral.case_id == bundled.perpetrator_case)
        )
    # The disclosure page names the case the requester is alleged to have abused in: it waits too.
    early = client.get(f"{url}/referrals/{withheld}/disclosure")
    assert (early.status_code, early.location) == (302, url)
    waiting = client.get(url).text
    assert "Waiting for approval" in waiting
    assert "Approve these records" not in waiting
    forged = post_form(client, f"{url}/approve", {})
    assert "another auditor must approve them" in forged.text

    second = sign_in(client.application.test_client(), SECOND_AUDITOR)
    offered = second.get(url).text
    assert "Approve these records" in offered
    approved = post_form(second, f"{url}/approve", {})
    assert approved.status_code == 302
    assert "Approved by Reuben Salt" in client.get(url).text
    assert client.get(f"{url}/bundle").status_code == 200
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action.in_(
                    [
                        AuditAction.SUBJECT_ACCESS_BUNDLE_APPROVED,
                        AuditAction.SUBJECT_ACCESS_BUNDLE_VIEWED,
                    ]
                )
            )
        ).all()
        first = db.session.scalar(select(User.id).where(User.email == AUDITOR))
    assert [(e.action, e.actor_id) for e in events] == [
        (AuditAction.SUBJECT_ACCESS_BUNDLE_APPROVED, bundled.approver),
        (AuditAction.SUBJECT_ACCESS_BUNDLE_VIEWED, first),
    ]
    assert json.loads(events[0].changes or "")["confirmed_by_ids"] == [None, [first]]


def test_issue_26_a_match_in_a_channel_case_alerts_its_coordinators_and_no_one_else(
    app: Flask, accounts: Accounts, sign_in: SignIn, bundled: Bundled, auditor: int
) -> None:
    """That someone is known to Channel is itself sensitive: its coordinators learn that a
    request found them (the alert holds a reference and a kind, nothing more). The MARAC's
    coordinator is not alerted, and confirming the same records again alerts nobody twice."""
    channel_lead = accounts.user(
        "channel.lead@test.example", organisation="Eastmere Council", name="Cai Lead"
    )
    marac_lead = accounts.user(
        "marac.lead@test.example", organisation="Eastmere Council", name="Mo Lead"
    )
    with app.test_request_context():
        for email, role in (("channel.lead", CaseRole.SUBJECT), ("marac.lead", CaseRole.VICTIM)):
            case = db.session.get_one(Case, bundled.case_by_role[role])
            user = db.session.scalar(select(User).where(User.email == f"{email}@test.example"))
            assert user is not None
            member(case.panel, user, PanelRole.COORDINATOR)
        request = db.session.get_one(SubjectAccessRequest, bundled.request_id)
        people = [db.session.get_one(Person, i) for i in bundled.person_ids]
        actor = db.session.get_one(User, auditor)
        services.confirm_subjects(request, actor=actor, people=people)
        services.confirm_subjects(request, actor=actor, people=people)
        db.session.commit()
        alerts = db.session.scalars(select(CaseAlert)).all()
        assert [(a.recipient_id, a.case_id, a.kind) for a in alerts] == [
            (channel_lead.id, bundled.case_by_role[CaseRole.SUBJECT], AlertKind.SUBJECT_ACCESS)
        ]
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == AuditAction.SUBJECT_ACCESS_SUBJECTS_CONFIRMED
            )
        ).all()
        assert [json.loads(e.changes or "").get("alerted") for e in events] == [[None, 1], None]
        alert_id = alerts[0].id

    lead = sign_in(app.test_client(), "channel.lead@test.example")
    page = lead.get("/alerts").text
    assert "A subject access request was matched to someone in this case" in page
    assert "Tamsin" not in page
    other = sign_in(app.test_client(), "marac.lead@test.example")
    assert post_form(other, f"/alerts/{alert_id}/seen", {}).status_code == 404
    seen = post_form(lead, f"/alerts/{alert_id}/seen", {})
    assert (seen.status_code, seen.location) == (302, "/alerts")
    assert "Mark as seen" not in lead.get("/alerts").text
    with app.app_context():
        assert db.session.get_one(CaseAlert, alert_id).read_at is not None
        assert marac_lead.id not in {a.recipient_id for a in db.session.scalars(select(CaseAlert))}


def test_issue_26_confirming_other_records_closes_the_bundle_until_approved_again(
    app: Flask, client: FlaskClient, sign_in: SignIn, bundled: Bundled
) -> None:
    sign_in(client, AUDITOR)
    confirm_all(client, bundled)
    url = f"/audit/subject-access/{bundled.request_id}"
    assert client.get(f"{url}/bundle").status_code == 200
    page = client.get(url)
    fewer = client.post(
        f"{url}/subjects",
        data={
            "csrf_token": csrf_token(page.text),
            "subjects-people": [str(bundled.person_ids[0])],
        },
    )
    assert fewer.status_code == 302
    assert client.get(f"{url}/bundle").status_code == 302
    with app.app_context():
        request = db.session.get_one(SubjectAccessRequest, bundled.request_id)
        assert (request.bundle_approved_by_id, request.bundle_approved_at) == (None, None)


def test_r17_the_bundle_gathers_every_role_across_panels_and_marks_third_parties(
    app: Flask, client: FlaskClient, sign_in: SignIn, bundled: Bundled
) -> None:
    sign_in(client, AUDITOR)
    confirm_all(client, bundled)
    page = client.get(f"/audit/subject-access/{bundled.request_id}/bundle")
    assert page.status_code == 200
    text = page.text
    for role, case_id in bundled.case_by_role.items():
        section = _case_section(text, case_id)
        assert role.label in section
    victim_case = _case_section(text, bundled.case_by_role[CaseRole.VICTIM])
    assert f"{REDACT}</span> Gideon Fairweather" in victim_case
    assert f"{REDACT}</span> 4 Larch Close" in victim_case
    assert f"{REDACT}</span> Nadia Whitlock" in victim_case  # the note's author
    assert "Synthetic note about the visit" in victim_case
    assert "Synthetic action: fit a door alarm" in victim_case  # the action plan, with
    assert "Synthetic report: done (fit a door alarm)" in victim_case  # its reports
    assert "Eastmere Housing" in victim_case  # an agency is not redacted
    assert "Do not disclose (R15)" not in victim_case
    perpetrator_case = _case_section(text, bundled.perpetrator_case)
    assert "Perpetrator" in perpetrator_case
    assert f"{REDACT}</span> Elowen Brack" in perpetrator_case
    assert f"{REDACT}</span> Nadia Whitlock" in perpetrator_case  # referrer and access log
    assert "Referral: accepted" in perpetrator_case
    assert f"{REDACT}</span> The system" not in text  # no one to redact: no staff name
    assert "The system" in text


def test_r15_for_a_perpetrator_the_referral_is_flagged_not_to_be_disclosed(
    client: FlaskClient, sign_in: SignIn, bundled: Bundled
) -> None:
    sign_in(client, AUDITOR)
    confirm_all(client, bundled)
    text = client.get(f"/audit/subject-access/{bundled.request_id}/bundle").text
    perpetrator_case = _case_section(text, bundled.perpetrator_case)
    assert "Not to be disclosed (domain R15)" in perpetrator_case
    assert re.search(r"REF-\d{6}<br><strong[^>]*>Do not disclose \(R15\)", perpetrator_case)
    # The victim's safety planning is flagged as well.
    assert "Withhold from the requester (R15)</strong>: these actions" in perpetrator_case
    assert "check the victim&#39;s new address" in perpetrator_case
    for case_id in bundled.case_by_role.values():
        assert "R15" not in _case_section(text, case_id)


def _case_section(text: str, case_id: int) -> str:
    match = re.search(rf'<section[^>]*aria-labelledby="case-{case_id}">(.*?)</section>', text, re.S)
    assert match, f"case {case_id} is not in the bundle"
    return match.group(1)


def test_opening_the_bundle_is_a_recorded_read_naming_the_request_and_cases(
    app: Flask, client: FlaskClient, sign_in: SignIn, bundled: Bundled
) -> None:
    sign_in(client, AUDITOR)
    confirm_all(client, bundled)
    client.get(f"/audit/subject-access/{bundled.request_id}/bundle")
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.SUBJECT_ACCESS_BUNDLE_VIEWED)
        ).one()
        assert (event.object_type, event.object_id) == (
            "subject_access_requests",
            str(bundled.request_id),
        )
        assert event.changes is not None
        for case_id in [*bundled.case_by_role.values(), bundled.perpetrator_case]:
            assert re.search(rf"\b{case_id}\b", event.changes)


# Pages: auditors only, the list, the flow, and nothing personal in the trail ----------------

SAR_RULES = [rule for rule in RULES if rule.endpoint.startswith("subject_access.")]


def test_every_subject_access_page_is_for_auditors() -> None:
    assert {rule.endpoint for rule in SAR_RULES} == {
        "subject_access.index",
        "subject_access.new",
        "subject_access.show",
        "subject_access.advance",
        "subject_access.bundle",
        "subject_access.disclosure",
    }


@pytest.mark.parametrize("role", [None, GlobalRole.ADMIN, GlobalRole.MANAGER])
def test_others_are_refused_every_subject_access_page(
    client: FlaskClient, accounts: Accounts, sign_in: SignIn, auditor: int, role: GlobalRole
) -> None:
    accounts.user("other@test.example", role=role)
    sign_in(client, "other@test.example")
    token = csrf_token(client.get("/").text)
    for rule in SAR_RULES:
        url = url_for_rule(rule)
        if "GET" in rule.methods:
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 403, url


def test_the_open_list_shows_due_dates_and_highlights_overdue_ones(
    app: Flask, client: FlaskClient, sign_in: SignIn, auditor: int
) -> None:
    with app.test_request_context():
        actor = db.session.get(User, auditor)
        assert actor is not None
        old = services.receive_request(
            actor=actor, details=details(received_on=date(2025, 1, 6)), today=date(2025, 1, 6)
        )
        done = services.receive_request(actor=actor, details=details(), today=RECEIVED)
        services.refuse(done, actor=actor, on=RECEIVED, reason="Withdrawn", today=RECEIVED)
        db.session.commit()
        old_reference, done_reference = old.reference, done.reference
    sign_in(client, AUDITOR)
    page = client.get("/audit/subject-access")
    assert page.status_code == 200
    assert old_reference in page.text
    assert "6 February 2025" in page.text
    assert "Overdue" in page.text
    assert done_reference not in page.text


def test_recording_a_request_over_http_and_the_trail_holds_no_personal_data(
    app: Flask, client: FlaskClient, sign_in: SignIn, auditor: int
) -> None:
    sign_in(client, AUDITOR)
    form = {
        "received_on": ["5", "1", "2026"],
        "regime": "dpa_part_3",
        "requester_name": REQUESTER,
        "requester_contact": "",
        "subject_given_names": "Tamsin",
        "subject_family_name": "Arrowdale",
        "subject_date_of_birth": ["12", "4", "1988"],
    }
    bad = post_form(client, "/audit/subject-access/new", form)
    assert bad.status_code == 200
    assert "There is a problem" in bad.text
    assert "Enter how to contact the requester" in bad.text
    assert REQUESTER in bad.text  # what was typed is kept
    with app.app_context():
        assert db.session.scalars(select(SubjectAccessRequest)).all() == []
    good = post_form(
        client, "/audit/subject-access/new", form | {"requester_contact": "By post only"}
    )
    assert good.status_code == 302
    show = client.get(good.location)
    assert "DPA 2018 Part 3" in show.text
    assert "cannot be extended" in show.text
    assert 'name="extend-months"' not in show.text
    forced = post_form(
        client,
        f"{good.location}/extend",
        {"extend-months": "1", "extend-reason": "x", "extend-on": ["6", "1", "2026"]},
    )
    assert forced.status_code == 200
    assert "Part 3 cannot be extended" in forced.text
    paused = post_form(client, f"{good.location}/pause", {"pause-on": ["6", "1", "2026"]})
    assert paused.status_code == 302
    with app.app_context():
        request = db.session.scalars(select(SubjectAccessRequest)).one()
        assert request.status is RequestStatus.CLARIFYING
        rows = db.session.scalars(select(AuditEvent)).all()
        trail = repr([(e.changes, e.purpose, e.object_id, e.object_type) for e in rows])
    assert [e.action for e in rows if e.action.value.startswith("subject_access:")] == [
        AuditAction.SUBJECT_ACCESS_RECEIVED,
        AuditAction.SUBJECT_ACCESS_VIEWED,
        AuditAction.SUBJECT_ACCESS_VIEWED,
        AuditAction.SUBJECT_ACCESS_CLOCK_PAUSED,
    ]
    for personal in ("Canary", "Ashgrove", "Tamsin", "Arrowdale", "1988", "By post"):
        assert personal not in trail


def test_a_missing_request_is_not_found(client: FlaskClient, sign_in: SignIn, auditor: int) -> None:
    sign_in(client, AUDITOR)
    assert client.get("/audit/subject-access/999999").status_code == 404
    assert client.get("/audit/subject-access/999999/bundle").status_code == 404


class SarScenarios:
    """Requests at the statuses the audit scenarios act on, with the canary as the requester."""

    def __init__(self, actor: User, canary: str, case: Case) -> None:
        self.actor, self.canary = actor, canary
        self.received = self.new()
        self.paused = self.new()
        services.pause_clock(self.paused, actor=actor, on=RECEIVED, today=RECEIVED)
        self.confirmed = self.new()
        services.confirm_subjects(self.confirmed, actor=actor, people=[case.people[0].person])
        # The alleged perpetrator asks: the case's referrals are withheld from them (R15).
        self.perpetrator = self.new()
        perpetrators = [p.person for p in case.people if p.role is CaseRole.PERPETRATOR]
        services.confirm_subjects(self.perpetrator, actor=actor, people=perpetrators)

    def new(self) -> SubjectAccessRequest:
        return services.receive_request(
            actor=self.actor,
            details=replace(details(), requester_name=self.canary, subject_family_name=self.canary),
            today=RECEIVED,
        )


def test_a_step_with_bad_input_shows_the_error_and_changes_nothing(
    app: Flask, client: FlaskClient, sign_in: SignIn, bundled: Bundled
) -> None:
    sign_in(client, AUDITOR)
    url = f"/audit/subject-access/{bundled.request_id}"
    missing = post_form(client, f"{url}/pause", {"pause-on": ["", "1", "2026"]})
    assert missing.status_code == 200
    assert "There is a problem" in missing.text
    assert "must include a day" in missing.text
    assert 'href="#pause-on-day"' in missing.text
    reason_kept = post_form(
        client, f"{url}/refuse", {"refuse-reason": "Typed reason kept", "refuse-on": ["", "", ""]}
    )
    assert "Enter the date the requester was told" in reason_kept.text
    assert "Typed reason kept" in reason_kept.text
    forged = post_form(client, f"{url}/subjects", {"subjects-people": "999999"})
    assert forged.status_code == 200
    assert "Select records from the list" in forged.text
    before_paused = post_form(client, f"{url}/pause", {"pause-on": ["1", "1", "2026"]})
    assert "after the request was received (12/01/2026)" in before_paused.text
    with app.app_context():
        request = db.session.get(SubjectAccessRequest, bundled.request_id)
        assert request is not None
        assert (request.status, request.subjects) == (RequestStatus.RECEIVED, [])


def test_the_database_file_holds_no_requester_details_in_clear(
    app: Flask, auditor: int, settings: Settings
) -> None:
    """What the requester gave is sealed under the request's own key."""
    with app.test_request_context():
        request = receive(auditor)
        actor = request.recorded_by
        on = date(2026, 1, 20)
        services.extend(
            request, actor=actor, months=1, reason="MARKER-REASON-3310", on=on, today=on
        )
        db.session.commit()
        assert request.requester_name == REQUESTER
        db.engine.dispose()  # closes the connections, checkpointing the WAL
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    files = [database, database.with_name(database.name + "-wal")]
    stored = b"".join(path.read_bytes() for path in files if path.exists())
    assert len(stored) > 0
    for marker in (REQUESTER, "Wrenfold Lane", "Arrowdale", "MARKER-REASON-3310"):
        assert marker.encode() not in stored, marker


def test_r15_a_recorded_decision_lets_the_referral_be_disclosed(
    app: Flask, client: FlaskClient, sign_in: SignIn, bundled: Bundled
) -> None:
    sign_in(client, AUDITOR)
    confirm_all(client, bundled)
    bundle_url = f"/audit/subject-access/{bundled.request_id}/bundle"
    link = re.search(
        r'href="(/audit/subject-access/\d+/referrals/(\d+)/disclosure)"',
        client.get(bundle_url).text,
    )
    assert link, "no way to record a decision"
    empty = post_form(client, link.group(1), {"reason": "", "on": ["20", "1", "2026"]})
    assert "Enter who decided and why the referral can be disclosed" in empty.text
    saved = post_form(
        client,
        link.group(1),
        {"reason": "Chair agreed, victim consulted", "on": ["20", "1", "2026"]},
    )
    assert saved.status_code == 302
    section = _case_section(client.get(bundle_url).text, bundled.perpetrator_case)
    assert "Do not disclose (R15)" not in section
    assert "Disclosure decided on 20 January 2026" in section
    assert "Chair agreed, victim consulted" in section
    again = post_form(client, link.group(1), {"reason": "Twice", "on": ["20", "1", "2026"]})
    assert "already recorded" in again.text
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == AuditAction.SUBJECT_ACCESS_DISCLOSURE_DECIDED
            )
        ).one()
        assert "Chair" not in (event.changes or "")
        assert f'"referral_id":[null,{link.group(2)}]' in (event.changes or "")


def test_r15_only_withheld_referrals_take_a_disclosure_decision(
    client: FlaskClient, sign_in: SignIn, bundled: Bundled
) -> None:
    sign_in(client, AUDITOR)
    # no records confirmed yet: nothing is withheld, so there is nothing to decide
    assert (
        client.get(f"/audit/subject-access/{bundled.request_id}/referrals/1/disclosure").status_code
        == 404
    )
    assert (
        client.get(
            f"/audit/subject-access/{bundled.request_id}/referrals/999999/disclosure"
        ).status_code
        == 404
    )


def test_a_case_closed_to_the_auditors_agency_is_left_out_of_the_bundle(
    app: Flask, client: FlaskClient, sign_in: SignIn, bundled: Bundled
) -> None:
    """Staff as subject: a case restricted against the auditor's own organisation is handled
    by another organisation's information governance, so it is not in this auditor's bundle."""
    victim_case = bundled.case_by_role[CaseRole.VICTIM]
    with app.app_context():
        auditor = db.session.scalar(select(User).where(User.email == AUDITOR))
        assert auditor is not None
        db.session.add(
            CaseRestriction(
                case_id=victim_case,
                organisation_id=auditor.organisation_id,
                placed_by_id=auditor.id,
            )
        )
        db.session.commit()
    sign_in(client, AUDITOR)
    confirm_all(client, bundled)
    text = client.get(f"/audit/subject-access/{bundled.request_id}/bundle").text
    assert f'aria-labelledby="case-{victim_case}"' not in text
    assert "Synthetic note about the visit" not in text
    _case_section(text, bundled.case_by_role[CaseRole.CHILD])  # the others are still there
