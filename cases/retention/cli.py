"""`flask retention ...`: the rules, the review of what is due, legal holds and disposal.

Changing anything needs `--as EMAIL`: an active auditor (the DPO role), who is named in the
audit trail as the person who decided.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.unit_of_work import command_change
from cases.models import Case
from cases.queries import case_by_reference
from cases.retention import queries
from cases.retention import services as retention
from cases.retention.models import RecordType
from panels.types.common import PanelType

retention_cli = AppGroup("retention", help="Retention review, legal holds and disposal.")

AS_AUDITOR = click.option(
    "--as", "actor_email", required=True, help="The auditor (DPO) taking this decision."
)
TODAY = click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Review as of this date (default: today).",
)


@retention_cli.command("rules")
def show_rules() -> None:
    """The retention period of each panel type and record type."""
    for rule in queries.retention_rules():
        click.echo(f"{rule.panel_type.value:16} {rule.record_type.value:12} {rule.months} months")


@retention_cli.command("set-period")
@click.argument("panel_type", type=click.Choice([t.value for t in PanelType]))
@click.argument("months", type=int)
@click.option(
    "--record-type",
    type=click.Choice([t.value for t in RecordType]),
    default=RecordType.CLOSED_CASE.value,
    show_default=True,
)
@AS_AUDITOR
def set_period(panel_type: str, months: int, record_type: str, actor_email: str) -> None:
    """Set how many months a kind of record is kept after it ends."""
    actor = _auditor(actor_email)
    with command_change():
        rule = retention.set_retention_period(
            actor=actor,
            panel_type=PanelType(panel_type),
            record_type=RecordType(record_type),
            months=months,
        )
    click.echo(f"Retention is now {rule.description}.")


@retention_cli.command("review")
@TODAY
def review(today: datetime | None) -> None:
    """List closed cases due for disposal (changes nothing)."""
    due = queries.review(_day(today))
    if not due:
        click.echo("No case is due for disposal.")
    for item in due:
        held = f"  ON LEGAL HOLD: {item.case.legal_hold_reason}" if item.held else ""
        click.echo(
            f"{item.case.reference}  closed {item.case.closed_on}  due {item.due_on}  "
            f"rule {item.rule.description}{held}"
        )


@retention_cli.command("hold")
@click.argument("reference")
@click.option("--reason", required=True, help="The inquiry or proceedings (no personal data).")
@AS_AUDITOR
def hold(reference: str, reason: str, actor_email: str) -> None:
    """Place a legal hold on a case: it will not be destroyed until the hold is lifted."""
    actor, case = _auditor(actor_email), _case(reference)
    with command_change():
        retention.place_legal_hold(case, actor=actor, reason=reason)
    click.echo(f"{case.reference} is on legal hold.")


@retention_cli.command("release")
@click.argument("reference")
@AS_AUDITOR
def release(reference: str, actor_email: str) -> None:
    """Lift a legal hold."""
    actor, case = _auditor(actor_email), _case(reference)
    with command_change():
        retention.lift_legal_hold(case, actor=actor)
    click.echo(f"The legal hold on {case.reference} has been lifted.")


@retention_cli.command("dispose")
@TODAY
@AS_AUDITOR
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def dispose(today: datetime | None, actor_email: str, yes: bool) -> None:
    """Destroy the content of every due case not on legal hold (crypto-shredding)."""
    actor = _auditor(actor_email)
    due = [item for item in queries.review(_day(today)) if not item.held]
    if not due:
        click.echo("No case is due for disposal.")
        return
    if not yes:
        click.confirm(f"Destroy the content of {len(due)} cases for good?", abort=True)
    for item in due:
        with command_change():  # one case at a time: an interruption leaves the rest as they were
            retention.dispose(item, actor=actor)
        click.echo(f"Destroyed {item.case.reference} under {item.rule.description}")
    click.echo(f"{len(due)} cases disposed of. Backups still hold their wrapped keys: see README.")


def _auditor(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active or user.global_role is not GlobalRole.AUDITOR:
        raise click.ClickException(f"{email} is not an active auditor.")
    return user


def _case(reference: str) -> Case:
    case = case_by_reference(reference)
    if case is None:
        raise click.ClickException(f"No case {reference}.")
    return case


def _day(value: datetime | None) -> date:
    return value.date() if value is not None else utcnow().date()
