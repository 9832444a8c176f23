"""Coordinators' referral-level extracts (issue 20): asked for with the security code (R13),
made by the job queue from the outbox, one row per referral the coordinator may see, names only
when asked for (R4), formulas neutralised (R20), downloadable only by the person who asked, each
request and download audited with its filters (R9), and deleted with its key when it expires."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date
from datetime import timedelta

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from werkzeug.test import TestResponse

from app import create_app
from app import jobs
from app.accounts.models import User
from app.auth import step_up
from app.database import db
from app.database import utcnow
from app.errors import DomainError
from app.jobs.models import OutboxMessage
from app.keys.models import DataKey
from app.settings import Settings
from app.unit_of_work import attempt
from audit.models import AuditAction
from audit.models import AuditEvent
from cases.models import Case
from cases.referrals import services as referrals
from cases.reports import services
from cases.reports.models import Extract
from cases.reports.models import ExtractPart
from cases.reports.models import ExtractStatus
from cases.retention import services as retention
from cases.retention.models import RetentionRule
from cases.retention.queries import DueCase
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import PanelType
from tests.cases.reports.conftest import History
from tests.conftest import PASSWORD
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import csrf_token
from tests.conftest import post_form
from tests.referral_fixtures import marac_answers
from tests.referral_fixtures import member
from tests.referral_fixtures import panel as make_panel
from tests.referral_fixtures import perpetrator
from tests.referral_fixtures import submitted
from tests.referral_fixtures import victim

COORDINATOR = "coordinator@test.example"
OTHER_COORDINATOR = "other.coordinator@test.example"
HOSTILE = '=HYPERLINK("http://evil.example","x")'


class World:
    def __init__(self, app: Flask, accounts: Accounts) -> None:
        coordinator = accounts.user(COORDINATOR, name="Cora Ordin")
        other = accounts.user(OTHER_COORDINATOR, name="Otto Other")
        with app.test_request_context():
            user = db.session.get_one(User, coordinator.id)
            other_user = db.session.get_one(User, other.id)
            mine = make_panel("Northbury")
            theirs = make_panel("Southwick")
            member(mine, user, PanelRole.COORDINATOR)
            member(theirs, other_user, PanelRole.COORDINATOR)
            # Two referrals through the real services, one accepted into a case with its people.
            first = submitted(
                user,
                mine,
                marac_answers(
                    referred_on=date(2026, 3, 2),
                    people=[victim(given=HOSTILE), perpetrator()],
                ),
            )
            referrals.accept_referral(
                first, actor=user, matches=[None, None], today=date(2026, 3, 3)
            )
            submitted(user, mine, marac_answers(referred_on=date(2026, 5, 4)))
            # A draft is nobody's but its author's; another panel's referral is not mine.
            History(user).referral(mine, referred_on=date(2026, 4, 1))
            History(other_user).referral(
                theirs, referred_on=date(2026, 4, 1), submitted_at=utcnow()
            )
            db.session.commit()
            self.panel_id, self.other_panel_id = mine.id, theirs.id
            self.first_case_id = first.case_id
        self.coordinator, self.other = coordinator, other


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> World:
    return World(app, accounts)


def ask(
    client: FlaskClient,
    accounts: Accounts,
    panel_ids: list[int],
    *,
    personal: str = "no",
    file_format: str = "csv",
    code: str | None = None,
    **extra: list[str],
) -> TestResponse:
    page = client.get("/reports/extracts/new")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_token(page.text),
        "panel_ids": [str(i) for i in panel_ids],
        "personal": personal,
        "file_format": file_format,
        "code": code if code is not None else accounts.code(COORDINATOR),
        **extra,
    }
    return client.post("/reports/extracts/new", data=data)


EXTRACT_MESSAGES = select(OutboxMessage).where(OutboxMessage.task == services.EXTRACT_JOB)


def extract_messages() -> int:
    """The outbox's extract jobs (a sign-in from a new browser queues an email too)."""
    return db.session.scalar(select(func.count()).select_from(EXTRACT_MESSAGES.subquery())) or 0


def run_jobs(app: Flask) -> int:
    """Run what is queued as the worker would; returns how many extract jobs ran."""
    with app.app_context():
        waiting = EXTRACT_MESSAGES.where(OutboxMessage.claimed_at.is_(None)).subquery()
        before = db.session.scalar(select(func.count()).select_from(waiting)) or 0
        jobs.run_pending()
        return before - (db.session.scalar(select(func.count()).select_from(waiting)) or 0)


def code_usable_again(app: Flask, email: str = COORDINATOR) -> None:
    """Let the current 30-second code be typed again (each step-up here uses it once)."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None
        user.totp_last_step = None
        db.session.commit()


def signed_in(app: Flask, sign_in: SignIn, email: str, accounts: Accounts) -> FlaskClient:
    client = sign_in(app.test_client(), email)
    code_usable_again(app, email)  # the sign-in used this step's code
    return client


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_an_extract_is_queued_made_by_the_job_and_downloaded_by_its_requester(
    app: Flask, world: World, accounts: Accounts, sign_in: SignIn
) -> None:
    client = signed_in(app, sign_in, COORDINATOR, accounts)
    response = ask(client, accounts, [world.panel_id])
    assert response.status_code == 302
    extract_url = response.location
    # Asked for through the outbox, in the same transaction: nothing is made yet.
    page = client.get(extract_url)
    assert page.status_code == 200, page.text[-3000:]
    assert "Waiting to start" in page.text
    assert "Refresh this page" in page.text
    with app.app_context():
        assert extract_messages() == 1
    assert run_jobs(app) == 1
    page = client.get(extract_url)
    assert "Ready to download" in page.text
    assert "2 referrals" in page.text
    download = client.get(f"{extract_url}/download")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "no-store"
    rows = rows_of(download.get_data(as_text=True))
    assert rows[0][0].startswith("OFFICIAL")  # the protective marking first (R10)
    assert any(row[:1] == ["Made for"] and "Cora Ordin" in row[1] for row in rows)  # R20
    header_at = next(i for i, row in enumerate(rows) if row and row[0] == "Referral")
    body = rows[header_at + 1 :]
    # The two submitted referrals of my panel: not the draft, not the other panel's.
    assert [row[3] for row in body] == ["02/03/2026", "04/05/2026"]
    assert body[0][1].startswith("MARAC-")  # the accepted one's case
    assert body[1][1] == ""  # the other awaits screening
    assert body[0][14:19] == ["Female", "18 or over", "Not known", "No", "Not known"]  # E8
    assert "Victim or subject" not in rows[header_at]  # no names unless asked for (R4)
    with app.app_context():
        extract = db.session.scalars(select(Extract)).one()
        assert extract.status is ExtractStatus.READY
        assert extract.downloads == 1
        assert extract_messages() == 0


def test_r13_an_extract_needs_the_current_security_code(
    app: Flask, world: World, accounts: Accounts, sign_in: SignIn
) -> None:
    client = signed_in(app, sign_in, COORDINATOR, accounts)
    response = ask(client, accounts, [world.panel_id], code="000000")
    assert response.status_code == 200
    assert step_up.CODE_FAILED in response.text
    assert 'value="000000"' not in response.text  # a code is never shown again
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Extract)) == 0
        assert extract_messages() == 0


def test_bad_choices_are_explained_next_to_their_fields_and_kept(
    app: Flask, world: World, accounts: Accounts, sign_in: SignIn
) -> None:
    client = signed_in(app, sign_in, COORDINATOR, accounts)
    response = ask(
        client,
        accounts,
        [world.other_panel_id],
        referred_from=["10", "6", "2026"],
    )
    assert response.status_code == 200
    assert "Select only the panels listed" in response.text
    response = ask(
        client,
        accounts,
        [world.panel_id],
        referred_from=["10", "6", "2026"],
        referred_to=["1", "6", "2026"],
    )
    assert response.status_code == 200
    assert "must be the same as or after the start" in response.text
    assert 'value="2026"' in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Extract)) == 0


def test_r4_names_only_when_asked_for_and_r20_formulas_neutralised_in_csv_and_xlsx(
    app: Flask, world: World, accounts: Accounts, sign_in: SignIn
) -> None:
    client = signed_in(app, sign_in, COORDINATOR, accounts)
    csv_url = ask(client, accounts, [world.panel_id], personal="yes").location
    code_usable_again(app)
    xlsx_url = ask(client, accounts, [world.panel_id], personal="yes", file_format="xlsx").location
    assert run_jobs(app) == 2
    rows = rows_of(client.get(f"{csv_url}/download").get_data(as_text=True))
    header_at = next(i for i, row in enumerate(rows) if row and row[0] == "Referral")
    assert rows[header_at][-3:] == [
        "Victim or subject",
        "Their date of birth",
        "Perpetrators or persons of concern",
    ]
    first = rows[header_at + 1]
    assert first[-3] == f"'{HOSTILE} Talbothay"
    assert first[-2] == "14/05/1988"
    assert first[-1] == "Corin Maddox"
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{xlsx_url}/download").data))
    sheet = book.active
    assert sheet is not None
    values = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type != "f" for cell in values)
    assert f"'{HOSTILE} Talbothay" in [cell.value for cell in values]
    assert "OFFICIAL" in (sheet.oddHeader.center.text or "")


def test_only_the_requester_sees_or_downloads_it_and_each_refusal_is_recorded(
    app: Flask, world: World, accounts: Accounts, sign_in: SignIn
) -> None:
    client = signed_in(app, sign_in, COORDINATOR, accounts)
    extract_url = ask(client, accounts, [world.panel_id]).location
    run_jobs(app)
    other = signed_in(app, sign_in, OTHER_COORDINATOR, accounts)
    assert other.get(extract_url).status_code == 404
    assert other.get(f"{extract_url}/download").status_code == 404
    assert other.get("/reports/extracts").status_code == 200
    assert extract_url not in other.get("/reports/extracts").text
    with app.app_context():
        denied = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == AuditAction.ACCESS_DENIED,
                AuditEvent.object_type == "report_extracts",
            )
        ).all()
        assert len(denied) == 2
        assert {event.actor_id for event in denied} == {world.other.id}


def test_someone_who_coordinates_no_panel_gets_no_extract_page(
    app: Flask, world: World, accounts: Accounts, sign_in: SignIn
) -> None:
    accounts.user("member@test.example")
    client = sign_in(app.test_client(), "member@test.example")
    assert client.get("/reports/extracts").status_code == 404
    assert client.get("/reports/extracts/new").status_code == 404


def test_a_coordinator_who_steps_down_can_no_longer_download_it(
    app: Flask, world: World, accounts: Accounts, sign_in: SignIn
) -> None:
    client = signed_in(app, sign_in, COORDINATOR, accounts)
    extract_url = ask(client, accounts, [world.panel_id]).location
    run_jobs(app)
    with app.app_context():
        membership = db.session.scalars(
            select(PanelMembership).where(PanelMembership.user_id == world.coordinator.id)
        ).one()
        db.session.delete(membership)
        db.session.commit()
    assert client.get(f"{extract_url}/download").status_code == 404


def test_r9_the_request_the_making_and_each_download_are_audited_with_the_filters(
    app: Flask, world: World, accounts: Accounts, sign_in: SignIn
) -> None:
    client = signed_in(app, sign_in, COORDINATOR, accounts)
    extract_url = ask(
        client,
        accounts,
        [world.panel_id],
        referred_from=["1", "1", "2026"],
    ).location
    assert extract_url is not None
    run_jobs(app)
    client.get(f"{extract_url}/download")
    client.get(f"{extract_url}/download")
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "report_extracts")
            .order_by(AuditEvent.sequence)
        ).all()
        assert [event.action for event in events] == [
            AuditAction.REPORT_EXTRACT_REQUESTED,
            AuditAction.REPORT_EXTRACT_MADE,
            AuditAction.REPORT_EXTRACT_DOWNLOADED,
            AuditAction.REPORT_EXTRACT_DOWNLOADED,
        ]
        requested = events[0]
        assert requested.actor_id == world.coordinator.id
        recorded = json.loads(requested.changes or "{}")
        assert recorded["filters"] == {
            "format": "csv",
            "panel_ids": [world.panel_id],
            "personal": False,
            "referred_from": "2026-01-01",
            "referred_to": None,
        }
        assert recorded["step_up"] is True
        assert events[2].actor_id == world.coordinator.id


def test_an_extract_expires_its_parts_are_deleted_and_its_key_destroyed(
    app: Flask, world: World, accounts: Accounts, sign_in: SignIn
) -> None:
    client = signed_in(app, sign_in, COORDINATOR, accounts)
    extract_url = ask(client, accounts, [world.panel_id]).location
    run_jobs(app)
    with app.app_context():
        extract = db.session.scalars(select(Extract)).one()
        key_id = extract.data_key_id
        assert db.session.scalar(select(func.count()).select_from(ExtractPart)) >= 1
        # Not yet: kept for the setting's hours.
        assert services.expire_extracts(utcnow()) == 0
        assert services.expire_extracts(utcnow() + timedelta(hours=25)) == 1
        assert db.session.scalar(select(func.count()).select_from(ExtractPart)) == 0
        assert db.session.get_one(DataKey, key_id).destroyed
        assert db.session.get_one(Extract, extract.id).status is ExtractStatus.EXPIRED
    page = client.get(extract_url)
    assert "Expired and deleted" in page.text
    assert client.get(f"{extract_url}/download").status_code == 302


def test_a_failed_job_keeps_nothing_and_says_so(
    app: Flask, world: World, accounts: Accounts, sign_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = signed_in(app, sign_in, COORDINATOR, accounts)
    extract_url = ask(client, accounts, [world.panel_id]).location

    def broken(*args: object, **kwargs: object) -> list[object]:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services.queries, "extract_lines", broken)
    assert run_jobs(app) == 1
    assert "Could not be made" in client.get(extract_url).text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExtractPart)) == 0
        message = db.session.scalars(EXTRACT_MESSAGES).one()
        assert message.failed_at is not None  # kept for the administrator, not run again
    assert run_jobs(app) == 0


def test_a_message_told_twice_is_done_once(
    app: Flask, world: World, accounts: Accounts, sign_in: SignIn
) -> None:
    client = signed_in(app, sign_in, COORDINATOR, accounts)
    ask(client, accounts, [world.panel_id])
    with app.app_context():
        message_id = db.session.scalars(EXTRACT_MESSAGES).one().id
        assert jobs.run_message(message_id) is True
        assert jobs.run_message(message_id) is False
        made = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.REPORT_EXTRACT_MADE)
        ).all()
        assert len(made) == 1


def test_a_refused_request_asks_the_queue_for_nothing(
    app: Flask, world: World, accounts: Accounts
) -> None:
    """The outbox row is written in the request's transaction: refused, nothing is queued."""
    with app.test_request_context():
        user = db.session.get_one(User, world.coordinator.id)
        theirs = db.session.get_one(Panel, world.other_panel_id)
        with attempt() as done:
            services.request_extract(
                actor=user,
                panels=[theirs],
                referred_from=None,
                referred_to=None,
                personal=False,
                file_format=services.ExtractFormat.CSV,
            )
        assert not done
        assert isinstance(done.error, DomainError)
        assert extract_messages() == 0


@pytest.mark.postgres
def test_an_extract_is_made_and_downloaded_on_postgresql(pg_app: Flask) -> None:
    """The extract's keyset batches, scope and sealed parts on a real PostgreSQL, names in."""
    accounts = Accounts(pg_app)
    world = World(pg_app, accounts)
    client = pg_app.test_client()
    post_form(client, "/sign-in", {"email": COORDINATOR, "password": PASSWORD})
    post_form(client, "/sign-in/security-code", {"code": accounts.code(COORDINATOR)})
    code_usable_again(pg_app)
    extract_url = ask(client, accounts, [world.panel_id], personal="yes").location
    assert extract_url is not None
    assert run_jobs(pg_app) == 1
    rows = rows_of(client.get(f"{extract_url}/download").get_data(as_text=True))
    header_at = next(i for i, row in enumerate(rows) if row and row[0] == "Referral")
    body = rows[header_at + 1 :]
    assert [row[3] for row in body] == ["02/03/2026", "04/05/2026"]
    assert body[0][-3:] == [f"'{HOSTILE} Talbothay", "14/05/1988", "Corin Maddox"]


def test_extracts_asked_for_too_often_are_refused(
    settings: Settings, world: World, accounts: Accounts, sign_in: SignIn
) -> None:
    """R20: a coordinator's needs, not a stream of copies (by default 10 an hour, 30 a day;
    here 2 an hour, below the security code's own limit)."""
    limits = replace(settings.rate_limits, extracts_per_user="2 per hour")
    app = create_app(replace(settings, rate_limits=limits))
    client = signed_in(app, sign_in, COORDINATOR, accounts)
    answers = []
    for _ in range(3):
        code_usable_again(app)
        answers.append(ask(client, accounts, [world.panel_id]).status_code)
    assert answers == [302, 302, 429]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Extract)) == 2


def test_an_extract_waiting_long_says_the_worker_may_not_be_running(
    app: Flask, world: World, accounts: Accounts, sign_in: SignIn
) -> None:
    client = signed_in(app, sign_in, COORDINATOR, accounts)
    extract_url = ask(client, accounts, [world.panel_id]).location
    assert "may not be running" not in client.get(extract_url).text
    with app.app_context():
        extract = db.session.scalars(select(Extract)).one()
        extract.created_at = utcnow() - timedelta(minutes=6)
        db.session.commit()
    assert "the service’s job worker may not be running" in client.get(extract_url).text
    run_jobs(app)
    assert "may not be running" not in client.get(extract_url).text


def test_the_list_does_not_link_an_extract_of_a_panel_no_longer_coordinated(
    app: Flask, world: World, accounts: Accounts, sign_in: SignIn
) -> None:
    client = signed_in(app, sign_in, COORDINATOR, accounts)
    extract_url = ask(client, accounts, [world.panel_id]).location
    assert f'href="{extract_url}"' in client.get("/reports/extracts").text
    with app.app_context():
        other = db.session.get_one(Panel, world.other_panel_id)
        member(other, db.session.get_one(User, world.coordinator.id), PanelRole.COORDINATOR)
        mine = db.session.scalars(
            select(PanelMembership).where(
                PanelMembership.user_id == world.coordinator.id,
                PanelMembership.panel_id == world.panel_id,
            )
        ).one()
        db.session.delete(mine)
        db.session.commit()
    listing = client.get("/reports/extracts")
    assert listing.status_code == 200
    assert f'href="{extract_url}"' not in listing.text
    assert "you no longer coordinate all its panels" in listing.text


def test_destroying_a_case_under_retention_destroys_its_panels_extracts(
    app: Flask, world: World, accounts: Accounts, sign_in: SignIn
) -> None:
    """Security: exports are deleted with the case (crypto-shredding reaches the copies)."""
    client = signed_in(app, sign_in, COORDINATOR, accounts)
    extract_url = ask(client, accounts, [world.panel_id], personal="yes").location
    run_jobs(app)
    with app.test_request_context():
        extract = db.session.scalars(select(Extract)).one()
        key_id = extract.data_key_id
        case = db.session.get_one(Case, world.first_case_id)
        rule = db.session.scalars(
            select(RetentionRule).where(RetentionRule.panel_type == PanelType.MARAC)
        ).first()
        assert rule is not None
        retention.dispose(DueCase(case, rule, date(2026, 12, 1)), actor=None)
        db.session.commit()
        assert db.session.get_one(Extract, extract.id).status is ExtractStatus.EXPIRED
        assert db.session.get_one(DataKey, key_id).destroyed
        assert db.session.scalar(select(func.count()).select_from(ExtractPart)) == 0
    assert "Expired and deleted" in client.get(extract_url).text
