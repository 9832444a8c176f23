"""Every page says what it is for: each view function has a docstring (issue 16), so a newcomer
reading a views module, or `flask routes`, learns what each URL does without reading its body."""

from __future__ import annotations

import ast
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parents[2]


def test_every_view_function_has_a_docstring(app: Flask) -> None:
    undocumented = sorted(
        f"{view.__module__}.{view.__qualname__}"
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not (view.__doc__ or "").strip()
    )
    assert undocumented == []


def test_the_check_sees_every_routed_function_in_the_source() -> None:
    """The check above reads the registered views; this one reads the source, so a route
    whose decorator wraps the function without keeping its docstring is caught too."""
    missing = []
    for package in ("app", "panels", "cases", "audit"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.FunctionDef):
                    continue
                routed = any(
                    isinstance(d, ast.Call)
                    and isinstance(d.func, ast.Attribute)
                    and d.func.attr == "route"
                    for d in node.decorator_list
                )
                if routed and not ast.get_docstring(node):
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert missing == []
