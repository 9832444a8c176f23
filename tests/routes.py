"""The app's URL rules, for tests that must cover every route rather than a hand-made list."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from werkzeug.routing import IntegerConverter
from werkzeug.routing import Rule

from app import create_app
from tests.conftest import make_settings


def _rules() -> Iterator[Rule]:
    """The app's URL rules, read at collection time so that tests can be parametrized by rule."""
    with tempfile.TemporaryDirectory() as directory:
        app = create_app(make_settings(Path(directory)))
    yield from (rule for rule in app.url_map.iter_rules() if rule.endpoint != "static")


RULES = list(_rules())
ADMIN_RULES = [rule for rule in RULES if rule.rule.startswith("/admin")]
POST_RULES = [rule for rule in RULES if "POST" in rule.methods]


def url_for_rule(rule: Rule, **values: str) -> str:
    """A concrete URL for a rule: 1 for integers, 'deactivate' for the action, else `values`."""
    path = rule.rule
    for argument in rule.arguments:
        converter = rule._converters[argument]
        if argument in values:
            value = values[argument]
        elif hasattr(converter, "items"):  # any(...)
            value = "deactivate" if "deactivate" in converter.items else sorted(converter.items)[0]
        elif isinstance(converter, IntegerConverter):
            value = "1"
        else:
            value = "placeholder"
        path = re.sub(rf"<(?:[^>:]*:)?{argument}>", lambda _, v=value: v, path)
    assert "<" not in path, path
    return path
