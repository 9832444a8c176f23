"""How gunicorn serves the app: `gunicorn -c python:app.serving "app:create_app()"`.

Only hooks live here; workers, binding and the rest stay on the command line.
"""

from __future__ import annotations

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Once a worker has built the app, take what start-up made out of the collector's sight.

    A full collection scans every tracked object, and in a worker most of them are modules,
    mappers and templates that live as long as the process. Each full pass took about 100 ms at
    a random moment mid-request (the benchmarks' search p95); with those frozen, a pass scans
    only what came later, about a fifth of the time.
    """
    frozen = freeze_start_up()
    worker.log.info("Froze %d start-up objects out of garbage collection", frozen)


def freeze_start_up() -> int:
    """Collect once, then freeze the survivors; returns how many are frozen in all."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
