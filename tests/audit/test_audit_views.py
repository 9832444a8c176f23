"""The auditor's view of the audit trail: filters, keyset pages, CSV export, and who may see it."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy import select

import audit
from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.database import db
from app.template_filters import UK
from audit import queries
from audit.models import AuditAction
from audit.models import AuditEvent
from audit.models import Outcome
from cases import services as case_services
from panels.types.common import PanelType
from tests import referral_fixtures
from tests.conftest import PASSWORD
from tests.conftest import Account
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import post_form

AUDITOR_EMAIL = "auditor@test.example"
AUDITOR_AGENCY = "Audit Office"
SEQUENCE_CELL = re.compile(
    r'<tr class="govuk-table__row">\s*<td class="govuk-table__cell">(\d+)</td>'
)
NEXT_LINK = re.compile(r'<a class="govuk-link govuk-pagination__link" href="([^"]+)" rel="next">')


@pytest.fixture
def auditor(accounts: Accounts) -> Account:
    return accounts.user(
        AUDITOR_EMAIL, role=GlobalRole.AUDITOR, organisation=AUDITOR_AGENCY, name="Ann Auditor"
    )


@pytest.fixture
def auditor_client(client: FlaskClient, auditor: Account, sign_in: SignIn) -> FlaskClient:
    return sign_in(client, AUDITOR_EMAIL)


def record(
    app: Flask,
    action: AuditAction = AuditAction.USER_UPDATED,
    *,
    actor: Account | None = None,
    at: datetime | None = None,
    **details: Any,
) -> int:
    """Append one event (at a chosen time, if given) and return its sequence number."""
    with app.app_context():
        user = db.session.get(User, actor.id) if actor else None
        if at is None:
            event = audit.record(actor=user, action=action, **details)
        else:
            with time_machine.travel(at, tick=False):
                event = audit.record(actor=user, action=action, **details)
        sequence = event.sequence
        db.session.commit()
        return sequence


def record_many(app: Flask, count: int, object_type: str = "recovery_codes") -> list[int]:
    with app.app_context():
        sequences = [
            audit.record(
                actor=None, action=AuditAction.USER_UPDATED, object=(object_type, n)
            ).sequence
            for n in range(count)
        ]
        db.session.commit()
        return sequences


def events_of(app: Flask, action: AuditAction) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        db.session.expunge_all()
        return list(rows)


def shown(page: str) -> list[int]:
    """The sequence numbers in the events table, in order."""
    return [int(number) for number in SEQUENCE_CELL.findall(page)]


def next_link(page: str) -> str | None:
    match = NEXT_LINK.search(page)
    return html.unescape(match.group(1)) if match else None


def date_args(name: str, day: str, month: str, year: str) -> list[tuple[str, str]]:
    return [(name, day), (name, month), (name, year)]


def csv_rows(body: bytes) -> list[list[str]]:
    """The rows after the protective marking line (R10), which every export starts with."""
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    marking, *rows = csv.reader(io.StringIO(text[1:]))
    assert marking[0] == "OFFICIAL-SENSITIVE"
    return rows


# Seeing the trail -----------------------------------------------------------------------------


def test_the_auditor_sees_events_with_names_labels_and_readable_changes(
    app: Flask, accounts: Accounts, auditor_client: FlaskClient
) -> None:
    admin = accounts.user("admin@test.example", role=GlobalRole.ADMIN, name="Ada Admin")
    sequence = record(
        app,
        AuditAction.USER_UPDATED,
        actor=admin,
        object=("users", 5),
        purpose="Annual review",
        changes={"display_name": ["Old Name", "New Name"], "password_hash": "changed"},
    )
    page = auditor_client.get("/audit/")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert sequence in shown(page.text)
    for expected in (
        "Ada Admin",
        "Test Police",
        "Admin: user updated",
        "users 5",
        "Annual review",
        "display_name: Old Name → New Name",
        "password_hash: changed",
        "Export these events (CSV)",
    ):
        assert expected in text, expected
    assert 'href="/audit/"' in page.text  # the navigation entry


def test_the_page_shows_search_records_as_filters_not_results(
    app: Flask, auditor_client: FlaskClient
) -> None:
    auditor_client.get("/audit/?action=admin:user_created")
    text = html.unescape(auditor_client.get("/audit/").text)
    assert "Audit trail: log viewed" in text
    assert "filters: action admin:user_created" in text


# Filters ------------------------------------------------------------------------------------


@pytest.fixture
def scenario(app: Flask, accounts: Accounts, auditor: Account) -> dict[str, Any]:
    """Four events that differ in user, agency, action, object and outcome.

    Creating the accounts records events of its own; `start` is the first of the four.
    """
    alice = accounts.user("alice@test.example", name="Alice", organisation="Test Police")
    bob = accounts.user("bob@test.example", name="Bob", organisation="Havering Council")
    with app.app_context():
        havering = db.session.get(User, bob.id).organisation_id
    return {
        "alice": alice,
        "havering": havering,
        "start": record(app, object=("marker", 0)) + 1,
        "user_created": record(app, AuditAction.USER_CREATED, actor=alice, object=("users", 5)),
        "panel_created": record(app, AuditAction.PANEL_CREATED, actor=bob, object=("panels", 5)),
        "failed": record(
            app, AuditAction.SIGN_IN_FAILED, object=("users", 7), outcome=Outcome.FAILURE
        ),
        "denied": record(
            app,
            AuditAction.ACCESS_DENIED,
            actor=alice,
            object=("endpoint", "accounts.users"),
            outcome=Outcome.DENIED,
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (lambda s: {"user": s["alice"].id}, ["denied", "user_created"]),
        (lambda s: {"agency": s["havering"]}, ["panel_created"]),
        (lambda s: {"action": AuditAction.PANEL_CREATED.value}, ["panel_created"]),
        (lambda s: {"object_type": "users", "object_id": "5"}, ["user_created"]),
        (lambda s: {"object_type": "users"}, ["failed", "user_created"]),
        (lambda s: {"outcome": "failure"}, ["failed"]),
        (lambda s: {"outcome": "denied"}, ["denied"]),
        (lambda s: {"user": s["alice"].id, "outcome": "success"}, ["user_created"]),
    ],
    ids=["user", "agency", "action", "object", "object-type", "failure", "denied", "combined"],
)
def test_each_filter_narrows_the_events(
    auditor_client: FlaskClient, scenario: dict[str, Any], query: Any, expected: list[str]
) -> None:
    page = auditor_client.get("/audit/", query_string=query(scenario))
    assert page.status_code == 200
    wanted = sorted((scenario[name] for name in expected), reverse=True)
    assert [number for number in shown(page.text) if number >= scenario["start"]] == wanted


def test_no_match_says_so(auditor_client: FlaskClient, scenario: dict[str, Any]) -> None:
    page = auditor_client.get("/audit/?object_type=account_tokens")
    assert shown(page.text) == []
    assert "No events match your filters." in page.text


SPRING_FORWARD = [  # clocks go forward at 01:00 UTC on 29 March 2026
    ("28 March, 23:59:59 GMT", datetime(2026, 3, 28, 23, 59, 59, tzinfo=UTC), "28"),
    ("29 March, 00:00 GMT", datetime(2026, 3, 29, 0, 0, tzinfo=UTC), "29"),
    ("29 March, 23:59:59 BST", datetime(2026, 3, 29, 22, 59, 59, tzinfo=UTC), "29"),
    ("30 March, 00:00 BST", datetime(2026, 3, 29, 23, 0, tzinfo=UTC), "30"),
]
FALL_BACK = [  # clocks go back at 01:00 UTC on 25 October 2026
    ("24 October, 23:59:59 BST", datetime(2026, 10, 24, 22, 59, 59, tzinfo=UTC), "24"),
    ("25 October, 00:00 BST", datetime(2026, 10, 24, 23, 0, tzinfo=UTC), "25"),
    ("25 October, 23:59:59 GMT", datetime(2026, 10, 25, 23, 59, 59, tzinfo=UTC), "25"),
    ("26 October, 00:00 GMT", datetime(2026, 10, 26, 0, 0, tzinfo=UTC), "26"),
]


@pytest.mark.parametrize(("moments", "month"), [(SPRING_FORWARD, "3"), (FALL_BACK, "10")])
def test_dates_are_whole_uk_days_across_clock_changes(
    app: Flask,
    auditor_client: FlaskClient,
    moments: list[tuple[str, datetime, str]],
    month: str,
) -> None:
    recorded = [
        (record(app, object=("areas", label), at=moment), day) for label, moment, day in moments
    ]
    for day in sorted({day for _, day in recorded}):
        query = [
            ("object_type", "areas"),
            *date_args("date_from", day, month, "2026"),
            *date_args("date_to", day, month, "2026"),
        ]
        wanted = sorted((sequence for sequence, d in recorded if d == day), reverse=True)
        assert shown(auditor_client.get("/audit/", query_string=query).text) == wanted, day
    first, last = recorded[0][1], recorded[-1][1]
    whole_range = [
        ("object_type", "areas"),
        *date_args("date_from", first, month, "2026"),
        *date_args("date_to", last, month, "2026"),
    ]
    everything = sorted((sequence for sequence, _ in recorded), reverse=True)
    assert shown(auditor_client.get("/audit/", query_string=whole_range).text) == everything


def test_one_open_ended_date_is_enough(app: Flask, auditor_client: FlaskClient) -> None:
    early = record(app, object=("areas", 1), at=datetime(2026, 1, 10, 12, tzinfo=UTC))
    late = record(app, object=("areas", 2), at=datetime(2026, 6, 10, 12, tzinfo=UTC))
    since = [("object_type", "areas"), *date_args("date_from", "1", "6", "2026")]
    until = [("object_type", "areas"), *date_args("date_to", "31", "5", "2026")]
    assert shown(auditor_client.get("/audit/", query_string=since).text) == [late]
    assert shown(auditor_client.get("/audit/", query_string=until).text) == [early]


def test_the_widest_dates_are_not_an_error(app: Flask, auditor_client: FlaskClient) -> None:
    sequence = record(app, object=("areas", 1))
    query = [
        ("object_type", "areas"),
        *date_args("date_from", "1", "1", "1000"),
        *date_args("date_to", "31", "12", "9999"),
    ]
    assert shown(auditor_client.get("/audit/", query_string=query).text) == [sequence]
    export = auditor_client.get("/audit/export.csv", query_string=query)
    assert [int(row[0]) for row in csv_rows(export.data)[1:]] == [sequence]


# Invalid filters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (date_args("date_from", "31", "2", "2026"), "Date from must be a real date"),
        (date_args("date_from", "x", "2", "2026"), "Date from must be a real date"),
        (date_args("date_from", "1", "13", "2026"), "Date from must be a real date"),
        (date_args("date_to", "", "2", "2026"), "Date to must include a day"),
        (date_args("date_to", "1", "", ""), "Date to must include a month and year"),
        (date_args("date_from", "1", "2", "26"), "Year must include 4 numbers"),
        (
            date_args("date_from", "2", "3", "2026") + date_args("date_to", "1", "3", "2026"),
            "Date to must be the same as or after date from",
        ),
        ([("date_from", "1")], "Date from must include a month and year"),
        ([("date_from", "1")] * 4, "Date from must be a real date"),
        ([("user", "abc")], "Select a user from the list"),
        ([("agency", "999")], "Select an agency from the list"),
        ([("action", "admin:everything")], "Select an action from the list"),
        ([("outcome", "maybe")], "Select an outcome from the list"),
        ([("object_id", "5")], "Enter an object type to search by object ID"),
        ([("object_type", "Jane Smith")], "Select an object type from the list"),
        (
            [("object_type", "users"), ("object_id", "12 Acacia Avenue")],
            "Object ID can only contain letters, numbers, dots, colons, hyphens and underscores",
        ),
    ],
)
def test_invalid_filters_show_messages_and_no_results(
    app: Flask, auditor_client: FlaskClient, query: list[tuple[str, str]], message: str
) -> None:
    record(app)
    page = auditor_client.get("/audit/", query_string=query)
    assert page.status_code == 200
    assert "There is a problem" in page.text
    assert page.text.count(message) == 2  # in the error summary and next to the field
    assert page.text.startswith("<!DOCTYPE html>")
    assert "<title>Error: " in page.text
    assert "govuk-table" not in page.text
    assert "Export these events" not in page.text
    assert events_of(app, AuditAction.AUDIT_LOG_VIEWED) == []


@pytest.mark.parametrize(
    ("query", "target"),
    [
        (date_args("date_from", "31", "2", "2026"), "date_from-day"),
        (date_args("date_to", "1", "", "2026"), "date_to-month"),
        ([("date_from", "1")], "date_from-month"),
        ([("object_id", "5")], "object_id"),
    ],
)
def test_error_messages_link_to_the_input_to_correct(
    auditor_client: FlaskClient, query: list[tuple[str, str]], target: str
) -> None:
    page = auditor_client.get("/audit/", query_string=query).text
    assert f'<a href="#{target}">' in page
    assert f'id="{target}"' in page


def test_an_invalid_export_goes_back_to_the_messages(
    app: Flask, auditor_client: FlaskClient
) -> None:
    query = date_args("date_from", "31", "2", "2026")
    response = auditor_client.get("/audit/export.csv", query_string=query)
    assert response.status_code == 302
    page = auditor_client.get(response.location)
    assert "Date from must be a real date" in page.text
    assert events_of(app, AuditAction.AUDIT_LOG_EXPORTED) == []


@pytest.mark.parametrize("before", ["abc", "-5", "0", "99999999999999999999999"])
def test_a_nonsense_page_argument_shows_the_newest_events(
    app: Flask, auditor_client: FlaskClient, before: str
) -> None:
    newest = record(app, object=("recovery_codes", 1))
    page = auditor_client.get(f"/audit/?object_type=recovery_codes&before={before}")
    assert page.status_code == 200
    assert shown(page.text) == [newest]


# Keyset pages -------------------------------------------------------------------------------


def test_pages_follow_each_other_without_repeats_or_gaps(
    app: Flask, auditor_client: FlaskClient
) -> None:
    created = record_many(app, 2 * queries.PAGE_SIZE + 50)
    first = auditor_client.get("/audit/?object_type=recovery_codes").text
    assert len(shown(first)) == queries.PAGE_SIZE
    record_many(app, 3)  # new events arriving meanwhile must not shift the later pages
    seen, url = shown(first), next_link(first)
    while url is not None:
        assert "object_type=recovery_codes" in url
        page = auditor_client.get(url).text
        seen += shown(page)
        url = next_link(page)
    assert seen == sorted(created, reverse=True)
    assert "Newest events" in page


def test_names_for_a_page_take_two_queries_however_many_users(
    app: Flask, accounts: Accounts
) -> None:
    def statements_for_page() -> list[str]:
        statements: list[str] = []

        def count(*args: Any) -> None:
            if args[2].startswith("SELECT"):
                statements.append(args[2])

        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", count)
            try:
                page = queries.event_page(queries.EventFilters(action=AuditAction.USER_UPDATED))
                assert {page.names.user(e.actor_id) for e in page.events} == names
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
        return statements

    names = {"Person 0"}
    record(app, actor=accounts.user("person0@test.example", name="Person 0", organisation="A0"))
    assert len(statements_for_page()) == 3  # the events, their users, their agencies
    for n in range(1, 12):
        names.add(f"Person {n}")
        actor = accounts.user(f"person{n}@test.example", name=f"Person {n}", organisation=f"A{n}")
        record(app, actor=actor)
    assert len(statements_for_page()) == 3


# Who may see it -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [GlobalRole.ADMIN, GlobalRole.MANAGER, None])
@pytest.mark.parametrize("url", ["/audit/", "/audit/export.csv"])
def test_only_auditors_may_open_the_trail(
    app: Flask, client: FlaskClient, accounts: Accounts, sign_in: SignIn, role: Any, url: str
) -> None:
    accounts.user(role=role)
    sign_in(client, "worker@test.example")
    record(app, object=("users", "secret-canary"))
    response = client.get(url)
    assert response.status_code == 403
    assert "secret-canary" not in response.text
    assert 'href="/audit/"' not in client.get("/").text
    assert events_of(app, AuditAction.AUDIT_LOG_VIEWED) == []
    assert events_of(app, AuditAction.AUDIT_LOG_EXPORTED) == []


# Searches go on the record ------------------------------------------------------------------


FILTER_QUERY = [
    ("action", "admin:user_created"),
    ("object_type", "users"),
    ("object_id", "5"),
    ("outcome", ""),
    *date_args("date_from", "1", "3", "2026"),
]
RECORDED_FILTERS = {
    "action": "admin:user_created",
    "object_type": "users",
    "object_id": "5",
    "date_from": "2026-03-01",
}


def test_viewing_records_one_event_with_the_filters(
    app: Flask, auditor: Account, auditor_client: FlaskClient
) -> None:
    auditor_client.get("/audit/", query_string=FILTER_QUERY)
    [viewed] = events_of(app, AuditAction.AUDIT_LOG_VIEWED)
    assert viewed.actor_id == auditor.id
    assert json.loads(viewed.changes or "") == {"filters": RECORDED_FILTERS}
    assert events_of(app, AuditAction.AUDIT_LOG_EXPORTED) == []


def test_a_later_page_records_where_it_started(app: Flask, auditor_client: FlaskClient) -> None:
    auditor_client.get("/audit/?before=42")
    [viewed] = events_of(app, AuditAction.AUDIT_LOG_VIEWED)
    assert json.loads(viewed.changes or "") == {"filters": {}, "before": 42}


def test_exporting_records_one_event_before_any_row_is_sent(
    app: Flask, auditor: Account, auditor_client: FlaskClient
) -> None:
    response = auditor_client.get("/audit/export.csv", query_string=FILTER_QUERY)
    # The body has not been read yet: the record must already be committed.
    [exported] = events_of(app, AuditAction.AUDIT_LOG_EXPORTED)
    assert exported.actor_id == auditor.id
    assert json.loads(exported.changes or "") == {"filters": RECORDED_FILTERS}
    assert response.status_code == 200
    assert csv_rows(response.data)[0][0] == "Sequence"
    assert events_of(app, AuditAction.AUDIT_LOG_VIEWED) == []


# The CSV export -----------------------------------------------------------------------------


def test_the_export_is_a_safe_csv_of_every_filtered_event(
    app: Flask, accounts: Accounts, auditor_client: FlaskClient
) -> None:
    mallory = accounts.user("mallory@test.example", name="=HYPERLINK(1)", organisation="@Org")
    formula = record(app, AuditAction.USER_CREATED, actor=mallory, object=("users", "=1+1"))
    plain = record(app, AuditAction.USER_CREATED, object=("users", "5"), purpose="-2+3")
    record(app, AuditAction.PANEL_CREATED, object=("panels", "5"))
    response = auditor_client.get("/audit/export.csv?object_type=users&action=admin:user_created")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    today = datetime.now(UK).strftime("%Y-%m-%d")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="audit-events-{today}.csv"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    header, *rows = csv_rows(response.data)
    assert header[:3] == ["Sequence", "Time (UTC)", "Time (UK)"]
    by_column = [dict(zip(header, row, strict=True)) for row in rows]
    assert [int(row["Sequence"]) for row in by_column] == [plain, formula]
    assert by_column[1]["Object ID"] == "'=1+1"
    assert by_column[1]["User"] == "'=HYPERLINK(1)"
    assert by_column[1]["Agency"] == "'@Org"
    assert by_column[1]["Action"] == "Admin: user created"
    assert by_column[0]["Purpose"] == "'-2+3"
    assert by_column[0]["User"] == "No user"
    assert by_column[0]["Object ID"] == "5"


def test_the_export_streams_in_batches_without_holding_the_database(
    app: Flask, auditor_client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = record_many(app, 30)
    batches_read: list[int] = []
    original = queries.event_batches

    def small_batches(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for batch in original(*args, **kwargs, size=7):
            batches_read.append(len(batch[0]))
            yield batch

    monkeypatch.setattr(queries, "event_batches", small_batches)
    response = auditor_client.get("/audit/export.csv?object_type=recovery_codes")
    chunks = iter(response.response)
    body = [next(chunks), next(chunks)]  # the header, then the first batch
    assert batches_read == [7]
    # Between batches no transaction is open: another writer gets the database at once.
    late = record(app, object=("recovery_codes", "late"))
    body.extend(chunks)
    assert batches_read == [7, 7, 7, 7, 2]
    text = b"".join(part if isinstance(part, bytes) else part.encode() for part in body)
    sequences = [int(row[0]) for row in csv_rows(text)[1:]]
    assert sequences == sorted(created, reverse=True)
    assert late not in sequences


# PostgreSQL ---------------------------------------------------------------------------------


@pytest.mark.postgres
def test_filters_pages_and_export_on_postgresql(pg_app: Flask) -> None:
    accounts = Accounts(pg_app)
    accounts.user(AUDITOR_EMAIL, role=GlobalRole.AUDITOR)
    client = pg_app.test_client()
    post_form(client, "/sign-in", {"email": AUDITOR_EMAIL, "password": PASSWORD})
    post_form(client, "/sign-in/security-code", {"code": accounts.code(AUDITOR_EMAIL)})
    created = record_many(pg_app, queries.PAGE_SIZE + 5)
    first = client.get(f"/audit/?object_type=recovery_codes&before={2**63 - 1}").text
    url = next_link(first)
    assert url is not None
    assert shown(first) + shown(client.get(url).text) == sorted(created, reverse=True)
    moments = [moment for _, moment, _ in SPRING_FORWARD]
    clock = [record(pg_app, object=("areas", n), at=moment) for n, moment in enumerate(moments)]
    query = [
        ("object_type", "areas"),
        *date_args("date_from", "29", "3", "2026"),
        *date_args("date_to", "29", "3", "2026"),
    ]
    assert shown(client.get("/audit/", query_string=query).text) == [clock[2], clock[1]]
    export = client.get("/audit/export.csv?object_type=recovery_codes")
    rows = csv_rows(export.data)[1:]
    assert [int(row[0]) for row in rows] == sorted(created, reverse=True)


def test_cases_are_named_by_their_reference(app: Flask, auditor_client: FlaskClient) -> None:
    """Issue 25: an event about a case read "cases 37"; the auditor reads its reference. An id
    that is no case (a refused guess) is shown as recorded."""
    with app.test_request_context():
        marac = referral_fixtures.panel("Thornbury")
        community = referral_fixtures.panel(
            "Thornbury", PanelType.COMMUNITY_MARAC, area_obj=marac.area
        )
        opened = [
            case_services.open_case(actor=None, panel=on, opened_on=date(2026, 1, 6), summary=None)
            for on in (marac, community)
        ]
        ids = [case.id for case in opened]
        db.session.commit()
    for case_id in [*ids, 999_999]:
        record(app, AuditAction.CASE_VIEWED, object=("cases", case_id))

    page = html.unescape(auditor_client.get("/audit/").text)

    assert f"Case MARAC-{ids[0]:06d}" in page
    assert f"Case CMARAC-{ids[1]:06d}" in page
    assert "cases 999999" in page
    assert f"cases {ids[0]}<" not in page
