"""The chain's one encoder: writer and verifier hash exactly the same bytes.

Leaf bytes are fixed and versioned, so a Merkle tree (RFC 6962) can later be built over the
same leaves for inclusion and consistency proofs.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from datetime import datetime

from sqlalchemy import text

from app.database import db
from audit.models import AuditEvent

ENCODING_VERSION = "audit-v1"
GENESIS_HASH = "0" * 64
# Any constant: PostgreSQL advisory locks are keyed by a 64-bit number.
CHAIN_LOCK_KEY = 7_212_033_001


# The leaf's fields as json.dumps(sort_keys=True) orders them ("v" last, a constant).
LEAF_FIELDS = (
    "action",
    "actor_agency_id",
    "actor_id",
    "actor_role",
    "changes",
    "ip_address",
    "object_id",
    "object_type",
    "occurred_at",
    "outcome",
    "previous_hash",
    "purpose",
    "request_id",
    "sequence",
    "session_ref",
)
_LEAF = "{{" + ",".join(f'"{name}":{{}}' for name in LEAF_FIELDS) + f',"v":"{ENCODING_VERSION}"}}}}'
_string = json.encoder.encode_basestring_ascii  # the escaping json.dumps itself uses


def leaf_bytes(entry: AuditEvent) -> bytes:
    """Sorted-key JSON with fixed separators over every field except the entry's own hash."""
    values = {name: getattr(entry, name) for name in LEAF_FIELDS}
    values.update(
        action=str(entry.action),
        outcome=str(entry.outcome),
        occurred_at=utc_text(entry.occurred_at),
    )
    return leaf_of(*values.values())


def leaf_of(*values: object) -> bytes:
    """The leaf of plain values given in LEAF_FIELDS order (times already as `utc_text`).

    Byte for byte what `json.dumps(fields, sort_keys=True, separators=(",", ":"),
    ensure_ascii=True)` writes, without building a dict: the verifier calls this tens of
    millions of times.
    """
    # Most values are text, so that case is tested inline rather than in a call per value.
    return _LEAF.format(*[_string(v) if v.__class__ is str else _json(v) for v in values]).encode()


def _json(value: object) -> str:
    if value is None:
        return "null"
    if value.__class__ is int:
        return int.__repr__(value)
    return json.dumps(value)  # anything else, exactly as json writes it


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(entry: AuditEvent) -> str:
    return hashlib.sha256(leaf_bytes(entry)).hexdigest()


def lock_chain() -> None:
    """Serialise appends until this transaction ends, so two writers never fork the chain.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: every transaction already holds the
    database's write lock from BEGIN IMMEDIATE (app/database.py).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
