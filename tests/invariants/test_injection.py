"""Injection: sqlmap against the search, filter, sort and paging parameters of the main lists.

A live server (a thread of this process, on a fresh SQLite database with the demo data) is
attacked by sqlmap (installed from PyPI with the dev extras) as a signed-in coordinator and
auditor. The parameters are read from the pages themselves: each GET form of /cases (reference
search; filters and sort), /actions, /referrals and the audit trail, with the values the page
shows (a real case reference for the reference search), plus `page`, a case access log's
`before`, and the trail's object id with a type. Each untouched request must pass validation
first, or no query would run. Techniques: boolean-based blind, error-based, UNION, stacked
queries and time-based blind (1 s), level 1, risk 1. Expected: 0 injectable. About 90 seconds.

Not covered: the person search, a POST with a CSRF token. sqlmap must then send one request at
a time, each fetching a fresh token, and every search is a real one; it took over five minutes
even without the time-based tests.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from app.database import db
from cases.models import Case
from demo import cases as demo_cases
from demo import data
from demo import referrals as demo_referrals
from tests.conftest import make_settings
from tests.invariants.test_crash_safety import Client

pytestmark = pytest.mark.slow

SQLMAP = Path(sys.executable).parent / "sqlmap"
SECRETS = {account.email: account.totp_secret for account in data.ACCOUNTS}
COORDINATOR = "coordinator.newham@demo.example"
AUDITOR = "auditor@demo.example"
SQLMAP_TIMEOUT = 300


class GetForms(HTMLParser):
    """Each GET form of a page: its fields (a name repeated, as a date's day, month and year,
    gives a list) with each input's value and each select's chosen option."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, list[str]]] = []
        self.fields: dict[str, list[str]] | None = None
        self.select: str | None = None
        self.chosen = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            if found.get("method", "get").lower() == "get":
                self.fields = {}
                self.forms.append(self.fields)
        elif self.fields is None:
            return
        elif tag == "input" and found.get("name") and found.get("type") != "submit":
            self.fields.setdefault(found["name"], []).append(found.get("value", ""))
        elif tag == "select" and found.get("name"):
            self.select, self.chosen = found["name"], False
            self.fields[self.select] = []
        elif (tag == "option" and self.select) and (
            not self.fields[self.select] or ("selected" in found and not self.chosen)
        ):
            self.fields[self.select] = [found.get("value", "")]
            self.chosen = "selected" in found

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.fields = None
        elif tag == "select":
            self.select = None


def get_forms(client: Client, path: str) -> list[dict[str, str | list[str]]]:
    """The page's GET forms, each with the paging parameter added."""
    status, _, page = client.open(path)
    assert status == 200, (path, status)
    parser = GetForms()
    parser.feed(page)
    return [
        {name: values[0] if len(values) == 1 else values for name, values in form.items()}
        | {"page": "1"}
        for form in parser.forms
    ]


@dataclass(frozen=True)
class Target:
    who: str
    path: str
    parameters: dict[str, str | list[str]]  # a list: the name repeated, as a date's parts


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, str]]:
    """The demo data served on a random port; yields its address, a case's id and reference."""
    app = create_app(make_settings(tmp_path_factory.mktemp("injection")))
    with app.app_context():
        upgrade()
        data.seed()
        db.session.commit()
        demo_cases.seed()
        demo_referrals.seed(scale=0.05)
        db.session.commit()
        case = db.session.scalars(select(Case).order_by(Case.id)).first()
        assert case is not None
        case_id, reference = case.id, case.reference
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="sqlmap-target", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", case_id, reference
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    with app.app_context():
        db.engine.dispose()


def sqlmap(base: str, client: Client, target: Target, output: Path) -> str:
    """Run sqlmap on one target; return its output."""
    query = urllib.parse.urlencode(target.parameters, doseq=True)
    command = [
        str(SQLMAP),
        "--batch",
        "--disable-coloring",
        "--flush-session",
        f"--output-dir={output}",
        f"--cookie={client.cookie_header()}",
        "--level=1",
        "--risk=1",
        "--dbms=SQLite",
        "--time-sec=1",
        "-p",
        ",".join(target.parameters),
    ]
    command += [f"--url={base}{target.path}?{query}", "--technique=BEUST", "--threads=4"]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=SQLMAP_TIMEOUT, check=False
    )
    return result.stdout + result.stderr


def targets(case_id: int, reference: str, clients: dict[str, Client]) -> list[Target]:
    auditor = clients[AUDITOR]
    pages = [(COORDINATOR, "/cases"), (COORDINATOR, "/actions"), (COORDINATOR, "/referrals")]
    found = [
        Target(who, path, form)
        for who, path in pages
        for form in get_forms(clients[who], path) or [{"page": "1"}]
    ]
    # The filter forms really were found: the case list's sort and reference search, which
    # gets a real reference (an empty one is refused before any query).
    assert {"sort", "reference"} <= {name for target in found for name in target.parameters}
    for target in found:
        if "reference" in target.parameters:
            target.parameters["reference"] = reference
    audit_forms = get_forms(auditor, "/audit/")
    assert any({"action", "object_id"} <= set(form) for form in audit_forms)
    return [
        *found,
        *(Target(AUDITOR, "/audit/", form) for form in audit_forms),
        Target(COORDINATOR, f"/cases/{case_id}/access-log", {"before": "1000000"}),
        # An object id is searched for only with a type: attack it with one.
        Target(AUDITOR, "/audit/", {"object_type": "cases", "object_id": "1", "page": "1"}),
    ]


def test_sqlmap_finds_nothing_injectable(live: tuple[str, int, str], tmp_path: Path) -> None:
    base, case_id, reference = live
    clients = {}
    for email in (COORDINATOR, AUDITOR):
        clients[email] = Client(base)
        clients[email].sign_in(email, SECRETS[email], data.DEMO_PASSWORD)
    report = []
    for number, target in enumerate(targets(case_id, reference, clients)):
        client = clients[target.who]
        # The untouched request must pass validation, or no query would run.
        query = urllib.parse.urlencode(target.parameters, doseq=True)
        status, _, page = client.open(f"{target.path}?{query}")
        expected = 302 if "reference" in target.parameters else 200  # to the case
        assert (status, "There is a problem" in page) == (expected, False), target
        started = time.monotonic()
        output = sqlmap(base, client, target, tmp_path / str(number))
        label = f"GET {target.path} {list(target.parameters)}"
        assert "identified the following injection point" not in output, label + "\n" + output
        assert "do not appear to be injectable" in output, label + "\n" + output[-3000:]
        # Still signed in: sqlmap attacked the list itself, not the sign-in page.
        assert client.open(target.path)[0] == 200, label
        report.append(f"{label}: 0 injectable ({time.monotonic() - started:.0f} s)")
    print("\n" + "\n".join(report))
