"""Typed, frozen settings read from the environment and validated before the app starts.

Outside development and demo a missing or weak secret stops the app: we never fall back to a
default key, because a guessable key would let anyone forge sessions or read the database.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import timedelta
from decimal import Decimal
from decimal import InvalidOperation
from email.utils import parseaddr
from enum import StrEnum
from pathlib import Path
from urllib.parse import SplitResult
from urllib.parse import urlsplit

MIN_SECRET_KEY_LENGTH = 32
KEK_BYTES = 32
WEAK_SECRET_WORDS = ("changeme", "change-me", "secret", "password", "development", "example")
INSTANCE_SECRETS_FILE = "secrets.json"
DEFAULT_HANDLING_CAVEAT = (
    "Shared under the panel's information sharing protocol for its safeguarding purpose only. "
    "Do not copy or share further without the originating agency's agreement."
)
# The names a development, demo or test server answers to when TRUSTED_HOSTS is not set.
LOCAL_HOSTS = ("localhost", "127.0.0.1")
HOST_NAME = re.compile(r"\.?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?", re.ASCII)
# REPORTS_REPEAT_BAND: two whole percentages, such as "28-40" or "28–40%".
PERCENT_BAND = re.compile(r"\s*(\d{1,3})\s*[-–]\s*(\d{1,3})\s*%?\s*")
REPORT_TEXT_MAX_LENGTH = 200
BENCHMARK_MAX = 10_000  # of the SafeLives return's benchmarks (cases, referrals a year)
EXTRACT_KEEP_MAX_HOURS = 168  # a week: an extract of personal data is not kept longer


class SettingsError(RuntimeError):
    """The environment does not describe a safe, runnable configuration."""


class Environment(StrEnum):
    DEVELOPMENT = "development"
    DEMO = "demo"
    TEST = "test"
    PRODUCTION = "production"

    @property
    def generates_secrets(self) -> bool:
        """Development and demo instances make their own secrets in `instance/`."""
        return self in (Environment.DEVELOPMENT, Environment.DEMO)


@dataclass(frozen=True)
class PasswordHashing:
    """argon2id cost parameters (argon2-cffi's RFC 9106 low-memory profile by default)."""

    time_cost: int = 3
    memory_cost_kib: int = 65536
    parallelism: int = 4


@dataclass(frozen=True)
class RateLimits:
    """flask-limiter limit strings; several windows per key make the delay grow with failures."""

    sign_in_per_account: str = "5 per minute; 10 per 15 minutes; 20 per hour"
    sign_in_per_address: str = "30 per minute; 300 per hour"
    two_factor_per_account: str = "5 per minute; 15 per hour"
    # Person searches per user: enough for a coordinator screening a busy list, far too few
    # to walk a population of names and dates of birth (security R18).
    people_search_per_user: str = "20 per minute; 200 per day"
    # Referral-level extracts asked for per user: a coordinator's working needs, not a stream
    # of copies of the panel's records (security R20, ASVS 2.4.1).
    extracts_per_user: str = "10 per hour; 30 per day"


@dataclass(frozen=True)
class ReportSettings:
    """What the aggregate reports count against (issue 20; domain §2.10, R23, E11): the
    small-number threshold, the repeat rate's benchmark band and the latest national repeat
    rate. When SafeLives publishes a new national figure, the deployment changes
    REPORTS_NATIONAL_REPEAT_RATE and REPORTS_NATIONAL_REPEAT_PERIOD."""

    # Counts below this leave the panel only as "fewer than N" (R23, E11).
    suppress_below: int = 5
    # The repeat rate's benchmark band, in whole percentages ([UNCONFIRMED] 28–40%, §2.10).
    band_low: int = 28
    band_high: int = 40
    # The latest published national repeat rate (SafeLives Marac national dataset).
    national_rate: Decimal = Decimal(31)
    national_period: str = "12 months to 30 September 2024"
    national_source: str = "SafeLives Marac national dataset"
    # The SafeLives return's benchmarks (domain §2.10, E6): the recommended volume of cases a
    # year per 10,000 adult (16+) women, referrals a year one full-time IDVA can take, and cases
    # a year per full-time MARAC administrator.
    recommended_per_10000: int = 40
    referrals_per_idva: int = 100
    cases_per_administrator: int = 400
    # How long a referral-level extract is kept for its requester to download, in hours.
    extract_keep_hours: int = 24

    @property
    def band_label(self) -> str:
        return f"{self.band_low}–{self.band_high}%"

    @property
    def national_label(self) -> str:
        return f"{self.national_rate.normalize():f}%"


@dataclass(frozen=True)
class MailSettings:
    """Where notifications are sent from (issue 22). Without an SMTP server (development, demo
    and test only) each message is written to the local sink, a folder the developer reads."""

    # smtp://[user[:password]@]host[:port] (upgraded with STARTTLS) or smtps://… (TLS at once).
    smtp_url: str | None = field(default=None, repr=False)
    sender: str = "Risk Panels <no-reply@localhost>"
    # Outside development, demo and test a message goes only over TLS: a server that does not
    # offer STARTTLS is an error (the message is retried), never a reason to send in the clear.
    tls_required: bool = True
    sink: Path = Path("instance/mail")

    @property
    def uses_sink(self) -> bool:
        return self.smtp_url is None


@dataclass(frozen=True)
class Settings:
    environment: Environment
    secret_key: str
    key_encryption_key: bytes = field(repr=False)
    database_url: str
    # Older KEKs kept only while `flask keys rotate` rewraps the data keys they wrapped.
    previous_key_encryption_keys: tuple[bytes, ...] = field(default=(), repr=False)
    redis_url: str | None = None
    # The job queue's name: deployments sharing one Redis (or one instance folder) keep their
    # background work apart by giving each its own.
    jobs_queue: str = "riskpanels"
    # Where people reach the app, e.g. https://panels.example.org: every link sent to someone
    # (a one-time set-password link) is built from it, never from the request's Host header.
    # Required in production; elsewhere links use the request's host, which TRUSTED_HOSTS limits.
    external_url: str | None = None
    # Other host names requests may carry (besides EXTERNAL_URL's); any other gets a 400.
    trusted_hosts: tuple[str, ...] = LOCAL_HOSTS
    instance_path: Path = Path("instance")
    partnership_name: str = "East London Community Safety Partnership"
    service_name: str = "Risk Panels"
    protective_marking: str = "OFFICIAL-SENSITIVE"
    # Shown with the marking on every page, print and export (domain R10).
    handling_caveat: str = DEFAULT_HANDLING_CAVEAT
    idle_timeout: timedelta = timedelta(minutes=30)
    absolute_timeout: timedelta = timedelta(hours=12)
    https: bool = True
    trusted_proxy_count: int = 0
    max_content_length: int = 1024 * 1024
    debug: bool = False
    password_hashing: PasswordHashing = PasswordHashing()
    rate_limits: RateLimits = RateLimits()
    reports: ReportSettings = ReportSettings()
    mail: MailSettings = MailSettings()

    def __post_init__(self) -> None:
        validate(self)

    @property
    def rate_limit_storage_uri(self) -> str:
        """Counters live in Redis when configured so that every worker sees the same limits."""
        return self.redis_url or "memory://"

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        """The host names a request may carry: EXTERNAL_URL's, then TRUSTED_HOSTS."""
        external = urlsplit(self.external_url).hostname if self.external_url else None
        named = (external,) if external else ()
        return named + tuple(host for host in self.trusted_hosts if host != external)


def validate(settings: Settings) -> None:
    """Refuse configurations that would run insecurely; the message says what to fix."""
    if settings.environment is Environment.PRODUCTION and settings.debug:
        raise SettingsError("DEBUG must not be enabled in production.")
    problem = secret_key_problem(settings.secret_key)
    if problem:
        raise SettingsError(f"SECRET_KEY {problem}. Generate one with: {_GENERATE_HINT}")
    problem = kek_problem(settings.key_encryption_key)
    if problem:
        raise SettingsError(f"KEY_ENCRYPTION_KEY {problem}. Generate one with: {_GENERATE_HINT}")
    for previous in settings.previous_key_encryption_keys:
        problem = kek_problem(previous)
        if problem:
            raise SettingsError(f"A previous key-encryption key {problem}.")
        if previous == settings.key_encryption_key:
            raise SettingsError("A previous key-encryption key repeats the current one.")
    if not settings.protective_marking.strip() or not settings.handling_caveat.strip():
        raise SettingsError(
            "PROTECTIVE_MARKING and HANDLING_CAVEAT cannot be blank: every page, print and "
            "export must carry them."
        )
    if settings.idle_timeout > settings.absolute_timeout:
        raise SettingsError("The idle timeout cannot be longer than the absolute session timeout.")
    problem = external_url_problem(settings)
    if problem:
        raise SettingsError(problem)
    for host in settings.trusted_hosts:
        if not HOST_NAME.fullmatch(host):
            raise SettingsError(
                f"TRUSTED_HOSTS lists host names only, like panels.example.org; got {host!r}."
            )
    problem = report_settings_problem(settings.reports)
    if problem:
        raise SettingsError(problem)
    problem = mail_settings_problem(settings)
    if problem:
        raise SettingsError(problem)


def mail_settings_problem(settings: Settings) -> str | None:
    """Say what is wrong with SMTP_URL or MAIL_FROM, or None when they will do."""
    mail = settings.mail
    if mail.smtp_url is None:
        if settings.environment is Environment.PRODUCTION:
            return (
                "SMTP_URL is not set. Set it to the mail server that sends notifications and "
                "account links, like smtp://user:password@mail.example.org:587."
            )
        return None
    try:
        parts = urlsplit(mail.smtp_url)
        parts.port  # noqa: B018  (a port out of range raises ValueError)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        return "SMTP_URL must look like smtp://user:password@mail.example.org:587 (or smtps://)."
    if "@" not in parseaddr(mail.sender)[1]:
        return (
            f"MAIL_FROM must be an email address, like no-reply@example.org; got {mail.sender!r}."
        )
    return None


def report_settings_problem(reports: ReportSettings) -> str | None:
    """Say which REPORTS_* setting is out of range, or None when they will do."""
    if not 1 <= reports.suppress_below <= 100:
        return "REPORTS_SUPPRESS_BELOW must be a whole number from 1 to 100"
    if not 0 <= reports.band_low < reports.band_high <= 100:
        return "REPORTS_REPEAT_BAND must run from a lower to a higher percentage"
    rate = reports.national_rate
    if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(100):
        return "REPORTS_NATIONAL_REPEAT_RATE must be between 0 and 100"
    for name, text in (
        ("REPORTS_NATIONAL_REPEAT_PERIOD", reports.national_period),
        ("REPORTS_NATIONAL_REPEAT_SOURCE", reports.national_source),
    ):
        if len(text) > REPORT_TEXT_MAX_LENGTH:
            return f"{name} must be {REPORT_TEXT_MAX_LENGTH} characters or fewer"
    for name, value in (
        ("REPORTS_RECOMMENDED_PER_10000", reports.recommended_per_10000),
        ("REPORTS_REFERRALS_PER_IDVA", reports.referrals_per_idva),
        ("REPORTS_CASES_PER_ADMINISTRATOR", reports.cases_per_administrator),
    ):
        if not 1 <= value <= BENCHMARK_MAX:
            return f"{name} must be a whole number from 1 to {BENCHMARK_MAX:,}"
    if not 1 <= reports.extract_keep_hours <= EXTRACT_KEEP_MAX_HOURS:
        return (
            "REPORTS_EXTRACT_KEEP_HOURS must be a whole number of hours from 1 to "
            f"{EXTRACT_KEEP_MAX_HOURS}"
        )
    return None


def external_url_problem(settings: Settings) -> str | None:
    """Say what is wrong with EXTERNAL_URL, or None when it will do."""
    url = settings.external_url
    if url is None:
        if settings.environment is Environment.PRODUCTION:
            return (
                "EXTERNAL_URL is not set. Set it to the address people use to reach the app, "
                "like https://panels.example.org: one-time links are built from it, and "
                "requests for any other host are refused."
            )
        return None
    parts = _origin(url)
    if parts is None:
        return (
            "EXTERNAL_URL must be a scheme and host only, like https://panels.example.org; "
            f"got {url!r}."
        )
    if settings.https and parts.scheme != "https":
        return "EXTERNAL_URL must start with https:// when HTTPS is on."
    return None


def _origin(url: str) -> SplitResult | None:
    """The parts of an http(s) origin (scheme, host and port, no path), or None if not one."""
    try:
        parts = urlsplit(url)
        port = parts.port  # a port out of range raises ValueError
    except ValueError:
        return None
    plain = not (parts.query or parts.fragment or parts.username is not None)
    path_free = parts.path in ("", "/")
    if parts.scheme in ("http", "https") and parts.hostname and plain and path_free:
        return parts if port is None or port > 0 else None
    return None


def worker_problem(settings: Settings, workers: int) -> str | None:
    """Say why `workers` server processes cannot share this configuration's rate limits.

    Without REDIS_URL each process keeps its own sign-in counters in memory, so two workers
    let twice as many guesses through as the limits say.
    """
    if workers <= 1 or settings.redis_url:
        return None
    return (
        f"{workers} worker processes without REDIS_URL would each keep their own sign-in "
        f"rate limits, letting {workers} times as many password guesses through. Set REDIS_URL "
        "so that every worker shares the limits, or run one worker."
    )


def check_workers(settings: Settings, workers: int) -> str | None:
    """Refuse, in production, more worker processes than the rate limits can be shared by;
    elsewhere return the problem as a warning to show."""
    problem = worker_problem(settings, workers)
    if problem and settings.environment is Environment.PRODUCTION:
        raise SettingsError(problem)
    return problem


# The app's config key for how many worker processes gunicorn runs, set by app/serving.py's
# post_worker_init hook; absent when the app is not served through those hooks.
SERVER_WORKERS = "SERVER_WORKERS"


def shared_limits_warning(settings: Settings, workers: int | None) -> str | None:
    """For the admin home (issue 26): why the sign-in rate limits may not hold as set, saying
    what to do; None when they hold.

    `workers` is how many server processes gunicorn runs, when it serves the app with its hooks
    (app/serving.py), or None when the app cannot know (`flask run`, another server). Unknown,
    a development or test server is taken to be the single process it usually is; anywhere
    else one process cannot be assumed.
    """
    if settings.redis_url:
        return None
    if workers is not None:
        if workers <= 1:
            return None
        return (
            f"The service runs in {workers} server processes and REDIS_URL is not set, so each "
            f"process keeps its own sign-in rate limits: up to {workers} times as many password "
            "guesses get through as the limits allow. Set REDIS_URL so that every process "
            "shares the limits, or run one worker."
        )
    if settings.environment in (Environment.DEVELOPMENT, Environment.TEST):
        return None
    return (
        "REDIS_URL is not set, so the sign-in rate limits are kept in each server process's "
        "memory, and the service cannot tell how many processes serve it (it is not run by "
        "gunicorn with -c python:app.serving). If there is more than one, each keeps its own "
        "limits and more password guesses get through than the limits allow. Set REDIS_URL so "
        "that every process shares the limits."
    )


_GENERATE_HINT = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


def secret_key_problem(key: str) -> str | None:
    """Say why a Flask secret key is unacceptable, or None when it is strong enough."""
    if not key:
        return "is not set"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"must be at least {MIN_SECRET_KEY_LENGTH} characters"
    if any(word in key.lower() for word in WEAK_SECRET_WORDS) or len(set(key)) < 12:
        return "looks like a placeholder or has too little variety to be random"
    return None


def kek_problem(key: bytes) -> str | None:
    """Say why a key-encryption key is unacceptable, or None when it is usable."""
    if not key:
        return "is not set"
    if len(key) != KEK_BYTES:
        return f"must be {KEK_BYTES} bytes, base64url-encoded"
    if len(set(key)) < 16:
        return "has too little variety to be random"
    return None


def decode_kek(encoded: str) -> bytes:
    """Decode a base64url key; a malformed value is reported, not silently truncated."""
    try:
        return base64.urlsafe_b64decode(encoded.strip() + "=" * (-len(encoded.strip()) % 4))
    except (binascii.Error, ValueError) as error:
        raise SettingsError("KEY_ENCRYPTION_KEY is not valid base64url.") from error


def encode_kek(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode().rstrip("=")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from environment variables (see the README's configuration table)."""
    env = os.environ if environ is None else environ
    environment = _environment(env)
    instance_path = Path(env.get("INSTANCE_PATH", "instance")).resolve()
    generated = _instance_secrets(instance_path) if environment.generates_secrets else {}
    return Settings(
        environment=environment,
        secret_key=env.get("SECRET_KEY") or generated.get("SECRET_KEY", ""),
        key_encryption_key=_kek(env, generated),
        previous_key_encryption_keys=_previous_keks(env),
        database_url=env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'app.db'}",
        redis_url=env.get("REDIS_URL") or None,
        jobs_queue=env.get("JOBS_QUEUE", "").strip() or Settings.jobs_queue,
        external_url=(env.get("EXTERNAL_URL") or "").strip().rstrip("/") or None,
        trusted_hosts=_trusted_hosts(env, environment),
        instance_path=instance_path,
        partnership_name=env.get("PARTNERSHIP_NAME", Settings.partnership_name),
        protective_marking=env.get("PROTECTIVE_MARKING", Settings.protective_marking),
        handling_caveat=env.get("HANDLING_CAVEAT", Settings.handling_caveat),
        idle_timeout=timedelta(minutes=_int(env, "IDLE_TIMEOUT_MINUTES", 30)),
        absolute_timeout=timedelta(hours=_int(env, "ABSOLUTE_TIMEOUT_HOURS", 12)),
        https=_bool(env, "HTTPS", default=not environment.generates_secrets),
        trusted_proxy_count=_int(env, "TRUSTED_PROXY_COUNT", 0),
        debug=_bool(env, "DEBUG", default=False),
        reports=_report_settings(env),
        mail=MailSettings(
            smtp_url=(env.get("SMTP_URL") or "").strip() or None,
            sender=(env.get("MAIL_FROM") or "").strip() or MailSettings.sender,
            tls_required=environment is Environment.PRODUCTION,
            sink=instance_path / "mail",
        ),
    )


def _environment(env: Mapping[str, str]) -> Environment:
    value = env.get("APP_ENV", Environment.PRODUCTION.value)
    try:
        return Environment(value)
    except ValueError:
        choices = ", ".join(e.value for e in Environment)
        raise SettingsError(f"APP_ENV must be one of {choices}; got {value!r}.") from None


def _trusted_hosts(env: Mapping[str, str], environment: Environment) -> tuple[str, ...]:
    """TRUSTED_HOSTS, comma- or space-separated; outside production, the local names by default."""
    listed = tuple(env.get("TRUSTED_HOSTS", "").replace(",", " ").split())
    if listed or environment is Environment.PRODUCTION:
        return listed
    return LOCAL_HOSTS


def _kek(env: Mapping[str, str], generated: Mapping[str, str]) -> bytes:
    if env.get("KEY_ENCRYPTION_KEY_FILE"):
        path = Path(env["KEY_ENCRYPTION_KEY_FILE"])
        try:
            return decode_kek(path.read_text())
        except OSError as error:
            raise SettingsError(f"Cannot read KEY_ENCRYPTION_KEY_FILE {path}: {error}") from None
    encoded = env.get("KEY_ENCRYPTION_KEY") or generated.get("KEY_ENCRYPTION_KEY", "")
    return decode_kek(encoded) if encoded else b""


def _previous_keks(env: Mapping[str, str]) -> tuple[bytes, ...]:
    """Retiring KEKs: a file with one per line, or a comma-separated variable."""
    if env.get("PREVIOUS_KEY_ENCRYPTION_KEYS_FILE"):
        path = Path(env["PREVIOUS_KEY_ENCRYPTION_KEYS_FILE"])
        try:
            encoded = path.read_text().split()
        except OSError as error:
            message = f"Cannot read PREVIOUS_KEY_ENCRYPTION_KEYS_FILE {path}: {error}"
            raise SettingsError(message) from None
    else:
        encoded = env.get("PREVIOUS_KEY_ENCRYPTION_KEYS", "").replace(",", " ").split()
    return tuple(decode_kek(value) for value in encoded)


def _instance_secrets(instance_path: Path) -> dict[str, str]:
    """Read, or on first run create, the development secrets kept in the instance folder."""
    path = instance_path / INSTANCE_SECRETS_FILE
    if path.exists():
        loaded: dict[str, str] = json.loads(path.read_text())
        return loaded
    instance_path.mkdir(parents=True, exist_ok=True)
    created = {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "KEY_ENCRYPTION_KEY": encode_kek(secrets.token_bytes(KEK_BYTES)),
    }
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(created, handle, indent=2)
    return created


def _report_settings(env: Mapping[str, str]) -> ReportSettings:
    """REPORTS_* as read; `validate` refuses values out of range."""
    defaults = ReportSettings()
    threshold = defaults.suppress_below
    raw = env.get("REPORTS_SUPPRESS_BELOW", "").strip()
    if raw:
        if not raw.isdigit():
            raise SettingsError("REPORTS_SUPPRESS_BELOW must be a whole number from 1 to 100")
        threshold = int(raw)
    low, high = defaults.band_low, defaults.band_high
    if env.get("REPORTS_REPEAT_BAND"):
        match = PERCENT_BAND.fullmatch(env["REPORTS_REPEAT_BAND"])
        if not match:
            raise SettingsError("REPORTS_REPEAT_BAND must be two percentages, such as 28-40")
        low, high = int(match[1]), int(match[2])
    rate = defaults.national_rate
    if env.get("REPORTS_NATIONAL_REPEAT_RATE"):
        try:
            rate = Decimal(env["REPORTS_NATIONAL_REPEAT_RATE"].strip().rstrip("%"))
        except InvalidOperation:
            raise SettingsError("REPORTS_NATIONAL_REPEAT_RATE must be a percentage") from None
    return ReportSettings(
        suppress_below=threshold,
        band_low=low,
        band_high=high,
        national_rate=rate,
        national_period=env.get("REPORTS_NATIONAL_REPEAT_PERIOD", "").strip()
        or defaults.national_period,
        national_source=env.get("REPORTS_NATIONAL_REPEAT_SOURCE", "").strip()
        or defaults.national_source,
        recommended_per_10000=_benchmark(
            env, "REPORTS_RECOMMENDED_PER_10000", defaults.recommended_per_10000
        ),
        referrals_per_idva=_benchmark(
            env, "REPORTS_REFERRALS_PER_IDVA", defaults.referrals_per_idva
        ),
        cases_per_administrator=_benchmark(
            env, "REPORTS_CASES_PER_ADMINISTRATOR", defaults.cases_per_administrator
        ),
        extract_keep_hours=_keep_hours(env, defaults.extract_keep_hours),
    )


def _keep_hours(env: Mapping[str, str], default: int) -> int:
    raw = env.get("REPORTS_EXTRACT_KEEP_HOURS", "").strip()
    if not raw:
        return default
    if not raw.isdigit() or len(raw) > len(str(EXTRACT_KEEP_MAX_HOURS)):
        raise SettingsError(
            "REPORTS_EXTRACT_KEEP_HOURS must be a whole number of hours from 1 to "
            f"{EXTRACT_KEEP_MAX_HOURS}"
        )
    return int(raw)


def _benchmark(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise SettingsError(f"{name} must be a whole number from 1 to {BENCHMARK_MAX:,}")
    # A number of more digits than any benchmark has is out of range (`validate` says so),
    # read without turning thousands of digits into an int.
    return int(raw) if len(raw.lstrip("0")) <= len(str(BENCHMARK_MAX)) else BENCHMARK_MAX + 1


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number; got {raw!r}.") from None
    if value < 0:
        raise SettingsError(f"{name} cannot be negative.")
    return value


def _bool(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false; got {raw!r}.")
