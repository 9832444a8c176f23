"""How gunicorn serves the app: `gunicorn -c python:app.serving "app:create_app()"`.

Only hooks live here; workers, binding and the rest stay on the command line.
"""

from __future__ import annotations

import gc
from typing import Any

from app.settings import SERVER_WORKERS
from app.settings import check_workers
from app.settings import load_settings
from app.settings import worker_problem

# The arbiter's latest count, set in the arbiter's process: a worker forked after a change
# (SIGTTIN) inherits it; workers already running keep the count they started with.
_arbiter = {"workers": 0}


def on_starting(server: Any) -> None:
    """Before any worker starts: refuse, in production, several workers whose sign-in rate
    limits would each be kept apart in memory (no REDIS_URL); elsewhere warn.

    A SettingsError here is a RuntimeError, which gunicorn prints as "Error: ..." and exits 1.
    """
    warning = check_workers(load_settings(), server.cfg.workers)
    if warning:
        server.log.warning("Rate limits are not shared: %s", warning)


def nworkers_changed(server: Any, new_value: int, old_value: int | None) -> None:
    """Workers added while running (SIGTTIN, or a reload with more) cannot be refused without
    stopping the server: say loudly that the limits no longer hold (and the admin home of each
    worker started from now on says so too)."""
    _arbiter["workers"] = new_value
    if old_value is None:
        return  # the number gunicorn starts with, which on_starting checks
    problem = worker_problem(load_settings(), new_value)
    if problem:
        server.log.error("Rate limits are not shared: %s", problem)


def post_worker_init(worker: Any) -> None:
    """Once a worker has built the app, tell the app how many workers serve it, and take what
    start-up made out of the collector's sight.

    A full collection scans every tracked object, and in a worker most of them are modules,
    mappers and templates that live as long as the process. Each full pass took about 100 ms at
    a random moment mid-request (the benchmarks' search p95); with those frozen, a pass scans
    only what came later, about a fifth of the time.
    """
    app = worker.wsgi
    if hasattr(app, "config"):  # the Flask app create_app() returned: its admin home warns
        # when several workers each keep their own rate limits
        app.config[SERVER_WORKERS] = _arbiter["workers"] or worker.cfg.workers
    frozen = freeze_start_up()
    worker.log.info("Froze %d start-up objects out of garbage collection", frozen)


def freeze_start_up() -> int:
    """Collect once, then freeze the survivors; returns how many are frozen in all."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
