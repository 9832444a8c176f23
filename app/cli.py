"""Operational commands: bootstrap the first administrator and tidy sessions."""

from __future__ import annotations

import click
from flask import current_app
from flask import url_for
from flask.cli import AppGroup
from sqlalchemy import select

from app.accounts import services
from app.accounts.models import AgencyType
from app.accounts.models import GlobalRole
from app.accounts.models import Organisation
from app.accounts.models import TokenPurpose
from app.accounts.tokens import issue_account_token
from app.database import db
from app.sessions import purge_expired_sessions
from app.unit_of_work import command_change

users_cli = AppGroup("users", help="Manage user accounts.")
sessions_cli = AppGroup("sessions", help="Manage sign-in sessions.")


@users_cli.command("create-admin")
@click.option("--email", required=True, help="The administrator's work email address.")
@click.option("--name", required=True, help="Their full name.")
@click.option("--organisation", required=True, help="Their organisation (created if new).")
@click.option(
    "--agency-type",
    type=click.Choice([t.value for t in AgencyType]),
    default=AgencyType.COMMUNITY_SAFETY.value,
    show_default=True,
)
@click.option("--base-url", default="https://localhost", help="Where the app is served.")
def create_admin(email: str, name: str, organisation: str, agency_type: str, base_url: str) -> None:
    """Create an administrator and print their one-time activation link."""
    with command_change():
        org = db.session.scalar(select(Organisation).where(Organisation.name == organisation))
        if org is None:
            org = services.create_organisation(
                actor=None, name=organisation, agency_type=AgencyType(agency_type)
            )
        user = services.create_user(
            actor=None,
            email=email,
            display_name=name,
            organisation=org,
            global_role=GlobalRole.ADMIN,
            invite=False,
        )
        token = issue_account_token(user, TokenPurpose.ACTIVATE)
    with current_app.test_request_context(base_url=base_url):
        link = url_for("auth.set_password", token=token, _external=True)
    click.echo(f"Created administrator {user.email}. Send them this one-time link (valid 3 days):")
    click.echo(link)


@sessions_cli.command("purge")
def purge() -> None:
    """Delete sessions that have passed their idle timeout."""
    with command_change():
        removed = purge_expired_sessions(current_app.config["SETTINGS"])
    click.echo(f"Removed {removed} expired sessions.")
