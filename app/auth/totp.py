"""Time-based one-time passwords (RFC 6238) with replay protection."""

from __future__ import annotations

import hmac
import time

import pyotp
import segno

STEP_SECONDS = 30
ALLOWED_DRIFT_STEPS = 1
SECRET_LENGTH = 32  # base32 characters: 160 bits


def new_secret() -> str:
    return pyotp.random_base32(length=SECRET_LENGTH)


def provisioning_uri(secret: str, *, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_code_data_uri(uri: str) -> str:
    """An SVG QR code as a data URI, so no inline markup or script is needed to show it."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def matching_step(
    secret: str, code: str, *, last_step: int | None, now: float | None = None
) -> int | None:
    """The time step a code belongs to, if it is valid and newer than the last one accepted."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    step_now = current_step(now)
    for step in range(step_now - ALLOWED_DRIFT_STEPS, step_now + ALLOWED_DRIFT_STEPS + 1):
        expected = totp.at(step * STEP_SECONDS)
        if hmac.compare_digest(expected, code) and (last_step is None or step > last_step):
            return step
    return None
