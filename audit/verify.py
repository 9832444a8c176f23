"""Checking the chain: every hash, every link, no gaps, and agreement with signed checkpoints."""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from hashlib import sha256
from itertools import repeat
from multiprocessing import get_context
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import create_engine
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.pool import NullPool

from app.crypto import CheckpointSigner
from app.database import READ_ONLY
from app.database import db
from app.database import reading_connection
from app.database import utcnow
from app.keys.models import KeyPurpose
from app.keys.store import key_store
from audit.chain import GENESIS_HASH
from audit.chain import LEAF_FIELDS
from audit.chain import leaf_of
from audit.chain import utc_text
from audit.models import AuditCheckpoint
from audit.models import AuditEvent

BATCH = 5000
WORKER_SHARE = 250_000  # fewer events than this per worker: starting it costs more than it saves
SEQUENCE = LEAF_FIELDS.index("sequence")
PREVIOUS_HASH = LEAF_FIELDS.index("previous_hash")
OCCURRED_AT = LEAF_FIELDS.index("occurred_at")


@dataclass(frozen=True)
class Checkpoint:
    sequence: int
    head_hash: str
    created_at: str
    signature: str
    public_key: str

    def message(self) -> bytes:
        return checkpoint_message(self.sequence, self.head_hash, self.created_at)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)


@dataclass(frozen=True)
class Verification:
    events_checked: int
    first_bad_sequence: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


def checkpoint_message(sequence: int, head_hash: str, created_at: str) -> bytes:
    return f"audit-checkpoint-v1|{sequence}|{head_hash}|{created_at}".encode()


def create_checkpoint() -> Checkpoint | None:
    """Sign the current head (None when the trail is empty); the caller commits."""
    head = db.session.execute(
        select(AuditEvent.sequence, AuditEvent.event_hash)
        .order_by(AuditEvent.sequence.desc())
        .limit(1)
    ).first()
    if head is None:
        return None
    signer = _signer()
    now = utcnow().replace(microsecond=0)  # the stored time must print exactly as signed
    created_at = now.isoformat(timespec="seconds")
    message = checkpoint_message(head.sequence, head.event_hash, created_at)
    checkpoint = Checkpoint(
        head.sequence, head.event_hash, created_at, signer.sign(message), signer.public_key_hex
    )
    db.session.add(
        AuditCheckpoint(
            sequence=checkpoint.sequence,
            head_hash=checkpoint.head_hash,
            created_at=now,
            signature=checkpoint.signature,
        )
    )
    db.session.flush()
    return checkpoint


def stored_checkpoints() -> list[Checkpoint]:
    """Checkpoints kept in the database (their copies held elsewhere are the ones that count)."""
    public_key = _signer().public_key_hex
    rows = db.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.sequence))
    return [
        Checkpoint(
            row.sequence,
            row.head_hash,
            row.created_at.astimezone(UTC).isoformat(timespec="seconds"),
            row.signature,
            public_key,
        )
        for row in rows
    ]


def verify_chain(checkpoints: Iterable[Checkpoint] = (), *, workers: int = 1) -> Verification:
    """Walk the chain up to its current head; report the first sequence number that is wrong.

    With `workers` above one, a long chain is cut into that many ranges of sequence numbers,
    each checked in its own process; the result is the one a single walk would give.
    """
    wanted = {c.sequence: c for c in checkpoints}
    for checkpoint in wanted.values():
        if not CheckpointSigner.is_valid(
            checkpoint.message(), checkpoint.signature, checkpoint.public_key
        ):
            return Verification(0, checkpoint.sequence, "checkpoint signature is not valid")
    # Its own read-only connection: on SQLite the session's would hold the write lock, and
    # every request (each writes its audit event) would wait for the whole walk.
    with reading_connection() as connection:
        head = connection.scalar(select(func.max(AuditEvent.sequence))) or 0
        ranges = _ranges(head, workers)
        if len(ranges) == 1:
            return _combine([_check_range(connection, *ranges[0], wanted)], wanted, head)
    url = db.engine.url.render_as_string(hide_password=False)
    # Spawned, not forked: a child must not share the parent's open connections.
    with ProcessPoolExecutor(len(ranges), mp_context=get_context("spawn")) as pool:
        firsts, lasts = zip(*ranges, strict=True)
        parts = list(pool.map(_check_range_apart, repeat(url), firsts, lasts, repeat(wanted)))
    return _combine(parts, wanted, head)


def _ranges(head: int, workers: int) -> list[tuple[int, int]]:
    """Sequence ranges of at least WORKER_SHARE events each (just one for a short chain)."""
    count = max(1, min(workers, head // WORKER_SHARE))
    bounds = [1 + head * i // count for i in range(count + 1)]
    return [(bounds[i], bounds[i + 1] - 1) for i in range(count)]


def _combine(parts: list[Verification], wanted: dict[int, Checkpoint], head: int) -> Verification:
    """The first range's problem, counting the events checked before it as a single walk would."""
    checked = 0
    for part in parts:
        if not part.intact:
            return Verification(
                checked + part.events_checked, part.first_bad_sequence, part.problem
            )
        checked += part.events_checked
    beyond = [sequence for sequence in wanted if sequence > head]
    if beyond:
        return Verification(checked, head + 1, f"log ends before signed checkpoint {max(beyond)}")
    return Verification(checked)


def _check_range_apart(
    url: str, first: int, last: int, wanted: dict[int, Checkpoint]
) -> Verification:
    """`_check_range` in a worker process, on its own connection."""
    engine = create_engine(url, poolclass=NullPool, execution_options={READ_ONLY: True})
    try:
        with engine.connect() as connection:
            return _check_range(connection, first, last, wanted)
    finally:
        engine.dispose()


def _check_range(
    connection: Connection, first: int, last: int, wanted: dict[int, Checkpoint]
) -> Verification:
    """Check events `first` to `last`: the first must follow the stored hash of the one before
    (which the range before checks is that event's true hash)."""
    table = AuditEvent.__tablename__
    previous = (
        GENESIS_HASH
        if first == 1
        else connection.exec_driver_sql(
            f"SELECT event_hash FROM {table} WHERE sequence = {first - 1:d}"  # noqa: S608
        ).scalar()
    )
    columns = ", ".join((*LEAF_FIELDS, "event_hash"))
    rows = connection.exec_driver_sql(
        f"SELECT {columns} FROM {table} WHERE sequence BETWEEN {first:d} AND {last:d}"  # noqa: S608
        " ORDER BY sequence",
        # Streamed (a server-side cursor on PostgreSQL), so memory stays flat.
        execution_options={"stream_results": True, "max_row_buffer": BATCH},
    )
    with closing(rows):
        return _walk(rows, wanted, first, last, previous)


def _walk(
    rows: Iterable[Sequence[Any]],
    wanted: dict[int, Checkpoint],
    first: int,
    last: int,
    previous: str | None,
) -> Verification:
    """Check contiguity, links and hashes event by event, and agreement with the checkpoints.

    Rows are the driver's own values in leaf order, with no ORM or type processing: over tens
    of millions of rows that processing cost more than the hashing.
    """
    expected, checked = first, 0
    for row in rows:
        *fields, event_hash = row
        sequence, previous_hash = fields[SEQUENCE], fields[PREVIOUS_HASH]
        if sequence != expected:
            return Verification(checked, expected, "event missing or out of order")
        if previous_hash != previous:
            return Verification(checked, expected, "does not follow the event before it")
        fields[OCCURRED_AT] = _utc_text(fields[OCCURRED_AT])
        if sha256(leaf_of(*fields)).hexdigest() != event_hash:
            return Verification(checked, expected, "event altered")
        signed = wanted.get(sequence)
        if signed and signed.head_hash != event_hash:
            return Verification(checked, expected, "differs from a signed checkpoint")
        previous, expected, checked = event_hash, expected + 1, checked + 1
    if expected <= last:  # the range's last events are gone
        return Verification(checked, expected, "event missing or out of order")
    return Verification(checked)


def _utc_text(stored: datetime | str) -> str:
    """The time as the writer hashed it. PostgreSQL's driver gives a datetime; SQLite's gives
    the stored text, naive and in UTC, which `UTCDateTime` would read as UTC."""
    if not isinstance(stored, str):
        return utc_text(stored)
    if len(stored) == len("2000-01-01 00:00:00.000000") and stored[10] == " ":
        # SQLAlchemy's storage form: the ISO text once the space is a "T" and the zone added.
        return f"{stored[:10]}T{stored[11:]}+00:00"
    try:
        parsed = datetime.fromisoformat(stored)
    except ValueError:
        return stored  # no time at all: it cannot hash as written, so it shows as altered
    return utc_text(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))


def _signer() -> CheckpointSigner:
    return CheckpointSigner(key_store().service_key(KeyPurpose.CHECKPOINT_SIGNING))
