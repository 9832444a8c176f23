"""An extract made by the real job worker (`flask jobs worker`, as `make run` starts it) in a
process of its own: the request tells the queue after its commit, the worker claims the
message and makes the file, and the requester's page then offers it. Once on huey's SQLite
storage (the default) and once on Redis (REDIS_URL), as deployments run it."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app import jobs
from app.database import db
from app.settings import Settings
from cases.reports.models import Extract
from cases.reports.models import ExtractStatus
from tests.cases.reports.test_extracts import COORDINATOR
from tests.cases.reports.test_extracts import World
from tests.cases.reports.test_extracts import ask
from tests.cases.reports.test_extracts import rows_of
from tests.cases.reports.test_extracts import signed_in
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.workers import start_worker

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
WAIT = 60.0  # seconds a worker gets to make a two-row extract


def worker(settings: Settings) -> subprocess.Popen[bytes]:
    return start_worker(settings)


def stop(process: subprocess.Popen[bytes]) -> str:
    process.send_signal(signal.SIGINT)  # huey's graceful stop: the jobs in hand finish
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output.decode(errors="replace")


def status_of(app: Flask) -> ExtractStatus:
    with app.app_context():
        extract = db.session.scalars(select(Extract)).one()
        return extract.status


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def queue_app(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Flask]:
    queue = f"test-{secrets.token_hex(4)}"  # other runs on the same Redis keep their own
    if request.param == "redis":
        if not REDIS_URL:
            pytest.skip("TEST_REDIS_URL is not set")
        settings = replace(settings, redis_url=REDIS_URL)
    app = create_app(replace(settings, jobs_queue=queue))
    yield app
    with app.app_context():
        jobs.queue(app).storage.flush_all()
        db.engine.dispose()


def test_the_worker_makes_the_extract_a_request_asked_for(
    queue_app: Flask, accounts: Accounts, sign_in: SignIn
) -> None:
    app = queue_app
    world = World(app, accounts)
    client = signed_in(app, sign_in, COORDINATOR, accounts)
    extract_url = ask(client, accounts, [world.panel_id]).location
    assert extract_url is not None
    assert status_of(app) is ExtractStatus.QUEUED
    process = worker(app.config["SETTINGS"])
    try:
        deadline = time.monotonic() + WAIT
        while status_of(app) is not ExtractStatus.READY and time.monotonic() < deadline:
            assert process.poll() is None, "the worker stopped"
            time.sleep(0.2)
    finally:
        output = stop(process)
    assert status_of(app) is ExtractStatus.READY, output
    rows = rows_of(client.get(f"{extract_url}/download").get_data(as_text=True))
    header_at = next(i for i, row in enumerate(rows) if row and row[0] == "Referral")
    assert len(rows) - header_at - 1 == 2
