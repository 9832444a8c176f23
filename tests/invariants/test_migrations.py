"""The Alembic migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade
from flask_migrate import upgrade
from sqlalchemy import func
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import text

from app.database import Base
from app.database import db
from demo import case_reviews
from demo import cases
from demo import data
from demo import referrals


def differences(app: Flask) -> list[object]:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_sqlite_migrations_match_models(app: Flask) -> None:
    assert differences(app) == []


def test_sqlite_downgrade_to_base_and_back(app: Flask) -> None:
    with app.app_context():
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
    assert differences(app) == []


def test_sqlite_migrations_since_0009_round_trip_a_database_full_of_data(app: Flask) -> None:
    """An upgrade must work on a deployment's database, not only an empty one: batch mode
    rebuilds a table by copy, drop and rename, which SQLite refuses while other rows point at
    it and foreign keys are enforced. Every row survives, no reference is left broken, and the
    pool's connections enforce foreign keys again afterwards."""
    with app.app_context():
        data.seed()
        cases.seed()
        referrals.seed(scale=0.1)
        case_reviews.seed()
        db.session.commit()
        counted = [
            table for table in Base.metadata.sorted_tables if table.name != "alembic_version"
        ]
        before = {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in counted}
        assert before["referrals"] > 0
        db.session.remove()

        downgrade(revision="0009")
        # Tables made after 0009 go with the downgrade, and come back empty: every other row
        # must survive the round trip.
        kept = set(inspect(db.engine).get_table_names())
        upgrade()

        after = {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in counted}
        assert {name: n for name, n in after.items() if name in kept} == {
            name: n for name, n in before.items() if name in kept
        }
        assert {"referrals", "case_alerts", "break_glass_grants"} <= kept
        assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
        assert db.session.scalar(text("PRAGMA foreign_keys")) == 1
    assert differences(app) == []


@pytest.mark.postgres
def test_postgresql_migrations_match_models_and_round_trip(pg_app: Flask) -> None:
    assert differences(pg_app) == []
    with pg_app.app_context():
        downgrade(revision="base")
        upgrade()
    assert differences(pg_app) == []
