"""Deny by default: every route declares who may reach it, and nothing else gets through."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from app import create_app
from app.accounts.models import GlobalRole
from app.security import ACCESS_MARKER
from app.security import PUBLIC
from app.security import access_rule
from app.settings import Settings
from tests.conftest import PASSWORD
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import csrf_token
from tests.conftest import post_form
from tests.routes import RULES
from tests.routes import url_for_rule

PUBLIC_ENDPOINTS = {
    "static",
    "pages.healthz",
    "pages.accessibility",
    "pages.privacy",
    "pages.cookies",
    "auth.sign_in",
    "auth.two_factor",
    "auth.recovery_code",
    "auth.set_up_two_factor",
    "auth.set_password",
}


def test_every_endpoint_declares_an_access_rule(app: Flask) -> None:
    with app.test_request_context():
        undeclared = [
            rule.endpoint for rule in app.url_map.iter_rules() if access_rule(rule.endpoint) is None
        ]
    assert undeclared == []


def test_only_the_intended_endpoints_are_public(app: Flask) -> None:
    with app.test_request_context():
        public = {
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if access_rule(rule.endpoint) == PUBLIC
        }
    assert public == PUBLIC_ENDPOINTS


@pytest.mark.parametrize("rule", [r for r in RULES if r.endpoint not in PUBLIC_ENDPOINTS], ids=str)
def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient, rule: Rule) -> None:
    url = url_for_rule(rule)
    if "GET" in rule.methods:
        response = client.get(url)
    else:
        token = csrf_token(client.get("/sign-in").text)
        response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 302, url
    assert response.location == "/sign-in"


@pytest.mark.parametrize("rule", [r for r in RULES if r.endpoint not in PUBLIC_ENDPOINTS], ids=str)
def test_a_password_without_the_second_factor_opens_nothing(
    client: FlaskClient, accounts: Accounts, rule: Rule
) -> None:
    accounts.user(role=GlobalRole.ADMIN)
    pending = post_form(client, "/sign-in", {"email": "worker@test.example", "password": PASSWORD})
    assert pending.location == "/sign-in/security-code"
    url = url_for_rule(rule)
    if "GET" in rule.methods:
        response = client.get(url)
    else:
        token = csrf_token(client.get("/sign-in/security-code").text)
        response = client.post(url, data={"csrf_token": token})
    assert response.location == "/sign-in", url


def test_a_view_without_a_declared_rule_is_refused_even_when_signed_in(settings: Settings) -> None:
    app = create_app(settings)

    @app.route("/forgotten")
    def forgotten() -> str:  # no @public, @signed_in or @requires
        return "should never be served"

    assert not hasattr(forgotten, ACCESS_MARKER)
    accounts = Accounts(app)
    accounts.user(role=GlobalRole.ADMIN)
    client = app.test_client()
    post_form(client, "/sign-in", {"email": "worker@test.example", "password": PASSWORD})
    post_form(client, "/sign-in/security-code", {"code": accounts.code("worker@test.example")})
    assert client.get("/").status_code == 200
    response = client.get("/forgotten")
    assert response.status_code == 403
    assert "should never be served" not in response.text


@pytest.mark.parametrize("role", [None, GlobalRole.MANAGER, GlobalRole.AUDITOR])
def test_admin_pages_refuse_other_roles(
    client: FlaskClient, accounts: Accounts, sign_in: SignIn, role: GlobalRole | None
) -> None:
    accounts.user(role=role)
    sign_in(client, "worker@test.example")
    for rule in RULES:
        if rule.rule.startswith("/admin") and "GET" in rule.methods:
            assert client.get(url_for_rule(rule)).status_code == 403, rule.rule
