"""`flask demo ...`: load the demo data and help a tester sign in."""

from __future__ import annotations

import click
import pyotp
from flask import current_app
from flask.cli import AppGroup

from app.database import db
from app.settings import Settings
from demo import agendas
from demo import case_reviews
from demo import cases
from demo import data
from demo import meetings
from demo import referrals

demo_cli = AppGroup("demo", help="Synthetic demonstration data (development and demo only).")


def _require_demo_instance() -> None:
    settings: Settings = current_app.config["SETTINGS"]
    if not settings.environment.generates_secrets:
        raise click.ClickException("Demo data is only for APP_ENV=development or demo.")


@demo_cli.command("seed")
def seed() -> None:
    """Load the demo accounts and cases into a database that has none yet."""
    _require_demo_instance()
    if data.database_is_empty():
        data.seed()
        db.session.commit()
        click.echo(f"Loaded demo data: {len(data.ACCOUNTS)} accounts.")
    else:
        click.echo("The database already has accounts; demo accounts not loaded.")
    if cases.cases_are_empty():
        count = cases.seed()
        made = referrals.seed()
        held = meetings.seed()
        published = agendas.seed()
        db.session.commit()
        click.echo(f"Loaded {count} synthetic demo cases and {made} referrals.")
        click.echo(f"Recorded the attendance of {held} meetings already held.")
        click.echo(f"Agendas published early by their coordinators: {published}.")
    if case_reviews.reviews_are_empty():
        count = case_reviews.seed()
        db.session.commit()
        click.echo(f"Loaded {count} synthetic ASB Case Review applications.")


@demo_cli.command("logins")
def logins() -> None:
    """Print the demo accounts, their roles and TOTP secrets."""
    _require_demo_instance()
    click.echo(f"Demo accounts (password for all: {data.DEMO_PASSWORD})")
    for account in data.ACCOUNTS:
        role = account.global_role.label if account.global_role else _panel_roles(account)
        click.echo(f"  {account.email:<38} {role}")
    click.echo("Get a current security code with: make code USER=<email>")


@demo_cli.command("code")
@click.argument("email")
def code(email: str) -> None:
    """Print the current TOTP code of a demo account."""
    _require_demo_instance()
    for account in data.ACCOUNTS:
        if account.email == email.strip().lower():
            click.echo(pyotp.TOTP(account.totp_secret).now())
            return
    raise click.ClickException(f"{email} is not a demo account.")


def _panel_roles(account: data.DemoAccount) -> str:
    roles = sorted({role.label for _, _, role in account.panels})
    return f"{' and '.join(roles)}, {len(account.panels)} panels"
