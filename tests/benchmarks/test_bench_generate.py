"""The benchmark generator makes data the app reads as its own: sealed fields open, blind
indexes find people, the audit chain verifies, and about a third of MARAC referrals are repeats
(domain §2.10.1: 31 to 33% nationally). A tiny dataset, so this runs in the normal suite."""

from __future__ import annotations

import html
import shutil
from collections.abc import Iterable
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import inspect
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app import create_app
from app.accounts.models import User
from app.auth.seeds import totp_secret
from app.database import db
from app.database import uk_today
from app.extensions import limiter
from audit.verify import verify_chain
from benchmarks.generate import BENCH_PASSWORD
from benchmarks.generate import EMAIL_DOMAIN
from benchmarks.generate import NotEmpty
from benchmarks.generate import Plan
from benchmarks.generate import Summary
from benchmarks.generate import generate
from benchmarks.loading import Batch
from benchmarks.loading import Writer
from benchmarks.loading import WriterFailed
from cases.actions.models import ActionStatus
from cases.actions.models import CaseAction
from cases.models import Case
from cases.models import CasePerson
from cases.models import CaseRole
from cases.models import Person
from cases.people.models import PersonSearchKey
from cases.reach.models import CaseReader
from cases.reach.models import CaseReferrer
from cases.reach.queries import drift
from cases.referrals.models import AgeBand
from cases.referrals.models import Referral
from cases.referrals.rules import people_of
from cases.referrals.rules import victim_age_band
from cases.referrals.rules import young_perpetrators
from panels.models import ConfidentialityDeclaration
from panels.models import Meeting
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.policy import panel_access
from panels.types.common import PanelType
from panels.types.common import ReferralStatus
from tests.conftest import csrf_token
from tests.conftest import make_settings
from tests.conftest import post_form

COORDINATOR = f"coordinator.1@{EMAIL_DOMAIN}"


@pytest.fixture(scope="module")
def bench(
    tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path
) -> Iterator[tuple[Flask, Summary]]:
    """One generated database for the module's tests: generating it is the slow part."""
    directory = tmp_path_factory.mktemp("bench")
    shutil.copy(migrated_sqlite, directory / "test.db")
    app = create_app(make_settings(directory))
    with app.app_context():
        limiter.reset()
        summary = generate(Plan(referrals=300, areas=2, seed=7))
    yield app, summary
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(bench: tuple[Flask, Summary]) -> Flask:
    return bench[0]


@pytest.fixture
def generated(bench: tuple[Flask, Summary]) -> Summary:
    return bench[1]


def signed_in(app: Flask, client: FlaskClient, email: str) -> FlaskClient:
    response = post_form(client, "/sign-in", {"email": email, "password": BENCH_PASSWORD})
    assert response.status_code == 302, response.text
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        code = pyotp.TOTP(totp_secret(user)).now()
        user.totp_last_step = None  # the module's tests sign in within one 30-second step
        db.session.commit()
    response = post_form(client, "/sign-in/security-code", {"code": code})
    assert response.status_code == 302, response.text
    return client


def test_exactly_the_referrals_asked_for_with_about_a_third_of_marac_repeats(
    app: Flask, generated: Summary
) -> None:
    assert generated.referrals == 300
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Referral)) == 300
        marac = (
            select(func.count())
            .select_from(Referral)
            .join(Panel, Panel.id == Referral.panel_id)
            .where(Panel.panel_type == PanelType.MARAC, Referral.case_id.is_not(None))
        )
        screened = db.session.scalar(marac) or 0
        repeats = db.session.scalar(marac.where(Referral.is_repeat.is_(True))) or 0
        # Every panel type has cases, and each repeat names the referral it repeats.
        types = db.session.scalars(
            select(Panel.panel_type).join(Case, Case.panel_id == Panel.id).distinct()
        ).all()
        unlinked = db.session.scalar(
            select(func.count())
            .select_from(Referral)
            .where(Referral.is_repeat.is_(True), Referral.repeat_of_id.is_(None))
        )
    assert screened > 150
    assert 0.25 <= repeats / screened <= 0.42
    assert generated.marac_repeat_share == pytest.approx(repeats / screened)
    assert set(types) >= {PanelType.MARAC, PanelType.COMMUNITY_MARAC}
    assert unlinked == 0


def test_the_generated_audit_trail_verifies(app: Flask, generated: Summary) -> None:
    with app.app_context():
        result = verify_chain()
    assert result.intact, result.problem
    assert result.events_checked == generated.audit_events > 300
    cli = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert cli.exit_code == 0, cli.output


def test_the_case_list_shows_the_generated_people(
    app: Flask, client: FlaskClient, generated: Summary
) -> None:
    with app.app_context():
        case = db.session.scalars(
            select(Case)
            .join(Panel, Panel.id == Case.panel_id)
            .where(Panel.name.like("Northmere %"))  # the first area's panels: the coordinator's
            .order_by(Case.last_referred_on.desc().nulls_last(), Case.id.desc())
            .limit(1)
        ).one()
        names = [link.person.full_name for link in case.people]
        reference = case.reference
    page = signed_in(app, client, COORDINATOR).get("/cases")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert reference in text
    assert all(name in text for name in names)


def test_a_generated_person_is_found_by_name_and_date_of_birth(
    app: Flask, client: FlaskClient, generated: Summary
) -> None:
    with app.app_context():
        link = db.session.scalars(
            select(CasePerson)
            .join(CasePerson.case)
            .join(Panel, Panel.id == Case.panel_id)
            .where(CasePerson.role == CaseRole.VICTIM, Panel.name.like("Northmere %"))
            .order_by(CasePerson.id)
            .limit(1)
        ).one()
        person = link.person
        born = person.date_of_birth
        assert born is not None
        query = [
            ("given_names", person.given_names),
            ("family_name", person.family_name),
            ("date_of_birth", str(born.day)),
            ("date_of_birth", str(born.month)),
            ("date_of_birth", str(born.year)),
        ]
        reference = link.case.reference
        keys = db.session.scalar(
            select(func.count())
            .select_from(PersonSearchKey)
            .where(PersonSearchKey.person_id == person.id)
        )
    assert (keys or 0) >= 3  # name, family name and first name with the date of birth
    searcher = signed_in(app, client, COORDINATOR)
    token = csrf_token(searcher.get("/cases").text)
    page = searcher.post("/cases", data=MultiDict([("csrf_token", token), *query]))
    assert page.status_code == 200
    assert reference in html.unescape(page.text)


def test_generated_actions_follow_their_hearings_and_their_reports(
    app: Flask, client: FlaskClient, generated: Summary
) -> None:
    """Each action was agreed at a meeting that heard its case, belongs to an agency on the
    panel, and its status and version are what its reports left (as the app's services make
    them); its wording is sealed under the case's key and shows on the case page."""
    with app.app_context():
        actions = db.session.scalars(select(CaseAction)).all()
        assert len(actions) == generated.actions > 300
        heard = {
            (case_id, meeting_id)
            for case_id, meeting_id in db.session.execute(
                select(Referral.case_id, Referral.meeting_id).where(
                    Referral.status == ReferralStatus.HEARD
                )
            )
        }
        members = set(
            db.session.execute(
                select(PanelMembership.panel_id, User.organisation_id).join(
                    User, User.id == PanelMembership.user_id
                )
            ).all()
        )
        for action in actions:
            assert (action.case_id, action.meeting_id) in heard
            assert (action.case.panel_id, action.owner_agency_id) in members
            assert action.version == 1 + len(action.updates)
            if action.updates:
                assert action.updates[-1].status is action.status
                assert all(u.agency_id == action.owner_agency_id for u in action.updates)
            else:
                assert action.status is ActionStatus.OPEN
            assert action.description
        statuses = {action.status for action in actions}
        assert statuses == set(ActionStatus)
        shown = next(a for a in actions if a.case.panel.name.startswith("Northmere"))
        case_id, wording = shown.case_id, shown.description
    page = signed_in(app, client, COORDINATOR).get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert wording is not None
    assert wording in html.unescape(page.text)


def test_generated_referrals_waiting_or_rejected_belong_to_no_case(
    app: Flask, generated: Summary
) -> None:
    with app.app_context():
        detached = db.session.scalars(
            select(Referral.status).where(Referral.case_id.is_(None)).distinct()
        ).all()
        people = db.session.scalar(select(func.count()).select_from(Person))
    assert set(detached) <= {ReferralStatus.SUBMITTED, ReferralStatus.REJECTED}
    assert people == generated.people


def test_the_generator_refuses_a_database_that_is_not_empty(app: Flask, generated: Summary) -> None:
    with app.app_context(), pytest.raises(NotEmpty):
        generate(Plan(referrals=10, areas=1))


def test_each_generated_case_carries_its_latest_referrals_state(
    app: Flask, generated: Summary
) -> None:
    """The case list filters on the copy in the case row, as `cases.referrals` keeps it."""
    with app.app_context():
        cases = db.session.scalars(select(Case)).all()
        for case in cases:
            latest = case.referrals[-1]
            assert (case.stage, case.risk_level, case.is_repeat, case.last_referred_on) == (
                latest.status,
                latest.risk_level,
                latest.is_repeat,
                latest.referred_on,
            ), case.id
            opening = [r for r in case.referrals if r.flag_expires_on]
            assert case.referral_count == len(opening)


def test_generated_referrals_code_ages_as_submission_does(app: Flask, generated: Summary) -> None:
    """The age codes of the SafeLives return (domain §2.10, E8, E50) are what submission would
    record from each referral's sealed people on its referral date; ages are drawn on the
    case's first referral, so no Marac victim is under 16 (E15)."""
    with app.app_context():
        coded = []
        for referral in db.session.scalars(select(Referral)):
            assert referral.referred_on is not None
            people = people_of(referral)
            expected = (
                victim_age_band(people, referral.referred_on),
                young_perpetrators(people, referral.referred_on),
            )
            assert (referral.victim_age_band, referral.young_perpetrators) == expected
            if referral.panel.panel_type is PanelType.MARAC:
                coded.append(referral.victim_age_band)
    assert AgeBand.UNDER_16 not in coded
    assert AgeBand.EIGHTEEN_PLUS in coded


def test_every_generated_member_has_their_panels_under_a_signed_isp(app: Flask) -> None:
    """R1: the generator signs each panel's ISP for its members' organisations, so nobody's
    membership is suspended and the benchmarks measure real access."""
    with app.app_context():
        for user in db.session.scalars(select(User)):
            assert panel_access(user).suspended == (), user.email


def test_representatives_accepted_the_statement_of_most_meetings_held_and_no_later_one(
    app: Flask, generated: Summary
) -> None:
    """Issue 23: a representative's cases are those listed at meetings whose confidentiality
    statement they accepted (R3), so the generator writes those acceptances: by the panel's
    representatives (never its coordinator), for meetings already held, about nine in ten."""
    with app.app_context():
        rows = db.session.execute(
            select(Meeting.held_on, PanelMembership.role)
            .select_from(ConfidentialityDeclaration)
            .join(Meeting, Meeting.id == ConfidentialityDeclaration.meeting_id)
            .join(
                PanelMembership,
                (PanelMembership.panel_id == Meeting.panel_id)
                & (PanelMembership.user_id == ConfidentialityDeclaration.user_id),
            )
        ).all()
        declarations = db.session.scalar(select(func.count(ConfidentialityDeclaration.id)))
        possible = db.session.scalar(
            select(func.count())
            .select_from(Meeting)
            .join(PanelMembership, PanelMembership.panel_id == Meeting.panel_id)
            .where(Meeting.held_on <= uk_today(), PanelMembership.role == PanelRole.REPRESENTATIVE)
        )
    assert len(rows) == declarations  # every one by a member of the meeting's panel
    assert {role for _, role in rows} == {PanelRole.REPRESENTATIVE}
    assert max(held_on for held_on, _ in rows) <= uk_today()
    assert possible
    assert 0.85 < declarations / possible < 0.95


def test_who_may_see_each_case_is_derived_after_the_load(app: Flask, generated: Summary) -> None:
    """The generator writes without the ORM, so the rows a representative's scope reads
    (cases/reach) are derived once it has finished: there are some, and none is missing or
    left over, so the representative's list is measured on the rows the app would keep."""
    with app.app_context():
        readers = db.session.scalar(select(func.count()).select_from(CaseReader))
        referrers = db.session.scalar(select(func.count()).select_from(CaseReferrer))
        assert readers
        assert referrers
        assert not drift(db.session.connection())


def indexes(app: Flask) -> dict[str, list[tuple[str, tuple[str | None, ...], bool]]]:
    """Each table's indexes as the migrations define them: name, columns, unique."""
    with app.app_context():
        inspector = inspect(db.engine)
        return {
            table: sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(table)
            )
            for table in inspector.get_table_names()
        }


def test_the_indexes_dropped_for_the_load_are_all_built_again(
    app: Flask, generated: Summary, migrated_sqlite: Path, tmp_path: Path
) -> None:
    """Generation drops the secondary indexes and builds them at the end (bulk loading); the
    schema it leaves must be the one the migrations made, or the benchmarks measure another."""
    shutil.copy(migrated_sqlite, tmp_path / "test.db")
    migrated = create_app(make_settings(tmp_path))
    assert indexes(app) == indexes(migrated)
    assert sum(len(table) for table in indexes(app).values()) > 40


def test_generating_into_postgresql_keeps_the_schema_and_a_valid_chain(pg_app: Flask) -> None:
    """COPY through the writer process, indexes rebuilt, sequences moved past the ids."""
    before = indexes(pg_app)
    with pg_app.app_context():
        summary = generate(Plan(referrals=120, areas=1, seed=3))
        result = verify_chain()
        referrals = db.session.scalar(select(func.count()).select_from(Referral))
    assert result.intact, result.problem
    assert result.events_checked == summary.audit_events
    assert referrals == summary.referrals == 120
    assert indexes(pg_app) == before
    with pg_app.app_context():  # the next id the app takes is past the generated ones
        next_id = db.session.scalar(select(func.nextval("people_id_seq")))
    assert next_id == summary.people + 1
    with pg_app.app_context():
        next_action = db.session.scalar(select(func.nextval("case_actions_id_seq")))
    assert next_action == summary.actions + 1


def store_through_a_writer(batches: Iterable[Batch]) -> None:
    """More batches than the queue holds, so a later one finds the writer gone."""
    with Writer() as writer:
        for batch in batches:
            writer.store(batch)


def test_a_batch_the_writer_cannot_store_stops_generation_with_an_error(app: Flask) -> None:
    """A writer that fails (here: a duplicate primary key) must not leave generation waiting
    for it, nor report success."""
    with app.app_context():
        taken = db.session.scalars(select(Referral.id).limit(1)).one()
        row = {
            column.name: getattr(db.session.get(Referral, taken), column.name)
            for column in Referral.__table__.columns
        }
        db.session.rollback()
        with pytest.raises(WriterFailed):
            store_through_a_writer([("referrals", [row])] for _ in range(4))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Referral)) == 300
