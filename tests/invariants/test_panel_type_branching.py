"""Nothing in cases/ branches on panel type (issue 16, design.md §3): feature code asks the type's
spec (`panel.spec`, `spec_for`), and what differs between types is declared in panels/types/.

Each module's syntax tree is read, so a new `panel.panel_type is PanelType.MARAC`, in whatever
form it is written, fails here, named by file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = "cases"

# Comparisons that name no type, by file and line (stripped), each with why it is data and not a
# branch. Keep this short: anything that behaves differently by type belongs in the spec.
ALLOWED = {
    ("cases/retention/queries.py", "Panel.panel_type == rule.panel_type,"): (
        "retention review: a rule's cases are the closed cases of panels of the rule's type"
    ),
    (
        "cases/retention/services.py",
        "RetentionRule.panel_type == panel_type, RetentionRule.record_type == record_type",
    ): "finds the retention rule stored for a type",
    ("cases/referrals/queries.py", "Panel.panel_type == case.panel.panel_type,"): (
        "transfer targets: the active panels of the same kind as the case's, in other areas"
    ),
    (
        "cases/referrals/services.py",
        "if to_panel.panel_type is not from_panel.panel_type or to_panel.id == from_panel.id:",
    ): "the same transfer rule, checked on the panel chosen",
}


def _is_panel_type(node: ast.expr) -> bool:
    """Whether the expression is a panel type: `x.panel_type`, `panel_type`, `.value` of one,
    or a member such as `PanelType.MARAC`."""
    if isinstance(node, ast.Attribute) and node.attr == "value":
        return _is_panel_type(node.value)
    if isinstance(node, ast.Attribute) and node.attr == "panel_type":
        return True
    if isinstance(node, ast.Name) and node.id == "panel_type":
        return True
    return _is_member(node)


def _is_member(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "PanelType"
        and node.attr.isupper()
    )


def branches(source: str) -> list[int]:
    """The lines of `source` that test a panel type: a comparison (==, !=, is, is not, in, not
    in) with one, a lookup keyed by one, a `match` on one, or any use of a PanelType member."""
    return sorted({node.lineno for node in ast.walk(ast.parse(source)) if _tests_type(node)})


def _tests_type(node: ast.AST) -> bool:
    if isinstance(node, ast.Compare):
        return any(_is_panel_type(side) for side in (node.left, *node.comparators))
    if isinstance(node, ast.Subscript):
        return _is_panel_type(node.slice)
    if isinstance(node, ast.Match):
        return _is_panel_type(node.subject)
    return _is_member(node)


def found_in(root: Path) -> list[tuple[str, int, str]]:
    """Every branch on panel type under root/cases: (file, line number, stripped line)."""
    found = []
    for path in sorted((root / SCANNED).rglob("*.py")):
        name = path.relative_to(root).as_posix()
        source = path.read_text()
        text = source.splitlines()
        found += [(name, line, text[line - 1].strip()) for line in branches(source)]
    return found


def test_nothing_in_cases_branches_on_panel_type() -> None:
    offending = [
        f"{name}:{line}: {text}"
        for name, line, text in found_in(ROOT)
        if (name, text) not in ALLOWED
    ]
    assert offending == [], (
        "branches on panel type outside panels/types/ (ask the type's spec instead):\n"
        + "\n".join(offending)
    )


def test_every_allowed_line_is_still_there() -> None:
    """An allowance for a line that has gone would let a new branch in under its text."""
    present = {(name, text) for name, _, text in found_in(ROOT)}
    assert set(ALLOWED) <= present, set(ALLOWED) - present


@pytest.mark.parametrize(
    "line",
    [
        "if panel.panel_type is PanelType.MARAC: pass",
        "if referral.panel.panel_type is not PanelType.COMMUNITY_MARAC: pass",
        "x = panel.panel_type == other.panel_type",
        "x = panel_type != kind",
        "x = panel.panel_type in {kind}",
        "x = panel.panel_type not in kinds",
        "x = panel.panel_type.value == 'marac'",
        "x = PREFIX[case.panel.panel_type]",
        "x = {PanelType.MACE: 1}",
        "x = select(Panel).where(Panel.panel_type == PanelType.IOM)",
        "match panel.panel_type:\n    case _:\n        pass",
    ],
)
def test_the_check_finds_a_branch_however_it_is_written(line: str) -> None:
    assert branches(line) == [1]


@pytest.mark.parametrize(
    "line",
    [
        "spec = spec_for(panel.panel_type)",
        "x = panel.spec.repeat_rule.counted",
        "x = select(Panel).where(Panel.panel_type.in_(kinds))",
        "x = [t.value for t in PanelType]",
        "x = PanelType(value)",
        "label = panel.panel_type.label",
    ],
)
def test_asking_the_spec_is_not_a_branch(line: str) -> None:
    assert branches(line) == []


def test_a_branch_added_to_a_feature_fails_the_check(tmp_path: Path) -> None:
    """The check run on a copy of a feature with a branch added to it."""
    module = tmp_path / SCANNED / "referrals" / "added.py"
    module.parent.mkdir(parents=True)
    module.write_text("def risky(panel):\n    return panel.panel_type is PanelType.MARAC\n")
    assert found_in(tmp_path) == [
        ("cases/referrals/added.py", 2, "return panel.panel_type is PanelType.MARAC")
    ]
