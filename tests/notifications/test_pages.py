"""The Notifications page, its count in the navigation, marking read, and choosing how each
kind of event reaches you (issue 22)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from notifications import Event
from notifications import notify
from notifications.events import Choice
from notifications.models import Notification
from notifications.models import NotificationChoice
from notifications.queries import PAGE_SIZE
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import csrf_token
from tests.conftest import post_form

ME = "me@test.example"
SOMEONE_ELSE = "else@test.example"


@pytest.fixture
def me(app: Flask, accounts: Accounts, sign_in: SignIn) -> FlaskClient:
    accounts.user(ME)
    accounts.user(SOMEONE_ELSE)
    return sign_in(app.test_client(), ME)


def tell(
    app: Flask, email: str, times: int = 1, event: Event = Event.REFERRAL_WAITING
) -> list[int]:
    with app.app_context():
        person = db.session.scalars(select(User).where(User.email == email)).one()
        made = [
            notify(
                event,
                to=[person],
                link=f"/referrals/{n + 1}",
                panel="Newham MARAC",
                reference=f"R-{n + 1:05d}",
            )[0]
            for n in range(times)
        ]
        db.session.commit()
        return [n.id for n in made]


def test_the_page_lists_my_notifications_newest_first_and_not_anyone_elses(
    app: Flask, me: FlaskClient
) -> None:
    tell(app, ME, 2)
    tell(app, SOMEONE_ELSE, 1, Event.ACTION_ASSIGNED)
    page = me.get("/notifications")
    assert page.status_code == 200
    text = page.text
    assert text.index("R-00002") < text.index("R-00001")
    assert "An action was given to your agency" not in text
    assert 'href="/referrals/2"' in text
    assert "Notifications (2 unread)" in text  # the navigation


def test_marking_read_one_or_all(app: Flask, me: FlaskClient) -> None:
    first, *_ = tell(app, ME, 3)
    page = me.get("/notifications")
    marked = me.post(f"/notifications/{first}/read", data={"csrf_token": csrf_token(page.text)})
    assert (marked.status_code, marked.location) == (302, "/notifications")
    assert "Notifications (2 unread)" in me.get("/notifications").text
    unread = me.get("/notifications?show=unread").text
    assert "R-00001" not in unread
    assert "R-00003" in unread
    done = me.post("/notifications/read-all", data={"csrf_token": csrf_token(unread)})
    assert done.status_code == 302
    after = me.get("/notifications").text
    assert "2 notifications marked as read" in after
    assert "Notifications (" not in after
    with app.app_context():
        assert all(n.read_at for n in db.session.scalars(select(Notification)))


def test_someone_elses_notification_cannot_be_marked(app: Flask, me: FlaskClient) -> None:
    [theirs] = tell(app, SOMEONE_ELSE)
    page = me.get("/notifications")
    answer = me.post(f"/notifications/{theirs}/read", data={"csrf_token": csrf_token(page.text)})
    assert answer.status_code == 404
    with app.app_context():
        assert db.session.get_one(Notification, theirs).read_at is None


def test_older_notifications_are_a_page_away(app: Flask, me: FlaskClient) -> None:
    tell(app, ME, PAGE_SIZE + 3)
    first = me.get("/notifications").text
    assert f"R-{PAGE_SIZE + 3:05d}" in first
    assert "R-00003" not in first.replace(f"R-{PAGE_SIZE + 3:05d}", "")
    older = first.split('href="/notifications?before=')[1].split('"')[0]
    second = me.get(f"/notifications?before={older}").text
    assert "R-00001" in second
    assert "R-00003" in second
    assert "Older notifications" not in second


def test_choices_are_saved_and_shown_again(app: Flask, me: FlaskClient) -> None:
    page = me.get("/notifications/settings")
    assert page.status_code == 200
    assert "Your two-factor sign-in was changed" in page.text  # listed as always emailed
    form = {
        event.value: Choice.DIGEST.value if event is Event.ACTION_DUE_SOON else Choice.APP.value
        for event in Event
        if not event.mandatory
    }
    saved = post_form(me, "/notifications/settings", form)
    assert saved.status_code == 302
    with app.app_context():
        rows = {row.event: row.choice for row in db.session.scalars(select(NotificationChoice))}
    assert rows[Event.ACTION_DUE_SOON] is Choice.DIGEST
    assert rows[Event.REFERRAL_WAITING] is Choice.APP
    assert Event.NEW_DEVICE not in rows
    again = me.get("/notifications/settings").text
    assert checked(again, Event.ACTION_DUE_SOON.value) == "digest"
    assert checked(again, Event.REFERRAL_WAITING.value) == "app"


def checked(page: str, name: str) -> str | None:
    """The value of the radio button chosen for the question `name`."""
    for tag in re.findall(r"<input[^>]*>", page):
        if f'name="{name}"' in tag and "checked" in tag:
            value = re.search(r'value="([^"]*)"', tag)
            return value.group(1) if value else None
    return None


def test_a_forged_choice_is_refused_next_to_its_question_and_nothing_is_saved(
    app: Flask, me: FlaskClient
) -> None:
    form = {event.value: Choice.APP.value for event in Event if not event.mandatory}
    form[Event.REFERRAL_WAITING.value] = "carrier-pigeon"
    page = post_form(me, "/notifications/settings", form)
    assert page.status_code == 200
    assert "Select how you want to hear that" in page.text
    assert 'class="govuk-error-summary' in page.text
    with app.app_context():
        assert db.session.scalars(select(NotificationChoice)).all() == []
