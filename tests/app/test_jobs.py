"""The job queue's outbox (app/jobs, design §6): work is asked for in the transaction of the
change that needs it, told to the queue after the commit, claimed once, and sent again by the
worker's sweep when the telling was lost."""

from __future__ import annotations

import socket
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from app import jobs
from app.database import db
from app.database import utcnow
from app.jobs.models import OutboxMessage
from app.security import public

DONE: list[dict[str, Any]] = []


@jobs.handler("tests.remember")
def remember(payload: dict[str, Any]) -> None:
    DONE.append(payload)


@jobs.handler("tests.fail")
def fail(payload: dict[str, Any]) -> None:
    raise RuntimeError("the handler failed")


@pytest.fixture(autouse=True)
def _forget() -> None:
    DONE.clear()


def queued(app: Flask) -> int:
    with app.app_context():
        return len(jobs.queue(app).pending())


def test_work_is_asked_for_only_when_its_transaction_commits(app: Flask) -> None:
    with app.test_request_context():
        jobs.enqueue("tests.remember", {"n": 1})
        db.session.rollback()  # the change that asked for it is undone
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        jobs.enqueue("tests.remember", {"n": 2})
        db.session.commit()
    with app.app_context():
        assert jobs.run_pending() == 1
    assert DONE == [{"n": 2}]


def test_a_request_tells_the_queue_after_its_commit(app: Flask) -> None:
    @app.route("/test-enqueue", methods=["POST"])
    @public
    def enqueue_view() -> str:
        jobs.enqueue("tests.remember", {"n": 3})
        return "queued"

    app.config["WTF_CSRF_ENABLED"] = False
    assert queued(app) == 0
    response = app.test_client().post("/test-enqueue")
    assert response.status_code == 200, response.text
    assert queued(app) == 1
    # The worker's task, as the queue would run it.
    task = jobs.queue(app).dequeue()
    jobs.queue(app).execute(task)
    assert DONE == [{"n": 3}]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_an_unknown_task_is_refused_when_asked_for(app: Flask) -> None:
    with app.test_request_context(), pytest.raises(RuntimeError, match="No handler"):
        jobs.enqueue("tests.nobody", {})


def test_a_message_is_claimed_once(app: Flask) -> None:
    with app.test_request_context():
        message = jobs.enqueue("tests.remember", {"n": 4})
        db.session.commit()
        message_id = message.id
        assert jobs.run_message(message_id) is True
        assert jobs.run_message(message_id) is False
        assert jobs.run_message(message_id + 1000) is False  # gone, or never was
    assert DONE == [{"n": 4}]


def test_a_failed_handler_leaves_its_message_marked_and_not_run_again(app: Flask) -> None:
    with app.test_request_context():
        message = jobs.enqueue("tests.fail", {})
        db.session.commit()
        assert jobs.run_pending() == 1
        kept = db.session.get_one(OutboxMessage, message.id)
        assert kept.failed_at is not None
        assert jobs.run_pending() == 0


def test_the_sweep_sends_again_what_the_queue_was_not_told(app: Flask) -> None:
    with app.test_request_context():
        message = jobs.enqueue("tests.remember", {"n": 5})
        db.session.commit()  # committed outside a request: the queue was never told
        db.session.info.pop(jobs.NEW_MESSAGES)  # (and the telling is lost)
        assert queued(app) == 0
        jobs.sweep()
        assert queued(app) == 0  # too new: its request may still be telling the queue
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id)
            .values(created_at=utcnow() - timedelta(minutes=2))
        )
        db.session.commit()
        jobs.sweep()
    assert queued(app) == 1


def test_a_queue_that_cannot_be_reached_loses_nothing(app: Flask) -> None:
    """With Redis down the request still succeeds; the outbox keeps the message."""
    with app.app_context():
        huey = jobs.queue(app)

    def refuse(*args: object, **kwargs: object) -> None:
        raise ConnectionError("the queue is down")

    huey.enqueue = refuse
    with app.test_request_context():
        message = jobs.enqueue("tests.remember", {"n": 6})
        db.session.commit()
        jobs.tell([message.id])
        assert db.session.get(OutboxMessage, message.id) is not None
        assert jobs.run_pending() == 1
    assert DONE == [{"n": 6}]


def test_jobs_status_says_what_waits_and_what_failed(app: Flask) -> None:
    with app.test_request_context():
        jobs.enqueue("tests.remember", {"n": 7})
        failing = jobs.enqueue("tests.fail", {})
        db.session.commit()
        jobs.run_message(failing.id)
    output = app.test_cli_runner().invoke(args=["jobs", "status"]).output
    assert "Waiting: 1" in output
    assert "Being done: 0" in output
    assert "Failed: 1" in output
    assert "tests.fail failed at " in output


def test_run_daily_by_hand_runs_the_days_steps_once_unless_asked_again(app: Flask) -> None:
    """`flask jobs run-daily`: what the worker runs each morning, now; `--again` even if it
    already ran today (each reminder is still given once: tests/notifications/test_events)."""
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "run-daily", "--again"]).output
    assert "notifications.delivery.send_digests" in first
    assert "cases.actions.services._remind_owners" in first
    assert "Ran 0 daily step(s)." in runner.invoke(args=["jobs", "run-daily"]).output
    assert "send_digests" in runner.invoke(args=["jobs", "run-daily", "--again"]).output


def test_a_worker_starting_gives_back_what_a_dead_one_had_claimed(app: Flask) -> None:
    """Claims name their worker ("host:pid"); one on this machine that is no longer running
    has its messages given back, one still running (this process) keeps them."""
    with app.test_request_context():
        dead = jobs.enqueue("tests.remember", {"n": 8})
        alive = jobs.enqueue("tests.remember", {"n": 9})
        db.session.flush()
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == dead.id)
            .values(claimed_at=utcnow(), claimed_by=f"{socket.gethostname()}:{2**22 + 7}")
        )
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == alive.id)
            .values(claimed_at=utcnow(), claimed_by=jobs.worker_id())
        )
        db.session.commit()
        assert jobs.release_abandoned() == 1
        db.session.expire_all()
        assert db.session.get_one(OutboxMessage, dead.id).claimed_at is None
        assert db.session.get_one(OutboxMessage, alive.id).claimed_at is not None
