"""The worker's side: each email is made when it is sent (from a notification, a day's
notifications, or a new one-time link) and handed to the mail server; a refusal is tried again
later with growing waits, and every attempt is in the delivery log. The daily digest is made
here too. Nothing is read from a request: these run in the job worker."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr
from email.utils import parseaddr
from typing import Any

from flask import current_app
from flask import url_for
from sqlalchemy import select
from sqlalchemy import update

from app import jobs
from app.accounts.models import TokenPurpose
from app.accounts.tokens import issue_account_token
from app.database import db
from app.database import utcnow
from app.settings import Settings
from app.unit_of_work import job_change
from notifications import mail
from notifications.events import DIGEST
from notifications.events import Choice
from notifications.events import Event
from notifications.models import ERROR_LENGTH
from notifications.models import Delivery
from notifications.models import DeliveryStatus
from notifications.models import Notification
from notifications.outbox import DELIVER
from notifications.outbox import queue_delivery

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6  # over about half an hour: 1, 2, 4, 8 and 16 minutes apart
FIRST_WAIT = timedelta(minutes=1)
DIGEST_HOUR = 7  # UK time: the day's summary arrives before the working day
DIGEST_SHOWN = 50  # notifications listed in one digest; the rest are counted
# Links in development mail without EXTERNAL_URL: where `make run` serves (PORT overrides).
DEVELOPMENT_BASE = f"http://localhost:{os.environ.get('PORT', '5000')}"
ACCOUNT_LINKS = {
    Event.ACCOUNT_INVITATION.value: TokenPurpose.ACTIVATE,
    Event.PASSWORD_RESET.value: TokenPurpose.RESET_PASSWORD,
}


@dataclass(frozen=True)
class Told:
    """One notification as a message shows it: no more than the notification holds."""

    title: str
    said: str
    panel: str | None
    reference: str | None
    link: str
    at: datetime


@jobs.handler(DELIVER)
def deliver(payload: dict[str, Any]) -> None:
    """The job: send one delivery's email, once. Run again (a message told twice, or given
    back after a crash), a delivery already sent or given up is left alone."""
    delivery_id = int(payload["delivery_id"])
    settings: Settings = current_app.config["SETTINGS"]
    with job_change():
        delivery = db.session.get(Delivery, delivery_id)
        if delivery is None or delivery.status not in (
            DeliveryStatus.QUEUED,
            DeliveryStatus.RETRYING,
        ):
            return
        delivery.attempts += 1
        delivery.next_attempt_at = None
        if delivery.message_id is None or delivery.kind in ACCOUNT_LINKS:
            # An account link sent again holds a new link (the old one stops working), so it
            # is a new message: a mail program hiding repeats must not keep only the dead one.
            delivery.message_id = _message_id(delivery, settings)
        problem = _unsendable(delivery)
        message = None if problem else _compose(delivery, settings)
        if problem:
            _give_up(delivery, problem)
    if message is None:
        return
    try:
        mail.send(message, settings.mail)
    except mail.MailError as error:
        log.warning("email %s (delivery %s) not sent: %s", delivery.kind, delivery_id, error)
        with job_change():
            _failed(delivery, str(error))
        return
    with job_change():
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = utcnow()
        delivery.error = None


@jobs.every_minute
def retry_due() -> None:
    """Send again the deliveries whose wait after a refusal is over. The update is the claim:
    a delivery is queued once however many workers sweep, and its wait cannot be skipped."""
    with job_change():
        due = db.session.scalars(
            update(Delivery)
            .where(Delivery.status == DeliveryStatus.RETRYING, Delivery.next_attempt_at <= utcnow())
            .values(status=DeliveryStatus.QUEUED, next_attempt_at=None)
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        ).all()
        for delivery_id in sorted(due):
            jobs.enqueue(DELIVER, {"delivery_id": delivery_id})


@jobs.daily(hour=DIGEST_HOUR)
def send_digests(now: datetime) -> None:
    """Gather each person's notifications chosen for the digest, not yet in one and still
    unread (what they have seen in the app is not emailed again) into one delivery, and
    queue it: one email a day at most, and none on a day with nothing."""
    with job_change():
        waiting = db.session.execute(
            select(Notification.recipient_id, Notification.id)
            .where(Notification.choice == Choice.DIGEST, Notification.digest_id.is_(None))
            .where(Notification.read_at.is_(None), Notification.created_at <= now)
            .order_by(Notification.recipient_id, Notification.id)
        ).all()
        by_person: dict[int, list[int]] = {}
        for recipient_id, notification_id in waiting:
            by_person.setdefault(recipient_id, []).append(notification_id)
        for recipient_id, notification_ids in by_person.items():
            digest = queue_delivery(Delivery(recipient_id=recipient_id, kind=DIGEST))
            db.session.execute(
                update(Notification)
                .where(Notification.id.in_(notification_ids))
                .values(digest_id=digest.id)
            )


def _unsendable(delivery: Delivery) -> str | None:
    """Why this delivery must not be sent at all (it is then given up, not retried)."""
    if not delivery.recipient.active:
        return "The account is deactivated"
    if delivery.kind == DIGEST or delivery.kind in ACCOUNT_LINKS:
        return None
    if delivery.notification is None:
        return "Its notification no longer exists"
    return None


def _compose(delivery: Delivery, settings: Settings) -> EmailMessage:
    """The email, made now; an account link's token is issued here (and so committed with
    this step, before the message can reach anyone)."""
    base = settings.external_url or DEVELOPMENT_BASE
    marking = settings.protective_marking
    recipient = delivery.recipient
    context: dict[str, Any] = {
        "base": base,
        "marking": marking,
        "caveat": settings.handling_caveat,
        "service": settings.service_name,
        "partnership": settings.partnership_name,
        "settings_link": _absolute(base, "notifications.settings"),
    }
    if delivery.kind in ACCOUNT_LINKS:
        event = Event(delivery.kind)
        token = issue_account_token(recipient, ACCOUNT_LINKS[delivery.kind])
        link = _absolute(base, "auth.set_password", token=token)
        context |= {"event": event.about, "link": link}
        subject = f"{settings.service_name}: {event.heading}"
        body = _render("account_link.txt", context)
    elif delivery.kind == DIGEST:
        told = _digest_items(delivery)
        context |= {"told": told[:DIGEST_SHOWN], "more": max(0, len(told) - DIGEST_SHOWN)}
        context["notifications_link"] = _absolute(base, "notifications.index")
        subject = f"[{marking}] {settings.service_name}: {len(told)} notification(s) today"
        body = _render("digest.txt", context)
    else:
        assert delivery.notification is not None
        item = _told(delivery.notification, base)
        context |= {"item": item}
        panel = f" – {item.panel}" if item.panel else ""
        subject = f"[{marking}] {item.title}{panel}"
        body = _render("notification.txt", context)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.mail.sender
    message["To"] = formataddr(("", recipient.email))
    message["Message-ID"] = delivery.message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    message.set_content(body)
    return message


def _render(name: str, context: dict[str, Any]) -> str:
    """A message's text from its template, with nothing of a page's context (no request, no
    signed-in user: the worker has neither)."""
    return current_app.jinja_env.get_template(f"notifications/mail/{name}").render(**context)


def _absolute(base: str, endpoint: str, **values: Any) -> str:
    """The address of a page of the app, from EXTERNAL_URL (there is no request here)."""
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def _digest_items(delivery: Delivery) -> list[Told]:
    base = current_app.config["SETTINGS"].external_url or DEVELOPMENT_BASE
    notifications = db.session.scalars(
        select(Notification).where(Notification.digest_id == delivery.id).order_by(Notification.id)
    ).all()
    return [_told(notification, base) for notification in notifications]


def _told(notification: Notification, base: str) -> Told:
    about = notification.event.about
    return Told(
        title=about.title,
        said=about.said,
        panel=notification.panel_name,
        reference=notification.reference,
        link=base + notification.link,
        at=notification.created_at,
    )


def _message_id(delivery: Delivery, settings: Settings) -> str:
    """Kept for every attempt, so a message sent again is recognisably the same message."""
    domain = parseaddr(settings.mail.sender)[1].rpartition("@")[2] or "localhost"
    return f"<{delivery.id:010d}.{secrets.token_hex(8)}@{domain}>"


def _failed(delivery: Delivery, error: str) -> None:
    delivery.error = error[:ERROR_LENGTH]
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        return
    delivery.status = DeliveryStatus.RETRYING
    delivery.next_attempt_at = utcnow() + FIRST_WAIT * 2 ** (delivery.attempts - 1)


def _give_up(delivery: Delivery, why: str) -> None:
    delivery.status = DeliveryStatus.FAILED
    delivery.error = why[:ERROR_LENGTH]
