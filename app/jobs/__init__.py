"""Background work (design §6): one job queue, huey, on SQLite storage in the instance folder by
default and on Redis when `REDIS_URL` is set. Work goes through an outbox (`models.py`):

    jobs.enqueue("reports.make_extract", {"extract_id": extract.id})   # inside a service

writes a message in the service's own transaction, so the work is asked for exactly when the
change is kept. After the request's commit the queue is told the message's id; the worker
(`flask jobs worker`, started by `make run`) claims the message and runs the handler its feature
registered for the task's name:

    @jobs.handler("reports.make_extract")
    def make_extract(payload: dict[str, Any]) -> None: ...

A handler runs in the app's context and commits its own steps with `job_change`. Once a minute
the worker's sweep tells the queue again of any message not claimed within a minute (the telling
after a commit can be lost if the queue is down at that moment) and runs every function features
registered with `every_minute` (expiring old files, for instance), then each step registered
with `daily` whose hour (UK time) has come and that has not yet run that day (reminders,
digests). A worker starting gives back the messages a dead worker on its machine had claimed
(`release_abandoned`), so work interrupted by a crash is done, by handlers written to be run
again safely.

This module knows no feature: features import it, never the other way round.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import cast

from flask import Flask
from flask import current_app
from huey import Huey  # type: ignore[import-untyped]  # (no type hints published)
from huey import RedisHuey
from huey import SqliteHuey
from huey import crontab
from sqlalchemy import CursorResult
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from app.database import UK
from app.database import db
from app.database import utcnow
from app.jobs.models import OutboxMessage
from app.jobs.models import ScheduledRun
from app.settings import Settings
from app.unit_of_work import after_commit
from app.unit_of_work import job_change

__all__ = [
    "OutboxMessage",
    "daily",
    "enqueue",
    "every_minute",
    "handler",
    "queue",
    "run_message",
]

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]
HANDLERS: dict[str, Handler] = {}
EVERY_MINUTE: list[Callable[[], None]] = []
DAILY: dict[str, tuple[int, Callable[[datetime], None]]] = {}  # name: (UK hour, step)
JOBS_FILE = "jobs.sqlite3"  # the queue's own SQLite file in the instance folder
RESEND_AFTER = timedelta(minutes=1)
NEW_MESSAGES = "outbox_new"  # a key of Session.info: ids written since the last commit


def handler(task: str) -> Callable[[Handler], Handler]:
    """Register the function that does `task`'s work, given the message's payload."""

    def register(function: Handler) -> Handler:
        if task in HANDLERS and HANDLERS[task] is not function:
            raise RuntimeError(f"Two handlers for the job {task!r}")
        HANDLERS[task] = function
        return function

    return register


def every_minute(function: Callable[[], None]) -> Callable[[], None]:
    """Register a function the worker runs once a minute (in the app's context)."""
    if function not in EVERY_MINUTE:
        EVERY_MINUTE.append(function)
    return function


def daily(*, hour: int) -> Callable[[Callable[[datetime], None]], Callable[[datetime], None]]:
    """Register a step the worker runs once a day from `hour` (UK time), given the time now."""

    def register(function: Callable[[datetime], None]) -> Callable[[datetime], None]:
        DAILY[f"{function.__module__}.{function.__qualname__}"] = (hour, function)
        return function

    return register


def worker_id() -> str:
    """This process, as a claim names it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def enqueue(task: str, payload: dict[str, Any]) -> OutboxMessage:
    """Ask for `task` to run with `payload` (plain JSON: ids, never personal data) once the
    current transaction commits; nothing is asked for if it rolls back."""
    if task not in HANDLERS:
        raise RuntimeError(f"No handler is registered for the job {task!r}")
    message = OutboxMessage(task=task, payload=payload)
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault(NEW_MESSAGES, []).append(message.id)
    return message


def register_jobs(app: Flask) -> None:
    """Tell the queue, after each request's commit, of the messages the request wrote."""
    after_commit(app, _tell_queue)


def queue(app: Flask | None = None) -> Huey:
    """The app's job queue, made on first use (so an app that queues nothing opens no file)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    made: Huey | None = app.extensions.get("jobs")
    if made is None:
        made = _make_queue(app)
        app.extensions["jobs"] = made
    return made


def _make_queue(app: Flask) -> Huey:
    settings: Settings = app.config["SETTINGS"]
    if settings.redis_url:
        huey: Huey = RedisHuey(settings.jobs_queue, url=settings.redis_url, results=False)
    else:
        settings.instance_path.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey(
            settings.jobs_queue, filename=str(settings.instance_path / JOBS_FILE), results=False
        )

    def run_message_task(message_id: int) -> None:
        with app.app_context():
            run_message(message_id)

    def sweep_task() -> None:
        with app.app_context():
            sweep()

    app.extensions["jobs_task"] = huey.task(name="run_message")(run_message_task)
    huey.periodic_task(crontab(minute="*"), name="sweep")(sweep_task)
    return huey


def _tell_queue() -> None:
    """After a request's or a job step's commit: tell the queue of the messages it wrote."""
    ids = db.session.info.pop(NEW_MESSAGES, [])
    if ids:
        tell(ids)


def tell(ids: list[int]) -> None:
    """Put the messages on the queue. If the queue cannot be reached the messages stay in the
    outbox, and the worker's sweep sends them when it can: the request has succeeded."""
    queue()
    task = current_app.extensions["jobs_task"]
    for message_id in ids:
        try:
            task(message_id)
        except Exception:  # the queue's storage is down: the sweep sends it later
            log.warning("the job queue could not be told of outbox message %s", message_id)
            return


def run_message(message_id: int) -> bool:
    """Claim the message and run its handler; False if someone else claimed it first (or it no
    longer exists). A handler that fails leaves the message marked failed, and the error logged."""
    with job_change():
        result = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.claimed_at.is_(None))
            .values(claimed_at=utcnow(), claimed_by=worker_id())
        )
        claimed = cast(CursorResult[Any], result).rowcount
    if not claimed:
        return False
    message = db.session.get(OutboxMessage, message_id)
    assert message is not None
    task, payload = message.task, dict(message.payload)
    try:
        HANDLERS[task](payload)
    except Exception:
        log.exception("the job %s (outbox message %s) failed", task, message_id)
        with job_change():
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(failed_at=utcnow())
            )
        return True
    with job_change():
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.id == message_id))
    return True


def run_pending() -> int:
    """Run every message not yet claimed, oldest first, here and now (as the worker would);
    for `flask jobs run-pending` on a machine without a worker, and for tests."""
    done = 0
    while ids := unclaimed(limit=100):
        for message_id in ids:
            done += run_message(message_id)
    return done


def unclaimed(*, limit: int, older_than: timedelta | None = None) -> list[int]:
    statement = select(OutboxMessage.id).where(OutboxMessage.claimed_at.is_(None))
    if older_than is not None:
        statement = statement.where(OutboxMessage.created_at < utcnow() - older_than)
    with job_change():  # a read, ended at once: no transaction is held while the work runs
        return list(db.session.scalars(statement.order_by(OutboxMessage.id).limit(limit)))


def outbox_summary() -> list[str]:
    """The outbox in words, for `flask jobs status`: waiting, being done, and each failure."""
    rows = db.session.execute(
        select(OutboxMessage.task, OutboxMessage.claimed_at, OutboxMessage.failed_at)
    ).all()
    waiting = sum(1 for _, claimed, _ in rows if claimed is None)
    running = sum(1 for _, claimed, failed in rows if claimed and failed is None)
    lines = [f"Waiting: {waiting}", f"Being done: {running}"]
    failures = sorted((failed, task) for task, _, failed in rows if failed is not None)
    lines.append(f"Failed: {len(failures)}")
    lines += [f"  {task} failed at {failed:%Y-%m-%d %H:%M:%S} UTC" for failed, task in failures]
    return lines


def sweep(now: datetime | None = None) -> None:
    """The worker's minute: send again what the queue was not told of, then run the features'
    own minute steps and the daily steps that are due, each on its own so one failing does not
    stop the others."""
    tell(unclaimed(limit=1000, older_than=RESEND_AFTER))
    for step in EVERY_MINUTE:
        try:
            step()
        except Exception:
            log.exception("the minute step %s failed", step.__qualname__)
    run_daily(now or utcnow())


def run_daily(now: datetime, *, force: bool = False) -> list[str]:
    """Run each daily step whose hour has come today (UK time) and that has not run today;
    returns the names of those run. A step is marked as run before it runs, so two workers
    never both run it, and one that fails is not retried until the next day (its error is
    logged; the reminders it would have sent are sent by the next day's run). `force` runs
    each one now whatever the hour and however often (by hand: `flask jobs run-daily`)."""
    today = now.astimezone(UK)
    ran = []
    for name, (hour, step) in sorted(DAILY.items()):
        if today.hour < hour and not force:
            continue
        try:
            with job_change():
                claimed = _claim_daily(name, today.date(), force=force)
        except IntegrityError:  # another worker made the row first: it runs the step
            continue
        if not claimed:
            continue
        try:
            step(now)  # its changes are made in `job_change` blocks: a failure rolls back there
        except Exception:
            log.exception("the daily step %s failed", name)
            continue
        ran.append(name)
    return ran


def _claim_daily(name: str, today: date, *, force: bool = False) -> bool:
    """Mark the step as run today, unless it already was (the update is the claim)."""
    row = db.session.get(ScheduledRun, name, with_for_update=True)
    if row is None:
        db.session.add(ScheduledRun(name=name, last_run_on=today))
        return True
    if force:
        row.last_run_on = max(row.last_run_on, today)
        return True
    if row.last_run_on >= today:
        return False
    result = db.session.execute(
        update(ScheduledRun)
        .where(ScheduledRun.name == name, ScheduledRun.last_run_on < today)
        .values(last_run_on=today)
    )
    return bool(cast(CursorResult[Any], result).rowcount)


def release_abandoned() -> int:
    """Give back the messages claimed by workers on this machine that are no longer running
    (killed mid-job, or the machine restarted), so the sweep sends them again; returns how
    many. Their handlers must be safe to run again: each checks what is already done."""
    host = socket.gethostname()
    with job_change():
        claims = db.session.execute(
            select(OutboxMessage.id, OutboxMessage.claimed_by).where(
                OutboxMessage.claimed_at.is_not(None),
                OutboxMessage.failed_at.is_(None),
                OutboxMessage.claimed_by.like(f"{host}:%"),
            )
        ).all()
        dead = [message_id for message_id, by in claims if by and not _running(by)]
        if dead:
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(dead))
                .values(claimed_at=None, claimed_by=None)
            )
    if dead:
        log.warning("gave back %s job(s) a stopped worker had claimed", len(dead))
        tell(dead)
    return len(dead)


def _running(claimed_by: str) -> bool:
    """Whether the process named by a claim on this machine is still alive."""
    try:
        pid = int(claimed_by.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, under another user
    return True
