"""Fuzzing every form and query parameter from the route map (issue 26, "keep proving it").

The access matrix's world is crawled, as each kind of member, from the home page and from every
GET route of the route map filled with that member's objects; every form on every page reached
(its inputs, selects, textareas and date parts, parsed from the HTML) and every query string on
its links becomes a target, so a new form is fuzzed without anyone listing it. Hypothesis then
sends each target hostile values (empty, whitespace, huge, unicode, numbers as text, dates out
of range, other objects' ids, a NUL byte, the form's own choices) with a valid CSRF token, and
asserts:

- never a 5xx;
- never a partial save: a response that is not a success (a redirect, or one of the few pages
  that answer a success themselves) leaves every table as it was, row for row, apart from
  audit_events and server_sessions, which legitimately record refusals and sessions. A GET never
  changes anything either.

A success is put back (the database file is restored) so that each input meets the same world.
Every POST route must be reached by some form on some page (or be named in UNREACHED with a
reason), and every GET route whose view reads the query string must have its parameters found.

The figures (targets, routes and inputs tried) are printed at the end of the module's run
(`pytest -s`), for the lead to quote.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import shutil
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from app import create_app
from app.accounts.models import TokenPurpose
from app.accounts.models import User
from app.accounts.tokens import issue_account_token
from app.database import db
from app.database import uk_today
from app.extensions import limiter
from cases.break_glass.models import AlertKind
from cases.break_glass.models import BreakGlassGrant
from cases.break_glass.models import BreakGlassReason
from cases.break_glass.models import CaseAlert
from cases.models import Case
from cases.subject_access import services as subject_access
from cases.subject_access.models import Regime
from panels.models import IspAgreement
from panels.models import PanelMembership
from tests.conftest import PASSWORD
from tests.conftest import Accounts
from tests.conftest import csrf_token
from tests.conftest import make_settings
from tests.invariants.test_access_matrix import MEMBERS
from tests.invariants.test_access_matrix import ORGANISATIONS
from tests.invariants.test_access_matrix import World
from tests.invariants.test_access_matrix import _build
from tests.routes import RULES

# Tables that record refusals and sessions: they may change on any request.
UNWATCHED_TABLES = {"audit_events", "server_sessions", "alembic_version"}
# POSTs that answer a success with a page of their own rather than a redirect.
SUCCESS_PAGES = {
    "accounts.new_user",  # the new account's set-password link
    "accounts.reset_password",  # the reset link
    "auth.new_recovery_codes",  # the new codes, shown once
}
# POST routes no page offers a form for, with the reason.
UNREACHED: dict[str, str] = {
    "subject_access.disclosure": "needs an approved request whose requester is the alleged "
    "perpetrator of a withheld referral; its bad input is tested in tests/cases/subject_access",
    "meetings.interests": "its form is offered once someone is recorded as attending the "
    "meeting; its bad input is tested in tests/cases/meetings/test_attendance",
    "meetings.attendance": "its form is offered from the day of the meeting, and the world's "
    "meetings are to come; its bad input is tested in tests/cases/meetings/test_attendance",
    "meetings.withdraw_interest": "its button is offered once someone attending has declared "
    "an interest; its refusals are tested in tests/cases/meetings/test_attendance",
    "meetings.draft_minutes": "its form is offered from the day of the meeting, and the world's "
    "meetings are to come; its bad input is tested in tests/cases/meetings/test_minutes",
    "meetings.approve_minutes": "its button is offered to a chair who accepted the statement, "
    "once minutes are drafted; its refusals are tested in tests/cases/meetings/test_minutes",
}
# Members whose eyes the crawl looks through, and the objects their routes are filled with.
CRAWLERS = ("coordinator", "housing_rep", "youth_rep", "chair", "admin", "auditor")
ANONYMOUS = "anonymous"
# Half signed in: the password given, the security code (or its set-up) still to come.
PENDING = {"pending": "police_rep", "unenrolled": "unenrolled"}
UNENROLLED_EMAIL = "unenrolled@m.example"
PAGES_PER_ENDPOINT = 3  # pages visited per endpoint and member, so lists cannot run away
MAX_TEXT = 20_000

# Kept small for `make test`; FUZZ_EXAMPLES=200 (say) runs a longer fuzz by hand.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
POST_EXAMPLES = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
QUERY_EXAMPLES = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# The inputs of a page ------------------------------------------------------------------------


@dataclass
class Input:
    """One named input of a form; `options` are the values a select, radio or checkbox offers."""

    name: str
    kind: str  # text, textarea, select, radio, checkbox, hidden, date-part, ...
    value: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    method: str
    action: str
    inputs: list[Input] = field(default_factory=list)


class FormParser(HTMLParser):
    """The forms of a page (with their inputs in order) and the links on it."""

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: Input | None = None
        self._textarea: Input | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        elif tag == "form":
            self._form = Form(
                method=attributes.get("method", "get").upper(),
                action=attributes.get("action") or self.page_url,
            )
            self.forms.append(self._form)
        elif tag == "option" and self._select is not None:
            self._select.options.append(attributes.get("value", ""))
            if "selected" in attributes:
                self._select.value = attributes.get("value", "")
        elif self._form is None or not attributes.get("name"):
            return
        elif tag == "input":
            kind = attributes.get("type", "text")
            if kind in ("submit", "button", "image", "reset"):
                return
            name = attributes["name"]
            if kind in ("radio", "checkbox"):
                known = next(
                    (i for i in self._form.inputs if i.name == name and i.kind == kind), None
                )
                if known is None:
                    known = Input(name, kind)
                    self._form.inputs.append(known)
                known.options.append(attributes.get("value", "on"))
                if "checked" in attributes:
                    known.value = attributes.get("value", "on")
                return
            if "govuk-date-input__input" in attributes.get("class", ""):
                kind = "date-part"
            self._form.inputs.append(Input(name, kind, attributes.get("value", "")))
        elif tag == "select":
            self._select = Input(attributes["name"], "select")
            self._form.inputs.append(self._select)
        elif tag == "textarea":
            self._textarea = Input(attributes["name"], "textarea")
            self._form.inputs.append(self._textarea)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def parse(page_url: str, html: str) -> FormParser:
    parser = FormParser(page_url)
    parser.feed(html)
    return parser


# The world, its members and what they can reach ----------------------------------------------


@dataclass
class Target:
    """A form (or a page's query string) to fuzz: whose, found where, sent how and where."""

    member: str
    page: str  # the page the form is on: fetched afresh for each input, for its token
    method: str
    action: str
    endpoint: str
    inputs: list[Input]


@dataclass
class Fuzz:
    app: Flask
    world: World
    accounts: Accounts
    database: Path
    saved: Path
    clients: dict[str, FlaskClient]
    targets: dict[str, list[Target]]  # by endpoint
    query_targets: dict[str, list[Target]]
    ids: list[str]
    tried: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _password_step(app: Flask, member: str) -> FlaskClient:
    """A client that has given the password of `member` (a PENDING key) and nothing more."""
    email = UNENROLLED_EMAIL if PENDING[member] == "unenrolled" else MEMBERS[PENDING[member]].email
    with app.app_context():
        limiter.reset()
    client = app.test_client()
    token = csrf_token(client.get("/sign-in").text)
    response = client.post(
        "/sign-in", data={"csrf_token": token, "email": email, "password": PASSWORD}
    )
    assert response.status_code == 302, response.text[:300]
    return client


def _sign_in(app: Flask, accounts: Accounts, member: str) -> FlaskClient:
    if member in PENDING:
        return _password_step(app, member)
    if member == ANONYMOUS:
        return app.test_client()
    email = MEMBERS[member].email
    with app.app_context():
        limiter.reset()
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None
        user.totp_last_step = None
        db.session.commit()
    client = app.test_client()
    token = csrf_token(client.get("/sign-in").text)
    client.post("/sign-in", data={"csrf_token": token, "email": email, "password": PASSWORD})
    token = csrf_token(client.get("/sign-in/security-code").text)
    response = client.post(
        "/sign-in/security-code", data={"csrf_token": token, "code": accounts.code(email)}
    )
    assert response.status_code == 302, (member, response.text[:300])
    return client


def _extras(world: World) -> dict[str, str]:
    """Objects the matrix's world lacks that some forms need: a subject access request, an
    alert without a grant, a request for emergency access awaiting the coordinator's decision
    (its alert leads the crawl to the form), an unsigned ISP version, a set-password token."""
    with world.app.test_request_context():
        auditor = db.session.get_one(User, world.users["auditor"])
        request = subject_access.receive_request(
            actor=auditor,
            details=subject_access.RequestDetails(
                received_on=uk_today(),
                regime=Regime.UK_GDPR,
                requester_name="Synthetic Requester",
                requester_contact="01632 960001",
                identity_evidence="Synthetic passport seen",
                subject_given_names="Marisol",
                subject_family_name="Quennell",
                subject_date_of_birth=date(1990, 3, 9),
            ),
            today=uk_today(),
        )
        alert = CaseAlert(
            recipient_id=world.users["coordinator"],
            case_id=world.cases["listed"],
            kind=AlertKind.SUBJECT_ACCESS.value,
        )
        db.session.add(alert)
        unlisted = db.session.get_one(Case, world.cases["unlisted"])
        request_for_access = BreakGlassGrant(
            case=unlisted,
            data_key=unlisted.data_key,
            user=db.session.get_one(User, world.users["housing_rep"]),
            reason_code=BreakGlassReason.IMMEDIATE_RISK,
            approval_needed=True,
            reason="Synthetic emergency beyond the limits",
        )
        db.session.add(request_for_access)
        db.session.flush()
        db.session.add(
            CaseAlert(
                recipient_id=world.users["coordinator"],
                case_id=unlisted.id,
                grant_id=request_for_access.id,
                kind=AlertKind.BREAK_GLASS_APPROVAL.value,
            )
        )
        agreement = IspAgreement(
            panel_id=world.panels["home"], version="9", in_force_from=date(2090, 1, 1)
        )
        db.session.add(agreement)
        stranger = db.session.get_one(User, world.users["housing_rep"])
        token = issue_account_token(stranger, TokenPurpose.RESET_PASSWORD)
        db.session.commit()
        return {"request_id": str(request.id), "alert_id": str(alert.id), "token": token}


def _seed_urls(fuzz_world: World, extras: dict[str, str], member: str) -> list[str]:
    """Every GET route of the route map, filled with objects `member` may use."""
    w = fuzz_world
    common = {
        "panel_id": w.panels["home"],
        "meeting_id": w.meetings["m1"],
        "application_id": w.application,
        "grant_id": w.grant,
        "restriction_id": w.restriction,
        "request_id": extras["request_id"],
        "alert_id": extras["alert_id"],
        "token": extras["token"],
        "user_id": w.users["housing_rep"],
        "organisation_id": 1,
        "role": "victim",
        "section": "about",
    }
    variants: list[dict[str, Any]] = {
        "housing_rep": [
            {"referral_id": w.referrals["draft"], "case_id": w.cases["referred_by_housing"]},
        ],
        "youth_rep": [{"case_id": w.cases["unlisted"], "referral_id": w.referrals["unscreened"]}],
        "coordinator": [
            {"case_id": w.cases["listed"], "referral_id": w.referrals["unscreened"]},
            {
                "case_id": w.cases["restricted"],
                "referral_id": w.referrals["listed"],
                "action_id": w.actions["housing_action"],
            },
        ],
    }.get(member, [{"case_id": w.cases["listed"], "referral_id": w.referrals["listed"]}])
    urls = ["/"]
    for variant in variants:
        values = common | variant
        for rule in RULES:
            if "GET" not in (rule.methods or ()):
                continue
            if "action_id" in rule.arguments and "action_id" not in values:
                continue
            urls.append(_fill(rule, values))
    return urls


def _fill(rule: Rule, values: dict[str, Any]) -> str:
    from tests.routes import url_for_rule

    return url_for_rule(
        rule, **{name: str(value) for name, value in values.items() if name in rule.arguments}
    )


def _endpoint(app: Flask, url: str, method: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc or not parts.path.startswith("/"):
        return None
    try:
        endpoint, _ = app.url_map.bind("localhost").match(parts.path, method=method)
    except HTTPException:
        return None
    return str(endpoint)


def _crawl(app: Flask, client: FlaskClient, member: str, seeds: list[str]) -> list[Target]:
    """Breadth-first from the seeds, following links, at most PAGES_PER_ENDPOINT pages per
    endpoint; every form (and query string) met becomes a target."""
    queue = list(seeds)
    seen: set[str] = set()
    visited: dict[str, int] = defaultdict(int)
    found: dict[tuple[Any, ...], Target] = {}
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        endpoint = _endpoint(app, url, "GET")
        if endpoint is None or endpoint in ("static", "audit.export"):
            continue
        if visited[endpoint] >= PAGES_PER_ENDPOINT:
            continue
        visited[endpoint] += 1
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        page = parse(url, response.text)
        for form in page.forms:
            action = urlsplit(form.action)
            form_endpoint = _endpoint(app, action.path, form.method)
            if form_endpoint is None:
                continue
            names = tuple(sorted({i.name for i in form.inputs}))
            key = (form_endpoint, form.method, _shape(action.path), names)
            if key not in found:
                found[key] = Target(
                    member, url, form.method, action.path, form_endpoint, form.inputs
                )
        for link in page.links:
            parts = urlsplit(link)
            link_endpoint = _endpoint(app, parts.path, "GET")
            if link_endpoint is None:
                continue
            queue.append(link)
            if parts.query:
                names = tuple(sorted({name for name, _ in parse_qsl(parts.query)}))
                key = (link_endpoint, "GET", _shape(parts.path), names)
                if key not in found:
                    inputs = [
                        Input(name, "query", value)
                        for name, value in parse_qsl(parts.query, keep_blank_values=True)
                    ]
                    found[key] = Target(member, url, "GET", parts.path, link_endpoint, inputs)
    return list(found.values())


def _shape(path: str) -> str:
    """A path with its numbers taken out: one target per kind of form, not per object."""
    return "/".join("#" if part.isdigit() else part for part in path.split("/"))


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[Fuzz]:
    directory = tmp_path_factory.mktemp("fuzz")
    database = directory / "test.db"
    shutil.copy(migrated_sqlite, database)
    app = create_app(make_settings(directory))
    accounts = Accounts(app)
    for name, agency in ORGANISATIONS.items():
        accounts.organisation_id(name, agency)
    users = {
        key: accounts.user(m.email, organisation=m.organisation, role=m.global_role, name=key).id
        for key, m in MEMBERS.items()
    }
    with app.test_request_context():
        world = _build(users)
        db.session.commit()
    world.app = app
    extras = _extras(world)
    accounts.user(UNENROLLED_EMAIL, organisation="Police", enrolled=False, name="unenrolled")
    clients = {
        member: _sign_in(app, accounts, member) for member in (*CRAWLERS, ANONYMOUS, *PENDING)
    }
    pending_seeds = ["/sign-in/security-code", "/sign-in/recovery-code"]
    seeds_of = {
        ANONYMOUS: ["/sign-in", f"/account/set-password/{extras['token']}"],
        "pending": pending_seeds,
        "unenrolled": ["/sign-in/set-up-two-factor"],
    }
    targets: dict[str, list[Target]] = defaultdict(list)
    query_targets: dict[str, list[Target]] = defaultdict(list)
    for member, client in clients.items():
        seeds = seeds_of.get(member) or _seed_urls(world, extras, member)
        for target in _crawl(app, client, member, seeds):
            if target.method == "POST":
                targets[target.endpoint].append(target)
            else:
                query_targets[target.endpoint].append(target)
    with app.app_context():
        ids = sorted(
            {str(i) for i in (*users.values(), *world.cases.values(), *world.referrals.values())}
            | {str(m.id) for m in db.session.scalars(select(PanelMembership))}
        )
        db.engine.dispose()
    saved = directory / "saved.db"
    _copy(database, saved)
    fuzz = Fuzz(app, world, accounts, database, saved, clients, targets, query_targets, ids)
    yield fuzz
    routes = len(fuzz.tried)
    inputs = sum(fuzz.tried.values())
    forms = sum(len(t) for t in targets.values()) + sum(len(t) for t in query_targets.values())
    print(f"\nfuzzing: {forms} forms and query strings, {routes} routes, {inputs} inputs tried")
    with app.app_context():
        db.engine.dispose()


def _copy(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(target)) as copy:
        origin.backup(copy)


def _restore(fuzz: Fuzz) -> None:
    with fuzz.app.app_context():
        db.engine.dispose()
    _copy(fuzz.saved, fuzz.database)


def _state(database: Path) -> dict[str, tuple[int, str]]:
    """Each watched table's row count and a digest of its rows."""
    with closing(sqlite3.connect(database)) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
            if name not in UNWATCHED_TABLES
        ]
        state = {}
        for table in tables:
            rows = connection.execute(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall()  # noqa: S608
            state[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
        return state


def _changed(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    return sorted(table for table in after if before.get(table) != after[table])


# Hostile values --------------------------------------------------------------------------------

_characters = st.characters(exclude_categories=("Cs",))  # surrogates cannot be sent as UTF-8
WHITESPACE = [" ", "\t", "\n", "\r\n", "   \t ", "\u00a0", "\u2003", "\u200b", "\u3000"]
NUMBERS = [
    "0",
    "-1",
    "1.5",
    "1e308",
    "NaN",
    "inf",
    "-0",
    "2147483648",
    "99999999999999999999",
    "１２",  # full-width digits
    "٣",  # an Arabic-Indic digit
    "0x10",
    "1_000",
    " 7 ",
]
DATE_PARTS = [
    "0",
    "32",
    "13",
    "-1",
    "00",
    "1899",
    "1900",
    "0001",
    "9999",
    "99999",
    "2024",
    "29",
    "2",
]


def _hostile(ids: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(""),
        st.sampled_from(WHITESPACE),
        st.sampled_from(NUMBERS),
        st.sampled_from(DATE_PARTS),
        st.sampled_from([*ids, "987654"]),
        st.text(_characters, max_size=60),
        st.builds(  # huge: up to 20,000 characters, well inside the body limit
            lambda unit, times: (unit * times)[:MAX_TEXT],
            st.text(_characters, min_size=1, max_size=6),
            st.integers(min_value=100, max_value=5_000),
        ),
        st.builds(lambda a, b: a + "\x00" + b, st.text(max_size=5), st.text(max_size=5)),
        st.sampled_from(["<script>alert(1)</script>", "' OR 1=1 --", "{{7*7}}", "%s%n", "😀" * 50]),
    )


def _value(draw: Any, item: Input, ids: list[str]) -> list[str]:
    """Zero, one or two values for an input: mostly one of its own, or a hostile one."""
    own = [item.value, *item.options] if item.kind != "query" else [item.value]
    how = draw(st.sampled_from(["own", "own", "hostile", "hostile", "hostile", "missing", "twice"]))
    if how == "missing":
        return []
    if how == "own":
        return [draw(st.sampled_from(own))]
    value = draw(_hostile(ids))
    return [value, draw(_hostile(ids))] if how == "twice" else [value]


def _fresh_form(target: Target, html: str) -> Form | None:
    """The target's form as drawn now (its token and hidden version as they are now)."""
    for form in parse(target.page, html).forms:
        if urlsplit(form.action).path == target.action and form.method == target.method:
            return form
    return None


def _client(fuzz: Fuzz, member: str) -> FlaskClient:
    return fuzz.clients[member]


def _page(fuzz: Fuzz, target: Target) -> Any:
    """The target's page, signing its member in again if an earlier input signed them out."""
    response = _client(fuzz, target.member).get(target.page)
    if response.status_code == 302:
        fuzz.clients[target.member] = _sign_in(fuzz.app, fuzz.accounts, target.member)
        response = _client(fuzz, target.member).get(target.page)
    return response


def _send(fuzz: Fuzz, target: Target, draw: Any) -> None:
    with fuzz.app.app_context():
        limiter.reset()  # exercise the forms, not the throttles
    page = _page(fuzz, target)
    assert page.status_code == 200, (target.page, page.status_code)
    data: MultiDict[str, str] = MultiDict()
    if target.method == "POST":
        form = _fresh_form(target, page.text)
        assert form is not None, f"the form for {target.action} is gone from {target.page}"
        inputs = form.inputs
    else:
        inputs = target.inputs
    for item in inputs:
        if item.name == "csrf_token":
            data.add(item.name, item.value)
            continue
        for value in _value(draw, item, fuzz.ids):
            data.add(item.name, value)
    fuzz.tried[target.endpoint] += 1
    before = _state(fuzz.database)
    client = _client(fuzz, target.member)
    if target.method == "POST":
        response = client.post(target.action, data=data)
    else:
        response = client.get(target.action, query_string=data)
    sent = {key: [v[:80] for v in data.getlist(key)] for key in data if key != "csrf_token"}
    assert response.status_code < 500, (target.action, response.status_code, sent)
    success = target.method == "POST" and (
        300 <= response.status_code < 400
        or (response.status_code == 200 and target.endpoint in SUCCESS_PAGES)
    )
    changed = _changed(before, _state(fuzz.database))
    if success:
        if changed:
            _restore(fuzz)
    else:
        assert changed == [], (target.action, response.status_code, changed, sent)


# The tests -------------------------------------------------------------------------------------

POST_ENDPOINTS = sorted({rule.endpoint for rule in RULES if "POST" in (rule.methods or ())})


def _reads_query(rule: Rule) -> bool:
    """Whether the view reads the query string (itself or through the page argument)."""
    view = _view_functions()[rule.endpoint]
    source = inspect.getsource(inspect.unwrap(view))
    return "request.args" in source or "page_argument(" in source


def _view_functions() -> dict[str, Any]:
    import tempfile

    global _VIEWS
    if _VIEWS is None:
        with tempfile.TemporaryDirectory() as directory:
            _VIEWS = dict(create_app(make_settings(Path(directory))).view_functions)
    return _VIEWS


_VIEWS: dict[str, Any] | None = None
QUERY_ENDPOINTS = sorted(
    {rule.endpoint for rule in RULES if "GET" in (rule.methods or ()) and _reads_query(rule)}
)


def test_every_post_route_is_reached_by_a_form(fuzz: Fuzz) -> None:
    """A POST route no page offers a form for would be fuzzed by nobody: name it in UNREACHED."""
    unreached = [e for e in POST_ENDPOINTS if not fuzz.targets.get(e) and e not in UNREACHED]
    assert unreached == [], ", ".join(unreached)


def test_every_route_reading_the_query_string_has_its_parameters_found(fuzz: Fuzz) -> None:
    assert [e for e in QUERY_ENDPOINTS if not fuzz.query_targets.get(e)] == []


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_fuzzed_forms_never_fail_or_half_save(fuzz: Fuzz, endpoint: str) -> None:
    targets = fuzz.targets.get(endpoint, [])
    if not targets:
        pytest.skip(UNREACHED.get(endpoint, "no form reaches this route"))

    @POST_EXAMPLES
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(targets))
        _send(fuzz, target, data.draw)

    run()


@pytest.mark.parametrize("endpoint", QUERY_ENDPOINTS)
def test_fuzzed_query_strings_never_fail_or_change_anything(fuzz: Fuzz, endpoint: str) -> None:
    targets = fuzz.query_targets.get(endpoint, [])
    assert targets, endpoint

    @QUERY_EXAMPLES
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(targets))
        _send(fuzz, target, data.draw)

    run()


def test_the_crawl_finds_forms_on_many_routes(fuzz: Fuzz) -> None:
    """A floor, so a broken crawl that finds nothing cannot pass quietly."""
    assert len(fuzz.targets) >= 30
    assert len(fuzz.query_targets) >= 5
