"""`flask bench generate`: fill an empty development or test database with benchmark data."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from app.settings import Environment
from app.settings import Settings
from benchmarks.generate import NotEmpty
from benchmarks.generate import Plan
from benchmarks.generate import generate

bench_cli = AppGroup("bench", help="Benchmark data (development and test databases only).")


@bench_cli.command("generate")
@click.option("--referrals", type=click.IntRange(min=1), required=True, help="How many.")
@click.option("--seed", type=int, default=20261202, show_default=True)
@click.option("--areas", type=click.IntRange(min=1), default=40, show_default=True)
def generate_command(referrals: int, seed: int, areas: int) -> None:
    """Generate synthetic areas, panels, people, referrals, notes and audit events."""
    settings: Settings = current_app.config["SETTINGS"]
    if settings.environment not in (Environment.DEVELOPMENT, Environment.TEST):
        raise click.ClickException("Benchmark data is only for APP_ENV=development or test.")
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        rate = done / max(time.perf_counter() - started, 1e-9)
        click.echo(f"\r  {done:>10,} of {total:,} referrals ({rate:,.0f}/s)", nl=False, err=True)

    try:
        summary = generate(Plan(referrals=referrals, seed=seed, areas=areas), progress)
    except NotEmpty as error:
        raise click.ClickException(str(error)) from None
    click.echo("", err=True)
    click.echo(
        f"Generated {summary.referrals:,} referrals, {summary.cases:,} cases, "
        f"{summary.people:,} people, {summary.actions:,} actions and "
        f"{summary.audit_events:,} audit events in "
        f"{summary.seconds:,.0f}s; {summary.marac_repeat_share:.0%} of MARAC referrals are repeats."
    )
