"""The benchmark tests' app: a tiny generated dataset (300 referrals in two areas), made for
each test that asks for it. Generating is fast at that size; a module that reads only can
share one instead (test_bench_generate.py does)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from app.database import db
from app.extensions import limiter
from benchmarks.generate import Plan
from benchmarks.generate import generate
from tests.conftest import make_settings


@pytest.fixture
def app(tmp_path: Path, migrated_sqlite: Path) -> Iterator[Flask]:
    shutil.copy(migrated_sqlite, tmp_path / "test.db")
    made = create_app(make_settings(tmp_path))
    with made.app_context():
        limiter.reset()
        generate(Plan(referrals=300, areas=2, seed=7))
    yield made
    with made.app_context():
        db.engine.dispose()
