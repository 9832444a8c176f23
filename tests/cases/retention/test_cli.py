"""The retention commands (README: Retention and disposal): an auditor sets a panel type's
retention period; a period out of range is refused with the rule's message and changes nothing."""

from __future__ import annotations

from flask import Flask

from app.accounts.models import GlobalRole
from tests.conftest import Accounts


def _marac_period(app: Flask) -> str:
    rules = app.test_cli_runner().invoke(args=["retention", "rules"]).output.splitlines()
    return next(line for line in rules if line.startswith("marac ")).split()[-2]


def test_an_auditor_sets_a_retention_period(app: Flask, accounts: Accounts) -> None:
    accounts.user("dpo@test.example", role=GlobalRole.AUDITOR)
    result = app.test_cli_runner().invoke(
        args=["retention", "set-period", "marac", "84", "--as", "dpo@test.example"]
    )

    assert result.exit_code == 0, result.output
    assert "Retention is now" in result.output
    assert _marac_period(app) == "84"


def test_a_period_out_of_range_is_refused_and_changes_nothing(
    app: Flask, accounts: Accounts
) -> None:
    accounts.user("dpo@test.example", role=GlobalRole.AUDITOR)
    before = _marac_period(app)

    result = app.test_cli_runner().invoke(
        args=["retention", "set-period", "marac", "5000", "--as", "dpo@test.example"]
    )

    assert result.exit_code == 1
    assert "The retention period must be between 1 and 1200 months" in result.output
    assert _marac_period(app) == before
