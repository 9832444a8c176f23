"""Shared fixtures for notifications (issue 22): a real SMTP server on this machine, and the
test app's settings pointed at it, so mail goes through smtplib to a listening socket."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from app.settings import MailSettings
from app.settings import Settings

HOST = "127.0.0.1"
ACCEPTED = "250 Message accepted for delivery"


def free_port() -> int:
    """A port nothing listens on (for the moment): the server's, or one that refuses."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def parse(raw: bytes) -> EmailMessage:
    """A message as a mail program reads it."""
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


class SmtpServer:
    """aiosmtpd's handler and what it received. `reply` is what DATA is answered with (set it
    to "451 try later" to refuse); `delay` holds each answer back, after the message is kept,
    as a slow server does."""

    def __init__(self, port: int) -> None:
        self.url = f"smtp://{HOST}:{port}"
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []  # each envelope's RCPT TO addresses
        self.reply = ACCEPTED
        self.delay = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = self.reply
        if reply == ACCEPTED:
            self.messages.append(parse(envelope.original_content or envelope.content))
            self.recipients.append(list(envelope.rcpt_tos))
        if self.delay:
            await asyncio.sleep(self.delay)
        return reply


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server (no STARTTLS, no AUTH) listening on 127.0.0.1 for this test."""
    port = free_port()
    server = SmtpServer(port)
    controller = Controller(server, hostname=HOST, port=port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def mail(request: pytest.FixtureRequest, smtp_server: SmtpServer, tmp_path: Path) -> MailSettings:
    """The test app's mail settings: the SMTP server above, without TLS. A test changes them
    with `@pytest.mark.parametrize("mail", [{...}], indirect=True)`; `smtp_url=None` sends
    to the sink."""
    default = MailSettings(smtp_url=smtp_server.url, sink=tmp_path / "mail", tls_required=False)
    return replace(default, **getattr(request, "param", {}))


@pytest.fixture
def settings(settings: Settings, mail: MailSettings) -> Settings:
    """The shared test settings (tests/conftest.py), sending mail as `mail` says."""
    return replace(settings, mail=mail)
