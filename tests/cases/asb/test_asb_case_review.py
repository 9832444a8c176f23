"""The ASB Case Review: the qualifying and threshold rules (E25 to E27), applications that are never
anonymous (E28), the enforced steps, the pages (scoped to the Community MARAC panel, audited),
and the four published figures by financial year."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

from app.accounts.models import GlobalRole
from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from app.errors import DomainError
from audit.models import AuditAction
from audit.models import AuditEvent
from audit.models import Outcome
from cases.asb import queries
from cases.asb import rules
from cases.asb import services
from cases.asb.models import Applicant
from cases.asb.models import CaseReviewApplication
from cases.asb.models import Complaint
from cases.asb.models import ReviewStatus
from cases.asb.rules import ComplaintFacts
from cases.asb.rules import IncidentFacts
from cases.asb.services import ApplicationDetails
from cases.asb.services import NewIncident
from cases.queries import months_after
from cases.reports.models import ManagerArea
from panels.models import Area
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.settings import PanelSettings
from panels.types.common import MeetingCadence
from panels.types.common import PanelType
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import csrf_token
from tests.referral_fixtures import sign_for_members

S = ReviewStatus
REP_EMAIL = "asb-rep@test.example"
OTHER_EMAIL = "asb-other@test.example"
POLICE, HOUSING, COUNCIL = "Thornbury Vale Police", "Fennick Homes", "Thornbury Vale Council"
APPLICANT = "Wilhelmina Quarrington"  # synthetic
RECEIVED = date(2026, 3, 2)


# Rules: E26 dates ----------------------------------------------------------------------------


def qualifies(behaviour: date, complaint: date, applied: date, window: int = 6) -> bool:
    return rules.complaint_qualifies(behaviour, complaint, applied, window)[0]


def test_E26_a_complaint_made_within_one_month_of_the_behaviour_qualifies() -> None:
    assert qualifies(date(2026, 1, 10), date(2026, 2, 10), date(2026, 3, 1))
    assert not qualifies(date(2026, 1, 10), date(2026, 2, 11), date(2026, 3, 1))


def test_E26_one_month_after_the_end_of_january_is_the_end_of_february() -> None:
    assert qualifies(date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 1))
    assert not qualifies(date(2026, 1, 31), date(2026, 3, 1), date(2026, 3, 2))
    assert qualifies(date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 1))  # leap year


def test_E26_a_complaint_dated_before_the_behaviour_or_after_the_application_does_not_qualify() -> (
    None
):
    ok, reason = rules.complaint_qualifies(date(2026, 1, 10), date(2026, 1, 9), date(2026, 2, 1), 6)
    assert not ok
    assert "before the behaviour" in reason
    ok, reason = rules.complaint_qualifies(
        date(2026, 1, 10), date(2026, 1, 20), date(2026, 1, 19), 6
    )
    assert not ok
    assert "after the application" in reason


def test_E26_the_application_must_come_within_six_months_of_the_complaint() -> None:
    assert qualifies(date(2026, 1, 5), date(2026, 1, 6), date(2026, 7, 6))
    ok, reason = rules.complaint_qualifies(date(2026, 1, 5), date(2026, 1, 6), date(2026, 7, 7), 6)
    assert not ok
    assert "more than 6 months" in reason


def test_E26_a_shorter_local_window_applies_and_a_longer_one_is_refused() -> None:
    assert not qualifies(date(2026, 1, 5), date(2026, 1, 6), date(2026, 4, 7), window=3)
    assert qualifies(date(2026, 1, 5), date(2026, 1, 6), date(2026, 4, 6), window=3)
    with pytest.raises(DomainError):
        rules.assess([], applied_on=RECEIVED, threshold=3, window_months=7)


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@given(
    behaviour=days, gap=st.integers(0, 28), wait=st.integers(0, 28 * 6), window=st.integers(1, 6)
)
def test_E26_property_complaints_within_the_shortest_possible_months_always_qualify(
    behaviour: date, gap: int, wait: int, window: int
) -> None:
    """28 days is never more than a month, and 28n days never more than n months."""
    complaint = behaviour + timedelta(days=gap)
    applied = complaint + timedelta(days=min(wait, 28 * window))
    assert qualifies(behaviour, complaint, applied, window)


@given(behaviour=days, gap=st.integers(32, 400), wait=st.integers(0, 100))
def test_E26_property_a_complaint_more_than_31_days_after_the_behaviour_never_qualifies(
    behaviour: date, gap: int, wait: int
) -> None:
    complaint = behaviour + timedelta(days=gap)
    assert not qualifies(behaviour, complaint, complaint + timedelta(days=wait))


@given(behaviour=days, gap=st.integers(0, 31), late=st.integers(1, 400), window=st.integers(1, 6))
def test_E26_property_an_application_after_the_window_never_relies_on_the_complaint(
    behaviour: date, gap: int, late: int, window: int
) -> None:
    complaint = behaviour + timedelta(days=gap)
    applied = months_after(complaint, window) + timedelta(days=late)
    assert not qualifies(behaviour, complaint, applied, window)


@given(behaviour=days, gap=st.integers(-400, 400), wait=st.integers(-400, 400))
def test_E26_property_a_complaint_before_its_behaviour_or_after_the_application_never_qualifies(
    behaviour: date, gap: int, wait: int
) -> None:
    complaint = behaviour + timedelta(days=gap)
    applied = complaint + timedelta(days=wait)
    if gap < 0 or wait < 0:
        assert not qualifies(behaviour, complaint, applied)


# Rules: E25 threshold and E27 incidents ------------------------------------------------------


def incident(number: int, behaviour: date, *complaints: tuple[str, date]) -> IncidentFacts:
    return IncidentFacts(
        number,
        behaviour,
        tuple(
            ComplaintFacts(number * 10 + i, on, agency) for i, (agency, on) in enumerate(complaints)
        ),
    )


def test_E27_the_same_incident_reported_to_three_agencies_counts_once() -> None:
    one = incident(
        1,
        date(2026, 1, 5),
        ("Police", date(2026, 1, 5)),
        ("Housing", date(2026, 1, 6)),
        ("Council", date(2026, 1, 7)),
    )
    assessment = rules.assess([one], applied_on=RECEIVED, threshold=3, window_months=6)
    assert assessment.counted == 1
    assert not assessment.met
    assert "1 of 1 incident (3 complaints)" in assessment.explanation


def test_E27_separate_incidents_reported_to_different_agencies_each_count() -> None:
    incidents = [
        incident(1, date(2026, 1, 5), ("Police", date(2026, 1, 5))),
        incident(2, date(2026, 1, 20), ("Housing", date(2026, 1, 21))),
        incident(3, date(2026, 2, 9), ("Council", date(2026, 2, 9))),
    ]
    assessment = rules.assess(incidents, applied_on=RECEIVED, threshold=3, window_months=6)
    assert assessment.counted == 3
    assert assessment.met
    assert "the threshold is met" in assessment.explanation


def test_E27_an_incident_counts_if_any_one_of_its_complaints_qualifies() -> None:
    late_and_on_time = incident(
        1, date(2026, 1, 5), ("Police", date(2026, 3, 1)), ("Housing", date(2026, 1, 8))
    )
    result = rules.assess([late_and_on_time], applied_on=RECEIVED, threshold=1, window_months=6)
    assert [c.qualifies for c in result.incidents[0].complaints] == [False, True]
    assert result.met


@pytest.mark.parametrize("threshold", [0, 4, 5, 10])
def test_E25_a_threshold_above_three_complaints_is_refused(threshold: int) -> None:
    with pytest.raises(DomainError, match="between 1 and 3"):
        rules.assess([], applied_on=RECEIVED, threshold=threshold, window_months=6)
    with pytest.raises(DomainError) as refused:
        PanelSettings().with_changes(case_review_threshold=threshold)
    assert refused.value.field == "case_review_threshold"


@given(
    behaviours=st.lists(st.integers(0, 60), min_size=1, max_size=6),
    extra=st.integers(0, 5),
    threshold=st.integers(1, 3),
)
def test_E27_property_another_agency_reporting_a_known_incident_never_changes_the_count(
    behaviours: list[int], extra: int, threshold: int
) -> None:
    start = date(2026, 1, 1)
    incidents = [
        incident(n, start + timedelta(days=d), ("Police", start + timedelta(days=d + 1)))
        for n, d in enumerate(behaviours)
    ]
    target = incidents[extra % len(incidents)]
    again = IncidentFacts(
        target.incident_id,
        target.behaviour_on,
        (*target.complaints, ComplaintFacts(999, target.behaviour_on, "Housing")),
    )
    widened = [again if i is target else i for i in incidents]
    applied = start + timedelta(days=90)
    before = rules.assess(incidents, applied_on=applied, threshold=threshold, window_months=6)
    after = rules.assess(widened, applied_on=applied, threshold=threshold, window_months=6)
    assert after.counted == before.counted == len(behaviours)
    assert after.met == before.met == (len(behaviours) >= threshold)


# Rules: E55 working days, financial years ----------------------------------------------------


def test_E55_working_days_skip_weekends_and_england_and_wales_bank_holidays() -> None:
    # Christmas Day (Friday), Boxing Day observed (Monday 28th) and New Year's Day are skipped.
    assert rules.working_days_after(date(2026, 12, 17), 10) == date(2027, 1, 5)
    # Easter 2026: Good Friday 3 April and Easter Monday 6 April.
    assert rules.working_days_after(date(2026, 4, 2), 1) == date(2026, 4, 7)


@given(start=days, count=st.integers(0, 40))
def test_E55_property_a_deadline_is_a_working_day_exactly_that_many_working_days_on(
    start: date, count: int
) -> None:
    holidays = {start + timedelta(days=n) for n in range(0, 60, 7)}  # a made-up calendar
    end = rules.add_working_days(start, count, holidays.__contains__)
    between = [start + timedelta(days=n) for n in range(1, (end - start).days + 1)]
    working = [d for d in between if d.weekday() < 5 and d not in holidays]
    assert len(working) == count
    if count:
        assert end == working[-1]


def test_financial_years_run_from_april_to_march() -> None:
    assert rules.financial_year(date(2026, 3, 31)) == 2025
    assert rules.financial_year(date(2026, 4, 1)) == 2026
    assert rules.financial_year_label(2026) == "April 2026 to March 2027"


# Rules: transitions --------------------------------------------------------------------------

ALLOWED = {
    (S.RECEIVED, S.ACKNOWLEDGED),
    (S.ACKNOWLEDGED, S.THRESHOLD_MET),
    (S.ACKNOWLEDGED, S.THRESHOLD_NOT_MET),
    (S.THRESHOLD_MET, S.REVIEW_HELD),
    (S.THRESHOLD_NOT_MET, S.APPEAL_REQUESTED),
    (S.REVIEW_HELD, S.OUTCOME_RECORDED),
    (S.OUTCOME_RECORDED, S.APPEAL_REQUESTED),
    (S.APPEAL_REQUESTED, S.APPEAL_DECIDED),
}


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("to", list(S))
def test_each_step_is_allowed_only_from_the_step_before_it(current: S, to: S) -> None:
    if (current, to) in ALLOWED:
        rules.require_move(current, to)
        return
    with pytest.raises(DomainError) as refused:
        rules.require_move(current, to)
    assert f"at “{current.label}”" in refused.value.message


def test_an_upheld_appeal_against_not_met_leads_to_the_review_and_nothing_else() -> None:
    rules.require_move(S.APPEAL_DECIDED, S.REVIEW_HELD, review_owed=True)
    with pytest.raises(DomainError, match="last step"):
        rules.require_move(S.APPEAL_DECIDED, S.REVIEW_HELD)
    with pytest.raises(DomainError, match="The next step is “Review meeting held”"):
        rules.require_move(S.APPEAL_DECIDED, S.OUTCOME_RECORDED, review_owed=True)


# The world the service and page tests act on --------------------------------------------------


@dataclass(frozen=True)
class World:
    rep: int  # coordinator on the home Community MARAC panel (and a member of a MARAC)
    other: int  # on the away Community MARAC panel only
    home: int
    away: int
    marac: int
    police: int
    housing: int
    council: int


def community_marac(area: str) -> Panel:
    return Panel(
        area=Area(name=area),
        name=f"{area} Community MARAC",
        panel_type=PanelType.COMMUNITY_MARAC,
        meeting_cadence=MeetingCadence.MONTHLY,
    )


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> World:
    rep = accounts.user(REP_EMAIL, organisation=COUNCIL, name="Rowena Pike")
    other = accounts.user(OTHER_EMAIL, organisation=HOUSING, name="Otto Fairlie")
    accounts.organisation_id(POLICE)
    with app.app_context():
        home, away = community_marac("Thornbury Vale"), community_marac("Eastmere")
        marac = Panel(
            area=home.area,
            name="Thornbury Vale MARAC",
            panel_type=PanelType.MARAC,
            meeting_cadence=MeetingCadence.MONTHLY,
        )
        db.session.add_all(
            [
                home,
                away,
                marac,
                PanelMembership(panel=home, user_id=rep.id, role=PanelRole.COORDINATOR),
                PanelMembership(panel=marac, user_id=rep.id, role=PanelRole.REPRESENTATIVE),
                PanelMembership(panel=away, user_id=other.id, role=PanelRole.REPRESENTATIVE),
            ]
        )
        db.session.flush()
        sign_for_members()
        db.session.commit()
        ids = {o.name: o.id for o in db.session.scalars(select(Organisation))}
        return World(
            rep.id, other.id, home.id, away.id, marac.id, ids[POLICE], ids[HOUSING], ids[COUNCIL]
        )


def details(**changes: object) -> ApplicationDetails:
    values: dict[str, object] = {
        "received_on": RECEIVED,
        "applicant": Applicant.VICTIM,
        "applicant_name": APPLICANT,
        "applicant_contact": "07700 900123, weekday mornings",
        "victim_name": "",
        "victim_consented": False,
        "description": "Repeated noise and threats from a neighbour at Larkspur Court",
    }
    return ApplicationDetails(**(values | changes))  # type: ignore[arg-type]


def receive(world: World, panel_id: int | None = None, **changes: object) -> CaseReviewApplication:
    return services.receive_application(
        actor=db.session.get(User, world.rep),
        panel=db.session.get(Panel, panel_id or world.home),
        details=details(**changes),
    )


def complain(
    world: World, application: CaseReviewApplication, behaviour: date, *agencies: tuple[int, date]
) -> None:
    """One incident, reported to each (agency id, date)."""
    rep = db.session.get(User, world.rep)
    first = None
    for agency_id, on in agencies:
        complaint = services.add_complaint(
            application,
            actor=rep,
            agency=db.session.get(Organisation, agency_id),
            complained_on=on,
            incident=first,
            new_incident=None if first else NewIncident(behaviour, "Shouting and banging at night"),
        )
        first = complaint.incident


def three_incidents(world: World, application: CaseReviewApplication) -> None:
    complain(world, application, date(2026, 1, 5), (world.police, date(2026, 1, 6)))
    complain(world, application, date(2026, 1, 19), (world.housing, date(2026, 1, 20)))
    complain(world, application, date(2026, 2, 2), (world.council, date(2026, 2, 3)))


# Services ------------------------------------------------------------------------------------


def test_every_step_from_application_to_appeal_decision(app: Flask, world: World) -> None:
    with app.test_request_context():
        rep = db.session.get(User, world.rep)
        application = receive(world)
        three_incidents(world, application)
        services.acknowledge(application, actor=rep, on=date(2026, 3, 4))
        services.decide_threshold(
            application, actor=rep, on=date(2026, 3, 16), met=True, reason="Three incidents"
        )
        services.record_review_meeting(application, actor=rep, on=date(2026, 4, 1))
        services.record_outcome(
            application,
            actor=rep,
            on=date(2026, 4, 8),
            recommendations_made=True,
            action_plan="Housing to install sound monitoring within 14 days",
        )
        services.request_appeal(application, actor=rep, on=date(2026, 4, 20), grounds="Too slow")
        services.decide_appeal(
            application, actor=rep, on=date(2026, 5, 6), upheld=False, reason="Plan is adequate"
        )
        db.session.commit()
        assert [step.status for step in application.steps] == [
            S.RECEIVED,
            S.ACKNOWLEDGED,
            S.THRESHOLD_MET,
            S.REVIEW_HELD,
            S.OUTCOME_RECORDED,
            S.APPEAL_REQUESTED,
            S.APPEAL_DECIDED,
        ]
        assert application.status is S.APPEAL_DECIDED
        with pytest.raises(DomainError, match="last step"):
            services.record_review_meeting(application, actor=rep, on=date(2026, 5, 7))


def test_a_not_met_decision_can_be_appealed_and_an_upheld_appeal_leads_to_a_review(
    app: Flask, world: World
) -> None:
    with app.test_request_context():
        rep = db.session.get(User, world.rep)
        application = receive(world)
        complain(world, application, date(2026, 1, 5), (world.police, date(2026, 1, 6)))
        services.acknowledge(application, actor=rep, on=date(2026, 3, 3))
        services.decide_threshold(
            application, actor=rep, on=date(2026, 3, 10), met=False, reason="One incident"
        )
        assert application.status is S.THRESHOLD_NOT_MET
        with pytest.raises(DomainError, match="cannot move"):
            services.record_review_meeting(application, actor=rep, on=date(2026, 3, 11))
        services.request_appeal(application, actor=rep, on=date(2026, 3, 12), grounds="More")
        services.decide_appeal(
            application, actor=rep, on=date(2026, 3, 20), upheld=True, reason="Harm is severe"
        )
        services.record_review_meeting(application, actor=rep, on=date(2026, 3, 30))
        assert application.status is S.REVIEW_HELD
        assert application.threshold_met is False  # the first decision, as published


def test_steps_out_of_order_or_dated_before_the_last_step_are_refused(
    app: Flask, world: World
) -> None:
    with app.test_request_context():
        rep = db.session.get(User, world.rep)
        application = receive(world)
        with pytest.raises(DomainError, match="cannot move to “Threshold met”"):
            services.decide_threshold(
                application, actor=rep, on=date(2026, 3, 3), met=True, reason="Early"
            )
        with pytest.raises(DomainError) as early:
            services.acknowledge(application, actor=rep, on=date(2026, 3, 1))
        assert early.value.field == "on"
        services.acknowledge(application, actor=rep, on=date(2026, 3, 2))
        with pytest.raises(DomainError, match="cannot move to “Acknowledged”"):
            services.acknowledge(application, actor=rep, on=date(2026, 3, 3))


def test_the_decision_cannot_say_not_met_when_the_qualifying_complaints_meet_it(
    app: Flask, world: World
) -> None:
    with app.test_request_context():
        rep = db.session.get(User, world.rep)
        application = receive(world)
        three_incidents(world, application)
        services.acknowledge(application, actor=rep, on=date(2026, 3, 3))
        with pytest.raises(DomainError, match="must go ahead") as refused:
            services.decide_threshold(
                application, actor=rep, on=date(2026, 3, 4), met=False, reason="No"
            )
        assert refused.value.field == "met"
        assert application.status is S.ACKNOWLEDGED


def test_below_the_count_the_partnership_may_still_decide_it_is_met(
    app: Flask, world: World
) -> None:
    """domain §3.5: persistence, harm and the adequacy of the response may be considered."""
    with app.test_request_context():
        rep = db.session.get(User, world.rep)
        application = receive(world)
        services.acknowledge(application, actor=rep, on=date(2026, 3, 3))
        services.decide_threshold(
            application, actor=rep, on=date(2026, 3, 4), met=True, reason="Hate incident"
        )
        assert application.status is S.THRESHOLD_MET


def test_E28_applications_are_never_anonymous(app: Flask, world: World) -> None:
    with app.test_request_context():
        for field, changes in [
            ("applicant_name", {"applicant_name": "  "}),
            ("applicant_contact", {"applicant_contact": ""}),
        ]:
            with pytest.raises(DomainError) as refused:
                receive(world, **changes)
            assert refused.value.field == field


def test_E28_a_third_party_needs_the_victims_name_and_consent(app: Flask, world: World) -> None:
    with app.test_request_context():
        third = {"applicant": Applicant.THIRD_PARTY, "victim_name": "Ivo Brackenridge"}
        with pytest.raises(DomainError) as refused:
            receive(world, **third)
        assert refused.value.field == "victim_consented"
        with pytest.raises(DomainError) as unnamed:
            receive(world, **third | {"victim_name": "", "victim_consented": True})
        assert unnamed.value.field == "victim_name"
        application = receive(world, **third | {"victim_consented": True})
        assert application.victim_consented
        assert application.victim_name == "Ivo Brackenridge"
        assert receive(world).victim_name == APPLICANT  # the victim applying for themselves


def test_only_a_community_marac_panel_holds_case_reviews(app: Flask, world: World) -> None:
    with app.test_request_context(), pytest.raises(DomainError, match="Community MARAC"):
        receive(world, panel_id=world.marac)


def test_complaints_are_refused_once_the_threshold_is_decided(app: Flask, world: World) -> None:
    with app.test_request_context():
        rep = db.session.get(User, world.rep)
        application = receive(world)
        services.acknowledge(application, actor=rep, on=date(2026, 3, 3))
        services.decide_threshold(
            application, actor=rep, on=date(2026, 3, 4), met=False, reason="x"
        )
        with pytest.raises(DomainError, match="no longer"):
            complain(world, application, date(2026, 1, 5), (world.police, date(2026, 1, 6)))


def test_personal_details_are_sealed_in_the_database(app: Flask, world: World) -> None:
    with app.test_request_context():
        receive(world)
        db.session.commit()
        raw = db.session.execute(
            text("SELECT applicant_name, description FROM case_review_applications")
        ).one()
        assert APPLICANT.encode() not in raw[0]
        assert b"Larkspur" not in raw[1]


# Pages ---------------------------------------------------------------------------------------


def signed_in_rep(client: FlaskClient, sign_in: SignIn) -> FlaskClient:
    return sign_in(client, REP_EMAIL)


def stored_application(app: Flask, world: World, *, panel_id: int | None = None) -> int:
    with app.test_request_context():
        application = receive(world, panel_id=panel_id)
        db.session.commit()
        return application.id


def recorded(app: Flask, action: AuditAction) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        db.session.expunge_all()
        return list(rows)


def application_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(CaseReviewApplication.id))) or 0


Form = dict[str, str | tuple[str, str, str]]


def encode(data: Form) -> MultiDict[str, str]:
    """Form data as a browser sends it: a GOV.UK date input is three values under one name."""
    pairs: list[tuple[str, str]] = []
    for name, value in data.items():
        pairs += [(name, part) for part in value] if isinstance(value, tuple) else [(name, value)]
    return MultiDict(pairs)


def submit(client: FlaskClient, url: str, data: Form) -> Any:
    """GET the page for its CSRF token, then POST the form."""
    token = csrf_token(client.get(url).text)
    return client.post(url, data=encode(data | {"csrf_token": token}))


FORM: Form = {
    "panel_id": "",
    "received_on": ("2", "3", "2026"),
    "applicant": "victim",
    "applicant_name": APPLICANT,
    "applicant_contact": "07700 900123",
    "victim_name": "",
    "description": "Repeated noise and threats",
}


def test_recording_an_application_opens_its_page(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    signed_in_rep(client, sign_in)
    response = submit(client, "/case-reviews/new", FORM | {"panel_id": str(world.home)})
    assert response.status_code == 302, response.text
    page = client.get(response.location)
    assert page.status_code == 200
    assert APPLICANT in page.text
    assert "not a complaints procedure" in page.text  # E29
    assert "16 March 2026 (10 working days after receipt)" in page.text  # E55
    assert "Record acknowledgement" in page.text
    assert application_count(app) == 1


def test_a_bad_application_shows_errors_keeps_the_input_and_saves_nothing(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    signed_in_rep(client, sign_in)
    response = submit(
        client,
        "/case-reviews/new",
        FORM
        | {
            "panel_id": str(world.home),
            "received_on": ("2", "13", "2026"),
            "applicant": "anonymous",
            "applicant_contact": "",
        },
    )
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert "<title>Error: " in response.text
    for message in (
        "Date the application was received must be a real date",
        "Select who is applying",
        "Enter a contact for the applicant",
    ):
        assert message in response.text
    assert f'value="{APPLICANT}"' in response.text
    assert application_count(app) == 0


def test_E28_a_third_party_application_without_consent_is_refused_on_the_page(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    signed_in_rep(client, sign_in)
    response = submit(
        client,
        "/case-reviews/new",
        FORM | {"panel_id": str(world.home), "applicant": "third_party", "victim_name": "Ivo B"},
    )
    assert response.status_code == 200
    assert "Confirm the victim has agreed" in response.text
    assert application_count(app) == 0


def test_an_application_cannot_be_recorded_for_another_panel(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    signed_in_rep(client, sign_in)
    for panel_id in (world.away, world.marac):
        response = submit(client, "/case-reviews/new", FORM | {"panel_id": str(panel_id)})
        assert response.status_code == 200
        assert "Select a Community MARAC panel from the list" in response.text
    assert application_count(app) == 0


def test_E27_complaints_added_on_the_page_are_grouped_by_incident(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    application_id = stored_application(app, world)
    signed_in_rep(client, sign_in)
    url = f"/case-reviews/{application_id}/complaints/new"
    first = submit(
        client,
        url,
        {
            "incident": "new",
            "behaviour_on": ("5", "1", "2026"),
            "incident_description": "Bins set alight",
            "agency": str(world.police),
            "complained_on": ("6", "1", "2026"),
        },
    )
    assert first.status_code == 302, first.text
    with app.app_context():
        incident_id = db.session.scalar(select(Complaint.incident_id))
    same = {
        "incident": str(incident_id),
        "agency": str(world.housing),
        "complained_on": ("7", "1", "2026"),
    }
    assert submit(client, url, same).status_code == 302
    page = client.get(f"/case-reviews/{application_id}").text
    assert "1 of 1 incident (2 complaints) counted against a threshold of 3" in page
    assert "the threshold is not met" in page
    assert "Bins set alight" in page
    # The same agency again for the same incident changes nothing it counts: refused.
    again = submit(client, url, same | {"agency": str(world.police)})
    assert again.status_code == 200
    assert "already recorded" in again.text


def test_complaint_form_errors(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    application_id = stored_application(app, world)
    signed_in_rep(client, sign_in)
    url = f"/case-reviews/{application_id}/complaints/new"
    missing = submit(client, url, {"incident": "new", "agency": ""})
    assert missing.status_code == 200
    for message in (
        "Enter the date of the behaviour",
        "Enter what happened",
        "Select the agency the complaint was made to",
        "Enter the date of the complaint",
    ):
        assert message in missing.text
    backwards = submit(
        client,
        url,
        {
            "incident": "new",
            "behaviour_on": ("5", "1", "2026"),
            "incident_description": "Graffiti",
            "agency": str(world.police),
            "complained_on": ("4", "1", "2026"),
        },
    )
    assert backwards.status_code == 200
    assert "must be the same as or after the behaviour" in backwards.text
    assert "Graffiti" in backwards.text  # kept
    with app.app_context():
        assert db.session.scalar(select(func.count(Complaint.id))) == 0


def step(client: FlaskClient, application_id: int, name: str, data: Form) -> Any:
    token = csrf_token(client.get(f"/case-reviews/{application_id}").text)
    return client.post(
        f"/case-reviews/{application_id}/{name}", data=encode(data | {"csrf_token": token})
    )


def on(day: int, month: int) -> Form:
    return {"on": (str(day), str(month), "2026")}


def test_each_step_on_the_page_and_its_errors(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    with app.test_request_context():
        application = receive(world)
        three_incidents(world, application)
        db.session.commit()
        application_id = application.id
    signed_in_rep(client, sign_in)
    wrong = step(client, application_id, "meeting", on(3, 3))
    assert wrong.status_code == 200
    assert "cannot move to “Review meeting held”" in wrong.text
    assert step(client, application_id, "acknowledge", on(3, 3)).status_code == 302
    no_reason = step(client, application_id, "threshold", on(9, 3) | {"met": "yes"})
    assert "Enter the reason for the decision" in no_reason.text
    unlawful = step(client, application_id, "threshold", on(9, 3) | {"met": "no", "reason": "x"})
    assert "must go ahead" in unlawful.text
    met = step(client, application_id, "threshold", on(9, 3) | {"met": "yes", "reason": "3 found"})
    assert met.status_code == 302
    assert step(client, application_id, "meeting", on(20, 3)).status_code == 302
    no_plan = step(client, application_id, "outcome", on(27, 3) | {"recommendations_made": "yes"})
    assert "Enter the action plan" in no_plan.text
    outcome = step(
        client,
        application_id,
        "outcome",
        on(27, 3) | {"recommendations_made": "yes", "action_plan": "Move the victim's bins"},
    )
    assert outcome.status_code == 302
    assert (
        step(client, application_id, "appeal", on(28, 3) | {"grounds": "Slow"}).status_code == 302
    )
    decided = step(
        client, application_id, "appeal-decision", on(30, 3) | {"upheld": "no", "reason": "Fine"}
    )
    assert decided.status_code == 302
    page = client.get(f"/case-reviews/{application_id}").text
    assert "This application has reached its last step" in page
    assert "Move the victim" in page
    assert page.count("Rowena Pike") >= 7  # who recorded each step in the history


def test_only_members_of_the_panel_reach_an_application(
    app: Flask, client: FlaskClient, accounts: Accounts, world: World, sign_in: SignIn
) -> None:
    away_id = stored_application(app, world, panel_id=world.away)
    accounts.user("admin-asb@test.example", role=GlobalRole.ADMIN)
    for email in (REP_EMAIL, "admin-asb@test.example"):
        visitor = sign_in(app.test_client(), email)
        for url in (f"/case-reviews/{away_id}", f"/case-reviews/{away_id}/complaints/new"):
            assert visitor.get(url).status_code == 404, (email, url)
        assert visitor.get("/case-reviews/999999").status_code == 404
    other = sign_in(client, OTHER_EMAIL)
    assert other.get(f"/case-reviews/{away_id}").status_code == 200
    denied = recorded(app, AuditAction.ACCESS_DENIED)
    assert {e.object_id for e in denied} == {str(away_id), "999999"}
    assert all(e.object_type == "case_review_applications" for e in denied)
    assert all(e.outcome is Outcome.DENIED for e in denied)


def test_a_forged_step_on_another_panels_application_is_not_found_and_changes_nothing(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    away_id = stored_application(app, world, panel_id=world.away)
    signed_in_rep(client, sign_in)
    token = csrf_token(client.get("/case-reviews").text)
    forged = client.post(
        f"/case-reviews/{away_id}/acknowledge", data=encode(on(3, 3) | {"csrf_token": token})
    )
    assert forged.status_code == 404
    with app.app_context():
        assert db.session.get(CaseReviewApplication, away_id).status is S.RECEIVED


def test_the_list_shows_only_your_panels_newest_first_and_filters_by_status(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    with app.test_request_context():
        rep = db.session.get(User, world.rep)
        older = receive(world, received_on=date(2026, 1, 5))
        newer = receive(world, received_on=date(2026, 2, 5))
        away = receive(world, panel_id=world.away)
        services.acknowledge(older, actor=rep, on=date(2026, 2, 6))
        db.session.commit()
        refs = older.reference, newer.reference, away.reference
    signed_in_rep(client, sign_in)
    listing = client.get("/case-reviews").text
    assert "2 applications" in listing
    assert listing.index(refs[1]) < listing.index(refs[0])
    assert refs[2] not in listing
    acknowledged = client.get("/case-reviews", query_string={"status": "acknowledged"}).text
    assert refs[0] in acknowledged
    assert refs[1] not in acknowledged
    forged = client.get("/case-reviews", query_string={"status": "<script>", "page": "x"})
    assert forged.status_code == 200
    assert "Select a status from the list" in forged.text
    assert len(recorded(app, AuditAction.CASE_REVIEW_LIST_VIEWED)) == 3


def test_every_page_showing_an_application_records_a_read(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    application_id = stored_application(app, world)
    signed_in_rep(client, sign_in)
    client.get(f"/case-reviews/{application_id}")
    client.get(f"/case-reviews/{application_id}/complaints/new")
    reads = recorded(app, AuditAction.CASE_REVIEW_VIEWED)
    assert [(e.object_type, e.object_id) for e in reads] == [
        ("case_review_applications", str(application_id))
    ] * 2
    assert all(APPLICANT not in (e.changes or "") for e in reads)


def test_the_four_figures_count_by_financial_year_of_receipt(
    app: Flask, client: FlaskClient, accounts: Accounts, world: World, sign_in: SignIn
) -> None:
    with app.test_request_context():
        rep = db.session.get(User, world.rep)
        march = receive(world, received_on=date(2026, 3, 31))  # 2025 to 2026
        services.acknowledge(march, actor=rep, on=date(2026, 4, 1))
        services.decide_threshold(march, actor=rep, on=date(2026, 4, 2), met=False, reason="x")
        april = receive(world, received_on=date(2026, 4, 1))  # 2026 to 2027
        three_incidents(world, april)
        services.acknowledge(april, actor=rep, on=date(2026, 4, 2))
        services.decide_threshold(april, actor=rep, on=date(2026, 4, 3), met=True, reason="3")
        services.record_review_meeting(april, actor=rep, on=date(2026, 4, 20))
        services.record_outcome(
            april, actor=rep, on=date(2026, 4, 21), recommendations_made=True, action_plan="Plan"
        )
        receive(world, received_on=date(2026, 5, 1))
        receive(world, panel_id=world.away, received_on=date(2026, 5, 1))
        db.session.commit()
    signed_in_rep(client, sign_in)
    page = client.get("/case-reviews/figures")
    assert page.status_code == 200
    rows = [
        re.sub(r"<[^>]+>", "|", row).replace("|", " ").split()
        for row in re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', page.text, re.S)[1:]
    ]
    assert [" ".join(r) for r in rows] == [
        "April 2026 to March 2027 Thornbury Vale Community MARAC 2 0 1 1",
        "April 2025 to March 2026 Thornbury Vale Community MARAC 1 1 0 0",
    ]
    assert "Eastmere" not in page.text
    manager = figures_as_manager(app, accounts, sign_in, areas_of=(world.away,), name="eastmere")
    assert "Eastmere Community MARAC" in manager
    assert "Thornbury Vale" not in manager
    assert len(recorded(app, AuditAction.CASE_REVIEW_FIGURES_VIEWED)) == 2


def figures_as_manager(
    app: Flask, accounts: Accounts, sign_in: SignIn, *, areas_of: tuple[int, ...], name: str
) -> str:
    """The figures page as a new manager who reports on the areas of the panels `areas_of`."""
    email = f"manager-{name}@test.example"
    manager = accounts.user(email, role=GlobalRole.MANAGER)
    with app.app_context():
        for panel_id in areas_of:
            area_id = db.session.get_one(Panel, panel_id).area_id
            db.session.add(ManagerArea(user_id=manager.id, area_id=area_id))
        db.session.commit()
    return sign_in(app.test_client(), email).get("/case-reviews/figures").text


def test_R23_a_manager_sees_only_the_figures_of_the_areas_they_report_on(
    app: Flask, accounts: Accounts, world: World, sign_in: SignIn
) -> None:
    """Domain R23, security R15: the figures follow the report scope (cases.policy), as every
    report does; a manager of another area, or of none, sees none of this area's figures."""
    with app.test_request_context():
        receive(world, received_on=date(2026, 5, 1))
        receive(world, panel_id=world.away, received_on=date(2026, 5, 1))
        elsewhere = community_marac("Hollowmere")
        db.session.add(elsewhere)
        db.session.commit()
        elsewhere_id = elsewhere.id
    nowhere = figures_as_manager(app, accounts, sign_in, areas_of=(), name="of-no-area")
    assert "Community MARAC" not in nowhere
    assert "No applications have been recorded" in nowhere
    other_area = figures_as_manager(app, accounts, sign_in, areas_of=(elsewhere_id,), name="other")
    assert "Thornbury Vale" not in other_area
    assert "Eastmere" not in other_area
    assert "No applications have been recorded" in other_area
    both = figures_as_manager(
        app, accounts, sign_in, areas_of=(world.home, world.away), name="of-both"
    )
    assert "Thornbury Vale Community MARAC" in both
    assert "Eastmere Community MARAC" in both


# The audit scenarios (used by tests/audit/test_audit.py) ----------------------------------------


class ReviewScenarios:
    """One application at each status, on a Community MARAC panel, for the audit scenarios."""

    def __init__(self, actor: User, agency: Organisation, victim_name: str) -> None:
        self.actor, self.agency = actor, agency
        panel = community_marac("Scenario Vale")
        db.session.add(panel)
        db.session.flush()
        self.panel = panel
        self.received = self.new(victim_name)
        self.acknowledged = self.new(victim_name, S.ACKNOWLEDGED)
        self.met = self.new(victim_name, S.THRESHOLD_MET)
        self.held = self.new(victim_name, S.REVIEW_HELD)
        self.outcome = self.new(victim_name, S.OUTCOME_RECORDED)
        self.appealed = self.new(victim_name, S.APPEAL_REQUESTED)

    def new(self, name: str, until: S = S.RECEIVED) -> CaseReviewApplication:
        application = services.receive_application(
            actor=self.actor, panel=self.panel, details=details(applicant_name=name)
        )
        moves = [
            (S.ACKNOWLEDGED, lambda a: services.acknowledge(a, actor=self.actor, on=RECEIVED)),
            (
                S.THRESHOLD_MET,
                lambda a: services.decide_threshold(
                    a, actor=self.actor, on=RECEIVED, met=True, reason="r"
                ),
            ),
            (
                S.REVIEW_HELD,
                lambda a: services.record_review_meeting(a, actor=self.actor, on=RECEIVED),
            ),
            (
                S.OUTCOME_RECORDED,
                lambda a: services.record_outcome(
                    a, actor=self.actor, on=RECEIVED, recommendations_made=False, action_plan=""
                ),
            ),
            (
                S.APPEAL_REQUESTED,
                lambda a: services.request_appeal(a, actor=self.actor, on=RECEIVED, grounds="g"),
            ),
        ]
        for status, move in moves:
            if application.status is until:
                break
            move(application)
            assert application.status is status
        return application


@pytest.mark.postgres
def test_the_figures_query_and_a_sealed_application_work_on_postgresql(pg_app: Flask) -> None:
    accounts = Accounts(pg_app)
    rep = accounts.user(REP_EMAIL, organisation=COUNCIL)
    with pg_app.test_request_context():
        panel = community_marac("Thornbury Vale")
        db.session.add_all(
            [panel, PanelMembership(panel=panel, user_id=rep.id, role=PanelRole.COORDINATOR)]
        )
        db.session.flush()
        sign_for_members()
        actor = db.session.get(User, rep.id)
        for received_on in (date(2026, 3, 31), date(2026, 4, 1)):
            services.receive_application(
                actor=actor, panel=panel, details=details(received_on=received_on)
            )
        db.session.commit()
        figures = queries.figures_for(actor)
        assert [(row.year, row.received) for row in figures] == [(2026, 1), (2025, 1)]
        assert queries.applications_for(actor, status=S.RECEIVED, page=1)[1] == 2
