"""Markers: personal and free-text values never reach logs, audit rows, the sessions table or the
database file in clear.

A distinct marker string is planted in each personal and free-text field of a referral (the
people's names, aliases, addresses, relationship and school; the answers' phone number, safe
times, reasons and risk comments); the pages that show them are opened and a person search is
made for a marker name. Every log record of every logger (at DEBUG), every column of every audit
row, every row of `server_sessions` and the bytes of the SQLite database and its WAL are then
searched for every marker.

Not yet covered here: case notes, actions and their reports, subject access details (the latter
has its own test in tests/cases/subject_access), exports and notifications.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy import text

from app.accounts.models import User
from app.database import db
from app.settings import Settings
from panels.models import PanelRole
from panels.types.common import FormSection
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import post_form
from tests.referral_fixtures import dash
from tests.referral_fixtures import marac_answers
from tests.referral_fixtures import member
from tests.referral_fixtures import panel
from tests.referral_fixtures import perpetrator
from tests.referral_fixtures import submitted
from tests.referral_fixtures import victim

EMAIL = "referrer@markers.example"
VICTIM_BORN = date(1990, 7, 21)
# One marker per field, so a failure names the field that leaked.
MARKERS = {
    "victim given names": "Zqvictimgiven",
    "victim family name": "Zqvictimfamily",
    "victim alias": "Zqvictimalias",
    "victim address": "Zqvictimaddress",
    "perpetrator given names": "Zqperpgiven",
    "perpetrator family name": "Zqperpfamily",
    "perpetrator relationship": "Zqperprelation",
    "child school": "Zqchildschool",
    "child given names": "Zqchildgiven",
    "safe times": "Zqsafetimes",
    "referrer phone": "Zqphone",
    "reasons": "Zqreasons",
    "risk comment": "Zqriskcomment",
    "searched given names": "Zqsearchgiven",
    "searched family name": "Zqsearchfamily",
}


def plant(app: Flask, accounts: Accounts) -> int:
    """A submitted MARAC referral carrying every marker; returns its id."""
    account = accounts.user(EMAIL)
    with app.test_request_context():
        user = db.session.get_one(User, account.id)
        marac = panel("Markerton")
        member(marac, user, PanelRole.COORDINATOR)
        people = [
            victim(
                MARKERS["victim given names"],
                MARKERS["victim family name"],
                VICTIM_BORN,
                aliases=[MARKERS["victim alias"]],
                address=MARKERS["victim address"],
            ),
            {
                **perpetrator(
                    MARKERS["perpetrator given names"], MARKERS["perpetrator family name"]
                ),
                "relationship": MARKERS["perpetrator relationship"],
            },
            {
                "role": "child",
                "given_names": MARKERS["child given names"],
                "family_name": "",
                "date_of_birth": None,
                "aliases": [],
                "other_birth_dates": [],
                "school": MARKERS["child school"],
            },
        ]
        answers = marac_answers(referred_on=date(2025, 6, 2), people=people)
        answers[FormSection.ABOUT]["referrer_phone"] = MARKERS["referrer phone"]
        answers[FormSection.SAFETY]["safe_times"] = MARKERS["safe times"]
        answers[FormSection.REASONS]["judgement_reasons"] = MARKERS["reasons"]
        items = dash(15)
        items[0]["comment"] = MARKERS["risk comment"]
        answers[FormSection.RISK]["items"] = items
        referral = submitted(user, marac, answers)
        db.session.commit()
        return referral.id


def exercise(client: FlaskClient, referral_id: int) -> None:
    """Open the pages that show the referral, and search for a person by a marker name."""
    for url in ("/referrals", f"/referrals/{referral_id}", "/cases"):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(f"/referrals/{referral_id}").text
    for field in ("victim family name", "perpetrator family name", "safe times"):
        assert MARKERS[field] in page, f"the page does not show the {field}: nothing was tested"
    search = post_form(
        client,
        "/cases",
        {
            "given_names": MARKERS["searched given names"],
            "family_name": MARKERS["searched family name"],
            "date_of_birth": ["21", "7", "1990"],
        },
    )
    assert search.status_code == 200
    assert "There is a problem" not in search.text, "the search was refused: nothing was tested"
    # A signed-out visit keeps where it was going: that must not carry a marker either.
    assert client.post("/sign-out", data={}).status_code in (302, 400)


def leaks(stored: str | bytes) -> list[str]:
    haystack = stored.encode() if isinstance(stored, str) else stored
    return [field for field, marker in MARKERS.items() if marker.encode() in haystack]


class Collect(logging.Handler):
    """Keeps every record, formatted with its arguments and extra attributes."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.getMessage()} {record.__dict__!r}")


@pytest.fixture
def logged() -> Collect:
    return Collect()


@pytest.fixture
def planted(
    app: Flask,
    accounts: Accounts,
    client: FlaskClient,
    sign_in: SignIn,
    logged: Collect,
) -> int:
    # Alembic's logging set-up (run by the migrations) disables the loggers that existed before
    # it and quietens SQLAlchemy's; here every logger records everything, SQL statements and
    # their parameters included, as if someone had turned on the most verbose logging.
    loggers = [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.disabled, logger.level) for logger in loggers]
    for logger in loggers:
        logger.disabled = False
        logger.setLevel(logging.DEBUG)
    root_level = logging.root.level
    logging.root.setLevel(logging.DEBUG)
    logging.root.addHandler(logged)  # every logger's records propagate to the root
    try:
        referral_id = plant(app, accounts)
        sign_in(client, EMAIL)
        exercise(client, referral_id)
    finally:
        logging.root.removeHandler(logged)
        logging.root.setLevel(root_level)
        for logger, was_disabled, level in saved:
            logger.disabled = was_disabled
            logger.setLevel(level)
    return referral_id


def test_no_marker_reaches_the_logs(planted: int, logged: Collect) -> None:
    # SQLAlchemy's statement log shows the sign-in's audit row, so the capture works.
    assert any("auth:two_factor_passed" in line for line in logged.lines)
    assert leaks("\n".join(logged.lines)) == []


def test_no_marker_reaches_the_audit_rows(app: Flask, planted: int) -> None:
    with app.app_context():
        rows = db.session.execute(text("SELECT * FROM audit_events")).all()
    assert rows
    assert leaks(repr(rows)) == []


def test_no_marker_reaches_the_sessions_table(app: Flask, planted: int) -> None:
    with app.app_context():
        rows = db.session.execute(text("SELECT * FROM server_sessions")).all()
    assert rows
    assert leaks(repr(rows)) == []


def test_no_marker_is_in_the_database_file_in_clear(
    app: Flask, planted: int, settings: Settings
) -> None:
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == EMAIL))
        db.session.remove()
        db.engine.dispose()  # closes the connections, checkpointing the WAL
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    files = [database, database.with_name(database.name + "-wal")]
    stored = b"".join(path.read_bytes() for path in files if path.exists())
    assert len(stored) > 100_000
    assert leaks(stored) == []
