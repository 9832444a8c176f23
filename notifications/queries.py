"""Reads: a person's own notifications and choices, and the administrators' delivery log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.database import db
from notifications.events import Choice
from notifications.events import Event
from notifications.models import Delivery
from notifications.models import DeliveryStatus
from notifications.models import Notification
from notifications.models import NotificationChoice

PAGE_SIZE = 50


def notifications_for(
    user: User, *, unread_only: bool = False, before: int | None = None, limit: int = PAGE_SIZE
) -> Sequence[Notification]:
    """The user's notifications, newest first, a page at a time (`before` an id: keyset)."""
    statement = select(Notification).where(Notification.recipient_id == user.id)
    if unread_only:
        statement = statement.where(Notification.read_at.is_(None))
    if before is not None:
        statement = statement.where(Notification.id < before)
    return db.session.scalars(statement.order_by(Notification.id.desc()).limit(limit)).all()


def own_notification(user: User, notification_id: int) -> Notification | None:
    """One of the user's notifications; anyone else's is None."""
    return db.session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.recipient_id == user.id
        )
    )


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.recipient_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def choices_of(user: User) -> dict[Event, Choice]:
    """How the user hears of each event they may choose for: their choice, or the default."""
    chosen = dict(
        db.session.execute(
            select(NotificationChoice.event, NotificationChoice.choice).where(
                NotificationChoice.user_id == user.id
            )
        ).all()
    )
    return {event: chosen.get(event, event.about.default) for event in Event if not event.mandatory}


def deliveries(
    *,
    status: DeliveryStatus | None = None,
    recipient: str | None = None,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> Sequence[Delivery]:
    """The delivery log, newest first, a page at a time; filtered by status or by part of
    the recipient's email address."""
    statement = select(Delivery).options(joinedload(Delivery.recipient))
    if status is not None:
        statement = statement.where(Delivery.status == status)
    if recipient:
        statement = statement.join(User, User.id == Delivery.recipient_id).where(
            User.email.contains(recipient.strip().lower(), autoescape=True)
        )
    if before is not None:
        statement = statement.where(Delivery.id < before)
    return db.session.scalars(statement.order_by(Delivery.id.desc()).limit(limit)).all()


def delivery_counts(since: datetime) -> dict[DeliveryStatus, int]:
    """How many deliveries made since `since` are in each status."""
    rows = db.session.execute(
        select(Delivery.status, func.count(Delivery.id))
        .where(Delivery.created_at >= since)
        .group_by(Delivery.status)
    ).all()
    counts = dict.fromkeys(DeliveryStatus, 0)
    counts.update(dict(rows))
    return counts
