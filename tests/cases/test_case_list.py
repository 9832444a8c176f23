"""The coordinator's case list (filters, sort, reference search, pagination, forged values, the
query budget, its audit record) and the case page's referrals, risk assessments, transfers and
timeline. Rows are made directly with the models: screening copies referral state onto the
case, and these tests only read what it wrote."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy import select

from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from app.keys.models import KeyPurpose
from app.keys.store import key_store
from app.routing import page_numbers
from audit.models import AuditAction
from audit.models import AuditEvent
from audit.models import Outcome
from cases import queries
from cases import views
from cases.models import Case
from cases.models import CaseNote
from cases.models import CasePerson
from cases.models import CaseRole
from cases.models import Person
from cases.referrals.models import CaseTransfer
from cases.referrals.models import Referral
from cases.referrals.models import RiskAssessment
from panels.instruments.dash import DASH_ITEMS
from panels.models import Area
from panels.models import Meeting
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import Criterion
from panels.types.common import MeetingCadence
from panels.types.common import PanelType
from panels.types.common import ReferralStatus
from panels.types.common import RepeatDefinition
from panels.types.common import RiskLevel
from panels.types.common import RiskTool
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.referral_fixtures import sign_for_members

COORDINATOR = "coordinator@test.example"
OUTSIDER = "outsider-rep@test.example"
TODAY = date(2026, 5, 1)  # the UK day the list is asked for (patched: no wall clock)


@dataclass(frozen=True)
class Ids:
    marac: int  # the coordinator's MARAC
    community: int  # the coordinator's Community MARAC
    away: int  # a MARAC the coordinator does not sit on
    coordinator: int
    agency: int


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "uk_today", lambda: TODAY)


def text_of(page: str) -> str:
    return html.unescape(page)


def panel(area: str, panel_type: PanelType, name: str) -> Panel:
    return Panel(
        area=Area(name=area),
        name=name,
        panel_type=panel_type,
        meeting_cadence=MeetingCadence.MONTHLY,
    )


@pytest.fixture
def ids(app: Flask, accounts: Accounts) -> Ids:
    coordinator = accounts.user(COORDINATOR, organisation="Harrowgate Council", name="Cora Ord")
    outsider = accounts.user(OUTSIDER, organisation="Farmoor Health", name="Otto Side")
    agency = accounts.organisation_id("Harrowgate Police")
    with app.app_context():
        marac = panel("Harrowgate", PanelType.MARAC, "Harrowgate MARAC")
        community = Panel(
            area=marac.area,
            name="Harrowgate Community MARAC",
            panel_type=PanelType.COMMUNITY_MARAC,
            meeting_cadence=MeetingCadence.MONTHLY,
        )
        away = panel("Farmoor", PanelType.MARAC, "Farmoor MARAC")
        db.session.add_all(
            [
                PanelMembership(panel=marac, user_id=coordinator.id, role=PanelRole.COORDINATOR),
                PanelMembership(
                    panel=community, user_id=coordinator.id, role=PanelRole.COORDINATOR
                ),
                PanelMembership(panel=away, user_id=outsider.id, role=PanelRole.COORDINATOR),
            ]
        )
        db.session.flush()
        sign_for_members()
        db.session.commit()
        return Ids(marac.id, community.id, away.id, coordinator.id, agency)


@pytest.fixture
def coordinator(client: FlaskClient, ids: Ids, sign_in: SignIn) -> FlaskClient:
    return sign_in(client, COORDINATOR)


def make_case(
    panel_id: int, *, person: tuple[str, str] = ("Test", "Person"), **fields: Any
) -> Case:
    """A case with one victim; `fields` are what screening would have copied onto it."""
    fields.setdefault("opened_on", date(2026, 1, 5))
    case = Case(panel_id=panel_id, data_key=key_store().new_key(KeyPurpose.CASE), **fields)
    given, family = person
    someone = Person(
        data_key=key_store().new_key(KeyPurpose.PERSON), given_names=given, family_name=family
    )
    db.session.add_all([case, CasePerson(case=case, person=someone, role=CaseRole.VICTIM)])
    db.session.flush()
    return case


def add_cases(app: Flask, panel_id: int, count: int, **fields: Any) -> list[int]:
    with app.app_context():
        made = [make_case(panel_id, person=("Bulk", f"Case{n}"), **fields) for n in range(count)]
        db.session.commit()
        return [case.id for case in made]


def ref(case_id: int, prefix: str = "MARAC") -> str:
    return f"{prefix}-{case_id:06d}"


def listed_refs(page: str) -> list[str]:
    """The references in the case table, in the order shown."""
    table = page.split('<tbody class="govuk-table__body">', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'href="/cases/\d+">([A-Z]+-\d{6})</a>', table)


def events_of(app: Flask, action: AuditAction) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.sequence)
        ).all()
        db.session.expunge_all()
        return list(rows)


@pytest.fixture
def varied(app: Flask, ids: Ids) -> dict[str, int]:
    """Cases that differ in each thing the list filters and sorts on."""
    with app.app_context():
        cases = {
            "high_repeat": make_case(
                ids.marac,
                person=("Ilse", "Varrow"),
                opened_on=date(2025, 6, 1),
                stage=ReferralStatus.LISTED,
                risk_level=RiskLevel.HIGH,
                is_repeat=True,
                referral_count=2,
                last_referred_on=date(2026, 4, 20),
                flag_expires_on=date(2027, 4, 20),
                next_meeting_on=date(2026, 5, 14),
            ),
            "medium": make_case(
                ids.marac,
                person=("Jory", "Penhallow"),
                opened_on=date(2026, 3, 2),
                stage=ReferralStatus.ACCEPTED,
                risk_level=RiskLevel.MEDIUM,
                referral_count=1,
                last_referred_on=date(2026, 3, 2),
                flag_expires_on=date(2027, 3, 2),
            ),
            "heard_past": make_case(
                ids.community,
                person=("Kestrel", "Amory"),
                opened_on=date(2025, 2, 10),
                stage=ReferralStatus.HEARD,
                risk_level=RiskLevel.STANDARD,
                is_repeat=True,
                referral_count=3,
                last_referred_on=date(2025, 3, 1),
                flag_expires_on=date(2026, 3, 1),
                next_meeting_on=date(2026, 4, 9),  # already past on TODAY
            ),
            "never_referred": make_case(
                ids.marac, person=("Lowen", "Tresize"), opened_on=date(2026, 4, 28)
            ),
            "away": make_case(
                ids.away,
                person=("Morwenna", "Quill"),
                stage=ReferralStatus.LISTED,
                risk_level=RiskLevel.HIGH,
                is_repeat=True,
                last_referred_on=date(2026, 4, 25),
                next_meeting_on=date(2026, 5, 14),
            ),
        }
        db.session.commit()
        return {name: case.id for name, case in cases.items()}


def refs(varied: dict[str, int], *names: str) -> list[str]:
    return [ref(varied[name], "CMARAC" if name == "heard_past" else "MARAC") for name in names]


# The rows ------------------------------------------------------------------------------------


def test_each_row_shows_stage_risk_repeat_flag_expiry_last_referred_and_next_meeting(
    coordinator: FlaskClient, varied: dict[str, int]
) -> None:
    """Domain §2.5: a repeat shows its tag and when its flag expires, or that it has expired;
    a case that is not a repeat never reads as one (issue 25: it read "No", then "Flag expires")."""
    page = text_of(coordinator.get("/cases").text)

    row = row_of(page, ref(varied["high_repeat"]))
    for shown in (
        "Harrowgate MARAC",
        "Ilse Varrow (victim)",
        "Listed for a meeting",
        "High risk",
        REPEAT_TAG,
        "Flag expires 20 Apr 2027",
        "20 Apr 2026",
        "14 May 2026",
    ):
        assert shown in row, shown
    past = row_of(page, ref(varied["heard_past"], "CMARAC"))
    assert REPEAT_TAG in past
    assert "Flag expired 1 Mar 2026" in past
    medium = row_of(page, ref(varied["medium"]))
    assert REPEAT_TAG not in medium
    assert "Flag" not in medium
    assert "Not a repeat. </span>A new referral by 2 Mar 2027 would be a repeat" in medium
    never = row_of(page, ref(varied["never_referred"]))
    for shown in ("Not referred", "Risk not recorded", "Not a repeat", "Never", "Not listed"):
        assert shown in never, shown
    assert "Flag" not in never
    assert "referral by" not in never
    assert "4 cases on your panels" in page
    assert ref(varied["away"]) not in page
    assert "Quill" not in page


REPEAT_TAG = '<strong class="govuk-tag govuk-tag--orange">Repeat</strong>'


def row_of(page: str, reference: str) -> str:
    return page.split(f">{reference}</a>", 1)[1].split("</tr>", 1)[0]


def test_a_case_that_is_not_a_repeat_says_what_a_new_referral_would_be(
    app: Flask, coordinator: FlaskClient, ids: Ids
) -> None:
    """Domain §2.5: within the window a new referral is a repeat; where the panel's rule counts
    referrals (Community MARAC) it counts towards one; after it, the window has closed."""
    with app.app_context():
        counted = make_case(
            ids.community,
            stage=ReferralStatus.ACCEPTED,
            referral_count=1,
            last_referred_on=date(2026, 4, 2),
            flag_expires_on=date(2027, 4, 2),
        )
        closed = make_case(
            ids.marac,
            stage=ReferralStatus.HEARD,
            referral_count=1,
            last_referred_on=date(2025, 4, 30),
            flag_expires_on=date(2026, 4, 30),  # the day before TODAY
        )
        last_day = make_case(
            ids.marac,
            stage=ReferralStatus.HEARD,
            referral_count=1,
            last_referred_on=date(2025, 5, 1),
            flag_expires_on=TODAY,  # the expiry day is still in the window
        )
        db.session.commit()
        references = ref(counted.id, "CMARAC"), ref(closed.id), ref(last_day.id)

    page = text_of(coordinator.get("/cases").text)

    counted_row, closed_row, last_day_row = (row_of(page, r) for r in references)
    assert "Not a repeat. </span>Referrals by 2 Apr 2027 count towards a repeat" in counted_row
    assert "Not a repeat. </span>Repeat window closed 30 Apr 2026" in closed_row
    assert "Not a repeat. </span>A new referral by 1 May 2026 would be a repeat" in last_day_row
    assert REPEAT_TAG not in counted_row + closed_row + last_day_row


# Sort ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ("high_repeat", "medium", "heard_past", "never_referred")),
        ("last_referred", ("high_repeat", "medium", "heard_past", "never_referred")),
        ("opened", ("never_referred", "medium", "high_repeat", "heard_past")),
        ("reference", ("high_repeat", "medium", "heard_past", "never_referred")),
        ("next_meeting", ("heard_past", "high_repeat", "medium", "never_referred")),
    ],
)
def test_sort_orders_with_cases_never_referred_or_listed_last(
    coordinator: FlaskClient, varied: dict[str, int], sort: str | None, expected: tuple[str, ...]
) -> None:
    query = {"sort": sort} if sort else {}
    page = coordinator.get("/cases", query_string=query).text

    assert listed_refs(page) == refs(varied, *expected)


def test_equal_sort_values_are_ordered_by_id_so_pages_never_overlap(
    app: Flask, coordinator: FlaskClient, ids: Ids, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = add_cases(app, ids.marac, 7, last_referred_on=date(2026, 2, 2))
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)

    shown = [
        ref_
        for number in (1, 2, 3)
        for ref_ in listed_refs(coordinator.get(f"/cases?page={number}").text)
    ]

    assert shown == [ref(case_id) for case_id in sorted(made, reverse=True)]


# Eleven cases with tied and missing dates: pages of three, so pages 3 and 4 are read from the
# list's end and pages 1 and 2 from its start.
SORT_DATES = [
    (date(2026, 3, 1), None, date(2026, 1, 5)),
    (None, date(2026, 5, 7), date(2026, 1, 6)),
    (date(2026, 3, 1), date(2026, 5, 7), date(2026, 1, 5)),
    (date(2026, 1, 9), None, date(2026, 1, 7)),
    (None, None, date(2026, 1, 5)),
    (date(2026, 4, 2), date(2026, 6, 1), date(2026, 1, 8)),
    (date(2026, 3, 1), date(2026, 5, 7), date(2026, 1, 9)),
    (None, date(2026, 4, 30), date(2026, 1, 6)),
    (date(2026, 2, 2), None, date(2026, 1, 5)),
    (date(2026, 4, 2), date(2026, 6, 1), date(2026, 1, 7)),
    (date(2026, 2, 2), date(2026, 5, 7), date(2026, 1, 8)),
]


def in_sort_order(cases: list[Case], sort: queries.CaseSort) -> list[int]:
    """The list's order as the page says it: newest first, undated last, ties by id."""
    keys = {
        queries.CaseSort.LAST_REFERRED: lambda c: (
            c.last_referred_on is None,
            -(c.last_referred_on or TODAY).toordinal(),
            -c.id,
        ),
        queries.CaseSort.OPENED: lambda c: (-c.opened_on.toordinal(), -c.id),
        queries.CaseSort.REFERENCE: lambda c: (c.id,),
        queries.CaseSort.NEXT_MEETING: lambda c: (
            c.next_meeting_on is None,
            (c.next_meeting_on or TODAY).toordinal(),
            c.id,
        ),
    }
    return [case.id for case in sorted(cases, key=keys[sort])]


def check_every_page_of_every_sort(app: Flask, user_id: int, panel_id: int) -> None:
    with app.app_context():
        cases = [
            make_case(
                panel_id, last_referred_on=referred, next_meeting_on=meeting, opened_on=opened
            )
            for referred, meeting, opened in SORT_DATES
        ]
        db.session.commit()
        user = db.session.get_one(User, user_id)
        for sort in queries.CaseSort:
            shown = []
            for page in (1, 2, 3, 4):
                listing = queries.cases_for(
                    user, queries.CaseFilters(sort=sort), page=page, today=TODAY
                )
                assert (listing.total, listing.pages) == (11, 4)
                shown += [case.id for case in listing.cases]
            assert shown == in_sort_order(cases, sort), sort


def test_every_page_of_every_sort_follows_the_order_from_either_end(
    app: Flask, ids: Ids, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages past the middle are read from the list's end (cases/queries.py::_page_ids)."""
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    check_every_page_of_every_sort(app, ids.coordinator, ids.marac)


# Filters -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"stage": "listed"}, ("high_repeat",)),
        ({"stage": "heard"}, ("heard_past",)),
        ({"risk": "high"}, ("high_repeat",)),
        ({"risk": "standard"}, ("heard_past",)),
        ({"repeat": "yes"}, ("high_repeat", "heard_past")),
        ({"repeat": "no"}, ("medium", "never_referred")),
        ({"listing": "upcoming"}, ("high_repeat",)),
        ({"listing": "not_listed"}, ("medium", "heard_past", "never_referred")),
        (
            {"meeting_on": ["14", "5", "2026"]},
            ("high_repeat",),
        ),
        ({"stage": "accepted", "risk": "high"}, ()),
    ],
)
def test_filters_narrow_the_list_to_the_users_matching_cases(
    coordinator: FlaskClient,
    varied: dict[str, int],
    query: dict[str, Any],
    expected: tuple[str, ...],
) -> None:
    response = coordinator.get("/cases", query_string=query)

    assert response.status_code == 200
    page = text_of(response.text)
    assert listed_refs(page) == refs(varied, *expected)
    noun = "case" if len(expected) == 1 else "cases"
    assert f"{len(expected)} {noun} matching your filters on your panels" in page
    # The away panel's case matches the listed/high/repeat filters but is never shown.
    assert ref(varied["away"]) not in page


def test_the_panel_filter_offers_only_the_users_panels_and_narrows_to_one(
    coordinator: FlaskClient, ids: Ids, varied: dict[str, int]
) -> None:
    page = text_of(coordinator.get("/cases").text)
    assert f'<option value="{ids.marac}">Harrowgate MARAC</option>' in page
    assert f'<option value="{ids.community}">Harrowgate Community MARAC</option>' in page
    assert "Farmoor" not in page

    narrowed = coordinator.get("/cases", query_string={"panel": ids.community}).text

    assert listed_refs(narrowed) == refs(varied, "heard_past")


def filter_tags(page: str) -> list[tuple[str, str]]:
    """The filters-in-use summary: each tag's link and what it says."""
    if 'id="filters-in-use"' not in page:
        return []
    tags = page.split('aria-labelledby="filters-in-use"', 1)[1].split("</ul>", 1)[0]
    return [
        (html.unescape(href), re.sub(r"<[^>]+>", "", text))
        for href, text in re.findall(r'<a class="app-filter-tag" href="([^"]+)">(.*?)</a>', tags)
    ]


def test_filters_in_use_are_summarised_each_with_a_link_that_removes_it(
    coordinator: FlaskClient, ids: Ids, varied: dict[str, int]
) -> None:
    query = {
        "panel": ids.marac,
        "repeat": "yes",
        "meeting_on": ["14", "5", "2026"],
        "sort": "reference",
    }
    raw = coordinator.get("/cases", query_string=query).text

    assert filter_tags(raw) == [
        (
            "/cases?repeat=yes&meeting_on=14&meeting_on=5&meeting_on=2026&sort=reference",
            "Remove filter: Panel: Harrowgate MARAC✕",
        ),
        (
            f"/cases?panel={ids.marac}&meeting_on=14&meeting_on=5&meeting_on=2026&sort=reference",
            "Remove filter: Repeat referral: Repeat✕",
        ),
        (
            f"/cases?panel={ids.marac}&repeat=yes&sort=reference",
            "Remove filter: Listed for the meeting on: 14 May 2026✕",
        ),
    ]
    assert 'href="/cases?sort=reference">Clear filters</a>' in raw
    assert "sorted by reference number" in raw
    assert listed_refs(raw) == refs(varied, "high_repeat")
    # Folded away while the summary says what is in use; nothing to summarise without filters.
    assert '<details class="govuk-details app-case-filters">' in raw
    assert filter_tags(coordinator.get("/cases", query_string={"sort": "opened"}).text) == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"panel": "not-a-panel"}, "Select a panel from the list"),
        ({"stage": "draft"}, "Select a stage from the list"),
        ({"stage": "<script>"}, "Select a stage from the list"),
        ({"risk": "extreme"}, "Select a risk level from the list"),
        ({"repeat": "maybe"}, "Select whether the case is a repeat from the list"),
        ({"listing": "yesterday"}, "Select a meeting option from the list"),
        ({"sort": "name"}, "Select an order from the list"),
        ({"sort": ""}, "Select an order from the list"),
        ({"meeting_on": ["31", "2", "2026"]}, "Listed for the meeting on must be a real date"),
        ({"meeting_on": ["14", "", "2026"]}, "Listed for the meeting on must include a month"),
        ({"meeting_on": ["1", "2", "3", "4"]}, "Listed for the meeting on must be a real date"),
        (
            {"listing": "not_listed", "meeting_on": ["14", "5", "2026"]},
            "Leave the meeting date empty to see cases not listed at an upcoming meeting",
        ),
    ],
)
def test_forged_or_impossible_filter_values_get_a_clear_message_and_no_list(
    app: Flask,
    coordinator: FlaskClient,
    varied: dict[str, int],
    query: dict[str, Any],
    message: str,
) -> None:
    response = coordinator.get("/cases", query_string=query)

    assert response.status_code == 200
    page = text_of(response.text)
    assert "There is a problem" in page
    assert "<title>Error: " in page
    assert page.count(message) == 2  # in the summary and beside the field
    assert listed_refs_or_none(page) is None
    assert events_of(app, AuditAction.CASE_LIST_VIEWED) == []


def listed_refs_or_none(page: str) -> list[str] | None:
    return listed_refs(page) if '<tbody class="govuk-table__body">' in page else None


def test_another_panels_id_in_the_panel_filter_is_refused_not_shown(
    app: Flask, coordinator: FlaskClient, ids: Ids, varied: dict[str, int]
) -> None:
    page = text_of(coordinator.get("/cases", query_string={"panel": ids.away}).text)

    assert "Select a panel from the list" in page
    assert ref(varied["away"]) not in page
    assert "Quill" not in page


def test_the_list_read_is_recorded_with_its_filters_as_codes_never_names(
    app: Flask, coordinator: FlaskClient, ids: Ids, varied: dict[str, int]
) -> None:
    coordinator.get(
        "/cases",
        query_string={
            "panel": ids.marac,
            "stage": "listed",
            "risk": "high",
            "repeat": "yes",
            "listing": "upcoming",
            "meeting_on": ["14", "5", "2026"],
            "sort": "next_meeting",
        },
    )

    [viewed] = events_of(app, AuditAction.CASE_LIST_VIEWED)
    assert json.loads(viewed.changes or "") == {
        "filters": {
            "panel": ids.marac,
            "stage": "listed",
            "risk": "high",
            "repeat": "yes",
            "listing": "upcoming",
            "meeting_on": "2026-05-14",
            "sort": "next_meeting",
        },
        "page": [None, 1],
        "results": [None, 1],
    }
    for name in ("Harrowgate", "Ilse", "Varrow"):
        assert name not in (viewed.changes or "")


# Reference search ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["{ref}", "{lower}", "  {ref}  ", "marac-{number}", "MARAC-00000{number}"]
)
def test_a_case_reference_opens_the_case_whatever_its_case_or_leading_zeros(
    coordinator: FlaskClient, varied: dict[str, int], typed: str
) -> None:
    case_id = varied["medium"]
    reference = typed.format(ref=ref(case_id), lower=ref(case_id).lower(), number=case_id)

    response = coordinator.get("/cases", query_string={"reference": reference})

    assert response.status_code == 302
    assert response.location == f"/cases/{case_id}"


def test_a_community_marac_reference_needs_its_own_prefix(
    app: Flask, coordinator: FlaskClient, varied: dict[str, int]
) -> None:
    case_id = varied["heard_past"]
    found = coordinator.get("/cases", query_string={"reference": ref(case_id, "cmarac")})
    wrong = coordinator.get("/cases", query_string={"reference": ref(case_id)})

    assert found.status_code == 302
    assert wrong.status_code == 200
    assert f"No case you can open has the reference {ref(case_id)}" in text_of(wrong.text)


def test_another_panels_reference_gives_nothing_just_like_a_missing_one(
    app: Flask, coordinator: FlaskClient, varied: dict[str, int]
) -> None:
    away, missing = varied["away"], varied["away"] + 1000
    on_away = coordinator.get("/cases", query_string={"reference": ref(away)})
    on_missing = coordinator.get("/cases", query_string={"reference": ref(missing)})

    for response, case_id in ((on_away, away), (on_missing, missing)):
        assert response.status_code == 200
        page = text_of(response.text)
        assert "There is a problem" in page
        assert f"No case you can open has the reference {ref(case_id)}" in page
        assert f'value="{ref(case_id)}"' in page  # what was typed is kept
        assert f"/cases/{away}" not in page
        assert "Quill" not in page
    denied = events_of(app, AuditAction.ACCESS_DENIED)
    assert [(e.object_type, e.object_id, e.outcome) for e in denied] == [
        ("cases", str(away), Outcome.DENIED),
        ("cases", str(missing), Outcome.DENIED),
    ]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a case reference"),
        ("Ilse Varrow", "Enter a case reference in the format MARAC-000042"),
        ("MARAC000042", "Enter a case reference in the format MARAC-000042"),
        ("MARAC-" + "9" * 12, "No case you can open has the reference MARAC-999999999999"),
        ("M" * 41, "A case reference is 40 characters or fewer"),
    ],
)
def test_a_malformed_or_impossible_reference_says_what_is_wrong(
    coordinator: FlaskClient, varied: dict[str, int], typed: str, message: str
) -> None:
    response = coordinator.get("/cases", query_string={"reference": typed})

    assert response.status_code == 200
    assert message in text_of(response.text)


# Pagination ----------------------------------------------------------------------------------


def test_pages_hold_fifty_cases_numbered_links_keep_filters_and_the_page_is_capped(
    app: Flask, coordinator: FlaskClient, ids: Ids
) -> None:
    made = add_cases(app, ids.marac, 60, risk_level=RiskLevel.HIGH)
    add_cases(app, ids.marac, 3, risk_level=RiskLevel.MEDIUM)
    query = {"risk": "high", "sort": "reference"}

    raw_first = coordinator.get("/cases", query_string=query).text
    first = text_of(raw_first)
    second = text_of(coordinator.get("/cases", query_string={**query, "page": 2}).text)
    beyond = text_of(coordinator.get("/cases", query_string={**query, "page": 99}).text)
    nonsense = text_of(coordinator.get("/cases", query_string={**query, "page": "-3"}).text)

    assert listed_refs(first) == [ref(case_id) for case_id in made[:50]]
    assert listed_refs(second) == [ref(case_id) for case_id in made[50:]]
    assert listed_refs(beyond) == listed_refs(second)
    assert listed_refs(nonsense) == listed_refs(first)
    assert "60 cases matching your filters on your panels" in first
    assert ", page 2 of 2" in second
    assert 'href="/cases?page=2&amp;risk=high&amp;sort=reference"' in raw_first
    assert 'aria-current="page"' in second


def test_only_a_bounded_number_of_pages_can_be_reached(
    app: Flask, coordinator: FlaskClient, ids: Ids, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = add_cases(app, ids.marac, 7)
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    monkeypatch.setattr(queries, "MAX_PAGES", 2)

    page = text_of(coordinator.get("/cases", query_string={"page": 4}).text)

    assert "7 cases on your panels" in page
    assert ", page 2 of 2" in page
    assert listed_refs(page) == [ref(case_id) for case_id in sorted(made, reverse=True)[2:4]]
    assert "Only the first 4 matching cases can be paged through" in page


@pytest.mark.parametrize(
    ("page", "pages", "expected"),
    [
        (1, 1, [1]),
        (1, 3, [1, 2, 3]),
        (1, 9, [1, 2, None, 9]),
        (5, 9, [1, None, 4, 5, 6, None, 9]),
        (9, 9, [1, None, 8, 9]),
        (3, 9, [1, 2, 3, 4, None, 9]),
    ],
)
def test_page_numbers_show_the_ends_and_the_neighbours(
    page: int, pages: int, expected: list[int | None]
) -> None:
    assert page_numbers(page, pages) == expected


# Query budget --------------------------------------------------------------------------------


@contextmanager
def counted_statements(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The session store writes on its own timer, whatever the page: not the page's cost.
        if "server_sessions" not in statement and not statement.startswith("BEGIN"):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_list_issues_the_same_small_number_of_queries_for_5_and_60_cases(
    app: Flask, coordinator: FlaskClient, ids: Ids
) -> None:
    """No N+1: people, their keys and the panel come with the page, not per row."""
    add_cases(app, ids.marac, 5, stage=ReferralStatus.LISTED)
    with counted_statements(app) as few:
        assert len(listed_refs(coordinator.get("/cases").text)) == 5
    add_cases(app, ids.community, 55, stage=ReferralStatus.LISTED)
    with counted_statements(app) as many:
        assert len(listed_refs(coordinator.get("/cases").text)) == 50

    assert len(few) == len(many)
    # user, their grants, restrictions, memberships with ISP signatures, panels, count, page
    # ids, page, people, audit head and insert, the coordinator's unread alerts and unread
    # notifications (the navigation's counts)
    assert len(many) <= 13, many


# The case page -------------------------------------------------------------------------------


def dash_items() -> list[dict[str, str]]:
    items = [{"answer": "no", "source": "Victim", "comment": ""} for _ in DASH_ITEMS]
    items[0] = {"answer": "yes", "source": "Victim", "comment": "Synthetic: bruised arm"}
    items[1] = {"answer": "not_known", "source": "", "comment": "Synthetic: declined to say"}
    items[14] = {"answer": "yes", "source": "Police records", "comment": ""}
    return items


@pytest.fixture
def history_case(app: Flask, ids: Ids) -> dict[str, int]:
    """A MARAC case referred twice (the second a repeat, heard at a meeting), with a DASH,
    a note, and a transfer in from the away panel."""
    with app.app_context():
        case = make_case(
            ids.marac,
            person=("Nessa", "Carrow"),
            opened_on=date(2025, 9, 1),
            stage=ReferralStatus.HEARD,
            risk_level=RiskLevel.HIGH,
            is_repeat=True,
            referral_count=2,
            last_referred_on=date(2026, 2, 10),
            flag_expires_on=date(2027, 2, 10),
        )
        meeting = Meeting(panel_id=ids.marac, held_on=date(2026, 2, 19))
        common: dict[str, Any] = {
            "panel_id": ids.marac,
            "case": case,
            "referrer_id": ids.coordinator,
            "referring_agency_id": ids.agency,
            "risk_tool": RiskTool.DASH,
        }
        first = Referral(
            data_key=key_store().new_key(KeyPurpose.CASE),
            status=ReferralStatus.ACCEPTED,
            referred_on=date(2025, 9, 1),
            screened_at=datetime(2025, 9, 3, 10, 15, tzinfo=UTC),
            criteria=[Criterion.VISIBLE_HIGH_RISK.value],
            risk_score=16,
            risk_level=RiskLevel.HIGH,
            flag_expires_on=date(2026, 9, 1),
            **common,
        )
        db.session.add_all([meeting, first])
        db.session.flush()
        second = Referral(
            data_key=key_store().new_key(KeyPurpose.CASE),
            status=ReferralStatus.HEARD,
            referred_on=date(2026, 2, 10),
            screened_at=datetime(2026, 2, 11, 9, 0, tzinfo=UTC),
            criteria=[Criterion.REPEAT.value],
            risk_score=9,  # a repeat is accepted below the threshold (E3)
            risk_level=RiskLevel.HIGH,
            is_repeat=True,
            repeat_of_id=first.id,
            repeat_definition=RepeatDefinition.ANY_ABUSE,
            flag_expires_on=date(2027, 2, 10),
            meeting=meeting,
            **common,
        )
        db.session.add(second)
        db.session.flush()
        assessment = RiskAssessment(
            data_key=first.data_key,
            referral_id=first.id,
            tool=RiskTool.DASH,
            instrument_version="safelives-2015",
            completed_on=date(2025, 8, 30),
            with_victim=True,
            score=16,
            level=RiskLevel.HIGH,
            items=json.dumps(dash_items()),
        )
        coordinator = db.session.get(User, ids.coordinator)
        assert coordinator is not None
        agency = db.session.get(Organisation, ids.agency)
        note = CaseNote(
            data_key=case.data_key,
            case=case,
            author=coordinator,
            agency=agency,
            created_at=datetime(2026, 2, 12, 14, 30, tzinfo=UTC),
            text="Synthetic note after screening",
        )
        transfer = CaseTransfer(
            data_key=case.data_key,
            case=case,
            from_panel_id=ids.away,
            to_panel_id=ids.marac,
            transferred_on=date(2025, 12, 1),
            by_id=ids.coordinator,
            reason="Synthetic: the victim moved to Harrowgate",
        )
        db.session.add_all([assessment, note, transfer])
        db.session.commit()
        return {"case": case.id, "first": first.id, "second": second.id}


def section(page: str, heading_id: str) -> str:
    """The page from a section's heading to the next h2."""
    return page.split(f'id="{heading_id}"', 1)[1].split("<h2", 1)[0]


def test_case_page_lists_referrals_with_their_repeat_history(
    app: Flask, coordinator: FlaskClient, history_case: dict[str, int]
) -> None:
    """E1/E5: each referral keeps its date and flag expiry; the repeat links to what it repeats."""
    response = coordinator.get(f"/cases/{history_case['case']}")

    assert response.status_code == 200
    page = text_of(response.text)
    referrals = section(page, "referrals")
    first, second = f"REF-{history_case['first']:06d}", f"REF-{history_case['second']:06d}"
    assert referrals.index(first) < referrals.index(second)
    second_row = referrals.split(f'id="referral-{history_case["second"]}"', 1)[1]
    second_row = second_row.split("</tr>", 1)[0]
    for shown in (
        "10 February 2026",
        "Harrowgate Police",
        "Repeat referral",
        "High (DASH risk checklist score 9)",
        "Heard at a meeting",
        f'repeat of <a class="govuk-link" href="#referral-{history_case["first"]}">{first}</a>',
        "Any further abuse between the same people (SafeLives)",
        "10 February 2027",
    ):
        assert shown in second_row, shown
    first_row = referrals.split(f'id="referral-{history_case["first"]}"', 1)[1]
    first_row = first_row.split("</tr>", 1)[0]
    assert "Visible high risk (risk checklist at or above the threshold)" in first_row
    assert "1 September 2026" in first_row
    assert "repeat of" not in first_row
    summary = page.split('id="referrals"', 1)[0]
    assert "Flag expires 10 February 2027" in summary
    [viewed] = events_of(app, AuditAction.CASE_VIEWED)
    assert viewed.object_id == str(history_case["case"])


def test_case_page_shows_each_risk_answer_with_not_known_distinct_from_no(
    coordinator: FlaskClient, history_case: dict[str, int]
) -> None:
    """E8, E12: "not known" is its own answer, never shown as "no"; sources and comments kept."""
    page = text_of(coordinator.get(f"/cases/{history_case['case']}").text)

    assessments = section(page, "risk-assessments")
    assert "DASH risk checklist for REF-" in assessments
    assert "High (DASH risk checklist score 16)" in assessments
    assert "safelives-2015" in assessments
    rows = assessments.split('<tbody class="govuk-table__body">', 1)[1].split("</tr>")
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows[:-1]]
    assert len(cells) == len(DASH_ITEMS)
    assert cells[0] == ["1", DASH_ITEMS[0], "Yes", "Victim", "Synthetic: bruised arm"]
    assert cells[1] == ["2", DASH_ITEMS[1], "Not known", "", "Synthetic: declined to say"]
    assert cells[2] == ["3", DASH_ITEMS[2], "No", "Victim", ""]
    assert cells[14][2:4] == ["Yes", "Police records"]


def test_case_page_shows_transfers_and_a_timeline_in_date_order(
    coordinator: FlaskClient, history_case: dict[str, int]
) -> None:
    """E9: a transferred case keeps its history, and shows where it came from."""
    page = text_of(coordinator.get(f"/cases/{history_case['case']}").text)

    transfers = section(page, "transfers")
    assert "Farmoor MARAC" in transfers
    assert "Harrowgate MARAC" in transfers
    assert "1 December 2025" in transfers
    assert "Synthetic: the victim moved to Harrowgate" in transfers
    timeline = section(page, "timeline")
    lines = [re.sub(r"<[^>]+>", "", line).strip() for line in timeline.split("<li>")[1:]]
    first, second = f"REF-{history_case['first']:06d}", f"REF-{history_case['second']:06d}"
    assert lines == [
        "1 September 2025: Case opened",
        f"1 September 2025: Referral {first} from Harrowgate Police",
        f"3 September 2025 at 11:15am: {first} screened: accepted",
        "1 December 2025: Transferred from Farmoor MARAC to Harrowgate MARAC",
        f"10 February 2026: Repeat referral {second} from Harrowgate Police",
        f"11 February 2026 at 9am: {second} screened: accepted",
        "12 February 2026 at 2:30pm: Note added by Harrowgate Police",
        f"19 February 2026: Heard at the scheduled meeting ({second})",
    ]


def test_case_page_without_history_says_so_and_keeps_its_audit_event(
    app: Flask, coordinator: FlaskClient, varied: dict[str, int]
) -> None:
    page = text_of(coordinator.get(f"/cases/{varied['never_referred']}").text)

    assert "This case has no referrals." in page
    assert "No risk assessments yet." in page
    assert "This case has not been transferred." in page
    assert "Case opened" in section(page, "timeline")
    assert "Lowen Tresize" in page
    assert len(events_of(app, AuditAction.CASE_VIEWED)) == 1


# PostgreSQL ----------------------------------------------------------------------------------


def test_sort_and_filters_behave_the_same_on_postgresql(pg_app: Flask) -> None:
    """PostgreSQL puts NULLs first in a descending sort unless told otherwise."""
    accounts = Accounts(pg_app)
    user_id = accounts.user(COORDINATOR).id
    with pg_app.app_context():
        marac = panel("Harrowgate", PanelType.MARAC, "Harrowgate MARAC")
        db.session.add(PanelMembership(panel=marac, user_id=user_id, role=PanelRole.COORDINATOR))
        db.session.flush()
        sign_for_members()
        never = make_case(marac.id, opened_on=date(2026, 4, 1))
        older = make_case(marac.id, last_referred_on=date(2026, 1, 1), next_meeting_on=TODAY)
        newer = make_case(marac.id, last_referred_on=date(2026, 3, 1), is_repeat=True)
        db.session.commit()
        user = db.session.get(User, user_id)
        assert user is not None

        def order(**filters: Any) -> list[int]:
            listing = queries.cases_for(user, queries.CaseFilters(**filters), page=1, today=TODAY)
            return [case.id for case in listing.cases]

        assert order() == [newer.id, older.id, never.id]
        assert order(sort=queries.CaseSort.NEXT_MEETING) == [older.id, never.id, newer.id]
        assert order(repeat=True) == [newer.id]
        assert order(listing=queries.Listing.UPCOMING) == [older.id]
        assert queries.visible_case_by_reference(user, f"marac-{older.id}") is not None
        assert queries.visible_case_by_reference(user, "MARAC-" + "9" * 12) is None


def test_every_page_of_every_sort_on_postgresql(
    pg_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    user_id = Accounts(pg_app).user(COORDINATOR).id
    with pg_app.app_context():
        marac = panel("Harrowgate", PanelType.MARAC, "Harrowgate MARAC")
        db.session.add(PanelMembership(panel=marac, user_id=user_id, role=PanelRole.COORDINATOR))
        db.session.flush()
        sign_for_members()
        db.session.commit()
        panel_id = marac.id
    check_every_page_of_every_sort(pg_app, user_id, panel_id)
