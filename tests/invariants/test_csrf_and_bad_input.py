"""Forged, oversized and malformed requests: refused with a page, never a 500, never reflected."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.routing import Rule

from app.accounts.models import AgencyType
from app.accounts.models import GlobalRole
from app.accounts.models import Organisation
from app.accounts.models import TokenPurpose
from app.accounts.models import User
from app.accounts.tokens import issue_account_token
from app.database import db
from app.extensions import limiter
from cases.reports.models import ManagerArea
from panels.models import Area
from panels.models import IspAgreement
from panels.models import IspSignatory
from panels.models import Panel
from panels.types.common import MeetingCadence
from panels.types.common import PanelType
from tests.app.accounts.test_admin import FORGED_FORM
from tests.app.accounts.test_admin import WORKER_EMAIL
from tests.app.accounts.test_admin import count
from tests.app.accounts.test_admin import make_area
from tests.app.accounts.test_admin import make_membership
from tests.app.accounts.test_admin import make_panel
from tests.app.accounts.test_admin import snapshot
from tests.app.accounts.test_admin import table_rows
from tests.app.accounts.test_admin import title
from tests.conftest import ADMIN_EMAIL
from tests.conftest import PASSWORD
from tests.conftest import Account
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import csrf_token
from tests.conftest import post_form
from tests.referral_fixtures import sign_isp
from tests.routes import POST_RULES
from tests.routes import url_for_rule

CSRF_PAGE = "Your form could not be sent"
BOUNDARY = "test-boundary-7MA4YWxkTrZu0gW"


# CSRF --------------------------------------------------------------------------------------


@pytest.fixture
def target(app: Flask, accounts: Accounts, admin: Account) -> dict[str, str]:
    """URL arguments naming what a forged POST could hurt, and a live set-password token.

    The user is an ordinary worker on the panel; the admin is on no panel, so a forged
    "add member" for the admin would succeed if it were let through.
    """
    worker = accounts.user(WORKER_EMAIL, name="Wendy Worker")
    panel_id = make_panel(app, make_area(app))
    membership_id = make_membership(app, panel_id, worker.id)
    withdrawn_organisation = accounts.organisation_id("Withdrawn Housing", AgencyType.HOUSING)
    with app.app_context():
        user = db.session.get(User, worker.id)
        token = issue_account_token(user, TokenPurpose.RESET_PASSWORD)
        # R1: version 1 of the panel's ISP signed by the worker's (and admin's) organisation,
        # and a version 2 not signed yet, which the forged "add signatory" would sign.
        panel = db.session.get_one(Panel, panel_id)
        signed = sign_isp(panel, user.organisation_id)
        unsigned = IspAgreement(panel=panel, version="2", in_force_from=date(2029, 1, 1))
        db.session.add(unsigned)
        # An organisation that withdrew, which the forged "sign again" would bring back.
        withdrawn = IspSignatory(
            organisation_id=withdrawn_organisation,
            signed_on=date(2020, 1, 1),
            review_on=date(2099, 1, 1),
            withdrawn_on=date(2021, 1, 1),
        )
        signed.signatories.append(withdrawn)
        db.session.commit()
        organisation_id = user.organisation_id
        agreement_id, signatory_id = unsigned.id, signed.signatories[0].id
    return {
        "user_id": str(worker.id),
        "organisation_id": str(organisation_id),
        "panel_id": str(panel_id),
        "membership_id": str(membership_id),
        "agreement_id": str(agreement_id),
        "signatory_id": str(signatory_id),
        "withdrawn_signatory_id": str(withdrawn.id),
        "token": token,
    }


def test_every_form_endpoint_is_covered() -> None:
    endpoints = {rule.endpoint for rule in POST_RULES}
    assert {"auth.sign_in", "auth.sign_out", "accounts.change_user", "panels.remove_member"} <= (
        endpoints
    )


@pytest.mark.parametrize("rule", POST_RULES, ids=str)
def test_post_without_csrf_token_is_refused_and_changes_nothing(
    app: Flask,
    admin: Account,
    admin_client: FlaskClient,
    target: dict[str, str],
    rule: Rule,
) -> None:
    url = url_for_rule(rule, **target)
    before = snapshot(app)
    response = admin_client.post(url, data=FORGED_FORM | {"user_id": str(admin.id)})
    assert response.status_code == 400, url
    assert CSRF_PAGE in response.text
    assert title(response.text).startswith(CSRF_PAGE)
    assert snapshot(app) == before
    assert admin_client.get("/").status_code == 200  # and the admin is still signed in


@pytest.mark.parametrize("rule", [r for r in POST_RULES if r.rule.startswith("/admin")], ids=str)
def test_the_same_forged_post_with_a_token_would_change_something(
    app: Flask,
    accounts: Accounts,
    admin: Account,
    admin_client: FlaskClient,
    target: dict[str, str],
    rule: Rule,
) -> None:
    """Control for the test above: its payload is one that every admin form would act on."""
    if rule.endpoint == "panels.sign_isp_again":  # only a withdrawn organisation signs again
        target = target | {"signatory_id": target["withdrawn_signatory_id"]}
    if rule.endpoint.startswith("reports."):  # only a manager reports on areas
        target = target | _manager_with_an_area(app, accounts, rule.endpoint)
    url = url_for_rule(rule, **target)
    before = snapshot(app)
    token = csrf_token(admin_client.get("/").text)
    response = admin_client.post(
        url, data=FORGED_FORM | {"user_id": str(admin.id), "csrf_token": token}
    )
    assert response.status_code in (200, 302), url
    assert snapshot(app) != before, url


def _manager_with_an_area(app: Flask, accounts: Accounts, endpoint: str) -> dict[str, str]:
    """A manager, and the area the forged form names (FORGED_FORM's area_id, 1): already
    theirs when the form would remove it, not yet when it would add it."""
    manager = accounts.user("manager@test.example", role=GlobalRole.MANAGER)
    with app.app_context():
        area = db.session.get_one(Area, 1)
        if endpoint == "reports.remove_manager_area":
            db.session.add(ManagerArea(user_id=manager.id, area=area))
        db.session.commit()
    return {"user_id": str(manager.id), "area_id": "1"}


def test_post_with_a_wrong_csrf_token_is_refused(
    app: Flask, admin_client: FlaskClient, target: dict[str, str]
) -> None:
    """A token from another session (another browser) is no good either."""
    other = app.test_client()
    foreign_token = csrf_token(other.get("/sign-in").text)
    before = snapshot(app)
    for token in (foreign_token, "", "not-a-token"):
        response = admin_client.post(
            f"/admin/users/{target['user_id']}/deactivate", data={"csrf_token": token}
        )
        assert response.status_code == 400
        assert CSRF_PAGE in response.text
    assert snapshot(app) == before


# Oversized bodies --------------------------------------------------------------------------


def test_oversized_sign_in_is_refused_with_the_too_large_page(
    app: Flask, client: FlaskClient
) -> None:
    limit = app.config["SETTINGS"].max_content_length
    assert limit == 1024 * 1024
    token = csrf_token(client.get("/sign-in").text)
    response = client.post(
        "/sign-in",
        data={"csrf_token": token, "email": "someone@test.example", "password": "x" * limit},
    )
    assert response.status_code == 413
    assert "The information you sent is too large" in response.text


def test_oversized_upload_to_an_admin_form_is_refused_and_saves_nothing(
    app: Flask, admin_client: FlaskClient
) -> None:
    limit = app.config["SETTINGS"].max_content_length
    before = count(app, Organisation)
    token = csrf_token(admin_client.get("/admin/organisations/new").text)
    fields = {"csrf_token": token, "name": "Big Agency", "agency_type": "police"}
    # Built by hand: the test client would spool a body this size to a file it never closes.
    body = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    body += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="attachment"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    body += b"x" * limit + f"\r\n--{BOUNDARY}--\r\n".encode()
    response = admin_client.post(
        "/admin/organisations/new",
        data=body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )
    assert response.status_code == 413
    assert "The information you sent is too large" in response.text
    assert count(app, Organisation) == before


# Bad URLs ----------------------------------------------------------------------------------


def assert_not_found_page(response: Any) -> None:
    """The 404 page, inside the service's own layout."""
    assert response.status_code == 404
    page = response.text
    assert title(page) == "Page not found – Risk Panels"
    assert '<h1 class="govuk-heading-l">Page not found</h1>' in page
    assert "East London Community Safety Partnership" in page  # header
    assert "OFFICIAL-SENSITIVE" in page  # protective marking
    assert "Accessibility statement" in page  # footer
    assert "Traceback" not in page


@pytest.mark.parametrize(
    "url",
    [
        "/admin/users/999999",
        "/admin/users/999999/edit",
        "/admin/panels/999999",
        "/admin/panels/999999/edit",
        "/admin/organisations/999999/edit",
    ],
)
def test_unknown_ids_are_not_found(admin_client: FlaskClient, url: str) -> None:
    assert_not_found_page(admin_client.get(url))


@pytest.mark.parametrize(
    "url",
    [
        "/admin/users/999999/deactivate",
        "/admin/users/999999/reset-two-factor",
        "/admin/users/999999/reset-password",
        "/admin/panels/999999/members/1/remove",
        "/admin/panels/1/members/999999/remove",
    ],
)
def test_actions_on_unknown_ids_are_not_found(
    app: Flask, admin_client: FlaskClient, url: str
) -> None:
    make_panel(app, make_area(app))
    token = csrf_token(admin_client.get("/").text)
    assert_not_found_page(admin_client.post(url, data={"csrf_token": token}))


@pytest.mark.parametrize(
    "url",
    [
        "/admin/users/abc",
        "/admin/users/1.5",
        "/admin/users/-1",
        "/admin/users/0x1",
        "/admin/users/%201",
        "/admin/users/1/explode",
        "/admin/panels/abc",
        "/admin/panels/1abc/edit",
        "/admin/organisations/abc/edit",
        "/admin/organisations/%00/edit",
    ],
)
def test_non_integer_ids_are_not_found(admin_client: FlaskClient, url: str) -> None:
    assert_not_found_page(admin_client.get(url))


@pytest.mark.parametrize(
    "url",
    [
        "/admin/users/0",
        "/admin/users/2147483647",  # the largest id a PostgreSQL integer column holds
        "/admin/users/2147483648",
        "/admin/users/9223372036854775808",  # beyond SQLite's 64-bit integers
        "/admin/panels/99999999999999999999",
        "/admin/organisations/99999999999999999999/edit",
        "/admin/panels/1/members/99999999999999999999/remove",
    ],
)
def test_huge_ids_are_not_found(admin_client: FlaskClient, url: str) -> None:
    """A number no database id can take is a 404, not an overflow error from the driver."""
    if url.endswith("/remove"):
        token = csrf_token(admin_client.get("/").text)
        response = admin_client.post(url, data={"csrf_token": token})
    else:
        response = admin_client.get(url)
    assert_not_found_page(response)


@pytest.mark.parametrize("page", ["99999999999999999999", "-1", "0", "2.5", "nonsense"])
def test_nonsense_page_numbers_are_not_a_server_error(admin_client: FlaskClient, page: str) -> None:
    response = admin_client.get("/admin/users", query_string={"page": page})
    assert response.status_code == 200
    assert "Ada Admin" in response.text


@pytest.mark.parametrize(
    "url", ["/no-such-page", "/admin/no-such-page", "/admin/users/1/edit/more", "/.env"]
)
def test_unknown_paths_get_the_not_found_page(
    app: Flask, admin_client: FlaskClient, url: str
) -> None:
    signed_in = admin_client.get(url)
    assert_not_found_page(signed_in)
    assert "Signed in as" in signed_in.text
    assert_not_found_page(app.test_client().get(url))


# Garbage form values -----------------------------------------------------------------------

SCRIPT_PAYLOADS = [
    "<script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "'><script>alert(document.cookie)</script>",
    "</title><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "<SCRIPT>alert(1)</SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "javascript:alert(1)",
    "{{ 7 * 7 }}{% raw %}",
    "' OR '1'='1' --",
    "%(name)s %s %n",
    "\x00<script>alert(1)</script>",
]
UNESCAPED = ("<script>alert", "<img src=x onerror", "<svg onload")

_characters = st.characters(exclude_categories=("Cs",))  # surrogates cannot be sent as UTF-8
_text = st.text(_characters, max_size=120)
garbage = st.one_of(
    _text,
    st.sampled_from(SCRIPT_PAYLOADS),
    st.builds(lambda a, p, b: a + p + b, _text, st.sampled_from(SCRIPT_PAYLOADS), _text),
    st.builds(lambda a, b: a + "\x00" + b, _text, _text),
    st.builds(  # very long: up to 20,000 characters, well inside the body limit
        lambda unit, times: (unit * times)[:20_000],
        st.text(_characters, min_size=1, max_size=8),
        st.integers(min_value=30, max_value=5_000),
    ),
)
GARBAGE_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def assert_safe(response: Any, sent: dict[str, str], expected: tuple[int, ...]) -> None:
    """Never a server error, never an unescaped payload; `expected` unless a NUL byte was sent.

    A NUL byte may be refused outright (PostgreSQL cannot store one), so it is only held to < 500.
    """
    assert response.status_code < 500, response.status_code
    if not any("\x00" in value for value in sent.values()):
        assert response.status_code in expected, response.status_code
    body = response.get_data(as_text=True).lower()
    for fragment in UNESCAPED:
        assert fragment not in body


def choice_or_garbage(values: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(values), garbage)


@GARBAGE_SETTINGS
@given(email=garbage, password=garbage)
def test_sign_in_survives_garbage(
    app: Flask, client: FlaskClient, email: str, password: str
) -> None:
    with app.app_context():
        limiter.reset()  # exercise the form, not the throttle
    token = csrf_token(client.get("/sign-in").text)
    data = {"email": email, "password": password}
    response = client.post("/sign-in", data={"csrf_token": token, **data})
    assert_safe(response, data, expected=(200,))


@GARBAGE_SETTINGS
@given(name=garbage, agency_type=choice_or_garbage([t.value for t in AgencyType]))
def test_new_organisation_form_survives_garbage(
    admin_client: FlaskClient, name: str, agency_type: str
) -> None:
    token = csrf_token(admin_client.get("/admin/organisations/new").text)
    data = {"name": name, "agency_type": agency_type}
    response = admin_client.post("/admin/organisations/new", data={"csrf_token": token, **data})
    assert_safe(response, data, expected=(200, 302))
    if response.status_code == 302:
        assert_safe(admin_client.get(response.location), {}, expected=(200,))


@GARBAGE_SETTINGS
@given(
    display_name=garbage,
    email=st.one_of(garbage, st.emails()),
    organisation_id=choice_or_garbage(["1"]),
    global_role=choice_or_garbage(["none", *[r.value for r in GlobalRole]]),
)
def test_new_user_form_survives_garbage(
    admin_client: FlaskClient, display_name: str, email: str, organisation_id: str, global_role: str
) -> None:
    token = csrf_token(admin_client.get("/admin/users/new").text)
    data = {
        "display_name": display_name,
        "email": email,
        "organisation_id": organisation_id,
        "global_role": global_role,
    }
    response = admin_client.post("/admin/users/new", data={"csrf_token": token, **data})
    # The form again, or on to the new account's page (its link is emailed).
    assert_safe(response, data, expected=(200, 302))


@pytest.fixture
def area_id(app: Flask) -> int:
    return make_area(app)


@GARBAGE_SETTINGS
@given(
    area=st.one_of(st.just("area"), garbage),
    panel_type=choice_or_garbage([t.value for t in PanelType]),
    name=garbage,
    meeting_cadence=choice_or_garbage([c.value for c in MeetingCadence]),
)
def test_new_panel_form_survives_garbage(
    admin_client: FlaskClient,
    area_id: int,
    area: str,
    panel_type: str,
    name: str,
    meeting_cadence: str,
) -> None:
    token = csrf_token(admin_client.get("/admin/panels/new").text)
    data = {
        "area_id": str(area_id) if area == "area" else area,
        "panel_type": panel_type,
        "name": name,
        "meeting_cadence": meeting_cadence,
    }
    response = admin_client.post("/admin/panels/new", data={"csrf_token": token, **data})
    assert_safe(response, data, expected=(200, 302))
    if response.status_code == 302:
        assert_safe(admin_client.get(response.location), {}, expected=(200,))


@GARBAGE_SETTINGS
@given(query=garbage, page=st.one_of(garbage, st.integers(-5, 5).map(str)))
def test_user_search_survives_garbage(admin_client: FlaskClient, query: str, page: str) -> None:
    data = {"q": query, "page": page}
    response = admin_client.get("/admin/users", query_string=data)
    assert_safe(response, data, expected=(200,))


# Stored XSS --------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_script_in_an_organisation_name_is_shown_escaped(
    app: Flask, admin_client: FlaskClient, accounts: Accounts, sign_in: SignIn
) -> None:
    created = post_form(
        admin_client, "/admin/organisations/new", {"name": SCRIPT, "agency_type": "police"}
    )
    assert created.status_code == 302
    with app.app_context():
        organisation_id = db.session.scalar(
            select(Organisation.id).where(Organisation.name == SCRIPT)
        )
    assert organisation_id is not None  # stored as typed: escaping is the page's job
    person: Account = accounts.user("person@test.example", organisation=SCRIPT, name="Pat Person")
    panel_id = make_panel(app, make_area(app))
    make_membership(app, panel_id, person.id)

    pages = {
        "flash after adding": admin_client.get(created.location),
        "organisations list": admin_client.get("/admin/organisations"),
        "user's page": admin_client.get(f"/admin/users/{person.id}"),
        "users list": admin_client.get("/admin/users"),
        "edit user form": admin_client.get(f"/admin/users/{person.id}/edit"),
        "edit organisation form": admin_client.get(f"/admin/organisations/{organisation_id}/edit"),
        "panel members": admin_client.get(f"/admin/panels/{panel_id}"),
        "their own home page": sign_in(app.test_client(), "person@test.example").get("/"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert ESCAPED in response.text, name
        assert "<script>alert" not in response.text, name
    assert [SCRIPT, "Police", "1", "Active"] in table_rows(pages["organisations list"].text)


# The same bad input on PostgreSQL ----------------------------------------------------------


@pytest.fixture
def pg_admin_client(pg_app: Flask) -> FlaskClient:
    accounts = Accounts(pg_app)
    accounts.user(ADMIN_EMAIL, role=GlobalRole.ADMIN)
    client = pg_app.test_client()
    post_form(client, "/sign-in", {"email": ADMIN_EMAIL, "password": PASSWORD})
    signed_in = post_form(client, "/sign-in/security-code", {"code": accounts.code(ADMIN_EMAIL)})
    assert signed_in.location == "/"
    return client


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/admin/organisations/new", {"name": "Nul\x00Agency", "agency_type": "police"}),
        (
            "/admin/users/new",
            {"display_name": "Nul\x00Name", "email": "nul@test.example", "organisation_id": "1"},
        ),
        ("/admin/panels", {"name": "Nul\x00Area"}),
        ("/admin/users?q=nul%00", None),
        ("/admin/users/2147483648", None),
    ],
    ids=["organisation-name", "user-name", "area-name", "user-search", "id-beyond-int4"],
)
def test_bad_input_is_not_a_server_error_on_postgresql(
    pg_admin_client: FlaskClient, url: str, data: dict[str, str] | None
) -> None:
    """PostgreSQL refuses NUL bytes in text and ids beyond its 32-bit integer columns."""
    client = pg_admin_client
    response = client.get(url) if data is None else post_form(client, url, data)
    assert response.status_code < 500
