"""The one unit of work: each request's changes are committed once, at its end, or not at all.

Services change objects and flush; they never commit. Views load, authorise, call one service
and respond. This module owns the transaction around all of that:

- a request that ends in a response (a page, a redirect, a form shown again with its errors)
  commits everything it did, its audit events included, exactly once (`commit_request`);
- a request that raises, whether a 404, a refusal, a clash with someone else's change or a
  bug, rolls back everything it did before its error page is drawn (`UnitOfWorkFlask`); the
  error handler may then record the attempt, and that record is what gets committed;
- a refused change inside a request (`attempt`) rolls back to where it started, so the form
  can be shown again with the message and nothing of the change is kept.

A feature may add a step that runs just before the commit (`before_commit`), to record what
the request noticed in passing. Work flushed after the commit would be thrown away when the
session is closed: in the test environment that is an error (`UncommittedWork`), elsewhere it
is logged and rolled back. CLI commands, which have no request, make each change inside
`command_change`, which commits it or turns a refusal into the command's error; background jobs
commit each of their steps inside `job_change`. Steps registered with `after_commit` run after a
request's commit (telling the job queue about work the commit made certain).

A request that only reads (GET, HEAD, OPTIONS) runs in a reader's transaction, which never
takes or waits for the write lock (app/database.py). What it must still write (its audit
event, an expired grant's end) it hands to `when_writing`; once its page is drawn, before
any byte of it is sent, those changes are made in one short write transaction. If that
transaction fails the response is an error page instead: nothing is shown unaudited.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask
from flask import Response
from flask import current_app
from flask import g
from flask import request
from flask.sansio.app import App
from flask_wtf import FlaskForm
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm import SessionTransaction

from app.database import READING
from app.database import db
from app.errors import DomainError
from app.forms import show_error
from app.settings import Environment

log = logging.getLogger(__name__)

BEFORE_COMMIT = "before_commit"  # a key of app.extensions: steps run before each commit
AFTER_COMMIT = "after_commit"  # a key of app.extensions: steps run after each request's commit
UNSAVED = "unsaved_work"  # a key of Session.info: flushed since the last commit or rollback
WRITES = "writes_after_reading"  # a key of Session.info: what a reading request must write
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class UncommittedWork(RuntimeError):
    """A request left flushed changes that nothing will commit (raised in tests only)."""


class UnitOfWorkFlask(Flask):
    """Flask, with every failed request's work rolled back before its error is handled.

    Both of Flask's error paths pass through here: exceptions an error handler answers (404,
    403, CSRF, a refusal) and unexpected ones (500). The error handler then runs in a clean
    transaction, so whatever it records is all that `commit_request` commits.
    """

    def handle_user_exception(self, e: Exception) -> Any:
        _roll_back_request()
        return super().handle_user_exception(e)

    def handle_exception(self, e: Exception) -> Response:
        _roll_back_request()
        return super().handle_exception(e)


def _roll_back_request() -> None:
    db.session.rollback()
    db.session().info.pop(WRITES, None)  # a failed read's audit events go with it


def register_unit_of_work(app: Flask) -> None:
    """Commit at the end of each request. Register before any other after-request function:
    Flask runs them last-registered first, so the commit runs after all of them, and before
    the server-side session is saved in its own short transaction."""
    app.before_request(_begin_request)
    app.after_request(commit_request)
    app.teardown_request(_nothing_left_unsaved)


def _begin_request() -> None:
    g.unit_of_work = True  # a dispatched request, not a bare request context (tests, CLI)
    if request.method in READING_METHODS:
        db.session().info[READING] = True


def when_writing(step: Callable[[], object]) -> None:
    """Make a change that the request noticed or must record in passing (its audit event, an
    emergency grant found expired). In a request that writes, and outside requests, now; in
    one that only reads, in the short write transaction that follows its page (the change
    must not rely on objects the page loaded being unchanged: it runs in a new transaction).
    """
    session = db.session()
    if session.info.get(READING):
        session.info.setdefault(WRITES, []).append(step)
    else:
        step()


def before_commit(app: App, step: Callable[[], None]) -> None:
    """Run `step` in every request just before its commit, after its errors were handled (a
    feature recording what the request noticed in passing, such as an expired grant)."""
    app.extensions.setdefault(BEFORE_COMMIT, []).append(step)


def after_commit(app: App, step: Callable[[], None]) -> None:
    """Run `step` in every request just after its commit, outside any transaction: telling
    something outside the database (the job queue) about work the commit has made certain."""
    app.extensions.setdefault(AFTER_COMMIT, []).append(step)


def commit_request(response: Response) -> Response:
    """The request's one commit (its failures were rolled back on the way to their page).

    A reading request's transaction changed nothing and simply ends; what it handed to
    `when_writing` is then written, and committed, in a transaction of its own."""
    for step in current_app.extensions.get(BEFORE_COMMIT, ()):
        step()
    session = db.session()
    if session.info.pop(READING, False):
        session.close()  # ends the reader's transaction; its objects stay readable, detached
        writes = session.info.pop(WRITES, [])
        for write in writes:
            write()
    db.session.commit()
    db.session.close()  # releases SQLite's write lock before the session store writes
    for step in current_app.extensions.get(AFTER_COMMIT, ()):
        step()
    return response


class Attempt:
    """The outcome of `attempt`: true when the change was kept, else `error` says why not."""

    def __init__(self) -> None:
        self.error: DomainError | None = None

    def __bool__(self) -> bool:
        return self.error is None


@contextmanager
def attempt(form: FlaskForm | None = None, *, field: str | None = None) -> Iterator[Attempt]:
    """Run a change that a rule may refuse. If it raises `DomainError`, everything it did is
    rolled back (to a savepoint: the request's earlier work stays), and the message is put on
    `form` next to the field it names (or `field`) and kept on the outcome; anything else
    propagates and fails the whole request.

        with attempt(form, field="name") as done:
            services.rename(panel, actor=current_user, name=form.name.data)
        if done:
            return redirect(...)
    """
    outcome = Attempt()
    savepoint = db.session.begin_nested()
    try:
        yield outcome
    except DomainError as error:
        _roll_back(savepoint)
        outcome.error = error
        if form is not None:
            show_error(form, error, field=field)
    else:
        if savepoint.is_active:
            savepoint.commit()


@contextmanager
def command_change() -> Iterator[None]:
    """A CLI command's change (a command has no request, so no unit of work around it): kept
    when the block ends, rolled back when a rule refuses it, the refusal becoming the command's
    error message. A long command makes one change per item, so an interruption loses nothing."""
    try:
        yield
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


@contextmanager
def job_change() -> Iterator[None]:
    """One step of a background job (a job has no request either): kept when the block ends,
    rolled back, and the error raised on, when anything in it fails. After its commit the
    `after_commit` steps run, as after a request's (work it queued is told to the queue). A
    long job commits one step per batch, so its progress shows and a failure loses only the
    batch it was in."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    for step in current_app.extensions.get(AFTER_COMMIT, ()):
        step()


def _roll_back(savepoint: SessionTransaction) -> None:
    # A failed flush leaves the savepoint inactive but still to be rolled back; one that a
    # full rollback already closed has nothing left to undo.
    if savepoint.is_active or savepoint.session.get_nested_transaction() is savepoint:
        savepoint.rollback()


def _nothing_left_unsaved(error: BaseException | None) -> None:
    if not g.get("unit_of_work"):
        return
    session = db.session()
    session.info.pop(READING, None)
    session.info.pop(WRITES, None)
    if not (session.info.get(UNSAVED) or session.new or session.dirty or session.deleted):
        return
    session.rollback()
    if current_app.config["SETTINGS"].environment is Environment.TEST:
        raise UncommittedWork(
            "This request changed the database after its unit of work committed; the change "
            "would have been thrown away. Make it before the view returns."
        )
    log.error("a request left uncommitted changes; they were rolled back")


@event.listens_for(Session, "after_flush")
def _mark_unsaved(session: Session, _: Any) -> None:
    session.info[UNSAVED] = True


@event.listens_for(Session, "after_transaction_end")
def _mark_saved(session: Session, transaction: SessionTransaction) -> None:
    # Only the outermost transaction's end settles the work's fate (committed, or undone);
    # a savepoint's end leaves the request's work as unsaved as before.
    if transaction.parent is None:
        session.info.pop(UNSAVED, None)
