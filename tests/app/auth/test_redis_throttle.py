"""Rate limits with Redis: shared across worker processes, and failing closed when Redis is down.

Each test starts real gunicorn processes (one worker each) on a shared SQLite file, so the only
thing the processes share besides the database is the rate-limit storage.
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest
import redis
from flask_migrate import upgrade

from app import create_app
from app.accounts.models import AgencyType
from app.accounts.models import Organisation
from app.accounts.models import User
from app.auth import services as auth_services
from app.auth.passwords import hash_password
from app.database import db
from app.database import utcnow
from app.settings import encode_kek
from tests.conftest import PASSWORD
from tests.conftest import csrf_token
from tests.conftest import make_settings

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set"),
]

# Unique per run, so that another test run sharing the Redis server counts on other keys.
EMAIL = f"worker-{secrets.token_hex(4)}@test.example"
WRONG = "definitely the wrong one"
SIGN_IN_FAILED = "Enter a correct email address and password"
GUNICORN = Path(sys.executable).parent / "gunicorn"
PROJECT_ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT = 30.0
REQUEST_TIMEOUT = 10.0


@dataclass(frozen=True)
class Secrets:
    secret_key: str
    key_encryption_key: bytes


@pytest.fixture(scope="module")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Secrets]:
    """A migrated SQLite file with one enrolled user, and the keys it was made with."""
    directory = tmp_path_factory.mktemp("redis-template")
    settings = make_settings(directory)
    app = create_app(settings)
    with app.app_context():
        upgrade()
        organisation = Organisation(name="Test Police", agency_type=AgencyType.POLICE)
        db.session.add(organisation)
        db.session.flush()
        user = User(
            email=EMAIL,
            display_name="Test Worker",
            organisation_id=organisation.id,
            password_hash=hash_password(PASSWORD),
            password_changed_at=utcnow(),
        )
        db.session.add(user)
        db.session.flush()
        auth_services.start_enrolment(user)
        user.mfa_enrolled_at = utcnow()
        db.session.commit()
        db.engine.dispose()
    return directory / "test.db", Secrets(settings.secret_key, settings.key_encryption_key)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # let a 302 come back as the answer


@dataclass
class Response:
    status: int
    text: str
    location: str | None


class Browser:
    """One visitor of one server: its own cookie jar, so its own session and CSRF token."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirects()
        )

    def request(self, path: str, form: dict[str, str] | None = None) -> Response:
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base_url + path, data=body)  # noqa: S310 (http only)
        try:
            with self.opener.open(request, timeout=REQUEST_TIMEOUT) as answer:
                return Response(answer.status, answer.read().decode(), answer.headers["Location"])
        except urllib.error.HTTPError as error:
            with error:
                return Response(error.code, error.read().decode(), error.headers["Location"])

    def sign_in(self, password: str) -> Response:
        page = self.request("/sign-in")
        assert page.status == 200, page.text
        form = {"csrf_token": csrf_token(page.text), "email": EMAIL, "password": password}
        return self.request("/sign-in", form)


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def _stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)


def _wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(
                f"gunicorn exited with {server.process.returncode}:\n{server.log.read_text()}"
            )
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(
        f"gunicorn at {server.url} did not answer /healthz in time:\n{server.log.read_text()}"
    )


def _no_control_socket() -> list[str]:
    """Newer gunicorns open a control socket at one fixed path in the home directory, which
    concurrent test servers would fight over; the tests do not need it."""
    import gunicorn.config

    if "control_socket_disable" in gunicorn.config.Config().settings:
        return ["--no-control-socket"]
    return []


StartServers = Callable[..., list[Server]]


@pytest.fixture
def start_servers(
    tmp_path: Path, template_database: tuple[Path, Secrets]
) -> Iterator[StartServers]:
    """Start gunicorn processes (one worker each) sharing a copy of the template database.

    Every process started here is terminated at the end of the test, pass or fail.
    """
    database, keys = template_database
    shutil.copy(database, tmp_path / "test.db")
    servers: list[Server] = []
    logs: list[IO[bytes]] = []

    def start(count: int, *, redis_url: str | None) -> list[Server]:
        environment = {
            **os.environ,
            "APP_ENV": "test",
            "SECRET_KEY": keys.secret_key,
            "KEY_ENCRYPTION_KEY": encode_kek(keys.key_encryption_key),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'test.db'}",
            "HTTPS": "false",
            "INSTANCE_PATH": str(tmp_path),
        }
        environment.pop("REDIS_URL", None)
        if redis_url:
            environment["REDIS_URL"] = redis_url
        started = []
        for _ in range(count):
            port = free_port()
            log_path = tmp_path / f"gunicorn-{port}.log"
            log = log_path.open("wb")
            logs.append(log)
            process = subprocess.Popen(
                [
                    str(GUNICORN),
                    "--config",
                    "python:app.serving",
                    "app:create_app()",
                    "--workers",
                    "1",
                    "--bind",
                    f"127.0.0.1:{port}",
                    *_no_control_socket(),
                ],
                cwd=PROJECT_ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            server = Server(f"http://127.0.0.1:{port}", process, log_path)
            servers.append(server)
            started.append(server)
        for server in started:
            _wait_until_healthy(server)
        return started

    yield start
    for server in servers:
        _stop(server)
    for log in logs:
        log.close()


def _logs(servers: list[Server]) -> str:
    return "\n".join(f"--- {server.url}\n{server.log.read_text()}" for server in servers)


def test_failures_on_two_workers_share_one_throttle(start_servers: StartServers) -> None:
    redis.Redis.from_url(REDIS_URL).flushdb()
    first, second = start_servers(2, redis_url=REDIS_URL)
    visitors = [Browser(first.url), Browser(second.url)]

    # Five failures in all, alternating between the workers: each worker sees only two or three.
    # The sixth is refused by whichever worker gets it, since both read the same counters.
    answers = [visitors[attempt % 2].sign_in(WRONG) for attempt in range(6)]
    statuses = [answer.status for answer in answers]
    assert statuses == [200] * 5 + [429], (statuses, _logs([first, second]))
    assert all(SIGN_IN_FAILED in answer.text for answer in answers[:5])
    assert "too many attempts" in answers[5].text.lower()
    # And the right password, on the other worker, waits too.
    right = visitors[0].sign_in(PASSWORD)
    assert right.status == 429, (right.status, _logs([first, second]))
    assert right.location is None
    # The counters really are in Redis (keyed by a hash of the email address).
    digest = hashlib.sha256(EMAIL.encode()).hexdigest()
    assert list(redis.Redis.from_url(REDIS_URL).scan_iter(match=f"*{digest}*"))


def test_without_redis_each_worker_counts_on_its_own(start_servers: StartServers) -> None:
    """Why the test above needs Redis: in-memory counters are per process."""
    first, second = start_servers(2, redis_url=None)
    visitors = [Browser(first.url), Browser(second.url)]

    answers = [visitors[attempt % 2].sign_in(WRONG) for attempt in range(8)]
    statuses = [answer.status for answer in answers]
    assert statuses == [200] * 8, (statuses, _logs([first, second]))
    assert all(SIGN_IN_FAILED in answer.text for answer in answers)
    # Four failures on each worker: under the five-a-minute limit, so the right password works.
    right = visitors[0].sign_in(PASSWORD)
    assert right.status == 302, (right.status, _logs([first, second]))
    assert right.location == "/sign-in/security-code"


def test_sign_in_fails_closed_when_redis_is_down(start_servers: StartServers) -> None:
    # A port nothing listens on: the app starts, but every rate-limit check fails.
    (server,) = start_servers(1, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    visitor = Browser(server.url)

    right = visitor.sign_in(PASSWORD)
    assert right.status == 503, (right.status, _logs([server]))
    assert "Sorry, the service is unavailable" in right.text
    assert right.location is None
    home = visitor.request("/")  # still not signed in
    assert (home.status, home.location) == (302, "/sign-in")


def test_workers_freeze_what_start_up_made(start_servers: StartServers) -> None:
    """The served config (app.serving) runs in each real worker: start-up objects are frozen
    out of garbage collection before the first request, so full collections stay short."""
    (server,) = start_servers(1, redis_url=None)
    assert Browser(server.url).request("/healthz").status == 200
    froze = [line for line in server.log.read_text().splitlines() if "start-up objects" in line]
    assert len(froze) == 1, server.log.read_text()
    assert int(froze[0].split("Froze ")[1].split()[0]) > 10_000
