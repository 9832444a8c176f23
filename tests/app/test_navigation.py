"""The service navigation shows each person what they can use (issue 25): a manager, auditor or
administrator who sits on no panel is not offered cases, referrals, meetings, actions or case
reviews, which could never hold anything for them; a panel member is, even while their
membership is suspended (the case list says why)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.database import db
from panels.models import PanelMembership
from panels.models import PanelRole
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.referral_fixtures import member
from tests.referral_fixtures import panel

MEMBERS_ITEMS = ["Cases", "Referrals", "Meetings", "Actions", "Case reviews"]


def _navigation(client: FlaskClient) -> list[str]:
    page = client.get("/")
    assert page.status_code == 200
    nav = page.text.split('class="govuk-service-navigation__list"', 1)[1].split("</ul>", 1)[0]
    return [
        re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<a [^>]*>.*?</a>", nav, re.S)
    ]


@pytest.mark.parametrize("role", [GlobalRole.MANAGER, GlobalRole.AUDITOR, GlobalRole.ADMIN])
def test_someone_on_no_panel_is_not_offered_panel_work(
    app: Flask, accounts: Accounts, sign_in: SignIn, role: GlobalRole
) -> None:
    accounts.user("nobody@test.example", role=role)
    shown = _navigation(sign_in(app.test_client(), "nobody@test.example"))
    assert [item for item in MEMBERS_ITEMS if item in shown] == []
    assert "Home" in shown
    assert "Your account" in shown


def test_a_panel_member_is_offered_panel_work(
    app: Flask, accounts: Accounts, sign_in: SignIn
) -> None:
    accounts.user("rep@test.example")
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == "rep@test.example"))
        member(panel("Thornbury"), user, PanelRole.REPRESENTATIVE)
        db.session.commit()
    shown = _navigation(sign_in(app.test_client(), "rep@test.example"))
    assert [item for item in MEMBERS_ITEMS if item in shown] == MEMBERS_ITEMS


def test_a_suspended_member_still_finds_the_case_list(
    app: Flask, accounts: Accounts, sign_in: SignIn
) -> None:
    """On a panel whose protocol their organisation never signed: not in force, but theirs."""
    accounts.user("lapsed@test.example", role=GlobalRole.MANAGER)
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == "lapsed@test.example"))
        db.session.add(PanelMembership(panel=panel("Eastmere"), user=user, role=PanelRole.CHAIR))
        db.session.commit()
    shown = _navigation(sign_in(app.test_client(), "lapsed@test.example"))
    assert "Cases" in shown
