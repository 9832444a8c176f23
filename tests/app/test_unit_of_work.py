"""The request-scoped unit of work (design.md §4.1): a request that ends in a response commits
everything it did exactly once; a request that fails keeps nothing but the record of its
refusal; a refused change rolls back alone; work left behind after the commit fails loudly in
tests; and the policy writes nothing, even when it meets an expired emergency grant.

Issue 23: a request that only reads never holds or waits for the write lock while it runs;
its audit event is appended after its page is drawn, and if that fails the page is not sent.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from flask_login import current_user
from flask_login import login_user
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import AgencyType
from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import READING
from app.database import ReadingWrote
from app.database import db
from app.errors import DomainError
from app.errors import NotFoundRefusal
from app.security import public
from app.unit_of_work import UncommittedWork
from app.unit_of_work import attempt
from audit.models import AuditAction
from audit.models import AuditEvent
from audit.models import Outcome
from audit.services import record
from audit.verify import verify_chain
from cases import policy
from cases.break_glass.models import BreakGlassGrant
from tests.cases.break_glass.test_break_glass import REP
from tests.cases.break_glass.test_break_glass import START
from tests.cases.break_glass.test_break_glass import World
from tests.cases.break_glass.test_break_glass import clock  # noqa: F401  (fixture)
from tests.cases.break_glass.test_break_glass import granted
from tests.cases.break_glass.test_break_glass import world  # noqa: F401  (fixture)
from tests.conftest import Account
from tests.conftest import SignIn


def _organisations() -> list[str]:
    return sorted(db.session.scalars(select(Organisation.name)))


def _add(name: str) -> None:
    db.session.add(Organisation(name=name, agency_type=AgencyType.HOUSING))
    db.session.flush()


@pytest.fixture
def commits(app: Flask) -> Iterator[list[Session]]:
    """Every commit of a whole transaction (not a savepoint) while the test runs."""
    seen: list[Session] = []

    def count(session: Session) -> None:
        seen.append(session)

    event.listen(Session, "after_commit", count)
    yield seen
    event.remove(Session, "after_commit", count)


@pytest.fixture
def routes(app: Flask) -> Flask:
    """Public test pages that change the database in each way a view can end."""

    @public
    def kept() -> str:
        _add("Kept Housing")
        _add("Also Kept Housing")
        return "kept"

    @public
    def failed() -> str:
        _add("Lost Housing")
        raise RuntimeError("a bug after the change")

    @public
    def refused() -> str:
        _add("Refused Housing")
        raise NotFoundRefusal(None, ("organisations", 7), {"why": [None, "test"]})

    @public
    def partly() -> str:
        _add("First Housing")
        with attempt() as done:
            _add("Second Housing")
            raise DomainError("a rule said no")
        assert not done
        assert done.error is not None
        return done.error.message

    @public
    def left_behind() -> str:
        return "drawn"

    @public
    def reading() -> str:
        record(actor=None, action=AuditAction.CASE_VIEWED, object=("cases", 1))
        seen = ", ".join(_organisations()) or "none"
        # Another writer can take the write lock while this page is drawn, and the read's
        # event is not in the database yet.
        with _writer(str(db.engine.url.database)) as other:
            events = other.execute("SELECT count(*) FROM audit_events").fetchone()[0]
        return f"organisations: {seen}; events so far: {events}"

    @public
    def reading_writes() -> str:
        _add("Sneaked Housing")
        return "wrote"

    app.add_url_rule("/test/kept", view_func=kept, methods=["POST"])
    app.add_url_rule("/test/failed", view_func=failed, methods=["POST"])
    app.add_url_rule("/test/refused", view_func=refused, methods=["POST"])
    app.add_url_rule("/test/partly", view_func=partly, methods=["POST"])
    app.add_url_rule("/test/left-behind", view_func=left_behind, methods=["POST"])
    app.add_url_rule("/test/reading", view_func=reading)
    app.add_url_rule("/test/reading-writes", view_func=reading_writes)

    @app.teardown_request
    def write_after_the_commit(_: BaseException | None) -> None:
        # Teardown functions run last-registered first: this one runs before the unit of
        # work's check, after its commit, as a careless hook would.
        from flask import request

        if request.path == "/test/left-behind":
            _add("Too Late Housing")

    app.config["WTF_CSRF_ENABLED"] = False
    return app


@contextmanager
def _writer(database: str | None) -> Iterator[sqlite3.Connection]:
    """Another process's connection holding SQLite's write lock; it fails at once (no busy
    wait) if someone else holds it."""
    assert database
    other = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield other
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_a_read_holds_no_write_lock_and_its_event_is_appended_after_the_page(
    routes: Flask,
) -> None:
    """Issue 23: the page is drawn in a reader's transaction (another writer takes the lock
    meanwhile); the event is in the chain once the response is ready, sequenced and hashed."""
    response = routes.test_client().get("/test/reading")

    assert response.status_code == 200
    assert response.text == "organisations: none; events so far: 0"
    with routes.app_context():
        events = db.session.scalars(select(AuditEvent)).all()
        assert [(e.action, e.object_id, e.sequence) for e in events] == [
            (AuditAction.CASE_VIEWED, "1", 1)
        ]
        assert verify_chain().intact


def test_a_read_whose_audit_event_cannot_be_appended_is_not_shown(routes: Flask) -> None:
    """Issue 23: nothing is shown that is not audited. A real failure of the append (the
    database refuses the insert) turns the drawn page into an error page."""
    with routes.app_context():
        _add("Secret Housing")
        db.session.commit()
    with _writer(routes.config["SETTINGS"].database_url.removeprefix("sqlite:///")) as other:
        other.execute(
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events "
            "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END"
        )
        other.execute("COMMIT")
        other.execute("BEGIN IMMEDIATE")

    response = routes.test_client().get("/test/reading")

    assert response.status_code == 500
    assert "Secret Housing" not in response.text
    with routes.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.sequence))) == 0


def test_a_read_that_tries_to_write_fails_and_keeps_nothing(routes: Flask) -> None:
    """A GET's code that changes the database is a bug: it fails on SQLite as PostgreSQL's
    READ ONLY transaction makes it fail there, and nothing of it is kept."""
    with routes.app_context():
        db.session().info[READING] = True
        db.session.add(Organisation(name="Sneaked Housing", agency_type=AgencyType.HOUSING))
        with pytest.raises(ReadingWrote):
            db.session.flush()
        db.session.rollback()
        db.session().info.clear()

    response = routes.test_client().get("/test/reading-writes")

    assert response.status_code == 500
    with routes.app_context():
        assert _organisations() == []


def test_session_lookup_and_health_check_never_wait_for_the_write_lock(
    client: FlaskClient, admin: Account, sign_in: SignIn, app: Flask
) -> None:
    """Issue 23: while another process holds the write lock, a signed-in browser's session is
    still found and the health check still answers."""
    sign_in(client, admin.email)
    with _writer(app.config["SETTINGS"].database_url.removeprefix("sqlite:///")):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json == {"status": "ok", "database": "ok"}


def test_a_successful_request_commits_its_work_once(routes: Flask, commits: list[Session]) -> None:
    response = routes.test_client().post("/test/kept")

    assert response.status_code == 200
    assert len(commits) == 1
    with routes.app_context():
        assert _organisations() == ["Also Kept Housing", "Kept Housing"]


def test_a_request_that_fails_keeps_nothing(routes: Flask) -> None:
    response = routes.test_client().post("/test/failed")

    assert response.status_code == 500
    with routes.app_context():
        assert _organisations() == []


def test_a_refusal_keeps_only_its_own_record(routes: Flask) -> None:
    response = routes.test_client().post("/test/refused")

    assert response.status_code == 404
    with routes.app_context():
        assert _organisations() == []
        denied = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.ACCESS_DENIED)
        ).all()
        assert [(e.object_type, e.object_id, e.outcome) for e in denied] == [
            ("organisations", "7", Outcome.DENIED)
        ]


def test_a_refused_change_rolls_back_alone(routes: Flask) -> None:
    response = routes.test_client().post("/test/partly")

    assert response.status_code == 200
    assert response.text == "a rule said no"
    with routes.app_context():
        assert _organisations() == ["First Housing"]


def test_work_left_after_the_commit_fails_loudly_in_tests(routes: Flask) -> None:
    with pytest.raises(UncommittedWork):
        routes.test_client().post("/test/left-behind")
    with routes.app_context():
        assert _organisations() == []


def test_policy_writes_nothing_when_it_meets_an_expired_grant(
    app: Flask,
    sign_in: SignIn,
    world: World,  # noqa: F811
    clock: time_machine.Traveller,  # noqa: F811
) -> None:
    """Issue 16: a grant past its end is simply not in force. Reading access, listing and
    fetching the case through the policy flushes nothing and records nothing; break_glass
    records the end just before the request commits."""
    granted(app, sign_in, world)
    clock.move_to(START + timedelta(hours=5))
    flushes: list[Session] = []

    def count(session: Session, _: object) -> None:
        flushes.append(session)

    with app.test_request_context():
        rep = db.session.scalar(select(User).where(User.email == REP))
        assert rep is not None
        login_user(rep)
        events_before = db.session.scalar(select(func.count(AuditEvent.sequence)))
        event.listen(Session, "after_flush", count)
        try:
            viewer = policy.viewer_of(current_user)
            assert viewer.grants == {}
            assert not policy.sees_case(current_user, world.case_id)
            with pytest.raises(NotFoundRefusal):
                policy.case_or_404(current_user, world.case_id)
        finally:
            event.remove(Session, "after_flush", count)
        assert flushes == []
        assert not db.session.new
        assert not db.session.dirty
        assert not db.session.deleted
        grant = db.session.scalar(select(BreakGlassGrant))
        assert grant is not None
        assert grant.ended_at is None  # still open in the table: only its time has passed
        assert db.session.scalar(select(func.count(AuditEvent.sequence))) == events_before
