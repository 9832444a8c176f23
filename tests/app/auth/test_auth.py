"""Sign-in with password and TOTP, enrolment, recovery codes, sessions and sign-out."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pyotp
import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.models import User
from app.auth import services as auth_services
from app.auth.passwords import hash_password
from app.database import db
from app.database import utcnow
from app.sessions import ServerSessionRecord
from app.sessions import hash_session_id
from app.settings import PasswordHashing
from audit.models import AuditAction
from audit.models import AuditEvent
from tests.conftest import PASSWORD
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import csrf_token
from tests.conftest import post_form


def _page_without_token(html: str) -> str:
    return re.sub(r'value="[^"]*"', 'value=""', re.sub(r"nonce-[\w-]+|nonce=\"[^\"]*\"", "", html))


def test_demo_style_sign_in_reaches_home_page(
    client: FlaskClient, accounts: Accounts, sign_in: SignIn
) -> None:
    accounts.user("coordinator@test.example", name="Casey Test")
    sign_in(client, "coordinator@test.example")
    home = client.get("/")
    assert home.status_code == 200
    assert "Welcome, Casey Test" in home.text
    assert "Signed in as" in home.text
    assert "Test Police" in home.text


def test_password_alone_reaches_nothing_but_the_code_page(
    client: FlaskClient, accounts: Accounts
) -> None:
    accounts.user()
    post_form(client, "/sign-in", {"email": "worker@test.example", "password": PASSWORD})
    assert client.get("/").location == "/sign-in"
    assert client.get("/account").location == "/sign-in"
    assert client.get("/sign-in/security-code").status_code == 200


def test_unknown_email_and_wrong_password_get_the_same_page(
    client: FlaskClient, accounts: Accounts
) -> None:
    accounts.user()
    wrong_password = post_form(
        client, "/sign-in", {"email": "worker@test.example", "password": "wrong password here"}
    )
    unknown = post_form(
        client, "/sign-in", {"email": "nobody@test.example", "password": "wrong password here"}
    )
    assert wrong_password.status_code == unknown.status_code == 200
    assert "Enter a correct email address and password" in unknown.text
    # The only difference may be the echoed email address the person typed.
    assert _page_without_token(wrong_password.text).replace("worker@", "X@") == _page_without_token(
        unknown.text
    ).replace("nobody@", "X@")


def test_deactivated_user_is_refused_like_a_wrong_password(
    client: FlaskClient, accounts: Accounts
) -> None:
    accounts.update(accounts.user(), active=False)
    response = post_form(client, "/sign-in", {"email": "worker@test.example", "password": PASSWORD})
    assert "Enter a correct email address and password" in response.text


def test_sign_in_form_keeps_the_email_and_explains_missing_fields(client: FlaskClient) -> None:
    response = post_form(client, "/sign-in", {"email": "someone@test.example", "password": ""})
    assert response.status_code == 200
    assert "Enter your password" in response.text
    assert 'value="someone@test.example"' in response.text
    assert "<title>Error:" in response.text
    assert "govuk-error-summary" in response.text


def test_totp_code_cannot_be_replayed(
    client: FlaskClient, accounts: Accounts, sign_in: SignIn, app: Flask
) -> None:
    accounts.user()
    post_form(client, "/sign-in", {"email": "worker@test.example", "password": PASSWORD})
    code = accounts.code("worker@test.example")
    assert post_form(client, "/sign-in/security-code", {"code": code}).status_code == 302
    other = app.test_client()
    post_form(other, "/sign-in", {"email": "worker@test.example", "password": PASSWORD})
    replay = post_form(other, "/sign-in/security-code", {"code": code})
    assert replay.status_code == 200
    assert "not correct or has already been used" in replay.text


def test_the_database_refuses_a_code_spent_since_the_account_was_read(
    app: Flask, accounts: Accounts
) -> None:
    """Replay at the database layer alone: a request that read the account before a parallel
    one spent the code passes the in-memory check, and only the conditional update stops it."""
    account = accounts.user()
    code = accounts.code(account.email)
    with app.test_request_context():
        assert auth_services.verify_second_factor(db.session.get_one(User, account.id), code)
        db.session.commit()
        spent = accounts.get(account, "totp_last_step")
    with app.test_request_context():
        stale = db.session.get_one(User, account.id)
        set_committed_value(stale, "totp_last_step", None)  # as read before the first request
        assert not auth_services.verify_second_factor(stale, code)
        db.session.commit()
    assert accounts.get(account, "totp_last_step") == spent
    with app.app_context():
        outcomes = db.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.object_type == "users", AuditEvent.object_id == str(account.id)
            )
        ).all()
    assert outcomes[-2:] == [AuditAction.TWO_FACTOR_PASSED, AuditAction.TWO_FACTOR_FAILED]


@pytest.mark.postgres
def test_two_parallel_requests_with_one_code_sign_in_once_on_postgresql(pg_app: Flask) -> None:
    """Both requests read the account before either spends the code (the barrier): on
    PostgreSQL the second update waits for the first to commit, then finds the step used."""
    accounts = Accounts(pg_app)
    account = accounts.user()
    code = accounts.code(account.email)
    both_read = threading.Barrier(2, timeout=30)
    accepted: list[bool] = []

    def request() -> None:
        with pg_app.test_request_context():
            user = db.session.get_one(User, account.id)
            assert user.totp_last_step is None
            both_read.wait()
            accepted.append(auth_services.verify_second_factor(user, code))
            db.session.commit()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(accepted) == [False, True]


def test_codes_older_than_one_step_are_refused(client: FlaskClient, accounts: Accounts) -> None:
    accounts.user()
    post_form(client, "/sign-in", {"email": "worker@test.example", "password": PASSWORD})
    stale = accounts.code("worker@test.example", offset_steps=-2)
    assert post_form(client, "/sign-in/security-code", {"code": stale}).status_code == 200
    drifted = accounts.code("worker@test.example", offset_steps=-1)
    assert post_form(client, "/sign-in/security-code", {"code": drifted}).status_code == 302


def test_first_sign_in_enrols_then_shows_recovery_codes_once(
    client: FlaskClient, accounts: Accounts
) -> None:
    user = accounts.user(enrolled=False)
    response = post_form(client, "/sign-in", {"email": "worker@test.example", "password": PASSWORD})
    assert response.location == "/sign-in/set-up-two-factor"
    page = client.get("/sign-in/set-up-two-factor")
    assert "data:image/svg+xml" in page.text
    secret = re.search(r'class="app-secret">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    wrong = client.post(
        "/sign-in/set-up-two-factor", data={"csrf_token": csrf_token(page.text), "code": "000000"}
    )
    assert "Enter the 6-digit code currently shown in your app" in wrong.text
    done = client.post(
        "/sign-in/set-up-two-factor",
        data={"csrf_token": csrf_token(page.text), "code": pyotp.TOTP(secret).now()},
    )
    assert "Save your recovery codes" in done.text
    codes = re.findall(r"<code>([0-9A-F]{5}-[0-9A-F]{5})</code>", done.text)
    assert len(codes) == 10
    assert accounts.get(user, "mfa_enrolled")
    assert client.get("/").status_code == 200
    # The secret is stored encrypted, never as the base32 text.
    assert secret.encode() not in accounts.get(user, "totp_secret_encrypted")


def test_recovery_code_works_once(client: FlaskClient, accounts: Accounts, app: Flask) -> None:
    codes = accounts.recovery_codes(accounts.user())
    post_form(client, "/sign-in", {"email": "worker@test.example", "password": PASSWORD})
    used = post_form(client, "/sign-in/recovery-code", {"code": codes[0].lower()})
    assert used.status_code == 302
    again = app.test_client()
    post_form(again, "/sign-in", {"email": "worker@test.example", "password": PASSWORD})
    refused = post_form(again, "/sign-in/recovery-code", {"code": codes[0]})
    assert "not correct or has already been used" in refused.text


def test_session_id_changes_at_sign_in_and_old_id_is_useless(
    client: FlaskClient, accounts: Accounts, sign_in: SignIn, app: Flask
) -> None:
    accounts.user()
    client.get("/sign-in")
    before = client.get_cookie("session").value
    sign_in(client, "worker@test.example")
    after = client.get_cookie("session").value
    assert before != after
    attacker = app.test_client()
    attacker.set_cookie("session", before)
    assert attacker.get("/").location == "/sign-in"


def _session_id(client: FlaskClient) -> str:
    """The random id the signed cookie carries (the part before its signature)."""
    return client.get_cookie("session").value.split(".")[0]


def _stored_sessions(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(ServerSessionRecord.id_hash)))


def test_the_password_step_gives_the_session_a_new_id(
    client: FlaskClient, accounts: Accounts, app: Flask
) -> None:
    """Session fixation: an id planted before sign-in (the sign-in page stores a session for
    its form) is not the one that holds the half-finished sign-in."""
    accounts.user()
    page = client.get("/sign-in")
    planted, planted_cookie = _session_id(client), client.get_cookie("session").value
    assert _stored_sessions(app) == {hash_session_id(planted)}
    response = client.post(
        "/sign-in",
        data={
            "csrf_token": csrf_token(page.text),
            "email": "worker@test.example",
            "password": PASSWORD,
        },
    )
    assert response.location == "/sign-in/security-code"
    after = _session_id(client)
    assert after != planted
    assert _stored_sessions(app) == {hash_session_id(after)}
    attacker = app.test_client()
    attacker.set_cookie("session", planted_cookie)
    assert attacker.get("/sign-in/security-code").location == "/sign-in"


def test_the_security_code_step_gives_the_session_a_new_id(
    client: FlaskClient, accounts: Accounts, app: Flask
) -> None:
    """Session fixation: the id that passed the password alone is not the signed-in one."""
    accounts.user()
    post_form(client, "/sign-in", {"email": "worker@test.example", "password": PASSWORD})
    half_signed_in = client.get_cookie("session").value
    page = client.get("/sign-in/security-code")
    response = client.post(
        "/sign-in/security-code",
        data={"csrf_token": csrf_token(page.text), "code": accounts.code("worker@test.example")},
    )
    assert response.location == "/"
    assert client.get_cookie("session").value != half_signed_in
    assert _stored_sessions(app) == {hash_session_id(_session_id(client))}
    attacker = app.test_client()
    attacker.set_cookie("session", half_signed_in)
    assert attacker.get("/").location == "/sign-in"
    assert client.get("/").status_code == 200


def test_cookie_holds_only_an_opaque_id(
    client: FlaskClient, accounts: Accounts, sign_in: SignIn
) -> None:
    user = accounts.user()
    sign_in(client, "worker@test.example")
    cookie = client.get_cookie("session")
    assert user.email not in cookie.value
    assert f'"{user.id}"' not in cookie.value
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_sign_out_ends_the_session_on_the_server(
    client: FlaskClient, accounts: Accounts, sign_in: SignIn, app: Flask
) -> None:
    accounts.user()
    sign_in(client, "worker@test.example")
    cookie = client.get_cookie("session").value
    home = client.get("/")
    response = client.post("/sign-out", data={"csrf_token": csrf_token(home.text)})
    assert response.location == "/sign-in"
    assert "Clear-Site-Data" in response.headers
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    assert replay.get("/").location == "/sign-in"


def test_idle_timeout_signs_out(client: FlaskClient, accounts: Accounts, sign_in: SignIn) -> None:
    accounts.user()
    sign_in(client, "worker@test.example")
    with time_machine.travel(utcnow() + timedelta(minutes=31)):
        response = client.get("/")
        assert response.location == "/sign-in"
        assert "timed out" in client.get("/sign-in").text


def test_activity_keeps_session_alive_until_absolute_timeout(
    client: FlaskClient, accounts: Accounts, sign_in: SignIn
) -> None:
    accounts.user()
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, "worker@test.example")
        for _ in range(23):  # every 25 minutes for 9h35m
            clock.shift(timedelta(minutes=25))
            assert client.get("/").status_code == 200
        clock.shift(timedelta(hours=2, minutes=30))  # past 12 hours, active all along
        assert client.get("/").location == "/sign-in"


def test_password_change_signs_out_other_sessions(
    client: FlaskClient, accounts: Accounts, sign_in: SignIn, app: Flask
) -> None:
    accounts.user()
    other = app.test_client()
    sign_in(client, "worker@test.example")
    sign_in(other, "worker@test.example")
    response = post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "brand new phrase 77",
            "confirm_password": "brand new phrase 77",
        },
    )
    assert response.location == "/account"
    assert client.get("/").status_code == 200
    assert other.get("/").location == "/sign-in"


def test_password_change_explains_wrong_current_password(
    client: FlaskClient, accounts: Accounts, sign_in: SignIn
) -> None:
    accounts.user()
    sign_in(client, "worker@test.example")
    response = post_form(
        client,
        "/account/password",
        {
            "current_password": "not it at all",
            "new_password": "brand new phrase 77",
            "confirm_password": "brand new phrase 77",
        },
    )
    assert "Your current password is incorrect" in response.text


def test_deactivation_ends_open_sessions(
    client: FlaskClient, accounts: Accounts, sign_in: SignIn
) -> None:
    user = accounts.user()
    sign_in(client, "worker@test.example")
    accounts.update(user, active=False)
    assert client.get("/").location == "/sign-in"


def test_password_is_rehashed_when_cost_parameters_rise(
    app: Flask, client: FlaskClient, accounts: Accounts
) -> None:
    user = accounts.user()
    weaker = PasswordHashing(time_cost=1, memory_cost_kib=8, parallelism=1)
    stronger = PasswordHashing(time_cost=2, memory_cost_kib=16, parallelism=1)
    assert app.config["SETTINGS"].password_hashing == weaker
    from dataclasses import replace

    app.config["SETTINGS"] = replace(app.config["SETTINGS"], password_hashing=stronger)
    post_form(client, "/sign-in", {"email": "worker@test.example", "password": PASSWORD})
    assert accounts.get(user, "password_hash").startswith("$argon2id$v=19$m=16,t=2,p=1$")


def test_stored_hash_is_argon2id(app: Flask, accounts: Accounts) -> None:
    assert accounts.get(accounts.user(), "password_hash").startswith("$argon2id$")
    with app.app_context():
        assert hash_password("x" * 20) != hash_password("x" * 20)  # salted


def test_next_page_is_kept_without_its_query_string(
    client: FlaskClient, accounts: Accounts, sign_in: SignIn
) -> None:
    """The page to return to is kept, its path alone: a query string may hold a name someone
    searched for, and the session is stored in clear (issue 26)."""
    accounts.user()
    assert client.get("/account?tab=1").location == "/sign-in"
    response = post_form(client, "/sign-in", {"email": "worker@test.example", "password": PASSWORD})
    done = post_form(client, response.location, {"code": accounts.code("worker@test.example")})
    assert done.location == "/account"


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("/account", True),
        ("//evil.example/", False),
        ("https://evil.example/", False),
        ("/\\evil.example", False),
        ("evil", False),
    ],
)
def test_only_same_site_paths_are_followed_after_sign_in(url: str, safe: bool) -> None:
    from app.auth.views import _is_safe_next

    assert _is_safe_next(url) is safe


def test_sessions_table_holds_no_readable_id(
    client: FlaskClient, accounts: Accounts, sign_in: SignIn, app: Flask
) -> None:
    accounts.user()
    sign_in(client, "worker@test.example")
    cookie_id = client.get_cookie("session").value.split(".")[0]
    with app.app_context():
        stored = db.session.scalars(select(ServerSessionRecord.id_hash)).all()
    assert stored
    assert cookie_id not in stored


def test_user_of_inactive_organisation_cannot_sign_in(
    client: FlaskClient, accounts: Accounts, app: Flask
) -> None:
    accounts.user()
    with app.app_context():
        db.session.scalar(select(User)).organisation.active = False
        db.session.commit()
    response = post_form(client, "/sign-in", {"email": "worker@test.example", "password": PASSWORD})
    assert "Enter a correct email address and password" in response.text


def test_account_page_shows_recent_sign_in_activity_including_failures(
    client: FlaskClient, accounts: Accounts, sign_in: SignIn, app: Flask
) -> None:
    accounts.user()
    accounts.user("colleague@test.example")
    post_form(app.test_client(), "/sign-in", {"email": "worker@test.example", "password": "x" * 20})
    post_form(
        app.test_client(), "/sign-in", {"email": "colleague@test.example", "password": "y" * 20}
    )
    sign_in(client, "worker@test.example")
    page = client.get("/account").text
    assert "Recent sign-in activity" in page
    rows = re.findall(
        r"<tr class=\"govuk-table__row\">\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>([^<]*)</td>", page
    )
    # Newest first, and only this person's events (not the colleague's failure).
    assert rows == ["Signed in", "Wrong password entered"]
    assert "127.0.0.1" in page


def test_sign_in_works_over_https_with_the_referrer_browsers_send(
    app: Flask, accounts: Accounts
) -> None:
    """Flask-WTF refuses an HTTPS POST without a same-site Referer; our policy keeps one."""
    accounts.user()
    client = app.test_client()
    page = client.get("/sign-in", base_url="https://localhost")
    assert page.headers["Referrer-Policy"] == "same-origin"
    form = {
        "csrf_token": csrf_token(page.text),
        "email": "worker@test.example",
        "password": PASSWORD,
    }
    secure = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/sign-in"}}
    assert client.post("/sign-in", data=form, **secure).location == "/sign-in/security-code"
    refused = client.post("/sign-in", data=form, base_url="https://localhost")
    assert refused.status_code == 400  # no Referer at all: a cross-site form or a stripped request


def test_a_password_change_ends_a_half_finished_sign_in_elsewhere(
    app: Flask, client: FlaskClient, accounts: Accounts, sign_in: SignIn
) -> None:
    accounts.user()
    intruder = app.test_client()
    post_form(intruder, "/sign-in", {"email": "worker@test.example", "password": PASSWORD})
    sign_in(client, "worker@test.example")
    post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "brand new phrase 77",
            "confirm_password": "brand new phrase 77",
        },
    )
    assert intruder.get("/sign-in/security-code").location == "/sign-in"
