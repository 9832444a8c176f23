"""Public pages, the health check and the demo data."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select

from app import create_app
from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.database import db
from app.settings import Settings
from demo import data
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import PanelType
from tests.conftest import make_settings


def test_health_check_answers_when_the_database_does(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_health_check_reports_an_unreachable_database(tmp_path: Path) -> None:
    broken = make_settings(tmp_path, database_url=f"sqlite:///{tmp_path}/missing/dir/app.db")
    response = create_app(broken).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_legal_pages_are_public(client: FlaskClient) -> None:
    for url, heading in [
        ("/accessibility", "Accessibility statement"),
        ("/privacy", "Privacy notice"),
        ("/cookies", "Cookies"),
    ]:
        response = client.get(url)
        assert response.status_code == 200
        assert heading in response.text


def test_demo_data_has_every_role_panel_type_and_area(app: Flask, settings: Settings) -> None:
    with app.app_context():
        assert data.database_is_empty()
        data.seed()
        db.session.commit()
        assert not data.database_is_empty()
        roles = set(db.session.scalars(select(User.global_role)))
        assert {GlobalRole.ADMIN, GlobalRole.MANAGER, GlobalRole.AUDITOR} <= roles
        # A subject access bundle opens only on a second auditor's approval (issue 26).
        auditors = select(func.count(User.id)).where(User.global_role == GlobalRole.AUDITOR)
        assert db.session.scalar(auditors) >= 2
        panel_roles = set(db.session.scalars(select(PanelMembership.role)))
        assert panel_roles == set(PanelRole)
        for panel_type in PanelType:
            areas = db.session.scalar(
                select(func.count(func.distinct(Panel.area_id))).where(
                    Panel.panel_type == panel_type
                )
            )
            assert areas >= 2, panel_type
        for role in PanelRole:
            agencies = db.session.scalar(
                select(func.count(func.distinct(User.organisation_id)))
                .join(PanelMembership, PanelMembership.user_id == User.id)
                .where(PanelMembership.role == role)
            )
            assert agencies >= 2, role


def test_demo_commands_refuse_production(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))  # APP_ENV=test: not a demo instance
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert "only for APP_ENV=development or demo" in result.output


def test_readme_lists_every_demo_account() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert data.DEMO_PASSWORD in readme
    for account in data.ACCOUNTS:
        assert account.email in readme
        assert account.totp_secret in readme


def test_the_licence_pyproject_declares_is_shipped() -> None:
    """Issue 25: pyproject.toml said MIT, but there was no LICENSE file to say what it grants."""
    root = Path(__file__).resolve().parents[2]
    assert 'license = "MIT"' in (root / "pyproject.toml").read_text()
    licence = (root / "LICENSE").read_text()
    assert licence.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in licence
