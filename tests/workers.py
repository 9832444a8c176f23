"""The real job worker (`flask jobs worker`) in a process of its own, with a test app's
settings passed as the environment a deployment would give it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO
from typing import Any

from app.settings import Settings
from app.settings import encode_kek

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def app_environment(settings: Settings) -> dict[str, str]:
    """The environment a process of the app's own (a worker, a command) needs to open the
    test's database with the test's keys."""
    return {
        **os.environ,
        "APP_ENV": "test",
        "SECRET_KEY": settings.secret_key,
        "KEY_ENCRYPTION_KEY": encode_kek(settings.key_encryption_key),
        "DATABASE_URL": settings.database_url,
        "INSTANCE_PATH": str(settings.instance_path),
    }


def start_worker(
    settings: Settings, output: int | IO[Any] = subprocess.PIPE
) -> subprocess.Popen[bytes]:
    """One worker thread on the settings' database, queue and mail server; its output (the
    log) to `output`, with its errors."""
    env = {
        **app_environment(settings),
        "JOBS_QUEUE": settings.jobs_queue,
        "REDIS_URL": settings.redis_url or "",
        "SMTP_URL": settings.mail.smtp_url or "",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "jobs", "worker", "--workers", "1"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
