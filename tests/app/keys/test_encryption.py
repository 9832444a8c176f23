"""Encryption at rest (security R28 to R32, domain R16): sealed fields, data keys, blind indexes,
rotation, crypto-shredding and retention. Each test fails if the property it names breaks."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update

from app import create_app
from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.auth.seeds import totp_secret
from app.crypto import DecryptionError
from app.crypto import FieldCipher
from app.crypto import KeyUnavailable
from app.crypto import LocalKeyring
from app.crypto import field_key_id
from app.database import db
from app.errors import DomainError
from app.keys import rotation
from app.keys.blind import BLIND_INDEX_BITS
from app.keys.blind import NATIONAL_INDEXED_VALUES
from app.keys.blind import normalise_identifier
from app.keys.blind import normalise_name
from app.keys.models import DataKey
from app.keys.models import KeyPurpose
from app.keys.store import ContentDestroyed
from app.settings import Settings
from app.settings import SettingsError
from app.settings import load_settings
from audit.models import AuditAction
from audit.models import AuditEvent
from audit.verify import create_checkpoint
from audit.verify import stored_checkpoints
from audit.verify import verify_chain
from cases import queries
from cases import services
from cases.models import Case
from cases.models import CasePerson
from cases.models import CaseRole
from cases.models import Person
from cases.people.models import PersonSearchKey
from cases.people.services import Identity
from cases.queries import months_after
from cases.queries import months_before
from cases.retention import queries as retention_queries
from cases.retention import services as retention
from cases.retention.models import RecordType
from panels.models import Area
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import MeetingCadence
from panels.types.common import PanelType
from tests.conftest import Accounts
from tests.referral_fixtures import sign_for_members

KEY = secrets.token_bytes(32)
KEY_ID = secrets.token_bytes(16)
WHERE = {"table": "people", "column": "family_name", "row_id": "a1"}
MARKERS = {
    "given": "Wrenfield",
    "family": "Zanthorpe",
    "alias": "Kettleburn",
    "address": "17 Marker Lane",
    "phone": "07700 900417",
    "safety": "MARKER-SAFETY-9931",
    "nhs": "943 476 5919",
    "summary": "MARKER-SUMMARY-2207",
    "note": "MARKER-NOTE-6610",
}


# The cipher ---------------------------------------------------------------------------------


def test_a_field_round_trips_and_its_ciphertext_hides_it() -> None:
    cipher = FieldCipher(KEY, KEY_ID)
    envelope = cipher.seal(b"Zanthorpe", **WHERE)
    assert b"Zanthorpe" not in envelope
    assert field_key_id(envelope) == KEY_ID
    assert cipher.open(envelope, **WHERE) == b"Zanthorpe"


def test_changing_any_single_byte_of_an_envelope_is_detected() -> None:
    cipher = FieldCipher(KEY, KEY_ID)
    envelope = cipher.seal(b"a short name", **WHERE)
    for position in range(len(envelope)):
        altered = bytearray(envelope)
        altered[position] ^= 0x01
        with pytest.raises(DecryptionError):
            cipher.open(bytes(altered), **WHERE)


def test_a_ciphertext_moved_to_another_row_column_or_table_does_not_open() -> None:
    cipher = FieldCipher(KEY, KEY_ID)
    envelope = cipher.seal(b"secret", **WHERE)
    for elsewhere in (
        {**WHERE, "row_id": "a2"},
        {**WHERE, "column": "given_names"},
        {**WHERE, "table": "case_notes"},
    ):
        with pytest.raises(DecryptionError):
            cipher.open(envelope, **elsewhere)


def test_a_wrong_data_key_fails_loudly_never_with_garbage() -> None:
    envelope = FieldCipher(KEY, KEY_ID).seal(b"secret", **WHERE)
    with pytest.raises(DecryptionError):
        FieldCipher(secrets.token_bytes(32), KEY_ID).open(envelope, **WHERE)
    with pytest.raises(DecryptionError):
        FieldCipher(KEY, secrets.token_bytes(16)).open(envelope, **WHERE)


@given(st.binary(max_size=80))
def test_garbled_or_truncated_envelopes_raise_one_controlled_error(garbage: bytes) -> None:
    with pytest.raises(DecryptionError):
        FieldCipher(KEY, KEY_ID).open(garbage, **WHERE)


def test_nonces_never_repeat() -> None:
    cipher = FieldCipher(KEY, KEY_ID)
    nonces = {cipher.seal(b"x", **WHERE)[17:29] for _ in range(100_000)}
    assert len(nonces) == 100_000


def test_the_keyring_unwraps_only_with_a_configured_kek() -> None:
    old, new = secrets.token_bytes(32), secrets.token_bytes(32)
    kek_id, wrapped = LocalKeyring(old).wrap(KEY)
    assert LocalKeyring(new, [old]).unwrap(kek_id, wrapped) == KEY
    with pytest.raises(KeyUnavailable):
        LocalKeyring(new).unwrap(kek_id, wrapped)
    tampered = bytes([wrapped[0] ^ 1]) + wrapped[1:]
    with pytest.raises(DecryptionError):
        LocalKeyring(old).unwrap(kek_id, tampered)


# Blind indexes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("O'Brien", "o’brien "),
        ("O'Brien", "OBRIEN"),
        ("Zoë", "Zoe"),
        ("Smith-Jones", "smith jones"),
        ("Ｋａｔｅ", "kate"),  # full-width letters fold (NFKC)
    ],
)
def test_name_variants_normalise_to_one_value(one: str, other: str) -> None:
    assert normalise_name(one) == normalise_name(other)


def test_different_names_stay_different() -> None:
    assert normalise_name("Brien") != normalise_name("O'Brien")
    assert normalise_identifier("943 476 5919") == normalise_identifier("9434765919")
    assert normalise_identifier("01/123456A") != normalise_identifier("01/123456B")


@given(st.text(max_size=40))
def test_normalising_twice_changes_nothing(value: str) -> None:
    assert normalise_name(normalise_name(value)) == normalise_name(value)


def test_the_index_length_gives_a_few_coincidences_at_national_scale() -> None:
    """CipherSweet's rule (security R32): 2 <= C < sqrt(R), with C = R / 2^L."""
    coincidences = NATIONAL_INDEXED_VALUES / 2**BLIND_INDEX_BITS
    assert 2 <= coincidences < NATIONAL_INDEXED_VALUES**0.5


# Sealed records in the app --------------------------------------------------------------------


def make_panel(name: str = "Test MARAC", area: str = "Testborough") -> Panel:
    panel = Panel(
        area=Area(name=area),
        name=name,
        panel_type=PanelType.MARAC,
        meeting_cadence=MeetingCadence.MONTHLY,
    )
    db.session.add(panel)
    db.session.flush()
    return panel


def make_case(
    panel: Panel, *, family: str = MARKERS["family"], dob: date = date(1988, 4, 9)
) -> Case:
    case = services.open_case(
        actor=None, panel=panel, opened_on=date(2020, 1, 6), summary=MARKERS["summary"]
    )
    services.add_person(
        case,
        actor=None,
        role=CaseRole.VICTIM,
        identity=Identity(
            given_names=MARKERS["given"],
            family_name=family,
            date_of_birth=dob,
            aliases=(f"Jo {MARKERS['alias']}",),
            address=MARKERS["address"],
            phone=MARKERS["phone"],
            contact_safety=MARKERS["safety"],
            nhs_number=MARKERS["nhs"],
        ),
    )
    return case


def add_note(case: Case, accounts: Accounts) -> None:
    author = db.session.get(User, accounts.user(f"{secrets.token_hex(4)}@test.example").id)
    services.add_note(case, actor=author, text=MARKERS["note"])


@pytest.fixture
def case_id(app: Flask, accounts: Accounts) -> int:
    with app.app_context():
        case = make_case(make_panel())
        db.session.commit()
        add_note(case, accounts)
        db.session.commit()
        return case.id


def read_case(app: Flask, case_id: int) -> tuple[str | None, str | None, str | None]:
    with app.app_context():
        case = db.session.get(Case, case_id)
        person = case.people[0].person
        return case.summary, person.family_name, case.notes[0].text


def test_sealed_fields_read_back_as_plaintext(app: Flask, case_id: int) -> None:
    assert read_case(app, case_id) == (MARKERS["summary"], MARKERS["family"], MARKERS["note"])
    with app.app_context():
        person = db.session.get(Case, case_id).people[0].person
        assert person.date_of_birth == date(1988, 4, 9)
        assert person.aliases == f"Jo {MARKERS['alias']}"


def test_ciphertext_swapped_between_rows_fails_to_decrypt(app: Flask, case_id: int) -> None:
    with app.app_context():
        other = make_case(db.session.get(Case, case_id).panel, family="Otherwise")
        db.session.commit()
        other_id = other.id
        db.session.execute(
            update(Person)
            .where(Person.id == 1)
            .values(
                family_name_sealed=select(Person.family_name_sealed)
                .where(Person.id == 2)
                .scalar_subquery()
            )
        )
        db.session.commit()
        db.session.expunge_all()
        with pytest.raises(DecryptionError):
            _ = db.session.get(Person, 1).family_name
        assert db.session.get(Case, other_id).people[0].person.family_name == "Otherwise"


def test_ciphertext_swapped_between_columns_fails_to_decrypt(app: Flask, case_id: int) -> None:
    with app.app_context():
        db.session.execute(text("UPDATE people SET given_names = family_name WHERE id = 1"))
        db.session.commit()
        with pytest.raises(DecryptionError):
            _ = db.session.get(Person, 1).given_names


def test_without_the_right_kek_nothing_opens(app: Flask, settings: Settings, case_id: int) -> None:
    stranger = create_app(replace(settings, key_encryption_key=secrets.token_bytes(32)))
    with stranger.app_context():
        case = db.session.get(Case, case_id)
        with pytest.raises(KeyUnavailable):
            _ = case.summary
        with pytest.raises(KeyUnavailable):
            _ = case.people[0].person.family_name
        db.engine.dispose()


def test_a_tampered_wrapped_key_fails_loudly(app: Flask, case_id: int) -> None:
    with app.app_context():
        key_id = db.session.get(Case, case_id).data_key_id
        wrapped = db.session.get(DataKey, key_id).wrapped_key
        db.session.execute(
            update(DataKey)
            .where(DataKey.id == key_id)
            .values(wrapped_key=bytes([wrapped[0] ^ 1]) + wrapped[1:])
        )
        db.session.commit()
    fresh = create_app(app.config["SETTINGS"])  # a new process: no cached keys
    with fresh.app_context():
        with pytest.raises(DecryptionError):
            _ = db.session.get(Case, case_id).summary
        db.engine.dispose()


def raw_dump(app: Flask) -> str:
    """Every row of every table, as the database returns it (bytes shown with repr)."""
    with app.app_context():
        tables = db.metadata.sorted_tables
        rows = [db.session.execute(select(table)).all() for table in tables]
    return repr(rows)


def assert_no_plaintext(dump: str) -> None:
    for marker in MARKERS.values():
        assert marker not in dump, marker
        assert marker.encode().hex() not in dump, marker


def test_the_sqlite_file_holds_none_of_the_plaintext(
    app: Flask, settings: Settings, case_id: int
) -> None:
    assert_no_plaintext(raw_dump(app))
    with app.app_context():
        db.engine.dispose()
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    for marker in MARKERS.values():
        assert marker.encode() not in raw, marker
    assert read_case(app, case_id)[1] == MARKERS["family"]


@pytest.mark.postgres
def test_postgresql_tables_hold_none_of_the_plaintext(pg_app: Flask) -> None:
    accounts = Accounts(pg_app)
    with pg_app.app_context():
        case = make_case(make_panel())
        db.session.commit()
        add_note(case, accounts)
        db.session.commit()
        case_id = case.id
    assert_no_plaintext(raw_dump(pg_app))
    with pg_app.app_context():
        dumped = (
            db.session.execute(
                text(
                    "SELECT string_agg(t::text, '|') FROM (SELECT * FROM people) t "
                    "UNION ALL SELECT string_agg(t::text, '|') FROM (SELECT * FROM case_notes) t "
                    "UNION ALL SELECT string_agg(t::text, '|') FROM (SELECT * FROM cases) t"
                )
            )
            .scalars()
            .all()
        )
    assert all(dumped)
    assert_no_plaintext(" ".join(dumped))
    assert read_case(pg_app, case_id) == (MARKERS["summary"], MARKERS["family"], MARKERS["note"])


# Searching by blind index ---------------------------------------------------------------------


def test_people_are_found_by_name_and_birth_date_and_by_alias(app: Flask, case_id: int) -> None:
    with app.app_context():
        born = date(1988, 4, 9)
        assert [p.id for p in queries.people_named("wrenfield", "ZANTHORPE", born)] == [1]
        assert [p.id for p in queries.people_named("Jo", MARKERS["alias"], born)] == [1]
        assert queries.people_named(MARKERS["given"], MARKERS["family"], date(1988, 4, 10)) == []
        keys = db.session.scalars(select(PersonSearchKey.kind)).all()
        # The name and the alias each give a full key and the two looser matching keys.
        assert sorted(keys) == [
            "family_dob",
            "family_dob",
            "given_dob",
            "given_dob",
            "name_dob",
            "name_dob",
            "nhs",
        ]


def test_an_index_coincidence_is_dropped_after_decryption(app: Flask, case_id: int) -> None:
    """Truncated indexes collide by design: a candidate whose real name differs is not returned."""
    with app.app_context():
        make_case(db.session.get(Case, case_id).panel, family="Collider")
        db.session.commit()
        # Give "Collider" the same index value as "Zanthorpe", as a coincidence would.
        value = db.session.scalar(
            select(PersonSearchKey.value).where(PersonSearchKey.person_id == 1).limit(1)
        )
        db.session.execute(
            update(PersonSearchKey).where(PersonSearchKey.person_id == 2).values(value=value)
        )
        db.session.commit()
        found = queries.people_named(MARKERS["given"], MARKERS["family"], date(1988, 4, 9))
        assert [p.id for p in found] == [1]


def test_the_index_differs_under_another_blind_index_key(
    app: Flask, settings: Settings, case_id: int, tmp_path: Path
) -> None:
    with app.app_context():
        mine = db.session.scalars(select(PersonSearchKey.value).order_by(PersonSearchKey.id)).all()
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other = create_app(replace(settings, database_url=f"sqlite:///{other_dir / 'o.db'}"))
    with other.app_context():
        db.create_all()
        make_case(make_panel())
        db.session.commit()
        theirs = db.session.scalars(
            select(PersonSearchKey.value).order_by(PersonSearchKey.id)
        ).all()
        db.engine.dispose()
    assert len(mine) == len(theirs) == 7  # name and alias, each with the two looser keys; NHS
    assert mine != theirs


# Rotation -------------------------------------------------------------------------------------


def test_kek_rotation_leaves_everything_readable_and_the_old_kek_unneeded(
    app: Flask, settings: Settings, accounts: Accounts, case_id: int
) -> None:
    worker = accounts.user("rotating@test.example")
    with app.app_context():
        secret_before = totp_secret(db.session.get(User, worker.id))
        create_checkpoint()
        db.session.commit()
    new_kek = secrets.token_bytes(32)
    rotating = create_app(
        replace(
            settings,
            key_encryption_key=new_kek,
            previous_key_encryption_keys=(settings.key_encryption_key,),
        )
    )
    runner = rotating.test_cli_runner()
    before = runner.invoke(args=["keys", "status"])
    assert "Run `flask keys rotate` before removing" in before.output
    result = runner.invoke(args=["keys", "rotate", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "rewrapped" in result.output
    after = runner.invoke(args=["keys", "status"])
    assert "previous ones can be removed" in after.output
    with rotating.app_context():
        assert set(rotation.keys_by_kek()) == {
            rotating.extensions["key_store"].keyring.current_kek_id
        }
        rewrapped = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.DATA_KEYS_REWRAPPED)
        ).all()
        assert len(rewrapped) >= 2  # one event per batch
        db.engine.dispose()
    only_new = create_app(replace(settings, key_encryption_key=new_kek))
    assert read_case(only_new, case_id) == (MARKERS["summary"], MARKERS["family"], MARKERS["note"])
    with only_new.app_context():
        assert totp_secret(db.session.get(User, worker.id)) == secret_before
        assert verify_chain(stored_checkpoints()).intact
        db.engine.dispose()


def test_rotation_resumes_where_it_stopped(app: Flask, settings: Settings, case_id: int) -> None:
    new_kek = secrets.token_bytes(32)
    rotating = create_app(
        replace(
            settings,
            key_encryption_key=new_kek,
            previous_key_encryption_keys=(settings.key_encryption_key,),
        )
    )
    with rotating.app_context():
        total = db.session.scalar(select(func.count()).select_from(DataKey))
        assert rotation.rewrap_batch(1) == 1
        db.session.commit()  # interrupted here
        db.engine.dispose()
    again = create_app(
        replace(
            settings,
            key_encryption_key=new_kek,
            previous_key_encryption_keys=(settings.key_encryption_key,),
        )
    )
    with again.app_context():
        done = 0
        while count := rotation.rewrap_batch(1):
            db.session.commit()
            done += count
        assert done == total - 1
        db.engine.dispose()
    assert (
        read_case(create_app(replace(settings, key_encryption_key=new_kek)), case_id)[1]
        == MARKERS["family"]
    )


def test_reencryption_replaces_older_data_keys_resumably(app: Flask, case_id: int) -> None:
    with app.app_context():
        db.session.execute(
            update(DataKey)
            .where(DataKey.purpose.in_([KeyPurpose.CASE, KeyPurpose.PERSON]))
            .values(created_at=datetime(2020, 1, 1, tzinfo=UTC))
        )
        db.session.commit()
        old_keys = set(
            db.session.scalars(
                select(DataKey.id).where(DataKey.purpose.in_([KeyPurpose.CASE, KeyPurpose.PERSON]))
            )
        )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["keys", "reencrypt", "--before", "2021-01-01"])
    assert result.exit_code == 0, result.output
    assert "Done: 2 data keys replaced." in result.output
    again = runner.invoke(args=["keys", "reencrypt", "--before", "2021-01-01"])
    assert "Done: 0 data keys replaced." in again.output
    with app.app_context():
        assert all(db.session.get(DataKey, key_id).destroyed for key_id in old_keys)
        live = db.session.scalars(
            select(DataKey.id).where(DataKey.purpose.in_([KeyPurpose.CASE, KeyPurpose.PERSON]))
        ).all()
        assert not old_keys & {k for k in live if not db.session.get(DataKey, k).destroyed}
    assert read_case(app, case_id) == (MARKERS["summary"], MARKERS["family"], MARKERS["note"])


def test_reencryption_refuses_a_future_cutoff(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["keys", "reencrypt", "--before", "2999-01-01"])
    assert result.exit_code != 0
    assert "must not be in the future" in result.output


def test_replacing_a_data_key_reseals_every_row_under_it(app: Flask, case_id: int) -> None:
    with app.app_context():
        case = db.session.get(Case, case_id)
        old = case.data_key
        old_id = old.id
        new_id = rotation.replace_data_key(old).id
        db.session.commit()
        db.session.expunge_all()
        case = db.session.get(Case, case_id)
        assert case.data_key_id == new_id
        assert all(note.data_key_id == new_id for note in case.notes)
        assert field_key_id(case.summary_sealed).hex() == new_id
        assert db.session.get(DataKey, old_id).destroyed
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.DATA_KEY_REPLACED)
        ).all()
        assert len(events) == 1
    assert read_case(app, case_id) == (MARKERS["summary"], MARKERS["family"], MARKERS["note"])


def test_previous_keks_are_read_and_validated() -> None:
    current, old = secrets.token_bytes(32), secrets.token_bytes(32)
    from app.settings import encode_kek

    env = {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "KEY_ENCRYPTION_KEY": encode_kek(current),
        "PREVIOUS_KEY_ENCRYPTION_KEYS": encode_kek(old),
        "EXTERNAL_URL": "https://panels.example.org",
        "SMTP_URL": "smtp://mail.example.org:587",
    }
    assert load_settings(env).previous_key_encryption_keys == (old,)
    with pytest.raises(SettingsError, match="previous key-encryption key"):
        load_settings({**env, "PREVIOUS_KEY_ENCRYPTION_KEYS": encode_kek(b"x" * 32)})
    with pytest.raises(SettingsError, match="repeats the current"):
        load_settings({**env, "PREVIOUS_KEY_ENCRYPTION_KEYS": encode_kek(current)})


# Retention and crypto-shredding (domain R16, security R31) ------------------------------------


def close_long_ago(case: Case) -> None:
    services.close_case(case, actor=None, closed_on=date(2020, 3, 2))


def due(today: date = date(2026, 12, 1)) -> list[retention_queries.DueCase]:
    return retention_queries.review(today)


def test_review_lists_exactly_the_closed_cases_past_their_period(app: Flask) -> None:
    with app.app_context():
        panel = make_panel()
        past = make_case(panel)
        close_long_ago(past)
        recent = make_case(panel, family="Recent")
        services.close_case(recent, actor=None, closed_on=date(2025, 6, 1))
        make_case(panel, family="Open")  # open cases are never due
        db.session.commit()
        assert [item.case.id for item in due()] == [past.id]
        assert due()[0].due_on == date(2026, 3, 2)  # 72 months after closure
        assert due(date(2026, 3, 1)) == []


def test_the_period_is_set_per_panel_type_and_validated(app: Flask) -> None:
    with app.app_context():
        panel = make_panel()
        case = make_case(panel)
        close_long_ago(case)
        retention.set_retention_period(
            actor=None, panel_type=PanelType.MARAC, record_type=RecordType.CLOSED_CASE, months=120
        )
        db.session.commit()
        assert due() == []
        retention.set_retention_period(
            actor=None, panel_type=PanelType.CHANNEL, record_type=RecordType.CLOSED_CASE, months=1
        )
        assert due() == []  # a Channel rule does not touch a MARAC case
        for months in (0, -3, 1201):
            with pytest.raises(DomainError, match="between 1 and 1200"):
                retention.set_retention_period(
                    actor=None,
                    panel_type=PanelType.MARAC,
                    record_type=RecordType.CLOSED_CASE,
                    months=months,
                )


def test_disposal_makes_the_content_unreadable_and_removes_the_indexes(
    app: Flask, case_id: int
) -> None:
    with app.app_context():
        close_long_ago(db.session.get(Case, case_id))
        db.session.commit()
        [item] = due()
        retention.dispose(item, actor=None)
        db.session.commit()
    fresh = create_app(app.config["SETTINGS"])  # another worker, with nothing cached
    for each in (app, fresh):
        with each.app_context():
            case = db.session.get(Case, case_id)
            assert case.content_destroyed
            with pytest.raises(ContentDestroyed):
                _ = case.summary
            with pytest.raises(ContentDestroyed):
                _ = case.notes[0].text
            with pytest.raises(ContentDestroyed):
                _ = db.session.get(Person, 1).family_name
            assert db.session.scalar(select(func.count()).select_from(PersonSearchKey)) == 0
            assert queries.people_named(MARKERS["given"], MARKERS["family"], date(1988, 4, 9)) == []
            assert case.disposal_rule == "marac/closed_case: 72 months"
            db.engine.dispose()
    assert_no_plaintext(raw_dump(app))


def test_a_person_still_in_a_live_case_survives_disposal_of_another(
    app: Flask, accounts: Accounts
) -> None:
    member_id = accounts.user("member@test.example").id
    with app.app_context():
        panel = make_panel()
        db.session.add(PanelMembership(panel=panel, user_id=member_id, role=PanelRole.COORDINATOR))
        db.session.flush()
        sign_for_members()
        old = make_case(panel)
        person = old.people[0].person
        live = services.open_case(actor=None, panel=panel, opened_on=date(2025, 1, 1), summary=None)
        db.session.add(CasePerson(case=live, person=person, role=CaseRole.VICTIM))
        close_long_ago(old)
        db.session.commit()
        person_id, old_id, live_id = person.id, old.id, live.id
        retention.dispose(due()[0], actor=None)
        db.session.commit()
        db.session.expunge_all()
        assert db.session.get(Person, person_id).family_name == MARKERS["family"]
        with pytest.raises(ContentDestroyed):
            _ = db.session.get(Case, old_id).summary
        # The destroyed case no longer says who was in it, nor turns up in a search for them.
        assert db.session.get(Case, old_id).people == []
        found = queries.people_named(MARKERS["given"], MARKERS["family"], date(1988, 4, 9))
        assert [
            link.case_id for link in queries.cases_of(found, db.session.get(User, member_id))
        ] == [live_id]


def test_legal_hold_blocks_disposal_until_lifted(app: Flask, case_id: int) -> None:
    with app.app_context():
        case = db.session.get(Case, case_id)
        close_long_ago(case)
        retention.place_legal_hold(case, actor=None, reason="Domestic homicide review DHR-99")
        db.session.commit()
        [item] = due()
        assert item.held
        with pytest.raises(DomainError, match="legal hold"):
            retention.dispose(item, actor=None)
        assert not case.content_destroyed
        retention.lift_legal_hold(case, actor=None)
        retention.dispose(due()[0], actor=None)
        assert case.content_destroyed


def test_the_dispose_command_skips_held_cases_and_names_the_auditor(
    app: Flask, accounts: Accounts
) -> None:
    auditor = accounts.user("dpo@test.example", role=GlobalRole.AUDITOR)
    accounts.user("notdpo@test.example")
    with app.app_context():
        panel = make_panel()
        held, free = make_case(panel), make_case(panel, family="Free")
        close_long_ago(held)
        close_long_ago(free)
        db.session.commit()
        held_ref, free_ref, free_id = held.reference, free.reference, free.id
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["retention", "dispose", "--as", "notdpo@test.example", "--yes"])
    assert refused.exit_code != 0
    assert "not an active auditor" in refused.output
    hold = runner.invoke(
        args=["retention", "hold", held_ref, "--reason", "Inquiry", "--as", "dpo@test.example"]
    )
    assert hold.exit_code == 0, hold.output
    review = runner.invoke(args=["retention", "review"])
    assert f"{held_ref}" in review.output
    assert "ON LEGAL HOLD: Inquiry" in review.output
    result = runner.invoke(args=["retention", "dispose", "--as", "dpo@test.example", "--yes"])
    assert result.exit_code == 0, result.output
    assert f"Destroyed {free_ref}" in result.output
    assert held_ref not in result.output
    with app.app_context():
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.CASE_CONTENT_DESTROYED)
        ).all()
        assert (event.actor_id, event.object_id) == (auditor.id, str(free_id))
        assert "marac/closed_case: 72 months" in event.changes
        assert verify_chain().intact


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)), st.integers(0, 1200))
@hypothesis_settings(max_examples=300)
def test_month_arithmetic_clamps_to_month_end_and_inverts(day: date, months: int) -> None:
    later = months_after(day, months)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months
    assert later.day == day.day or later.day < day.day  # clamped only in a shorter month
    if later.day == day.day:
        assert months_before(later, months) == day
