"""The demo, loaded once for the tests of what it contains and how it is dated."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func
from sqlalchemy import select

from app import create_app
from app.database import Base
from app.database import db
from app.database import utcnow
from demo import agendas
from demo import case_reviews
from demo import cases
from demo import data
from demo import meetings
from demo import referrals
from tests.conftest import make_settings

# A quarter of the referral histories: every panel still gets repeats, waiting referrals,
# meetings held and to come, and actions reported on and overdue.
SCALE = 0.25


@dataclass(frozen=True)
class Demo:
    app: Flask
    loaded_at: datetime  # the wall-clock time the demo began loading
    migrated: frozenset[str]  # tables the migrations fill, which held rows before the demo


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[Demo]:
    directory = tmp_path_factory.mktemp("demo")
    shutil.copy(migrated_sqlite, directory / "test.db")
    app = create_app(make_settings(directory))
    with app.app_context():
        migrated = frozenset(
            table.name
            for table in Base.metadata.sorted_tables
            if db.session.scalar(select(func.count()).select_from(table))
        )
        loaded_at = utcnow()
        data.seed()
        cases.seed()
        referrals.seed(scale=SCALE)
        meetings.seed()
        agendas.seed()
        case_reviews.seed()
        db.session.commit()
    yield Demo(app, loaded_at, migrated)
    with app.app_context():
        db.engine.dispose()
