"""The declarative base, column types shared by every model, and database engine set-up."""

from __future__ import annotations

import enum
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import DateTime
from sqlalchemy import Enum
from sqlalchemy import MetaData
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session
from sqlalchemy.orm import registry
from sqlalchemy.types import TypeDecorator

from app.errors import DomainError

# Named constraints let Alembic alter and drop them later, on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the only kind of time we store)."""
    return datetime.now(UTC)


UK = ZoneInfo("Europe/London")


def uk_today() -> date:
    """Today's date in the UK: referral and meeting dates are UK calendar days."""
    return datetime.now(UK).date()


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC that always comes back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Naive datetimes are not stored; use app.database.utcnow().")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    # Set on an explicit registry: Flask-SQLAlchemy subclasses this base, and SQLAlchemy only
    # carries a type_annotation_map into subclasses through the registry.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            datetime: UTCDateTime,
            # Enums are stored by value in a string column: adding a member needs no ALTER TYPE.
            enum.Enum: Enum(
                enum.Enum,
                native_enum=False,
                length=40,
                values_callable=lambda members: [member.value for member in members],
            ),
        },
    )


READ_ONLY = "read_only"  # an execution option for connections that never write
READING = "reading"  # a key of Session.info: the session's transactions only read (a GET)
READING_ENGINE = "reading_engine"  # a key of app.extensions: the engine, for readers


class ReadingWrote(RuntimeError):
    """A session marked as reading tried to change the database (a bug in a GET's code)."""


class AppSession(FlaskSession):
    """The request's session. While it is marked as reading (`READING` in its info, set by the
    unit of work for GET requests), every transaction it begins is a reader's: on SQLite a
    deferred BEGIN, which never waits for the write lock; on PostgreSQL READ ONLY."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        bind = super().get_bind(*args, **kwargs)
        if self.info.get(READING) and bind is db.engine:
            return current_app.extensions[READING_ENGINE]
        return bind


db = SQLAlchemy(model_class=Base, session_options={"class_": AppSession})


def register_reading_engine(app: Any) -> None:
    """After `db.init_app`: the engine's read-only twin (one pool, connections marked
    READ_ONLY), which a reading session's transactions begin on."""
    with app.app_context():
        app.extensions[READING_ENGINE] = db.engine.execution_options(**{READ_ONLY: True})


def reading() -> bool:
    """Whether the request's session only reads (a GET's), so a change must be made apart."""
    return bool(db.session().info.get(READING))


def reading_connection() -> Connection:
    """A connection of its own that only reads, outside the request's transaction (the session
    lookup, the health check): on SQLite it never waits for the write lock."""
    return db.engine.connect().execution_options(**{READ_ONLY: True})


def flush_unique(message: str, *, field: str) -> None:
    """Flush; a unique-constraint clash undoes the whole change and becomes a field message.

    The database's constraint is the judge, not a check beforehand that two requests could race.
    In a request, call it inside `app.unit_of_work.attempt`, which rolls the change back.
    """
    try:
        db.session.flush()
    except IntegrityError:
        if db.session().get_nested_transaction() is None:
            db.session.rollback()  # outside `attempt` (a CLI command, a test): keep nothing
        raise DomainError(message, field=field) from None


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    """Enforce foreign keys and durable WAL commits on SQLite; other engines are untouched."""
    if not _is_sqlite(dbapi_connection):
        return
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_immediately_on_sqlite(connection: Connection) -> None:
    """Take SQLite's write lock when a transaction starts.

    Nearly every request writes (at least its audit event). A deferred SQLite transaction that
    read first and writes later fails at once if another writer committed in between, whatever
    the busy timeout; starting with BEGIN IMMEDIATE makes writers queue instead. A connection
    marked READ_ONLY (a GET request's, the audit verifier's) begins deferred: it reads a
    snapshot without waiting for the write lock. On PostgreSQL such a transaction is declared
    READ ONLY, so a write in it fails there as the guard below makes it fail on SQLite.
    """
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
    elif read_only and connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")


@event.listens_for(Session, "before_flush")
def _reading_flushes_nothing(session: Session, *_: Any) -> None:
    if not session.info.get(READING):
        return
    changed = [o for o in session.dirty if session.is_modified(o)]
    if session.new or session.deleted or changed:
        raise ReadingWrote(
            "A request that only reads (a GET) changed the database: "
            f"{sorted({type(o).__name__ for o in [*session.new, *session.deleted, *changed]})}. "
            "Make the change in a POST, or through app.unit_of_work.when_writing."
        )


@event.listens_for(Session, "do_orm_execute")
def _reading_executes_no_change(state: ORMExecuteState) -> None:
    if state.session.info.get(READING) and (state.is_insert or state.is_update or state.is_delete):
        raise ReadingWrote(
            "A request that only reads (a GET) ran an INSERT, UPDATE or DELETE. "
            "Make the change in a POST, or through app.unit_of_work.when_writing."
        )


def _is_sqlite(dbapi_connection: Any) -> bool:
    return type(dbapi_connection).__module__ == "sqlite3"
