"""The audit trail's record of key rotation: app/keys announces each change, this records it."""

from __future__ import annotations

from app.keys import rotation
from audit.models import AuditAction
from audit.services import record


def keys_rewrapped(sender: object, *, count: int, kek_id: str) -> None:
    """One event for each batch of data keys rewrapped under the current key-encryption key."""
    record(
        actor=None,
        action=AuditAction.DATA_KEYS_REWRAPPED,
        changes={"count": [None, count], "kek_id": [None, kek_id]},
    )


def data_key_replaced(sender: object, *, key_id: str, replaced_by: str, rows: int) -> None:
    """One event for each data key replaced, naming its successor and the rows re-sealed."""
    record(
        actor=None,
        action=AuditAction.DATA_KEY_REPLACED,
        object=("data_keys", key_id),
        changes={"replaced_by": [None, replaced_by], "rows": [None, rows]},
    )


def connect() -> None:
    """Record key rotation from now on (the factory calls this; connecting twice is harmless)."""
    rotation.keys_rewrapped.connect(keys_rewrapped)
    rotation.data_key_replaced.connect(data_key_replaced)
