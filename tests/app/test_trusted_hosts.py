"""Issue 26: the Host header must not build one-time links, and requests for a host the
deployment does not serve are refused (security R7, R36)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select

from app import create_app
from app.database import db
from app.settings import Environment
from app.settings import MailSettings
from app.settings import Settings
from notifications.models import Delivery
from tests.conftest import Account
from tests.conftest import Accounts
from tests.conftest import csrf_token
from tests.conftest import make_settings
from tests.mail import mailed
from tests.mail import mailed_link

EXTERNAL_URL = "https://panels.example.org"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test app as deployed: its address, and one other name a proxy may use for it."""
    return replace(
        settings, external_url=EXTERNAL_URL, trusted_hosts=("localhost", "app-1.internal")
    )


@pytest.fixture
def worker(accounts: Accounts, admin: Account) -> Account:
    return accounts.user("worker@test.example")


def deliveries(app: Flask) -> int:
    """Emails queued (a one-time link is made only when its email is sent)."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Delivery)) or 0


def same_session_on(client: FlaskClient, host: str) -> None:
    """Send the signed-in session to `host` too, as a browser would after signing in there."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.set_cookie("session", cookie.value, domain=host.split(":")[0])


def reset_password(client: FlaskClient, user_id: int, host: str) -> Any:
    page = client.get(f"/admin/users/{user_id}")
    same_session_on(client, host)
    return client.post(
        f"/admin/users/{user_id}/reset-password",
        data={"csrf_token": csrf_token(page.text)},
        headers={"Host": host},
    )


@pytest.mark.parametrize("host", ["localhost", "app-1.internal", "panels.example.org"])
def test_the_set_password_link_is_built_from_the_external_url(
    app: Flask, admin_client: FlaskClient, worker: Account, host: str
) -> None:
    """Whatever trusted name the request used, the link names the deployment's address."""
    response = reset_password(admin_client, worker.id, host)
    assert response.status_code == 302
    link = mailed_link(app, worker.email)
    assert link.startswith(f"{EXTERNAL_URL}/account/set-password/")
    if host != "panels.example.org":
        assert host not in link


@pytest.mark.parametrize("host", ["evil.example", "evil.example:443", "panels.example.org.evil"])
def test_a_forged_host_gets_no_link_and_changes_nothing(
    app: Flask, admin_client: FlaskClient, worker: Account, host: str
) -> None:
    before = deliveries(app)
    response = reset_password(admin_client, worker.id, host)
    assert response.status_code == 400
    assert "evil" not in response.text
    assert deliveries(app) == before
    assert mailed(app) == []


def test_new_account_links_use_the_external_url_too(
    app: Flask, admin_client: FlaskClient, accounts: Accounts
) -> None:
    organisation_id = accounts.organisation_id("Havering Homes")
    page = admin_client.get("/admin/users/new")
    same_session_on(admin_client, "app-1.internal")
    response = admin_client.post(
        "/admin/users/new",
        data={
            "csrf_token": csrf_token(page.text),
            "display_name": "Nadia New",
            "email": "nadia.new@test.example",
            "organisation_id": str(organisation_id),
            "global_role": "none",
        },
        headers={"Host": "app-1.internal"},
    )
    assert response.status_code == 302
    assert mailed_link(app, "nadia.new@test.example").startswith(
        f"{EXTERNAL_URL}/account/set-password/"
    )


def test_without_an_external_url_the_link_names_the_local_host(
    tmp_path: Path, migrated_sqlite: Path
) -> None:
    """Development and test: no EXTERNAL_URL, so the request's host, which TRUSTED_HOSTS has
    limited to the local names; a forged one is refused before any view runs."""
    shutil.copy(migrated_sqlite, tmp_path / "test.db")
    app = create_app(make_settings(tmp_path))
    assert app.config["TRUSTED_HOSTS"] == ["localhost", "127.0.0.1"]
    client = app.test_client()
    assert client.get("/sign-in").status_code == 200
    assert client.get("/sign-in", headers={"Host": "127.0.0.1:5000"}).status_code == 200
    assert client.get("/sign-in", headers={"Host": "evil.example"}).status_code == 400


# Production -----------------------------------------------------------------------------------


@pytest.fixture
def production_app(tmp_path: Path, settings: Settings) -> Flask:
    deployed = replace(
        settings,
        environment=Environment.PRODUCTION,
        https=True,
        trusted_hosts=(),
        trusted_proxy_count=1,
        mail=MailSettings(smtp_url="smtp://mail.example.org:587"),
    )
    return create_app(deployed)


def test_production_answers_its_own_host(production_app: Flask) -> None:
    client = production_app.test_client()
    response = client.get("/healthz", base_url=EXTERNAL_URL)
    assert response.status_code == 200
    assert client.get("/sign-in", base_url=EXTERNAL_URL).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.example"},
        {"Host": "localhost"},
        {"Host": "panels.example.org", "X-Forwarded-Host": "evil.example"},
    ],
    ids=["forged-host", "localhost", "forwarded-host"],
)
def test_production_refuses_any_other_host(production_app: Flask, headers: dict[str, str]) -> None:
    client = production_app.test_client()
    for path in ("/healthz", "/sign-in", "/admin/users"):
        response = client.get(path, base_url=EXTERNAL_URL, headers=headers)
        assert response.status_code == 400, path
        assert "Sorry, there is a problem with the request" in response.text
