"""The benchmark suite: `python -m benchmarks.run` (what `make bench` runs).

SQLite by default (a file under benchmarks/.data/), PostgreSQL when BENCH_DATABASE_URL is set
(each size in its own schema). BENCH_REFERRALS sets the size (default 100,000). A database
already generated at the size is reused; otherwise it is migrated and generated first. Prints a
table and writes benchmarks/results/latest.json and a copy named for the engine and size.

Timings are warm: each is measured after warm-up requests, over repeated runs, as median and
95th percentile. No test asserts a time; the goals are in benchmarks/README.md.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from jinja2 import Environment as Jinja
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import make_url
from werkzeug.datastructures import MultiDict

from app import create_app
from app.accounts.models import GlobalRole
from app.accounts.models import Organisation
from app.accounts.models import User
from app.auth.passwords import hash_password
from app.auth.seeds import seal_totp_secret
from app.auth.seeds import totp_secret
from app.database import db
from app.database import uk_today
from app.database import utcnow
from app.keys.models import DataKey
from app.keys.store import KeyStore
from app.keys.store import key_store
from app.serving import freeze_start_up
from app.settings import load_settings
from audit.verify import verify_chain
from benchmarks.generate import BENCH_PASSWORD
from benchmarks.generate import EMAIL_DOMAIN
from benchmarks.generate import Plan
from benchmarks.generate import Step
from benchmarks.generate import _Generator
from benchmarks.generate import generate
from cases.actions.models import CaseAction
from cases.meetings import services as meeting_services
from cases.meetings.models import AttendanceStatus
from cases.meetings.models import MeetingMinutes
from cases.meetings.models import MinutesStatus
from cases.models import Case
from cases.models import CasePerson
from cases.models import CaseRole
from cases.queries import page_window
from cases.referrals import services as referral_services
from cases.referrals.models import Referral
from cases.reports.models import ManagerArea
from cases.reports.rules import last_complete_quarter
from panels import services as meeting_calendar
from panels.models import Area
from panels.models import ConfidentialityDeclaration
from panels.models import IspAgreement
from panels.models import IspSignatory
from panels.models import Meeting
from panels.models import MeetingKind
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import FormSection
from panels.types.common import PanelType
from panels.types.common import ReferralStatus

ROOT = Path(__file__).resolve().parent
DATA = ROOT / ".data"
RESULTS = ROOT / "results"
GROWTH_BASE = 10_000
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
COORDINATOR = f"coordinator.1@{EMAIL_DOMAIN}"
REFERRER = f"idva.1@{EMAIL_DOMAIN}"
POLICE = f"police.1@{EMAIL_DOMAIN}"  # sits on all five of area 1's panels


# Databases ------------------------------------------------------------------------------------


def database_url(size: int) -> str:
    base = os.environ.get("BENCH_DATABASE_URL")
    if not base:
        return f"sqlite:///{DATA / f'bench-{size}.db'}"
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3Dbench_{size}"


def make_app(size: int) -> Flask:
    environ = {
        "APP_ENV": "development",
        "INSTANCE_PATH": str(DATA / "instance"),
        "DATABASE_URL": database_url(size),
    }
    settings = load_settings(environ)
    # The search is measured, not the per-user limit that would refuse the samples after 20.
    unlimited = dataclasses.replace(
        settings.rate_limits, people_search_per_user="1000000 per minute"
    )
    return create_app(dataclasses.replace(settings, rate_limits=unlimited))


def prepare(size: int) -> Flask:
    """The app on a database holding exactly `size` generated referrals (made if need be)."""
    DATA.mkdir(parents=True, exist_ok=True)
    url = database_url(size)
    if url.startswith("postgresql"):
        _create_database_if_missing(os.environ["BENCH_DATABASE_URL"])
        engine = create_engine(os.environ["BENCH_DATABASE_URL"])
        with engine.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS bench_{size}"))
        engine.dispose()
    marker = _marker(size)
    app = make_app(size)
    with app.app_context():
        upgrade()
        count = db.session.scalar(select(func.count()).select_from(Referral)) or 0
        # The suite's own referral submissions add a few: reuse what this runner generated.
        if marker.exists() and count >= size:
            return app
        db.session.rollback()
    marker.unlink(missing_ok=True)
    _reset(size)
    app = make_app(size)
    with app.app_context():
        upgrade()
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            rate = done / max(time.perf_counter() - started, 1e-9)
            print(f"\r  generating: {done:,} of {total:,} referrals ({rate:,.0f}/s)", end="")

        summary = generate(Plan(referrals=size), progress)
        print(
            f"\n  {summary.cases:,} cases, {summary.people:,} people, {summary.actions:,} actions, "
            f"{summary.audit_events:,} audit events in {summary.seconds:,.0f}s"
        )
    marker.write_text(json.dumps(summary.__dict__) + "\n")
    return app


def _create_database_if_missing(url: str) -> None:
    """So `BENCH_DATABASE_URL=.../bench make bench` works on a server that has no `bench` yet."""
    wanted = make_url(url)
    engine = create_engine(wanted.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": wanted.database}
        )
        if not exists:
            quoted = connection.dialect.identifier_preparer.quote(str(wanted.database))
            connection.execute(text(f"CREATE DATABASE {quoted}"))
    engine.dispose()


def _marker(size: int) -> Path:
    engine = "postgresql" if os.environ.get("BENCH_DATABASE_URL") else "sqlite"
    return DATA / f"generated-{engine}-{size}.json"


def _reset(size: int) -> None:
    url = database_url(size)
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DATA / f'bench-{size}.db'}{suffix}").unlink(missing_ok=True)
        return
    engine = create_engine(os.environ["BENCH_DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS bench_{size} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA bench_{size}"))
    engine.dispose()


# Measuring ------------------------------------------------------------------------------------


# At least this many samples before a p95 is quoted (issue 23): over 30, the "p95" was the
# second-largest value.
P95_SAMPLES = 200


def timed(run: Callable[[], object], repeat: int, warmup: int = 3) -> list[float]:
    """Milliseconds per run, after `warmup` runs that are not counted."""
    for _ in range(warmup):
        run()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def p50(samples: list[float]) -> float:
    return round(statistics.median(samples), 2)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 2)


def csrf_token(page: str) -> str:
    match = CSRF.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def current_code(app: Flask, email: str) -> str:
    """A fresh TOTP code for a generated account (the replay guard is reset for the suite)."""
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        user.totp_last_step = None
        secret = totp_secret(user)
        db.session.commit()
    return pyotp.TOTP(secret).now()


def signed_in_client(app: Flask, email: str) -> FlaskClient:
    """The account's signed-in client, made once per app: the suite signs each account in
    once, as a user does, and stays well inside the sign-in limits (10 per account in 15
    minutes) however many figures it measures as that account."""
    clients: dict[str, FlaskClient] = app.extensions.setdefault("bench_signed_in", {})
    if email not in clients:
        clients[email] = _sign_in(app, email)
    return clients[email]


def _sign_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"csrf_token": csrf_token(page.text), "email": email, "password": BENCH_PASSWORD},
    )
    assert response.status_code == 302, response.status_code
    page = client.get("/sign-in/security-code")
    response = client.post(
        "/sign-in/security-code",
        data={"csrf_token": csrf_token(page.text), "code": current_code(app, email)},
    )
    assert response.status_code == 302, response.status_code
    return client


def get_ok(client: FlaskClient, url: str) -> Callable[[], None]:
    def run() -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    return run


def post_ok(client: FlaskClient, url: str, data: list[tuple[str, str]]) -> Callable[[], None]:
    """A form post as the browser sends it, with the page's CSRF token."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text)
    assert token, url
    form = MultiDict([("csrf_token", token.group(1)), *data])

    def run() -> None:
        response = client.post(url, data=form)
        assert response.status_code == 200, (url, response.status_code)

    return run


@dataclass(frozen=True)
class Scope:
    """What the benchmark coordinator sees: their panels, MARAC panel, cases and pages."""

    panel_ids: list[int]
    marac_id: int
    pages: int
    filtered_pages: int
    longest_case_id: int
    total: int
    filtered_total: int


def scope(app: Flask) -> Scope:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == COORDINATOR)).one()
        panel_ids = list(
            db.session.scalars(
                select(PanelMembership.panel_id).where(PanelMembership.user_id == user.id)
            )
        )
        marac_id = db.session.scalars(
            select(Panel.id).where(Panel.id.in_(panel_ids), Panel.panel_type == PanelType.MARAC)
        ).one()
        total = db.session.scalar(
            select(func.count()).select_from(Case).where(Case.panel_id.in_(panel_ids))
        )
        filtered = db.session.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.panel_id == marac_id, Case.risk_level == "high")
        )
        longest = db.session.scalars(
            select(Case.id)
            .where(Case.panel_id.in_(panel_ids))
            .order_by(Case.referral_count.desc(), Case.id)
            .limit(1)
        ).one()
        return Scope(
            panel_ids,
            marac_id,
            min(200, max(1, -(-(total or 0) // 50))),
            min(200, max(1, -(-(filtered or 0) // 50))),
            longest,
            total or 0,
            filtered or 0,
        )


def case_list_urls(where: Scope) -> dict[str, str]:
    filters = f"panel={where.marac_id}&risk=high&sort=last_referred"
    return {
        "first_page": "/cases",
        "deep_page": f"/cases?page={where.pages}",
        "filtered_first_page": f"/cases?{filters}",
        "filtered_deep_page": f"/cases?{filters}&page={where.filtered_pages}",
    }


class SqlClock:
    """Statements run, and milliseconds spent running them, by the requests measured."""

    def __init__(self) -> None:
        self.statements = 0
        self.seconds = 0.0
        self._started = 0.0

    def before(self, *args: Any) -> None:
        self._started = time.perf_counter()

    def after(self, *args: Any) -> None:
        self.statements += 1
        self.seconds += time.perf_counter() - self._started


@contextmanager
def sql_clock(app: Flask) -> Iterator[SqlClock]:
    clock = SqlClock()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", clock.before)
    event.listen(engine, "after_cursor_execute", clock.after)
    try:
        yield clock
    finally:
        event.remove(engine, "before_cursor_execute", clock.before)
        event.remove(engine, "after_cursor_execute", clock.after)


def measure_case_list(app: Flask, repeat: int) -> tuple[list[float], dict[str, float]]:
    """The coordinator's four case-list pages, with the SQL each request runs: statements and
    the milliseconds spent in them (`case_list_sql_ms`, a mean per request)."""
    client = signed_in_client(app, COORDINATOR)
    where = scope(app)
    samples: list[float] = []
    detail = {}
    runs = max(repeat, P95_SAMPLES // 4)
    for name, url in case_list_urls(where).items():
        get_ok(client, url)()  # warm, outside the SQL clock
        with sql_clock(app) as clock:
            times = timed(get_ok(client, url), runs, warmup=0)
        samples += times
        detail[f"{name}_p50_ms"] = p50(times)
        detail[f"{name}_sql_ms"] = round(clock.seconds * 1000 / runs, 2)
        detail[f"{name}_statements"] = round(clock.statements / runs, 1)
    detail["case_list_sql_ms"] = round(
        statistics.mean(detail[f"{name}_sql_ms"] for name in case_list_urls(where)), 2
    )
    detail["case_list_statements"] = round(
        statistics.mean(detail[f"{name}_statements"] for name in case_list_urls(where)), 1
    )
    return samples, detail


def measure_across_areas(app: Flask, repeat: int) -> list[float]:
    """The case list's first page for the coordinators and police representatives of areas 2
    to 5, taking turns: eight users and four areas, no page asked for twice in a row."""
    clients = [
        signed_in_client(app, f"{role}.{area}@{EMAIL_DOMAIN}")
        for area in range(2, 6)
        for role in ("coordinator", "police")
    ]
    samples: list[float] = []
    for _ in range(max(repeat, -(-P95_SAMPLES // len(clients)))):
        for client in clients:
            samples += timed(get_ok(client, "/cases"), 1, warmup=0)
    return samples


def measure_rep_case_list(app: Flask, repeat: int) -> list[float]:
    """The police representative's case list (most users are representatives): the cases of
    area 1's panels listed at a meeting whose statement they accepted, or referred by their
    agency. The first page, the last one and the MARAC's high-risk cases."""
    client = signed_in_client(app, POLICE)
    first = client.get("/cases")
    assert first.status_code == 200, first.status_code
    last = max([1, *(int(n) for n in re.findall(r"\bpage=(\d+)", first.text))])
    where = scope(app)
    samples: list[float] = []
    for url in (
        "/cases",
        f"/cases?page={last}",
        f"/cases?panel={where.marac_id}&risk=high&sort=last_referred",
    ):
        samples += timed(get_ok(client, url), max(repeat, P95_SAMPLES // 3))
    return samples


# The floor of the same page, written by hand: in one committed transaction, the count, the
# page's ids from the index (past the middle read from the end, as the app reads it), just
# those rows joined to their panel, and their people's sealed names with the keys they are
# sealed under, opened; then a minimal template. No policy, no ORM, no audit, no layout.
BASELINE_COUNT = "SELECT count(*) FROM cases c WHERE c.panel_id IN ({panels}) {extra}"
BASELINE_SQL = """
SELECT r.id, r.stage, r.risk_level, r.is_repeat, r.last_referred_on, r.next_meeting_on,
       p.name AS panel_name
FROM (SELECT c.id FROM cases c WHERE c.panel_id IN ({panels}) {extra}
      ORDER BY c.last_referred_on {direction}, c.id {direction}
      LIMIT :limit OFFSET :offset) AS page
JOIN cases r ON r.id = page.id JOIN panels p ON p.id = r.panel_id
ORDER BY r.last_referred_on {direction}, r.id {direction}
"""
BASELINE_PEOPLE = """
SELECT cp.case_id, pe.uid, pe.given_names, pe.family_name, k.id AS key_id, k.kek_id,
       k.wrapped_key
FROM case_people cp JOIN people pe ON pe.id = cp.person_id JOIN data_keys k ON k.id = pe.data_key_id
WHERE cp.case_id IN ({ids})
"""
BASELINE_TEMPLATE = """<table>{% for row in rows %}<tr><td>{{ row.id }}</td><td>{{ row.panel_name }}
</td><td>{{ names[row.id] | join(", ") }}</td><td>{{ row.stage }}</td><td>{{ row.risk_level }}</td>
<td>{{ row.is_repeat }}</td><td>{{ row.last_referred_on }}</td><td>{{ row.next_meeting_on }}</td>
</tr>{% endfor %}</table><p>{{ total }} cases</p>"""


def measure_baseline(app: Flask, repeat: int) -> list[float]:
    """The floor: the same four pages as the case list, by hand (see BASELINE_SQL)."""
    where = scope(app)
    template = Jinja(autoescape=True).from_string(BASELINE_TEMPLATE)
    panels = ", ".join(str(i) for i in where.panel_ids)
    filtered = f"AND c.panel_id = {where.marac_id} AND c.risk_level = 'high'"
    variants = [
        ("", 1, where.total),
        ("", where.pages, where.total),
        (filtered, 1, where.filtered_total),
        (filtered, where.filtered_pages, where.filtered_total),
    ]
    samples: list[float] = []
    with app.app_context():
        keys = key_store()
        for extra, page, total in variants:
            window = page_window(page, total, 50)
            count = text(BASELINE_COUNT.format(panels=panels, extra=extra))
            statement = text(
                BASELINE_SQL.format(
                    panels=panels, extra=extra, direction="ASC" if window.from_end else "DESC"
                )
            )
            values = {"limit": window.limit, "offset": window.offset}

            def run(
                count: Any = count,
                statement: Any = statement,
                values: Any = values,
                turn: bool = window.from_end,
            ) -> None:
                with db.engine.begin() as connection:
                    counted = connection.scalar(count)
                    rows = connection.execute(statement, values).all()
                    ids = ", ".join(str(row.id) for row in rows) or "0"
                    names: dict[int, list[str]] = {row.id: [] for row in rows}
                    for person in connection.execute(text(BASELINE_PEOPLE.format(ids=ids))):
                        key = DataKey(
                            id=person.key_id, kek_id=person.kek_id, wrapped_key=person.wrapped_key
                        )
                        cipher = keys.cipher(key)
                        given, family = (
                            cipher.open(
                                envelope, table="people", column=column, row_id=person.uid
                            ).decode()
                            for column, envelope in (
                                ("given_names", person.given_names),
                                ("family_name", person.family_name),
                            )
                        )
                        names[person.case_id].append(f"{given} {family}")
                template.render(rows=rows[::-1] if turn else rows, names=names, total=counted)

            samples += timed(run, repeat)
    return samples


def measure_search(app: Flask, repeat: int) -> list[float]:
    """Search by name and date of birth (the blind index), for several generated people."""
    client = signed_in_client(app, COORDINATOR)
    where = scope(app)
    with app.app_context():
        links = db.session.scalars(
            select(CasePerson)
            .join(CasePerson.case)
            .where(Case.panel_id.in_(where.panel_ids))
            .order_by(CasePerson.id.desc())
            .limit(10)
        ).all()
        people = [
            (link.person.given_names, link.person.family_name, link.person.date_of_birth)
            for link in links
        ]
    samples: list[float] = []
    for given, family, born in people:
        assert born is not None
        run = post_ok(
            client,
            "/cases",
            [
                ("given_names", given or ""),
                ("family_name", family or ""),
                ("date_of_birth", str(born.day)),
                ("date_of_birth", str(born.month)),
                ("date_of_birth", str(born.year)),
            ],
        )
        samples += timed(run, max(3, repeat // len(people)), warmup=1)
    return samples


def measure_first_view(app: Flask, repeat: int) -> list[float]:
    """The case list's first page with no key unwrapped yet (as the first request a worker
    serves after starting, or a page of cases nobody opened lately): the KEK unwraps every
    person's and case's data key the page needs."""
    client = signed_in_client(app, COORDINATOR)
    store: KeyStore = app.extensions["key_store"]
    page = get_ok(client, "/cases")

    def run() -> None:
        store.forget()
        page()

    return timed(run, repeat)


def measure_case_page(app: Flask, repeat: int) -> list[float]:
    client = signed_in_client(app, COORDINATOR)
    return timed(get_ok(client, f"/cases/{scope(app).longest_case_id}"), max(repeat, P95_SAMPLES))


def measure_action_list(app: Flask, repeat: int) -> list[float]:
    """The actions lists: the police's outstanding actions, and every one of them (the last
    page), and the coordinator's overdue actions of every agency on their panels."""
    police, coordinator = signed_in_client(app, POLICE), signed_in_client(app, COORDINATOR)
    with app.app_context():
        owned = db.session.scalar(
            select(func.count())
            .select_from(CaseAction)
            .join(User, User.organisation_id == CaseAction.owner_agency_id)
            .where(User.email == POLICE)
        )
    last = min(max(1, -(-(owned or 0) // 50)), 100_000)
    samples: list[float] = []
    for client, url in (
        (police, "/actions"),
        (police, f"/actions?showing=all&page={last}"),
        (coordinator, "/actions?showing=overdue&whose=panels"),
    ):
        samples += timed(get_ok(client, url), repeat)
    return samples


def measure_referral_submit(app: Flask, repeat: int) -> list[float]:
    """A MARAC referral about people already known, drafted section by section (untimed), then
    timed as the three requests its users make: the referrer sends it from the check page
    (submitted with DASH), the coordinator opens its screening page (its people matched by
    blind index) and accepts it with the suggested matches (repeat detection into their case,
    sealed, audited, committed). Each answer is checked: 302, 200, 302."""
    where = scope(app)
    referrer_client = signed_in_client(app, REFERRER)
    coordinator_client = signed_in_client(app, COORDINATOR)
    referrer_token = csrf_token(referrer_client.get("/referrals").text)
    coordinator_token = csrf_token(coordinator_client.get("/cases").text)
    samples: list[float] = []
    drafts: list[int] = []
    with app.test_request_context():
        referrer = db.session.scalars(select(User).where(User.email == REFERRER)).one()
        panel = db.session.get(Panel, where.marac_id)
        assert panel is not None
        cases = db.session.scalars(
            select(Case.id)
            .where(Case.panel_id == panel.id, Case.stage == ReferralStatus.HEARD)
            .order_by(Case.id.desc())
            .limit(repeat + 3)
        ).all()
        writer = _Generator(Plan(referrals=1), lambda done, total: None)
        db.session.commit()
        for case_id in cases:
            entries = _entries(case_id)
            today = uk_today()
            answers = writer._answers(
                PanelType.MARAC, Step(today, ReferralStatus.SUBMITTED, score=16), entries
            )
            answers["about"] = {"referred_on": today.isoformat()}
            answers["reasons"] = {"criteria": ["visible_high_risk"]}
            db.session.expunge_all()
            referrer = db.session.merge(referrer)
            panel = db.session.merge(panel)
            # Drafting is a request per section, each committed: not part of the figure.
            referral = referral_services.start_referral(actor=referrer, panel=panel)
            for section in FormSection:
                if section.value in answers:
                    referral_services.save_section(
                        referral, actor=referrer, section=section, data=answers[section.value]
                    )
            db.session.commit()
            drafts.append(referral.id)
    for number, referral_id in enumerate(drafts):
        started = time.perf_counter()
        sent = referrer_client.post(
            f"/referrals/{referral_id}/check", data={"csrf_token": referrer_token}
        )
        assert sent.status_code == 302, sent.status_code
        screening = coordinator_client.get(f"/referrals/{referral_id}/screen")
        assert screening.status_code == 200, screening.status_code
        decision = MultiDict([("csrf_token", coordinator_token), ("decision", "accept")])
        for person in sorted(set(re.findall(r'name="(match-\d+)"', screening.text))):
            suggested = re.search(rf'name="{person}" type="radio" value="(\d+)"', screening.text)
            decision.add(person, suggested.group(1) if suggested else "new")
        accepted = coordinator_client.post(f"/referrals/{referral_id}/screen", data=decision)
        assert accepted.status_code == 302, accepted.status_code
        if number >= 3:  # the first few warm the caches
            samples.append((time.perf_counter() - started) * 1000)
    with app.app_context():
        statuses = db.session.scalars(select(Referral.status).where(Referral.id.in_(drafts)))
        assert set(statuses) <= {ReferralStatus.ACCEPTED, ReferralStatus.LISTED}, "not accepted"
    return samples


def _entries(case_id: int) -> list[dict[str, Any]]:
    """The case's people as a referrer would enter them again."""
    links = db.session.scalars(select(CasePerson).where(CasePerson.case_id == case_id)).all()
    entries = []
    for link in links:
        person = link.person
        assert person.date_of_birth is not None
        entries.append(
            {
                "role": link.role.value,
                "given_names": person.given_names,
                "family_name": person.family_name,
                "date_of_birth": person.date_of_birth.isoformat(),
                "aliases": (person.aliases or "").splitlines(),
                "other_birth_dates": [],
                "address": person.address,
                **({"relationship": "Partner"} if link.role is CaseRole.PERPETRATOR else {}),
                **({"relationship": "Child"} if link.role is CaseRole.CHILD else {}),
            }
        )
    return entries


# The meeting pack: the minutes of a 20-case meeting as a PDF -------------------------------------

PACK_CASES = 20
PACK_DISCUSSION = (
    "The panel reviewed the risk since the referral. Contact is through the IDVA at agreed safe "
    "times. Police will flag the address; housing will consider a move. Synthetic text.\n"
) * 3
PACK_CONTRIBUTION = "Checked our records before the meeting; shared what is relevant. Synthetic."


def pack_meeting(app: Flask) -> int:
    """An emergency meeting of the coordinator's MARAC held yesterday, at which 20 of its
    cases were heard, with attendance and approved minutes (a decision, a discussion and two
    agencies' contributions per case): made once per database through the services, found
    again on later runs. The generator writes no minutes, and its meetings hear as many cases
    as the size gives them (about 80 at a million referrals), so this one is made to measure."""
    with app.test_request_context():
        panel = db.session.get_one(Panel, scope(app).marac_id)
        made = db.session.scalar(
            select(Meeting.id)
            .join(MeetingMinutes, MeetingMinutes.meeting_id == Meeting.id)
            .where(
                Meeting.panel_id == panel.id,
                Meeting.kind == MeetingKind.EMERGENCY,
                MeetingMinutes.status == MinutesStatus.APPROVED,
            )
            .limit(1)
        )
        if made is not None:
            return made
        users = {
            u.email: u
            for u in db.session.scalars(
                select(User).where(User.email.in_([COORDINATOR, POLICE, REFERRER]))
            )
        }
        coordinator = users[COORDINATOR]
        today = uk_today()
        meeting = meeting_calendar.schedule_meeting(
            actor=coordinator,
            panel=panel,
            held_on=today - timedelta(days=1),
            kind=MeetingKind.EMERGENCY,
        )
        cases = db.session.scalars(
            select(Case)
            .where(Case.panel_id == panel.id, Case.stage == ReferralStatus.HEARD)
            .order_by(Case.id.desc())
            .limit(PACK_CASES)
        ).all()
        for case in cases:  # brought back urgently: a new referral heard at this meeting
            db.session.add(
                Referral(
                    panel_id=panel.id,
                    case_id=case.id,
                    status=ReferralStatus.HEARD,
                    referrer_id=users[REFERRER].id,
                    referring_agency_id=users[REFERRER].organisation_id,
                    referred_on=meeting.held_on,
                    submitted_at=utcnow(),
                    meeting_id=meeting.id,
                    is_repeat=True,
                    data_key=case.data_key,
                )
            )
        for user in users.values():  # R3: accepted before the meeting
            db.session.add(
                ConfidentialityDeclaration(
                    meeting_id=meeting.id, user_id=user.id, statement_version="1"
                )
            )
        db.session.flush()
        meeting_services.record_attendance(
            meeting,
            actor=coordinator,
            seen=None,
            statuses={user.id: AttendanceStatus.PRESENT for user in users.values()},
            information_from=set(),
            observers=[],
            today=today,
        )
        decision = panel.spec.decisions[0].code
        agencies = (users[POLICE].organisation_id, users[REFERRER].organisation_id)
        minutes = meeting_services.save_minutes(
            meeting,
            actor=coordinator,
            seen=0,
            general="Minutes of the last meeting agreed. Synthetic text.",
            cases={
                case.id: meeting_services.CaseMinutes(
                    PACK_DISCUSSION, dict.fromkeys(agencies, PACK_CONTRIBUTION), decision
                )
                for case in cases
            },
            today=today,
        )
        # Approved as the chair would (the generated panels have no chair).
        minutes.status = MinutesStatus.APPROVED
        minutes.approved_by_id, minutes.approved_at = coordinator.id, utcnow()
        db.session.commit()
        return meeting.id


def measure_minutes_pdf(app: Flask, repeat: int) -> list[float]:
    """The coordinator downloads the approved minutes of a 20-case meeting as a PDF: read,
    authorised, drawn by WeasyPrint and audited, as any page is measured."""
    meeting_id = pack_meeting(app)
    client = signed_in_client(app, COORDINATOR)
    return timed(get_ok(client, f"/meetings/{meeting_id}/minutes.pdf"), repeat, warmup=1)


def measure_agenda(app: Flask, repeat: int) -> list[float]:
    """The coordinator opens the meeting page of the same 20-case meeting: its agenda in order
    with each case's outstanding actions, interests and research, attendance and quorum."""
    meeting_id = pack_meeting(app)
    client = signed_in_client(app, COORDINATOR)
    return timed(get_ok(client, f"/meetings/{meeting_id}"), repeat)


NATIONAL_MANAGER = f"manager.national@{EMAIL_DOMAIN}"


def national_manager(app: Flask) -> str:
    """A manager assigned every area (made once per database, as the generator makes its
    accounts: directly, enrolled for sign-in), for the overview of every panel's rate."""
    with app.app_context():
        found = db.session.scalar(select(User.id).where(User.email == NATIONAL_MANAGER))
        if found is None:
            organisation = db.session.scalars(
                select(Organisation).order_by(Organisation.id)
            ).first()
            assert organisation is not None
            user = User(
                email=NATIONAL_MANAGER,
                display_name="National Manager",
                organisation=organisation,
                global_role=GlobalRole.MANAGER,
                password_hash=hash_password(BENCH_PASSWORD),
                password_changed_at=utcnow(),
                mfa_enrolled_at=utcnow(),
            )
            db.session.add(user)
            db.session.flush()
            user.totp_secret_encrypted = seal_totp_secret(user, pyotp.random_base32())
            for area_id in db.session.scalars(select(Area.id)):
                db.session.add(ManagerArea(user_id=user.id, area_id=area_id))
            db.session.commit()
    return NATIONAL_MANAGER


def measure_reports(app: Flask, repeat: int) -> dict[str, float]:
    """The coordinator opens their MARAC's repeat rate (8 quarters and the 12-month total, to
    the last complete quarter) and its SafeLives return for that quarter: the pages, read,
    counted, drawn and audited, as a manager or chair opens them."""
    client = signed_in_client(app, COORDINATOR)
    panel_id = scope(app).marac_id
    with app.app_context():
        quarter = last_complete_quarter(uk_today()).key
    repeat_rate = timed(get_ok(client, f"/reports/panels/{panel_id}?quarter={quarter}"), repeat)
    safelives = timed(
        get_ok(client, f"/reports/panels/{panel_id}/safelives?quarter={quarter}"), repeat
    )
    # Every MARAC and Community MARAC in the country (two per area), as a national manager
    # sees them: suppressed, one grouped count for all of them.
    manager = signed_in_client(app, national_manager(app))
    every = timed(get_ok(manager, f"/reports/repeat-rates?quarter={quarter}"), repeat)
    return {
        "repeat_report_all_ms": p50(every),
        "repeat_report_all_p95_ms": p95(every),
        "repeat_report_panel_year_ms": p50(repeat_rate),
        "repeat_report_panel_year_p95_ms": p95(repeat_rate),
        "safelives_return_quarter_ms": p50(safelives),
        "safelives_return_quarter_p95_ms": p95(safelives),
    }


NATIONAL_COORDINATOR = f"coordinator.national@{EMAIL_DOMAIN}"


def national_coordinator(app: Flask) -> str:
    """A coordinator of every panel, in the first coordinator's organisation (which signs every
    panel's ISP for it), made once per database: their extract is the whole database."""
    with app.app_context():
        found = db.session.scalar(select(User.id).where(User.email == NATIONAL_COORDINATOR))
        if found is None:
            organisation_id = db.session.scalar(
                select(User.organisation_id).where(User.email == COORDINATOR)
            )
            assert organisation_id is not None
            user = User(
                email=NATIONAL_COORDINATOR,
                display_name="National Coordinator",
                organisation_id=organisation_id,
                password_hash=hash_password(BENCH_PASSWORD),
                password_changed_at=utcnow(),
                mfa_enrolled_at=utcnow(),
            )
            db.session.add(user)
            db.session.flush()
            for agreement in db.session.scalars(select(IspAgreement)):
                if organisation_id not in {s.organisation_id for s in agreement.signatories}:
                    agreement.signatories.append(
                        IspSignatory(
                            organisation_id=organisation_id,
                            signed_on=agreement.in_force_from,
                            review_on=date(2099, 12, 31),
                        )
                    )
            for panel_id in db.session.scalars(select(Panel.id)):
                db.session.add(
                    PanelMembership(panel_id=panel_id, user_id=user.id, role=PanelRole.COORDINATOR)
                )
            db.session.commit()
    return NATIONAL_COORDINATOR


def measure_export(app: Flask, size: int) -> dict[str, float]:
    """A coordinator's referral-level extract, made as the job worker makes it, each in a
    process of its own (benchmarks/export.py) so that its peak memory is its own: the first
    coordinator's (their area's five panels) and a national coordinator's (every referral)."""
    environ = {
        **os.environ,
        "APP_ENV": "development",
        "INSTANCE_PATH": str(DATA / "instance"),
        "DATABASE_URL": database_url(size),
    }
    figures = {}
    for email in (COORDINATOR, national_coordinator(app)):
        done = subprocess.run(  # noqa: S603  (this project's own module, fixed arguments)
            [sys.executable, "-m", "benchmarks.export", "--email", email],
            cwd=ROOT.parent,
            env=environ,
            capture_output=True,
            text=True,
            check=True,
        )
        figures[email] = json.loads(done.stdout.strip().splitlines()[-1])
    area, national = figures[COORDINATOR], figures[NATIONAL_COORDINATOR]
    return {
        "export_rows_per_s": national["rows_per_s"],
        "export_rows": national["rows"],
        "export_seconds": national["seconds"],
        "export_megabytes": round(national["bytes"] / 1024 / 1024, 1),
        "export_peak_rss_mb": max(area["peak_rss_mb"], national["peak_rss_mb"]),
        "export_area_rows": area["rows"],
        "export_area_rows_per_s": area["rows_per_s"],
    }


def measure_audit_verify(app: Flask) -> dict[str, float]:
    """As `flask audit verify` runs it (one worker per CPU), and in a single process."""
    figures: dict[str, float] = {}
    for name, workers in (("", os.cpu_count() or 1), ("_one_process", 1)):
        with app.app_context():
            started = time.perf_counter()
            result = verify_chain(workers=workers)
            seconds = time.perf_counter() - started
            assert result.intact, result.problem
        figures[f"audit_verify{name}_seconds"] = round(seconds, 2)
        figures[f"audit_verify{name}_events_per_s"] = round(result.events_checked / seconds)
    return {"audit_events": result.events_checked, **figures}


# The write lock -------------------------------------------------------------------------------


def takes_write_lock(statement: str) -> bool:
    """SQLite's write lock is taken by BEGIN IMMEDIATE; the audit chain's on PostgreSQL by its
    advisory lock. Either is held until the connection goes back to the pool (after commit)."""
    return statement == "BEGIN IMMEDIATE" or "pg_advisory_xact_lock" in statement


class LockClock:
    """Seconds spent waiting for and holding the write lock, per thread, over some requests."""

    def __init__(self) -> None:
        self.waiting = 0.0
        self.holding = 0.0
        self._mine = threading.local()
        self._sum = threading.Lock()

    def asked(self, *args: Any) -> None:
        if takes_write_lock(args[2]):
            self._mine.asked = time.perf_counter()

    def got(self, *args: Any) -> None:
        asked = getattr(self._mine, "asked", None)
        if asked is not None and takes_write_lock(args[2]):
            self._mine.asked, self._mine.since = None, time.perf_counter()
            with self._sum:
                self.waiting += self._mine.since - asked

    def released(self, *args: Any) -> None:
        since = getattr(self._mine, "since", None)
        if since is not None:
            self._mine.since = None
            with self._sum:
                self.holding += time.perf_counter() - since


@contextmanager
def write_lock_clock(app: Flask) -> Iterator[LockClock]:
    clock = LockClock()
    with app.app_context():
        engine = db.engine
    listeners = [
        ("before_cursor_execute", clock.asked),
        ("after_cursor_execute", clock.got),
        ("checkin", clock.released),
    ]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield clock
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


def measure_write_lock(app: Flask, repeat: int) -> dict[str, float]:
    """The share of signed-in GETs' time spent holding, and waiting for, the write lock: two
    threads (as two workers would) each reading the case list's first page and the longest
    case's page as the coordinator, `repeat` times each."""
    where = scope(app)
    urls = ["/cases", f"/cases/{where.longest_case_id}"]
    clients = [_sign_in(app, COORDINATOR) for _ in range(2)]
    busy = [0.0, 0.0]

    def reader(index: int) -> None:
        client = clients[index]
        for _ in range(repeat):
            for url in urls:
                started = time.perf_counter()
                response = client.get(url)
                busy[index] += time.perf_counter() - started
                assert response.status_code == 200, (url, response.status_code)

    for url in urls:  # warm
        get_ok(clients[0], url)()
    with write_lock_clock(app) as clock:
        threads = [threading.Thread(target=reader, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    total = sum(busy)
    return {
        "write_lock_share": round(clock.holding / total, 3),
        "write_lock_wait_share": round(clock.waiting / total, 3),
    }


# Throughput under gunicorn ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def gunicorn(size: int) -> Iterator[str]:
    port = free_port()
    environ = {
        **os.environ,
        "APP_ENV": "development",
        "INSTANCE_PATH": str(DATA / "instance"),
        "DATABASE_URL": database_url(size),
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--config=python:app.serving",
        "--workers=2",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
        "app:create_app()",
    ]
    server = subprocess.Popen(command, env=environ, start_new_session=True)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def http_sign_in(app: Flask, base: str, email: str) -> str:
    """Sign in over HTTP; returns the session cookie header for the load generator."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def form(path: str, fields: dict[str, str]) -> None:
        page = opener.open(f"{base}{path}").read().decode()
        data = urllib.parse.urlencode({"csrf_token": csrf_token(page), **fields}).encode()
        opener.open(f"{base}{path}", data=data)

    form("/sign-in", {"email": email, "password": BENCH_PASSWORD})
    form("/sign-in/security-code", {"code": current_code(app, email)})
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


# wrk's threads each count the answers that are not 200 (a redirect to sign-in would
# otherwise count as a page served); the total is printed when the run is done.
WRK_STATUS_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) not_ok = 0 end
function response(status, headers, body) if status ~= 200 then not_ok = not_ok + 1 end end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("not_ok") end
  io.write(string.format("not_ok %d\\n", total))
end
"""


def load(url: str, cookie: str | None, seconds: int = 10) -> float:
    """Requests per second, every answer checked to be a 200: wrk when installed, else a
    small threaded Python client."""
    wrk = shutil.which("wrk")
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    if wrk:
        script = DATA / "status.lua"
        script.write_text(WRK_STATUS_SCRIPT)
        output = subprocess.run(  # noqa: S603
            [wrk, "-t2", "-c8", f"-d{seconds}s", "-s", str(script), *headers, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        match = re.search(r"Requests/sec:\s+([\d.]+)", output)
        not_ok = re.search(r"not_ok (\d+)", output)
        assert match, output
        assert not_ok, output
        assert not_ok.group(1) == "0", f"{url}: {not_ok.group(1)} answers were not 200"
        return round(float(match.group(1)), 1)
    return python_load(url, cookie, seconds)


def python_load(url: str, cookie: str | None, seconds: int) -> float:
    deadline = time.perf_counter() + seconds
    counts = [0] * 8

    def worker(index: int) -> None:
        request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
        while time.perf_counter() < deadline:
            with urllib.request.urlopen(request) as response:  # noqa: S310
                response.read()
                # urllib follows redirects: a page that sent us to sign in is not counted.
                assert response.status == 200, response.status
                assert response.url == url, response.url
            counts[index] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(counts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return round(sum(counts) / seconds, 1)


def measure_throughput(app: Flask, size: int) -> dict[str, float]:
    with gunicorn(size) as base:
        cookie = http_sign_in(app, base, COORDINATOR)
        load(f"{base}/cases", cookie, seconds=2)  # warm both workers
        return {
            "throughput_case_list_rps": load(f"{base}/cases", cookie),
            "throughput_healthz_rps": load(f"{base}/healthz", None),
        }


# The suite --------------------------------------------------------------------------------------


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_suite(size: int, repeat: int) -> dict[str, Any]:
    started = datetime.now(UTC)
    app = prepare(size)
    freeze_start_up()  # as app.serving does in each gunicorn worker, so measured as served
    with app.app_context():
        engine = db.engine.dialect.name
    print(f"Measuring at {size:,} referrals on {engine}…")
    list_samples, list_detail = measure_case_list(app, repeat)
    baseline = measure_baseline(app, repeat)
    rep_samples = measure_rep_case_list(app, repeat)
    results: dict[str, Any] = {
        "engine": engine,
        "referrals": size,
        "git_commit": git_commit(),
        "date": started.isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        # Other work on the machine skews every timing: the load when the run began says how much.
        "load_average_1m": round(os.getloadavg()[0], 2),
        "repeat": repeat,
        "case_list_p50_ms": p50(list_samples),
        "case_list_p95_ms": p95(list_samples),
        **list_detail,
        "case_search_p50_ms": 0.0,
        "case_search_p95_ms": 0.0,
        "case_page_p50_ms": 0.0,
        "case_page_p95_ms": 0.0,
        "baseline_case_list_ms": p50(baseline),
        "rep_case_list_p50_ms": p50(rep_samples),
        "rep_case_list_p95_ms": p95(rep_samples),
    }
    areas = measure_across_areas(app, repeat)
    results["case_list_areas_p50_ms"], results["case_list_areas_p95_ms"] = p50(areas), p95(areas)
    results["rep_vs_coordinator_p95_ratio"] = round(
        results["rep_case_list_p95_ms"] / max(results["case_list_p95_ms"], 0.01), 2
    )
    results["case_list_vs_baseline_ratio"] = round(
        results["case_list_p50_ms"] / max(results["baseline_case_list_ms"], 0.01), 2
    )
    search = measure_search(app, repeat)
    results["case_search_p50_ms"], results["case_search_p95_ms"] = p50(search), p95(search)
    first_view = measure_first_view(app, repeat)
    results["case_list_first_view_p50_ms"] = p50(first_view)
    page = measure_case_page(app, repeat)
    results["case_page_p50_ms"], results["case_page_p95_ms"] = p50(page), p95(page)
    actions = measure_action_list(app, repeat)
    results["action_list_p50_ms"], results["action_list_p95_ms"] = p50(actions), p95(actions)
    submit = measure_referral_submit(app, repeat)
    results["referral_submit_p50_ms"] = p50(submit)
    results["referral_submit_p95_ms"] = p95(submit)
    # Drawing a PDF takes hundreds of milliseconds: a third of the runs give a steady median.
    results["minutes_pdf_ms"] = p50(measure_minutes_pdf(app, max(5, repeat // 3)))
    agenda = measure_agenda(app, max(P95_SAMPLES, repeat))
    results["agenda_p50_ms"], results["agenda_p95_ms"] = p50(agenda), p95(agenda)
    results.update(measure_reports(app, repeat))
    results.update(measure_export(app, size))
    results.update(measure_audit_verify(app))
    results.update(measure_write_lock(app, repeat))
    results.update(measure_throughput(app, size))
    if size != GROWTH_BASE:
        small = prepare(GROWTH_BASE)
        freeze_start_up()
        small_samples, _ = measure_case_list(small, repeat)
        results["case_list_p50_ms_at_10000"] = p50(small_samples)
    else:
        results["case_list_p50_ms_at_10000"] = results["case_list_p50_ms"]
    results["case_list_growth_ratio"] = round(
        results["case_list_p50_ms"] / results["case_list_p50_ms_at_10000"], 2
    )
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    results["seconds"] = round((datetime.now(UTC) - started) / timedelta(seconds=1))
    return results


GOALS = {
    "case_list_p95_ms": ("<", 50),
    "case_list_vs_baseline_ratio": ("<=", 3),
    "case_list_growth_ratio": ("<", 1.5),
    "referral_submit_p95_ms": ("<", 60),
    "audit_verify_events_per_s": (">", 100_000),
    "repeat_report_panel_year_ms": ("<", 300),
    "repeat_report_all_ms": ("<", 2000),
    "safelives_return_quarter_ms": ("<", 500),
    "export_rows_per_s": (">=", 20_000),
    "export_peak_rss_mb": ("<", 150),
    "write_lock_share": ("<=", 0.15),
    "rep_case_list_p95_ms": ("<", 50),
    "rep_vs_coordinator_p95_ratio": ("<=", 1.5),
    "throughput_case_list_rps": (">=", 150),
}


def table(results: dict[str, Any]) -> str:
    lines = [f"{'figure':<36} {'value':>14}  goal"]
    for name, value in results.items():
        goal = GOALS.get(name)
        mark = ""
        if goal:
            op, limit = goal
            met = {
                "<": value < limit,
                "<=": value <= limit,
                ">": value > limit,
                ">=": value >= limit,
            }[op]
            mark = f"{op} {limit:,}  {'met' if met else 'MISSED'}"
        shown = f"{value:,}" if isinstance(value, int | float) else str(value)
        lines.append(f"{name:<36} {shown:>14}  {mark}")
    return "\n".join(lines)


def main() -> None:
    size = int(os.environ.get("BENCH_REFERRALS", "100000"))
    repeat = int(os.environ.get("BENCH_REPEAT", "30"))
    results = run_suite(size, repeat)
    print(table(results))
    RESULTS.mkdir(exist_ok=True)
    body = json.dumps(results, indent=2) + "\n"
    (RESULTS / "latest.json").write_text(body)
    (RESULTS / f"{results['engine']}-{size}.json").write_text(body)
    print(f"Wrote {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    main()
