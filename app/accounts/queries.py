"""Read helpers for the admin pages on organisations and users."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row
from sqlalchemy import Select
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db


def organisations_with_user_counts() -> Sequence[Row[Organisation, int]]:
    return db.session.execute(
        select(Organisation, func.count(User.id))
        .outerjoin(User, User.organisation_id == Organisation.id)
        .group_by(Organisation.id)
        .order_by(Organisation.name)
    ).all()


def user_search(text: str | None, *, valid: bool = True) -> Select[User]:
    """Users whose name or email contains `text`, by name; none when the search is invalid."""
    query = select(User).join(User.organisation).order_by(User.display_name, User.id)
    if not valid:
        return query.where(false())
    if text:
        # autoescape: a typed % or _ is looked for literally, not as a wildcard
        needle = text.strip().lower()
        query = query.where(
            or_(
                func.lower(User.display_name).contains(needle, autoescape=True),
                User.email.contains(needle, autoescape=True),
            )
        )
    return query


def organisations_to_choose(*, keeping: int | None = None) -> Sequence[Organisation]:
    """Active organisations, plus the one a user already belongs to even if it is inactive."""
    return db.session.scalars(
        select(Organisation)
        .where(or_(Organisation.active.is_(True), Organisation.id == keeping))
        .order_by(Organisation.name)
    ).all()
