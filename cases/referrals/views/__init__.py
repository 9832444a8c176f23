"""Referral pages, by job: drafting (start, the task list and its sections, check answers and
submit, withdraw), screening (with identity matching) and case transfer. Listing at meetings
and the meeting pages are `cases.meetings`.

The blueprint is defined here and each job's module adds its routes to it; the helpers below
are the ones more than one job needs.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user

import audit
from audit import AuditAction
from cases import policy
from cases.referrals.models import Referral
from cases.referrals.rules import answers_of
from cases.referrals.rules import effective_criteria
from cases.referrals.rules import people_of
from panels.instruments.dash import DASH_ITEMS

bp = Blueprint("referrals", __name__)


def summary(referral: Referral) -> dict[str, Any]:
    """What the summary, check and screening pages show of a referral."""
    return {
        "referral": referral,
        "answers": answers_of(referral),
        "people": people_of(referral),
        "criteria": effective_criteria(referral),
        "sections": referral.panel.spec.sections,
        "dash": DASH_ITEMS,
        "can_screen": policy.coordinates(current_user, referral.panel_id),
    }


def record_read(referral: Referral) -> None:
    """Every page that shows what a referral says is on the record (R9)."""
    audit.record(actor=current_user, action=AuditAction.REFERRAL_VIEWED, object=referral)


# The job modules register their routes on `bp` when imported.
from cases.referrals.views import drafting  # noqa: E402, F401
from cases.referrals.views import screening  # noqa: E402, F401
from cases.referrals.views import transfer  # noqa: E402, F401
