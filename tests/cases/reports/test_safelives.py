"""The SafeLives MARAC quarterly return on hand-built histories (domain §2.10, §2.10.1, E6, E7,
E8, E11, R23): each right answer is worked out here from the definition, from the list of
listings the test wrote."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from app.accounts.models import AgencyType
from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from app.settings import ReportSettings
from cases.referrals.models import AgeBand
from cases.reports.queries import safelives_return
from cases.reports.rules import Hidden
from cases.reports.rules import Quarter
from cases.reports.safelives import GROUPS
from cases.reports.safelives import MEASURE_KEYS
from cases.reports.safelives import PARTNER_AGENCIES
from cases.reports.safelives import MeetingCounts
from cases.reports.safelives import SafeLivesReturn
from cases.reports.safelives import agency_measure
from cases.reports.safelives import assemble_return
from panels.models import Area
from panels.models import MeetingKind
from panels.models import Panel
from panels.types.common import MeetingCadence
from panels.types.common import PanelType
from panels.types.common import ReferralStatus
from tests.cases.reports.conftest import History
from tests.conftest import Accounts

TODAY = date(2025, 7, 15)
Q1 = Quarter(2025, 1)
Q2 = Quarter(2025, 2)
SETTINGS = ReportSettings()


@dataclass(frozen=True)
class Listing:
    """One case heard, as the test writes it and as the definition counts it."""

    agency: AgencyType = AgencyType.POLICE
    repeat: bool = False
    children: int = 0
    gender: str | None = "female"
    age: str | None = AgeBand.EIGHTEEN_PLUS.value
    minoritised: str | None = "no"
    disabled: str | None = "no"
    lgbt: str | None = "no"
    young_perpetrators: int | None = 0
    extra: dict[str, Any] = field(default_factory=dict)


def expected(listings: list[Listing]) -> dict[str, int]:
    """The return's counts for these listings, straight from the definition."""
    counts = {
        "cases": len(listings),
        "repeats": sum(item.repeat for item in listings),
        "police": sum(item.agency is AgencyType.POLICE for item in listings),
        "partner": sum(item.agency is not AgencyType.POLICE for item in listings),
        "children": sum(item.children for item in listings),
        "female": sum(item.gender == "female" for item in listings),
        "male": sum(item.gender == "male" for item in listings),
        "other_gender": sum(item.gender == "other" for item in listings),
        "gender_not_known": sum(item.gender in (None, "not_known") for item in listings),
        "aged_16_17": sum(item.age == "16_17" for item in listings),
        "age_not_known": sum(item.age in (None, "not_known") for item in listings),
        "young_perpetrators": sum(item.young_perpetrators or 0 for item in listings),
    }
    for name in ("minoritised", "disabled", "lgbt"):
        counts[name] = sum(getattr(item, name) == "yes" for item in listings)
        counts[f"{name}_not_known"] = sum(
            getattr(item, name) in (None, "not_known") for item in listings
        )
    for agency in PARTNER_AGENCIES:
        counts[agency_measure(agency)] = sum(item.agency is agency for item in listings)
    return counts


@dataclass
class World:
    history: History
    agencies: dict[AgencyType, int]


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> World:
    agencies = {
        agency: accounts.organisation_id(f"Ashcombe {agency.label}", agency)
        for agency in AgencyType
    }
    referrer = accounts.user("referrer@test.example", organisation="Ashcombe Police")
    with app.app_context():
        return World(History(db.session.get_one(User, referrer.id)), agencies)


def write(world: World, panel: Panel, meeting: Any, listings: list[Listing], **kw: Any) -> None:
    for item in listings:
        world.history.referral(
            panel,
            referred_on=meeting.held_on.replace(day=1),
            meeting=meeting,
            repeat=item.repeat,
            referring_agency_id=world.agencies[item.agency],
            children_count=item.children,
            victim_gender=item.gender,
            victim_age_band=item.age,
            victim_minoritised=item.minoritised,
            victim_disabled=item.disabled,
            victim_lgbt=item.lgbt,
            young_perpetrators=item.young_perpetrators,
            **item.extra,
            **kw,
        )


def made(panel: Panel, quarter: Quarter, *, suppress: bool = False) -> SafeLivesReturn:
    report = safelives_return(panel, quarter, suppress=suppress, settings=SETTINGS, today=TODAY)
    assert report is not None
    return report


def values(column: Any) -> dict[str, int | None]:
    return {key: column.cells[key].value for key in MEASURE_KEYS}


MIXED = [
    Listing(),
    Listing(repeat=True, children=2, young_perpetrators=1),
    Listing(AgencyType.DOMESTIC_ABUSE_SERVICE, gender="male", age="16_17", minoritised="yes"),
    Listing(AgencyType.HEALTH, children=1, disabled="yes", lgbt="yes"),
    Listing(AgencyType.HEALTH, repeat=True, gender="not_known", minoritised="not_known"),
    Listing(AgencyType.HOUSING, gender="other", age="not_known", disabled="not_known"),
    # Submitted before the ages and diversity were coded: every answer is NULL (not known).
    Listing(AgencyType.CHILDRENS_SOCIAL_CARE, gender=None, age=None, minoritised=None,
            disabled=None, lgbt=None, young_perpetrators=None),
]  # fmt: skip


def test_every_figure_of_a_meeting_is_counted_by_its_definition(app: Flask, world: World) -> None:
    """§2.10: cases (repeats included), repeats, police and partner referrals and each partner
    agency type, children, the victims' gender, aged 16 or 17, ethnicity, disability, LGBT+ and
    perpetrators aged 17 or under, each worked out here from the listings written."""
    with app.test_request_context():
        world.history.referrer = db.session.merge(world.history.referrer)
        panel = world.history.panel("Ashcombe")
        meeting = world.history.meeting(panel, date(2025, 2, 12))
        write(world, panel, meeting, MIXED)
        report = made(panel, Q1)
        assert [column.label for column in report.meetings] == ["12 Feb 2025"]
        assert values(report.meetings[0]) == expected(MIXED)
        assert values(report.total) == expected(MIXED)


def test_e8_not_known_is_counted_apart_and_never_as_no(app: Flask, world: World) -> None:
    """E8: an answer of "no" is counted nowhere; "not known" and a referral made before the
    question was coded (NULL) are both "not known"; percentages are of all cases."""
    listings = [
        Listing(minoritised="no", age="18_plus"),
        Listing(minoritised="not_known", age="not_known"),
        Listing(minoritised=None, age=None, gender=None),
        Listing(minoritised="yes", gender="male"),
    ]
    with app.test_request_context():
        world.history.referrer = db.session.merge(world.history.referrer)
        panel = world.history.panel("Ashcombe")
        write(world, panel, world.history.meeting(panel, date(2025, 3, 5)), listings)
        report = made(panel, Q1)
        total = values(report.total)
        assert (total["minoritised"], total["minoritised_not_known"]) == (1, 2)
        assert total["age_not_known"] == 2
        assert total["gender_not_known"] == 1
        assert report.percentages["minoritised"].value == Decimal("25.0")  # 1 of 4 cases
        assert report.percentages["male"].value == Decimal("25.0")


def test_e7_meetings_held_in_the_quarter_are_its_columns_by_meeting_date(
    app: Flask, world: World
) -> None:
    """E7: a case referred in March and heard in April is April's quarter; a meeting that heard
    no case is still a meeting held (every count zero); a case referred but not heard, or
    withdrawn from the agenda, is not counted; a meeting after today is not yet held."""
    with app.test_request_context():
        world.history.referrer = db.session.merge(world.history.referrer)
        panel = world.history.panel("Ashcombe")
        january = world.history.meeting(panel, date(2025, 1, 8))
        world.history.meeting(panel, date(2025, 3, 12))  # held, nobody on its agenda
        april = world.history.meeting(panel, date(2025, 4, 9))
        future = world.history.meeting(panel, date(2025, 9, 10))
        write(world, panel, january, [Listing(), Listing(repeat=True)])
        world.history.referral(panel, referred_on=date(2025, 3, 28), meeting=april)
        world.history.referral(panel, referred_on=date(2025, 3, 1))  # accepted, not listed
        world.history.referral(panel, referred_on=date(2025, 8, 1), meeting=future)
        first = made(panel, Q1)
        assert [(c.label, c.cells["cases"].value) for c in first.meetings] == [
            ("8 Jan 2025", 2),
            ("12 Mar 2025", 0),
        ]
        assert first.total.cells["repeats"].value == 1
        assert first.percentages["repeats"].value == Decimal("50.0")
        second = made(panel, Q2)
        assert [(c.label, c.cells["cases"].value) for c in second.meetings] == [("9 Apr 2025", 1)]
        assert made(panel, Quarter(2025, 3)).meetings == []  # 10 September is after today


def test_a_case_sent_on_by_a_transfer_after_its_meeting_was_heard_there(
    app: Flask, world: World
) -> None:
    """As for the repeat rate: a listing whose case was transferred out after the meeting was
    heard at it; one transferred before the meeting was not."""
    with app.test_request_context():
        world.history.referrer = db.session.merge(world.history.referrer)
        panel = world.history.panel("Ashcombe")
        other = world.history.panel("Brindle")
        meeting = world.history.meeting(panel, date(2025, 2, 12))
        out = ReferralStatus.TRANSFERRED_OUT
        after = world.history.referral(
            panel, referred_on=date(2025, 2, 1), meeting=meeting, status=out
        )
        before = world.history.referral(
            panel, referred_on=date(2025, 2, 1), meeting=meeting, status=out
        )
        world.history.referral(other, referred_on=date(2025, 2, 20), transferred_from=after)
        world.history.referral(other, referred_on=date(2025, 2, 3), transferred_from=before)
        assert made(panel, Q1).total.cells["cases"].value == 1


def test_e6_cases_per_10000_adult_women_counts_repeats_over_12_months_to_the_quarters_end(
    app: Flask, world: World
) -> None:
    """E6: all cases heard in the 12 months to the quarter's end, repeats included, per 10,000
    adult (16+) women of the population set for the panel; the recommended volume is 40 a
    year; capacity is about 100 referrals a year per full-time IDVA and one administrator per
    400 cases, for the cases heard and for the recommended volume."""
    with app.test_request_context():
        world.history.referrer = db.session.merge(world.history.referrer)
        panel = world.history.panel("Ashcombe")
        panel.local_settings = panel.settings.with_changes(
            adult_female_population=30_000,
            population_source="Synthetic estimate",
            idva_fte=Decimal("1.5"),
            admin_fte=Decimal("0.5"),
        ).to_json()
        # 12 months to 31 March 2025: Q2 2024 to Q1 2025. One meeting a quarter, 25 cases each
        # (10 repeats), and one meeting before the 12 months that must not count.
        for held_on in (date(2024, 5, 8), date(2024, 8, 7), date(2024, 11, 6), date(2025, 2, 5)):
            meeting = world.history.meeting(panel, held_on)
            write(world, panel, meeting, [Listing(repeat=n < 10) for n in range(25)])
        write(world, panel, world.history.meeting(panel, date(2024, 2, 7)), [Listing()] * 7)
        volume = made(panel, Q1).volume
        cases = 4 * 25
        assert volume.year.heard.value == cases
        assert volume.year.label == "12 months to 31 March 2025"
        per_10000 = (Decimal(cases * 10_000) / 30_000).quantize(Decimal("0.1"))
        assert volume.per_10000.value == per_10000 == Decimal("33.3")
        recommended = 40 * 30_000 // 10_000
        assert volume.recommended_cases == recommended == 120
        assert volume.idvas_needed.value == Decimal("1.00")  # 100 cases / 100
        assert volume.idvas_recommended == Decimal("1.20")
        assert volume.administrators_needed.value == Decimal("0.25")  # 100 / 400
        assert volume.administrators_recommended == Decimal("0.30")
        assert (volume.idvas, volume.administrators) == (Decimal("1.5"), Decimal("0.5"))
        assert volume.population_source == "Synthetic estimate"


def test_without_a_population_no_rate_per_10000_is_given(app: Flask, world: World) -> None:
    with app.test_request_context():
        world.history.referrer = db.session.merge(world.history.referrer)
        panel = world.history.panel("Ashcombe")
        write(world, panel, world.history.meeting(panel, date(2025, 2, 5)), [Listing()] * 6)
        volume = made(panel, Q1).volume
        assert volume.population is None
        assert volume.per_10000.value is None
        assert volume.per_10000.hidden is None
        assert volume.recommended_cases is None
        assert volume.idvas_recommended is None
        assert volume.idvas_needed.value == Decimal("0.06")


def test_only_marac_panels_make_the_return(app: Flask, world: World) -> None:
    with app.test_request_context():
        world.history.referrer = db.session.merge(world.history.referrer)
        for panel_type in PanelType:
            panel = world.history.panel(f"Area {panel_type.value}", panel_type)
            report = safelives_return(panel, Q1, suppress=False, settings=SETTINGS, today=TODAY)
            assert (report is not None) is (panel_type is PanelType.MARAC), panel_type


# Small numbers (R23, E11) ---------------------------------------------------------------------


def test_r23_a_small_count_is_hidden_and_no_group_leaves_it_the_only_unknown(
    app: Flask, world: World
) -> None:
    """12 cases: 9 police and 3 from a partner (a health trust). The 3 is "fewer than 5"; since
    police + partners = cases, the police count would give it back, so the smallest other
    (police, 9) is "not shown". The health trust's 3 is small too; its group (the partner
    agency types add up to partner referrals) then has two unknowns. 2 male victims: female
    (10) is hidden with them, since the genders add up to cases."""
    listings = [Listing() for _ in range(7)] + [Listing(gender="male") for _ in range(2)]
    listings += [Listing(AgencyType.HEALTH) for _ in range(3)]
    with app.test_request_context():
        world.history.referrer = db.session.merge(world.history.referrer)
        panel = world.history.panel("Ashcombe")
        write(world, panel, world.history.meeting(panel, date(2025, 2, 12)), listings)
        exact = made(panel, Q1)
        assert values(exact.meetings[0]) == expected(listings)
        report = made(panel, Q1, suppress=True)
        cells = report.meetings[0].cells
        assert cells["cases"].value == 12
        assert cells["partner"].hidden is Hidden.SMALL
        assert cells["police"].hidden is Hidden.PROTECTS
        assert cells[agency_measure(AgencyType.HEALTH)].hidden is Hidden.SMALL
        assert cells["male"].hidden is Hidden.SMALL
        assert cells["female"].hidden is Hidden.PROTECTS
        assert cells["gender_not_known"].value == 0  # zero identifies nobody
        assert report.text(cells["male"]) == "fewer than 5"
        assert report.text(cells["female"]) == "not shown"
        # The quarter repeats its only meeting: the same counts hidden, and the percentages
        # worked out from a hidden count hidden too.
        total = report.total.cells
        assert total["cases"].value == 12
        assert total["male"].hidden is Hidden.PROTECTS
        assert report.percentages["male"].hidden is Hidden.PROTECTS
        assert report.percentages["partner"].hidden is Hidden.PROTECTS
        assert report.percentages["repeats"].value == Decimal("0.0")


def test_r23_a_quarter_total_is_shown_only_when_none_of_its_meetings_counts_is_hidden(
    app: Flask, world: World
) -> None:
    """Two meetings: 6 repeats then 2. The second's 2 is hidden, so the quarter's 8 would give
    it back (8 - 6): the quarter's repeats are "not shown", and so is the repeat percentage."""
    with app.test_request_context():
        world.history.referrer = db.session.merge(world.history.referrer)
        panel = world.history.panel("Ashcombe")
        first = world.history.meeting(panel, date(2025, 1, 8))
        second = world.history.meeting(panel, date(2025, 2, 5))
        write(world, panel, first, [Listing(repeat=n < 6) for n in range(10)])
        write(world, panel, second, [Listing(repeat=n < 2) for n in range(10)])
        report = made(panel, Q1, suppress=True)
        assert report.meetings[0].cells["repeats"].value == 6
        assert report.meetings[1].cells["repeats"].hidden is Hidden.SMALL
        assert report.total.cells["repeats"].hidden is Hidden.PROTECTS
        assert report.total.cells["cases"].value == 20
        assert report.percentages["repeats"].hidden is Hidden.PROTECTS
        assert made(panel, Q1).total.cells["repeats"].value == 8  # exact for the panel


def test_r23_cases_per_10000_and_capacity_hide_with_the_count_they_come_from(
    app: Flask, world: World
) -> None:
    with app.test_request_context():
        world.history.referrer = db.session.merge(world.history.referrer)
        panel = world.history.panel("Ashcombe")
        panel.local_settings = panel.settings.with_changes(adult_female_population=5000).to_json()
        write(world, panel, world.history.meeting(panel, date(2025, 2, 5)), [Listing()] * 3)
        volume = made(panel, Q1, suppress=True).volume
        # A total of four quarters, one of which is small: "not shown", as for the repeat rate.
        assert volume.year.heard.hidden is Hidden.PROTECTS
        assert volume.per_10000.hidden is Hidden.PROTECTS
        assert volume.idvas_needed.hidden is Hidden.PROTECTS
        assert volume.administrators_needed.hidden is Hidden.PROTECTS
        assert volume.recommended_cases == 20  # from the population alone: shown
        assert made(panel, Q1).volume.per_10000.value == Decimal("6.0")


# The suppression rule over any counts (R23, E11) ---------------------------------------------

THRESHOLD = SETTINGS.suppress_below


def a_panel() -> Panel:
    """A MARAC never stored: the rule reads only its settings (none set)."""
    return Panel(
        panel_type=PanelType.MARAC,
        name="Ashcombe MARAC",
        area=Area(name="Ashcombe"),
        meeting_cadence=MeetingCadence.FORTNIGHTLY,
    )


@st.composite
def meeting_counts(draw: st.DrawFn) -> dict[str, int]:
    """One meeting's counts, consistent as real ones are: the groups add up."""
    small = st.integers(min_value=0, max_value=12)
    police = draw(small)
    agencies = {agency_measure(a): draw(st.integers(0, 3)) for a in PARTNER_AGENCIES}
    partner = sum(agencies.values())
    cases = police + partner
    genders = [draw(st.integers(0, cases))]
    genders.append(draw(st.integers(0, cases - genders[0])))
    genders.append(draw(st.integers(0, cases - sum(genders))))
    genders.append(cases - sum(genders))
    counts = dict.fromkeys(MEASURE_KEYS, 0) | agencies
    counts |= {"cases": cases, "police": police, "partner": partner}
    counts |= dict(
        zip(("female", "male", "other_gender", "gender_not_known"), genders, strict=True)
    )
    for key in ("repeats", "aged_16_17", "minoritised", "disabled", "lgbt", "children"):
        counts[key] = draw(st.integers(0, cases))
    return counts


@settings(max_examples=300, deadline=None)
@given(st.lists(meeting_counts(), min_size=0, max_size=6))
def test_r23_no_hidden_count_can_be_worked_out_from_what_is_shown(
    meetings: list[dict[str, int]],
) -> None:
    """For any meetings' counts: every count from 1 to 4 is hidden; no group that adds up
    (police and partners to cases, agency types to partners, genders to cases) shows all but
    one of its counts, at a meeting or in the quarter; a quarter's total is shown only when
    all of its meetings' counts are; and every count shown is the exact one."""
    rows = [
        MeetingCounts(date(2025, 1, 1) + timedelta(days=14 * n), MeetingKind.SCHEDULED, counts)
        for n, counts in enumerate(meetings)
    ]
    report = assemble_return(a_panel(), Q1, rows, {}, suppress=True, settings=SETTINGS, today=TODAY)
    totals = {key: sum(counts[key] for counts in meetings) for key in MEASURE_KEYS}
    columns = [(column, counts) for column, counts in zip(report.meetings, meetings, strict=True)]
    for column, counts in [*columns, (report.total, totals)]:
        for key in MEASURE_KEYS:
            cell = column.cells[key]
            assert cell.value in (None, counts[key])
            assert (cell.value is None) is (cell.hidden is not None)
            if 0 < counts[key] < THRESHOLD:
                assert cell.hidden is not None, (key, counts[key])
        for whole, parts in GROUPS:
            hidden = [key for key in (whole, *parts) if column.cells[key].hidden]
            assert len(hidden) != 1, (whole, hidden)
    for key in MEASURE_KEYS:
        any_meeting_hidden = any(column.cells[key].hidden for column, _ in columns)
        if any_meeting_hidden:
            assert report.total.cells[key].hidden is not None, key


@pytest.mark.postgres
def test_the_return_s_counts_are_the_same_on_postgresql(pg_app: Flask) -> None:
    """The return's grouped query (outer joins, conditional sums, the transfer test) on a real
    PostgreSQL: the same counts as the definition gives, as on SQLite."""
    with pg_app.test_request_context():
        agencies = {
            agency: Organisation(name=f"Ashcombe {agency.label}", agency_type=agency)
            for agency in AgencyType
        }
        referrer = User(
            email="referrer@test.example",
            display_name="Referrer",
            organisation=agencies[AgencyType.POLICE],
        )
        db.session.add_all([*agencies.values(), referrer])
        db.session.flush()
        world = World(History(referrer), {a: o.id for a, o in agencies.items()})
        panel = world.history.panel("Ashcombe")
        meeting = world.history.meeting(panel, date(2025, 2, 12))
        world.history.meeting(panel, date(2025, 3, 12))  # held, nobody heard
        write(world, panel, meeting, MIXED)
        report = made(panel, Q1)
        assert [column.label for column in report.meetings] == ["12 Feb 2025", "12 Mar 2025"]
        assert values(report.meetings[0]) == expected(MIXED)
        assert values(report.meetings[1]) == dict.fromkeys(MEASURE_KEYS, 0)
        assert values(report.total) == expected(MIXED)
