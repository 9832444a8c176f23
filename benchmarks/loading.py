"""Storing generated rows fast: bulk inserts, indexes built after the load, and a writer process.

Generating rows (drawing, sealing, hashing) is Python work for one core; converting and storing
them is work for another. `Writer` hands each batch to a process of its own, so on a 2-core
server the two overlap instead of taking turns.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.queues
import queue
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Table
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import text
from sqlalchemy.pool import NullPool

from app import load_models
from app.database import db

Rows = list[dict[str, Any]]
Batch = list[tuple[str, Rows]]  # (table name, rows), parents before children


def insert(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """executemany straight to the driver (COPY on PostgreSQL), each value converted by its
    column's own SQLAlchemy type, so rows are stored exactly as the ORM would store them."""
    if not rows:
        return
    dialect = connection.dialect
    names = list(rows[0])
    columns = []
    for name in names:
        values = [row[name] for row in rows]
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        columns.append(values if process is None else list(map(process, values)))
    records = list(zip(*columns, strict=True))
    preparer = dialect.identifier_preparer
    target = f"{preparer.format_table(table)} ({', '.join(preparer.quote(n) for n in names)})"
    if dialect.name == "postgresql":  # COPY: several times faster than executemany
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for record in records:
                copy.write_row(record)
        return
    statement = f"INSERT INTO {target} VALUES ({', '.join('?' for _ in names)})"  # noqa: S608
    for start in range(0, len(records), 5000):
        connection.exec_driver_sql(statement, records[start : start + 5000])


@contextmanager
def indexes_built_afterwards() -> Iterator[None]:
    """Drop the secondary indexes for the load and build them again at the end, as bulk loads
    do: one sort per index instead of millions of random inserts into B-trees that outgrow the
    cache. Indexes that back a constraint stay, so uniqueness is checked as rows go in."""
    definitions = _secondary_indexes()
    preparer = db.engine.dialect.identifier_preparer
    for name, _ in definitions:
        db.session.execute(text(f"DROP INDEX {preparer.quote(name)}"))
    db.session.commit()
    try:
        yield
    finally:
        db.session.rollback()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SET maintenance_work_mem = '512MB'"))
        for _, definition in definitions:
            db.session.execute(text(definition))
        db.session.commit()


def _secondary_indexes() -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of each index that no constraint owns."""
    if db.engine.dialect.name == "postgresql":
        query = """
            SELECT i.indexname, i.indexdef FROM pg_indexes AS i
            WHERE i.schemaname = current_schema() AND NOT EXISTS (
                SELECT 1 FROM pg_constraint AS c
                WHERE c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass
            )
        """
    else:  # SQLite's own indexes for UNIQUE and PRIMARY KEY have no statement
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    return [(name, definition) for name, definition in db.session.execute(text(query))]


class WriterFailed(RuntimeError):
    """The writer process stopped before storing every batch."""


class Writer:
    """Stores batches in a process of its own, one transaction each, in the order given; on
    leaving a `with` block, waits until all are stored.

    At most two batches wait, so generation never runs far ahead of storage (and memory stays
    bounded). The caller's session must hold no write transaction while batches are stored.
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no forked engine
        self._queue: multiprocessing.queues.Queue[Batch | None] = context.Queue(maxsize=2)
        url = db.engine.url.render_as_string(hide_password=False)
        self._process = context.Process(target=_store_batches, args=(url, self._queue), daemon=True)
        self._process.start()

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.close()
        else:  # generation failed: what is stored is incomplete anyway
            self._queue.cancel_join_thread()  # so exiting does not wait on batches unread
            self._process.kill()
            self._process.join()

    def store(self, batch: Batch) -> None:
        self._put(batch)

    def close(self) -> None:
        """Wait until every batch is stored."""
        self._put(None)
        self._process.join()
        if self._process.exitcode != 0:
            raise WriterFailed(f"The writer process exited with code {self._process.exitcode}.")

    def _put(self, item: Batch | None) -> None:
        while True:
            try:
                self._queue.put(item, timeout=1)
                return
            except queue.Full:
                if not self._process.is_alive():
                    raise WriterFailed("The writer process stopped; its error is above.") from None


def _store_batches(url: str, batches: multiprocessing.queues.Queue[Batch | None]) -> None:
    engine = create_engine(url, poolclass=NullPool)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _for_loading)
    load_models()  # the writer process looks tables up by name
    tables = db.metadata.tables
    with engine.connect() as connection:
        for batch in iter(batches.get, None):
            with connection.begin():
                for name, rows in batch:
                    insert(connection, tables[name], rows)
    engine.dispose()


def _for_loading(dbapi_connection: Any, _: object) -> None:
    """A 1 GiB page cache for the uniqueness indexes, and no fsync: a failed load is repeated
    from scratch anyway."""
    dbapi_connection.execute("PRAGMA cache_size=-1048576")
    dbapi_connection.execute("PRAGMA synchronous=OFF")
