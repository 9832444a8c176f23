"""The Alembic migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade
from flask_migrate import upgrade
from sqlalchemy import inspect

from app.database import Base
from app.database import db


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
def test_postgresql_migrations_match_models_and_round_trip(pg_app: Flask) -> None:
    assert differences(pg_app) == []
    with pg_app.app_context():
        downgrade(revision="base")
        upgrade()
    assert differences(pg_app) == []
