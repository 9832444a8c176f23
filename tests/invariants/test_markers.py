"""Markers (issue 26): personal and free-text values never reach logs, audit rows, the sessions
table, URLs, downloads or the database in clear (security R11, R20; domain R9).

A distinct marker is typed, through the pages as people use them, into every personal and
free-text field the service takes:

- a MARAC referral (every person's names, aliases, address, relationship and school; the
  referrer's phone and earlier panel; safe contact; reasons; DASH comments; consent reasons),
  returned with a reason and sent again, accepted, listed at a meeting held today, whose
  attendance names an observer (name and organisation) and whose minutes (the general
  section, the case's discussion and an agency's contribution) are drafted by the coordinator
  and approved by the chair, and on whose case the referrer's agency records its research;
- a Community MARAC referral (the other type that takes referrals), rejected with a reason;
- a case note, an action agreed at the meeting, a report on it and its due date moved (the
  reason), a sharing decision, a transfer;
- emergency access (its reason) and the coordinator's review (its note); a request beyond the
  limits (its reason) and the coordinator's decline (its reason);
- an ASB Case Review from application to appeal decision (applicant, contact, victim, what it
  is about, an incident, the threshold reason, the action plan, appeal grounds and decision);
- two subject access requests (requester, contact, identity check, subject, extension and
  refusal reasons) and a disclosure decision, through confirmation, a second auditor's
  approval and the bundle;
- person searches by name and date of birth.

Then every GET route of the route map is opened by every member (referrer, coordinator, the
chair, a representative who sees no case, two auditors, an admin and a manager), with every
object's id and every choice of an `any(...)` part (an export's format), so that a new page or
export is exercised without anyone listing it; and the auditor exports the audit trail. Each
marker must appear on some page, so nothing passes by planting nothing. No marker may appear
(in any letter case) in: any log record of any logger at DEBUG (SQL statements and parameters
included); any request line or redirect (what access logs, browser history and Referer
headers keep); the `server_sessions` table as it stood after every response (flash messages
and the address kept for after signing in included); any download (the audit CSV, the
reports' CSV and XLSX); and, read with plain SQL, any column of any row of any table,
audit_events included, nor the bytes of the SQLite file and its WAL.

Notifications are not part of the app yet: when they land, their outbox and the messages
they send belong here too. About 20 to 30 seconds.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask import Response
from flask import request
from flask import request_finished
from flask.testing import FlaskClient
from sqlalchemy import Integer
from sqlalchemy import column
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import table as sql_table
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from app import create_app
from app import jobs
from app.accounts.models import GlobalRole
from app.accounts.models import Organisation
from app.accounts.models import User
from app.auth.seeds import totp_secret
from app.database import UK
from app.database import db
from app.database import uk_today
from app.database import utcnow
from app.extensions import limiter
from app.jobs.models import OutboxMessage
from app.settings import Settings
from cases.actions.models import CaseAction
from cases.asb.models import CaseReviewApplication
from cases.break_glass.models import BreakGlassGrant
from cases.break_glass.models import BreakGlassReason
from cases.models import Case
from cases.referrals.models import Referral
from cases.reports.models import Extract
from cases.reports.models import ExtractStatus
from cases.subject_access.models import SubjectAccessRequest
from notifications.models import Delivery
from notifications.models import DeliveryStatus
from notifications.models import Notification
from panels.declarations import CONFIDENTIALITY_STATEMENT_VERSION
from panels.models import Meeting
from panels.models import PanelRole
from panels.types.common import Criterion
from panels.types.common import PanelType
from tests.conftest import PASSWORD
from tests.conftest import Accounts
from tests.conftest import csrf_token
from tests.conftest import make_settings
from tests.referral_fixtures import member
from tests.referral_fixtures import panel
from tests.routes import RULES
from tests.routes import url_for_rule

TODAY = uk_today()
# One marker per field, so that a failure names the field that leaked. Each is bracketed, so
# that no marker is part of another.
FIELDS = {
    # The MARAC referral: about, people, safe contact, reasons, risk, consent.
    "referrer phone": "phone",
    "previous panel": "previousmarac",
    "victim given names": "victimgiven",
    "victim family name": "victimfamily",
    "victim alias": "victimalias",
    "victim address": "victimaddress",
    "perpetrator given names": "perpgiven",
    "perpetrator family name": "perpfamily",
    "perpetrator alias": "perpalias",
    "perpetrator address": "perpaddress",
    "perpetrator relationship": "perprelation",
    "child given names": "childgiven",
    "child family name": "childfamily",
    "child school": "childschool",
    "safe phone": "safephone",
    "safe times": "safetimes",
    "safe contacts": "safecontacts",
    "unsafe contacts": "unsafecontacts",
    "afraid of": "afraidof",
    "judgement reasons": "judgement",
    "repeat details": "repeatdetails",
    "DASH comment": "dashcomment",
    "consent justification": "justification",
    "not aware reason": "notaware",
    "return reason": "returnreason",
    # The Community MARAC referral, rejected.
    "community victim given names": "cmvictimgiven",
    "community victim family name": "cmvictimfamily",
    "community victim address": "cmvictimaddress",
    "community safe times": "cmsafetimes",
    "community judgement reasons": "cmjudgement",
    "community reject reason": "cmreject",
    # The case.
    "case note": "casenote",
    "action description": "actiondescription",
    "action report": "actionreport",
    "due date reason": "duedatereason",
    "sharing recipient": "sharingrecipient",
    "sharing reason": "sharingreason",
    "sharing without agreement": "sharingwithout",
    "transfer reason": "transferreason",
    "transfer without agreement": "transferwithout",
    # Emergency access.
    "emergency reason": "breakglassreason",
    "review note": "reviewnote",
    "request reason": "requestreason",
    "decline reason": "declinereason",
    # A meeting's observers.
    "observer name": "observername",
    "observer organisation": "observerorg",
    # Its minutes.
    "general minutes": "minutesgeneral",
    "minutes discussion": "minutesdiscussion",
    "minutes contribution": "minutescontribution",
    # An agency's research on a listed case, shared for the meeting (issue 21, R7).
    "research shared": "researchshared",
    # ASB Case Review.
    "applicant name": "applicantname",
    "applicant contact": "applicantcontact",
    "review victim name": "reviewvictim",
    "application description": "applicationdescription",
    "incident description": "incident",
    "threshold reason": "thresholdreason",
    "action plan": "actionplan",
    "appeal grounds": "appealgrounds",
    "appeal decision reason": "appealreason",
    # Subject access.
    "requester name": "requestername",
    "requester contact": "requestercontact",
    "identity evidence": "identityevidence",
    "subject given names": "subjectgiven",
    "extension reason": "extensionreason",
    "refusal requester name": "refusedrequester",
    "refusal reason": "refusalreason",
    "disclosure reason": "disclosurereason",
    # Searches that find nobody.
    "searched given names": "searchgiven",
    "searched family name": "searchfamily",
}
MARKERS = {name: f"Zq{tag}Qz" for name, tag in FIELDS.items()}
# Some free text is shown in a shortened or reworded form or not at all to these members; every
# marker must still be shown somewhere: `test_every_marker_is_shown_on_some_page`.

REFERRER = "referrer@markers.example"  # an IDVA representative on both Markerton panels
COORDINATOR = "coordinator@markers.example"  # coordinates both, and Markerby's MARAC
CHAIR = "chair@markers.example"  # chairs the MARAC: approves the minutes
BYSTANDER = "bystander@markers.example"  # housing, on the MARAC; sees none of its cases
AUDITOR = "dpo@markers.example"
SECOND_AUDITOR = "deputy.dpo@markers.example"
ADMIN = "admin@markers.example"
MANAGER = "manager@markers.example"
VICTIM_BORN = ("21", "7", "1990")
PERPETRATOR_BORN = ("2", "2", "1985")


def day(offset: int) -> list[str]:
    """A GOV.UK date input's three parts, `offset` days from today."""
    when = TODAY + timedelta(days=offset)
    return [str(when.day), str(when.month), str(when.year)]


def leaks(stored: str | bytes) -> list[str]:
    """The fields whose marker is in `stored`, in any letter case."""
    haystack = (stored if isinstance(stored, bytes) else stored.encode()).lower()
    return [name for name, marker in MARKERS.items() if marker.lower().encode() in haystack]


# What the service writes down while the scenario runs --------------------------------------


# What every log record carries; anything else was passed as `extra` and is kept too.
PLAIN_RECORD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class Collect(logging.Handler):
    """Keeps every record, formatted with its arguments, its traceback and extra attributes."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        trace = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        extra = {k: v for k, v in record.__dict__.items() if k not in PLAIN_RECORD}
        self.lines.append(f"{record.name} {record.getMessage()} {trace} {extra!r}")


@dataclass
class Capture:
    """Everything the scenario left behind outside the database, and what the pages showed."""

    log: Collect = field(default_factory=Collect)
    # What an access log, browser history or Referer keeps: request lines and redirects.
    requests: list[str] = field(default_factory=list)
    # Every row of server_sessions after each response (the session is saved by then).
    sessions: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)  # every page's body
    export: str = ""  # the audit trail, exported by the auditor
    exports: dict[str, bytes] = field(default_factory=dict)  # every download the crawl met
    visited: set[str] = field(default_factory=set)  # endpoints opened by the crawl
    crawled: int = 0


def main(page: str) -> str:
    """A page's main content as text, for a failure's message."""
    content = page[page.find("<main") :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", content))[:2000]


@dataclass
class Browser:
    """A member's test client that posts forms as a browser does and keeps each page seen."""

    client: FlaskClient
    capture: Capture

    def get(self, url: str, expect: int = 200) -> str:
        response = self.client.get(url)
        assert response.status_code == expect, (url, response.status_code, main(response.text))
        self.capture.shown.append(response.text)
        return response.text

    def post(
        self,
        url: str,
        data: dict[str, str | list[str]],
        *,
        token_from: str | None = None,
        expect: int = 302,
    ) -> TestResponse:
        """POST `data` with the CSRF token of the form's page (or `token_from`); a date's three
        parts are a list."""
        token = csrf_token(self.get(token_from or url))
        pairs = [("csrf_token", token)]
        for name, value in data.items():
            pairs += (
                [(name, part) for part in value] if isinstance(value, list) else [(name, value)]
            )
        response = self.client.post(url, data=MultiDict(pairs))
        self.capture.shown.append(response.text)
        assert response.status_code == expect, (url, response.status_code, main(response.text))
        return response


@dataclass
class World:
    app: Flask
    settings: Settings
    accounts: Accounts
    capture: Capture
    marac: int = 0
    community: int = 0
    markerby: int = 0
    risk_item: str = ""
    idva: int = 0
    housing: int = 0
    browsers: dict[str, Browser] = field(default_factory=dict)

    def sign_in(self, email: str) -> Browser:
        browser = Browser(self.app.test_client(), self.capture)
        browser.post("/sign-in", {"email": email, "password": PASSWORD})
        browser.post("/sign-in/security-code", {"code": self.fresh_code(email)})
        self.browsers[email] = browser
        return browser

    def fresh_code(self, email: str) -> str:
        """The member's current security code, usable again within this 30-second step."""
        with self.app.app_context():
            user = db.session.scalars(select(User).where(User.email == email)).one()
            user.totp_last_step = None
            db.session.commit()
            return pyotp.TOTP(totp_secret(user)).at(utcnow().timestamp())

    def user_id(self, email: str) -> int:
        return self.one(User, email=email)

    def one(self, sql_model: Any, **where: Any) -> int:
        """The id of the only row of `sql_model` matching `where`."""
        with self.app.app_context():
            query = select(sql_model.id).filter_by(**where)
            return int(db.session.scalars(query).one())


def build(app: Flask, settings: Settings, capture: Capture) -> World:
    """Three panels and their members, put straight into the database: the rest is typed."""
    accounts = Accounts(app)
    world = World(app, settings, accounts, capture)
    accounts.user(REFERRER, organisation="Markerton IDVA Service", name="Rhoswen Idris")
    accounts.user(COORDINATOR, organisation="Markerton Council", name="Cai Ormsby")
    accounts.user(BYSTANDER, organisation="Markerton Housing", name="Bea Stander")
    accounts.user(CHAIR, organisation="Markerton Police", name="Chae Ardley")
    accounts.user(AUDITOR, role=GlobalRole.AUDITOR, organisation="Markerton Council", name="Dai")
    accounts.user(SECOND_AUDITOR, role=GlobalRole.AUDITOR, organisation="Markerton Council")
    accounts.user(ADMIN, role=GlobalRole.ADMIN, organisation="Markerton Council", name="Ada")
    accounts.user(MANAGER, role=GlobalRole.MANAGER, organisation="Markerton Council", name="Mo")
    with app.test_request_context():
        users = {user.email: user for user in db.session.scalars(select(User))}
        marac = panel("Markerton")
        community = panel("Markerton", PanelType.COMMUNITY_MARAC, area_obj=marac.area)
        markerby = panel("Markerby")
        member(marac, users[REFERRER], PanelRole.REPRESENTATIVE)
        member(community, users[REFERRER], PanelRole.REPRESENTATIVE)
        member(marac, users[BYSTANDER], PanelRole.REPRESENTATIVE)
        member(marac, users[CHAIR], PanelRole.CHAIR)
        for coordinated in (marac, community, markerby):
            member(coordinated, users[COORDINATOR], PanelRole.COORDINATOR)
        db.session.commit()
        world.marac, world.community, world.markerby = marac.id, community.id, markerby.id
        world.risk_item = community.settings.risk_items[0].key
        names = {o.name: o.id for o in db.session.scalars(select(Organisation))}
        world.idva, world.housing = names["Markerton IDVA Service"], names["Markerton Housing"]
    return world


# The scenario: every field typed in as people do -------------------------------------------


def start_referral(referrer: Browser, panel_id: int) -> int:
    started = referrer.post("/referrals/new", {"panel_id": str(panel_id)})
    return int(started.location.rsplit("/", 1)[1])


def marac_referral(world: World, referrer: Browser) -> int:
    m = MARKERS
    referral = start_referral(referrer, world.marac)
    base = f"/referrals/{referral}"
    referrer.post(
        f"{base}/sections/about",
        {
            "referred_on": day(-40),
            "referrer_phone": m["referrer phone"],
            "previous_marac": m["previous panel"],
        },
    )
    referrer.post(
        f"{base}/people/add/victim",
        {
            "given_names": m["victim given names"],
            "family_name": m["victim family name"],
            "aliases": f"Alias {m['victim alias']}",
            "date_of_birth": list(VICTIM_BORN),
            "address": m["victim address"],
        },
    )
    referrer.post(
        f"{base}/people/add/perpetrator",
        {
            "given_names": m["perpetrator given names"],
            "family_name": m["perpetrator family name"],
            "aliases": f"Alias {m['perpetrator alias']}",
            "date_of_birth": list(PERPETRATOR_BORN),
            "address": m["perpetrator address"],
            "relationship": m["perpetrator relationship"],
        },
    )
    referrer.post(
        f"{base}/people/add/child",
        {
            "given_names": m["child given names"],
            "family_name": m["child family name"],
            "age": "7",
            "school": m["child school"],
        },
    )
    referrer.post(
        f"{base}/sections/safety",
        {
            "safe_to_call": "yes",
            "phone": m["safe phone"],
            "safe_times": m["safe times"],
            "safe_contacts": m["safe contacts"],
            "unsafe_contacts": m["unsafe contacts"],
            "afraid_of": m["afraid of"],
        },
    )
    referrer.post(
        f"{base}/sections/diversity",
        {"gender": "female", "minoritised": "not_known", "disabled": "no", "lgbt": "not_known"},
    )
    referrer.post(
        f"{base}/sections/reasons",
        {
            "criteria": Criterion.VISIBLE_HIGH_RISK.value,
            "judgement_reasons": m["judgement reasons"],
            "repeat_details": m["repeat details"],
        },
    )
    dash: dict[str, str | list[str]] = {"tool": "dash", "with_victim": "yes"}
    for item in range(24):
        dash |= {f"answer_{item}": "yes" if item < 15 else "no", f"source_{item}": "victim"}
    dash["comment_0"] = m["DASH comment"]
    referrer.post(f"{base}/sections/risk", dash)
    referrer.post(
        f"{base}/sections/consent",
        {
            "consent_given": "no",
            "justification": m["consent justification"],
            "victim_aware": "no",
            "not_aware_reason": m["not aware reason"],
        },
    )
    referrer.post(f"{base}/check", {})
    return referral


def community_referral(world: World, referrer: Browser) -> int:
    m = MARKERS
    referral = start_referral(referrer, world.community)
    base = f"/referrals/{referral}"
    referrer.post(f"{base}/sections/about", {"referred_on": day(-30)})
    referrer.post(
        f"{base}/people/add/victim",
        {
            "given_names": m["community victim given names"],
            "family_name": m["community victim family name"],
            "date_of_birth": ["3", "3", "1961"],
            "address": m["community victim address"],
        },
    )
    referrer.post(
        f"{base}/sections/safety", {"safe_to_call": "yes", "safe_times": m["community safe times"]}
    )
    referrer.post(
        f"{base}/sections/reasons",
        {
            "criteria": Criterion.VULNERABLE_VICTIM.value,
            "judgement_reasons": m["community judgement reasons"],
        },
    )
    referrer.post(f"{base}/sections/risk", {"present": world.risk_item})
    referrer.post(f"{base}/sections/consent", {"consent_given": "yes", "victim_aware": "yes"})
    referrer.post(f"{base}/check", {})
    return referral


def referrals(world: World, referrer: Browser, coordinator: Browser) -> tuple[int, int, int]:
    """Both referrals: the MARAC one returned, sent again and accepted; the other rejected.
    Returns the MARAC referral, its case and the Community MARAC referral."""
    marac = marac_referral(world, referrer)
    screen = f"/referrals/{marac}/screen"
    coordinator.post(screen, {"decision": "return", "reason": MARKERS["return reason"]})
    referrer.get(f"/referrals/{marac}")  # the returned referral shows the reason
    referrer.post(f"/referrals/{marac}/check", {})
    coordinator.post(screen, {"decision": "accept"})
    community = community_referral(world, referrer)
    coordinator.post(
        f"/referrals/{community}/screen",
        {"decision": "reject", "reason": MARKERS["community reject reason"]},
    )
    referrer.get(f"/referrals/{community}")
    with world.app.app_context():
        case_id = db.session.get_one(Referral, marac).case_id
    assert case_id is not None
    return marac, case_id, community


def meeting(
    world: World, coordinator: Browser, referrer: Browser, chair: Browser, referral: int
) -> int:
    """The referral listed at a meeting held today (so its attendance and minutes can be
    recorded); its agenda seen by the coordinator and, once they have accepted the
    confidentiality statement, by the referrer and the chair."""
    coordinator.post(
        "/meetings",
        {"panel_id": str(world.marac), "held_on": day(0), "kind": "scheduled"},
    )
    meeting_id = world.one(Meeting, panel_id=world.marac)
    coordinator.post(f"/referrals/{referral}/list", {"meeting_id": str(meeting_id)})
    coordinator.get(f"/meetings/{meeting_id}")
    for member_browser in (referrer, chair):
        member_browser.post(
            f"/meetings/{meeting_id}/declaration",
            {"statement_version": CONFIDENTIALITY_STATEMENT_VERSION},
            token_from=f"/meetings/{meeting_id}",
        )
        member_browser.get(f"/meetings/{meeting_id}")
    # The attendance: the referrer attended (they accepted the statement), with an observer.
    attendance = coordinator.get(f"/meetings/{meeting_id}/attendance")
    members = set(re.findall(r'name="(member-\d+)"', attendance))
    seen = re.search(r'name="seen"[^>]*value="([^"]*)"', attendance)
    assert members, "the attendance form lists the panel's members"
    assert seen is not None
    referrer_field = f"member-{world.user_id(REFERRER)}"
    coordinator.post(
        f"/meetings/{meeting_id}/attendance",
        {
            **{member: "none" for member in members},
            referrer_field: "present",
            "seen": seen[1],
            "observer_rows-0-name": MARKERS["observer name"],
            "observer_rows-0-organisation": MARKERS["observer organisation"],
        },
    )
    coordinator.get(f"/meetings/{meeting_id}/attendance")
    return meeting_id


def case_work(
    world: World, coordinator: Browser, referrer: Browser, case_id: int, meeting_id: int
) -> None:
    """A note, an action agreed at the meeting for the referrer's agency, their report on it
    and its due date moved with a reason, a sharing decision."""
    m = MARKERS
    case_url = f"/cases/{case_id}"
    coordinator.post(case_url, {"text": m["case note"]})
    coordinator.post(
        f"{case_url}/actions/new",
        {
            "description": m["action description"],
            "owner_agency_id": str(world.idva),
            "due_on": day(30),
            "meeting_id": str(meeting_id),
        },
    )
    action_id = world.one(CaseAction, case_id=case_id)
    action_url = f"{case_url}/actions/{action_id}"
    page = referrer.get(action_url)
    version = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', page)
    assert version, "the report form carries no version"
    referrer.post(
        action_url,
        {
            "status": "open",
            "text": m["action report"],
            "version": version.group(1) or version.group(2),
        },
    )
    coordinator.get(action_url)
    moving = coordinator.get(f"{action_url}/due-date")
    moved = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', moving)
    assert moved, "the due date form carries no version"
    coordinator.post(
        f"{action_url}/due-date",
        {
            "due_on": day(45),
            "reason": m["due date reason"],
            "version": moved.group(1) or moved.group(2),
        },
    )
    coordinator.get(action_url)
    coordinator.post(
        f"{case_url}/sharing",
        {
            "disclosure": "outside_panel",
            "shared": "yes",
            "recipient": m["sharing recipient"],
            "lawful_basis": "public_task_safeguarding",
            "consent": "refused",
            "reason": m["sharing reason"],
            "without_agreement_reason": m["sharing without agreement"],
        },
    )


def minutes(
    world: World,
    coordinator: Browser,
    chair: Browser,
    referrer: Browser,
    case_id: int,
    meeting_id: int,
) -> None:
    """The coordinator drafts the minutes (the general section, the case's discussion and the
    contribution of the referrer's agency, which attended); the chair approves them; the
    minutes and the actions extract are opened by those they go to."""
    m = MARKERS
    url = f"/meetings/{meeting_id}/minutes"
    draft = coordinator.get(f"{url}/draft")
    contribution = f"case-{case_id}-agency-{world.idva}"
    assert f'name="{contribution}"' in draft, "the referrer's agency cannot contribute"
    coordinator.post(
        f"{url}/draft",
        {
            "general": m["general minutes"],
            # A code, not free text: the chair approves only minutes with a decision per case.
            f"case-{case_id}-decision": "safety_plan",
            f"case-{case_id}-discussion": m["minutes discussion"],
            contribution: m["minutes contribution"],
            "seen": "0",
        },
    )
    chair.post(f"{url}/approve", {"seen": "1"}, token_from=url)
    assert "Approved by Chae Ardley" in coordinator.get(url), "the minutes were not approved"
    referrer.get(url)
    assert m["action description"] in referrer.get(f"{url}/actions")
    coordinator.get(f"{url}/actions?agency={world.idva}")


def research(coordinator: Browser, referrer: Browser, case_id: int, meeting_id: int) -> None:
    """The referrer records what their agency shares on the case for the meeting (held today:
    research is allowed on the day); the coordinator reads it."""
    url = f"/meetings/{meeting_id}/cases/{case_id}/research"
    referrer.post(url, {"shared": MARKERS["research shared"], "seen": "0"})
    assert MARKERS["research shared"] in coordinator.get(url), "the research was not saved"


def emergency_access(world: World, bystander: Browser, coordinator: Browser, case_id: int) -> None:
    """The bystander breaks glass on the case; the coordinator reviews it."""
    with world.app.app_context():
        reference = db.session.get_one(Case, case_id).reference
    bystander.get(f"/cases/{case_id}", expect=404)
    reason = f"Police report a threat tonight and nobody answers {MARKERS['emergency reason']}"
    bystander.post(
        "/emergency-access",
        {
            "reference": reference,
            "reason_code": "immediate_risk",
            "reason": reason,
            "code": world.fresh_code(BYSTANDER),
        },
    )
    assert MARKERS["victim family name"] in bystander.get(f"/cases/{case_id}")
    grant = world.one(BreakGlassGrant, case_id=case_id)
    coordinator.get("/alerts")
    coordinator.post(
        f"/alerts/{grant}/review", {"outcome": "justified", "note": MARKERS["review note"]}
    )
    coordinator.get(f"/alerts/{grant}/review")
    # A request beyond the limits (made directly: the limits are tested elsewhere), which the
    # coordinator declines with a reason.
    bystander_id = world.user_id(BYSTANDER)
    with world.app.app_context():
        case = db.session.get_one(Case, case_id)
        request = BreakGlassGrant(
            case=case,
            data_key=case.data_key,
            user_id=bystander_id,
            reason_code=BreakGlassReason.IMMEDIATE_RISK,
            requested_at=utcnow(),
            approval_needed=True,
            reason=f"Another threat tonight {MARKERS['request reason']}",
        )
        db.session.add(request)
        db.session.commit()
        request_id = request.id
    coordinator.get(f"/alerts/{request_id}/decide")
    coordinator.post(
        f"/alerts/{request_id}/decide", {"decision": "decline", "note": MARKERS["decline reason"]}
    )
    coordinator.get(f"/alerts/{request_id}/decide")


def transfer(world: World, coordinator: Browser, case_id: int) -> None:
    """The case moves to Markerby's MARAC, which the coordinator also coordinates."""
    coordinator.post(
        f"/cases/{case_id}/transfer",
        {
            "to_panel_id": str(world.markerby),
            "reason": MARKERS["transfer reason"],
            "transferred_on": day(-1),
            "lawful_basis": "public_task_safeguarding",
            "consent": "not_sought_unsafe",
            "without_agreement_reason": MARKERS["transfer without agreement"],
        },
    )
    coordinator.get(f"/cases/{case_id}")
    coordinator.get(f"/cases/{case_id}/sharing")


def case_review(world: World, coordinator: Browser) -> None:
    """An ASB Case Review application from receipt to the appeal decision."""
    m = MARKERS
    coordinator.post(
        "/case-reviews/new",
        {
            "panel_id": str(world.community),
            "received_on": day(-30),
            "applicant": "third_party",
            "applicant_name": m["applicant name"],
            "applicant_contact": m["applicant contact"],
            "victim_name": m["review victim name"],
            "victim_consented": "y",
            "description": m["application description"],
        },
    )
    application = world.one(CaseReviewApplication, panel_id=world.community)
    url = f"/case-reviews/{application}"
    coordinator.post(
        f"{url}/complaints/new",
        {
            "incident": "new",
            "behaviour_on": day(-45),
            "incident_description": m["incident description"],
            "agency": str(world.housing),
            "complained_on": day(-44),
        },
    )
    steps: list[tuple[str, dict[str, str | list[str]]]] = [
        ("acknowledge", {"on": day(-29)}),
        ("threshold", {"on": day(-25), "met": "yes", "reason": m["threshold reason"]}),
        ("meeting", {"on": day(-20)}),
        (
            "outcome",
            {"on": day(-15), "recommendations_made": "yes", "action_plan": m["action plan"]},
        ),
        ("appeal", {"on": day(-10), "grounds": m["appeal grounds"]}),
        ("appeal-decision", {"on": day(-5), "upheld": "no", "reason": m["appeal decision reason"]}),
    ]
    for step, data in steps:
        coordinator.post(f"{url}/{step}", data, token_from=url)
    coordinator.get(url)


def subject_access(world: World, auditor: Browser, second: Browser) -> None:
    """The perpetrator asks for their records: confirmed, extended, approved by a second
    auditor, the bundle opened and a withheld referral's disclosure decided. A second
    request is refused."""
    m = MARKERS
    request_form: dict[str, str | list[str]] = {
        "received_on": day(-10),
        "regime": "uk_gdpr",
        "requester_name": m["requester name"],
        "requester_contact": m["requester contact"],
        "identity_evidence": m["identity evidence"],
        "subject_given_names": m["subject given names"],
        "subject_family_name": m["perpetrator family name"],
        "subject_date_of_birth": list(PERPETRATOR_BORN),
    }
    url = auditor.post("/audit/subject-access/new", request_form).location
    page = auditor.get(url)
    person = re.search(r'name="subjects-people"[^>]*value="(\d+)"', page)
    assert person, "the perpetrator was not offered as a candidate: nothing to confirm"
    auditor.post(f"{url}/subjects", {"subjects-people": person.group(1)}, token_from=url)
    auditor.post(
        f"{url}/extend",
        {"extend-months": "1", "extend-reason": m["extension reason"], "extend-on": day(-5)},
        token_from=url,
    )
    second.post(f"{url}/approve", {}, token_from=url)
    bundle = auditor.get(f"{url}/bundle")
    assert m["victim family name"] in bundle  # a third party, marked for redaction
    link = re.search(r'href="(/audit/subject-access/\d+/referrals/\d+/disclosure)"', bundle)
    assert link, "no withheld referral to decide on: nothing was tested"
    auditor.post(link.group(1), {"reason": m["disclosure reason"], "on": day(-2)})
    auditor.get(f"{url}/bundle")
    refused = auditor.post(
        "/audit/subject-access/new",
        request_form | {"requester_name": m["refusal requester name"]},
    ).location
    auditor.post(
        f"{refused}/refuse",
        {"refuse-reason": m["refusal reason"], "refuse-on": day(-1)},
        token_from=refused,
    )
    auditor.get(refused)
    with world.app.app_context():
        assert len(db.session.scalars(select(SubjectAccessRequest)).all()) == 2


def searches(coordinator: Browser) -> None:
    """A person search that finds the victim, and one that finds nobody."""
    found = coordinator.post(
        "/cases",
        {
            "given_names": MARKERS["victim given names"],
            "family_name": MARKERS["victim family name"],
            "date_of_birth": list(VICTIM_BORN),
        },
        expect=200,
    )
    assert "There is a problem" not in found.text, "the search was refused: nothing was tested"
    assert "MARAC-" in found.text, "the search found nothing: nothing was tested"
    nobody = coordinator.post(
        "/cases",
        {
            "given_names": MARKERS["searched given names"],
            "family_name": MARKERS["searched family name"],
            "date_of_birth": list(VICTIM_BORN),
        },
        expect=200,
    )
    assert "There is a problem" not in nobody.text


def extracts(world: World, coordinator: Browser) -> None:
    """The coordinator's extracts of the panel's referrals without names, as CSV and XLSX, made
    by the job: the crawl downloads them (names are in a named extract by design; everything
    else the referral holds must stay out, free text above all)."""
    for file_format in ("csv", "xlsx"):
        coordinator.post(
            "/reports/extracts/new",
            {
                "panel_ids": [str(world.marac)],
                "personal": "no",
                "file_format": file_format,
                "code": world.fresh_code(COORDINATOR),
            },
        )
    with world.app.app_context():
        jobs.run_pending()  # the extracts, and the emails the world's changes queued
        made = select(func.count()).where(Extract.status == ExtractStatus.READY)
        assert db.session.scalar(made) == 2


# Every page, as every member -------------------------------------------------------------------

# Which table each URL argument's ids come from; every row's id is tried.
ID_TABLES = {
    "case_id": "cases",
    "referral_id": "referrals",
    "action_id": "case_actions",
    "application_id": "case_review_applications",
    "request_id": "subject_access_requests",
    "meeting_id": "meetings",
    "grant_id": "break_glass_grants",
    "panel_id": "panels",
    "organisation_id": "organisations",
    "user_id": "users",
    "agreement_id": "isp_agreements",
    "signatory_id": "isp_signatories",
    "extract_id": "report_extracts",
}
OTHER_VALUES = {"section": ["about", "people", "safety", "risk"], "role": ["victim"]}


def crawl(world: World) -> None:
    """Open every GET route of the route map as every signed-in member, with every object."""
    with world.app.app_context():
        ids = {
            name: [
                str(row)
                for row in db.session.scalars(
                    select(column("id", Integer)).select_from(sql_table(table)).order_by("id")
                )
            ]
            for name, table in ID_TABLES.items()
        }
    for rule in sorted(get_rules(), key=lambda rule: rule.rule):
        names = sorted(rule.arguments)
        values = [ids.get(name) or OTHER_VALUES.get(name) or choices(rule, name) for name in names]
        # Every value of every argument once (not every combination, which grows too fast).
        rows = max((len(options) for options in values), default=1)
        for row in range(rows):
            combination = [options[row % len(options)] for options in values]
            given = {n: v for n, v in zip(names, combination, strict=True) if v}
            url = url_for_rule(rule, **given)
            for email, browser in world.browsers.items():
                response = browser.client.get(url)
                assert response.status_code < 500, (url, response.status_code)
                if "attachment" in response.headers.get("Content-Disposition", ""):
                    world.capture.exports[f"{url} for {email}"] = readable(response.get_data())
                else:
                    world.capture.shown.append(response.text)
                world.capture.crawled += 1
            world.capture.visited.add(rule.endpoint)


def readable(download: bytes) -> bytes:
    """A download's text: an XLSX (a zip) as its members' contents, anything else as sent."""
    if not download.startswith(b"PK\x03\x04"):
        return download
    with zipfile.ZipFile(io.BytesIO(download)) as archive:
        return b"\n".join(archive.read(name) for name in archive.namelist())


def choices(rule: Rule, argument: str) -> list[str]:
    """Every value an `any(...)` part of a URL takes (an export's formats, say), else a
    placeholder."""
    converter = rule._converters[argument]
    return sorted(converter.items) if hasattr(converter, "items") else [""]


def get_rules() -> list[Rule]:
    return [rule for rule in RULES if "GET" in (rule.methods or ())]


# Running it once for the module ---------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("markers")
    shutil.copy(migrated_sqlite, directory / "test.db")
    settings = make_settings(directory)
    app = create_app(settings)
    with app.app_context():
        limiter.reset()
    capture = Capture()
    built = build(app, settings, capture)
    with recording(app, capture):
        play(built)
    yield built
    with app.app_context():
        db.engine.dispose()


def play(world: World) -> None:
    referrer = world.sign_in(REFERRER)
    coordinator = world.sign_in(COORDINATOR)
    chair = world.sign_in(CHAIR)
    bystander = world.sign_in(BYSTANDER)
    auditor = world.sign_in(AUDITOR)
    second = world.sign_in(SECOND_AUDITOR)
    world.sign_in(ADMIN)
    world.sign_in(MANAGER)
    marac, case_id, _ = referrals(world, referrer, coordinator)
    meeting_id = meeting(world, coordinator, referrer, chair, marac)
    case_work(world, coordinator, referrer, case_id, meeting_id)
    minutes(world, coordinator, chair, referrer, case_id, meeting_id)
    research(coordinator, referrer, case_id, meeting_id)
    emergency_access(world, bystander, coordinator, case_id)
    case_review(world, coordinator)
    subject_access(world, auditor, second)
    searches(coordinator)
    extracts(world, coordinator)
    transfer(world, coordinator, case_id)
    crawl(world)
    export = auditor.client.get("/audit/export.csv")
    assert export.status_code == 200
    assert export.mimetype == "text/csv"
    world.capture.export = export.get_data(as_text=True)
    # Signing out, then following a link to a case: the address kept for after signing in
    # again must not carry a marker either.
    for browser in world.browsers.values():
        browser.post("/sign-out", {}, token_from="/account")
        assert browser.client.get(f"/cases/{case_id}").status_code == 302
        assert browser.client.get("/sign-in").status_code == 200


@contextmanager
def recording(app: Flask, capture: Capture) -> Iterator[None]:
    """While open: every logger records everything at DEBUG into the capture, and each
    request's line, redirect and cookies, and the sessions table after it, are kept."""
    # Alembic's logging set-up (run by the migrations) disables the loggers that existed before
    # it and quietens SQLAlchemy's; here every logger records everything, SQL statements and
    # their parameters included, as if someone had turned on the most verbose logging.
    loggers = [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.disabled, logger.level) for logger in loggers]
    root_level = logging.root.level

    def finished(sender: Flask, response: Response, **_: object) -> None:
        """After the response is finalised (the session saved): what logs and browsers keep,
        and the sessions table as it now stands, read past SQLAlchemy (and its log)."""
        capture.requests.append(
            f"{request.method} {request.full_path} {request.referrer} {response.status_code} "
            f"{response.location} {response.headers.getlist('Set-Cookie')}"
        )
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT * FROM server_sessions")
            capture.sessions.append(repr(cursor.fetchall()))
        finally:
            connection.close()

    for logger in loggers:
        logger.disabled = False
        logger.setLevel(logging.DEBUG)
    logging.root.setLevel(logging.DEBUG)
    logging.root.addHandler(capture.log)  # every logger's records propagate to the root
    request_finished.connect(finished, app)
    try:
        yield
    finally:
        request_finished.disconnect(finished, app)
        logging.root.removeHandler(capture.log)
        logging.root.setLevel(root_level)
        for logger, was_disabled, level in saved:
            logger.disabled = was_disabled
            logger.setLevel(level)


# The tests -------------------------------------------------------------------------------------


def test_every_marker_is_shown_on_some_page(world: World) -> None:
    """The markers went in: each is on a page that shows it, so the absence checks below are
    not passing on an empty database."""
    shown = "\n".join(world.capture.shown)
    missing = [name for name, marker in MARKERS.items() if marker not in shown]
    assert missing == []


def test_every_page_was_opened_by_every_member(world: World) -> None:
    """Every GET route of the route map: a new page is exercised without anyone listing it."""
    assert world.capture.visited == {rule.endpoint for rule in get_rules()}
    assert world.capture.crawled > len(world.browsers) * len(get_rules())


def test_no_marker_reaches_the_logs(world: World) -> None:
    # SQLAlchemy's statement log shows the sign-in's audit row, so the capture works.
    lines = world.capture.log.lines
    assert any("auth:two_factor_passed" in line for line in lines)
    assert leaks("\n".join(lines)) == []


def test_no_marker_reaches_an_email_or_a_queued_job(world: World) -> None:
    """Issue 22, domain E20 and R11: every notification the scenario's changes caused is sent
    (and the morning's steps run, the digest among them); no message (headers, text, the
    link), no notification and no job's payload holds anything a marker was planted in. (The
    reminders of actions due say what an assigned action's message says: the same fields.)"""
    with world.app.app_context():
        jobs.run_daily(datetime.now(UK).replace(hour=8) + timedelta(days=60))
        payloads = [repr(m.payload) for m in db.session.scalars(select(OutboxMessage))]
        jobs.run_pending()
        kinds = set(db.session.scalars(select(Delivery.kind)))
        sent = db.session.scalar(select(func.count()).where(Delivery.status == DeliveryStatus.SENT))
        told = db.session.scalars(select(Notification)).all()
        stored = [f"{n.panel_name} {n.reference} {n.link}" for n in told]
    assert {"referral_waiting", "referral_accepted", "action_assigned"} <= kinds
    sink = world.app.config["SETTINGS"].mail.sink
    messages = [path.read_bytes() for path in sorted(sink.glob("*.eml"))]
    assert sent
    assert len(messages) == sent
    assert leaks(b"\n".join(messages)) == []
    assert leaks("\n".join(payloads + stored)) == []


def test_no_marker_reaches_a_url_a_redirect_or_a_cookie(world: World) -> None:
    """What access logs, browser history and Referer headers keep (issue 26: searched names)."""
    requests = world.capture.requests
    assert any(line.startswith("POST /cases?") for line in requests)  # the searches
    assert leaks("\n".join(requests)) == []


def test_no_marker_ever_reaches_the_sessions_table(world: World) -> None:
    """Read after every response: flash messages and the address kept for after signing in."""
    assert len(world.capture.sessions) == len(world.capture.requests)
    assert any("_flashes" in rows for rows in world.capture.sessions)
    assert any("next" in rows.lower() for rows in world.capture.sessions)
    assert leaks("\n".join(world.capture.sessions)) == []


def test_no_marker_reaches_the_audit_export(world: World) -> None:
    rows = list(csv.reader(io.StringIO(world.capture.export)))
    actions = {cell for row in rows for cell in row}
    # The export holds the trail of everything above: the note, the search, the bundle.
    assert {"case:note_added", "case:people_searched", "subject_access:bundle_viewed"} <= actions
    assert leaks(world.capture.export) == []


def test_no_marker_reaches_any_download(world: World) -> None:
    """Every file the crawl downloaded (the audit trail's CSV, the panels' aggregate reports
    and the coordinator's extracts without names, CSV and XLSX unzipped): none holds personal
    data."""
    assert any(url.startswith("/audit/export.csv") for url in world.capture.exports)
    assert sum(url.startswith("/reports/extracts/") for url in world.capture.exports) == 2
    found = {url: leaks(body) for url, body in world.capture.exports.items()}
    assert {url: fields for url, fields in found.items() if fields} == {}


def database_files(world: World) -> list[Path]:
    database = Path(world.settings.database_url.removeprefix("sqlite:///"))
    return [database, database.with_name(database.name + "-wal")]


def every_row(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, read with plain SQL past the app and its models."""
    with sqlite3.connect(path) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        # The names come from sqlite_master, not from any input.
        return {
            table: connection.execute(f'SELECT * FROM "{table}"').fetchall()  # noqa: S608
            for table in tables
        }


def test_no_marker_reaches_the_audit_rows(world: World) -> None:
    rows = every_row(database_files(world)[0])["audit_events"]
    assert len(rows) > 500
    assert leaks(repr(rows)) == []


def test_no_marker_is_in_any_column_of_any_table(world: World) -> None:
    """Sealed columns hold ciphertext; a column in clear holding a marker is a leak (R11)."""
    tables = every_row(database_files(world)[0])
    for table in ("referrals", "case_notes", "case_actions", "case_action_updates", "people"):
        assert tables[table], f"{table} is empty: nothing was tested"
    found = {table: leaks(repr(rows)) for table, rows in tables.items()}
    assert {table: fields for table, fields in found.items() if fields} == {}


def test_no_marker_is_in_the_database_file_in_clear(world: World) -> None:
    with world.app.app_context():
        db.session.remove()
        db.engine.dispose()  # closes the connections, checkpointing the WAL
    stored = b"".join(path.read_bytes() for path in database_files(world) if path.exists())
    assert len(stored) > 100_000
    assert leaks(stored) == []
