"""The rows a representative's case scope reads (cases/reach, issue 23) are always what the
facts say: whatever is listed, moved, brought back, declared, withdrawn or transferred, in any
order, the flush that changes a fact brings the rows up to date (domain R3, R5)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy import update

from app.accounts.models import User
from app.database import db
from app.database import uk_today
from app.keys.models import KeyPurpose
from app.keys.store import key_store
from cases import services as case_services
from cases.meetings.models import AgendaItem
from cases.meetings.models import AgendaReason
from cases.models import Case
from cases.reach import services as reach
from cases.reach.models import CaseReader
from cases.reach.models import CaseReferrer
from cases.reach.queries import drift
from cases.referrals.models import Referral
from panels.models import ConfidentialityDeclaration
from panels.models import Meeting
from panels.models import Panel
from panels.types.common import ReferralStatus
from tests.conftest import Accounts
from tests.referral_fixtures import panel as make_panel

TODAY = uk_today()


@dataclass
class World:
    panels: list[Panel]
    cases: list[Case]
    meetings: list[Meeting]
    users: list[User]
    organisation_ids: list[int]


@pytest.fixture
def emails(accounts: Accounts) -> list[str]:
    return [
        accounts.user("reach.police@props.example", organisation="Reach Police").email,
        accounts.user("reach.idva@props.example", organisation="Reach IDVA").email,
        accounts.user("reach.housing@props.example", organisation="Reach Housing").email,
    ]


@pytest.fixture
def world(app: Flask, emails: list[str]) -> Iterator[World]:
    with app.test_request_context():
        users = list(db.session.scalars(select(User).where(User.email.in_(emails))))
        ashcombe, brindle = make_panel("Reach Ashcombe"), make_panel("Reach Brindle")
        cases = [
            case_services.open_case(actor=None, panel=ashcombe, opened_on=TODAY, summary=None)
            for _ in range(3)
        ]
        meetings = [
            Meeting(panel=panel, held_on=TODAY + timedelta(days=days))
            for panel, days in ((ashcombe, 7), (ashcombe, 35), (brindle, 14))
        ]
        db.session.add_all(meetings)
        db.session.flush()
        yield World([ashcombe, brindle], cases, meetings, users, [u.organisation_id for u in users])
        db.session.rollback()


def _drift() -> object:
    db.session.flush()
    return drift(db.session.connection())


def _referral(world: World, case: int, agency: int, panel: int, meeting: int | None) -> Referral:
    return Referral(
        panel=world.panels[panel],
        case=world.cases[case],
        status=ReferralStatus.LISTED if meeting is not None else ReferralStatus.ACCEPTED,
        referrer_id=world.users[agency].id,
        referring_agency_id=world.organisation_ids[agency],
        referred_on=TODAY,
        meeting=None if meeting is None else world.meetings[meeting],
        data_key=key_store().new_key(KeyPurpose.CASE),
    )


small = st.integers(0, 2)
maybe_meeting = st.none() | small
steps = st.lists(
    st.one_of(
        st.tuples(st.just("refer"), small, small, st.integers(0, 1), maybe_meeting),
        st.tuples(st.just("relist"), small, maybe_meeting, st.booleans()),
        st.tuples(st.just("move referral"), small, small),
        st.tuples(st.just("drop referral"), small),
        st.tuples(st.just("bring back"), small, small),
        st.tuples(st.just("take off agenda"), small),
        st.tuples(st.just("declare"), small, small),
        st.tuples(st.just("withdraw"), small),
        st.tuples(st.just("transfer"), small, st.integers(0, 1)),
    ),
    max_size=14,
)


def _apply(world: World, step: tuple[object, ...]) -> None:
    """One change to the facts, as a service would make it through the ORM."""
    kind, *args = step
    referrals = list(db.session.scalars(select(Referral).order_by(Referral.id)))
    items = list(db.session.scalars(select(AgendaItem).order_by(AgendaItem.id)))
    declarations = list(
        db.session.scalars(
            select(ConfidentialityDeclaration).order_by(ConfidentialityDeclaration.id)
        )
    )
    match kind, args:
        case "refer", [int(case), int(agency), int(panel), meeting]:
            db.session.add(_referral(world, case, agency, panel, meeting))
        case "relist", [int(n), meeting, bool(by_column)] if referrals:
            referral = referrals[n % len(referrals)]
            if by_column:  # the column itself, as a carry-forward does
                referral.meeting_id = None if meeting is None else world.meetings[meeting].id
            else:  # the relationship, which sets the column only during the flush
                referral.meeting = None if meeting is None else world.meetings[meeting]
        case "move referral", [int(n), int(case)] if referrals:
            referrals[n % len(referrals)].case = world.cases[case]
        case "drop referral", [int(n)] if referrals:
            db.session.delete(referrals[n % len(referrals)])
        case "bring back", [int(case), int(meeting)]:
            taken = {(i.case_id, i.meeting_id) for i in items}
            if (world.cases[case].id, world.meetings[meeting].id) not in taken:
                db.session.add(
                    AgendaItem(
                        meeting_id=world.meetings[meeting].id,
                        case_id=world.cases[case].id,
                        reason=AgendaReason.REVIEW,
                        added_by_id=world.users[0].id,
                    )
                )
        case "take off agenda", [int(n)] if items:
            db.session.delete(items[n % len(items)])
        case "declare", [int(user), int(meeting)]:
            taken = {(d.user_id, d.meeting_id) for d in declarations}
            if (world.users[user].id, world.meetings[meeting].id) not in taken:
                db.session.add(
                    ConfidentialityDeclaration(
                        meeting_id=world.meetings[meeting].id,
                        user_id=world.users[user].id,
                        statement_version="1",
                    )
                )
        case "withdraw", [int(n)] if declarations:
            db.session.delete(declarations[n % len(declarations)])
        case "transfer", [int(case), int(panel)]:
            world.cases[case].panel = world.panels[panel]


@settings(
    max_examples=150,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=steps)
def test_R3_R5_the_rows_follow_every_change_to_what_they_are_derived_from(
    world: World, changes: list[tuple[object, ...]]
) -> None:
    """After each flush the rows are exactly those derived from the facts (none missing, none
    left over), whatever the changes and their order. Each example is rolled back."""
    savepoint = db.session.begin_nested()
    for step in changes:
        _apply(world, step)
        assert not _drift(), step
    savepoint.rollback()


def test_the_rows_say_who_reads_which_case_and_which_agency_referred_it(world: World) -> None:
    """A worked example: the police refer case 0 to Ashcombe and it is listed at Ashcombe's
    first meeting; the IDVA declares for that meeting and the police for the second; case 1
    is brought back at the second meeting. Then case 0 is transferred to Brindle: its readers
    stay (they were told about it at the meeting), the police's referral to Ashcombe no
    longer opens it (R5, a transfer)."""
    police, idva, _ = world.users
    case0, case1, _ = world.cases
    ashcombe, brindle = world.panels
    first, second, _ = world.meetings
    db.session.add(_referral(world, 0, 0, 0, 0))
    db.session.add_all(
        [
            ConfidentialityDeclaration(meeting_id=first.id, user_id=idva.id, statement_version="1"),
            ConfidentialityDeclaration(
                meeting_id=second.id, user_id=police.id, statement_version="1"
            ),
            AgendaItem(
                meeting_id=second.id,
                case_id=case1.id,
                reason=AgendaReason.REVIEW,
                added_by_id=police.id,
            ),
        ]
    )
    db.session.flush()
    assert _readers() == {(idva.id, ashcombe.id, case0.id), (police.id, ashcombe.id, case1.id)}
    assert _referrers() == {(police.organisation_id, ashcombe.id, case0.id)}

    case0.panel = brindle
    db.session.flush()
    assert _readers() == {(idva.id, brindle.id, case0.id), (police.id, ashcombe.id, case1.id)}
    assert _referrers() == set()


def test_a_change_made_without_the_orm_is_found_and_refresh_puts_it_right(world: World) -> None:
    """`drift` is not a check that cannot fail: a bulk statement moves a listing behind the
    session's back, drift names the rows, and refreshing the case puts them right."""
    police = world.users[0]
    db.session.add(_referral(world, 0, 0, 0, 0))
    db.session.add(
        ConfidentialityDeclaration(
            meeting_id=world.meetings[1].id, user_id=police.id, statement_version="1"
        )
    )
    assert not _drift()
    db.session.execute(update(Referral).values(meeting_id=world.meetings[1].id))
    found = _drift()
    assert found.missing_readers == [(police.id, world.panels[0].id, world.cases[0].id)]
    reach.refresh(db.session.connection(), [world.cases[0].id])
    assert not _drift()


def test_rebuild_derives_what_the_flushes_kept(world: World) -> None:
    """The generator's way (rows written without the ORM, then `rebuild`) and the app's way
    (kept at each flush) give the same rows."""
    db.session.add_all([_referral(world, c, c, 0, c % 2) for c in range(3)])
    for user in world.users:
        db.session.add(
            ConfidentialityDeclaration(
                meeting_id=world.meetings[0].id, user_id=user.id, statement_version="1"
            )
        )
    db.session.flush()
    kept = (_readers(), _referrers())
    assert kept[0]
    assert kept[1]
    reach.rebuild(db.session.connection())
    assert (_readers(), _referrers()) == kept


def _readers() -> set[tuple[int, int, int]]:
    rows = db.session.execute(select(CaseReader.user_id, CaseReader.panel_id, CaseReader.case_id))
    return {(a, b, c) for a, b, c in rows}


def _referrers() -> set[tuple[int, int, int]]:
    rows = db.session.execute(
        select(CaseReferrer.organisation_id, CaseReferrer.panel_id, CaseReferrer.case_id)
    )
    return {(a, b, c) for a, b, c in rows}
