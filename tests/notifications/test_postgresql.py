"""The outbox, retries and the daily steps on a real PostgreSQL (issue 22): what SQLite runs
here runs there too, row locks and RETURNING included."""

from __future__ import annotations

from datetime import datetime
from datetime import time
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from app import jobs
from app.accounts.models import User
from app.database import UK
from app.database import db
from app.database import uk_today
from app.database import utcnow
from app.jobs.models import OutboxMessage
from app.jobs.models import ScheduledRun
from notifications import Event
from notifications import notify
from notifications.delivery import retry_due
from notifications.models import Delivery
from notifications.models import DeliveryStatus
from notifications.models import Notification
from tests.conftest import Accounts
from tests.mail import mailed

pytestmark = pytest.mark.postgres
PERSON = "person@test.example"


def tell(app: Flask) -> None:
    with app.app_context():
        person = db.session.scalars(select(User).where(User.email == PERSON)).one()
        notify(Event.REFERRAL_WAITING, to=[person], link="/referrals/1", reference="R-00001")
        db.session.commit()


def test_a_notification_rolled_back_is_never_sent_and_a_kept_one_is(pg_app: Flask) -> None:
    Accounts(pg_app).user(PERSON)
    with pg_app.app_context():
        person = db.session.scalars(select(User).where(User.email == PERSON)).one()
        notify(Event.REFERRAL_WAITING, to=[person], link="/referrals/1")
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    tell(pg_app)
    [message] = mailed(pg_app, PERSON)
    assert "R-00001" in message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    with pg_app.app_context():
        assert db.session.scalars(select(Delivery.status)).all() == [DeliveryStatus.SENT]
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_delivery_due_again_is_queued_once(pg_app: Flask) -> None:
    Accounts(pg_app).user(PERSON)
    tell(pg_app)
    with pg_app.app_context():
        db.session.execute(
            update(Delivery).values(
                status=DeliveryStatus.RETRYING, next_attempt_at=utcnow() - timedelta(seconds=1)
            )
        )
        db.session.execute(update(OutboxMessage).values(claimed_at=utcnow()))
        db.session.commit()
        retry_due()
        retry_due()
        waiting = select(func.count()).where(OutboxMessage.claimed_at.is_(None))
        assert db.session.scalar(waiting) == 1
    assert len(mailed(pg_app, PERSON)) == 1


def test_a_daily_step_runs_once_a_day(pg_app: Flask) -> None:
    morning = datetime.combine(uk_today(), time(8), tzinfo=UK)
    with pg_app.app_context():
        first = jobs.run_daily(morning)
        assert "notifications.delivery.send_digests" in first
        assert jobs.run_daily(morning + timedelta(hours=3)) == []
        runs = db.session.scalars(select(ScheduledRun.last_run_on)).all()
        assert set(runs) == {uk_today()}
        assert "notifications.delivery.send_digests" in jobs.run_daily(morning + timedelta(days=1))
