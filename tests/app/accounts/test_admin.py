"""The admin pages: organisations, users, areas, panels and memberships, and who may open them."""

from __future__ import annotations

import gc
import html
import logging
import re
from dataclasses import replace
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from werkzeug.routing import Rule

from app import create_app
from app.accounts.models import AccountToken
from app.accounts.models import AgencyType
from app.accounts.models import GlobalRole
from app.accounts.models import Organisation
from app.accounts.models import RecoveryCode
from app.accounts.models import User
from app.database import db
from app.serving import nworkers_changed
from app.serving import post_worker_init
from app.sessions import ServerSessionRecord
from app.settings import Environment
from app.settings import MailSettings
from app.settings import Settings
from app.settings import shared_limits_warning
from panels.models import Area
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import MeetingCadence
from panels.types.common import PanelType
from tests.conftest import ADMIN_EMAIL
from tests.conftest import PASSWORD
from tests.conftest import Account
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import csrf_token
from tests.conftest import post_form
from tests.mail import mailed_link
from tests.mail import mailed_path
from tests.referral_fixtures import sign_for_members
from tests.referral_fixtures import sign_isp
from tests.routes import ADMIN_RULES
from tests.routes import RULES
from tests.routes import url_for_rule

WORKER_EMAIL = "worker@test.example"
NEW_PASSWORD = "seven ripe damsons tumbled"
SIGN_IN_REFUSED = "Enter a correct email address and password"

# Every field of every form in the app, filled in so that the POST would change something if it
# were accepted: forged or refused requests must leave the database exactly as it was.
FORGED_FORM = {
    "name": "Forged name",
    "agency_type": "police",
    "active": "y",
    "display_name": "Forged Person",
    "email": "forged@test.example",
    "organisation_id": "1",
    "global_role": "admin",
    "area_id": "1",
    "panel_type": "marac",
    "meeting_cadence": "weekly",
    "user_id": "2",
    "role": "chair",
    "password": PASSWORD,
    "code": "123456",
    "current_password": PASSWORD,
    "new_password": NEW_PASSWORD,
    "confirm_password": NEW_PASSWORD,
    # A MARAC panel's local settings (panels.settings).
    "dash_threshold": "13",
    "escalation_incidents": "4",
    "repeat_window_months": "18",
    "repeat_definition": "further_criminal_incident",
    "definitions_version": "2026-9",
    "break_glass_hours": "6",
    "break_glass_at_once": "2",
    "break_glass_per_day": "4",
    "agenda_days_before": "5",
    "quorum_chair": "no",
    "quorum_agencies": "3",
    "quorum_agency_types": "police",
    "adult_female_population": "90000",
    "population_source": "Forged source",
    "idva_fte": "3",
    "admin_fte": "1",
    # The ISP register (GOV.UK date inputs post day, month and year under one name).
    "version": "9",
    "in_force_from": ["1", "1", "2030"],
    "signed_on": ["1", "1", "2026"],
    "review_on": ["1", "1", "2031"],
    "withdrawn_on": ["2", "1", "2026"],
}

SNAPSHOT_TABLES = (
    "organisations",
    "users",
    "recovery_codes",
    "account_tokens",
    "areas",
    "panels",
    "panel_memberships",
    "isp_agreements",
    "isp_signatories",
    "manager_areas",
    "notification_deliveries",  # an account link is emailed
)


def snapshot(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables that admin pages and account forms write to."""
    with app.app_context():
        return {
            name: [
                tuple(row)
                for row in db.session.execute(
                    select(db.metadata.tables[name]).order_by(*db.metadata.tables[name].primary_key)
                )
            ]
            for name in SNAPSHOT_TABLES
        }


def count(app: Flask, model: type[Any]) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def field_error(page: str, field_id: str) -> str | None:
    """The GOV.UK error message shown next to a field, without its hidden "Error:" prefix."""
    match = re.search(
        rf'<p id="{re.escape(field_id)}-error" class="govuk-error-message">(.*?)</p>', page, re.S
    )
    if match is None:
        return None
    text = re.sub(r"<span class=\"govuk-visually-hidden\">Error:</span>", "", match.group(1))
    return html.unescape(text).strip()


def summary_errors(page: str) -> list[tuple[str, str]]:
    """The (link target, message) pairs of the GOV.UK error summary."""
    match = re.search(r'<ul class="govuk-list govuk-error-summary__list">(.*?)</ul>', page, re.S)
    if match is None:
        return []
    return [
        (href, html.unescape(text).strip())
        for href, text in re.findall(r'<a href="#([^"]+)">(.*?)</a>', match.group(1), re.S)
    ]


def title(page: str) -> str:
    match = re.search(r"<title>(.*?)</title>", page, re.S)
    assert match, "no <title>"
    return html.unescape(match.group(1)).strip()


def banners(page: str) -> list[str]:
    """The flashed messages in notification banners."""
    return [
        html.unescape(text).strip()
        for text in re.findall(
            r'<p class="govuk-notification-banner__heading">(.*?)</p>', page, re.S
        )
    ]


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.in_body = False
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append([])
        elif tag in ("td", "th") and self.in_body:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self.in_body = False
        elif tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table_rows(page: str) -> list[list[str]]:
    """The text of each body cell of every table on the page, row by row."""
    parser = _TableParser()
    parser.feed(page)
    return parser.rows


def select_options(page: str, field_id: str) -> list[str]:
    """The option values of a <select>."""
    match = re.search(rf'<select[^>]*id="{re.escape(field_id)}"[^>]*>(.*?)</select>', page, re.S)
    assert match, f"no select #{field_id}"
    return re.findall(r'<option value="([^"]*)"', match.group(1))


def input_value(page: str, field_id: str) -> str | None:
    match = re.search(rf'<input[^>]*id="{re.escape(field_id)}"[^>]*value="([^"]*)"', page, re.S)
    return html.unescape(match.group(1)) if match else None


def post_action(client: FlaskClient, page_url: str, action_url: str, **kwargs: Any) -> Any:
    """Press a button-only form: take the CSRF token from the page the button is on."""
    page = client.get(page_url)
    assert page.status_code == 200, page_url
    return client.post(action_url, data={"csrf_token": csrf_token(page.text)}, **kwargs)


def signed_out(client: FlaskClient) -> bool:
    response = client.get("/")
    return response.status_code == 302 and response.location == "/sign-in"


def password_sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    """The password step of sign-in only."""
    return post_form(client, "/sign-in", {"email": email, "password": password})


# Fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def worker(accounts: Accounts, admin: Account) -> Account:
    return accounts.user(WORKER_EMAIL, name="Wendy Worker")


@pytest.fixture
def worker_client(app: Flask, worker: Account, sign_in: SignIn) -> FlaskClient:
    return sign_in(app.test_client(), WORKER_EMAIL)


def make_area(app: Flask, name: str = "Newham") -> int:
    with app.app_context():
        area = Area(name=name)
        db.session.add(area)
        db.session.commit()
        return area.id


def make_panel(
    app: Flask,
    area_id: int,
    name: str = "Newham MARAC",
    panel_type: PanelType = PanelType.MARAC,
) -> int:
    with app.app_context():
        panel = Panel(
            area_id=area_id,
            name=name,
            panel_type=panel_type,
            meeting_cadence=MeetingCadence.MONTHLY,
        )
        db.session.add(panel)
        db.session.commit()
        return panel.id


def sign_panel_isp(app: Flask, panel_id: int, *organisation_ids: int) -> int:
    """The panel's ISP version 1, signed by the organisations (R1); returns the version's id."""
    with app.app_context():
        agreement = sign_isp(db.session.get_one(Panel, panel_id), *organisation_ids)
        db.session.commit()
        return agreement.id


def make_membership(
    app: Flask, panel_id: int, user_id: int, role: PanelRole = PanelRole.REPRESENTATIVE
) -> int:
    with app.app_context():
        membership = PanelMembership(panel_id=panel_id, user_id=user_id, role=role)
        db.session.add(membership)
        db.session.flush()
        sign_for_members()
        db.session.commit()
        return membership.id


def get_user(app: Flask, user_id: int) -> User:
    """A detached copy of the user's row, with its organisation loaded."""
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        db.session.expunge(user)
        return user


# Organisations -----------------------------------------------------------------------------


def test_organisation_list_shows_each_with_its_user_count(
    app: Flask, admin_client: FlaskClient, accounts: Accounts
) -> None:
    accounts.user("second@test.example")  # Test Police: the admin and this person
    accounts.user("housing@test.example", organisation="Havering Homes")
    accounts.organisation_id("Empty Agency")
    page = admin_client.get("/admin/organisations")
    assert page.status_code == 200
    counts = {row[0]: row[2] for row in table_rows(page.text)}
    assert counts == {"Empty Agency": "0", "Havering Homes": "1", "Test Police": "2"}
    assert "3 organisations" in page.text


def test_added_organisation_is_saved_and_listed(app: Flask, admin_client: FlaskClient) -> None:
    response = post_form(
        admin_client,
        "/admin/organisations/new",
        {"name": "  Redbridge Council  ", "agency_type": "community_safety"},
    )
    assert response.status_code == 302
    assert response.location == "/admin/organisations"
    with app.app_context():
        organisation = db.session.scalar(
            select(Organisation).where(Organisation.name == "Redbridge Council")
        )
        assert organisation is not None  # saved with the surrounding spaces removed
        assert organisation.agency_type is AgencyType.COMMUNITY_SAFETY
        assert organisation.active
    listing = admin_client.get("/admin/organisations")
    assert "Redbridge Council has been added" in banners(listing.text)
    assert ["Redbridge Council", "Local authority community safety", "0", "Active"] in table_rows(
        listing.text
    )


@pytest.mark.parametrize("name", ["Test Police", "  Test Police "])
def test_duplicate_organisation_name_is_refused_next_to_the_field(
    app: Flask, admin_client: FlaskClient, name: str
) -> None:
    before = count(app, Organisation)
    response = post_form(
        admin_client, "/admin/organisations/new", {"name": name, "agency_type": "health"}
    )
    assert response.status_code == 200
    assert field_error(response.text, "name") == "An organisation with this name already exists"
    assert summary_errors(response.text) == [
        ("name", "An organisation with this name already exists")
    ]
    assert input_value(response.text, "name") == name  # what was typed is kept
    assert '<option value="health" selected' in response.text
    assert title(response.text).startswith("Error:")
    assert count(app, Organisation) == before


def test_missing_organisation_fields_are_each_explained(
    app: Flask, admin_client: FlaskClient
) -> None:
    before = count(app, Organisation)
    response = post_form(admin_client, "/admin/organisations/new", {"name": "", "agency_type": ""})
    assert response.status_code == 200
    assert title(response.text) == "Error: Add an organisation – Risk Panels"
    assert 'class="govuk-error-summary"' in response.text
    assert summary_errors(response.text) == [
        ("name", "Enter the organisation’s name"),
        ("agency_type", "Select the type of agency"),
    ]
    assert field_error(response.text, "name") == "Enter the organisation’s name"
    assert field_error(response.text, "agency_type") == "Select the type of agency"
    assert count(app, Organisation) == before


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "   ", "agency_type": "police"}, "name", "Enter the organisation’s name"),
        (
            {"name": "x" * 201, "agency_type": "police"},
            "name",
            "Organisation name must be 200 characters or fewer",
        ),
        ({"name": "Martians", "agency_type": "martian"}, "agency_type", "Not a valid choice."),
    ],
    ids=["blank", "too-long", "unknown-type"],
)
def test_invalid_organisation_is_not_saved(
    app: Flask, admin_client: FlaskClient, data: dict[str, str], field: str, message: str
) -> None:
    before = count(app, Organisation)
    response = post_form(admin_client, "/admin/organisations/new", data)
    assert response.status_code == 200
    assert field_error(response.text, field) == message
    assert count(app, Organisation) == before


def test_editing_an_organisation_renames_it(
    app: Flask, admin_client: FlaskClient, accounts: Accounts
) -> None:
    organisation_id = accounts.organisation_id("Havering Homes")
    url = f"/admin/organisations/{organisation_id}/edit"
    form = admin_client.get(url)
    assert input_value(form.text, "name") == "Havering Homes"
    response = post_form(
        admin_client, url, {"name": "Havering Housing", "agency_type": "housing", "active": "y"}
    )
    assert response.status_code == 302
    with app.app_context():
        organisation = db.session.get(Organisation, organisation_id)
        assert organisation.name == "Havering Housing"
        assert organisation.agency_type is AgencyType.HOUSING
        assert organisation.active


def test_renaming_an_organisation_to_another_ones_name_is_refused(
    app: Flask, admin_client: FlaskClient, accounts: Accounts
) -> None:
    organisation_id = accounts.organisation_id("Havering Homes")
    response = post_form(
        admin_client,
        f"/admin/organisations/{organisation_id}/edit",
        {"name": "Test Police", "agency_type": "police", "active": "y"},
    )
    assert response.status_code == 200
    assert field_error(response.text, "name") == "An organisation with this name already exists"
    assert input_value(response.text, "name") == "Test Police"
    with app.app_context():
        assert db.session.get(Organisation, organisation_id).name == "Havering Homes"


def test_deactivating_an_organisation_stops_its_users_signing_in(
    app: Flask, admin_client: FlaskClient, accounts: Accounts, sign_in: SignIn
) -> None:
    accounts.user("housing@test.example", organisation="Havering Homes")
    organisation_id = accounts.organisation_id("Havering Homes")
    housing = sign_in(app.test_client(), "housing@test.example")
    url = f"/admin/organisations/{organisation_id}/edit"
    # An unticked checkbox is simply absent from the form.
    response = post_form(admin_client, url, {"name": "Havering Homes", "agency_type": "police"})
    assert response.status_code == 302
    with app.app_context():
        assert not db.session.get(Organisation, organisation_id).active
    assert ["Havering Homes", "Police", "1", "Inactive"] in table_rows(
        admin_client.get("/admin/organisations").text
    )
    assert signed_out(housing)
    refused = password_sign_in(app.test_client(), "housing@test.example")
    assert refused.status_code == 200
    assert SIGN_IN_REFUSED in refused.text
    # Nobody new can be added to an inactive organisation.
    assert str(organisation_id) not in select_options(
        admin_client.get("/admin/users/new").text, "organisation_id"
    )
    # Reactivated, its staff can sign in again.
    post_form(admin_client, url, {"name": "Havering Homes", "agency_type": "police", "active": "y"})
    sign_in(app.test_client(), "housing@test.example")


# Users -------------------------------------------------------------------------------------


def test_new_user_gets_a_one_time_link_to_set_a_password(
    app: Flask, admin_client: FlaskClient, accounts: Accounts
) -> None:
    organisation_id = accounts.organisation_id("Havering Homes")
    response = post_form(
        admin_client,
        "/admin/users/new",
        {
            "display_name": " Nadia New ",
            "email": "Nadia.New@Test.Example",
            "organisation_id": str(organisation_id),
            "global_role": "none",
        },
    )
    assert response.status_code == 302
    assert "Account created" in admin_client.get(response.location).text
    link = mailed_path(app, "nadia.new@test.example")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nadia.new@test.example"))
        assert user is not None  # the email address is stored in lower case
        assert user.display_name == "Nadia New"
        assert user.organisation_id == organisation_id
        assert user.global_role is None
        assert user.password_hash is None
        assert user.active

    newcomer = app.test_client()
    assert "Set your password" in newcomer.get(link).text
    too_short = post_form(
        newcomer, link, {"new_password": "short one", "confirm_password": "short one"}
    )
    assert too_short.status_code == 200
    assert field_error(too_short.text, "new_password") == "Password must be 12 characters or more"
    mismatch = post_form(
        newcomer, link, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD + "!"}
    )
    assert mismatch.status_code == 200
    assert field_error(mismatch.text, "confirm_password") == "The passwords do not match"
    assert get_user(app, user.id).password_hash is None

    done = post_form(
        newcomer, link, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert done.location == "/sign-in"
    assert get_user(app, user.id).password_hash is not None

    used = app.test_client().get(link)
    assert used.status_code == 404
    assert "This link has expired or has already been used" in used.text
    token = csrf_token(newcomer.get("/sign-in").text)
    replay = newcomer.post(
        link,
        data={"csrf_token": token, "new_password": "x" + NEW_PASSWORD, "confirm_password": "x"},
    )
    assert replay.status_code == 404

    signing_in = password_sign_in(newcomer, "nadia.new@test.example", NEW_PASSWORD)
    assert signing_in.status_code == 302
    assert signing_in.location == "/sign-in/set-up-two-factor"


def test_new_user_form_explains_each_missing_field(app: Flask, admin_client: FlaskClient) -> None:
    before = count(app, User)
    response = post_form(
        admin_client,
        "/admin/users/new",
        {"display_name": "", "email": "", "organisation_id": "", "global_role": "none"},
    )
    assert response.status_code == 200
    assert title(response.text).startswith("Error: Add a user")
    assert summary_errors(response.text) == [
        ("display_name", "Enter the person’s full name"),
        ("email", "Enter a work email address"),
        ("organisation_id", "Select the person’s organisation"),
    ]
    assert count(app, User) == before


@pytest.mark.parametrize("email", ["WORKER@Test.Example", "Worker@test.EXAMPLE"])
def test_duplicate_email_is_refused_whatever_its_case(
    app: Flask, admin_client: FlaskClient, worker: Account, email: str
) -> None:
    before = count(app, User)
    response = post_form(
        admin_client,
        "/admin/users/new",
        {"display_name": "Second Wendy", "email": email, "organisation_id": "1"},
    )
    assert response.status_code == 200
    assert (
        field_error(response.text, "email") == "An account with this email address already exists"
    )
    assert input_value(response.text, "display_name") == "Second Wendy"
    assert count(app, User) == before
    assert count(app, AccountToken) == 0


@pytest.mark.parametrize("email", ["not-an-email", "two@@test.example", "spaces in@test.example"])
def test_invalid_email_is_refused(app: Flask, admin_client: FlaskClient, email: str) -> None:
    before = count(app, User)
    response = post_form(
        admin_client,
        "/admin/users/new",
        {"display_name": "Ivy Invalid", "email": email, "organisation_id": "1"},
    )
    assert response.status_code == 200
    assert (
        field_error(response.text, "email")
        == "Enter an email address in the correct format, like name@example.org"
    )
    assert count(app, User) == before


def test_user_list_searches_names_and_emails(admin_client: FlaskClient, accounts: Accounts) -> None:
    accounts.user("sam.smith@test.example", name="Sam Smith")
    accounts.user("blacksmith@test.example", name="Bob Jones")
    accounts.user("other@test.example", name="Olive Other")

    def names(query: str) -> set[str]:
        page = admin_client.get("/admin/users", query_string={"q": query})
        assert page.status_code == 200
        return {row[0] for row in table_rows(page.text)}

    assert names("smith") == {"Sam Smith", "Bob Jones"}  # by name, and by email
    assert names("  SMITH ") == {"Sam Smith", "Bob Jones"}
    assert names("olive") == {"Olive Other"}
    assert names("other@test") == {"Olive Other"}
    assert names("nobody") == set()
    assert names("") == {"Sam Smith", "Bob Jones", "Olive Other", "Ada Admin"}
    page = admin_client.get("/admin/users?q=smith")
    assert "2 users matching ‘smith’" in page.text


def _pagination_links(page: str) -> dict[str, str]:
    links = {}
    for kind in ("prev", "next"):
        match = re.search(
            rf'<div class="govuk-pagination__{kind}">\s*<a [^>]*href="([^"]+)"', page, re.S
        )
        if match:
            links[kind] = html.unescape(match.group(1))
    return links


def test_user_list_shows_fifty_a_page(app: Flask, admin_client: FlaskClient) -> None:
    with app.app_context():
        db.session.add_all(
            User(
                email=f"person{n:02d}@test.example",
                display_name=f"Person {n:02d}",
                organisation_id=1,
            )
            for n in range(55)
        )
        db.session.commit()
    first = admin_client.get("/admin/users")
    assert "56 users" in first.text  # 55 and the admin
    assert len(table_rows(first.text)) == 50
    assert _pagination_links(first.text) == {"next": "/admin/users?page=2"}
    second = admin_client.get("/admin/users?page=2")
    assert len(table_rows(second.text)) == 6
    assert _pagination_links(second.text) == {"prev": "/admin/users?page=1"}
    everyone = {row[1] for row in table_rows(first.text) + table_rows(second.text)}
    assert len(everyone) == 56
    assert table_rows(admin_client.get("/admin/users?page=3").text) == []
    assert len(table_rows(admin_client.get("/admin/users?page=nonsense").text)) == 50

    searched = admin_client.get("/admin/users?q=person")
    assert "55 users matching" in searched.text
    assert _pagination_links(searched.text) == {"next": "/admin/users?q=person&page=2"}
    searched_second = admin_client.get("/admin/users?q=person&page=2")
    assert len(table_rows(searched_second.text)) == 5
    assert _pagination_links(searched_second.text) == {"prev": "/admin/users?q=person&page=1"}


def test_editing_a_user_changes_role_and_organisation_and_signs_them_out(
    app: Flask,
    admin_client: FlaskClient,
    accounts: Accounts,
    worker: Account,
    worker_client: FlaskClient,
) -> None:
    housing_id = accounts.organisation_id("Havering Homes")
    url = f"/admin/users/{worker.id}/edit"
    form = admin_client.get(url)
    assert "<title>Edit Wendy Worker" in form.text
    response = post_form(
        admin_client,
        url,
        {
            "display_name": "Wendy Manager",
            "email": "hijacked@test.example",  # not a field of the edit form: ignored
            "organisation_id": str(housing_id),
            "global_role": "manager",
        },
    )
    assert response.status_code == 302
    assert response.location == f"/admin/users/{worker.id}"
    user = get_user(app, worker.id)
    assert user.display_name == "Wendy Manager"
    assert user.organisation_id == housing_id
    assert user.global_role is GlobalRole.MANAGER
    assert user.email == WORKER_EMAIL
    assert signed_out(worker_client)
    page = admin_client.get(f"/admin/users/{worker.id}")
    assert "Wendy Manager’s account has been updated" in banners(page.text)


def test_deactivating_a_user_ends_their_sessions_and_refuses_sign_in(
    app: Flask, admin_client: FlaskClient, worker: Account, worker_client: FlaskClient
) -> None:
    page_url = f"/admin/users/{worker.id}"
    response = post_action(admin_client, page_url, f"{page_url}/deactivate")
    assert response.status_code == 302
    assert response.location == page_url
    assert not get_user(app, worker.id).active
    with app.app_context():
        left = db.session.scalars(
            select(ServerSessionRecord).where(ServerSessionRecord.user_id == worker.id)
        ).all()
    assert left == []
    assert signed_out(worker_client)
    refused = password_sign_in(app.test_client(), WORKER_EMAIL)
    assert refused.status_code == 200
    assert SIGN_IN_REFUSED in refused.text
    page = admin_client.get(page_url)
    assert "Wendy Worker can no longer sign in and has been signed out" in banners(page.text)
    assert "Deactivated" in page.text
    assert "Reactivate account" in page.text
    assert "Deactivate account" not in page.text


def test_reactivated_user_can_sign_in_again(
    app: Flask, admin_client: FlaskClient, worker: Account, accounts: Accounts, sign_in: SignIn
) -> None:
    accounts.update(worker, active=False)
    page_url = f"/admin/users/{worker.id}"
    response = post_action(admin_client, page_url, f"{page_url}/reactivate")
    assert response.status_code == 302
    assert get_user(app, worker.id).active
    assert "Wendy Worker can sign in again" in banners(admin_client.get(page_url).text)
    client = sign_in(app.test_client(), WORKER_EMAIL)
    assert client.get("/").status_code == 200


def test_resetting_two_factor_makes_them_set_it_up_again(
    app: Flask,
    admin_client: FlaskClient,
    worker: Account,
    worker_client: FlaskClient,
    accounts: Accounts,
) -> None:
    accounts.recovery_codes(worker)
    assert count(app, RecoveryCode) == 10
    page_url = f"/admin/users/{worker.id}"
    response = post_action(admin_client, page_url, f"{page_url}/reset-two-factor")
    assert response.status_code == 302
    user = get_user(app, worker.id)
    assert user.totp_secret_encrypted is None
    assert user.mfa_enrolled_at is None
    assert count(app, RecoveryCode) == 0
    assert signed_out(worker_client)
    assert "two-factor authentication has been reset" in " ".join(
        banners(admin_client.get(page_url).text)
    )
    again = password_sign_in(app.test_client(), WORKER_EMAIL)
    assert again.status_code == 302
    assert again.location == "/sign-in/set-up-two-factor"


def test_password_reset_link_works_once(
    app: Flask, admin_client: FlaskClient, worker: Account, worker_client: FlaskClient
) -> None:
    page_url = f"/admin/users/{worker.id}"
    response = post_action(admin_client, page_url, f"{page_url}/reset-password")
    assert response.status_code == 302
    assert "An email with a link to set a new password" in admin_client.get(page_url).text
    link = mailed_path(app, WORKER_EMAIL)
    person = app.test_client()
    done = post_form(person, link, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert done.status_code == 302
    assert signed_out(worker_client)  # setting a password ends the account's other sessions
    assert SIGN_IN_REFUSED in password_sign_in(app.test_client(), WORKER_EMAIL).text
    assert (
        password_sign_in(app.test_client(), WORKER_EMAIL, NEW_PASSWORD).location
        == "/sign-in/security-code"
    )
    again = person.get(link)
    assert again.status_code == 404
    assert "expired or has already been used" in again.text


def test_a_new_account_link_retires_earlier_unused_ones(
    app: Flask, admin_client: FlaskClient, accounts: Accounts
) -> None:
    """Once a fresh link has been used, a leaked or mis-sent earlier link must not work."""
    created = post_form(
        admin_client,
        "/admin/users/new",
        {"display_name": "Nadia New", "email": "nadia@test.example", "organisation_id": "1"},
    )
    assert created.status_code == 302
    first_link = mailed_path(app, "nadia@test.example")
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == "nadia@test.example"))
    page_url = f"/admin/users/{user_id}"
    post_action(admin_client, page_url, f"{page_url}/reset-password")
    second_link = mailed_path(app, "nadia@test.example")
    assert second_link != first_link
    person = app.test_client()
    post_form(person, second_link, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert app.test_client().get(first_link).status_code == 404


def test_admin_cannot_deactivate_themselves(
    app: Flask, admin_client: FlaskClient, admin: Account
) -> None:
    page_url = f"/admin/users/{admin.id}"
    response = post_action(admin_client, page_url, f"{page_url}/deactivate")
    assert response.status_code == 302
    page = admin_client.get(page_url)
    assert page.status_code == 200  # still signed in
    assert "You cannot deactivate your own account" in banners(page.text)
    assert get_user(app, admin.id).active


@pytest.mark.parametrize("role", ["manager", "auditor", "none"])
def test_admin_cannot_remove_their_own_admin_role(
    app: Flask, admin_client: FlaskClient, admin: Account, role: str
) -> None:
    before = snapshot(app)
    response = post_form(
        admin_client,
        f"/admin/users/{admin.id}/edit",
        {"display_name": "Ada Admin", "organisation_id": "1", "global_role": role},
    )
    assert response.status_code == 200
    assert (
        field_error(response.text, "global_role") == "You cannot remove your own administrator role"
    )
    assert snapshot(app) == before
    assert admin_client.get("/admin/users").status_code == 200


def test_admin_renaming_themselves_stays_signed_in(
    app: Flask, admin_client: FlaskClient, admin: Account
) -> None:
    """Only a new role or organisation ends sessions, and never the editing admin's own."""
    response = post_form(
        admin_client,
        f"/admin/users/{admin.id}/edit",
        {"display_name": "Ada Renamed", "organisation_id": "1", "global_role": "admin"},
    )
    assert response.status_code == 302
    assert get_user(app, admin.id).display_name == "Ada Renamed"
    page = admin_client.get(f"/admin/users/{admin.id}")
    assert page.status_code == 200
    assert "Ada Renamed’s account has been updated" in banners(page.text)


def test_renaming_a_user_keeps_them_signed_in(
    app: Flask, admin_client: FlaskClient, worker: Account, worker_client: FlaskClient
) -> None:
    response = post_form(
        admin_client,
        f"/admin/users/{worker.id}/edit",
        {"display_name": "Wendy Renamed", "organisation_id": "1", "global_role": "none"},
    )
    assert response.status_code == 302
    assert get_user(app, worker.id).display_name == "Wendy Renamed"
    assert worker_client.get("/").status_code == 200


def test_admin_moving_themselves_keeps_this_session_but_ends_their_others(
    app: Flask, admin_client: FlaskClient, admin: Account, accounts: Accounts, sign_in: SignIn
) -> None:
    elsewhere = sign_in(app.test_client(), ADMIN_EMAIL)
    housing_id = accounts.organisation_id("Havering Homes")
    response = post_form(
        admin_client,
        f"/admin/users/{admin.id}/edit",
        {"display_name": "Ada Admin", "organisation_id": str(housing_id), "global_role": "admin"},
    )
    assert response.status_code == 302
    assert get_user(app, admin.id).organisation_id == housing_id
    assert admin_client.get("/admin/users").status_code == 200
    assert signed_out(elsewhere)


# Areas and panels --------------------------------------------------------------------------


def test_added_area_is_listed_and_a_duplicate_is_refused(
    app: Flask, admin_client: FlaskClient
) -> None:
    response = post_form(admin_client, "/admin/panels", {"name": "Newham"})
    assert response.status_code == 302
    page = admin_client.get("/admin/panels")
    assert "Newham has been added" in banners(page.text)
    assert "<li>Newham</li>" in page.text
    duplicate = post_form(admin_client, "/admin/panels", {"name": " Newham "})
    assert duplicate.status_code == 200
    assert field_error(duplicate.text, "name") == "An area with this name already exists"
    assert summary_errors(duplicate.text) == [("name", "An area with this name already exists")]
    blank = post_form(admin_client, "/admin/panels", {"name": ""})
    assert field_error(blank.text, "name") == "Enter the area’s name"
    assert count(app, Area) == 1


def test_area_form_errors_prefix_the_page_title(admin_client: FlaskClient) -> None:
    """GOV.UK pattern: a page showing errors starts its <title> with "Error:"."""
    blank = post_form(admin_client, "/admin/panels", {"name": ""})
    assert title(blank.text).startswith("Error:")


def test_added_panel_is_saved_and_shown(app: Flask, admin_client: FlaskClient) -> None:
    area_id = make_area(app)
    assert select_options(admin_client.get("/admin/panels/new").text, "area_id") == [
        "",
        str(area_id),
    ]
    response = post_form(
        admin_client,
        "/admin/panels/new",
        {
            "area_id": str(area_id),
            "panel_type": "marac",
            "name": " Newham MARAC ",
            "meeting_cadence": "four_weekly",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        panel = db.session.scalar(select(Panel))
        assert (panel.name, panel.area_id, panel.panel_type, panel.meeting_cadence) == (
            "Newham MARAC",
            area_id,
            PanelType.MARAC,
            MeetingCadence.FOUR_WEEKLY,
        )
        assert panel.active
    assert response.location == f"/admin/panels/{panel.id}"
    page = admin_client.get(response.location)
    assert "Newham MARAC has been added" in banners(page.text)
    assert "MARAC (high-risk domestic abuse)" in page.text
    assert "Every four weeks" in page.text
    listed = table_rows(admin_client.get("/admin/panels").text)[0][:4]
    assert listed == [
        "Newham MARAC",
        "MARAC (high-risk domestic abuse)",
        "Newham",
        "Every four weeks",
    ]


def test_new_panel_form_explains_each_missing_field(app: Flask, admin_client: FlaskClient) -> None:
    make_area(app)
    response = post_form(
        admin_client,
        "/admin/panels/new",
        {"area_id": "", "name": "", "meeting_cadence": ""},
    )
    assert response.status_code == 200
    assert title(response.text).startswith("Error: Add a panel")
    assert summary_errors(response.text) == [
        ("area_id", "Select the panel’s area"),
        ("panel_type", "Select the type of panel"),
        ("name", "Enter the panel’s name"),
        ("meeting_cadence", "Select how often the panel meets"),
    ]
    assert count(app, Panel) == 0


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"area_id": "999"}, "area_id", "Not a valid choice."),
        ({"panel_type": "book_club"}, "panel_type", "Not a valid choice."),
        ({"name": "x" * 161}, "name", "Panel name must be 160 characters or fewer"),
        ({"name": "   "}, "name", "Enter the panel’s name"),
        ({"meeting_cadence": "hourly"}, "meeting_cadence", "Not a valid choice."),
    ],
    ids=["unknown-area", "unknown-type", "long-name", "blank-name", "unknown-cadence"],
)
def test_invalid_panel_is_not_saved(
    app: Flask, admin_client: FlaskClient, change: dict[str, str], field: str, message: str
) -> None:
    area_id = make_area(app)
    data = {
        "area_id": str(area_id),
        "panel_type": "channel",
        "name": "Newham Channel",
        "meeting_cadence": "monthly",
    }
    response = post_form(admin_client, "/admin/panels/new", data | change)
    assert response.status_code == 200
    assert field_error(response.text, field) == message
    assert count(app, Panel) == 0


def test_duplicate_panel_name_is_refused_in_the_same_area_only(
    app: Flask, admin_client: FlaskClient
) -> None:
    newham = make_area(app, "Newham")
    havering = make_area(app, "Havering")
    make_panel(app, newham, "East MARAC")
    data = {"panel_type": "marac", "name": "East MARAC", "meeting_cadence": "monthly"}
    duplicate = post_form(admin_client, "/admin/panels/new", data | {"area_id": str(newham)})
    assert duplicate.status_code == 200
    assert field_error(duplicate.text, "name") == "This area already has a panel with this name"
    assert input_value(duplicate.text, "name") == "East MARAC"
    assert count(app, Panel) == 1
    elsewhere = post_form(admin_client, "/admin/panels/new", data | {"area_id": str(havering)})
    assert elsewhere.status_code == 302
    assert count(app, Panel) == 2


def test_editing_a_panel_changes_name_cadence_and_status_but_not_type_or_area(
    app: Flask, admin_client: FlaskClient
) -> None:
    newham = make_area(app, "Newham")
    havering = make_area(app, "Havering")
    panel_id = make_panel(app, newham, "Newham MARAC")
    url = f"/admin/panels/{panel_id}/edit"
    form = admin_client.get(url)
    assert 'name="area_id"' not in form.text
    assert 'name="panel_type"' not in form.text
    response = post_form(
        admin_client,
        url,
        {
            "name": "Newham MARAC (east)",
            "meeting_cadence": "fortnightly",
            # No "active": unticked. The fixed fields are forged onto the form and ignored.
            "area_id": str(havering),
            "panel_type": "channel",
        },
    )
    assert response.status_code == 302
    assert response.location == f"/admin/panels/{panel_id}"
    with app.app_context():
        panel = db.session.get(Panel, panel_id)
        assert panel.name == "Newham MARAC (east)"
        assert panel.meeting_cadence is MeetingCadence.FORTNIGHTLY
        assert not panel.active
        assert panel.area_id == newham
        assert panel.panel_type is PanelType.MARAC


def test_editing_a_panel_to_a_taken_name_is_refused(app: Flask, admin_client: FlaskClient) -> None:
    newham = make_area(app)
    make_panel(app, newham, "Newham MARAC")
    channel_id = make_panel(app, newham, "Newham Channel", PanelType.CHANNEL)
    response = post_form(
        admin_client,
        f"/admin/panels/{channel_id}/edit",
        {"name": "Newham MARAC", "meeting_cadence": "monthly", "active": "y"},
    )
    assert response.status_code == 200
    assert field_error(response.text, "name") == "This area already has a panel with this name"
    with app.app_context():
        assert db.session.get(Panel, channel_id).name == "Newham Channel"


def test_added_member_shows_on_the_panel_and_on_their_account_page(
    app: Flask, admin_client: FlaskClient, worker: Account, accounts: Accounts
) -> None:
    panel_id = make_panel(app, make_area(app))
    sign_panel_isp(app, panel_id, accounts.organisation_id())
    url = f"/admin/panels/{panel_id}"
    assert str(worker.id) in select_options(admin_client.get(url).text, "user_id")
    response = post_form(admin_client, url, {"user_id": str(worker.id), "role": "chair"})
    assert response.status_code == 302
    assert response.location == url
    with app.app_context():
        membership = db.session.scalar(select(PanelMembership))
        assert (membership.panel_id, membership.user_id, membership.role) == (
            panel_id,
            worker.id,
            PanelRole.CHAIR,
        )
    page = admin_client.get(url)
    assert "Wendy Worker has been added to Newham MARAC" in banners(page.text)
    assert ["Wendy Worker", "Test Police", "Chair", "Remove Wendy Worker"] in table_rows(page.text)
    # Someone already on the panel is not offered again.
    assert str(worker.id) not in select_options(page.text, "user_id")
    user_page = admin_client.get(f"/admin/users/{worker.id}")
    assert re.search(r"Chair, <a [^>]*>Newham MARAC</a>", user_page.text)


def test_deactivated_people_are_not_offered_as_members(
    app: Flask, admin_client: FlaskClient, worker: Account, accounts: Accounts
) -> None:
    panel_id = make_panel(app, make_area(app))
    accounts.update(worker, active=False)
    assert str(worker.id) not in select_options(
        admin_client.get(f"/admin/panels/{panel_id}").text, "user_id"
    )


def test_forged_request_to_add_an_existing_member_again_is_refused_with_a_message(
    app: Flask, admin_client: FlaskClient, worker: Account
) -> None:
    panel_id = make_panel(app, make_area(app))
    make_membership(app, panel_id, worker.id, PanelRole.CHAIR)
    before = snapshot(app)
    response = post_form(
        admin_client, f"/admin/panels/{panel_id}", {"user_id": str(worker.id), "role": "chair"}
    )
    assert response.status_code == 200
    assert title(response.text).startswith("Error:")
    [(target, message)] = summary_errors(response.text)
    assert target == "user_id"
    assert message
    assert field_error(response.text, "user_id") == message
    assert snapshot(app) == before


def test_forged_request_to_add_an_existing_member_says_why(
    app: Flask, admin_client: FlaskClient, worker: Account, accounts: Accounts
) -> None:
    """Not WTForms' generic "Not a valid choice.": the person is already on the panel."""
    panel_id = make_panel(app, make_area(app))
    sign_panel_isp(app, panel_id, accounts.organisation_id())
    make_membership(app, panel_id, worker.id)
    response = post_form(
        admin_client, f"/admin/panels/{panel_id}", {"user_id": str(worker.id), "role": "chair"}
    )
    assert field_error(response.text, "user_id") == (
        "Wendy Worker is already a member of this panel"
    )


def test_forged_request_to_add_an_unknown_person_is_refused_with_a_message(
    app: Flask, admin_client: FlaskClient
) -> None:
    panel_id = make_panel(app, make_area(app))
    response = post_form(
        admin_client, f"/admin/panels/{panel_id}", {"user_id": "999999", "role": "chair"}
    )
    assert response.status_code == 200
    assert field_error(response.text, "user_id")
    assert count(app, PanelMembership) == 0


def test_member_form_explains_missing_fields(app: Flask, admin_client: FlaskClient) -> None:
    panel_id = make_panel(app, make_area(app))
    response = post_form(admin_client, f"/admin/panels/{panel_id}", {"user_id": ""})
    assert response.status_code == 200
    assert summary_errors(response.text) == [
        ("user_id", "Select a person to add"),
        ("role", "Select the person’s role on this panel"),
    ]


def test_removing_a_member(app: Flask, admin_client: FlaskClient, worker: Account) -> None:
    panel_id = make_panel(app, make_area(app))
    membership_id = make_membership(app, panel_id, worker.id)
    page_url = f"/admin/panels/{panel_id}"
    remove_url = f"{page_url}/members/{membership_id}/remove"
    assert admin_client.get(remove_url).status_code == 405  # only a POST removes
    response = post_action(admin_client, page_url, remove_url)
    assert response.status_code == 302
    assert response.location == page_url
    assert count(app, PanelMembership) == 0
    page = admin_client.get(page_url)
    assert "Wendy Worker has been removed from the panel" in banners(page.text)
    assert "No members yet" in page.text
    assert str(worker.id) in select_options(page.text, "user_id")


def test_removing_a_member_through_another_panels_url_is_not_found(
    app: Flask, admin_client: FlaskClient, worker: Account
) -> None:
    area_id = make_area(app)
    marac = make_panel(app, area_id, "Newham MARAC")
    channel = make_panel(app, area_id, "Newham Channel", PanelType.CHANNEL)
    membership_id = make_membership(app, marac, worker.id)
    response = post_action(
        admin_client,
        f"/admin/panels/{channel}",
        f"/admin/panels/{channel}/members/{membership_id}/remove",
    )
    assert response.status_code == 404
    assert "Page not found" in response.text
    missing = post_action(
        admin_client, f"/admin/panels/{marac}", f"/admin/panels/{marac}/members/999999/remove"
    )
    assert missing.status_code == 404
    assert count(app, PanelMembership) == 1


# Who may open the admin pages --------------------------------------------------------------


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> Account:
    """Something at id 1 for every admin URL: the admin, their organisation, a panel, a member,
    the panel's ISP version and its signature."""
    admin = accounts.user(ADMIN_EMAIL, role=GlobalRole.ADMIN, name="Ada Admin")
    assert admin.id == 1
    panel_id = make_panel(app, make_area(app))
    assert panel_id == 1
    assert make_membership(app, panel_id, admin.id) == 1
    assert sign_panel_isp(app, panel_id, accounts.organisation_id()) == 1
    return admin


def test_the_parametrized_rules_are_the_apps_rules(app: Flask) -> None:
    """The rule lists below were read from a throwaway app; they must match the real one."""
    assert {str(rule) for rule in RULES} == {
        str(rule) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
    }
    assert len(ADMIN_RULES) >= 10
    # The areas a manager reports on are assigned on the reports' own admin page; the email
    # delivery log is the notifications' own.
    admin_blueprints = ("accounts", "panels", "reports", "notifications")
    assert all(rule.endpoint.split(".")[0] in admin_blueprints for rule in ADMIN_RULES)


@pytest.mark.parametrize(
    "role", [GlobalRole.MANAGER, GlobalRole.AUDITOR, None], ids=["manager", "auditor", "no-role"]
)
@pytest.mark.parametrize("rule", ADMIN_RULES, ids=str)
def test_admin_urls_refuse_everyone_but_admins(
    app: Flask,
    accounts: Accounts,
    sign_in: SignIn,
    world: Account,
    rule: Rule,
    role: GlobalRole | None,
) -> None:
    """GET is refused with 403; so is a POST with a valid CSRF token, which changes nothing."""
    accounts.user("someone@test.example", role=role)
    client = sign_in(app.test_client(), "someone@test.example")
    url = url_for_rule(rule)
    before = snapshot(app)
    if "GET" in rule.methods:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "You do not have permission to see this page" in response.text
    else:
        assert client.get(url).status_code == 405, url  # no GET at all, for anyone
    if "POST" in rule.methods:
        token = csrf_token(client.get("/").text)
        response = client.post(url, data={"csrf_token": token, **FORGED_FORM})
        assert response.status_code == 403, url
    assert snapshot(app) == before


@pytest.mark.parametrize("rule", [r for r in ADMIN_RULES if "GET" in r.methods], ids=str)
def test_admin_can_open_every_admin_page(
    app: Flask, client: FlaskClient, sign_in: SignIn, world: Account, rule: Rule
) -> None:
    sign_in(client, ADMIN_EMAIL)
    response = client.get(url_for_rule(rule))
    assert response.status_code == 200, rule.rule
    assert "Signed in as" in response.text


# Follow-ups from review ---------------------------------------------------------------------


def test_user_list_shows_numbered_page_links(app: Flask, admin_client: FlaskClient) -> None:
    with app.app_context():
        db.session.add_all(
            User(email=f"p{n:03d}@test.example", display_name=f"P {n:03d}", organisation_id=1)
            for n in range(120)
        )
        db.session.commit()
    page = admin_client.get("/admin/users?page=2").text
    numbers = re.findall(r'<li class="govuk-pagination__item[^"]*">\s*<a [^>]*page=(\d)"', page)
    assert numbers == ["1", "2", "3"]
    assert 'aria-current="page"' in page


def test_user_search_treats_wildcards_literally(
    admin_client: FlaskClient, accounts: Accounts
) -> None:
    accounts.user("under_score@test.example", name="Una Underscore")
    page = admin_client.get("/admin/users", query_string={"q": "_"})
    assert {row[0] for row in table_rows(page.text)} == {"Una Underscore"}
    assert table_rows(admin_client.get("/admin/users?q=%25").text) == []


def test_spaces_around_an_email_address_are_ignored(app: Flask, admin_client: FlaskClient) -> None:
    form = {"display_name": "Spacey", "email": "  spacey@test.example ", "organisation_id": "1"}
    response = post_form(admin_client, "/admin/users/new", {**form, "global_role": "none"})
    assert response.status_code == 302
    assert "/account/set-password/" in mailed_link(app, "spacey@test.example")
    with app.app_context():
        assert db.session.scalar(select(User.email).where(User.display_name == "Spacey")) == (
            "spacey@test.example"
        )


def test_admin_cannot_deactivate_their_own_organisation(
    app: Flask, admin_client: FlaskClient, admin: Account
) -> None:
    organisation_id = get_user(app, admin.id).organisation_id
    response = post_form(
        admin_client,
        f"/admin/organisations/{organisation_id}/edit",
        {"name": "Test Police", "agency_type": "police"},  # the active box left unticked
    )
    assert field_error(response.text, "active") == (
        "You cannot deactivate your own organisation: it would sign you out"
    )
    assert admin_client.get("/").status_code == 200


def test_people_of_inactive_organisations_are_not_offered_as_members(
    app: Flask, admin_client: FlaskClient, accounts: Accounts
) -> None:
    panel_id = make_panel(app, make_area(app))
    outsider = accounts.user("outsider@test.example", organisation="Closed Agency")
    with app.app_context():
        db.session.get(User, outsider.id).organisation.active = False
        db.session.commit()
    options = select_options(admin_client.get(f"/admin/panels/{panel_id}").text, "user_id")
    assert str(outsider.id) not in options


def test_an_over_long_user_search_is_explained_not_a_server_error(
    admin_client: FlaskClient,
) -> None:
    response = admin_client.get("/admin/users", query_string={"q": "\U0001f600" * 20_000})
    assert response.status_code == 200
    assert "Search for 100 characters or fewer" in response.text
    assert title(response.text).startswith("Error:")
    assert table_rows(response.text) == []


# Issue 26: sign-in rate limits kept apart by several server processes ---------------------------

SHARED_LIMITS = "Sign-in rate limits are not shared between server processes"


@pytest.mark.parametrize(
    ("environment", "workers", "warned"),
    [
        (Environment.PRODUCTION, 2, True),  # two gunicorn workers (SIGTTIN), each its own limits
        (Environment.PRODUCTION, 1, False),  # one worker: its limits are the only ones
        (Environment.PRODUCTION, None, True),  # not served through the hooks: cannot know
        (Environment.DEMO, None, True),
        (Environment.DEVELOPMENT, None, False),  # `flask run`: one process
        (Environment.TEST, 3, True),
    ],
)
def test_issue_26_the_admin_home_warns_when_rate_limits_are_not_shared(
    settings: Settings, environment: Environment, workers: int | None, warned: bool
) -> None:
    """Without REDIS_URL each worker keeps its own sign-in limits: the admin home says so, and
    what to do, when gunicorn's hooks report several workers, or when the count is unknown
    outside development."""
    configured = replace(
        settings,
        environment=environment,
        external_url="http://localhost",
        mail=MailSettings(smtp_url="smtp://localhost:25"),
    )
    app = create_app(configured)
    if workers is not None:  # as gunicorn does: the arbiter sets its count, then forks workers
        nworkers_changed(None, workers, None)
        worker = SimpleNamespace(
            wsgi=app, cfg=SimpleNamespace(workers=workers), log=logging.getLogger(__name__)
        )
        try:
            post_worker_init(worker)
        finally:
            gc.unfreeze()
    accounts = Accounts(app)
    accounts.user(ADMIN_EMAIL, role=GlobalRole.ADMIN)
    client = app.test_client()
    post_form(client, "/sign-in", {"email": ADMIN_EMAIL, "password": PASSWORD})
    signed_in = post_form(client, "/sign-in/security-code", {"code": accounts.code(ADMIN_EMAIL)})
    assert signed_in.status_code == 302
    page = html.unescape(client.get("/admin/").text)
    assert (SHARED_LIMITS in page) is warned
    assert ("Set REDIS_URL" in page) is warned
    if warned and workers:
        assert f"runs in {workers} server processes" in page
    # With REDIS_URL every process shares the limits: no warning, whatever the count.
    assert (
        shared_limits_warning(replace(configured, redis_url="redis://localhost/0"), workers) is None
    )
    with app.app_context():
        db.engine.dispose()
