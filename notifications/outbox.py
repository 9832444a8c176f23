"""Telling people, inside the change that causes it: a feature's service calls `notify` and
the notifications and their emails are kept or thrown away with that change. Nothing here
commits, and nothing here is audited on its own: the change that told people is the event on
the record.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import current_app
from flask import has_request_context
from flask import url_for
from sqlalchemy import select

from app import jobs
from app.accounts.models import User
from app.database import db
from notifications.events import Choice
from notifications.events import Event
from notifications.models import LINK_LENGTH
from notifications.models import PANEL_NAME_LENGTH
from notifications.models import REFERENCE_LENGTH
from notifications.models import Delivery
from notifications.models import Notification
from notifications.models import NotificationChoice
from notifications.models import SentOnce

DELIVER = "notifications.deliver"  # the job that sends one email


def notify(
    event: Event,
    *,
    to: Iterable[User],
    link: str,
    panel: str | None = None,
    reference: str | None = None,
    once: str | None = None,
) -> list[Notification]:
    """Tell each active person in `to` (once each, whatever the list repeats) that `event`
    happened. `link` is a path in the app (it needs signing in); `panel` a panel's name and
    `reference` a case's or referral's reference: nothing else reaches a message.

    With `once` (a key the feature chooses), nobody is told if a notification with that key
    was given before: a scheduled reminder runs every day, but an action is reminded of once
    per due date, not once a day."""
    if once is not None:
        if db.session.get(SentOnce, once) is not None:
            return []
        db.session.add(SentOnce(key=once))
    if not event.about.in_app:
        raise ValueError(f"{event} is sent as an account link, not as a notification")
    if not link.startswith("/") or len(link) > LINK_LENGTH:
        raise ValueError("A notification's link is a path within the app")
    recipients = {person.id: person for person in to if person.active}
    if not recipients:
        return []
    chosen = _choices(list(recipients), event)
    made = []
    for person in recipients.values():
        choice = Choice.EMAIL if event.mandatory else chosen.get(person.id, event.about.default)
        notification = Notification(
            recipient=person,
            event=event,
            panel_name=panel[:PANEL_NAME_LENGTH] if panel else None,
            reference=reference[:REFERENCE_LENGTH] if reference else None,
            link=link,
            choice=choice,
        )
        db.session.add(notification)
        made.append(notification)
    db.session.flush()
    for notification in made:
        if notification.choice is Choice.EMAIL:
            _queue(
                Delivery(
                    recipient_id=notification.recipient_id,
                    kind=event.value,
                    notification_id=notification.id,
                )
            )
    return made


def path_for(endpoint: str, **values: Any) -> str:
    """A notification's link: the path of a page of the app, made in a request or, in the job
    worker (a scheduled reminder), without one."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def send_account_link(user: User, event: Event) -> Delivery:
    """Email the person a one-time link to set their password (an invitation or a reset).
    The link is made when the message is sent, so it is never stored anywhere but in the
    message; any earlier link of theirs stops working then."""
    if event not in (Event.ACCOUNT_INVITATION, Event.PASSWORD_RESET):
        raise ValueError(f"{event} is not an account link")
    return _queue(Delivery(recipient_id=user.id, kind=event.value))


def queue_delivery(delivery: Delivery) -> Delivery:
    """Add the delivery to the log and ask the job queue to send it (after the commit)."""
    return _queue(delivery)


def _queue(delivery: Delivery) -> Delivery:
    db.session.add(delivery)
    db.session.flush()
    jobs.enqueue(DELIVER, {"delivery_id": delivery.id})
    return delivery


def _choices(user_ids: list[int], event: Event) -> dict[int, Choice]:
    rows = db.session.execute(
        select(NotificationChoice.user_id, NotificationChoice.choice).where(
            NotificationChoice.user_id.in_(user_ids), NotificationChoice.event == event
        )
    ).all()
    return {user_id: choice for user_id, choice in rows}
