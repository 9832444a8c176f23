"""A person's own changes to their notifications: marking them read, and choosing how each
kind reaches them. (Telling people is `outbox`; sending is `delivery`.)"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import update

import audit
from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.errors import DomainError
from audit.models import AuditAction
from notifications import queries
from notifications.events import Choice
from notifications.events import Event
from notifications.models import Notification
from notifications.models import NotificationChoice


def mark_read(notification: Notification, *, actor: User) -> None:
    """Mark one of the actor's notifications read (read again, it stays as first read)."""
    if notification.recipient_id != actor.id:
        raise DomainError("This is not your notification")
    if notification.read_at is None:
        notification.read_at = utcnow()
    audit.record(actor=actor, action=AuditAction.NOTIFICATIONS_READ, object=notification)


def mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.recipient_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    marked = int(getattr(result, "rowcount", 0) or 0)
    audit.record(
        actor=actor,
        action=AuditAction.NOTIFICATIONS_READ,
        object=actor,
        changes={"read": [0, marked]},
    )
    return marked


def choose(*, actor: User, choices: Mapping[Event, Choice]) -> None:
    """Keep how the actor wants to hear of each kind of event. Mandatory events (account
    links, security events) cannot be changed: they are always emailed at once."""
    mandatory = [event for event in choices if event.mandatory]
    if mandatory:
        raise DomainError(f"“{mandatory[0].heading}” is always emailed", field=mandatory[0].value)
    before = queries.choices_of(actor)
    for event, choice in choices.items():
        row = db.session.get(NotificationChoice, (actor.id, event))
        if row is None:
            db.session.add(NotificationChoice(user_id=actor.id, event=event, choice=choice))
        else:
            row.choice = choice
    db.session.flush()
    after = queries.choices_of(actor)
    audit.record(
        actor=actor,
        action=AuditAction.NOTIFICATION_CHOICES_CHANGED,
        object=actor,
        changes=audit.changes(
            {event.value: choice.value for event, choice in before.items()},
            {event.value: choice.value for event, choice in after.items()},
        ),
    )
