"""The demo's clock (demo/clock.py): what the services write inside a step is dated at the
step's moment, what was written before keeps its time, and the audit trail keeps the real one."""

from __future__ import annotations

from datetime import date
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from app.database import db
from app.database import utcnow
from audit.models import AuditEvent
from cases import services as cases
from cases.retention import services as retention
from demo.clock import Timeline
from demo.clock import happened_at
from demo.clock import uk_time
from demo.clock import working_days_after
from panels import services as panels
from panels.models import Area
from panels.models import Panel
from panels.types.common import MeetingCadence
from panels.types.common import PanelType

OPENED = uk_time(date(2025, 3, 4), 10, 30)
HELD = uk_time(date(2025, 9, 1), 11)


def new_panel() -> Panel:
    area = Area(name="Testshire")
    panel = Panel(
        area=area,
        panel_type=PanelType.MARAC,
        name="Testshire MARAC",
        meeting_cadence=MeetingCadence.MONTHLY,
        active=True,
    )
    db.session.add_all([area, panel])
    return panel


def test_a_step_dates_what_the_services_write_and_leaves_the_audit_trail_alone(
    app: Flask,
) -> None:
    with app.app_context():
        began = utcnow()
        with happened_at(OPENED):
            panel = new_panel()
            case = cases.open_case(
                actor=None, panel=panel, opened_on=OPENED.date(), summary="Synthetic"
            )
        with happened_at(HELD):
            cases.close_case(case, actor=None, closed_on=HELD.date())
            retention.place_legal_hold(case, actor=None, reason="Synthetic review")
        # Column defaults and times the services take from the clock: each the step's moment;
        # a row changed in a later step keeps the times it was written with.
        assert (panel.created_at, case.created_at) == (OPENED, OPENED)
        assert case.legal_hold_since == HELD
        events = db.session.scalars(select(AuditEvent)).all()
        assert len(events) == 3
        assert all(event.occurred_at >= began for event in events)


def test_outside_a_step_the_services_write_the_real_time(app: Flask) -> None:
    with app.app_context():
        with happened_at(OPENED):
            panel = new_panel()
        began = utcnow()
        meeting = panels.schedule_meeting(actor=None, panel=panel, held_on=date(2025, 4, 10))
        db.session.flush()
        assert panel.created_at == OPENED
        assert meeting.created_at >= began


def test_steps_do_not_nest(app: Flask) -> None:
    with app.app_context(), happened_at(OPENED), pytest.raises(RuntimeError), happened_at(HELD):
        pass


def test_a_timeline_runs_its_steps_in_the_order_they_happened(app: Flask) -> None:
    ran: list[str] = []
    timeline = Timeline()

    def first() -> None:
        ran.append("first")
        timeline.at(HELD, lambda: ran.append("added later"))
        with pytest.raises(ValueError, match="cannot follow"):
            timeline.at(OPENED - timedelta(minutes=1), lambda: ran.append("too early"))

    with app.app_context():
        timeline.at(uk_time(date(2025, 12, 1), 9), lambda: ran.append("last"))
        timeline.at(OPENED, first)
        timeline.run()
        assert ran == ["first", "added later", "last"]


def test_working_days_skip_the_weekend() -> None:
    friday = date(2026, 11, 27)
    assert working_days_after(friday, 1) == date(2026, 11, 30)
    assert working_days_after(friday, 3) == date(2026, 12, 2)
