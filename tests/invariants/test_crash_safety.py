"""Crash safety: SIGKILL the real gunicorn server while referrals are being sent, restart it, and
prove that nothing acknowledged was lost and nothing was half-written.

The test seeds a referrer and a batch of complete drafts straight into a fresh database, then
serves that database with gunicorn (two workers, as in production) in its own process group.
Client threads sign in once over HTTP and send the drafts (POST /referrals/<id>/check). At a
moment chosen while requests are in flight the whole process group is killed with SIGKILL: no
shutdown hook, no flush, as a power cut would. After each kill the server is started again on
the same database and the stream resumes with the drafts not yet acknowledged.

At the end, every referral is either a complete submission (status, time, criteria, risk score
and assessment, consent, diversity answers and exactly one "submitted" audit event, all
together) or an untouched draft (none of them); every referral acknowledged with the redirect is
a complete submission; and the audit chain verifies. Runs on SQLite and, when
TEST_DATABASE_URL is set (CI sets it), on PostgreSQL. About a minute for both.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func
from sqlalchemy import select

from app import create_app
from app.accounts.models import AgencyType
from app.accounts.models import Organisation
from app.accounts.models import User
from app.auth import services as auth_services
from app.auth.passwords import hash_password
from app.auth.seeds import totp_secret
from app.database import db
from app.database import utcnow
from app.settings import Settings
from app.settings import encode_kek
from audit.models import AuditAction
from audit.models import AuditEvent
from audit.verify import stored_checkpoints
from audit.verify import verify_chain
from cases.referrals.models import Referral
from cases.referrals.models import RiskAssessment
from panels.models import PanelRole
from panels.types.common import ReferralStatus
from tests.conftest import CSRF_PATTERN
from tests.conftest import PASSWORD
from tests.conftest import make_settings
from tests.conftest import postgres_url
from tests.conftest import reset_postgres
from tests.referral_fixtures import draft
from tests.referral_fixtures import marac_answers
from tests.referral_fixtures import member
from tests.referral_fixtures import panel

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
EMAIL = "referrer@crash.example"
DRAFTS = 160
KILLS = 3
CLIENT_THREADS = 3
START_TIMEOUT = 30.0
# Each kill lands once the server has acknowledged between these many more submissions since it
# started, then after a random pause of up to KILL_JITTER seconds, so it falls mid-request.
# Counted in work done rather than time, so a slower or busier machine kills at the same point.
KILL_AFTER_ACKNOWLEDGED = (10, 30)
KILL_JITTER = 0.05
# The referral every complete submission must carry (marac_answers with 15 DASH yeses).
RISK_SCORE = 15


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Keep 302s as responses: a redirect to the referral is the acknowledgement."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass
class Client:
    """A browser-like HTTP client: one cookie jar (one signed-in session) shared by threads."""

    base: str
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)
    csrf: str = ""

    def open(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)  # noqa: S310 - local http
        try:
            with opener.open(request, timeout=15) as response:
                return (
                    response.status,
                    response.headers.get("Location", ""),
                    response.read().decode(),
                )
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", ""), error.read().decode()

    def token(self, path: str) -> str:
        status, _, text = self.open(path)
        assert status == 200, (path, status)
        match = CSRF_PATTERN.search(text)
        assert match, f"no CSRF token on {path}"
        return match.group(1) or match.group(2)

    def sign_in(self, email: str, secret: str, password: str = PASSWORD) -> None:
        """Both factors through the real pages, as a browser would."""
        status, location, _ = self.open(
            "/sign-in",
            {"csrf_token": self.token("/sign-in"), "email": email, "password": password},
        )
        assert (status, location) == (302, "/sign-in/security-code")
        code = pyotp.TOTP(secret).now()
        status, location, _ = self.open(
            "/sign-in/security-code",
            {"csrf_token": self.token("/sign-in/security-code"), "code": code},
        )
        assert status == 302, status
        assert "sign-in" not in location, location

    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)


class Server:
    """gunicorn serving the app on one database, in its own process group so that SIGKILL
    takes the arbiter and every worker at once."""

    def __init__(self, settings: Settings, tmp_path: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / "gunicorn.log"
        self.env = {
            **os.environ,
            "APP_ENV": "test",
            "SECRET_KEY": settings.secret_key,
            "KEY_ENCRYPTION_KEY": encode_kek(settings.key_encryption_key),
            "DATABASE_URL": settings.database_url,
            "INSTANCE_PATH": str(settings.instance_path),
            "HTTPS": "0",
        }
        self.env.pop("REDIS_URL", None)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            str(GUNICORN),
            "-c",
            "python:app.serving",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            "2",
            "--timeout",
            "30",
            "app:create_app()",
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("gunicorn did not answer in time:\n" + self.log.read_text()[-3000:])

    def kill(self) -> None:
        """SIGKILL the arbiter and its workers together, then reap the arbiter."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            self.process = None


@dataclass
class Stream:
    """Referral ids to send, and the ids the server acknowledged (302 to the referral)."""

    pending: list[int]
    acknowledged: set[int] = field(default_factory=set)
    sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, acknowledged: int, timeout: float = 60.0) -> None:
        """Until the server has acknowledged this many submissions in all."""
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < acknowledged:
            assert time.monotonic() < deadline, f"only {len(self.acknowledged)} acknowledged"
            time.sleep(0.005)

    def take(self) -> int | None:
        with self.lock:
            return self.pending.pop(0) if self.pending else None

    def send_until_down(self, client: Client) -> None:
        """Send drafts one by one until the server stops answering; an unacknowledged draft goes
        back in the queue (it may have been saved, which the final check accepts)."""
        while (referral_id := self.take()) is not None:
            with self.lock:
                self.sent += 1
            try:
                status, location, _ = client.open(
                    f"/referrals/{referral_id}/check", {"csrf_token": client.csrf}
                )
            except (OSError, http.client.HTTPException):  # refused, reset or cut short: down
                with self.lock:
                    self.pending.append(referral_id)
                return
            if status == 302 and location == f"/referrals/{referral_id}":
                with self.lock:
                    self.acknowledged.add(referral_id)
            else:
                # Sent before a kill but answered after a restart as already sent, or refused:
                # either way not acknowledged; a retry must not be needed for correctness.
                assert status in (200, 404, 409), (status, location)


def seed(app: Flask) -> tuple[str, list[int]]:
    """A referrer on a MARAC panel, with DRAFTS complete drafts; returns the TOTP secret."""
    with app.app_context():
        upgrade()
        organisation = Organisation(name="Crash Police", agency_type=AgencyType.POLICE)
        user = User(
            email=EMAIL,
            display_name="Casey Crash",
            organisation=organisation,
            password_hash=hash_password(PASSWORD),
            password_changed_at=utcnow(),
        )
        db.session.add(user)
        db.session.flush()
        auth_services.start_enrolment(user)
        user.mfa_enrolled_at = utcnow()
        secret = totp_secret(user)
        marac = panel("Crashton")
        member(marac, user, PanelRole.REPRESENTATIVE)
        answers = marac_answers(referred_on=date(2025, 3, 3))
        ids = [draft(user, marac, answers).id for _ in range(DRAFTS)]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return secret, ids


def check_outcome(app: Flask, ids: list[int], acknowledged: set[int]) -> int:
    """Every referral complete or untouched, every acknowledged one complete, the chain intact;
    returns how many were submitted in all."""
    with app.app_context():
        submitted_events: dict[str, int] = dict(
            db.session.execute(
                select(AuditEvent.object_id, func.count())
                .where(AuditEvent.action == AuditAction.REFERRAL_SUBMITTED)
                .group_by(AuditEvent.object_id)
            ).all()
        )
        assessments: dict[int, int] = dict(
            db.session.execute(
                select(RiskAssessment.referral_id, func.count()).group_by(
                    RiskAssessment.referral_id
                )
            ).all()
        )
        complete = set()
        for referral in db.session.scalars(select(Referral).where(Referral.id.in_(ids))):
            facts = {
                "submitted status": referral.status is ReferralStatus.SUBMITTED,
                "submitted at": referral.submitted_at is not None,
                "criteria": bool(referral.criteria),
                "risk score": referral.risk_score == RISK_SCORE,
                "risk level": referral.risk_level is not None,
                "one assessment": assessments.get(referral.id, 0) == 1,
                "consent": referral.consent_given is True,
                "diversity": referral.victim_gender == "female",
                "one audit event": submitted_events.get(str(referral.id), 0) == 1,
            }
            untouched = {
                "submitted status": referral.status is ReferralStatus.DRAFT,
                "submitted at": referral.submitted_at is None,
                "criteria": not referral.criteria,
                "risk score": referral.risk_score is None,
                "risk level": referral.risk_level is None,
                "one assessment": referral.id not in assessments,
                "consent": referral.consent_given is None,
                "diversity": referral.victim_gender is None,
                "one audit event": str(referral.id) not in submitted_events,
            }
            if all(facts.values()):
                complete.add(referral.id)
            else:
                assert all(untouched.values()), (
                    f"referral {referral.id} is half-written: "
                    f"{ {name: ok for name, ok in facts.items()} }"
                )
        lost = acknowledged - complete
        assert not lost, f"acknowledged but not (completely) saved: {sorted(lost)}"
        verification = verify_chain(stored_checkpoints())
        assert verification.intact, verification
        db.session.remove()
        db.engine.dispose()
    return len(complete)


def run_crashes(settings: Settings, tmp_path: Path) -> None:
    app = create_app(settings)
    secret, ids = seed(app)
    server = Server(settings, tmp_path)
    stream = Stream(pending=list(ids))
    client = Client(server.base)
    randomness = random.Random(2026)
    kills = 0
    try:
        for round_number in range(KILLS + 1):
            server.start()
            if round_number == 0:
                client.sign_in(EMAIL, secret)
                client.csrf = client.token(f"/referrals/{ids[0]}/check")
            threads = [
                threading.Thread(target=stream.send_until_down, args=(client,))
                for _ in range(CLIENT_THREADS)
            ]
            for thread in threads:
                thread.start()
            if round_number < KILLS:
                stream.wait_for(
                    len(stream.acknowledged) + randomness.randint(*KILL_AFTER_ACKNOWLEDGED)
                )
                time.sleep(randomness.uniform(0, KILL_JITTER))
                assert stream.pending, "the drafts ran out before the kill: raise DRAFTS"
                server.kill()
                kills += 1
            for thread in threads:
                thread.join(timeout=120)
                assert not thread.is_alive()
        assert not stream.pending
    finally:
        server.stop()
    saved = check_outcome(app, ids, stream.acknowledged)
    # The figures for the closing note (shown with -rP or -s).
    print(
        f"\ncrash safety on {settings.database_url.split(':')[0]}: "
        f"{stream.sent} submissions sent, {len(stream.acknowledged)} acknowledged, "
        f"{saved} saved, {kills} kills survived"
    )
    assert kills == KILLS
    assert len(stream.acknowledged) >= DRAFTS // 2  # the stream really ran between kills


def test_sigkill_loses_no_acknowledged_referral_on_sqlite(tmp_path: Path) -> None:
    run_crashes(make_settings(tmp_path), tmp_path)


@pytest.mark.postgres
def test_sigkill_loses_no_acknowledged_referral_on_postgresql(tmp_path: Path) -> None:
    url = postgres_url()
    reset_postgres(url)
    run_crashes(make_settings(tmp_path, database_url=url), tmp_path)
