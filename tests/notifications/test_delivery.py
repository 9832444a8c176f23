"""Email notifications (issue 22) sent through the outbox to a real SMTP server on this machine:
what a message says and never says (domain E20, R11), each person's choices, the daily digest,
retries with back-off, giving up, account links, the local sink, STARTTLS, and the delivery log
the administrators read."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select

import notifications
from app import jobs
from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.errors import DomainError
from app.jobs.models import OutboxMessage
from app.settings import Settings
from notifications import Choice
from notifications import Event
from notifications import delivery
from notifications import services
from notifications.models import Delivery
from notifications.models import DeliveryStatus
from notifications.models import Notification
from notifications.models import NotificationChoice
from tests.conftest import Account
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.notifications.conftest import ACCEPTED
from tests.notifications.conftest import HOST
from tests.notifications.conftest import SmtpServer
from tests.notifications.conftest import free_port
from tests.notifications.conftest import parse

RECIPIENT = "coordinator@test.example"
RECIPIENT_NAME = "Casey Coordinator"
PANEL = "Newham MARAC"
REFERENCE = "R-00001"
LINK = "/referrals/1"
REFUSED = "451 try later"
ACCOUNT_LINK = re.compile(r"^https?://[^/\s]+(/account/set-password/\S+)$", re.MULTILINE)


# Helpers ------------------------------------------------------------------------------------


def recipient(accounts: Accounts, email: str = RECIPIENT) -> Account:
    return accounts.user(email, name=RECIPIENT_NAME, enrolled=False)


def user(account: Account) -> User:
    """The account's user, in the current app context."""
    return db.session.get_one(User, account.id)


def tell(
    app: Flask, people: list[Account], event: Event = Event.REFERRAL_WAITING, **told: Any
) -> None:
    """`notifications.notify` as a feature calls it, committed (the queue is not told: the
    tests run the outbox with `send`)."""
    told = {"link": LINK, "panel": PANEL, "reference": REFERENCE} | told
    with app.app_context():
        notifications.notify(event, to=[user(person) for person in people], **told)
        db.session.commit()


def choose(app: Flask, person: Account, choice: Choice) -> None:
    with app.app_context():
        services.choose(actor=user(person), choices={Event.REFERRAL_WAITING: choice})
        db.session.commit()


def send(app: Flask) -> int:
    """Run the outbox here, as the worker would; how many jobs ran."""
    with app.app_context():
        return jobs.run_pending()


def retry_when_due(app: Flask, clock: time_machine.Traveller) -> Delivery:
    """Move the clock just past the delivery's next attempt, run the minute's retry step and
    the outbox; the delivery afterwards."""
    due = the_delivery(app).next_attempt_at
    assert due is not None
    clock.move_to(due + timedelta(seconds=1))
    with app.app_context():
        delivery.retry_due()
    send(app)
    return the_delivery(app)


def deliveries(app: Flask) -> list[Delivery]:
    with app.app_context():
        return list(db.session.scalars(select(Delivery).order_by(Delivery.id)))


def the_delivery(app: Flask) -> Delivery:
    (only,) = deliveries(app)
    return only


def outbox_size(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def the_message(server: SmtpServer) -> EmailMessage:
    (only,) = server.messages
    return only


def body_of(message: EmailMessage) -> str:
    """The text of the message, its lines ended as Python's are (SMTP sends CRLF)."""
    return str(message.get_content()).replace("\r\n", "\n")


def assert_notification_email(message: EmailMessage, settings: Settings) -> None:
    """A referral-waiting email as issue 22 describes it, saying no more (E20, R11)."""
    assert [address.addr_spec for address in message["To"].addresses] == [RECIPIENT]
    subject = str(message["Subject"])
    assert subject.startswith(f"[{settings.protective_marking}]")
    assert Event.REFERRAL_WAITING.heading in subject
    assert PANEL in subject
    body = body_of(message)
    assert REFERENCE in body
    assert re.search(rf"^https?://[^/\s]+{re.escape(LINK)}$", body, re.MULTILINE), body
    assert message["Message-ID"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert RECIPIENT_NAME not in subject + body  # no personal data, not even their own name


def assert_no_content(error: str | None) -> None:
    """The delivery log's error is the server's reply, never what the message said."""
    assert error
    for said in (REFERENCE, PANEL, LINK, Event.REFERRAL_WAITING.heading):
        assert said not in error


def row_of(page: str, text: str) -> str:
    """The delivery log's table row that holds `text`, its tags removed."""
    rows = re.findall(r"<tr\b.*?</tr>", page, re.DOTALL)
    (row,) = [row for row in rows if text in row]
    return " ".join(re.sub(r"<[^>]+>", " ", row).split())


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """The clock stopped now, moved on by the test."""
    with time_machine.travel(utcnow(), tick=False) as traveller:
        yield traveller


# Sending ------------------------------------------------------------------------------------


def test_a_notification_is_emailed_once_saying_only_what_it_may(
    app: Flask, accounts: Accounts, smtp_server: SmtpServer, settings: Settings
) -> None:
    """Issue 22, domain E20/R11: one email reaches the recipient's address over SMTP, its
    subject marked and naming the event and panel, its body the reference and an absolute
    link that needs signing in, with a Message-ID and Auto-Submitted; the log says SENT."""
    tell(app, [recipient(accounts)])
    assert send(app) == 1
    message = the_message(smtp_server)
    assert smtp_server.recipients == [[RECIPIENT]]
    assert_notification_email(message, settings)
    sent = the_delivery(app)
    assert sent.status is DeliveryStatus.SENT
    assert sent.sent_at is not None
    assert sent.attempts == 1
    assert sent.message_id == message["Message-ID"]
    assert sent.error is None
    assert outbox_size(app) == 0


def test_someone_who_chose_the_app_is_told_there_and_not_emailed(
    app: Flask, accounts: Accounts, smtp_server: SmtpServer
) -> None:
    """Issue 22: Choice.APP makes a notification on the person's page, and no delivery and
    no email, now or in a digest."""
    person = recipient(accounts)
    choose(app, person, Choice.APP)
    tell(app, [person])
    send(app)
    with app.app_context():
        delivery.send_digests(utcnow())
        told = db.session.scalars(select(Notification)).one()
        assert told.choice is Choice.APP
    send(app)
    assert deliveries(app) == []
    assert smtp_server.messages == []


def test_a_daily_digest_gathers_the_days_notifications_into_one_email(
    app: Flask, accounts: Accounts, smtp_server: SmtpServer, settings: Settings
) -> None:
    """Issue 22: Choice.DIGEST sends nothing at once; the daily step sends one marked email
    listing every digest notification (each marked with the digest), and the next run
    finds nothing more to send."""
    person = recipient(accounts)
    choose(app, person, Choice.DIGEST)
    references = [f"R-0000{n}" for n in (1, 2, 3)]
    for n, reference in enumerate(references, start=1):
        tell(app, [person], link=f"/referrals/{n}", reference=reference)
    send(app)
    assert smtp_server.messages == []
    assert deliveries(app) == []
    with app.app_context():
        delivery.send_digests(utcnow())
    send(app)
    digest = the_message(smtp_server)
    assert str(digest["Subject"]).startswith(f"[{settings.protective_marking}]")
    body = body_of(digest)
    for n, reference in enumerate(references, start=1):
        assert reference in body
        assert re.search(rf"^\s*https?://[^/\s]+/referrals/{n}$", body, re.MULTILINE), body
    sent = the_delivery(app)
    assert (sent.kind, sent.status) == ("digest", DeliveryStatus.SENT)
    with app.app_context():
        digest_ids = db.session.scalars(select(Notification.digest_id)).all()
        assert digest_ids == [sent.id] * 3
        delivery.send_digests(utcnow())
    send(app)
    assert len(smtp_server.messages) == 1
    assert len(deliveries(app)) == 1


def test_mandatory_events_are_emailed_whatever_anyone_chooses(
    app: Flask, accounts: Accounts, smtp_server: SmtpServer
) -> None:
    """Issue 22: a security event (a new device) cannot be turned off: choosing for it is
    refused, and even a stored choice for it is ignored; it is emailed at once."""
    person = recipient(accounts)
    with app.app_context():
        with pytest.raises(DomainError):
            services.choose(actor=user(person), choices={Event.NEW_DEVICE: Choice.APP})
        db.session.rollback()
        db.session.add(
            NotificationChoice(user_id=person.id, event=Event.NEW_DEVICE, choice=Choice.APP)
        )
        db.session.commit()
    tell(app, [person], Event.NEW_DEVICE, link="/account", panel=None, reference=None)
    send(app)
    assert Event.NEW_DEVICE.heading in str(the_message(smtp_server)["Subject"])
    assert the_delivery(app).status is DeliveryStatus.SENT


# Retries and giving up ----------------------------------------------------------------------


def test_a_refused_email_is_tried_again_after_a_minute_and_then_sent_once(
    app: Flask, accounts: Accounts, smtp_server: SmtpServer, clock: time_machine.Traveller
) -> None:
    """Issue 22: a 451 leaves the delivery RETRYING a minute later, the reply in the log and
    no content; not before it is due, and then once the server accepts, it is SENT on the
    second attempt, one email received with the Message-ID of the first attempt."""
    smtp_server.reply = REFUSED
    tell(app, [recipient(accounts)])
    send(app)
    refused = the_delivery(app)
    assert refused.status is DeliveryStatus.RETRYING
    assert refused.attempts == 1
    assert refused.next_attempt_at == utcnow() + timedelta(minutes=1)
    assert "451" in (refused.error or "")
    assert_no_content(refused.error)
    with app.app_context():
        delivery.retry_due()  # not yet due
    assert send(app) == 0
    smtp_server.reply = ACCEPTED
    sent = retry_when_due(app, clock)
    assert sent.status is DeliveryStatus.SENT
    assert sent.attempts == 2
    assert (sent.next_attempt_at, sent.error) == (None, None)
    assert the_message(smtp_server)["Message-ID"] == refused.message_id


@pytest.mark.parametrize(
    "mail", [{"smtp_url": f"smtp://{HOST}:{free_port()}"}], indirect=True, ids=["nobody"]
)
def test_a_server_that_cannot_be_reached_is_tried_again(app: Flask, accounts: Accounts) -> None:
    """Issue 22: with nothing listening at SMTP_URL the delivery is RETRYING, its log saying
    the server could not be reached, and nothing of the message."""
    tell(app, [recipient(accounts)])
    send(app)
    waiting = the_delivery(app)
    assert waiting.status is DeliveryStatus.RETRYING
    assert "could not be reached" in (waiting.error or "")
    assert_no_content(waiting.error)


def test_after_the_last_refusal_the_delivery_fails_and_is_not_tried_again(
    app: Flask, accounts: Accounts, smtp_server: SmtpServer, clock: time_machine.Traveller
) -> None:
    """Issue 22: the waits grow 1, 2, 4, 8, 16 minutes; the MAX_ATTEMPTS-th refusal makes the
    delivery FAILED, and the retry step queues nothing for it any more."""
    smtp_server.reply = REFUSED
    tell(app, [recipient(accounts)])
    send(app)
    waits = []
    for _ in range(delivery.MAX_ATTEMPTS - 1):
        tried_at = the_delivery(app).next_attempt_at
        assert tried_at is not None
        after = retry_when_due(app, clock)
        if after.next_attempt_at:
            waits.append(after.next_attempt_at - tried_at - timedelta(seconds=1))
    assert waits == [timedelta(minutes=m) for m in (2, 4, 8, 16)]
    failed = the_delivery(app)
    assert failed.status is DeliveryStatus.FAILED
    assert failed.attempts == delivery.MAX_ATTEMPTS
    assert failed.next_attempt_at is None
    assert_no_content(failed.error)
    clock.shift(timedelta(days=1))
    with app.app_context():
        delivery.retry_due()
    assert outbox_size(app) == 0
    assert smtp_server.messages == []


def test_a_delivery_due_again_is_queued_once_while_it_waits_for_the_worker(
    app: Flask, accounts: Accounts, smtp_server: SmtpServer, clock: time_machine.Traveller
) -> None:
    """Issue 22: the minute's retry step, run again before the worker has got to a delivery
    it queued (a busy queue), does not queue it a second time: two jobs for one delivery
    would try it twice in a row, skipping the back-off, or send it twice on two threads."""
    smtp_server.reply = REFUSED
    tell(app, [recipient(accounts)])
    send(app)
    due = the_delivery(app).next_attempt_at
    assert due is not None
    clock.move_to(due + timedelta(seconds=1))
    for _ in range(2):  # two minutes pass; the worker is busy with other work
        with app.app_context():
            delivery.retry_due()
        clock.shift(timedelta(minutes=1))
    assert outbox_size(app) == 1
    send(app)
    assert the_delivery(app).attempts == 2


def test_a_deactivated_recipient_is_given_up_and_not_emailed(
    app: Flask, accounts: Accounts, smtp_server: SmtpServer
) -> None:
    """Issue 22: an account deactivated between the notification and its sending is not
    emailed: the delivery is FAILED at once, saying why."""
    person = recipient(accounts)
    tell(app, [person])
    accounts.update(person, active=False)
    send(app)
    given_up = the_delivery(app)
    assert given_up.status is DeliveryStatus.FAILED
    assert "deactivated" in (given_up.error or "")
    assert smtp_server.messages == []


def test_the_job_run_twice_sends_once(
    app: Flask, accounts: Accounts, smtp_server: SmtpServer
) -> None:
    """Issue 22: the worker may run a delivery's job again (told twice, or given back after a
    crash); a delivery already sent is left alone."""
    tell(app, [recipient(accounts)])
    (queued,) = deliveries(app)
    with app.app_context():
        delivery.deliver({"delivery_id": queued.id})
        delivery.deliver({"delivery_id": queued.id})
    send(app)  # and its outbox message, run as well
    assert len(smtp_server.messages) == 1
    assert the_delivery(app).attempts == 1


# Account links ------------------------------------------------------------------------------


def account_link_sent(app: Flask, person: Account, server: SmtpServer) -> str:
    """Send the person an invitation; the path of the link the email holds."""
    with app.app_context():
        notifications.send_account_link(user(person), Event.ACCOUNT_INVITATION)
        db.session.commit()
    before = len(server.messages)
    send(app)
    assert len(server.messages) == before + 1
    message = server.messages[-1]
    assert [address.addr_spec for address in message["To"].addresses] == [person.email]
    match = ACCOUNT_LINK.search(body_of(message))
    assert match, body_of(message)
    return match.group(1)


def test_an_invitation_holds_a_working_link_and_a_new_one_retires_it(
    app: Flask, client: FlaskClient, accounts: Accounts, smtp_server: SmtpServer
) -> None:
    """Issue 22: the invitation email carries an absolute one-time link to set a password,
    made when it was sent; sending another makes the first one stop working."""
    invited = accounts.user("invited@test.example", enrolled=False)
    first = account_link_sent(app, invited, smtp_server)
    page = client.get(first)
    assert page.status_code == 200
    assert "Set your password" in page.text
    second = account_link_sent(app, invited, smtp_server)
    assert second != first
    expired = client.get(first)
    assert expired.status_code == 404
    assert "This link has expired" in expired.text
    assert client.get(second).status_code == 200


# Where mail goes ----------------------------------------------------------------------------


@pytest.mark.parametrize("mail", [{"smtp_url": None}], indirect=True, ids=["sink"])
def test_without_an_smtp_server_the_message_is_written_to_the_sink(
    app: Flask, accounts: Accounts, smtp_server: SmtpServer, settings: Settings
) -> None:
    """Issue 22: without SMTP_URL (development, demo, test) the message is one .eml file in
    the sink folder, and reads as the message that would have been sent."""
    tell(app, [recipient(accounts)])
    send(app)
    (written,) = settings.mail.sink.iterdir()
    assert written.suffix == ".eml"
    message = parse(written.read_bytes())
    assert_notification_email(message, settings)
    sent = the_delivery(app)
    assert sent.status is DeliveryStatus.SENT
    assert message["Message-ID"] == sent.message_id
    assert smtp_server.messages == []


@pytest.mark.parametrize("mail", [{"tls_required": True}], indirect=True, ids=["tls"])
def test_a_server_without_starttls_is_not_sent_to_in_the_clear(
    app: Flask, accounts: Accounts, smtp_server: SmtpServer
) -> None:
    """Issue 22: when TLS is required and the server offers no STARTTLS, nothing is sent:
    the delivery waits to be tried again, its log saying why."""
    tell(app, [recipient(accounts)])
    send(app)
    waiting = the_delivery(app)
    assert waiting.status is DeliveryStatus.RETRYING
    assert "STARTTLS" in (waiting.error or "")
    assert smtp_server.messages == []
    assert smtp_server.recipients == []


# The delivery log ---------------------------------------------------------------------------


def test_the_delivery_log_shows_who_and_how_never_what(
    app: Flask, accounts: Accounts, admin_client: FlaskClient, smtp_server: SmtpServer
) -> None:
    """Issue 22, domain E20: an administrator sees to whom an email went and how it went,
    and not a word of what it said."""
    tell(app, [recipient(accounts)])
    send(app)
    page = admin_client.get("/admin/deliveries")
    assert page.status_code == 200
    text = html.unescape(page.text)
    row = row_of(text, RECIPIENT)
    assert DeliveryStatus.SENT.label in row
    assert Event.REFERRAL_WAITING.heading in row  # the kind of message, by name
    body = body_of(the_message(smtp_server))
    for said in (Event.REFERRAL_WAITING.about.said, REFERENCE, PANEL, LINK):
        assert said in body
        assert said not in text


def test_the_delivery_log_is_for_administrators_only(
    app: Flask, client: FlaskClient, accounts: Accounts, sign_in: SignIn
) -> None:
    """Issue 22: the log names people's addresses; any other signed-in user is refused."""
    accounts.user(RECIPIENT)
    sign_in(client, RECIPIENT)
    assert client.get("/admin/deliveries").status_code == 403
