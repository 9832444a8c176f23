"""What the demo contains, as plain data, and the function that loads it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import AgencyType
from app.accounts.models import GlobalRole
from app.accounts.models import Organisation
from app.accounts.models import User
from app.auth.passwords import hash_password
from app.auth.seeds import seal_totp_secret
from app.database import db
from app.database import uk_today
from app.database import utcnow
from cases.reports import services as reports
from demo.clock import happened_at
from demo.clock import uk_time
from panels import services as panel_services
from panels.models import Area
from panels.models import IspAgreement
from panels.models import IspSignatory
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import MeetingCadence
from panels.types.common import PanelType

DEMO_PASSWORD = "DemoPassphrase-2026"
EMAIL_DOMAIN = "demo.example"

AREAS = ("Barking and Dagenham", "Havering", "Newham", "Redbridge", "Tower Hamlets")

ORGANISATIONS = {
    "Metropolitan Police – East Area": AgencyType.POLICE,
    "Probation Service – East London": AgencyType.PROBATION,
    "Newham Council Community Safety": AgencyType.COMMUNITY_SAFETY,
    "Havering Council Community Safety": AgencyType.COMMUNITY_SAFETY,
    "East London Domestic Abuse Service": AgencyType.DOMESTIC_ABUSE_SERVICE,
    "East London Health Partnership": AgencyType.HEALTH,
    "Newham Children’s Social Care": AgencyType.CHILDRENS_SOCIAL_CARE,
    "Havering Adult Social Care": AgencyType.ADULT_SOCIAL_CARE,
    "Eastside Homes": AgencyType.HOUSING,
    "Newham Schools Safeguarding Team": AgencyType.EDUCATION,
    "East London Fire and Rescue": AgencyType.FIRE,
    "Havering Youth Justice Service": AgencyType.YOUTH_JUSTICE,
    "Redbridge Community Support Network": AgencyType.VOLUNTARY_SECTOR,
}

# The partnership began using the service on this day (its oldest demo cases, since closed,
# date from then); every panel's protocol version 1 was signed before the demo's two years of
# referral histories begin.
SET_UP = date(2016, 6, 1)
ISP_SIGNED = date(2024, 9, 2)

# Each panel's demo meetings follow its cadence (demo/referrals.py).
PANEL_NAMES = {
    PanelType.MARAC: ("MARAC", MeetingCadence.MONTHLY),
    PanelType.COMMUNITY_MARAC: ("Community MARAC", MeetingCadence.MONTHLY),
    PanelType.CHANNEL: ("Channel Panel", MeetingCadence.MONTHLY),
    PanelType.MACE: ("MACE", MeetingCadence.MONTHLY),
    PanelType.IOM: ("IOM Panel", MeetingCadence.FOUR_WEEKLY),
}
# Newham and Havering run all five panels; the other boroughs run a MARAC.
FULL_PANEL_AREAS = ("Newham", "Havering")


@dataclass(frozen=True)
class DemoAccount:
    local_part: str
    name: str
    organisation: str
    totp_secret: str
    global_role: GlobalRole | None = None
    # (area, panel type, role) for each panel the account sits on
    panels: tuple[tuple[str, PanelType, PanelRole], ...] = ()

    @property
    def email(self) -> str:
        return f"{self.local_part}@{EMAIL_DOMAIN}"


C, CH, R = PanelRole.COORDINATOR, PanelRole.CHAIR, PanelRole.REPRESENTATIVE
P = PanelType

ACCOUNTS = (
    DemoAccount(
        "admin",
        "Ada Admin",
        "Newham Council Community Safety",
        "MZRH2ESXRXINMUZL4OVEJDOIJSQ24DC2",
        GlobalRole.ADMIN,
    ),
    DemoAccount(
        "manager",
        "Morgan Manager",
        "Havering Council Community Safety",
        "ZJKBEK476B4JEM5M2W3QMWP64GCMUQC4",
        GlobalRole.MANAGER,
    ),
    DemoAccount(
        "auditor",
        "Avery Auditor",
        "Newham Council Community Safety",
        "56B2UHB3V5IHBR5ZA2PJGENZCYIOQNTF",
        GlobalRole.AUDITOR,
    ),
    # A second auditor: a subject access bundle opens only on another auditor's approval.
    DemoAccount(
        "auditor.havering",
        "Sasha Auditor",
        "Havering Council Community Safety",
        "A3UW5XTB6ZDCW32DF6GYSJ3HEJWMUAEE",
        GlobalRole.AUDITOR,
    ),
    DemoAccount(
        "coordinator.newham",
        "Casey Coordinator",
        "Newham Council Community Safety",
        "B3R2CHXIDSCLTIUJUEKOPG7NTDA3EQJB",
        panels=(
            ("Newham", P.MARAC, C),
            ("Newham", P.COMMUNITY_MARAC, C),
            ("Newham", P.CHANNEL, C),
            ("Newham", P.MACE, C),
            ("Newham", P.IOM, C),
        ),
    ),
    DemoAccount(
        "coordinator.havering",
        "Harper Coordinator",
        "Havering Council Community Safety",
        "TD75L3JUYH7UFR2WDOA62IJHAVMOINIM",
        panels=(
            ("Havering", P.MARAC, C),
            ("Havering", P.COMMUNITY_MARAC, C),
            ("Havering", P.CHANNEL, C),
            ("Havering", P.MACE, C),
            ("Havering", P.IOM, C),
            ("Redbridge", P.MARAC, C),
        ),
    ),
    DemoAccount(
        "chair.newham",
        "Chris Chair",
        "Metropolitan Police – East Area",
        "H277ZSHC3TO73ELISF2JVMOSPZ4EYMLL",
        panels=(("Newham", P.MARAC, CH), ("Havering", P.MARAC, CH)),
    ),
    DemoAccount(
        "police.newham",
        "Pat Police",
        "Metropolitan Police – East Area",
        "IRXASF7INPQQJ3MQ2LPY7XGR7SHRWUQK",
        panels=(
            ("Newham", P.MARAC, R),
            ("Newham", P.MACE, R),
            ("Newham", P.IOM, R),
            ("Newham", P.COMMUNITY_MARAC, R),
        ),
    ),
    DemoAccount(
        "idva.east",
        "Iris IDVA",
        "East London Domestic Abuse Service",
        "EJAEKTWAOHQS66I7QBCLUZX3ZOOBHGLR",
        panels=(("Newham", P.MARAC, R), ("Havering", P.MARAC, R), ("Tower Hamlets", P.MARAC, R)),
    ),
    DemoAccount(
        "housing.havering",
        "Hollis Housing",
        "Eastside Homes",
        "KGIKUJ65XAPZPVITM7F2M2GF2ZKBUD2I",
        panels=(("Havering", P.MARAC, R), ("Havering", P.COMMUNITY_MARAC, R)),
    ),
    DemoAccount(
        "health.havering",
        "Hana Health",
        "East London Health Partnership",
        "GS6EAE3WK4SQGZUHTKUS32HP3MBWMC65",
        panels=(("Havering", P.MARAC, R), ("Havering", P.CHANNEL, R), ("Havering", P.MACE, R)),
    ),
    DemoAccount(
        "probation.east",
        "Parker Probation",
        "Probation Service – East London",
        "PM2XS7XEBGGNMDVQP34WEDNGKHNUGLZH",
        panels=(("Havering", P.IOM, CH), ("Newham", P.IOM, R), ("Newham", P.MARAC, R)),
    ),
    DemoAccount(
        "childrens.newham",
        "Cody Children",
        "Newham Children’s Social Care",
        "2RU3I6E3WO52SYAVI5SLDYEG5WQPP3Q7",
        panels=(("Newham", P.MACE, CH), ("Newham", P.MARAC, R), ("Newham", P.CHANNEL, R)),
    ),
)


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count(User.id)))


def seed() -> None:
    """Load the demo into an empty database (the caller commits)."""
    with happened_at(uk_time(SET_UP, 9)):
        panels = _set_up()
    with happened_at(uk_time(ISP_SIGNED, 10)):
        _sign_isps(panels)
    with happened_at(uk_time(SET_UP, 11)):
        _assign_manager_areas()
        _set_return_figures(panels)


# The areas the demo manager reports on, assigned by the demo administrator: the figures of
# their panels only, never a case.
MANAGER_AREAS = ("Havering", "Redbridge", "Barking and Dagenham")


def _assign_manager_areas() -> None:
    admin = db.session.scalars(select(User).where(User.email == f"admin@{EMAIL_DOMAIN}")).one()
    manager = db.session.scalars(select(User).where(User.email == f"manager@{EMAIL_DOMAIN}")).one()
    for area in db.session.scalars(select(Area).where(Area.name.in_(MANAGER_AREAS))):
        reports.add_manager_area(manager, actor=admin, area=area)


# What the MARACs' SafeLives returns count against (domain §2.10, E6): round, illustrative
# figures of the size of these boroughs' adult female populations, and the IDVAs and MARAC
# administrators in post. Tower Hamlets has not given its figures yet, so its return says so.
RETURN_FIGURES = {
    "Newham": (140_000, Decimal("6.5"), Decimal("1.5")),
    "Havering": (110_000, Decimal(4), Decimal(1)),
    "Redbridge": (125_000, Decimal("4.5"), Decimal(1)),
    "Barking and Dagenham": (85_000, Decimal(3), Decimal("0.5")),
}
RETURN_SOURCE = "Illustrative figure for the demo (a real panel gives ONS mid-year estimates)"


def _set_return_figures(panels: dict[tuple[str, PanelType], Panel]) -> None:
    admin = db.session.scalars(select(User).where(User.email == f"admin@{EMAIL_DOMAIN}")).one()
    for area, (population, idvas, administrators) in RETURN_FIGURES.items():
        panel = panels[area, PanelType.MARAC]
        panel_services.update_panel_settings(
            panel,
            actor=admin,
            adult_female_population=population,
            population_source=RETURN_SOURCE,
            idva_fte=idvas,
            admin_fte=administrators,
        )


def _set_up() -> dict[tuple[str, PanelType], Panel]:
    """Areas, agencies, panels and the accounts of their members."""
    areas = {name: Area(name=name) for name in AREAS}
    organisations = {
        name: Organisation(name=name, agency_type=agency) for name, agency in ORGANISATIONS.items()
    }
    db.session.add_all([*areas.values(), *organisations.values()])
    panels = _panels(areas)
    db.session.add_all(panels.values())
    password_hash = hash_password(DEMO_PASSWORD)
    for account in ACCOUNTS:
        user = User(
            email=account.email,
            display_name=account.name,
            organisation=organisations[account.organisation],
            global_role=account.global_role,
            password_hash=password_hash,
            password_changed_at=utcnow(),
        )
        db.session.add(user)
        db.session.flush()
        _enrol(user, account.totp_secret)
        for area, panel_type, role in account.panels:
            db.session.add(PanelMembership(panel=panels[area, panel_type], user=user, role=role))
    db.session.flush()
    return panels


# So the "no access" notice can be seen: Parker Probation (probation.east) still sits on the
# Newham IOM panel, but the probation service withdrew from its ISP a week ago; Parker keeps
# Havering IOM and Newham MARAC.
WITHDRAWN_SIGNATURE = ("Newham", PanelType.IOM, "Probation Service – East London")


def _sign_isps(panels: dict[tuple[str, PanelType], Panel]) -> None:
    """Each panel's ISP version 1, signed by every organisation with members on it (domain §8
    R1), so the demo logins keep their access; one signature is withdrawn (above)."""
    today = uk_today()
    for (area, panel_type), panel in panels.items():
        agreement = IspAgreement(panel=panel, version="1", in_force_from=ISP_SIGNED)
        organisations = {m.user.organisation for m in panel.memberships}
        for organisation in sorted(organisations, key=lambda o: o.name):
            withdrawn = (area, panel_type, organisation.name) == WITHDRAWN_SIGNATURE
            agreement.signatories.append(
                IspSignatory(
                    organisation=organisation,
                    signed_on=ISP_SIGNED,
                    review_on=today + timedelta(days=2 * 365),
                    withdrawn_on=today - timedelta(days=7) if withdrawn else None,
                )
            )
        db.session.add(agreement)
    db.session.flush()


def _panels(areas: dict[str, Area]) -> dict[tuple[str, PanelType], Panel]:
    panels = {}
    for area_name, area in areas.items():
        types = list(PanelType) if area_name in FULL_PANEL_AREAS else [PanelType.MARAC]
        for panel_type in types:
            suffix, cadence = PANEL_NAMES[panel_type]
            panels[area_name, panel_type] = Panel(
                area=area,
                panel_type=panel_type,
                name=f"{area_name} {suffix}",
                meeting_cadence=cadence,
            )
    return panels


def _enrol(user: User, secret: str) -> None:
    """Demo accounts come enrolled with a published secret, so testers can make codes."""
    user.totp_secret_encrypted = seal_totp_secret(user, secret)
    user.mfa_enrolled_at = utcnow()
