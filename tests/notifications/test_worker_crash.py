"""The crash test (issue 22): the real job worker (`flask jobs worker`, in a process of its own)
is killed with SIGKILL in the middle of a batch of emails to a slow SMTP server, and a fresh
worker, given back the dead one's claim (`jobs.release_abandoned`), finishes the batch. No email
is lost, and at most the one in the SMTP exchange at the kill arrives twice, as the same
message (its Message-ID). Once on huey's SQLite storage and once on Redis (REDIS_URL)."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func
from sqlalchemy import select

import notifications
from app import create_app
from app import jobs
from app.accounts.models import User
from app.database import db
from app.jobs.models import OutboxMessage
from app.settings import Settings
from app.unit_of_work import job_change
from notifications import Event
from notifications.models import Delivery
from notifications.models import DeliveryStatus
from tests.conftest import Accounts
from tests.notifications.conftest import SmtpServer
from tests.workers import start_worker

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
PEOPLE = 30
KILL_AFTER = 5  # emails received before the first worker is killed
SLOW_ANSWER = 0.2  # seconds the server holds back each reply, so the batch takes seconds
WAIT = 60.0  # seconds a worker gets to do what is asked of it


def worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """`flask jobs worker` with the test app's settings, its output appended to `log`."""
    with log.open("ab") as output:
        return start_worker(settings, output)


def stop(process: subprocess.Popen[bytes]) -> None:
    """huey's graceful stop (the job in hand finishes), or a kill if it does not come."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for(done: Callable[[], bool], process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll until `done`, the worker still running, for at most WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while not done():
        assert process.poll() is None, f"the worker stopped:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"the worker did not finish:\n{log.read_text()}"
        time.sleep(0.05)


def sent_count(app: Flask) -> int:
    with app.app_context():
        return (
            db.session.scalar(
                select(func.count(Delivery.id)).where(Delivery.status == DeliveryStatus.SENT)
            )
            or 0
        )


def all_done(app: Flask) -> bool:
    """Every delivery sent, and the outbox emptied of their messages."""
    with app.app_context():
        waiting = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    return waiting == 0 and sent_count(app) == PEOPLE


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def app(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Flask]:
    """The test app, on a job queue of its own (other runs on the same Redis keep theirs)."""
    settings = replace(settings, jobs_queue=f"test-{secrets.token_hex(4)}")
    if request.param == "redis":
        if not REDIS_URL:
            pytest.skip("TEST_REDIS_URL is not set")
        settings = replace(settings, redis_url=REDIS_URL)
    app = create_app(settings)
    yield app
    with app.app_context():
        jobs.queue(app).storage.flush_all()
        db.engine.dispose()


def test_a_worker_killed_mid_batch_loses_no_email_and_repeats_at_most_one(
    app: Flask, accounts: Accounts, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """Issue 22: after SIGKILL mid-batch and a fresh worker, every one of 30 deliveries is
    SENT and its Message-ID received; no email arrives twice but the one the dead worker may
    have handed over unconfirmed, and that one again as the same message; the outbox keeps
    nothing claimed or failed."""
    people = [accounts.user(f"member{n:02d}@test.example", enrolled=False) for n in range(PEOPLE)]
    with app.app_context(), job_change():  # committed, and the queue told, as a job step does
        notifications.notify(
            Event.REFERRAL_WAITING,
            to=[db.session.get_one(User, person.id) for person in people],
            link="/referrals/1",
            panel="Newham MARAC",
            reference="R-00001",
        )
    smtp_server.delay = SLOW_ANSWER
    settings: Settings = app.config["SETTINGS"]
    log = tmp_path / "worker.log"

    first = worker(settings, log)
    try:
        wait_for(lambda: len(smtp_server.messages) >= KILL_AFTER, first, log)
    finally:
        first.kill()
        first.wait()  # reaped: the claim now names a process that is gone
    assert sent_count(app) < PEOPLE, "the batch ended before the kill: nothing was tested"

    second = worker(settings, log)
    try:
        wait_for(lambda: all_done(app), second, log)
    finally:
        stop(second)

    with app.app_context():
        sent = {
            delivery.recipient.email: delivery
            for delivery in db.session.scalars(select(Delivery)).all()
        }
        left = db.session.scalars(select(OutboxMessage)).all()
    assert len(sent) == PEOPLE
    assert {d.status for d in sent.values()} == {DeliveryStatus.SENT}
    assert [(m.claimed_at, m.failed_at) for m in left] == []
    received: dict[str, list[str]] = {}
    for message, (address,) in zip(smtp_server.messages, smtp_server.recipients, strict=True):
        received.setdefault(address, []).append(message["Message-ID"])
    assert received.keys() == sent.keys()
    for address, message_ids in received.items():
        assert set(message_ids) == {sent[address].message_id}, address
    repeats = Counter(message_id for ids in received.values() for message_id in ids)
    twice = [message_id for message_id, count in repeats.items() if count > 1]
    assert len(twice) <= 1, twice
    assert max(repeats.values()) <= 2
    assert all(delivery.attempts <= 2 for delivery in sent.values())
