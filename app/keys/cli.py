"""`flask keys ...`: key status, KEK rotation and data key replacement, in resumable batches."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import click
from flask.cli import AppGroup

from app.database import utcnow
from app.keys import rotation
from app.keys.store import key_store
from app.unit_of_work import command_change

keys_cli = AppGroup("keys", help="Encryption keys: status, rotation and replacement.")


@keys_cli.command("status")
def status() -> None:
    """How many data keys each key-encryption key wraps, and which are still needed."""
    keyring = key_store().keyring
    counts = rotation.keys_by_kek()
    click.echo(f"Current key-encryption key: {keyring.current_kek_id}")
    for kek_id, count in sorted(counts.items(), key=lambda item: str(item[0])):
        if kek_id is None:
            click.echo(f"  destroyed (crypto-shredded): {count}")
            continue
        where = "current" if kek_id == keyring.current_kek_id else "older"
        known = "" if kek_id in keyring.kek_ids else " — NOT CONFIGURED: these cannot be opened"
        click.echo(f"  {kek_id} ({where}): {count}{known}")
    older = [k for k in counts if k is not None and k != keyring.current_kek_id]
    if older:
        click.echo("Run `flask keys rotate` before removing any previous key-encryption key.")
    else:
        click.echo("No data key needs an older key-encryption key: previous ones can be removed.")


@keys_cli.command("rotate")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000))
def rotate(batch_size: int) -> None:
    """Rewrap every data key under the current key-encryption key (resumable)."""
    remaining = sum(
        n
        for k, n in rotation.keys_by_kek().items()
        if k not in (None, key_store().keyring.current_kek_id)
    )
    click.echo(f"{remaining} data keys to rewrap.")
    done = 0
    while True:
        with command_change():
            count = rotation.rewrap_batch(batch_size)
        if not count:
            break
        done += count
        click.echo(f"  rewrapped {done} of {remaining}")
    click.echo(f"Done: {done} data keys rewrapped. Check with `flask keys status`.")


@keys_cli.command("reencrypt")
@click.option(
    "--before",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Replace every case and person key created before this UTC date or time.",
)
@click.option("--batch-size", default=100, show_default=True, type=click.IntRange(1, 10_000))
def reencrypt(before: datetime, batch_size: int) -> None:
    """Give cases and people new data keys and re-seal their fields (resumable: run again with
    the same --before to carry on)."""
    cutoff = before.replace(tzinfo=UTC)
    if cutoff > utcnow():
        raise click.BadParameter("must not be in the future", param_hint="--before")
    done = 0
    while batch := rotation.keys_to_replace(cutoff, batch_size):
        for key in batch:
            with command_change():  # one key at a time: an interruption loses nothing
                rotation.replace_data_key(key)
            done += 1
        click.echo(f"  replaced {done} data keys")
    click.echo(f"Done: {done} data keys replaced.")
