"""Reading what the app emailed in a test: the job queue's pending work is run here, as the
worker would, and the messages are read from the development sink (settings.mail.sink)."""

from __future__ import annotations

import re
from email import message_from_bytes
from email import policy
from email.message import EmailMessage
from typing import cast
from urllib.parse import urlsplit

from flask import Flask

from app import jobs

SET_PASSWORD_LINK = re.compile(r"https?://\S+/account/set-password/\S+")


def mailed(app: Flask, to: str | None = None) -> list[EmailMessage]:
    """Every message sent so far (to `to`, if given), oldest first, after running the queue."""
    with app.app_context():
        jobs.run_pending()
    sink = app.config["SETTINGS"].mail.sink
    files = sorted(sink.glob("*.eml")) if sink.exists() else []
    messages = [
        cast(EmailMessage, message_from_bytes(path.read_bytes(), policy=policy.default))
        for path in files
    ]
    return [m for m in messages if to is None or to.lower() in str(m["To"]).lower()]


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return cast(str, part.get_content())


def mailed_link(app: Flask, to: str) -> str:
    """The whole set-password link in the latest account email to `to`."""
    sent = [m for m in mailed(app, to) if SET_PASSWORD_LINK.search(body(m))]
    assert sent, f"no account link was emailed to {to}"
    match = SET_PASSWORD_LINK.search(body(sent[-1]))
    assert match
    return match.group(0)


def mailed_path(app: Flask, to: str) -> str:
    """The path of that link, to open with a test client."""
    return urlsplit(mailed_link(app, to)).path
