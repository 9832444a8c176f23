"""A live server with the demo data and a real chromium driven by Playwright.

The server runs in a thread of the test process on a fresh SQLite database. Each demo user signs
in through the real pages at most once per test session, because the app refuses a TOTP code
that was already used; later tests reuse the signed-in cookies (`storage_state`) in new browser
contexts.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask_migrate import upgrade
from playwright.sync_api import Browser
from playwright.sync_api import BrowserContext
from playwright.sync_api import Page
from playwright.sync_api import Playwright
from playwright.sync_api import expect
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from app import create_app
from app.database import db
from demo import case_reviews as demo_case_reviews
from demo import cases as demo_cases
from demo import data
from demo import referrals as demo_referrals
from tests.conftest import make_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PROJECT_ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
TIMEOUT_MS = 10_000
DEMO_SECRETS = {account.email: account.totp_secret for account in data.ACCOUNTS}
DEMO_NAMES = {account.email: account.name for account in data.ACCOUNTS}


def missing(what: str) -> None:
    """CI (REQUIRE_BROWSER=1) must not silently skip the browser tests; elsewhere they may."""
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"{what} (REQUIRE_BROWSER=1 is set)")
    pytest.skip(what)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app the live server runs, so a test can look up demo data (in an app context)."""
    return create_app(make_settings(tmp_path_factory.mktemp("e2e")))


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[str]:
    """The app on a random local port, migrated and seeded with the demo data."""
    app = live_app
    with app.app_context():
        upgrade()
        data.seed()
        db.session.commit()
        demo_cases.seed()
        demo_referrals.seed(scale=0.1)
        demo_case_reviews.seed()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright_driver: Playwright) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


NewContext = Callable[..., BrowserContext]


@pytest.fixture
def new_context(chromium: Browser, live_server: str) -> Iterator[NewContext]:
    """Make browser contexts for one test; they are closed when it ends."""
    contexts: list[BrowserContext] = []

    def new_context(**options: Any) -> BrowserContext:
        context = chromium.new_context(base_url=live_server, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield new_context
    for context in contexts:
        context.close()


def enter_password(page: Page, email: str, password: str = data.DEMO_PASSWORD) -> None:
    """Fill and submit the sign-in page as a person would (by label and button name)."""
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def enter_security_code(page: Page, email: str) -> None:
    """Type the current TOTP code; if this step's code was already used, wait for the next one."""
    totp = pyotp.TOTP(DEMO_SECRETS[email])
    for _ in range(2):
        expect(page).to_have_url(re.compile(r"/sign-in/security-code$"))
        step = int(time.time()) // 30
        page.get_by_label("Enter your security code").fill(totp.now())
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
        if "already been used" not in page.content():
            return
        time.sleep(max(0.0, (step + 1) * 30 - time.time()) + 0.5)


def sign_in(page: Page, email: str) -> None:
    """Both factors through the real pages, ending on the home page."""
    enter_password(page, email)
    enter_security_code(page, email)
    expect(page.get_by_role("heading", name=f"Welcome, {DEMO_NAMES[email]}")).to_be_visible()


class SignedInStates:
    """Cookies of a signed-in session per demo user, each user signing in once per session.

    A test that renews a user's session (emergency access asks for the security code again and
    gives a new session id) must `forget` that user, or the next test would reuse a session that
    no longer exists."""

    def __init__(self, chromium: Browser, live_server: str) -> None:
        self.chromium, self.live_server = chromium, live_server
        self.states: dict[str, Any] = {}

    def __call__(self, email: str) -> Any:
        if email not in self.states:
            context = self.chromium.new_context(base_url=self.live_server)
            context.set_default_timeout(TIMEOUT_MS)
            try:
                sign_in(context.new_page(), email)
                self.states[email] = context.storage_state()
            finally:
                context.close()
        return self.states[email]

    def forget(self, email: str) -> None:
        self.states.pop(email, None)


@pytest.fixture(scope="session")
def signed_in_state(chromium: Browser, live_server: str) -> SignedInStates:
    return SignedInStates(chromium, live_server)


@pytest.fixture(scope="session")
def axe_source() -> Path:
    if not AXE_SCRIPT.exists():
        missing(f"{AXE_SCRIPT} is missing (run npm ci)")
    return AXE_SCRIPT


@pytest.fixture(scope="session")
def admin_page(
    chromium: Browser, live_server: str, signed_in_state: SignedInStates
) -> Iterator[Page]:
    """One page signed in as the demo administrator, shared by the admin accessibility checks.

    The context bypasses the CSP only so that axe-core can be injected as a script tag.
    """
    context = chromium.new_context(
        base_url=live_server, storage_state=signed_in_state("admin@demo.example"), bypass_csp=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


SignedInPage = Callable[[str], Page]


@pytest.fixture
def signed_in_page(new_context: NewContext, signed_in_state: SignedInStates) -> SignedInPage:
    """A new page signed in as the demo user (CSP bypassed only so axe-core can be injected)."""

    def page_for(email: str) -> Page:
        context = new_context(storage_state=signed_in_state(email), bypass_csp=True)
        return context.new_page()

    return page_for
