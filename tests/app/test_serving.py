"""The gunicorn hooks in app.serving. A real gunicorn worker running them is tested with the
other real-server tests in test_redis_throttle.py."""

from __future__ import annotations

import gc
import os
import secrets
import signal
import subprocess
import sys
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from types import SimpleNamespace

import pytest

from app import create_app
from app.serving import freeze_start_up
from app.serving import nworkers_changed
from app.serving import on_starting
from app.settings import SettingsError
from app.settings import encode_kek
from tests.conftest import make_settings


def test_freezing_takes_the_start_up_objects_out_of_collection(tmp_path: Path) -> None:
    built = create_app(make_settings(tmp_path))
    assert any(built.url_map is o for o in gc.get_objects())  # in the collector's sight
    try:
        assert freeze_start_up() > 10_000
        assert gc.is_tracked(built.url_map)
        assert not any(built.url_map is o for o in gc.get_objects())  # frozen: out of sight
    finally:
        gc.unfreeze()


# Rate limits shared between workers (issue 26) ---------------------------------------------------

STRONG = {
    "SECRET_KEY": secrets.token_urlsafe(48),
    "KEY_ENCRYPTION_KEY": encode_kek(secrets.token_bytes(32)),
}
GUNICORN = Path(sys.executable).parent / "gunicorn"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class FakeLog:
    lines: list[tuple[str, str]] = field(default_factory=list)

    def warning(self, message: str, *args: object) -> None:
        self.lines.append(("warning", message % args))

    def error(self, message: str, *args: object) -> None:
        self.lines.append(("error", message % args))


@dataclass
class FakeArbiter:
    """What the hooks use of gunicorn's arbiter: its configuration and its log."""

    workers: int
    log: FakeLog = field(default_factory=FakeLog)

    @property
    def cfg(self) -> SimpleNamespace:
        return SimpleNamespace(workers=self.workers)


def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **values: str) -> None:
    for name in ("REDIS_URL", "TRUSTED_HOSTS", "EXTERNAL_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def production(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **values: str) -> None:
    environment(
        monkeypatch,
        tmp_path,
        APP_ENV="production",
        EXTERNAL_URL="https://panels.example.org",
        SMTP_URL="smtp://mail.example.org:587",
        **STRONG,
        **values,
    )


def test_gunicorn_refuses_two_workers_without_redis_in_production(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    production(monkeypatch, tmp_path)
    with pytest.raises(SettingsError, match="REDIS_URL"):
        on_starting(FakeArbiter(workers=2))


@pytest.mark.parametrize(
    ("workers", "redis_url"),
    [(1, None), (2, "redis://127.0.0.1:6379/0"), (8, "redis://127.0.0.1:6379/0")],
    ids=["one-worker", "two-with-redis", "eight-with-redis"],
)
def test_gunicorn_starts_one_worker_or_workers_sharing_redis(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, workers: int, redis_url: str | None
) -> None:
    production(monkeypatch, tmp_path, **({"REDIS_URL": redis_url} if redis_url else {}))
    arbiter = FakeArbiter(workers=workers)
    on_starting(arbiter)
    assert arbiter.log.lines == []


def test_gunicorn_warns_in_development(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    environment(monkeypatch, tmp_path, APP_ENV="development")
    arbiter = FakeArbiter(workers=2)
    on_starting(arbiter)
    [(level, line)] = arbiter.log.lines
    assert level == "warning"
    assert "Set REDIS_URL" in line


def test_workers_added_while_running_are_reported_loudly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """SIGTTIN adds a worker to a running server: stopping it then would be worse, so say so."""
    production(monkeypatch, tmp_path)
    arbiter = FakeArbiter(workers=1)
    nworkers_changed(arbiter, 1, None)  # gunicorn setting its starting number
    assert arbiter.log.lines == []
    nworkers_changed(arbiter, 2, 1)
    [(level, line)] = arbiter.log.lines
    assert level == "error"
    assert "REDIS_URL" in line


def test_a_real_gunicorn_exits_with_the_reason(tmp_path: Path) -> None:
    """As the README's deployment command runs it, with --workers 2 and no REDIS_URL."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin"),
        "HOME": str(tmp_path),
        "APP_ENV": "production",
        "INSTANCE_PATH": str(tmp_path),
        "EXTERNAL_URL": "https://panels.example.org",
        "SMTP_URL": "smtp://mail.example.org:587",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        **STRONG,
    }
    process = subprocess.Popen(
        [
            str(GUNICORN),
            "-c",
            "python:app.serving",
            "app:create_app()",
            "--workers",
            "2",
            "--bind",
            "127.0.0.1:0",
            "--no-control-socket",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # so that a server which did start is stopped with its workers
    )
    try:
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail("gunicorn started with two workers and no REDIS_URL in production")
    assert process.returncode == 1
    assert "2 worker processes without REDIS_URL" in stderr
    assert "Traceback" not in stderr
