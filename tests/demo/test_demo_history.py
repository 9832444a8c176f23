"""The demo's history is dated as it would have happened (issue 25): each referral drafted and
submitted on its referral date, screened within a few working days, heard at its meeting with
the actions agreed there, reported on later; nothing dated at the moment the demo was loaded,
except the audit trail, which records truthfully when its events were written."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from sqlalchemy import select

from app.database import Base
from app.database import UTCDateTime
from app.database import db
from app.jobs.models import OutboxMessage
from app.template_filters import UK
from audit.models import AuditCheckpoint
from audit.models import AuditEvent
from audit.verify import verify_chain
from cases.actions.models import CaseAction
from cases.models import Case
from cases.referrals.models import Referral
from demo.cases import TODAY
from demo.data import SET_UP
from notifications.events import Event
from notifications.models import Delivery
from notifications.models import DeliveryStatus
from notifications.models import Notification
from panels.models import ConfidentialityDeclaration
from panels.models import Meeting
from panels.types.common import ReferralStatus
from tests.demo.conftest import Demo

END_OF_TODAY = datetime.combine(TODAY + timedelta(days=1), time(), tzinfo=UK)
SET_UP_TABLES = ("organisations", "users", "panels", "panel_memberships")


def uk_day(moment: datetime) -> date:
    return moment.astimezone(UK).date()


def working_day(day: date) -> bool:
    return day.weekday() < 5 and (day.month, day.day) not in {(12, 25), (12, 26), (1, 1)}


def working_days_between(start: date, end: date) -> int:
    return sum(working_day(start + timedelta(days=n)) for n in range(1, (end - start).days + 1))


def test_nothing_the_demo_wrote_is_dated_when_it_was_loaded(demo: Demo) -> None:
    """Every timestamp the demo wrote, in every table but the audit trail's, lies in the demo's
    past. (Tables the migrations fill are not the demo's.)"""
    late = []
    with demo.app.app_context():
        for mapper in Base.registry.mappers:
            model = mapper.class_
            if model in (AuditEvent, AuditCheckpoint) or model.__tablename__ in demo.migrated:
                continue
            for column in mapper.columns:
                if not isinstance(column.type, UTCDateTime):
                    continue
                newest = db.session.scalar(select(column).order_by(column.desc()).limit(1))
                if newest is not None and newest >= min(END_OF_TODAY, demo.loaded_at):
                    late.append(f"{column.table.name}.{column.name} {newest:%Y-%m-%d %H:%M}")
    assert late == []


def test_each_referral_is_drafted_sent_screened_and_heard_in_order(demo: Demo) -> None:
    with demo.app.app_context():
        referrals = db.session.scalars(select(Referral)).all()
        assert len(referrals) > 30
        for referral in referrals:
            assert referral.submitted_at is not None
            assert referral.referred_on is not None
            what = f"{referral.reference} ({referral.status})"
            assert uk_day(referral.created_at) == referral.referred_on, what
            assert referral.created_at < referral.submitted_at, what
            assert uk_day(referral.submitted_at) == referral.referred_on, what
            if referral.screened_at is None:
                assert referral.status is ReferralStatus.SUBMITTED, what
                continue
            screened = uk_day(referral.screened_at)
            assert 1 <= working_days_between(referral.referred_on, screened) <= 3, what
            assert working_day(screened), what
            assert referral.case is not None
            assert referral.case.opened_on <= screened, what
            if referral.meeting is None:
                continue
            assert screened < referral.meeting.held_on, what
            heard = referral.meeting.held_on < TODAY
            expected = ReferralStatus.HEARD if heard else ReferralStatus.LISTED
            assert referral.status is expected, what


def test_actions_are_agreed_at_the_meeting_and_reported_on_after_it(demo: Demo) -> None:
    with demo.app.app_context():
        actions = db.session.scalars(select(CaseAction)).all()
        assert any(action.updates for action in actions)
        for action in actions:
            assert action.meeting is not None
            held = action.meeting.held_on
            assert uk_day(action.created_at) == held < TODAY, action.id
            listed = [r for r in action.case.referrals if r.meeting_id == action.meeting_id]
            assert listed, action.id
            assert all(r.screened_at and r.screened_at < action.created_at for r in listed)
            last = action.created_at
            for update in sorted(action.updates, key=lambda u: u.reported_at):
                assert held < uk_day(update.reported_at) <= action.due_on, action.id
                last = update.reported_at
            # A due date moved by agreement (issue 21) is the action's latest change, if any.
            for change in action.due_date_changes:
                assert last < change.changed_at, action.id
                last = change.changed_at
            assert action.updated_at == last, action.id


def test_cases_are_opened_noted_closed_and_held_in_order(demo: Demo) -> None:
    with demo.app.app_context():
        cases = db.session.scalars(select(Case)).all()
        assert any(case.closed_on for case in cases)
        assert any(case.on_legal_hold for case in cases)
        for case in cases:
            assert uk_day(case.created_at) == case.opened_on, case.reference
            for link in case.people:
                assert link.person.created_at <= END_OF_TODAY, case.reference
            for note in case.notes:
                assert case.created_at < note.created_at, case.reference
                if case.closed_on is not None:
                    assert uk_day(note.created_at) < case.closed_on, case.reference
            if case.legal_hold_since is not None:
                assert case.closed_on is not None, case.reference
                assert case.closed_on < uk_day(case.legal_hold_since) <= TODAY, case.reference


def test_accounts_panels_and_meetings_come_before_what_happens_at_them(demo: Demo) -> None:
    with demo.app.app_context():
        first_case = db.session.scalar(select(Case.created_at).order_by(Case.created_at))
        assert first_case is not None
        for mapper in Base.registry.mappers:
            if mapper.class_.__tablename__ in SET_UP_TABLES:
                created = db.session.scalars(select(mapper.columns["created_at"])).all()
                assert {uk_day(moment) for moment in created} == {SET_UP}, mapper.class_
        assert uk_day(first_case) >= SET_UP
        for meeting in db.session.scalars(select(Meeting)):
            assert uk_day(meeting.created_at) <= min(meeting.held_on, TODAY), meeting.id
        declarations = db.session.scalars(select(ConfidentialityDeclaration)).all()
        assert declarations
        for declaration in declarations:
            meeting = db.session.get_one(Meeting, declaration.meeting_id)
            assert uk_day(declaration.accepted_at) == meeting.held_on < TODAY


def test_the_audit_trail_keeps_the_time_its_events_were_written(demo: Demo) -> None:
    with demo.app.app_context():
        oldest = db.session.scalar(select(AuditEvent.occurred_at).order_by(AuditEvent.sequence))
        assert oldest is not None
        assert oldest >= demo.loaded_at
        assert verify_chain().intact


def test_people_were_told_of_the_history_as_it_happened_and_nothing_is_left_to_send(
    demo: Demo,
) -> None:
    """Issue 22: the demo's referrals told their coordinators and referrers when they were
    sent and decided; those emails are in the delivery log as sent then, nothing waits for the
    job worker (a first `make run` emails nobody), and only the last fortnight is unread."""
    with demo.app.app_context():
        told = db.session.scalars(select(Notification)).all()
        deliveries = db.session.scalars(select(Delivery)).all()
        waiting = db.session.scalars(select(OutboxMessage)).all()
    events = {notification.event for notification in told}
    assert {Event.REFERRAL_WAITING, Event.REFERRAL_ACCEPTED, Event.ACTION_ASSIGNED} <= events
    assert all(n.created_at < demo.loaded_at for n in told)
    assert deliveries
    assert {d.status for d in deliveries} == {DeliveryStatus.SENT}
    assert all(d.sent_at == d.created_at for d in deliveries)
    assert waiting == []
    fortnight = demo.loaded_at - timedelta(days=14)
    assert all(n.read_at for n in told if n.created_at < fortnight)
    assert any(n.read_at is None for n in told if n.created_at >= fortnight)
