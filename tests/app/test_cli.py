"""CLI commands have no request, so each change runs inside `command_change`: kept when the
command succeeds, rolled back whole when a rule refuses it, the refusal being the command's
error message (issue 16: one transaction owner)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import GlobalRole
from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db


def _count(app: Flask, model: type[Organisation] | type[User]) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_create_admin_keeps_the_account_and_prints_a_link(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "users", "create-admin", "--email", "ada@test.example", "--name", "Ada Pemberton",
            "--organisation", "Ferndale Council",
        ]
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "/account/set-password/" in result.output
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == "ada@test.example"))
        assert admin is not None
        assert admin.global_role is GlobalRole.ADMIN
        assert admin.organisation.name == "Ferndale Council"


def test_a_refused_create_admin_keeps_nothing_of_its_change(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = ["users", "create-admin", "--email", "ada@test.example", "--name", "Ada Pemberton"]
    assert runner.invoke(args=[*first, "--organisation", "Ferndale Council"]).exit_code == 0
    organisations, users = _count(app, Organisation), _count(app, User)

    # The same address again, for an organisation that does not exist yet: the command makes
    # the organisation first, then the account is refused, and neither is kept.
    again = runner.invoke(args=[*first, "--organisation", "Ashgrove Housing"])

    assert again.exit_code == 1
    assert "An account with this email address already exists" in again.output
    assert _count(app, Organisation) == organisations
    assert _count(app, User) == users
