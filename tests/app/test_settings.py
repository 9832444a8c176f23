"""Start-up validation: outside development and demo, missing or weak secrets stop the app."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from app.settings import Environment
from app.settings import SettingsError
from app.settings import check_workers
from app.settings import encode_kek
from app.settings import load_settings

STRONG_KEY = secrets.token_urlsafe(48)
STRONG_KEK = encode_kek(secrets.token_bytes(32))


EXTERNAL_URL = "https://panels.example.org"


def production(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        "APP_ENV": "production",
        "INSTANCE_PATH": str(tmp_path),
        "EXTERNAL_URL": EXTERNAL_URL,
        "SMTP_URL": "smtp://mail.example.org:587",
    }
    env.update(extra)
    return env


def strong_production(tmp_path: Path, **extra: str) -> dict[str, str]:
    return production(tmp_path, SECRET_KEY=STRONG_KEY, KEY_ENCRYPTION_KEY=STRONG_KEK, **extra)


def test_production_with_strong_secrets_loads(tmp_path: Path) -> None:
    settings = load_settings(
        production(tmp_path, SECRET_KEY=STRONG_KEY, KEY_ENCRYPTION_KEY=STRONG_KEK)
    )
    assert settings.environment is Environment.PRODUCTION
    assert settings.https is True
    assert not (tmp_path / "secrets.json").exists()


def test_environment_defaults_to_production_and_fails_closed(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY is not set"):
        load_settings({"INSTANCE_PATH": str(tmp_path)})


@pytest.mark.parametrize(
    ("secret_key", "message"),
    [
        ("", "is not set"),
        ("short", "at least 32 characters"),
        ("changeme" * 5, "placeholder"),
        ("a" * 40, "placeholder or has too little variety"),
    ],
)
def test_missing_or_weak_secret_key_is_refused(
    tmp_path: Path, secret_key: str, message: str
) -> None:
    env = production(tmp_path, SECRET_KEY=secret_key, KEY_ENCRYPTION_KEY=STRONG_KEK)
    with pytest.raises(SettingsError, match=message):
        load_settings(env)


@pytest.mark.parametrize(
    ("kek", "message"),
    [
        ("", "is not set"),
        (encode_kek(b"x" * 16), "must be 32 bytes"),
        (encode_kek(b"\x00" * 32), "too little variety"),
        ("not base64 !!!", "not valid base64url|must be 32 bytes"),
    ],
)
def test_missing_or_weak_key_encryption_key_is_refused(
    tmp_path: Path, kek: str, message: str
) -> None:
    env = production(tmp_path, SECRET_KEY=STRONG_KEY, KEY_ENCRYPTION_KEY=kek)
    with pytest.raises(SettingsError, match=message):
        load_settings(env)


def test_key_encryption_key_can_come_from_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "kek"
    key_file.write_text(STRONG_KEK + "\n")
    settings = load_settings(
        production(tmp_path, SECRET_KEY=STRONG_KEY, KEY_ENCRYPTION_KEY_FILE=str(key_file))
    )
    assert encode_kek(settings.key_encryption_key) == STRONG_KEK


def test_debug_is_refused_in_production(tmp_path: Path) -> None:
    env = production(tmp_path, SECRET_KEY=STRONG_KEY, KEY_ENCRYPTION_KEY=STRONG_KEK, DEBUG="true")
    with pytest.raises(SettingsError, match="DEBUG"):
        load_settings(env)


@pytest.mark.parametrize(
    "name", ["IDLE_TIMEOUT_MINUTES", "ABSOLUTE_TIMEOUT_HOURS", "TRUSTED_PROXY_COUNT"]
)
def test_numbers_must_be_numbers(tmp_path: Path, name: str) -> None:
    env = production(
        tmp_path, SECRET_KEY=STRONG_KEY, KEY_ENCRYPTION_KEY=STRONG_KEK, **{name: "ten"}
    )
    with pytest.raises(SettingsError, match=name):
        load_settings(env)


def test_unknown_environment_is_named_in_the_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="APP_ENV must be one of"):
        load_settings({"APP_ENV": "staging", "INSTANCE_PATH": str(tmp_path)})


@pytest.mark.parametrize("environment", ["development", "demo"])
def test_development_generates_its_secrets_once(tmp_path: Path, environment: str) -> None:
    first = load_settings({"APP_ENV": environment, "INSTANCE_PATH": str(tmp_path)})
    second = load_settings({"APP_ENV": environment, "INSTANCE_PATH": str(tmp_path)})
    stored = tmp_path / "secrets.json"
    assert stored.stat().st_mode & 0o777 == 0o600
    assert first.secret_key == second.secret_key == json.loads(stored.read_text())["SECRET_KEY"]
    assert first.key_encryption_key == second.key_encryption_key
    assert first.https is False
    assert first.database_url == f"sqlite:///{tmp_path / 'app.db'}"


def test_app_start_up_stops_with_a_clear_message(tmp_path: Path) -> None:
    """Run as gunicorn or flask would: a configuration error is one readable line, exit code 1."""
    result = subprocess.run(
        [sys.executable, "-c", "from app import create_app; create_app()"],
        env={
            "APP_ENV": "production",
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "dev",
            "PATH": "/usr/bin",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Configuration error: SECRET_KEY must be at least 32 characters" in result.stderr
    assert "Traceback" not in result.stderr


# Trusted hosts and the address links are built from (issue 26) ---------------------------------


def test_production_refuses_to_start_without_its_external_url(tmp_path: Path) -> None:
    env = strong_production(tmp_path)
    del env["EXTERNAL_URL"]
    with pytest.raises(SettingsError, match="EXTERNAL_URL is not set"):
        load_settings(env)


def test_production_trusts_only_its_external_host_and_those_listed(tmp_path: Path) -> None:
    settings = load_settings(strong_production(tmp_path, EXTERNAL_URL=EXTERNAL_URL + "/"))
    assert settings.external_url == EXTERNAL_URL
    assert settings.allowed_hosts == ("panels.example.org",)
    listed = load_settings(strong_production(tmp_path, TRUSTED_HOSTS="app-1.internal, 10.0.0.5"))
    assert listed.allowed_hosts == ("panels.example.org", "app-1.internal", "10.0.0.5")


@pytest.mark.parametrize(
    "url",
    [
        "panels.example.org",
        "ftp://panels.example.org",
        "https://panels.example.org/risk-panels",
        "https://panels.example.org/?next=x",
        "https://someone@panels.example.org",
        "https://panels.example.org:99999",
        "https://",
    ],
)
def test_an_external_url_that_is_not_an_address_is_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(SettingsError, match="EXTERNAL_URL must be a scheme and host only"):
        load_settings(strong_production(tmp_path, EXTERNAL_URL=url))


def test_an_external_url_must_use_https_when_https_is_on(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="EXTERNAL_URL must start with https://"):
        load_settings(strong_production(tmp_path, EXTERNAL_URL="http://panels.example.org"))
    plain = load_settings(
        strong_production(tmp_path, EXTERNAL_URL="http://panels.example.org:8080", HTTPS="false")
    )
    assert plain.allowed_hosts == ("panels.example.org",)


@pytest.mark.parametrize("host", ["https://panels.example.org", "panels.example.org/x", "*"])
def test_trusted_hosts_are_host_names(tmp_path: Path, host: str) -> None:
    with pytest.raises(SettingsError, match="TRUSTED_HOSTS lists host names only"):
        load_settings(strong_production(tmp_path, TRUSTED_HOSTS=host))


@pytest.mark.parametrize("environment", ["development", "demo", "test"])
def test_elsewhere_the_local_names_are_trusted_with_no_configuration(
    tmp_path: Path, environment: str
) -> None:
    """`make run` needs nothing new: a development server answers to localhost and 127.0.0.1."""
    env = {"APP_ENV": environment, "INSTANCE_PATH": str(tmp_path)}
    if environment == "test":
        env |= {"SECRET_KEY": STRONG_KEY, "KEY_ENCRYPTION_KEY": STRONG_KEK}
    settings = load_settings(env)
    assert settings.external_url is None
    assert settings.allowed_hosts == ("localhost", "127.0.0.1")
    named = load_settings(env | {"TRUSTED_HOSTS": "dev-box.local"})
    assert named.allowed_hosts == ("dev-box.local",)


# Rate limits shared between workers (issue 26) ---------------------------------------------------


def test_production_refuses_several_workers_without_shared_rate_limits(tmp_path: Path) -> None:
    settings = load_settings(strong_production(tmp_path))
    with pytest.raises(SettingsError, match="Set REDIS_URL") as refused:
        check_workers(settings, 2)
    assert "2 times as many password guesses" in str(refused.value)
    assert check_workers(settings, 1) is None
    shared = load_settings(strong_production(tmp_path, REDIS_URL="redis://127.0.0.1:6379/0"))
    assert check_workers(shared, 4) is None


@pytest.mark.parametrize("environment", ["development", "demo", "test"])
def test_elsewhere_several_workers_without_redis_are_a_warning(
    tmp_path: Path, environment: str
) -> None:
    env = {"APP_ENV": environment, "INSTANCE_PATH": str(tmp_path)}
    if environment == "test":
        env |= {"SECRET_KEY": STRONG_KEY, "KEY_ENCRYPTION_KEY": STRONG_KEK}
    warning = check_workers(load_settings(env), 3)
    assert warning is not None
    assert "REDIS_URL" in warning
    assert check_workers(load_settings(env), 1) is None
