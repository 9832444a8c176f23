"""The benchmark's `minutes_pdf_ms` (issue 21): the runner makes its 20-case meeting with
approved minutes once per database, finds it again on a later run, and times the minutes' PDF
through the app. A tiny generated dataset, so this runs in the normal suite."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func
from sqlalchemy import select

from app.database import db
from benchmarks import run
from cases.meetings.models import MeetingMinutes
from cases.meetings.models import MinutesCaseSection
from cases.meetings.models import MinutesStatus
from cases.referrals.models import Referral


def test_the_minutes_pack_is_timed_on_a_20_case_meeting_made_once(app: Flask) -> None:
    meeting_id = run.pack_meeting(app)
    assert run.pack_meeting(app) == meeting_id  # found again, not made twice
    with app.app_context():
        minutes = db.session.scalars(
            select(MeetingMinutes).where(MeetingMinutes.meeting_id == meeting_id)
        ).one()
        assert minutes.status is MinutesStatus.APPROVED
        sections = db.session.scalar(
            select(func.count())
            .select_from(MinutesCaseSection)
            .where(MinutesCaseSection.minutes_id == minutes.id)
        )
        heard = db.session.scalar(
            select(func.count()).select_from(Referral).where(Referral.meeting_id == meeting_id)
        )
    assert (sections, heard) == (run.PACK_CASES, run.PACK_CASES)
    samples = run.measure_minutes_pdf(app, 2)
    assert len(samples) == 2
    assert all(sample > 0 for sample in samples)
