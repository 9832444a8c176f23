"""An extract streams (issue 20): the process making it holds one batch of rows and one part of
the file at a time, so its peak memory does not grow with the number of referrals. Measured by
the operating system in a process of its own (benchmarks/export.py, which `make bench` runs at
100,000 and 1,000,000 referrals), here at two sizes of the same panel."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import date
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import insert

from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.keys.models import KeyPurpose
from app.keys.store import key_store
from app.settings import Settings
from cases.referrals.models import Referral
from panels.models import PanelRole
from panels.types.common import ReferralStatus
from tests.conftest import Accounts
from tests.referral_fixtures import member
from tests.referral_fixtures import panel as make_panel
from tests.workers import app_environment

PROJECT_ROOT = Path(__file__).resolve().parents[3]
EMAIL = "extract.coordinator@test.example"
SMALL, LARGE = 2_000, 120_000
# What the larger extract's peak may exceed the smaller one's by. The larger file is bigger than
# this (about 15 MB): a file built in memory, or rows gathered before writing, could not stay
# inside it. Measured: 126 MB at 2,000 rows, 133 MB at 60,000 and 134 MB at 200,000.
GROWTH_BOUND_MB = 12


def add_referrals(
    app: Flask, panel_id: int, user_id: int, organisation_id: int, count: int
) -> None:
    with app.app_context():
        key = key_store().new_key(KeyPurpose.CASE)
        now = utcnow()
        rows: list[dict[str, Any]] = [
            {
                "uid": uuid.uuid4().hex,
                "data_key_id": key.id,
                "panel_id": panel_id,
                "status": ReferralStatus.ACCEPTED.value,
                "referrer_id": user_id,
                "referring_agency_id": organisation_id,
                "referred_on": date(2025, 1, 1) + timedelta(days=n % 600),
                "created_at": now,
                "submitted_at": now,
                "children_count": n % 4,
                "victim_gender": "female",
                "victim_minoritised": "not_known",
                "victim_disabled": "no",
                "victim_lgbt": "not_known",
                "victim_age_band": "18_plus",
                "young_perpetrators": 0,
                "is_repeat": n % 3 == 0,
                "version": 1,
            }
            for n in range(count)
        ]
        db.session.execute(insert(Referral.__table__), rows)
        db.session.commit()


def measure(settings: Settings) -> dict[str, float]:
    env = app_environment(settings)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.export", "--email", EMAIL],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_an_extracts_memory_stays_flat_whatever_its_size(
    app: Flask, settings: Settings, accounts: Accounts
) -> None:
    account = accounts.user(EMAIL)
    with app.app_context():
        user = db.session.get_one(User, account.id)
        panel = make_panel("Streamford")
        member(panel, user, PanelRole.COORDINATOR)
        db.session.commit()
        panel_id, organisation_id = panel.id, user.organisation_id
    add_referrals(app, panel_id, account.id, organisation_id, SMALL)
    small = measure(settings)
    add_referrals(app, panel_id, account.id, organisation_id, LARGE - SMALL)
    large = measure(settings)
    assert (small["rows"], large["rows"]) == (SMALL, LARGE)
    assert large["bytes"] > GROWTH_BOUND_MB * 1024 * 1024
    growth = large["peak_rss_mb"] - small["peak_rss_mb"]
    assert growth < GROWTH_BOUND_MB, (small, large)
