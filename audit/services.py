"""`record`: append one event to the audit chain, in the caller's transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from flask import current_app
from flask import g
from flask import has_request_context
from flask import request
from flask import session
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from app.accounts.models import User
from app.crypto import keyed_hash
from app.database import Base
from app.database import db
from app.database import utcnow
from app.errors import Refusal
from app.errors import error_page
from app.unit_of_work import when_writing
from audit.chain import GENESIS_HASH
from audit.chain import entry_hash
from audit.chain import lock_chain
from audit.models import AuditAction
from audit.models import AuditEvent
from audit.models import Outcome

MASKED = "changed"
AuditObject = Base | tuple[str, int | str] | None


def record(
    *,
    actor: User | None,
    action: AuditAction,
    object: AuditObject = None,
    purpose: str | None = None,
    changes: Mapping[str, Any] | None = None,
    outcome: Outcome = Outcome.SUCCESS,
) -> AuditEvent:
    """Append an event; it commits or rolls back with the change it describes.

    `object` is a model instance or a (type, id) pair. `changes` maps field names to
    (old, new) pairs; build it with `audit.changes` so that sensitive values are masked.

    In a request that only reads, the event is appended after the page is drawn, in the short
    write transaction that ends the request (`app.unit_of_work.when_writing`): the chain is
    locked only for the append, never while a page is drawn. Until then its `sequence` is None.
    """
    object_type, object_id = _identify(object)
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_agency_id=actor.organisation_id if actor else None,
        actor_role=_role(actor),
        action=action,
        outcome=outcome,
        object_type=object_type,
        object_id=object_id,
        purpose=purpose,
        changes=_encode(changes),
        **_request_details(),
    )
    when_writing(lambda: _append(event))
    return event


def _append(event: AuditEvent) -> None:
    lock_chain()  # first, so that times rise with sequence numbers
    event.occurred_at = utcnow()
    head = db.session.execute(
        select(AuditEvent.sequence, AuditEvent.event_hash)
        .order_by(AuditEvent.sequence.desc())
        .limit(1)
    ).first()
    event.sequence = head.sequence + 1 if head else 1
    event.previous_hash = head.event_hash if head else GENESIS_HASH
    event.event_hash = entry_hash(event)
    db.session.add(event)
    db.session.flush()


def changes(
    before: Mapping[str, Any], after: Mapping[str, Any], *, sensitive: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The fields that differ, as {field: [old, new]}; sensitive fields say only "changed"."""
    differing = {}
    for field in sorted(set(before) | set(after)):
        old, new = before.get(field), after.get(field)
        if old != new:
            differing[field] = MASKED if field in sensitive else [_plain(old), _plain(new)]
    return differing


def _identify(target: AuditObject) -> tuple[str | None, str | None]:
    if target is None:
        return None, None
    if isinstance(target, tuple):
        return target[0], str(target[1])
    return str(target.__tablename__), str(target.id)  # type: ignore[attr-defined]


def _role(actor: User | None) -> str | None:
    if actor is None:
        return None
    return actor.global_role.value if actor.global_role else "member"


def _encode(values: Mapping[str, Any] | None) -> str | None:
    if not values:
        return None
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _plain(value: Any) -> Any:
    """JSON-friendly form of a structural value (enums by value, others as text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _request_details() -> dict[str, str | None]:
    """Where the event came from: address, request id and a keyed hash of the session id."""
    if not has_request_context():
        return {"ip_address": None, "request_id": None, "session_ref": None}
    if "request_id" not in g:
        g.request_id = uuid.uuid4().hex
    session_id = getattr(session, "session_id", None)
    settings = current_app.config["SETTINGS"]
    return {
        "ip_address": request.remote_addr,
        "request_id": g.request_id,
        "session_ref": keyed_hash(settings.secret_key.encode(), "audit-session", session_id)
        if session_id
        else None,
    }


def record_refusal(refusal: Refusal) -> tuple[str, int]:
    """The error handler for refusals: the request's own work is already rolled back; the
    attempt is recorded, and the unit of work commits that record alone."""
    record(
        actor=refusal.actor if isinstance(refusal.actor, User) else None,
        action=AuditAction.ACCESS_DENIED,
        object=refusal.object,
        outcome=Outcome.DENIED,
        changes=refusal.changes,
    )
    assert isinstance(refusal, HTTPException)
    assert refusal.code is not None
    return error_page(refusal.code)
