"""Security headers on every page, signed in or not, and no caching of signed-in pages."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from app.accounts.models import GlobalRole
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.routes import RULES
from tests.routes import url_for_rule

GET_URLS = sorted({url_for_rule(rule) for rule in RULES if "GET" in rule.methods})


def assert_secure_headers(response) -> None:  # type: ignore[no-untyped-def]
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "script-src 'self' 'nonce-" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", GET_URLS)
def test_every_page_carries_security_headers_when_signed_in(
    client: FlaskClient, accounts: Accounts, sign_in: SignIn, url: str
) -> None:
    accounts.user(role=GlobalRole.ADMIN)
    sign_in(client, "worker@test.example")
    assert_secure_headers(client.get(url))


@pytest.mark.parametrize("url", [*GET_URLS, "/no-such-page"])
def test_every_answer_to_anonymous_visitors_carries_security_headers(
    client: FlaskClient, url: str
) -> None:
    assert_secure_headers(client.get(url))


def test_nonce_changes_per_request_and_matches_the_page(client: FlaskClient) -> None:
    first, second = client.get("/sign-in"), client.get("/sign-in")
    nonce = first.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in first.text
    assert nonce not in second.headers["Content-Security-Policy"]


def test_pages_carry_the_protective_marking_and_no_gov_uk_branding(client: FlaskClient) -> None:
    page = client.get("/sign-in").text
    assert "OFFICIAL-SENSITIVE" in page
    assert "GOV.UK" not in page
    assert "Crown copyright" not in page
    assert "govuk-crest" not in page


def test_hsts_only_over_https(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers
    secure = client.get("/sign-in", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_static_assets_may_be_cached(client: FlaskClient) -> None:
    response = client.get("/static/favicon.svg")
    response.close()  # static files are streamed from disk
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
