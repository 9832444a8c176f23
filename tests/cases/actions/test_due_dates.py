"""An action's due date changed by agreement (issue 21; domain §2.6, R13): the panel's
coordinator moves it with a reason, which is sealed; the change is in the action's history and
the audit trail as dates and ids; a date before the action was agreed (before its meeting) is
refused with a message next to the field and what was typed kept; a closed action, a stale
form and anyone but a coordinator are refused."""

from __future__ import annotations

from datetime import date
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy import text as sql

from app.database import db
from app.database import uk_today
from app.template_filters import uk_date
from audit.models import AuditAction
from cases.actions.models import ActionDueDateChange
from cases.actions.models import CaseAction
from tests.cases.actions.test_actions import CHAIR
from tests.cases.actions.test_actions import COORDINATOR
from tests.cases.actions.test_actions import HEALTH
from tests.cases.actions.test_actions import HOUSING
from tests.cases.actions.test_actions import MEETING_ON
from tests.cases.actions.test_actions import World
from tests.cases.actions.test_actions import action_url
from tests.cases.actions.test_actions import agreed
from tests.cases.actions.test_actions import clients  # noqa: F401  (fixture)
from tests.cases.actions.test_actions import events_of
from tests.cases.actions.test_actions import report
from tests.cases.actions.test_actions import version_on
from tests.cases.actions.test_actions import world  # noqa: F401  (fixture)
from tests.cases.referrals.test_referral_pages import text
from tests.conftest import csrf_token

REASON = "Housing asked for more time: the contractor cannot fit the alarm until the 20th"


def due_date_url(world: World, action_id: int) -> str:  # noqa: F811
    return f"{action_url(world, action_id)}/due-date"


def change(
    client: FlaskClient,
    world: World,  # noqa: F811
    action_id: int,
    day: date | None,
    reason: str = REASON,
    version: str | None = None,
) -> object:
    """Send the due date form as drawn for `client` (or with a given version)."""
    url = due_date_url(world, action_id)
    page = client.get(url)
    assert page.status_code == 200
    parts = ["", "", ""] if day is None else [str(day.day), str(day.month), str(day.year)]
    return client.post(
        url,
        data={
            "csrf_token": csrf_token(page.text),
            "version": version if version is not None else version_on(page.text),
            "due_on": parts,
            "reason": reason,
        },
    )


def stored(app: Flask, action_id: int) -> tuple[date, list[tuple[date, date]]]:
    with app.app_context():
        action = db.session.get_one(CaseAction, action_id)
        return action.due_on, [(c.previous_due_on, c.due_on) for c in action.due_date_changes]


def test_a_coordinator_moves_the_due_date_with_a_reason_kept_in_the_actions_history(
    app: Flask,
    world: World,  # noqa: F811
    clients: dict[str, FlaskClient],  # noqa: F811
) -> None:
    """R13: the new date, the old one and why, on the action's page."""
    action_id = agreed(clients[COORDINATOR], world)
    before, _ = stored(app, action_id)
    later = before + timedelta(days=14)
    response = change(clients[COORDINATOR], world, action_id, later)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert stored(app, action_id) == (later, [(before, later)])
    page = text(clients[HOUSING].get(action_url(world, action_id)))
    assert "Due date changes" in page
    assert REASON in page
    assert f"to {uk_date(later)}" in page


def test_the_reason_is_sealed_and_the_audit_event_holds_dates_and_ids_only(
    app: Flask,
    world: World,  # noqa: F811
    clients: dict[str, FlaskClient],  # noqa: F811
) -> None:
    """R9, R20: one event of its action naming the case, the action and both dates."""
    action_id = agreed(clients[COORDINATOR], world)
    before, _ = stored(app, action_id)
    later = before + timedelta(days=7)
    change(clients[COORDINATOR], world, action_id, later)
    (event,) = events_of(app, AuditAction.ACTION_DUE_DATE_CHANGED)
    assert (event.object_type, event.object_id) == ("cases", str(world.case))
    assert event.changes is not None
    assert '"action_id":[null,' in event.changes
    assert before.isoformat() in event.changes
    assert later.isoformat() in event.changes
    assert "contractor" not in event.changes
    with app.app_context():
        raw = db.session.execute(sql("SELECT reason FROM case_action_due_date_changes")).scalar()
        assert raw is not None
        assert b"contractor" not in raw
        change_row = db.session.scalars(select(ActionDueDateChange)).one()
        assert change_row.data_key_id == change_row.action.case.data_key_id


def test_a_due_date_before_the_meeting_that_agreed_it_is_refused_with_the_input_kept(
    app: Flask,
    world: World,  # noqa: F811
    clients: dict[str, FlaskClient],  # noqa: F811
) -> None:
    """Issue 21: "a due date moved before the meeting" gets a message next to the field."""
    action_id = agreed(clients[COORDINATOR], world)
    before, _ = stored(app, action_id)
    response = change(clients[COORDINATOR], world, action_id, MEETING_ON - timedelta(days=1))
    page = text(response)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "must be on or after the meeting that agreed it, 12 March 2026" in page
    assert 'class="govuk-error-summary' in page
    assert REASON in page  # what was typed is kept
    assert stored(app, action_id) == (before, [])
    assert events_of(app, AuditAction.ACTION_DUE_DATE_CHANGED) == []


def test_an_action_agreed_outside_a_meeting_cannot_fall_due_before_the_day_it_was_agreed(
    app: Flask,
    world: World,  # noqa: F811
    clients: dict[str, FlaskClient],  # noqa: F811
) -> None:
    action_id = agreed(clients[COORDINATOR], world, meeting_id="")
    response = change(clients[COORDINATOR], world, action_id, uk_today() - timedelta(days=1))
    assert "must be on or after the day it was agreed" in text(response)
    assert stored(app, action_id)[1] == []


def test_a_reason_is_required_and_the_same_date_is_not_a_change(
    app: Flask,
    world: World,  # noqa: F811
    clients: dict[str, FlaskClient],  # noqa: F811
) -> None:
    action_id = agreed(clients[COORDINATOR], world)
    before, _ = stored(app, action_id)
    page = text(change(clients[COORDINATOR], world, action_id, before + timedelta(days=3), ""))
    assert "Enter why the date it is due has changed" in page
    page = text(change(clients[COORDINATOR], world, action_id, before))
    assert "already due on" in page
    page = text(change(clients[COORDINATOR], world, action_id, None))
    assert "Enter the new date it is due" in page
    assert stored(app, action_id) == (before, [])


def test_a_closed_action_keeps_its_due_date(
    app: Flask,
    world: World,  # noqa: F811
    clients: dict[str, FlaskClient],  # noqa: F811
) -> None:
    action_id = agreed(clients[COORDINATOR], world)
    before, _ = stored(app, action_id)
    report(clients[HOUSING], world, action_id, "completed", "Alarm fitted")
    page = text(clients[COORDINATOR].get(due_date_url(world, action_id)))
    assert "its due date can no longer be changed" in page
    assert "Change the date it is due</button>" not in page
    assert stored(app, action_id) == (before, [])


def test_a_change_or_report_made_meanwhile_is_never_overwritten(
    app: Flask,
    world: World,  # noqa: F811
    clients: dict[str, FlaskClient],  # noqa: F811
) -> None:
    """The form carries the action's version: a stale or forged one saves nothing."""
    action_id = agreed(clients[COORDINATOR], world)
    before, _ = stored(app, action_id)
    url = due_date_url(world, action_id)
    drawn = clients[COORDINATOR].get(url).text
    report(clients[HOUSING], world, action_id, "open", "Contractor booked")
    later = before + timedelta(days=10)
    response = change(clients[COORDINATOR], world, action_id, later, version=version_on(drawn))
    assert "Someone else changed this action" in text(response)
    assert stored(app, action_id) == (before, [])
    response = change(clients[COORDINATOR], world, action_id, later, version="forged")
    assert "Someone else changed this action" in text(response)
    assert change(clients[COORDINATOR], world, action_id, later).status_code == 302  # type: ignore[attr-defined]


def test_only_the_panels_coordinators_change_a_due_date(
    world: World,  # noqa: F811
    clients: dict[str, FlaskClient],  # noqa: F811
) -> None:
    """The owning agency and the chair see the action but do not move its date; another
    agency cannot even see it: the same 404 for all."""
    action_id = agreed(clients[COORDINATOR], world)
    url = due_date_url(world, action_id)
    for email in (HOUSING, CHAIR, HEALTH):
        assert clients[email].get(url).status_code == 404, email
    assert "Change<span" in clients[COORDINATOR].get(action_url(world, action_id)).text
    assert "Change<span" not in clients[HOUSING].get(action_url(world, action_id)).text
