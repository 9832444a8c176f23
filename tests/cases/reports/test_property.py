"""Property: the report's figures are a brute-force recount of any generated history (domain
§2.10.1, E7): for each quarter, the listings whose meeting was held in it (on or before
today) with the referral on the agenda, and the repeats among them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import delete

from app import create_app
from app.accounts.models import AgencyType
from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from app.settings import ReportSettings
from cases.referrals.models import Referral
from cases.reports.queries import repeat_report
from cases.reports.rules import Quarter
from cases.reports.rules import View
from panels.models import Meeting
from panels.types.common import ReferralStatus
from tests.cases.reports.conftest import History
from tests.conftest import make_settings

TODAY = date(2025, 5, 15)
START = date(2023, 1, 1)
STATUSES = (
    ReferralStatus.LISTED,
    ReferralStatus.HEARD,
    ReferralStatus.ACCEPTED,
    ReferralStatus.WITHDRAWN,
)
ON_AGENDA = {ReferralStatus.LISTED, ReferralStatus.HEARD}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[Flask]:
    directory = tmp_path_factory.mktemp("property")
    shutil.copy(migrated_sqlite, directory / "test.db")
    app = create_app(make_settings(directory))
    with app.app_context():
        organisation = Organisation(name="Synthetic Police", agency_type=AgencyType.POLICE)
        user = User(email="p@test.example", display_name="P", organisation=organisation)
        db.session.add(user)
        History(user).panel("Ashcombe")
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


listing = st.tuples(
    st.integers(min_value=0, max_value=900),  # meeting day after START
    st.integers(min_value=0, max_value=40),  # referred this many days before the meeting
    st.booleans(),  # repeat
    st.sampled_from(STATUSES),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(listings=st.lists(listing, max_size=30), last_offset=st.integers(min_value=0, max_value=9))
def test_the_report_equals_a_brute_force_recount(
    world: Flask, listings: list[tuple[int, int, bool, ReferralStatus]], last_offset: int
) -> None:
    last = Quarter(2023, 1).shifted(last_offset)
    with world.test_request_context():
        db.session.execute(delete(Referral))
        db.session.execute(delete(Meeting))
        user = db.session.query(User).one()
        history = History(user)
        from panels.models import Panel

        panel = db.session.query(Panel).one()
        meetings: dict[int, Meeting] = {}
        for day, before, repeat, status in listings:
            if day not in meetings:
                meetings[day] = history.meeting(panel, START + timedelta(days=day))
            held = meetings[day].held_on
            history.referral(
                panel,
                referred_on=held - timedelta(days=before),
                meeting=meetings[day] if status is not ReferralStatus.ACCEPTED else None,
                repeat=repeat,
                status=status,
            )
        report = repeat_report(
            panel,
            last=last,
            view=View.QUARTERS,
            suppress=False,
            settings=ReportSettings(),
            today=TODAY,
        )
        assert report is not None
        for back, row in enumerate(reversed(report.rows)):
            quarter = last.shifted(-back)
            heard = [
                (day, repeat)
                for day, _, repeat, status in listings
                if status in ON_AGENDA
                and quarter.start <= START + timedelta(days=day) <= min(quarter.end, TODAY)
            ]
            repeats = sum(1 for _, repeat in heard if repeat)
            assert (row.heard.value, row.repeats.value) == (len(heard), repeats)
            expected = (
                (Decimal(repeats * 100) / len(heard)).quantize(Decimal("0.1")) if heard else None
            )
            assert row.rate.value == expected
        db.session.rollback()
