"""The gunicorn hooks in app.serving. A real gunicorn worker running them is tested with the
other real-server tests in test_redis_throttle.py."""

from __future__ import annotations

import gc
from pathlib import Path

from app import create_app
from app.serving import freeze_start_up
from tests.conftest import make_settings


def test_freezing_takes_the_start_up_objects_out_of_collection(tmp_path: Path) -> None:
    built = create_app(make_settings(tmp_path))
    assert any(built.url_map is o for o in gc.get_objects())  # in the collector's sight
    try:
        assert freeze_start_up() > 10_000
        assert gc.is_tracked(built.url_map)
        assert not any(built.url_map is o for o in gc.get_objects())  # frozen: out of sight
    finally:
        gc.unfreeze()
