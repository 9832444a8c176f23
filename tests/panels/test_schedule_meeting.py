"""Scheduling a meeting (issue 21 walkthrough, item 3): a panel meets at most once a day for
each kind of meeting, whoever calls the service; how far back or ahead a date may be is the
add-meeting form's rule, not the service's, so scripts and tests may schedule any date."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func
from sqlalchemy import select

from app.database import db
from app.errors import DomainError
from audit.models import AuditAction
from audit.models import AuditEvent
from panels import services
from panels.models import Meeting
from panels.models import MeetingKind
from tests.referral_fixtures import panel

FAR_AHEAD = date(2099, 1, 7)


def scheduled_events() -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == AuditAction.MEETING_SCHEDULED)
        )
        or 0
    )


def test_a_second_meeting_of_the_same_panel_and_kind_on_one_day_is_refused(app: Flask) -> None:
    with app.test_request_context():
        marac, other = panel("Thornbury"), panel("Eastmere")
        services.schedule_meeting(actor=None, panel=marac, held_on=FAR_AHEAD)
        with pytest.raises(DomainError) as refused:
            services.schedule_meeting(actor=None, panel=marac, held_on=FAR_AHEAD)
        assert refused.value.field == "held_on"
        assert refused.value.message == (
            "Thornbury marac already has a scheduled meeting on 7 January 2099: choose another "
            "date, or use that meeting"
        )
        assert scheduled_events() == 1
        # Another kind the same day, another panel the same day, the next day: all fine.
        services.schedule_meeting(
            actor=None, panel=marac, held_on=FAR_AHEAD, kind=MeetingKind.EMERGENCY
        )
        with pytest.raises(DomainError, match="already has an emergency meeting"):
            services.schedule_meeting(
                actor=None, panel=marac, held_on=FAR_AHEAD, kind=MeetingKind.EMERGENCY
            )
        services.schedule_meeting(actor=None, panel=other, held_on=FAR_AHEAD)
        services.schedule_meeting(actor=None, panel=marac, held_on=date(2099, 1, 8))
        assert db.session.scalar(select(func.count()).select_from(Meeting)) == 4
        assert scheduled_events() == 4


def test_the_service_takes_any_date_the_range_is_the_forms_rule(app: Flask) -> None:
    with app.test_request_context():
        marac = panel("Thornbury")
        for held_on in (date(2001, 1, 1), FAR_AHEAD):
            assert services.schedule_meeting(actor=None, panel=marac, held_on=held_on).id
