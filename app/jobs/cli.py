"""`flask jobs`: the background worker, and running queued work by hand."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from app import jobs
from app.database import utcnow

jobs_cli = AppGroup("jobs", help="The background job queue (huey).")


@jobs_cli.command("worker")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True)
def worker(workers: int) -> None:
    """Run the job queue's worker until stopped (Ctrl+C finishes the jobs in hand first)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # huey logs every task it runs, the minute's sweep included: only its warnings and errors
    # here, so the terminal `make run` shares with the server stays readable. Our own jobs log
    # what they do, and every failure with its traceback.
    logging.getLogger("huey").setLevel(logging.WARNING)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    huey = jobs.queue(app)
    where = "Redis" if app.config["SETTINGS"].redis_url else huey.storage.filename
    click.echo(f"Job worker: {workers} thread(s), queue on {where}", err=True)
    with app.app_context():
        jobs.release_abandoned()
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    consumer.run()


@jobs_cli.command("run-pending")
def run_pending() -> None:
    """Run every queued job now, in this process, and say how many ran."""
    done = jobs.run_pending()
    click.echo(f"Ran {done} queued job(s).")


@jobs_cli.command("run-daily")
@click.option(
    "--again", is_flag=True, help="Run them even if they already ran today (or before 7am)."
)
def run_daily(again: bool) -> None:
    """Run the daily steps (reminders, digests) now, as the worker does each morning."""
    ran = jobs.run_daily(utcnow(), force=again)
    click.echo(f"Ran {len(ran)} daily step(s){': ' + ', '.join(ran) if ran else ''}.")
    click.echo(f"Ran {jobs.run_pending()} queued job(s) they asked for.")


@jobs_cli.command("status")
def status() -> None:
    """How many messages wait in the outbox, are being done, or failed (with when)."""
    for line in jobs.outbox_summary():
        click.echo(line)
