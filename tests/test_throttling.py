"""Sign-in and second-factor throttling: progressive, per account and per address, no lockout."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from flask import Flask
from flask.testing import FlaskClient

from app.database import utcnow
from tests.conftest import PASSWORD
from tests.conftest import Accounts
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


def test_successful_sign_ins_do_not_count(
    client: FlaskClient, accounts: Accounts, app: Flask
) -> None:
    accounts.user()
    for _ in range(7):
        fresh = app.test_client()
        assert attempt(fresh, "worker@test.example", PASSWORD) == 302


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
