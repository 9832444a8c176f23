"""Shared fixtures: an app per test on a fresh copy of a migrated SQLite database."""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import create_app
from app.accounts.models import AgencyType
from app.accounts.models import GlobalRole
from app.accounts.models import Organisation
from app.accounts.models import User
from app.auth import services as auth_services
from app.auth.passwords import hash_password
from app.auth.seeds import totp_secret
from app.database import db
from app.database import utcnow
from app.extensions import limiter
from app.settings import Environment
from app.settings import MailSettings
from app.settings import PasswordHashing
from app.settings import Settings

PASSWORD = "a long test passphrase 42"
CSRF_PATTERN = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"'
)

# Hypothesis fails an example that takes over 200 ms by default: a wall-clock assertion, which
# tests here never make (a loaded machine would fail them). Speed is measured by `make bench`.
hypothesis_settings.register_profile("suite", deadline=None)
hypothesis_settings.load_profile("suite")


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for a test app: random strong keys and cheap password hashing."""
    base = Settings(
        environment=Environment.TEST,
        secret_key=secrets.token_urlsafe(48),
        key_encryption_key=secrets.token_bytes(32),
        database_url=f"sqlite:///{tmp_path / 'test.db'}",
        instance_path=tmp_path,
        https=False,
        password_hashing=PasswordHashing(time_cost=1, memory_cost_kib=8, parallelism=1),
        mail=MailSettings(sink=tmp_path / "mail", tls_required=False),
    )
    return replace(base, **overrides)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to head once; each test gets its own copy."""
    directory = tmp_path_factory.mktemp("template")
    app = create_app(make_settings(directory))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return directory / "test.db"


@pytest.fixture
def settings(tmp_path: Path, migrated_sqlite: Path) -> Settings:
    shutil.copy(migrated_sqlite, tmp_path / "test.db")
    return make_settings(tmp_path)


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    """The app, with no context pushed: each test-client request gets its own, as in production.

    Test code that touches the database opens `with app.app_context():` itself.
    """
    app = create_app(settings)
    with app.app_context():
        limiter.reset()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def post_form(client: FlaskClient, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """GET the page for its CSRF token, then POST the form as a browser would."""
    page = client.get(url)
    return client.post(url, data={"csrf_token": csrf_token(page.text), **data}, **kwargs)


@dataclass(frozen=True)
class Account:
    id: int
    email: str


class Accounts:
    """Creates users directly in the database, enrolled in TOTP unless asked otherwise."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.secrets: dict[str, str] = {}

    def organisation_id(
        self, name: str = "Test Police", agency: AgencyType = AgencyType.POLICE
    ) -> int:
        with self.app.app_context():
            existing = db.session.scalar(select(Organisation).where(Organisation.name == name))
            if existing:
                return existing.id
            organisation = Organisation(name=name, agency_type=agency)
            db.session.add(organisation)
            db.session.commit()
            return organisation.id

    def user(
        self,
        email: str = "worker@test.example",
        *,
        role: GlobalRole | None = None,
        organisation: str = "Test Police",
        enrolled: bool = True,
        password: str = PASSWORD,
        name: str = "Test Worker",
    ) -> Account:
        organisation_id = self.organisation_id(organisation)
        with self.app.app_context():
            user = User(
                email=email,
                display_name=name,
                organisation_id=organisation_id,
                global_role=role,
                password_hash=hash_password(password),
                password_changed_at=utcnow(),
            )
            db.session.add(user)
            db.session.flush()
            if enrolled:
                auth_services.start_enrolment(user)
                user.mfa_enrolled_at = utcnow()
                self.secrets[email] = totp_secret(user)
            db.session.commit()
            return Account(user.id, email)

    def update(self, account: Account, **fields: Any) -> None:
        with self.app.app_context():
            user = db.session.get(User, account.id)
            for name, value in fields.items():
                setattr(user, name, value)
            db.session.commit()

    def get(self, account: Account, attribute: str) -> Any:
        with self.app.app_context():
            return getattr(db.session.get(User, account.id), attribute)

    def recovery_codes(self, account: Account) -> list[str]:
        """Fresh recovery codes through the real service, leaving the current TOTP code unused."""
        with self.app.app_context():
            user = db.session.get(User, account.id)
            user.totp_last_step = None
            codes = auth_services.reissue_recovery_codes(user, self.code(account.email))
            user.totp_last_step = None
            db.session.commit()
            return codes

    def code(self, email: str, *, offset_steps: int = 0) -> str:
        totp = pyotp.TOTP(self.secrets[email])
        return totp.at(utcnow().timestamp() + offset_steps * 30)


@pytest.fixture
def accounts(app: Flask) -> Accounts:
    return Accounts(app)


SignIn = Callable[..., FlaskClient]


@pytest.fixture
def sign_in(accounts: Accounts) -> SignIn:
    """Sign a client in with password and a current TOTP code."""

    def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> FlaskClient:
        response = post_form(client, "/sign-in", {"email": email, "password": password})
        assert response.status_code == 302, response.text
        assert response.location == "/sign-in/security-code"
        # Let the helper sign the same account in again within one 30-second step.
        with accounts.app.app_context():
            user = db.session.scalar(select(User).where(User.email == email))
            user.totp_last_step = None
            db.session.commit()
        response = post_form(client, "/sign-in/security-code", {"code": accounts.code(email)})
        assert response.status_code == 302, response.text
        return client

    return sign_in


ADMIN_EMAIL = "admin@test.example"


@pytest.fixture
def admin(accounts: Accounts) -> Account:
    return accounts.user(ADMIN_EMAIL, role=GlobalRole.ADMIN, name="Ada Admin")


@pytest.fixture
def admin_client(client: FlaskClient, admin: Account, sign_in: SignIn) -> FlaskClient:
    return sign_in(client, ADMIN_EMAIL)


# PostgreSQL ---------------------------------------------------------------------------------


def postgres_url() -> str:
    """The integration database, or a skip when TEST_DATABASE_URL is not set (CI sets it).

    Under pytest-xdist each worker has a database of its own, named after the configured one and
    the worker (`test_gw0`, `test_gw1`...), created on the same server the first time it is
    needed, so that workers never empty each other's schema."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    return _worker_database(url, worker)


@cache
def _worker_database(url: str, worker: str) -> str:
    configured = make_url(url)
    own = configured.set(database=f"{configured.database}_{worker}")
    engine = create_engine(configured, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own.database}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{own.database}"'))
    engine.dispose()
    return own.render_as_string(hide_password=False)


def reset_postgres(url: str) -> None:
    """Empty the test database's public schema."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def pg_app(tmp_path: Path) -> Iterator[Flask]:
    """The app on an empty, freshly migrated PostgreSQL database."""
    url = postgres_url()
    reset_postgres(url)
    app = create_app(make_settings(tmp_path, database_url=url))
    with app.app_context():
        upgrade()
        limiter.reset()
    yield app
    with app.app_context():
        db.engine.dispose()
