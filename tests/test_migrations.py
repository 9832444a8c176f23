"""The Alembic migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade
from flask_migrate import upgrade
from sqlalchemy import create_engine
from sqlalchemy import inspect
from sqlalchemy import text

from app import create_app
from app.database import Base
from app.database import db
from tests.conftest import make_settings


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


@pytest.mark.postgres
def test_postgresql_migrations_match_models_and_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set")
    reset_postgres(url)
    app = create_app(make_settings(tmp_path, database_url=url))
    with app.app_context():
        upgrade()
    assert differences(app) == []
    with app.app_context():
        downgrade(revision="base")
        upgrade()
    assert differences(app) == []
    with app.app_context():
        db.engine.dispose()


def reset_postgres(url: str) -> None:
    """Empty the test database's public schema."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
