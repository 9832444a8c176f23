"""Organisations (partner agencies) and the people who sign in on their behalf."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.database import Base
from app.database import utcnow


class AgencyType(StrEnum):
    POLICE = "police"
    PROBATION = "probation"
    COMMUNITY_SAFETY = "community_safety"
    DOMESTIC_ABUSE_SERVICE = "domestic_abuse_service"
    HEALTH = "health"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care"
    ADULT_SOCIAL_CARE = "adult_social_care"
    HOUSING = "housing"
    EDUCATION = "education"
    FIRE = "fire"
    YOUTH_JUSTICE = "youth_justice"
    VOLUNTARY_SECTOR = "voluntary_sector"

    @property
    def label(self) -> str:
        return AGENCY_TYPE_LABELS[self]


AGENCY_TYPE_LABELS = {
    AgencyType.POLICE: "Police",
    AgencyType.PROBATION: "Probation",
    AgencyType.COMMUNITY_SAFETY: "Local authority community safety",
    AgencyType.DOMESTIC_ABUSE_SERVICE: "IDVA / domestic abuse service",
    AgencyType.HEALTH: "Health",
    AgencyType.CHILDRENS_SOCIAL_CARE: "Children's social care",
    AgencyType.ADULT_SOCIAL_CARE: "Adult social care",
    AgencyType.HOUSING: "Housing provider",
    AgencyType.EDUCATION: "Education",
    AgencyType.FIRE: "Fire and rescue",
    AgencyType.YOUTH_JUSTICE: "Youth justice",
    AgencyType.VOLUNTARY_SECTOR: "Voluntary sector",
}


class GlobalRole(StrEnum):
    """Deployment-wide roles; panel roles (coordinator, chair, representative) are memberships."""

    ADMIN = "admin"
    MANAGER = "manager"
    AUDITOR = "auditor"

    @property
    def label(self) -> str:
        return {"admin": "Administrator", "manager": "Manager", "auditor": "Auditor (DPO)"}[self]


class TokenPurpose(StrEnum):
    ACTIVATE = "activate"
    RESET_PASSWORD = "reset_password"  # noqa: S105 (a token purpose, not a password)


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    agency_type: Mapped[AgencyType]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    global_role: Mapped[GlobalRole | None]
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # The TOTP seed is encrypted under the key-encryption key, bound to this row (app/crypto.py).
    totp_secret_encrypted: Mapped[bytes | None]
    # The last accepted TOTP time step: a code at or before it is a replay and is refused.
    totp_last_step: Mapped[int | None]
    mfa_enrolled_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    last_signed_in_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="users", lazy="joined")
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Flask-Login's user interface.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active and self.organisation.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def mfa_enrolled(self) -> bool:
        return self.mfa_enrolled_at is not None


class RecoveryCode(Base):
    """A single-use MFA recovery code, stored as a hash (the codes are long and random)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class KnownDevice(Base):
    """A browser the account has signed in from: a long-lived cookie holds a random token,
    stored here as its hash. A sign-in from a browser without one the account knows tells
    the account's holder (issue 22), except the very first."""

    __tablename__ = "known_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountToken(Base):
    """A single-use, short-lived link for activating an account or resetting a password."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
