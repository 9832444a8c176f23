"""When the demo's history happened.

The demo goes through the real services, and they date what they write with the clock
(`app.database.utcnow()`, directly or as a column default): left alone, a referral made in 2025
would say it was started, submitted and screened on the day the demo was loaded. Inside
`happened_at(moment)`, every time the services take from the clock for the rows they write is
replaced by `moment` as the rows are flushed, so the referral says what a real one would.

The audit trail is left alone: it records, truthfully, when its events were written, and its
hash chain covers that time. That is why this is not an override inside `utcnow()` itself: the
audit trail takes its time from the same function. Only the demo uses this module (its commands
refuse production); outside a step, the listener it leaves on the session does nothing.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy import inspect
from sqlalchemy.orm import Mapper
from sqlalchemy.orm import Session

from app.database import UTCDateTime
from app.database import db
from app.database import utcnow
from audit.models import AuditCheckpoint
from audit.models import AuditEvent

UK = ZoneInfo("Europe/London")
HOLIDAYS = {(12, 25), (12, 26), (1, 1)}  # the bank holidays on fixed dates; the demo needs no more
UNDATED = (AuditEvent, AuditCheckpoint)  # the audit trail keeps the time it was written

# (the moment the step happened, the wall-clock time the step began)
_step: ContextVar[tuple[datetime, datetime] | None] = ContextVar("demo_step", default=None)


@contextmanager
def happened_at(moment: datetime) -> Iterator[None]:
    """Date what the services write inside the block at `moment` instead of now."""
    if _step.get() is not None:
        raise RuntimeError("Demo steps do not nest")
    session = db.session()
    if not event.contains(session, "before_flush", _date_the_step):
        event.listen(session, "before_flush", _date_the_step)
    session.flush()  # anything still pending belongs to no step
    token = _step.set((moment, utcnow()))
    try:
        yield
        session.flush()
    finally:
        _step.reset(token)


class Timeline:
    """Steps of the demo's history, run in the order they happened, each at its own moment;
    a step may add later ones (an action agreed at a meeting is reported on weeks after)."""

    def __init__(self) -> None:
        self._steps: list[tuple[datetime, int, Callable[[], object]]] = []
        self._order = itertools.count()
        self._now: datetime | None = None

    def at(self, moment: datetime, step: Callable[[], object]) -> None:
        if self._now is not None and moment < self._now:
            raise ValueError(f"A step at {moment} cannot follow one at {self._now}")
        heapq.heappush(self._steps, (moment, next(self._order), step))

    def run(self) -> None:
        while self._steps:
            moment, _, step = heapq.heappop(self._steps)
            self._now = moment
            with happened_at(moment):
                step()


def uk_time(day: date, hour: int, minute: int = 0) -> datetime:
    """A time of day in the UK on `day`, as the aware datetime the database stores."""
    return datetime.combine(day, time(hour, minute), tzinfo=UK)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and (day.month, day.day) not in HOLIDAYS


def working_days_after(day: date, count: int) -> date:
    """The date `count` working days after `day`."""
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def working_day_on_or_before(day: date) -> date:
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def _date_the_step(session: Session, flush_context: Any, instances: Any) -> None:
    step = _step.get()
    if step is None:
        return
    moment, began = step
    new = session.new
    for row in [*new, *session.dirty]:
        if isinstance(row, UNDATED):
            continue
        values = inspect(row).dict
        for key, has_default in _timed_columns(type(row)):
            value = values.get(key)
            taken_now = value is not None and value >= began
            if taken_now or (value is None and has_default and row in new):
                setattr(row, key, moment)


_columns: dict[type, list[tuple[str, bool]]] = {}


def _timed_columns(model: type) -> list[tuple[str, bool]]:
    """The model's timestamp attributes, each with whether the column has a default."""
    if model not in _columns:
        mapper: Mapper[Any] = inspect(model)
        _columns[model] = [
            (mapper.get_property_by_column(column).key, column.default is not None)
            for column in mapper.columns
            if isinstance(column.type, UTCDateTime)
        ]
    return _columns[model]
