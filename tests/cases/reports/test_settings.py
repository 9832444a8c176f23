"""The reports' settings (REPORTS_*, in app/settings.py like every other setting): read at start
with their defaults, and a value out of range stops the app saying what to fix (domain §2.10,
R23, E11). A suppression threshold below 1 would show every small count."""

from __future__ import annotations

import secrets
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from app.settings import ReportSettings
from app.settings import Settings
from app.settings import SettingsError
from app.settings import encode_kek
from app.settings import load_settings


def environment(tmp_path: Path, **reports: str) -> dict[str, str]:
    return {
        "APP_ENV": "production",
        "INSTANCE_PATH": str(tmp_path),
        "EXTERNAL_URL": "https://panels.example.org",
        "SMTP_URL": "smtp://mail.example.org:587",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "KEY_ENCRYPTION_KEY": encode_kek(secrets.token_bytes(32)),
        **reports,
    }


def test_unset_report_settings_take_their_defaults(tmp_path: Path) -> None:
    reports = load_settings(environment(tmp_path)).reports
    assert reports == ReportSettings()
    assert (reports.suppress_below, reports.band_label, reports.national_label) == (
        5,
        "28–40%",
        "31%",
    )
    assert reports.national_period == "12 months to 30 September 2024"
    assert reports.national_source == "SafeLives Marac national dataset"


def test_report_settings_are_read_from_the_environment(tmp_path: Path) -> None:
    reports = load_settings(
        environment(
            tmp_path,
            REPORTS_SUPPRESS_BELOW=" 10 ",
            REPORTS_REPEAT_BAND="25 – 35%",
            REPORTS_NATIONAL_REPEAT_RATE="32.5%",
            REPORTS_NATIONAL_REPEAT_PERIOD=" 12 months to 31 March 2025 ",
            REPORTS_NATIONAL_REPEAT_SOURCE="A synthetic source",
            REPORTS_RECOMMENDED_PER_10000=" 45 ",
            REPORTS_REFERRALS_PER_IDVA="80",
            REPORTS_CASES_PER_ADMINISTRATOR="0350",
        )
    ).reports
    assert reports == ReportSettings(
        suppress_below=10,
        band_low=25,
        band_high=35,
        national_rate=Decimal("32.5"),
        national_period="12 months to 31 March 2025",
        national_source="A synthetic source",
        recommended_per_10000=45,
        referrals_per_idva=80,
        cases_per_administrator=350,
    )
    assert reports.national_label == "32.5%"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("REPORTS_SUPPRESS_BELOW", "five", "must be a whole number from 1 to 100"),
        ("REPORTS_SUPPRESS_BELOW", "0", "must be a whole number from 1 to 100"),
        ("REPORTS_SUPPRESS_BELOW", "101", "must be a whole number from 1 to 100"),
        ("REPORTS_REPEAT_BAND", "28", "must be two percentages, such as 28-40"),
        ("REPORTS_REPEAT_BAND", "40-28", "must run from a lower to a higher percentage"),
        ("REPORTS_REPEAT_BAND", "30-101", "must run from a lower to a higher percentage"),
        ("REPORTS_NATIONAL_REPEAT_RATE", "high", "must be a percentage"),
        ("REPORTS_NATIONAL_REPEAT_RATE", "101", "must be between 0 and 100"),
        ("REPORTS_NATIONAL_REPEAT_RATE", "NaN", "must be between 0 and 100"),
        ("REPORTS_NATIONAL_REPEAT_PERIOD", "x" * 201, "must be 200 characters or fewer"),
        ("REPORTS_NATIONAL_REPEAT_SOURCE", "x" * 201, "must be 200 characters or fewer"),
        ("REPORTS_RECOMMENDED_PER_10000", "forty", "must be a whole number from 1 to 10,000"),
        ("REPORTS_RECOMMENDED_PER_10000", "0", "must be a whole number from 1 to 10,000"),
        ("REPORTS_REFERRALS_PER_IDVA", "-100", "must be a whole number from 1 to 10,000"),
        ("REPORTS_REFERRALS_PER_IDVA", "9" * 4000, "must be a whole number from 1 to 10,000"),
        ("REPORTS_CASES_PER_ADMINISTRATOR", "10001", "must be a whole number from 1 to 10,000"),
    ],
)
def test_a_report_setting_out_of_range_stops_the_app_saying_which(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(SettingsError, match=f"^{name} {message}"):
        load_settings(environment(tmp_path, **{name: value}))


def test_report_settings_made_in_code_are_checked_too(tmp_path: Path) -> None:
    """Settings are validated however they are built, not only from the environment."""
    settings: Settings = load_settings(environment(tmp_path))
    with pytest.raises(SettingsError, match="REPORTS_SUPPRESS_BELOW"):
        replace(settings, reports=ReportSettings(suppress_below=0))
