"""Who is told of what (issue 22): each event reaches the people it is for and nobody else,
saying no more than an event, a panel, a reference and a link; the morning's reminders are
given once per due date. (What the emails say and how they are sent: test_delivery.py; that
no personal data reaches any of it: tests/invariants/test_markers.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from app import jobs
from app.accounts import services as account_services
from app.accounts.models import GlobalRole
from app.accounts.models import KnownDevice
from app.accounts.models import User
from app.database import UK
from app.database import db
from app.database import uk_today
from cases.actions import services as actions
from cases.actions.models import CaseAction
from cases.meetings import services as meetings
from cases.models import Case
from cases.referrals import services as referrals
from cases.referrals.models import Referral
from cases.restrictions.models import CaseRestriction
from notifications.events import Event
from notifications.models import Notification
from panels import isp
from panels import services as panel_services
from panels.models import IspSignatory
from panels.models import Panel
from panels.models import PanelRole
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.referral_fixtures import marac_answers
from tests.referral_fixtures import member
from tests.referral_fixtures import panel
from tests.referral_fixtures import sign_isp
from tests.referral_fixtures import submitted

TODAY = uk_today()
COORDINATOR = "coordinator@test.example"
CHAIR = "chair@test.example"
POLICE = "police@test.example"  # refers
HOUSING = "housing@test.example"  # owns the actions
HOUSING_TOO = "housing2@test.example"
HEALTH = "health@test.example"
LAPSED = "lapsed@test.example"  # a coordinator whose agency's signature has lapsed
ELSEWHERE = "elsewhere@test.example"  # the coordinator of another area's panel
ADMIN = "admin.two@test.example"


@dataclass
class World:
    users: dict[str, User]
    marac: Panel
    other: Panel

    def told(self, event: Event) -> set[str]:
        """Who has been told of `event` (their email addresses)."""
        return {
            n.recipient.email
            for n in db.session.scalars(select(Notification).where(Notification.event == event))
        }

    def refer(self) -> Referral:
        return submitted(self.users[POLICE], self.marac, marac_answers(referred_on=TODAY))

    def case(self) -> Case:
        referral = self.refer()
        coordinator = self.users[COORDINATOR]
        return referrals.accept_referral(
            referral, actor=coordinator, matches=[None, None], today=TODAY
        ).case

    def action(self, case: Case, due_on: date) -> CaseAction:
        housing = self.users[HOUSING].organisation
        return actions.agree_action(
            case,
            actor=self.users[COORDINATOR],
            action=actions.NewAction("Fit a door alarm", housing, due_on, None),
            today=case.opened_on,
        )


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> Iterator[World]:
    organisations = {
        COORDINATOR: "Thornbury Community Safety",
        CHAIR: "Thornbury Probation",
        POLICE: "Thornbury Police",
        HOUSING: "Ashcombe Homes",
        HOUSING_TOO: "Ashcombe Homes",
        HEALTH: "Thornbury Health",
        LAPSED: "Lapsewood Council",
        ELSEWHERE: "Eastmere Community Safety",
        ADMIN: "Thornbury Community Safety",
    }
    for email, organisation in organisations.items():
        accounts.user(email, organisation=organisation)
    with app.test_request_context():
        users = {u.email: u for u in db.session.scalars(select(User))}
        users[ADMIN].global_role = GlobalRole.ADMIN
        marac, other = panel("Thornbury"), panel("Eastmere")
        # The lapsed coordinator's agency signed, but its review date has passed.
        sign_isp(marac, users[LAPSED].organisation_id, review_on=TODAY - timedelta(days=1))
        member(marac, users[COORDINATOR], PanelRole.COORDINATOR)
        member(marac, users[LAPSED], PanelRole.COORDINATOR)
        member(marac, users[CHAIR], PanelRole.CHAIR)
        for email in (POLICE, HOUSING, HOUSING_TOO, HEALTH):
            member(marac, users[email], PanelRole.REPRESENTATIVE)
        member(other, users[ELSEWHERE], PanelRole.COORDINATOR)
        db.session.commit()
        yield World(users, marac, other)


def test_a_referral_sent_tells_the_panels_coordinators_in_force_only(world: World) -> None:
    """Referral waiting for screening: to the panel's coordinators (not one whose agency's
    signature has lapsed, not another panel's), with the referral's reference and a link to
    screen it, and nothing else."""
    referral = world.refer()
    assert world.told(Event.REFERRAL_WAITING) == {COORDINATOR}
    [told] = db.session.scalars(select(Notification)).all()
    assert (told.panel_name, told.reference, told.link) == (
        world.marac.name,
        referral.reference,
        f"/referrals/{referral.id}/screen",
    )


@pytest.mark.parametrize("decision", ["return", "reject", "accept"])
def test_the_coordinators_decision_is_told_to_the_referrer(world: World, decision: str) -> None:
    referral = world.refer()
    coordinator = world.users[COORDINATOR]
    if decision == "return":
        referrals.return_referral(referral, actor=coordinator, reason="Please add the DASH")
        event = Event.REFERRAL_RETURNED
    elif decision == "reject":
        referral.risk_score = 3  # below the threshold: it may be rejected (E13)
        referrals.reject_referral(referral, actor=coordinator, reason="Below the threshold")
        event = Event.REFERRAL_REJECTED
    else:
        referrals.accept_referral(referral, actor=coordinator, matches=[None, None], today=TODAY)
        event = Event.REFERRAL_ACCEPTED
    assert world.told(event) == {POLICE}
    [told] = db.session.scalars(select(Notification).where(Notification.event == event)).all()
    assert told.link == f"/referrals/{referral.id}"


def test_an_action_is_told_to_its_agencys_representatives(world: World) -> None:
    case = world.case()
    action = world.action(case, TODAY + timedelta(days=14))
    assert world.told(Event.ACTION_ASSIGNED) == {HOUSING, HOUSING_TOO}
    [told, _] = db.session.scalars(
        select(Notification).where(Notification.event == Event.ACTION_ASSIGNED)
    ).all()
    assert (told.reference, told.link) == (case.reference, f"/cases/{case.id}/actions/{action.id}")


def morning(day: date) -> datetime:
    return datetime.combine(day, time(8), tzinfo=UK)


def test_reminders_come_each_morning_once_per_due_date(world: World) -> None:
    """Due soon (within 3 days) to the agency's representatives; overdue to them and the
    chair; each once for its due date, however many mornings pass; a new due date is
    reminded of afresh; a closed action is not."""
    case = world.case()
    action = world.action(case, TODAY + timedelta(days=14))
    db.session.commit()
    jobs.run_daily(morning(TODAY + timedelta(days=11)))
    assert world.told(Event.ACTION_DUE_SOON) == {HOUSING, HOUSING_TOO}
    jobs.run_daily(morning(TODAY + timedelta(days=12)))
    assert len(world.told(Event.ACTION_DUE_SOON)) == 2
    count = len(db.session.scalars(select(Notification)).all())
    jobs.run_daily(morning(TODAY + timedelta(days=15)))
    assert world.told(Event.ACTION_OVERDUE) == {HOUSING, HOUSING_TOO, CHAIR}
    jobs.run_daily(morning(TODAY + timedelta(days=16)))
    assert len(db.session.scalars(select(Notification)).all()) == count + 3
    action = db.session.get_one(CaseAction, action.id)
    action.due_on = TODAY + timedelta(days=20)
    db.session.commit()
    jobs.run_daily(morning(TODAY + timedelta(days=21)))
    assert len(db.session.scalars(select(Notification)).all()) == count + 6


def test_a_reminder_waits_for_its_hour_and_runs_once_a_day(world: World) -> None:
    world.action(world.case(), TODAY)
    db.session.commit()
    early = datetime.combine(TODAY + timedelta(days=1), time(6, 59), tzinfo=UK)
    assert "cases.actions.services._remind_owners" not in jobs.run_daily(early)
    assert world.told(Event.ACTION_OVERDUE) == set()
    assert "cases.actions.services._remind_owners" in jobs.run_daily(early + timedelta(hours=1))
    assert "cases.actions.services._remind_owners" not in jobs.run_daily(early + timedelta(hours=5))


def test_nobody_the_case_is_restricted_from_is_reminded(world: World) -> None:
    case = world.case()
    world.action(case, TODAY)
    db.session.add(
        CaseRestriction(
            case_id=case.id,
            organisation_id=world.users[CHAIR].organisation_id,
            placed_by_id=world.users[COORDINATOR].id,
        )
    )
    db.session.commit()
    jobs.run_daily(morning(TODAY + timedelta(days=1)))
    assert world.told(Event.ACTION_OVERDUE) == {HOUSING, HOUSING_TOO}


def test_an_agenda_is_told_to_the_panels_members_once(world: World) -> None:
    """Published by a coordinator, or opening by itself on its day (R3): once either way."""
    referral = world.refer()
    coordinator = world.users[COORDINATOR]
    referrals.accept_referral(referral, actor=coordinator, matches=[None, None], today=TODAY)
    meeting = panel_services.schedule_meeting(
        actor=None, panel=world.marac, held_on=TODAY + timedelta(days=20)
    )
    referrals.list_for_meeting(referral, actor=coordinator, meeting=meeting)
    db.session.commit()
    jobs.run_daily(morning(TODAY + timedelta(days=12)))  # opens 7 days before: not yet
    assert world.told(Event.AGENDA_PUBLISHED) == set()
    jobs.run_daily(morning(TODAY + timedelta(days=13)))
    members = {COORDINATOR, CHAIR, POLICE, HOUSING, HOUSING_TOO, HEALTH}
    assert world.told(Event.AGENDA_PUBLISHED) == members
    meetings.publish_agenda(meeting, actor=coordinator, seen=meeting.agenda_revision, today=TODAY)
    db.session.commit()
    assert len(db.session.scalars(select(Notification)).all()) >= len(members)
    told = db.session.scalars(
        select(Notification).where(Notification.event == Event.AGENDA_PUBLISHED)
    ).all()
    assert len(told) == len(members)


def test_a_withdrawn_signature_is_told_to_admins_and_coordinators(world: World) -> None:
    signatory = db.session.scalars(
        select(IspSignatory).where(
            IspSignatory.organisation_id == world.users[HEALTH].organisation_id
        )
    ).one()
    isp.withdraw_signatory(signatory, actor=world.users[ADMIN], withdrawn_on=TODAY)
    told = db.session.scalars(
        select(Notification).where(Notification.event == Event.ISP_WITHDRAWN)
    ).all()
    links = {n.recipient.email: n.link for n in told}
    assert links == {
        ADMIN: f"/admin/panels/{world.marac.id}/isp",
        COORDINATOR: f"/panels/{world.marac.id}",
    }


def test_a_review_date_coming_up_is_told_once(world: World) -> None:
    signatory = db.session.scalars(
        select(IspSignatory).where(
            IspSignatory.organisation_id == world.users[HEALTH].organisation_id
        )
    ).one()
    signatory.review_on = TODAY + timedelta(days=40)
    db.session.commit()
    jobs.run_daily(morning(TODAY))
    assert world.told(Event.ISP_REVIEW_DUE) == set()
    jobs.run_daily(morning(TODAY + timedelta(days=10)))
    assert world.told(Event.ISP_REVIEW_DUE) == {ADMIN, COORDINATOR}
    jobs.run_daily(morning(TODAY + timedelta(days=11)))
    assert len(db.session.scalars(select(Notification)).all()) == 2


def test_an_admin_resetting_two_factor_tells_the_account_holder(world: World) -> None:
    account_services.reset_two_factor(world.users[HEALTH], actor=world.users[ADMIN])
    assert world.told(Event.TWO_FACTOR_CHANGED) == {HEALTH}


def test_a_deactivated_person_is_not_told(world: World) -> None:
    world.users[COORDINATOR].active = False
    world.refer()
    assert world.told(Event.REFERRAL_WAITING) == set()


def new_device_notices(app: Flask, email: str) -> int:
    with app.app_context():
        return len(
            db.session.scalars(
                select(Notification)
                .join(User, User.id == Notification.recipient_id)
                .where(User.email == email, Notification.event == Event.NEW_DEVICE)
            ).all()
        )


def test_a_sign_in_from_a_new_browser_tells_the_account_holder(
    app: Flask, accounts: Accounts, sign_in: SignIn
) -> None:
    """The first browser is simply remembered (a long-lived cookie, its hash stored); the same
    browser again is known; another browser tells the account's holder, at once by email."""
    accounts.user(HEALTH)
    first = sign_in(app.test_client(), HEALTH)
    cookie = first.get_cookie("device")
    assert cookie is not None
    assert cookie.http_only
    assert new_device_notices(app, HEALTH) == 0
    again = app.test_client()  # the same browser another day: it keeps its cookie
    again.set_cookie("device", cookie.value)
    sign_in(again, HEALTH)
    assert new_device_notices(app, HEALTH) == 0
    sign_in(app.test_client(), HEALTH)
    assert new_device_notices(app, HEALTH) == 1
    with app.app_context():
        stored = db.session.scalars(select(KnownDevice.token_hash)).all()
    assert len(stored) == 2
    assert cookie.value not in stored  # only its hash is kept
