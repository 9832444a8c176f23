"""Action plans (domain §2.6 and §8 R5, R13): coordinators and chairs agree actions at the
meeting, the agency that volunteers one keeps it and reports on it, the two ways of not
finishing are kept apart, outstanding actions come up on the agenda, and an agency sees its own
actions even where it cannot open the rest of the case."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.database import uk_today
from audit.models import AuditAction
from audit.models import AuditEvent
from cases import services as case_services
from cases.actions.models import ActionStatus
from cases.actions.models import ActionUpdate
from cases.actions.models import CaseAction
from cases.models import Case
from cases.referrals import services as referrals
from cases.restrictions.models import CaseRestriction
from panels import services as panel_services
from panels.models import PanelRole
from tests.cases.referrals.test_referral_pages import post
from tests.cases.referrals.test_referral_pages import text
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import csrf_token
from tests.referral_fixtures import marac_answers
from tests.referral_fixtures import member
from tests.referral_fixtures import panel
from tests.referral_fixtures import submitted

COORDINATOR = "coordinator@test.example"  # Thornbury Community Safety
CHAIR = "chair@test.example"  # Thornbury Probation
POLICE = "police@test.example"  # referred the case, so sees it
HOUSING = "housing@test.example"  # on the panel, cannot open the case; owns actions
HOUSING_COLLEAGUE = "housing2@test.example"
HEALTH = "health@test.example"  # on the panel, owns nothing, sees nothing
EVERYONE = (COORDINATOR, CHAIR, POLICE, HOUSING, HOUSING_COLLEAGUE, HEALTH)
REFERRED_ON = date(2026, 3, 2)
MEETING_ON = date(2026, 3, 12)
DESCRIPTION = "Fit a door alarm under the sanctuary scheme"


@dataclass(frozen=True)
class World:
    case: int
    reference: str
    meeting: int
    organisations: dict[str, int]  # email -> organisation id
    outsider: int  # an organisation with nobody on the panel


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> World:
    accounts.user(COORDINATOR, organisation="Thornbury Community Safety", name="Cora Ord")
    accounts.user(CHAIR, organisation="Thornbury Probation", name="Chas Chair")
    accounts.user(POLICE, organisation="Thornbury Police", name="Pip Referrer")
    accounts.user(HOUSING, organisation="Ashcombe Homes", name="Hal Homes")
    accounts.user(HOUSING_COLLEAGUE, organisation="Ashcombe Homes", name="Hetty Homes")
    accounts.user(HEALTH, organisation="Thornbury Health", name="Hana Health")
    outsider = accounts.organisation_id("Brindle Homes")
    with app.test_request_context():
        marac = panel("Thornbury")
        users = {u.email: u for u in db.session.scalars(select(User))}
        member(marac, users[COORDINATOR], PanelRole.COORDINATOR)
        member(marac, users[CHAIR], PanelRole.CHAIR)
        for email in (POLICE, HOUSING, HOUSING_COLLEAGUE, HEALTH):
            member(marac, users[email], PanelRole.REPRESENTATIVE)
        referral = submitted(users[POLICE], marac, marac_answers(referred_on=REFERRED_ON))
        case = referrals.accept_referral(
            referral, actor=users[COORDINATOR], matches=[None, None], today=REFERRED_ON
        ).case
        meeting = panel_services.schedule_meeting(actor=None, panel=marac, held_on=MEETING_ON)
        referrals.list_for_meeting(referral, actor=users[COORDINATOR], meeting=meeting)
        db.session.commit()
        return World(
            case.id,
            case.reference,
            meeting.id,
            {email: users[email].organisation_id for email in EVERYONE},
            outsider,
        )


@pytest.fixture
def clients(app: Flask, world: World, sign_in: SignIn) -> dict[str, FlaskClient]:
    return {email: sign_in(app.test_client(), email) for email in EVERYONE}


def due(day: date) -> list[tuple[str, str]]:
    return [("due_on", part) for part in (str(day.day), str(day.month), str(day.year))]


def agree(
    client: FlaskClient, world: World, *, owner: int | None, on: date, **fields: str
) -> object:
    data = [
        ("description", fields.get("description", DESCRIPTION)),
        ("owner_agency_id", "" if owner is None else str(owner)),
        ("meeting_id", fields.get("meeting_id", str(world.meeting))),
        *due(on),
    ]
    return post(client, f"/cases/{world.case}/actions/new", data)


def agreed(client: FlaskClient, world: World, owner_email: str = HOUSING, **fields: str) -> int:
    """Agree an action as `client` and return its id."""
    on = fields.pop("on", None) or (uk_today() + timedelta(days=28)).isoformat()
    response = agree(
        client, world, owner=world.organisations[owner_email], on=date.fromisoformat(on), **fields
    )
    assert response.status_code == 302, text(response)  # type: ignore[attr-defined]
    with client.application.app_context():
        newest = db.session.scalar(select(func.max(CaseAction.id)))
    assert newest is not None
    return newest


def action_url(world: World, action_id: int) -> str:
    return f"/cases/{world.case}/actions/{action_id}"


def version_on(html: str) -> str:
    """The action version a progress form was drawn from (its hidden field)."""
    return html.split('name="version"', 1)[1].split('value="', 1)[1].split('"', 1)[0]


def send(client: FlaskClient, url: str, html: str, status: str, words: str) -> object:
    """Send the progress form drawn in `html`, as the browser that holds it would."""
    return client.post(
        url,
        data={
            "csrf_token": csrf_token(html),
            "version": version_on(html),
            "status": status,
            "text": words,
        },
    )


def report(client: FlaskClient, world: World, action_id: int, status: str, words: str) -> object:
    url = action_url(world, action_id)
    page = client.get(url)
    assert page.status_code == 200
    return send(client, url, page.text, status, words)


def stored(app: Flask) -> tuple[list[CaseAction], int]:
    with app.app_context():
        actions = db.session.scalars(select(CaseAction).order_by(CaseAction.id)).all()
        db.session.expunge_all()
        updates = db.session.scalar(select(func.count()).select_from(ActionUpdate)) or 0
        return list(actions), updates


def events_of(app: Flask, action: AuditAction) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        db.session.expunge_all()
        return list(events)


# Agreeing ------------------------------------------------------------------------------------


def test_r13_a_coordinator_agrees_an_action_and_the_case_page_shows_the_plan(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    deadline = uk_today() + timedelta(days=21)
    response = agree(clients[COORDINATOR], world, owner=world.organisations[HOUSING], on=deadline)
    assert response.status_code == 302  # type: ignore[attr-defined]
    page = text(clients[COORDINATOR].get(f"/cases/{world.case}"))
    assert "Action plan" in page
    assert DESCRIPTION in page
    assert "Ashcombe Homes" in page
    assert f"{deadline.day} {deadline:%B %Y}" in page
    (action,), _ = stored(app)
    assert action.status is ActionStatus.OPEN
    assert action.meeting_id == world.meeting
    assert action.owner_agency_id == world.organisations[HOUSING]
    # The wording is sealed: the stored bytes do not hold it.
    assert DESCRIPTION.encode() not in (action.description_sealed or b"")


def test_the_chair_agrees_actions_too_and_representatives_cannot(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    agreed(clients[CHAIR], world)
    assert clients[POLICE].get(f"/cases/{world.case}/actions/new").status_code == 404
    assert clients[HOUSING].get(f"/cases/{world.case}/actions/new").status_code == 404
    assert "Agree an action" not in text(clients[POLICE].get(f"/cases/{world.case}"))
    assert "Agree an action" in text(clients[CHAIR].get(f"/cases/{world.case}"))


def test_the_form_suggests_the_latest_meeting_held_and_offers_only_agencies_on_the_panel(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    page = text(clients[COORDINATOR].get(f"/cases/{world.case}/actions/new"))
    assert f'<option value="{world.meeting}" selected>12 March 2026</option>' in page
    for agency in ("Ashcombe Homes", "Thornbury Police", "Thornbury Health", "Thornbury Probation"):
        assert agency in page
    assert "Brindle Homes" not in page


def test_each_missing_answer_has_its_message_the_typing_is_kept_and_nothing_is_saved(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    response = post(
        clients[COORDINATOR],
        f"/cases/{world.case}/actions/new",
        [("description", "Visit   "), ("owner_agency_id", ""), ("meeting_id", "")],
    )
    page = text(response)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "There is a problem" in page
    assert "Select the agency responsible" in page
    assert "Enter the date it is due" in page
    assert "Visit" in page
    empty = text(agree(clients[COORDINATOR], world, owner=None, on=uk_today(), description=""))
    assert "Enter what the agency will do" in empty
    assert stored(app) == ([], 0)


@pytest.mark.parametrize(
    ("owner", "meeting", "on", "message"),
    [
        ("outsider", "listed", 30, "Select an agency that sits on this panel"),
        ("forged", "listed", 30, "Select an agency that sits on this panel"),
        ("housing", "forged", 30, "Select a meeting held that this case was listed at"),
        ("housing", "listed", -1, "must be on or after the meeting that agreed it"),
        ("housing", "none", 800, "The date it is due must be within 2 years"),
    ],
)
def test_an_impossible_action_is_refused_with_a_message_and_nothing_is_saved(
    app: Flask,
    world: World,
    clients: dict[str, FlaskClient],
    owner: str,
    meeting: str,
    on: int,
    message: str,
) -> None:
    owner_id = {
        "outsider": world.outsider,
        "forged": 999_999,
        "housing": world.organisations[HOUSING],
    }[owner]
    meeting_id = {"listed": str(world.meeting), "forged": "999999", "none": ""}[meeting]
    day = MEETING_ON + timedelta(days=on) if on < 0 else uk_today() + timedelta(days=on)
    response = agree(clients[COORDINATOR], world, owner=owner_id, on=day, meeting_id=meeting_id)
    assert response.status_code == 200  # type: ignore[attr-defined]
    page = text(response)
    assert message in page
    assert DESCRIPTION in page  # what was typed is kept
    assert stored(app) == ([], 0)


def test_an_agency_whose_isp_signature_lapsed_cannot_take_on_an_action(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """R1: only agencies whose signature is in force share in the panel's work."""
    from panels.models import IspSignatory

    with app.app_context():
        signature = db.session.scalar(
            select(IspSignatory).where(IspSignatory.organisation_id == world.organisations[HEALTH])
        )
        assert signature is not None
        signature.withdrawn_on = uk_today() - timedelta(days=1)
        db.session.commit()
    page = text(clients[COORDINATOR].get(f"/cases/{world.case}/actions/new"))
    assert "Thornbury Health" not in page
    refused = agree(clients[COORDINATOR], world, owner=world.organisations[HEALTH], on=uk_today())
    assert "Select an agency that sits on this panel" in text(refused)


def test_a_closed_case_takes_no_new_actions_but_its_open_ones_are_still_reported_on(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """Domain §2.8: closing a case does not end an agency's responsibility for its actions."""
    action_id = agreed(clients[COORDINATOR], world)
    with app.app_context():
        case_services.close_case(
            db.session.get_one(Case, world.case), actor=None, closed_on=uk_today()
        )
        db.session.commit()
    refused = agree(clients[COORDINATOR], world, owner=world.organisations[HOUSING], on=uk_today())
    assert "This case is closed: no new actions can be agreed for it" in text(refused)
    assert "Agree an action" not in text(clients[COORDINATOR].get(f"/cases/{world.case}"))
    done = report(clients[HOUSING], world, action_id, "completed", "Alarm fitted after closure")
    assert done.status_code == 302  # type: ignore[attr-defined]
    (action,), updates = stored(app)
    assert action.status is ActionStatus.COMPLETED
    assert updates == 1


# Reporting -----------------------------------------------------------------------------------


def test_the_owner_agency_reports_progress_then_closes_the_action(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    action_id = agreed(clients[COORDINATOR], world)
    url = action_url(world, action_id)
    started = report(clients[HOUSING], world, action_id, "open", "Survey booked for Tuesday")
    assert started.status_code == 302  # type: ignore[attr-defined]
    drawn = clients[COORDINATOR].get(url).text  # open in another window meanwhile
    done = report(clients[HOUSING], world, action_id, "completed", "Alarm fitted and tested")
    assert done.status_code == 302  # type: ignore[attr-defined]
    (action,), updates = stored(app)
    assert action.status is ActionStatus.COMPLETED
    assert updates == 2
    assert action.version == 3
    page = text(clients[HOUSING].get(action_url(world, action_id)))
    assert "Survey booked for Tuesday" in page
    assert "Alarm fitted and tested" in page
    assert "Send report" not in page
    stale = text(send(clients[COORDINATOR], url, drawn, "open", "Reopen it"))
    assert "Someone else reported on this action" in stale
    again = text(send(clients[COORDINATOR], url, stale, "open", "Reopen it"))
    assert "This action is already closed (completed)" in again
    assert "Reopen it" in again
    assert stored(app)[1] == 2
    case_page = text(clients[POLICE].get(f"/cases/{world.case}"))
    assert "Alarm fitted and tested" in case_page  # the latest report, on the plan


@pytest.mark.parametrize("status", ["no_longer_possible", "not_done"])
def test_not_completing_needs_a_reason_and_the_two_ways_are_kept_apart(
    app: Flask, world: World, clients: dict[str, FlaskClient], status: str
) -> None:
    """Domain §2.6: minutes distinguish "not possible due to change in circumstances" from
    "agency did not do it"."""
    action_id = agreed(clients[COORDINATOR], world)
    missing = report(clients[HOUSING], world, action_id, status, "  ")
    assert "Say why the action was not completed" in text(missing)
    assert stored(app)[1] == 0
    assert (
        report(clients[HOUSING], world, action_id, status, "Family moved away").status_code == 302
    )  # type: ignore[attr-defined]
    (action,), _ = stored(app)
    assert action.status is ActionStatus(status)
    label = ActionStatus(status).label
    assert label in text(clients[COORDINATOR].get(f"/cases/{world.case}"))


def test_an_empty_or_forged_report_is_a_message_and_nothing_is_saved(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    action_id = agreed(clients[COORDINATOR], world)
    empty = text(report(clients[HOUSING], world, action_id, "open", ""))
    assert "Enter what has been done" in empty
    forged = text(report(clients[HOUSING], world, action_id, "finished", "All good"))
    assert "Select where the action stands" in forged
    assert "All good" in forged
    assert stored(app)[1] == 0


def test_a_report_sent_meanwhile_is_never_overwritten(
    app: Flask, world: World, clients: dict[str, FlaskClient], sign_in: SignIn
) -> None:
    """Two people open the same action; the second to send is told and keeps their words."""
    action_id = agreed(clients[COORDINATOR], world)
    url = action_url(world, action_id)
    first, second = clients[HOUSING], clients[HOUSING_COLLEAGUE]
    first_page, second_page = first.get(url).text, second.get(url).text
    done = send(first, url, first_page, "completed", "Alarm fitted")
    assert done.status_code == 302  # type: ignore[attr-defined]
    clash = send(second, url, second_page, "not_done", "We ran out of time")
    assert clash.status_code == 200  # type: ignore[attr-defined]
    page = text(clash)
    assert "Someone else reported on this action while you were writing" in page
    assert "We ran out of time" in page  # their words are kept
    assert "Alarm fitted" in page  # and the other report is shown
    (action,), updates = stored(app)
    assert action.status is ActionStatus.COMPLETED
    assert updates == 1
    # Having now seen the other report, they can send theirs (the action is closed, so no).
    assert "This action is already closed" in text(
        send(second, url, clash.text, "not_done", "We ran out of time")  # type: ignore[attr-defined]
    )


def test_a_stale_or_forged_version_never_saves(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    action_id = agreed(clients[COORDINATOR], world)
    url = action_url(world, action_id)
    page = clients[HOUSING].get(url)
    for version in ("0", "abc", ""):
        response = clients[HOUSING].post(
            url,
            data={
                "csrf_token": csrf_token(page.text),
                "version": version,
                "status": "completed",
                "text": "Done",
            },
        )
        assert response.status_code == 200
    assert stored(app)[1] == 0


def test_another_agency_cannot_open_or_report_on_an_action_it_does_not_own(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    action_id = agreed(clients[COORDINATOR], world)
    url = action_url(world, action_id)
    assert clients[HEALTH].get(url).status_code == 404
    # The referring police sees the case and its plan, but reports only on its own actions.
    assert clients[POLICE].get(url).status_code == 404
    case_page = text(clients[POLICE].get(f"/cases/{world.case}"))
    assert DESCRIPTION in case_page
    assert url not in case_page
    assert url in text(clients[COORDINATOR].get(f"/cases/{world.case}"))
    # An action named under another case's id is not found either.
    assert clients[HOUSING].get(f"/cases/{world.case + 1}/actions/{action_id}").status_code == 404


def test_r5_an_agency_sees_its_own_actions_without_the_rest_of_the_case(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    action_id = agreed(clients[COORDINATOR], world)
    for email in (HOUSING, HOUSING_COLLEAGUE):
        listing = text(clients[email].get("/actions"))
        assert DESCRIPTION in listing
        assert world.reference in listing
        page = clients[email].get(action_url(world, action_id))
        assert page.status_code == 200
        assert f'href="/cases/{world.case}"' not in page.text  # no way into the case
        assert clients[email].get(f"/cases/{world.case}").status_code == 404
    assert DESCRIPTION not in text(clients[HEALTH].get("/actions"))
    assert DESCRIPTION not in text(clients[POLICE].get("/actions"))


def restrict_against_housing(app: Flask, world: World) -> None:
    """Someone in the case works for Ashcombe Homes (staff as subject)."""
    with app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == COORDINATOR))
        assert coordinator is not None
        db.session.add(
            CaseRestriction(
                case_id=world.case,
                organisation_id=world.organisations[HOUSING],
                placed_by_id=coordinator.id,
            )
        )
        db.session.commit()


def test_r19_a_restriction_closes_the_agencys_own_actions_too(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    action_id = agreed(clients[COORDINATOR], world)
    restrict_against_housing(app, world)
    assert clients[HOUSING].get(action_url(world, action_id)).status_code == 404
    assert DESCRIPTION not in text(clients[HOUSING].get("/actions"))


def test_destroying_a_cases_content_takes_its_actions_with_it(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    action_id = agreed(clients[COORDINATOR], world)
    report(clients[HOUSING], world, action_id, "completed", "Alarm fitted")
    destroy(app, world)
    assert stored(app) == ([], 0)  # the rows go, as the case's links to people do
    for email in (COORDINATOR, HOUSING):
        assert clients[email].get(action_url(world, action_id)).status_code == 404
        listing = clients[email].get("/actions?showing=all")
        assert listing.status_code == 200
        assert DESCRIPTION not in text(listing)
    assert clients[COORDINATOR].get(f"/cases/{world.case}").status_code == 200


def destroy(app: Flask, world: World) -> None:
    """Close the case and destroy its content under a retention rule, as the CLI does."""
    from cases.retention.models import RecordType
    from cases.retention.queries import DueCase
    from cases.retention.services import dispose
    from cases.retention.services import set_retention_period

    with app.app_context():
        case = db.session.get_one(Case, world.case)
        case_services.close_case(case, actor=None, closed_on=uk_today())
        rule = set_retention_period(
            actor=None,
            panel_type=case.panel.panel_type,
            record_type=RecordType.CLOSED_CASE,
            months=1,
        )
        dispose(DueCase(case, rule, uk_today()), actor=None)
        db.session.commit()


# Lists and the agenda --------------------------------------------------------------------------


def test_the_actions_list_filters_by_state_soonest_due_first(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    today = uk_today()
    coordinator = clients[COORDINATOR]
    late = agreed(
        coordinator,
        world,
        description="Late one",
        on=(today - timedelta(days=3)).isoformat(),
        meeting_id="",
    )
    soon = agreed(
        coordinator, world, description="Soon one", on=(today + timedelta(days=2)).isoformat()
    )
    later = agreed(
        coordinator, world, description="Later one", on=(today + timedelta(days=40)).isoformat()
    )
    assert report(clients[HOUSING], world, later, "completed", "Done early").status_code == 302  # type: ignore[attr-defined]
    assert late
    assert soon

    def shown(query: str, client: FlaskClient | None = None) -> list[str]:
        """The test's actions on the page, in the order shown."""
        page = text((client or clients[HOUSING]).get(f"/actions{query}"))
        found = [d for d in ("Late one", "Soon one", "Later one") if d in page]
        return sorted(found, key=page.index)

    assert shown("") == ["Late one", "Soon one"]  # outstanding, soonest due first
    assert shown("?showing=overdue") == ["Late one"]
    assert shown("?showing=closed") == ["Later one"]
    assert shown("?showing=all") == ["Late one", "Soon one", "Later one"]
    assert "Overdue" in text(clients[HOUSING].get("/actions"))
    # Coordinators see their own agency's by default, every agency's when asked.
    assert shown("", coordinator) == []
    assert shown("?whose=panels", coordinator) == ["Late one", "Soon one"]
    # A representative cannot widen the list to every agency's.
    forged = text(clients[HOUSING].get("/actions?whose=panels"))
    assert "Select whose actions to show" in forged
    assert "Late one" not in forged
    assert "Select which actions to show from the list" in text(
        clients[HOUSING].get("/actions?showing=everything")
    )


def test_the_actions_list_pages_through_many_actions_in_order(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """Every action appears once across the pages, in due order, including pages read from
    the end of the list."""
    from cases.actions import queries as action_queries
    from cases.actions.services import NewAction
    from cases.actions.services import agree_action

    with app.test_request_context():
        case = db.session.get_one(Case, world.case)
        actor = db.session.scalar(select(User).where(User.email == COORDINATOR))
        owners = action_queries.owner_agencies(case, uk_today())
        owner = next(o for o in owners if o.id == world.organisations[HOUSING])
        assert actor is not None
        for number in range(123):
            agree_action(
                case,
                actor=actor,
                action=NewAction(
                    f"Numbered action {number:03d}",
                    owner,
                    uk_today() + timedelta(days=number % 17),
                    None,
                ),
                today=uk_today(),
            )
        db.session.commit()
        expected = [
            row.description
            for row in sorted(
                db.session.scalars(select(CaseAction)).all(), key=lambda a: (a.due_on, a.id)
            )
        ]
    seen: list[str] = []
    for page in (1, 2, 3):
        html = text(clients[HOUSING].get(f"/actions?page={page}"))
        found = [(html.index(d), d) for d in expected if d in html]
        seen += [d for _, d in sorted(found)]
    assert seen == expected


def test_r13_the_agenda_shows_each_cases_outstanding_and_overdue_actions(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    today = uk_today()
    coordinator = clients[COORDINATOR]
    agreed(coordinator, world, on=(today - timedelta(days=1)).isoformat(), meeting_id="")
    agreed(coordinator, world, on=(today + timedelta(days=9)).isoformat())
    closed = agreed(coordinator, world, on=(today + timedelta(days=9)).isoformat())
    report(clients[HOUSING], world, closed, "completed", "Done")
    page = text(coordinator.get(f"/meetings/{world.meeting}"))
    assert "Outstanding actions" in page
    assert "2 open" in page
    assert "1 overdue" in page


# The audit trail -------------------------------------------------------------------------------


def test_each_change_and_read_is_one_audit_event_of_ids_and_codes(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    action_id = agreed(clients[COORDINATOR], world)
    report(clients[HOUSING], world, action_id, "not_done", "Staff shortage this month")
    clients[HOUSING].get("/actions?showing=all")
    (agreed_event,) = events_of(app, AuditAction.ACTION_AGREED)
    assert agreed_event.object_type == "cases"
    assert agreed_event.object_id == str(world.case)
    changes = json.loads(agreed_event.changes or "")
    assert changes["action_id"] == [None, action_id]
    assert changes["owner_agency_id"] == [None, world.organisations[HOUSING]]
    (reported,) = events_of(app, AuditAction.ACTION_PROGRESS_REPORTED)
    assert json.loads(reported.changes or "") == {
        "action_id": [None, action_id],
        "status": ["open", "not_done"],
    }
    viewed = events_of(app, AuditAction.ACTION_VIEWED)
    assert viewed
    assert all(json.loads(e.changes or "") == {"action_id": [None, action_id]} for e in viewed)
    (listed,) = events_of(app, AuditAction.ACTIONS_LIST_VIEWED)
    listed_changes = json.loads(listed.changes or "")
    assert listed_changes["filters"] == {"showing": "all", "whose": "agency"}
    assert listed_changes["results"] == [None, 1]
    with app.app_context():
        trail = " ".join(str(e.changes) for e in db.session.scalars(select(AuditEvent)).all())
    assert DESCRIPTION not in trail
    assert "Staff shortage" not in trail


def test_the_case_timeline_shows_actions_agreed_and_reported_on_in_order(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    action_id = agreed(clients[COORDINATOR], world)
    report(clients[HOUSING], world, action_id, "completed", "Alarm fitted")
    page = text(clients[COORDINATOR].get(f"/cases/{world.case}"))
    agreed_at = page.index("Action agreed for Ashcombe Homes")
    assert page.index("Ashcombe Homes reported on an action: completed") > agreed_at
    assert page.index("Case opened") < agreed_at


def _transfer_to_brindle(
    app: Flask, world: World, accounts: Accounts, *, housing_on_brindle: bool
) -> int:
    """Transfer the world's case to Brindle's MARAC, on which Ashcombe Homes (the housing
    agency owning the actions) sits only if `housing_on_brindle`; returns Brindle's panel id."""
    from cases.sharing.models import ConsentStatus
    from cases.sharing.models import LawfulBasis

    accounts.user("away@test.example", organisation="Brindle Community Safety", name="Away Co")
    if housing_on_brindle:
        accounts.user("brindle-homes@test.example", organisation="Ashcombe Homes", name="Bo Homes")
    with app.test_request_context():
        away = panel("Brindle")
        for email, role in (
            ("away@test.example", PanelRole.COORDINATOR),
            ("brindle-homes@test.example", PanelRole.REPRESENTATIVE),
        ):
            user = db.session.scalar(select(User).where(User.email == email))
            if user is not None:
                member(away, user, role)
        case = db.session.get_one(Case, world.case)
        coordinator = db.session.scalar(select(User).where(User.email == COORDINATOR))
        assert coordinator is not None
        referrals.transfer_case(
            case,
            actor=coordinator,
            to_panel=away,
            transferred_on=uk_today(),
            reason="Victim moved to Brindle",
            lawful_basis=LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
            consent=ConsentStatus.GIVEN,
            without_agreement_reason="Urgent: agencies informed by phone",
        )
        db.session.commit()
        return away.id


def test_r19_a_transferred_cases_actions_move_with_it_to_the_receiving_panel(
    app: Flask, world: World, clients: dict[str, FlaskClient], accounts: Accounts, sign_in: SignIn
) -> None:
    """The receiving panel's coordinator sees and reports on them; the sending panel's
    agencies no longer see them, since the case is no longer theirs."""
    action_id = agreed(clients[COORDINATOR], world)
    away_id = _transfer_to_brindle(app, world, accounts, housing_on_brindle=True)
    (action,), _ = stored(app)
    assert (action.panel_id, action.status) == (away_id, ActionStatus.OPEN)
    receiving = sign_in(app.test_client(), "away@test.example")
    assert receiving.get(action_url(world, action_id)).status_code == 200
    assert DESCRIPTION in text(receiving.get("/actions?whose=panels"))
    assert clients[HOUSING].get(action_url(world, action_id)).status_code == 404
    assert DESCRIPTION not in text(clients[HOUSING].get("/actions"))


def test_r19_issue_25_a_transfer_closes_open_actions_of_agencies_not_on_the_receiving_panel(
    app: Flask, world: World, clients: dict[str, FlaskClient], accounts: Accounts, sign_in: SignIn
) -> None:
    """Nobody on the receiving panel could report on them, so they do not sit there open and
    overdue for ever: the transfer closes them as no longer possible and says why, and they
    stay in the case's history. A closed action stays as it was."""
    open_id = agreed(clients[COORDINATOR], world)
    done_id = agreed(clients[COORDINATOR], world, description="Share the tenancy history")
    report(clients[HOUSING], world, done_id, "completed", "Shared at the meeting")
    _transfer_to_brindle(app, world, accounts, housing_on_brindle=False)

    (moved, done), _ = stored(app)
    assert (moved.id, moved.status) == (open_id, ActionStatus.NO_LONGER_POSSIBLE)
    assert (done.id, done.status) == (done_id, ActionStatus.COMPLETED)
    receiving = sign_in(app.test_client(), "away@test.example")
    page = text(receiving.get(action_url(world, open_id)))
    assert "Not possible: circumstances changed" in page
    assert "Ashcombe Homes does not sit on Brindle marac" in page
    assert DESCRIPTION not in text(receiving.get("/actions?whose=panels"))
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.ACTION_PROGRESS_REPORTED)
        ).all()
        changes = [json.loads(e.changes or "") for e in events]
    closed = [c for c in changes if c["action_id"] == [None, open_id]]
    assert closed == [{"action_id": [None, open_id], "status": ["open", "no_longer_possible"]}]


def test_r19_issue_25_the_transfer_page_names_the_actions_a_transfer_would_close(
    app: Flask, world: World, clients: dict[str, FlaskClient], accounts: Accounts
) -> None:
    """Before deciding, the coordinator sees which open actions each receiving panel would
    close; an action whose agency sits there too is not among them."""
    agreed(clients[COORDINATOR], world)
    agreed(clients[COORDINATOR], world, owner_email=HEALTH, description="Share the GP record")
    accounts.user("brindle-health@test.example", organisation="Thornbury Health", name="Bea")
    with app.test_request_context():
        away = panel("Brindle")
        user = db.session.scalar(select(User).where(User.email == "brindle-health@test.example"))
        assert user is not None
        member(away, user, PanelRole.REPRESENTATIVE)
        db.session.commit()
    page = text(clients[COORDINATOR].get(f"/cases/{world.case}/transfer"))
    closing = page.split("If the case goes to Brindle marac", 1)[1].split("</ul>", 1)[0]
    assert f"Ashcombe Homes: {DESCRIPTION}" in closing
    assert "Share the GP record" not in closing


def test_r7_agencies_that_took_on_or_reported_on_actions_must_agree_to_a_transfer(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """Their actions and reports travel with the case: they are originators too."""
    from cases.sharing import rules as sharing_rules

    action_id = agreed(clients[COORDINATOR], world, owner_email=HEALTH)
    report(clients[CHAIR], world, action_id, "open", "Chased at the chairs' meeting")
    with app.app_context():
        case = db.session.get_one(Case, world.case)
        names = [o.name for o in sharing_rules.originators_of(case)]
    assert "Thornbury Health" in names  # took the action on
    assert "Thornbury Probation" in names  # the chair's agency reported on it
    assert "Thornbury Police" in names  # referred, as before


def test_no_action_goes_to_an_agency_the_case_is_restricted_against(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """Its staff could never see the action (staff as subject, R19)."""
    restrict_against_housing(app, world)
    assert "Ashcombe Homes" not in text(
        clients[COORDINATOR].get(f"/cases/{world.case}/actions/new")
    )
    refused = agree(clients[COORDINATOR], world, owner=world.organisations[HOUSING], on=uk_today())
    assert "Select an agency that sits on this panel" in text(refused)
    assert stored(app) == ([], 0)


def test_a_meeting_not_yet_held_cannot_be_where_an_action_was_agreed(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    with app.test_request_context():
        case = db.session.get_one(Case, world.case)
        coordinator = db.session.scalar(select(User).where(User.email == COORDINATOR))
        upcoming = panel_services.schedule_meeting(
            actor=None, panel=case.panel, held_on=uk_today() + timedelta(days=10)
        )
        referral = submitted(coordinator, case.panel, marac_answers(referred_on=uk_today()))
        people = [link.person_id for link in sorted(case.people, key=lambda link: link.id)]
        referrals.accept_referral(referral, actor=coordinator, matches=people, today=uk_today())
        referrals.list_for_meeting(referral, actor=coordinator, meeting=upcoming)
        db.session.commit()
        upcoming_id = upcoming.id
    page = text(clients[COORDINATOR].get(f"/cases/{world.case}/actions/new"))
    meeting_choices = page[page.index('id="meeting_id"') :]
    assert f'<option value="{world.meeting}"' in meeting_choices  # the one held is offered
    assert f'<option value="{upcoming_id}"' not in meeting_choices
    refused = agree(
        clients[COORDINATOR],
        world,
        owner=world.organisations[HOUSING],
        on=uk_today() + timedelta(days=20),
        meeting_id=str(upcoming_id),
    )
    assert "Select a meeting held that this case was listed at" in text(refused)
    assert stored(app) == ([], 0)


def test_a_report_that_loses_the_race_at_the_database_is_a_message_not_an_error_page(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """The version check in SQL catches what the form's check could not see: another report
    committed between loading the action and saving this one."""
    from sqlalchemy import text as sql

    from app.errors import DomainError
    from cases.actions.services import report_progress

    action_id = agreed(clients[COORDINATOR], world)
    with app.test_request_context():
        action = db.session.get_one(CaseAction, action_id)
        seen = action.version
        # Another request's report, committed meanwhile (the ORM's copy still says `seen`).
        db.session.execute(
            sql("UPDATE case_actions SET version = version + 1 WHERE id = :id"), {"id": action_id}
        )
        housing = db.session.scalar(select(User).where(User.email == HOUSING))
        assert housing is not None
        with pytest.raises(DomainError, match="Someone else reported on this action"):
            report_progress(
                action, actor=housing, status=ActionStatus.COMPLETED, text="Done", seen_version=seen
            )
        db.session.rollback()
    assert stored(app)[1] == 0


def test_a_refused_action_is_recorded_against_its_case_for_the_coordinators_log(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    action_id = agreed(clients[COORDINATOR], world)
    assert clients[HEALTH].get(action_url(world, action_id)).status_code == 404
    (denied,) = [e for e in events_of(app, AuditAction.ACCESS_DENIED) if e.object_type == "cases"]
    assert denied.object_id == str(world.case)
    assert json.loads(denied.changes or "") == {"action_id": [None, action_id]}
    log = text(clients[COORDINATOR].get(f"/cases/{world.case}/access-log"))
    assert "Hana Health" in log


def test_the_agenda_leaves_out_a_destroyed_cases_actions(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    agreed(clients[COORDINATOR], world)
    assert "1 open" in text(clients[COORDINATOR].get(f"/meetings/{world.meeting}"))
    destroy(app, world)
    assert "1 open" not in text(clients[COORDINATOR].get(f"/meetings/{world.meeting}"))
