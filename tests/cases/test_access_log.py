"""Who has seen this case: the case's coordinators see the reads and changes of the case and its
referrals (security R26, domain R9), newest first, paged by sequence, in one query; nobody else
sees it, and a direct try at the full page is a 404 on the record."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy import select

import audit
from app.accounts.models import User
from app.database import db
from audit.models import AuditAction
from audit.models import AuditEvent
from audit.models import Outcome
from cases import access_log
from cases import services
from cases.models import Case
from cases.referrals import services as referrals
from panels.models import PanelRole
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.referral_fixtures import marac_answers
from tests.referral_fixtures import member
from tests.referral_fixtures import panel as make_panel
from tests.referral_fixtures import submitted

COORDINATOR = "cora@test.example"
REP = "rep@test.example"
ELSEWHERE = "elsewhere@test.example"


@dataclass(frozen=True)
class World:
    case_id: int
    referral_id: int
    other_case_id: int
    coordinator_id: int
    rep_id: int


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> World:
    cora = accounts.user(COORDINATOR, organisation="Thornbury Vale Council", name="Cora Lindqvist")
    rep = accounts.user(REP, organisation="Thornbury Vale Police", name="Rhian Penrose")
    elsewhere = accounts.user(ELSEWHERE, organisation="Eastmere Health", name="Elias Marsh")
    with app.test_request_context():
        home, away = make_panel("Thornbury Vale"), make_panel("Eastmere")
        coordinator, representative = db.session.get(User, cora.id), db.session.get(User, rep.id)
        assert coordinator is not None
        assert representative is not None
        member(home, coordinator, PanelRole.COORDINATOR)
        member(home, representative, PanelRole.REPRESENTATIVE)
        member(away, db.session.get(User, elsewhere.id), PanelRole.COORDINATOR)  # type: ignore[arg-type]
        referral = submitted(representative, home, marac_answers(referred_on=date(2026, 1, 5)))
        case = referrals.accept_referral(
            referral, actor=coordinator, matches=[None, None], today=date(2026, 1, 6)
        ).case
        other = services.open_case(
            actor=None, panel=home, opened_on=date(2026, 1, 7), summary="Another case"
        )
        db.session.commit()
        return World(case.id, referral.id, other.id, cora.id, rep.id)


def log_rows(html: str) -> list[str]:
    """The rows of the who-has-seen table, as text with tags removed."""
    table = re.search(r'<table[^>]*id="access-log".*?</table>', html, re.S)
    assert table, "no access log on the page"
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', table.group(0), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows[1:]]


def test_coordinators_see_who_has_seen_the_case_and_its_referrals_newest_first(
    client: FlaskClient, sign_in: SignIn, world: World
) -> None:
    """R26 / domain R9: reads and changes of the case and of its referrals, with who and agency."""
    rep_client = sign_in(client, REP)
    assert rep_client.get(f"/cases/{world.case_id}").status_code == 200
    coordinator = sign_in(client.application.test_client(), COORDINATOR)
    page = coordinator.get(f"/cases/{world.case_id}")
    assert page.status_code == 200
    assert "Who has seen this case" in page.text
    rows = log_rows(page.text)
    # Newest first: the rep's view, back to the referral's start. The coordinator's own view
    # is recorded once its page is drawn (issue 23), so it shows from their next look on.
    assert "Rhian Penrose Thornbury Vale Police Case: viewed Case Success" in rows[0]
    again = log_rows(coordinator.get(f"/cases/{world.case_id}").text)
    assert "Cora Lindqvist Thornbury Vale Council Case: viewed Case Success" in again[0]
    assert "Rhian Penrose Thornbury Vale Police Case: viewed Case Success" in again[1]
    assert any("Referral: accepted Referral REF-" in row for row in rows)
    assert any("Rhian Penrose Thornbury Vale Police Referral: submitted" in row for row in rows)
    assert "Referral: started" in rows[-1]
    assert f"/cases/{world.case_id}/access-log" in page.text


def test_representatives_get_the_case_page_without_the_access_log(
    client: FlaskClient, sign_in: SignIn, world: World
) -> None:
    sign_in(client, REP)
    page = client.get(f"/cases/{world.case_id}")
    assert page.status_code == 200
    assert "Who has seen this case" not in page.text
    assert 'id="access-log"' not in page.text
    assert "/access-log" not in page.text


def test_a_representative_asking_for_the_full_log_gets_a_404_on_the_record(
    app: Flask, client: FlaskClient, sign_in: SignIn, world: World
) -> None:
    sign_in(client, REP)
    response = client.get(f"/cases/{world.case_id}/access-log")
    assert response.status_code == 404
    assert "Rhian Penrose" not in response.text.split("Signed in as")[0]
    with app.app_context():
        last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.sequence.desc())).first()
        assert last is not None
        assert (last.action, last.outcome) == (AuditAction.ACCESS_DENIED, Outcome.DENIED)
        assert (last.object_type, last.object_id, last.actor_id) == (
            "cases",
            str(world.case_id),
            world.rep_id,
        )


def test_another_panels_coordinator_gets_the_same_404(
    app: Flask, client: FlaskClient, sign_in: SignIn, world: World
) -> None:
    sign_in(client, ELSEWHERE)
    assert client.get(f"/cases/{world.case_id}/access-log").status_code == 404
    assert client.get("/cases/999999/access-log").status_code == 404


def test_refused_attempts_show_in_the_log(
    client: FlaskClient, sign_in: SignIn, world: World
) -> None:
    sign_in(client, ELSEWHERE)
    client.get(f"/cases/{world.case_id}")  # not on their panel: refused
    coordinator = sign_in(client.application.test_client(), COORDINATOR)
    rows = log_rows(coordinator.get(f"/cases/{world.case_id}/access-log").text)
    assert any("Elias Marsh Eastmere Health Access: denied Case Denied" in row for row in rows)


def test_the_full_log_is_keyset_paged_and_its_reading_is_recorded(
    app: Flask, client: FlaskClient, sign_in: SignIn, world: World
) -> None:
    with app.test_request_context():
        rep = db.session.get(User, world.rep_id)
        for _ in range(access_log.PAGE_SIZE + 20):
            audit.record(actor=rep, action=AuditAction.CASE_VIEWED, object=("cases", world.case_id))
        db.session.commit()
    sign_in(client, COORDINATOR)
    first = client.get(f"/cases/{world.case_id}/access-log")
    assert first.status_code == 200
    rows = log_rows(first.text)
    assert len(rows) == access_log.PAGE_SIZE
    # the page shows only what came before its own read, which is on the next page view
    assert "Rhian Penrose Thornbury Vale Police Case: viewed" in rows[0]
    following = re.search(r'href="(/cases/\d+/access-log\?before=(\d+))"', first.text)
    assert following, "no link to older events"
    second = client.get(following.group(1).replace("&amp;", "&"))
    older = log_rows(second.text)
    assert older
    assert len(older) < access_log.PAGE_SIZE
    assert "Referral: started" in older[-1]
    with app.app_context():
        reads = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.CASE_ACCESS_LOG_VIEWED)
        ).all()
        assert [(e.object_type, e.object_id, e.actor_id) for e in reads] == [
            ("cases", str(world.case_id), world.coordinator_id)
        ] * 2
        assert reads[1].changes == f'{{"before":[null,{following.group(2)}]}}'


def test_events_about_other_cases_are_not_in_the_log(app: Flask, world: World) -> None:
    with app.test_request_context():
        for case_id in (world.other_case_id, world.case_id):
            audit.record(actor=None, action=AuditAction.CASE_VIEWED, object=("cases", case_id))
        case = db.session.get(Case, world.case_id)
        assert case is not None
        entries = access_log.case_entries(case).entries
        assert {(e.object_type, e.object_id) for e in entries} == {
            ("cases", str(world.case_id)),
            ("referrals", str(world.referral_id)),
        }
        assert [e.sequence for e in entries] == sorted((e.sequence for e in entries), reverse=True)


@contextmanager
def counted_statements(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_the_log_is_one_query_however_many_people_appear(
    app: Flask, accounts: Accounts, world: World
) -> None:
    """No N+1: names and agencies come joined to the events."""
    people = [
        accounts.user(f"viewer{i}@test.example", organisation=f"Agency {i}", name=f"Viewer {i}")
        for i in range(8)
    ]
    with app.test_request_context():
        for account in people:
            viewer = db.session.get(User, account.id)
            audit.record(
                actor=viewer, action=AuditAction.CASE_VIEWED, object=("cases", world.case_id)
            )
        db.session.commit()
        case = db.session.get(Case, world.case_id)
        assert case is not None
        referral_ids = [r.id for r in case.referrals]
        with counted_statements(app) as statements:
            entries = access_log.entries_for([case.id], referral_ids).entries
        assert len(statements) == 1
        assert {e.user for e in entries} >= {f"Viewer {i}" for i in range(8)}
        assert {e.agency for e in entries} >= {f"Agency {i}" for i in range(8)}


@pytest.mark.postgres
def test_the_log_query_runs_on_postgresql(pg_app: Flask) -> None:
    with pg_app.test_request_context():
        panel = make_panel("Thornbury Vale")
        case = services.open_case(actor=None, panel=panel, opened_on=date(2026, 1, 7), summary="")
        audit.record(actor=None, action=AuditAction.CASE_VIEWED, object=case)
        audit.record(actor=None, action=AuditAction.CASE_VIEWED, object=("cases", case.id + 1))
        db.session.commit()
        page = access_log.entries_for([case.id], [1, 2], limit=1)
        assert [e.action for e in page.entries] == [AuditAction.CASE_VIEWED]
        assert page.has_more
        assert page.next_before is not None
        older = access_log.entries_for([case.id], [], before=page.next_before)
        assert [e.action for e in older.entries] == [AuditAction.CASE_OPENED]
