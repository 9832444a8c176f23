"""The demo's notifications: its history went through the real services, so people were told
of it as it happened. Those emails belong to the past: the delivery log shows them sent when
they were made, nothing of them waits for the job worker, and what is more than a fortnight old
has been read. The last two weeks' notifications are left unread, as a working panel's are."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy import update

from app import jobs
from app.database import db
from app.database import utcnow
from app.jobs.models import OutboxMessage
from notifications.models import Delivery
from notifications.models import DeliveryStatus
from notifications.models import Notification
from notifications.outbox import DELIVER

READ_AFTER = timedelta(days=14)


def settle() -> None:
    """Mark the demo's emails sent when they were made, and its older notifications read."""
    db.session.flush()
    db.session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.QUEUED)
        .values(status=DeliveryStatus.SENT, attempts=1, sent_at=Delivery.created_at)
    )
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.task == DELIVER))
    db.session.info.pop(jobs.NEW_MESSAGES, None)
    db.session.execute(
        update(Notification)
        .where(Notification.read_at.is_(None), Notification.created_at < utcnow() - READ_AFTER)
        .values(read_at=Notification.created_at)
    )
