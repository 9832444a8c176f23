"""Key rotation you can run on a live system, in batches that each commit on their own.

* KEK rotation: put the new KEK in `KEY_ENCRYPTION_KEY` and the old one in
  `PREVIOUS_KEY_ENCRYPTION_KEYS`, then `flask keys rotate` rewraps every data key under the new
  KEK. Cheap (no data is re-encrypted) and resumable: each batch takes keys not yet rewrapped.
* Data key replacement: `flask keys reencrypt --before DATE` gives each case and person keyed
  before DATE a new data key, re-seals their fields under it and destroys the old one.

Both announce each batch or key as it is flushed, and the audit trail records it in the same
transaction (the factory connects `audit.keys`: app's infrastructure imports no feature). The app
stays usable throughout: every envelope names its key, so rows done and rows not yet done are
both readable.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from blinker import NamedSignal
from blinker import Namespace
from sqlalchemy import func
from sqlalchemy import select

from app.database import db
from app.keys.models import DataKey
from app.keys.models import KeyPurpose
from app.keys.sealed import sealed_fields
from app.keys.sealed import sealed_models
from app.keys.store import key_store

REPLACEABLE = (KeyPurpose.CASE, KeyPurpose.PERSON)

key_events = Namespace()
# Sent with count and kek_id after each batch of data keys is rewrapped.
keys_rewrapped = key_events.signal("keys-rewrapped")
# Sent with key_id, replaced_by and rows after a data key is replaced and destroyed.
data_key_replaced = key_events.signal("data-key-replaced")


def _announce(signal: NamedSignal, **details: Any) -> None:
    """Tell the audit trail about a key change; a change nothing would record is refused."""
    if not signal.receivers:
        raise RuntimeError(f"Nothing records {signal.name} in the audit trail: use create_app().")
    signal.send(None, **details)


def keys_by_kek() -> Counter[str | None]:
    """How many live data keys each KEK wraps (None: destroyed keys, wrapped by nothing)."""
    rows = db.session.execute(select(DataKey.kek_id, func.count()).group_by(DataKey.kek_id))
    return Counter({kek_id: count for kek_id, count in rows})


def rewrap_batch(limit: int) -> int:
    """Rewrap up to `limit` keys still wrapped under an older KEK; returns how many."""
    store = key_store()
    current = store.keyring.current_kek_id
    keys = db.session.scalars(
        select(DataKey)
        .where(DataKey.kek_id.is_not(None), DataKey.kek_id != current)
        .order_by(DataKey.id)
        .limit(limit)
        .with_for_update()
    ).all()
    done = sum(store.rewrap(key) for key in keys)
    if done:
        db.session.flush()
        _announce(keys_rewrapped, count=done, kek_id=current)
    return done


def keys_to_replace(before: datetime, limit: int) -> list[DataKey]:
    return list(
        db.session.scalars(
            select(DataKey)
            .where(
                DataKey.purpose.in_(REPLACEABLE),
                DataKey.wrapped_key.is_not(None),
                DataKey.created_at < before,
            )
            .order_by(DataKey.created_at, DataKey.id)
            .limit(limit)
        )
    )


def replace_data_key(old: DataKey) -> DataKey:
    """Re-seal every row under `old` with a new data key, then destroy `old`."""
    if old.purpose not in REPLACEABLE:
        raise ValueError(f"{old.purpose} keys are not replaced this way.")
    store = key_store()
    new = store.new_key(old.purpose)
    rows = 0
    for model in sealed_models():
        fields = sealed_fields(model)
        for record in db.session.scalars(select(model).where(model.data_key_id == old.id)):
            values = {name: getattr(record, name) for name in fields}
            record.data_key = new
            for name, value in values.items():
                setattr(record, name, value)
            rows += 1
    db.session.flush()
    store.destroy(old)
    _announce(data_key_replaced, key_id=old.id, replaced_by=new.id, rows=rows)
    return new
