"""Protective marking and handling caveat (domain §8 R10): on every page (top strip and footer),
at the foot of every printed page, first in the audit export, and configurable."""

from __future__ import annotations

import csv
import html
import io
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.accounts.models import GlobalRole
from app.settings import DEFAULT_HANDLING_CAVEAT
from app.settings import Settings
from app.settings import SettingsError
from app.settings import load_settings
from tests.cases.referrals import test_referral_pages
from tests.cases.referrals.test_referral_pages import World
from tests.cases.referrals.test_referral_pages import accepted_by_coordinator
from tests.cases.referrals.test_referral_pages import referral
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.routes import RULES
from tests.routes import url_for_rule

world = test_referral_pages.world  # the referral pages' fixture, shared

MARKING = "OFFICIAL-SENSITIVE"
# Every page without an id in its address that answers GET, except the health check (not a page).
PAGE_URLS = sorted(
    url_for_rule(rule)
    for rule in RULES
    if "GET" in rule.methods and not rule.arguments and rule.endpoint != "pages.healthz"
)
COORDINATOR = test_referral_pages.COORDINATOR


def marked_twice(page: str, marking: str, caveat: str) -> bool:
    """The marking and caveat in the strip at the top, the footer, and the print footer."""
    page = html.unescape(page)
    top = page.index('class="app-protective-marking"')
    footer = page.index('class="govuk-footer"')
    printed = page.index('class="app-print-marking"')
    return all(
        marking in part and caveat in part
        for part in (page[top:footer], page[footer:printed], page[printed:])
    ) and page.index(marking) < page.index("<main")


@pytest.fixture
def coordinator(app: Flask, client: FlaskClient, world: World, sign_in: SignIn) -> FlaskClient:
    return sign_in(client, COORDINATOR)


@pytest.mark.parametrize("url", PAGE_URLS)
def test_r10_every_page_a_coordinator_opens_carries_the_marking_and_caveat(
    coordinator: FlaskClient, url: str
) -> None:
    response = coordinator.get(url, follow_redirects=True)
    if response.mimetype != "text/html":  # the audit export, refused to a coordinator anyway
        pytest.fail(f"{url} answered {response.mimetype} to a coordinator")
    assert marked_twice(response.text, MARKING, DEFAULT_HANDLING_CAVEAT), url


def test_r10_the_case_page_and_its_sharing_log_carry_the_marking(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn
) -> None:
    _, referral_id = accepted_by_coordinator(app, client, sign_in, world.marac)
    case_id = referral(app, referral_id).case_id
    for url in (f"/cases/{case_id}", f"/cases/{case_id}/sharing", f"/cases/{case_id}/transfer"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert marked_twice(response.text, MARKING, DEFAULT_HANDLING_CAVEAT), url


def test_r10_error_pages_carry_the_marking_too(coordinator: FlaskClient) -> None:
    for url, status in (("/admin/users", 403), ("/cases/999999", 404)):
        response = coordinator.get(url)
        assert response.status_code == status
        assert marked_twice(response.text, MARKING, DEFAULT_HANDLING_CAVEAT), url


def test_r10_the_print_stylesheet_repeats_the_marking_on_every_printed_page() -> None:
    """A fixed element is drawn on every printed page; on screen it is hidden."""
    source = (Path(__file__).resolve().parents[2] / "assets" / "scss" / "main.scss").read_text()
    screen, printed = source.split(".app-print-marking {", 2)[1:3]
    assert "display: none" in screen.split("}")[0]
    assert "position: fixed" in printed
    assert "bottom: 0" in printed


def test_r10_the_audit_export_starts_with_the_marking_and_caveat(
    client: FlaskClient, accounts: Accounts, sign_in: SignIn
) -> None:
    accounts.user("auditor@test.example", role=GlobalRole.AUDITOR)
    sign_in(client, "auditor@test.example")
    export = client.get("/audit/export.csv")
    assert export.status_code == 200
    first, header = list(csv.reader(io.StringIO(export.data.decode("utf-8")[1:])))[:2]
    assert first == [MARKING, DEFAULT_HANDLING_CAVEAT]
    assert header[0] == "Sequence"


def test_r10_the_marking_and_caveat_are_configurable(
    settings: Settings, accounts: Accounts, sign_in: SignIn
) -> None:
    configured = create_app(
        replace(
            settings,
            protective_marking="OFFICIAL",
            handling_caveat="Synthetic caveat: for the panel's eyes only",
        )
    )
    page = configured.test_client().get("/sign-in").text
    assert marked_twice(page, "OFFICIAL", "Synthetic caveat: for the panel's eyes only")
    assert MARKING not in page
    assert DEFAULT_HANDLING_CAVEAT not in html.unescape(page)


def test_r10_the_marking_and_caveat_are_read_from_the_environment(tmp_path: Path) -> None:
    env = {
        "APP_ENV": "development",
        "INSTANCE_PATH": str(tmp_path),
        "PROTECTIVE_MARKING": "OFFICIAL",
        "HANDLING_CAVEAT": "Synthetic caveat",
    }
    loaded = load_settings(env)
    assert (loaded.protective_marking, loaded.handling_caveat) == ("OFFICIAL", "Synthetic caveat")
    defaults = load_settings({"APP_ENV": "development", "INSTANCE_PATH": str(tmp_path)})
    assert (defaults.protective_marking, defaults.handling_caveat) == (
        MARKING,
        DEFAULT_HANDLING_CAVEAT,
    )


@pytest.mark.parametrize("variable", ["PROTECTIVE_MARKING", "HANDLING_CAVEAT"])
def test_r10_a_blank_marking_or_caveat_stops_the_app(tmp_path: Path, variable: str) -> None:
    env = {"APP_ENV": "development", "INSTANCE_PATH": str(tmp_path), variable: "  "}
    with pytest.raises(SettingsError, match="cannot be blank"):
        load_settings(env)
