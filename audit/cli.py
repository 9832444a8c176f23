"""`flask audit ...`: verify the chain, make signed checkpoints and export them."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import IO

import click
from flask.cli import AppGroup

from app.unit_of_work import command_change
from audit import services
from audit.models import AuditAction
from audit.models import Outcome
from audit.verify import Checkpoint
from audit.verify import create_checkpoint
from audit.verify import stored_checkpoints
from audit.verify import verify_chain

audit_cli = AppGroup("audit", help="The tamper-evident audit trail.")


@audit_cli.command("verify")
@click.option(
    "--checkpoints",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Checkpoints exported earlier and kept outside the system (JSON lines).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default="one per CPU",
    help="Processes that share a long chain between them (a short one is checked in one).",
)
def verify(checkpoint_file: Path | None, workers: int) -> None:
    """Check every event and checkpoint; exit 1 naming the first bad sequence number."""
    with command_change():  # ends the read, so no lock is held on SQLite during the walk
        checkpoints = stored_checkpoints() + _read_checkpoints(checkpoint_file)
    result = verify_chain(checkpoints, workers=workers)
    # The run itself is on the record, after the events it checked.
    with command_change():
        services.record(
            actor=None,
            action=AuditAction.AUDIT_VERIFIED,
            outcome=Outcome.SUCCESS if result.intact else Outcome.FAILURE,
            changes={
                "events_checked": result.events_checked,
                "first_bad": result.first_bad_sequence,
            },
        )
    if result.intact:
        click.echo(
            f"Audit trail intact: {result.events_checked} events, {len(checkpoints)} checkpoints."
        )
        return
    click.echo(
        f"Audit trail BROKEN at sequence {result.first_bad_sequence}: {result.problem}.", err=True
    )
    sys.exit(1)


@audit_cli.command("checkpoint")
def checkpoint() -> None:
    """Sign the current head of the chain (run from cron, e.g. hourly) and print it."""
    with command_change():
        made = create_checkpoint()
        if made is None:
            raise click.ClickException("The audit trail is empty; nothing to sign.")
        services.record(
            actor=None,
            action=AuditAction.AUDIT_CHECKPOINT_CREATED,
            object=("audit_event", made.sequence),
        )
    click.echo(made.to_json())


@audit_cli.command("export-checkpoints")
@click.argument("destination", type=click.File("w"))
def export_checkpoints(destination: IO[str]) -> None:
    """Write every checkpoint, with the public key to check it, as JSON lines."""
    for item in stored_checkpoints():
        destination.write(item.to_json() + "\n")


def _read_checkpoints(path: Path | None) -> list[Checkpoint]:
    if path is None:
        return []
    try:
        return [Checkpoint(**json.loads(line)) for line in path.read_text().splitlines() if line]
    except (ValueError, TypeError) as error:
        raise click.ClickException(f"{path} is not a checkpoint export: {error}") from None
