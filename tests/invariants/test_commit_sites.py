"""Commits happen in one place, app/unit_of_work.py: the request's unit of work, and
`command_change` for CLI commands, which have no request (issue 16, design.md §4.1).

Every `.commit` and `.rollback` in the application's code is found by reading its syntax tree,
so a view or service that starts committing again fails here, named by file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "panels", "cases", "audit")
ENDINGS = {"commit", "rollback"}
# The one owner of the request's transaction.
UNIT_OF_WORK = "app/unit_of_work.py"
# Functions that may end a transaction themselves, by file: flush_unique rolls back a clash
# when no savepoint of `attempt` is there to do it (a CLI command, a test).
ALLOWED_FUNCTIONS = {"app/database.py": {"flush_unique"}}


def transaction_endings(source: str, allowed_functions: frozenset[str] = frozenset()) -> list[int]:
    """The lines of every `.commit` or `.rollback` in `source`, called or passed on, outside
    the named functions."""
    lines: list[int] = []

    def visit(node: ast.AST, inside_allowed: bool) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            inside_allowed = inside_allowed or node.name in allowed_functions
        if isinstance(node, ast.Attribute) and node.attr in ENDINGS and not inside_allowed:
            lines.append(node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child, inside_allowed)

    visit(ast.parse(source), inside_allowed=False)
    return lines


def _modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_only_the_unit_of_work_commits_or_rolls_back() -> None:
    found = []
    for path in _modules():
        name = path.relative_to(ROOT).as_posix()
        if name == UNIT_OF_WORK:
            continue
        allowed = frozenset(ALLOWED_FUNCTIONS.get(name, ()))
        found += [f"{name}:{line}" for line in transaction_endings(path.read_text(), allowed)]
    assert found == [], "only app/unit_of_work.py may commit or roll back:\n" + "\n".join(found)


def test_the_check_finds_commits_and_rollbacks_however_they_are_written() -> None:
    source = """
def view():
    db.session.commit()
    session = db.session()
    session.rollback()
    finish = db.session.commit
    finish()

def flush_unique():
    db.session.rollback()
"""
    assert transaction_endings(source) == [3, 5, 6, 10]
    assert transaction_endings(source, frozenset({"flush_unique"})) == [3, 5, 6]
    assert transaction_endings("with engine.begin() as connection:\n    pass\n") == []


def test_the_allowed_places_exist() -> None:
    """A renamed unit of work or helper must not leave this check exempting nothing."""
    assert (ROOT / UNIT_OF_WORK).is_file()
    for name, functions in ALLOWED_FUNCTIONS.items():
        tree = ast.parse((ROOT / name).read_text())
        defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert functions <= defined, name
    assert any(path.name == "cli.py" for path in _modules())
