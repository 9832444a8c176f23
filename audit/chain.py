"""The chain's one encoder: writer and verifier hash exactly the same bytes.

Leaf bytes are fixed and versioned, so a Merkle tree (RFC 6962) can later be built over the
same leaves for inclusion and consistency proofs.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

from sqlalchemy import text

from app.database import db
from audit.models import AuditEvent

ENCODING_VERSION = "audit-v1"
GENESIS_HASH = "0" * 64
# Any constant: PostgreSQL advisory locks are keyed by a 64-bit number.
CHAIN_LOCK_KEY = 7_212_033_001


def leaf_bytes(entry: AuditEvent) -> bytes:
    """Sorted-key JSON with fixed separators over every field except the entry's own hash."""
    occurred_at = entry.occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
    fields = {
        "v": ENCODING_VERSION,
        "sequence": entry.sequence,
        "occurred_at": occurred_at,
        "actor_id": entry.actor_id,
        "actor_agency_id": entry.actor_agency_id,
        "actor_role": entry.actor_role,
        "action": str(entry.action),
        "outcome": str(entry.outcome),
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "purpose": entry.purpose,
        "changes": entry.changes,
        "ip_address": entry.ip_address,
        "session_ref": entry.session_ref,
        "request_id": entry.request_id,
        "previous_hash": entry.previous_hash,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def entry_hash(entry: AuditEvent) -> str:
    return hashlib.sha256(leaf_bytes(entry)).hexdigest()


def lock_chain() -> None:
    """Serialise appends until this transaction ends, so two writers never fork the chain.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: every transaction already holds the
    database's write lock from BEGIN IMMEDIATE (app/database.py).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
