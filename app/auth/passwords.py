"""Password hashing (argon2id, rehashed when the cost parameters change) and password rules."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from flask import current_app

from app.settings import Settings

MIN_PASSWORD_LENGTH = 12
# Long enough for any passphrase; the cap stops a megabyte password being hashed (hash DoS).
MAX_PASSWORD_LENGTH = 128
# Words that make a password guessable for anyone who knows where the user works.
CONTEXT_WORDS = ("password", "marac", "channel", "prevent", "riskpanel", "qwerty", "letmein")


def hasher() -> PasswordHasher:
    settings: Settings = current_app.config["SETTINGS"]
    cost = settings.password_hashing
    return PasswordHasher(
        time_cost=cost.time_cost, memory_cost=cost.memory_cost_kib, parallelism=cost.parallelism
    )


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no stored hash, still spend the same time so timing tells nothing."""
    ph = hasher()
    if password_hash is None:
        password_hash = _dummy_hash(ph)
        password = password + "\0does-not-match"
    try:
        return ph.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)


def password_problem(password: str, *, email: str = "") -> str | None:
    """Why a new password is not acceptable, in words for the person choosing it."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    lowered = password.lower()
    if any(word in lowered for word in CONTEXT_WORDS):
        return "Password must not contain common words such as ‘password’ or the panel’s name"
    local_part = email.split("@", 1)[0].lower()
    if len(local_part) >= 4 and local_part in lowered:
        return "Password must not contain your email address"
    if len(set(password)) < 5:
        return "Password must not repeat the same few characters"
    return None


_dummy_hashes: dict[tuple[int, int, int], str] = {}


def _dummy_hash(ph: PasswordHasher) -> str:
    key = (ph.time_cost, ph.memory_cost, ph.parallelism)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = ph.hash("a password nobody has")
    return _dummy_hashes[key]
