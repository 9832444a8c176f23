"""The outbox: background work recorded in the same transaction as the change that causes it."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from app.database import Base
from app.database import utcnow


class OutboxMessage(Base):
    """One piece of work for the job queue. It is written by the change that needs it, so the
    work is asked for if and only if the change is kept; the queue is told after the commit, and
    again by the worker's sweep if that telling was lost. A worker claims a message before doing
    it, so a message told twice is still done once. Done messages are deleted; a failed one is
    kept with the time it failed (its error is in the worker's log, never personal data)."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    claimed_at: Mapped[datetime | None]
    # The worker that claimed it ("host:pid"): a worker starting on the same host gives back
    # the messages of one that died mid-job (killed, or the machine restarted), so they are done.
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    failed_at: Mapped[datetime | None]


class ScheduledRun(Base):
    """When a daily step last ran: the worker's minute runs each one once a day, at its hour,
    or at the first minute after it if the worker was down then."""

    __tablename__ = "job_scheduled_runs"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    last_run_on: Mapped[date]
