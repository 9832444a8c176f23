"""Jinja filters that show stored UTC times as UK local dates and times, in GOV.UK style."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

UK = ZoneInfo("Europe/London")


def uk_date(value: datetime | date | None) -> str:
    """21 November 2026 (a datetime is shown on its UK local day)"""
    if value is None:
        return ""
    local = value.astimezone(UK) if isinstance(value, datetime) else value
    return f"{local.day} {local:%B %Y}"


def uk_datetime(value: datetime | None) -> str:
    """21 November 2026 at 9:30am"""
    if value is None:
        return ""
    local = value.astimezone(UK)
    hour = local.hour % 12 or 12
    minutes = "" if local.minute == 0 else f":{local.minute:02d}"
    return f"{uk_date(local)} at {hour}{minutes}{'am' if local.hour < 12 else 'pm'}"


def iso_uk_date(value: str | None) -> str:
    """A date kept as ISO text (in a referral's answers), shown like `uk_date`."""
    return uk_date(date.fromisoformat(value)) if value else ""


def register(app: Flask) -> None:
    app.add_template_filter(uk_date)
    app.add_template_filter(iso_uk_date)
    app.add_template_filter(uk_datetime)
