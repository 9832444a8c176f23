"""The ages the SafeLives Marac return counts (domain §2.10, E8): each referral codes, on its
referral date, the victim's age band and how many perpetrators were 17 or under, in clear
columns a report can count without opening the sealed answers. An uncertain date of birth
(E50) gives a band only when every candidate date agrees."""

# The referral tests' fixture `world` is imported, then asked for by name.
# ruff: noqa: F811

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from cases.models import CaseRole
from cases.referrals import services as referrals
from cases.referrals.models import AgeBand
from cases.referrals.models import Referral
from cases.referrals.rules import age_band_on
from cases.referrals.rules import age_on
from cases.referrals.rules import band_at
from cases.referrals.rules import victim_age_band
from cases.referrals.rules import young_perpetrators
from panels.types.common import ReferralStatus
from tests.cases.referrals.test_referrals import TODAY
from tests.cases.referrals.test_referrals import World
from tests.cases.referrals.test_referrals import accept
from tests.cases.referrals.test_referrals import onward
from tests.cases.referrals.test_referrals import world  # noqa: F401
from tests.referral_fixtures import marac_answers
from tests.referral_fixtures import perpetrator
from tests.referral_fixtures import person
from tests.referral_fixtures import submitted
from tests.referral_fixtures import victim

ON = date(2026, 11, 20)


def someone(role: CaseRole, *births: date, age: int | None = None) -> dict[str, Any]:
    """A people entry with a date of birth and any other dates recorded for them (E50)."""
    entry = person(role.value, "Sam", "Pellow", births[0] if births else None, age=age)
    entry["other_birth_dates"] = [b.isoformat() for b in births[1:]]
    return entry


# The rule ------------------------------------------------------------------------------------


def test_e54_a_16th_birthday_on_the_referral_date_counts_as_16() -> None:
    born = date(2010, 11, 20)
    assert age_band_on([born], ON) is AgeBand.SIXTEEN_SEVENTEEN
    assert age_band_on([born], date(2026, 11, 19)) is AgeBand.UNDER_16


def test_e54_the_day_before_an_18th_birthday_is_still_16_or_17() -> None:
    born = date(2008, 11, 21)
    assert age_band_on([born], ON) is AgeBand.SIXTEEN_SEVENTEEN
    assert age_band_on([born], date(2026, 11, 21)) is AgeBand.EIGHTEEN_PLUS


def test_e50_an_uncertain_date_of_birth_straddling_18_is_not_known() -> None:
    seventeen, eighteen = date(2008, 11, 21), date(2008, 11, 19)
    assert age_band_on([seventeen, eighteen], ON) is AgeBand.NOT_KNOWN
    # Candidates that all fall in one band give it, however far apart they are.
    assert age_band_on([seventeen, date(2009, 6, 1)], ON) is AgeBand.SIXTEEN_SEVENTEEN


def test_e8_no_date_of_birth_is_not_known_never_a_band() -> None:
    assert age_band_on([], ON) is AgeBand.NOT_KNOWN
    assert victim_age_band([someone(CaseRole.VICTIM)], ON) is AgeBand.NOT_KNOWN


def test_e50_without_any_date_of_birth_the_age_given_decides() -> None:
    """As the eligibility check reads it (E54): the referrer's age at the referral date."""
    assert victim_age_band([someone(CaseRole.VICTIM, age=17)], ON) is AgeBand.SIXTEEN_SEVENTEEN
    dated = someone(CaseRole.VICTIM, date(1990, 1, 1), age=17)
    assert victim_age_band([dated], ON) is AgeBand.EIGHTEEN_PLUS  # the date of birth wins


def test_a_29_february_birthday_moves_on_1_march_in_other_years() -> None:
    born = date(2008, 2, 29)
    assert age_on(born, date(2026, 2, 28)) == 17
    assert age_band_on([born], date(2026, 2, 28)) is AgeBand.SIXTEEN_SEVENTEEN
    assert age_band_on([born], date(2026, 3, 1)) is AgeBand.EIGHTEEN_PLUS
    assert age_on(date(2012, 2, 29), date(2028, 2, 29)) == 16  # on the day in a leap year


def test_the_victims_band_needs_exactly_one_victim() -> None:
    seventeen = someone(CaseRole.VICTIM, date(2009, 1, 1))
    assert victim_age_band([seventeen], ON) is AgeBand.SIXTEEN_SEVENTEEN
    assert victim_age_band([seventeen, seventeen], ON) is AgeBand.NOT_KNOWN
    assert victim_age_band([someone(CaseRole.CHILD, date(2009, 1, 1))], ON) is AgeBand.NOT_KNOWN


def test_e50_only_perpetrators_certainly_17_or_under_count() -> None:
    entries = [
        someone(CaseRole.PERPETRATOR, date(2010, 11, 20)),  # 16 today
        someone(CaseRole.PERPETRATOR, date(2008, 11, 21)),  # 17, 18 tomorrow
        someone(CaseRole.PERPETRATOR, date(2011, 1, 1), date(2010, 1, 1)),  # 15 or 16
        someone(CaseRole.PERPETRATOR, date(2008, 11, 20)),  # 18 today
        someone(CaseRole.PERPETRATOR, date(2008, 11, 21), date(2008, 11, 19)),  # 17 or 18
        someone(CaseRole.PERPETRATOR),  # no date of birth
        someone(CaseRole.PERPETRATOR, age=17),  # no date of birth, an age given
        someone(CaseRole.VICTIM, date(2009, 1, 1)),
        someone(CaseRole.CHILD, date(2015, 1, 1)),
    ]
    assert young_perpetrators(entries, ON) == 4
    assert young_perpetrators([], ON) == 0


def test_a_date_of_birth_after_the_referral_date_is_no_age() -> None:
    assert age_band_on([date(2027, 1, 1)], ON) is AgeBand.NOT_KNOWN
    assert young_perpetrators([someone(CaseRole.PERPETRATOR, date(2027, 1, 1))], ON) == 0


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2040, 12, 31)),
    day=st.dates(min_value=date(1900, 1, 1), max_value=date(2040, 12, 31)),
)
def test_one_date_of_birth_always_gives_the_band_of_the_age_on_the_day(
    born: date, day: date
) -> None:
    band = age_band_on([born], day)
    assert band is band_at(age_on(born, day))
    assert (band is AgeBand.NOT_KNOWN) == (born > day)


def test_each_band_has_the_label_the_return_prints() -> None:
    assert [band.label for band in AgeBand] == ["Under 16", "16 or 17", "18 or over", "Not known"]


# Submission and transfer ------------------------------------------------------------------------


def young_referral(world: World) -> Referral:
    """A Marac referral about a 17-year-old victim, a 16-year-old and an adult perpetrator."""
    people = [
        victim(born=date(2009, 3, 2)),
        perpetrator("Ash", "Wendle", born=date(2010, 6, 30)),
        perpetrator(),
    ]
    return submitted(world.rep, world.marac, marac_answers(referred_on=TODAY, people=people))


def test_e8_s2_10_submission_codes_the_victims_band_and_young_perpetrators(world: World) -> None:
    referral = young_referral(world)
    assert referral.status is ReferralStatus.SUBMITTED
    assert (referral.victim_age_band, referral.young_perpetrators) == ("16_17", 1)


def test_e8_a_victim_without_a_date_of_birth_is_coded_not_known(world: World) -> None:
    people = [victim(born=None), perpetrator()]
    referral = submitted(world.rep, world.marac, marac_answers(referred_on=TODAY, people=people))
    assert (referral.victim_age_band, referral.young_perpetrators) == ("not_known", 0)


def test_e9_s2_10_a_transfer_keeps_the_age_codes_and_diversity(world: World) -> None:
    """The receiving panel's return counts the case as the sending panel's did."""
    first = young_referral(world)
    case = accept(world, first)
    referrals.transfer_case(
        case,
        actor=world.coordinator,
        to_panel=world.other_area_marac,
        transferred_on=TODAY,
        reason="Moved",
        **onward(world),
    )
    incoming = case.referrals[-1]
    assert incoming.transferred_from is first
    coded = (
        "victim_gender",
        "victim_minoritised",
        "victim_disabled",
        "victim_lgbt",
        "victim_age_band",
        "young_perpetrators",
    )
    assert [getattr(incoming, name) for name in coded] == [getattr(first, name) for name in coded]
    assert [getattr(incoming, name) for name in coded] == [
        "female",
        "not_known",
        "no",
        "not_known",
        "16_17",
        1,
    ]
