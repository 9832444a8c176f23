"""Sign-in and second-factor throttling: progressive, per account and per address, no lockout."""

from __future__ import annotations

import threading
from datetime import timedelta

import time_machine
from flask import Flask
from flask.testing import FlaskClient

from app.database import utcnow
from tests.conftest import PASSWORD
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import csrf_token
from tests.conftest import post_form

WRONG = "definitely the wrong one"


def attempt(client: FlaskClient, email: str, password: str = WRONG) -> int:
    return post_form(client, "/sign-in", {"email": email, "password": password}).status_code


def test_sixth_failure_in_a_minute_is_throttled_and_a_right_password_waits_too(
    client: FlaskClient, accounts: Accounts
) -> None:
    accounts.user()
    assert [attempt(client, "worker@test.example") for _ in range(5)] == [200] * 5
    throttled = post_form(
        client, "/sign-in", {"email": "worker@test.example", "password": PASSWORD}
    )
    assert throttled.status_code == 429
    assert "too many attempts" in throttled.text.lower()


def test_throttle_is_a_delay_not_a_lockout(client: FlaskClient, accounts: Accounts) -> None:
    accounts.user()
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            attempt(client, "worker@test.example")
        assert attempt(client, "worker@test.example") == 429
        clock.shift(timedelta(seconds=61))
        assert attempt(client, "worker@test.example", PASSWORD) == 302


def test_delay_grows_with_more_failures(client: FlaskClient, accounts: Accounts) -> None:
    accounts.user()
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(2):
            for _ in range(5):
                assert attempt(client, "worker@test.example") == 200
            clock.shift(timedelta(seconds=61))
        # Ten failures inside 15 minutes: a minute's wait is no longer enough.
        assert attempt(client, "worker@test.example") == 429
        clock.shift(timedelta(minutes=15))
        assert attempt(client, "worker@test.example", PASSWORD) == 302


def test_unknown_and_known_emails_are_throttled_alike(
    client: FlaskClient, accounts: Accounts
) -> None:
    accounts.user()
    known = [attempt(client, "worker@test.example") for _ in range(6)]
    unknown = [attempt(client, "nobody@test.example") for _ in range(6)]
    assert known == unknown == [200] * 5 + [429]


def test_every_attempt_counts_so_parallel_guesses_cannot_slip_through(
    client: FlaskClient, accounts: Accounts, app: Flask
) -> None:
    """Counted before the password is checked, not after: nothing races past the limit."""
    accounts.user()
    results = [attempt(app.test_client(), "worker@test.example", PASSWORD) for _ in range(6)]
    assert results == [302] * 5 + [429]


def test_parallel_wrong_passwords_cannot_exceed_the_limit(accounts: Accounts, app: Flask) -> None:
    accounts.user()
    clients = [app.test_client() for _ in range(12)]
    tokens = [csrf_token(c.get("/sign-in").text) for c in clients]
    statuses: list[int] = []

    def guess(client: FlaskClient, token: str) -> None:
        form = {"csrf_token": token, "email": "worker@test.example", "password": WRONG}
        statuses.append(client.post("/sign-in", data=form).status_code)

    threads = [
        threading.Thread(target=guess, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [200] * 5 + [429] * 7


def test_throttle_is_per_account(client: FlaskClient, accounts: Accounts) -> None:
    accounts.user()
    accounts.user("colleague@test.example")
    for _ in range(5):
        attempt(client, "worker@test.example")
    assert attempt(client, "worker@test.example") == 429
    assert attempt(client, "colleague@test.example", PASSWORD) == 302


def test_many_accounts_from_one_address_are_limited(client: FlaskClient) -> None:
    results = [attempt(client, f"person{n}@test.example") for n in range(31)]
    assert results[:30] == [200] * 30
    assert results[30] == 429


def test_security_codes_are_throttled_separately(client: FlaskClient, accounts: Accounts) -> None:
    accounts.user()
    assert attempt(client, "worker@test.example", PASSWORD) == 302
    codes = [
        post_form(client, "/sign-in/security-code", {"code": "000000"}).status_code
        for _ in range(6)
    ]
    assert codes == [200] * 5 + [429]
    right = post_form(
        client, "/sign-in/security-code", {"code": accounts.code("worker@test.example")}
    )
    assert right.status_code == 429


def test_account_pages_that_check_a_code_or_password_are_throttled(
    client: FlaskClient, accounts: Accounts, sign_in: SignIn
) -> None:
    """A stolen session must not be a free guessing machine for the code or the password."""
    accounts.user()
    sign_in(client, "worker@test.example")
    codes = [
        post_form(client, "/account/recovery-codes", {"code": "000000"}).status_code
        for _ in range(3)
    ]
    passwords = [
        post_form(
            client,
            "/account/password",
            {
                "current_password": WRONG,
                "new_password": "x y z w 1234",
                "confirm_password": "x y z w 1234",
            },
        ).status_code
        for _ in range(3)
    ]
    # One counter for the account across these pages: five guesses a minute in all
    # (the sign-in's own code was the first).
    assert codes + passwords == [200, 200, 200, 200, 429, 429]


def test_throttled_security_codes_are_on_the_record(
    client: FlaskClient, accounts: Accounts, app: Flask
) -> None:
    from sqlalchemy import select

    from app.database import db
    from audit.models import AuditAction
    from audit.models import AuditEvent

    account = accounts.user()
    attempt(client, "worker@test.example", PASSWORD)
    for _ in range(6):
        post_form(client, "/sign-in/security-code", {"code": "000000"})
    with app.app_context():
        throttled = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.SIGN_IN_THROTTLED)
        ).all()
        assert [(e.object_type, e.object_id) for e in throttled] == [("users", str(account.id))]
