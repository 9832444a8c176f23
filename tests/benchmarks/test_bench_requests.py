"""Figures the benchmark takes through requests (issue 23), on a tiny generated dataset:
`write_lock_share` counts the time between taking SQLite's write lock (BEGIN IMMEDIATE) and
giving the connection back, and nothing else (a GET's page is drawn without it, only its audit
event's short append holds it); a referral is timed as its users' three requests, and the
representative's list as theirs."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event

from app.database import db
from benchmarks import run


def test_the_clock_sees_no_lock_for_the_health_check_and_one_append_per_page(app: Flask) -> None:
    client = run._sign_in(app, run.COORDINATOR)
    assert client.get("/cases").status_code == 200  # the first page after sign-in: see below
    statements: list[str] = []

    def seen(*args: object) -> None:
        statement = str(args[2])
        if run.takes_write_lock(statement):
            statements.append(statement)

    with run.write_lock_clock(app) as clock:
        assert client.get("/healthz").status_code == 200
        assert (clock.holding, clock.waiting) == (0.0, 0.0)
        with app.app_context():
            db_engine = db.engine
        event.listen(db_engine, "before_cursor_execute", seen)
        try:
            assert client.get("/cases").status_code == 200
        finally:
            event.remove(db_engine, "before_cursor_execute", seen)
        assert clock.holding > 0
    # The audit event's append, after the page. (The first page after signing in also
    # stores the session once more, in a short transaction of its own.)
    assert statements == ["BEGIN IMMEDIATE"]


def test_the_figures_are_shares_of_the_requests_time(app: Flask) -> None:
    figures = run.measure_write_lock(app, 3)
    assert set(figures) == {"write_lock_share", "write_lock_wait_share"}
    assert 0 < figures["write_lock_share"] < 1
    assert 0 <= figures["write_lock_wait_share"] < 1


def test_a_referral_is_timed_as_its_three_requests_and_ends_accepted(app: Flask) -> None:
    samples = run.measure_referral_submit(app, 2)
    assert len(samples) == 2  # the first three warm the caches


def test_the_representatives_list_is_timed_on_three_pages(app: Flask) -> None:
    samples = run.measure_rep_case_list(app, 1)
    assert len(samples) == 3 * (run.P95_SAMPLES // 3)


def test_the_baseline_counts_pages_and_opens_names_for_four_pages(app: Flask) -> None:
    assert len(run.measure_baseline(app, 2)) == 8


def test_the_case_list_reports_its_sql_per_request(app: Flask) -> None:
    samples, detail = run.measure_case_list(app, 1)
    assert len(samples) == 4 * (run.P95_SAMPLES // 4)
    # the session, the user, the policy, the count, the page, its people, the audit append…
    assert detail["case_list_statements"] >= 5
    assert detail["case_list_sql_ms"] > 0


def test_a_first_view_unwraps_its_keys_again(app: Flask) -> None:
    unwrapped: list[str] = []
    store = app.extensions["key_store"]
    unwrap = store.keyring.unwrap

    def counting(kek_id: str, wrapped: bytes) -> bytes:
        unwrapped.append(kek_id)
        return unwrap(kek_id, wrapped)

    store.keyring.unwrap = counting
    try:
        assert len(run.measure_first_view(app, 2)) == 2
    finally:
        store.keyring.unwrap = unwrap
    assert len(unwrapped) > 5 * 2  # every run, the page's keys again (people and cases)
