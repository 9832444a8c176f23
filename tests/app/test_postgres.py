"""The foundation on a real PostgreSQL: sign-in, server-side sessions, admin writes, health."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy import text

from app.accounts.models import GlobalRole
from app.database import db
from app.security import public
from audit.models import AuditAction
from audit.models import AuditEvent
from audit.services import record
from audit.verify import verify_chain
from tests.conftest import Accounts
from tests.conftest import post_form

pytestmark = pytest.mark.postgres


def sign_in(app: Flask, accounts: Accounts, email: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    post_form(client, "/sign-in", {"email": email, "password": "a long test passphrase 42"})
    response = post_form(client, "/sign-in/security-code", {"code": accounts.code(email)})
    assert response.location == "/"
    return client


def test_sign_in_and_deactivation_on_postgresql(pg_app: Flask) -> None:
    accounts = Accounts(pg_app)
    accounts.user("admin@test.example", role=GlobalRole.ADMIN)
    worker = accounts.user("worker@test.example")
    admin = sign_in(pg_app, accounts, "admin@test.example")
    worker_client = sign_in(pg_app, accounts, "worker@test.example")
    assert worker_client.get("/").status_code == 200
    response = post_form(admin, f"/admin/users/{worker.id}", {}, follow_redirects=False)
    assert response.status_code == 405  # the page itself is GET only
    page = admin.get(f"/admin/users/{worker.id}")
    from tests.conftest import csrf_token

    done = admin.post(
        f"/admin/users/{worker.id}/deactivate", data={"csrf_token": csrf_token(page.text)}
    )
    assert done.status_code == 302
    assert worker_client.get("/").location == "/sign-in"
    assert accounts.get(worker, "active") is False


def test_duplicate_organisation_is_a_message_not_a_500_on_postgresql(pg_app: Flask) -> None:
    accounts = Accounts(pg_app)
    accounts.user("admin@test.example", role=GlobalRole.ADMIN, organisation="Test Police")
    admin = sign_in(pg_app, accounts, "admin@test.example")
    response = post_form(
        admin, "/admin/organisations/new", {"name": "Test Police", "agency_type": "police"}
    )
    assert response.status_code == 200
    assert "An organisation with this name already exists" in response.text


def test_health_check_on_postgresql(pg_app: Flask) -> None:
    response = pg_app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_a_get_reads_in_a_read_only_transaction_and_a_post_may_write(pg_app: Flask) -> None:
    """Issue 23: PostgreSQL itself refuses a write in a GET's transaction (READ ONLY), while a
    POST's transaction may write; the GET's audit event is still appended after its page."""

    @public
    def transaction_mode() -> str:
        record(actor=None, action=AuditAction.CASE_VIEWED, object=("cases", 1))
        return str(db.session.scalar(text("SHOW transaction_read_only")))

    pg_app.add_url_rule("/test/mode", view_func=transaction_mode, methods=["GET", "POST"])
    pg_app.config["WTF_CSRF_ENABLED"] = False
    client = pg_app.test_client()

    assert client.get("/test/mode").text == "on"
    assert client.post("/test/mode").text == "off"
    with pg_app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.sequence)).all()
        assert [(e.sequence, e.action) for e in events] == [
            (1, AuditAction.CASE_VIEWED),
            (2, AuditAction.CASE_VIEWED),
        ]
        assert verify_chain().intact
