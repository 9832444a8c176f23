"""The deployment's report settings: the small-number threshold, the repeat-rate benchmark
band and the latest national repeat rate with its source and period (domain §2.10, R23, E11).

Read from the environment when the app starts, each with a default, and refused with a clear
message when out of range. When SafeLives publishes a new national figure, the deployment
changes REPORTS_NATIONAL_REPEAT_RATE and REPORTS_NATIONAL_REPEAT_PERIOD.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from decimal import InvalidOperation

from flask import current_app

from app.settings import SettingsError

EXTENSION = "report_settings"  # the key of app.extensions holding the loaded settings
BAND = re.compile(r"\s*(\d{1,3})\s*[-–]\s*(\d{1,3})\s*%?\s*")


@dataclass(frozen=True)
class ReportSettings:
    # Counts below this leave the panel only as "fewer than N" (R23, E11).
    suppress_below: int = 5
    # The repeat rate's benchmark band, in whole percentages ([UNCONFIRMED] 28–40%, §2.10).
    band_low: int = 28
    band_high: int = 40
    # The latest published national repeat rate (SafeLives Marac national dataset).
    national_rate: Decimal = Decimal(31)
    national_period: str = "12 months to 30 September 2024"
    national_source: str = "SafeLives Marac national dataset"

    @property
    def band_label(self) -> str:
        return f"{self.band_low}–{self.band_high}%"

    @property
    def national_label(self) -> str:
        return f"{self.national_rate.normalize():f}%"


def load_report_settings(environ: Mapping[str, str] | None = None) -> ReportSettings:
    """The settings from REPORTS_* variables, defaults where unset; SettingsError if bad."""
    env = os.environ if environ is None else environ
    defaults = ReportSettings()
    threshold = _whole_number(
        env, "REPORTS_SUPPRESS_BELOW", defaults.suppress_below, lowest=1, highest=100
    )
    low, high = defaults.band_low, defaults.band_high
    if env.get("REPORTS_REPEAT_BAND"):
        match = BAND.fullmatch(env["REPORTS_REPEAT_BAND"])
        if not match:
            raise SettingsError("REPORTS_REPEAT_BAND must be two percentages, such as 28-40")
        low, high = int(match[1]), int(match[2])
        if not low < high <= 100:
            raise SettingsError("REPORTS_REPEAT_BAND must run from a lower to a higher percentage")
    rate = defaults.national_rate
    if env.get("REPORTS_NATIONAL_REPEAT_RATE"):
        try:
            rate = Decimal(env["REPORTS_NATIONAL_REPEAT_RATE"].strip().rstrip("%"))
        except InvalidOperation:
            raise SettingsError("REPORTS_NATIONAL_REPEAT_RATE must be a percentage") from None
        if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(100):
            raise SettingsError("REPORTS_NATIONAL_REPEAT_RATE must be between 0 and 100")
    return ReportSettings(
        suppress_below=threshold,
        band_low=low,
        band_high=high,
        national_rate=rate,
        national_period=_text(env, "REPORTS_NATIONAL_REPEAT_PERIOD", defaults.national_period),
        national_source=_text(env, "REPORTS_NATIONAL_REPEAT_SOURCE", defaults.national_source),
    )


def report_settings() -> ReportSettings:
    """The running app's report settings."""
    settings: ReportSettings = current_app.extensions[EXTENSION]
    return settings


def _whole_number(
    env: Mapping[str, str], name: str, default: int, *, lowest: int, highest: int
) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not lowest <= int(raw) <= highest:
        raise SettingsError(f"{name} must be a whole number from {lowest} to {highest}")
    return int(raw)


def _text(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip()
    if len(value) > 200:
        raise SettingsError(f"{name} must be 200 characters or fewer")
    return value or default
