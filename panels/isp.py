"""The ISP register (domain §8 R1): each panel's protocol versions and who has signed them.

Admin operations; each takes the acting admin and writes one audit event. Access follows the
register at once: `panels.policy` reads it on every request.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select

import audit
from app import jobs
from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import UK
from app.database import db
from app.database import flush_unique
from app.errors import DomainError
from app.unit_of_work import job_change
from audit import AuditAction
from notifications import Event
from notifications import notify
from notifications import path_for
from panels.models import IspAgreement
from panels.models import IspSignatory
from panels.models import Panel
from panels.models import PanelRole
from panels.policy import admins
from panels.policy import forget_cached_access
from panels.policy import members_to_tell

REVIEW_NOTICE_HOUR = 7  # UK time
REVIEW_NOTICE_DAYS = 30  # told this long before a signature's review date


def add_agreement(*, actor: User, panel: Panel, version: str, in_force_from: date) -> IspAgreement:
    """Record a new version of the panel's ISP. From its start date only organisations that
    have signed it keep access, so signatures should be recorded before it starts."""
    version = version.strip()
    if not version:
        raise DomainError("Enter the version of the agreement", field="version")
    agreement = IspAgreement(panel=panel, version=version, in_force_from=in_force_from)
    db.session.add(agreement)
    flush_unique(f"The panel already has a version {version}", field="version")
    audit.record(
        actor=actor,
        action=AuditAction.ISP_AGREEMENT_ADDED,
        object=agreement,
        changes={
            "panel_id": [None, panel.id],
            "version": [None, version],
            "in_force_from": [None, in_force_from.isoformat()],
        },
    )
    forget_cached_access()
    return agreement


def add_signatory(
    *,
    actor: User,
    agreement: IspAgreement,
    organisation: Organisation,
    signed_on: date,
    review_on: date,
) -> IspSignatory:
    _check_dates(signed_on, review_on)
    if not organisation.active:
        raise DomainError("Only active organisations can sign", field="organisation_id")
    signatory = IspSignatory(
        agreement=agreement, organisation=organisation, signed_on=signed_on, review_on=review_on
    )
    db.session.add(signatory)
    flush_unique(f"{organisation.name} has already signed this version", field="organisation_id")
    audit.record(
        actor=actor,
        action=AuditAction.ISP_SIGNATORY_ADDED,
        object=signatory,
        changes={
            "agreement_id": [None, agreement.id],
            "organisation_id": [None, organisation.id],
            "signed_on": [None, signed_on.isoformat()],
            "review_on": [None, review_on.isoformat()],
        },
    )
    forget_cached_access()
    return signatory


def renew_signatory(signatory: IspSignatory, *, actor: User, review_on: date) -> IspSignatory:
    """Move the review date on after the organisation has reviewed the agreement."""
    _check_dates(signatory.signed_on, review_on)
    if signatory.withdrawn_on is not None:
        raise DomainError(
            "A withdrawn organisation signs again rather than being renewed", field="review_on"
        )
    before = signatory.review_on
    signatory.review_on = review_on
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.ISP_SIGNATORY_RENEWED,
        object=signatory,
        changes={"review_on": [before.isoformat(), review_on.isoformat()]},
    )
    forget_cached_access()
    return signatory


def withdraw_signatory(signatory: IspSignatory, *, actor: User, withdrawn_on: date) -> IspSignatory:
    """The organisation leaves the agreement: its staff lose the panel from that day."""
    if signatory.withdrawn_on is not None:
        raise DomainError("This organisation has already withdrawn", field="withdrawn_on")
    if withdrawn_on < signatory.signed_on:
        raise DomainError(
            "The withdrawal date must be on or after the date it was signed", field="withdrawn_on"
        )
    signatory.withdrawn_on = withdrawn_on
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.ISP_SIGNATORY_WITHDRAWN,
        object=signatory,
        changes={"withdrawn_on": [None, withdrawn_on.isoformat()]},
    )
    forget_cached_access()
    _tell_register_keepers(signatory, Event.ISP_WITHDRAWN)
    return signatory


@jobs.daily(hour=REVIEW_NOTICE_HOUR)
def _reviews_coming_up(now: datetime) -> None:
    """Each signature not withdrawn whose review date is within REVIEW_NOTICE_DAYS is told to
    the administrators and the panel's coordinators, once per review date (issue 22): renewed
    in time, no member loses the panel's cases."""
    today = now.astimezone(UK).date()
    with job_change():
        coming = db.session.scalars(
            select(IspSignatory)
            .where(
                IspSignatory.withdrawn_on.is_(None),
                IspSignatory.review_on.between(today, today + timedelta(days=REVIEW_NOTICE_DAYS)),
            )
            .order_by(IspSignatory.id)
        ).all()
        for signatory in coming:
            once = f"{Event.ISP_REVIEW_DUE.value}:{signatory.id}:{signatory.review_on.isoformat()}"
            _tell_register_keepers(signatory, Event.ISP_REVIEW_DUE, once=once)


def _tell_register_keepers(
    signatory: IspSignatory, event: Event, *, once: str | None = None
) -> None:
    """The administrators (on the ISP register's page) and the panel's coordinators (on the
    panel's page) hear of a signature's change."""
    panel = signatory.agreement.panel
    keepers = admins()
    notify(
        event,
        to=keepers,
        link=path_for("panels.isp_register", panel_id=panel.id),
        panel=panel.name,
        once=once and f"{once}:admins",
    )
    notify(
        event,
        to=[c for c in members_to_tell(panel.id, PanelRole.COORDINATOR) if c not in keepers],
        link=path_for("panels.show", panel_id=panel.id),
        panel=panel.name,
        once=once and f"{once}:coordinators",
    )


def sign_again(
    signatory: IspSignatory, *, actor: User, signed_on: date, review_on: date
) -> IspSignatory:
    """An organisation that withdrew signs the same version again: its staff regain the panel
    from the new signing date. The withdrawal stays on the record in the audit trail."""
    if signatory.withdrawn_on is None:
        raise DomainError(
            "This organisation has not withdrawn: renew its signature instead", field="signed_on"
        )
    if signed_on < signatory.withdrawn_on:
        raise DomainError(
            "The new signing date must be on or after the date it withdrew", field="signed_on"
        )
    _check_dates(signed_on, review_on)
    before = {
        "signed_on": signatory.signed_on.isoformat(),
        "review_on": signatory.review_on.isoformat(),
        "withdrawn_on": signatory.withdrawn_on.isoformat(),
    }
    signatory.signed_on, signatory.review_on, signatory.withdrawn_on = signed_on, review_on, None
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.ISP_SIGNATORY_SIGNED_AGAIN,
        object=signatory,
        changes={
            "signed_on": [before["signed_on"], signed_on.isoformat()],
            "review_on": [before["review_on"], review_on.isoformat()],
            "withdrawn_on": [before["withdrawn_on"], None],
        },
    )
    forget_cached_access()
    return signatory


def _check_dates(signed_on: date, review_on: date) -> None:
    if review_on <= signed_on:
        raise DomainError("The review date must be after the date it was signed", field="review_on")
