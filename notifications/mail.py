"""Sending one email: to the SMTP server named by SMTP_URL, or, in development, demo and test
without one, to the local sink (a folder of .eml files the developer opens in any mail program
or text editor). The only module that speaks SMTP."""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote
from urllib.parse import urlsplit

from app.settings import MailSettings

TIMEOUT_SECONDS = 30


class MailError(Exception):
    """The message was not accepted; `str()` is safe for the delivery log (no content)."""


def send(message: EmailMessage, mail: MailSettings) -> None:
    """Hand the message over, or raise MailError saying why not."""
    if mail.uses_sink:
        _write_to_sink(message, mail.sink)
        return
    assert mail.smtp_url is not None
    url = urlsplit(mail.smtp_url)
    host = url.hostname or "localhost"
    context = ssl.create_default_context()
    try:
        if url.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host, url.port or 465, timeout=TIMEOUT_SECONDS, context=context
            )
        else:
            client = smtplib.SMTP(host, url.port or 587, timeout=TIMEOUT_SECONDS)
        with client:
            client.ehlo()
            if url.scheme == "smtp":
                if client.has_extn("starttls"):
                    client.starttls(context=context)
                    client.ehlo()
                elif mail.tls_required:
                    raise MailError("The mail server does not offer STARTTLS; nothing was sent")
            if url.username:
                client.login(unquote(url.username), unquote(url.password or ""))
            client.send_message(message)
    except smtplib.SMTPResponseException as error:
        raise MailError(f"The mail server refused it: {error.smtp_code}") from error
    except smtplib.SMTPRecipientsRefused as error:
        codes = sorted({code for code, _ in error.recipients.values()})
        raise MailError(f"The mail server refused the address: {codes}") from error
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(f"The mail server could not be reached: {type(error).__name__}") from error


def _write_to_sink(message: EmailMessage, sink: Path) -> None:
    """One file per message, written whole then renamed, so a reader never sees half of one."""
    sink.mkdir(parents=True, exist_ok=True)
    name = message["Message-ID"].strip("<>").replace("/", "_").replace("@", "_at_")
    final = sink / f"{name}.eml"
    partial = sink / f".{name}.partial"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(message.as_bytes())
    partial.replace(final)
