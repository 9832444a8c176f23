"""Notifications, each person's choices, and the delivery log. Nothing here holds personal
data: an event's kind, a panel's name, a reference and a link are all a message may say."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.accounts.models import User
from app.database import Base
from app.database import utcnow
from notifications.events import Choice
from notifications.events import Event

REFERENCE_LENGTH = 40
PANEL_NAME_LENGTH = 200
LINK_LENGTH = 300
ERROR_LENGTH = 200


class Notification(Base):
    """One person told of one event: on their Notifications page, and emailed as they chose
    when it was made (`choice`); a digest's notifications name the delivery that sent them."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_recipient", "recipient_id", "id"),
        Index("ix_notifications_recipient_unread", "recipient_id", "read_at"),
        Index("ix_notifications_digest_waiting", "choice", "digest_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event: Mapped[Event]
    panel_name: Mapped[str | None] = mapped_column(String(PANEL_NAME_LENGTH))
    reference: Mapped[str | None] = mapped_column(String(REFERENCE_LENGTH))
    link: Mapped[str] = mapped_column(String(LINK_LENGTH))
    choice: Mapped[Choice]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # The daily summary that sent it (a Delivery's id; no foreign key, as a delivery names
    # its notification: the log keeps its rows, so the id stays meaningful).
    digest_id: Mapped[int | None]

    recipient: Mapped[User] = relationship()


class NotificationChoice(Base):
    """How one person chose to hear of one kind of event; without a row, the event's default."""

    __tablename__ = "notification_choices"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    event: Mapped[Event] = mapped_column(primary_key=True)
    choice: Mapped[Choice]


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {
            "queued": "Waiting to be sent",
            "sent": "Sent",
            "retrying": "Will be tried again",
            "failed": "Failed",
        }[self.value]


class Delivery(Base):
    """One email to one person: the delivery log the administrators read. It says who, what
    kind of message, when and how it went; never what the message said (the content is made
    when it is sent, from the notification or, for an account link, from a new token)."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (Index("ix_notification_deliveries_retry", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))  # an Event's value, or "digest"
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL")
    )
    status: Mapped[DeliveryStatus] = mapped_column(default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(ERROR_LENGTH))  # the SMTP reply, no content
    message_id: Mapped[str | None] = mapped_column(String(200))

    recipient: Mapped[User] = relationship()
    notification: Mapped[Notification | None] = relationship()


class SentOnce(Base):
    """A reminder already given (an action overdue, a signature due for review), by a key the
    feature chose, so the daily scheduler tells each person once, not every day."""

    __tablename__ = "notifications_sent_once"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
