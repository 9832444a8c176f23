"""Pure rules about a meeting's record: whether its attendance makes a quorum, the
fingerprint of its attendance that a form carries so that a save over someone else's newer
one is noticed rather than applied over theirs, and the names of the minutes form's fields."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from app.accounts.models import AgencyType
from app.template_filters import uk_date
from panels.models import PanelRole
from panels.types.common import Quorum


@dataclass(frozen=True)
class Attendee:
    """Someone recorded as attending, as the quorum counts them."""

    organisation_id: int
    agency_type: AgencyType
    panel_role: PanelRole


@dataclass(frozen=True)
class QuorumCheck:
    rule: Quorum
    missing: tuple[str, ...]

    @property
    def met(self) -> bool:
        return not self.missing


def check_quorum(rule: Quorum, attendees: Iterable[Attendee]) -> QuorumCheck:
    """What the attendance lacks for the panel's quorum, in words (nothing when it is met)."""
    present = list(attendees)
    missing: list[str] = []
    if rule.chair and not any(a.panel_role is PanelRole.CHAIR for a in present):
        missing.append("the chair did not attend")
    agencies = {a.organisation_id for a in present}
    if len(agencies) < rule.agencies:
        attended = "no agency" if not agencies else _count(len(agencies), "agency", "agencies")
        missing.append(f"{attended} attended, and the quorum needs {rule.agencies}")
    types = {a.agency_type for a in present}
    absent = [agency.label for agency in rule.agency_types if agency not in types]
    if absent:
        missing.append(f"nobody attended for: {', '.join(absent)}")
    return QuorumCheck(rule, tuple(missing))


def describe_quorum(rule: Quorum) -> str:
    """What the quorum needs, in words: "the chair and at least 4 agencies, including Police
    and IDVA / domestic abuse service"."""
    agencies = f"at least {rule.agencies} {'agency' if rule.agencies == 1 else 'agencies'}"
    needed = f"the chair and {agencies}" if rule.chair else agencies
    if rule.agency_types:
        labels = [agency.label for agency in rule.agency_types]
        listed = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"
        needed += f", including {listed}"
    return needed


def _count(n: int, one: str, many: str) -> str:
    return f"only {n} {one if n == 1 else many}"


def attendance_fingerprint(
    statuses: Mapping[int, str], information_from: Iterable[int], observers: Iterable[str]
) -> str:
    """A digest of the recorded attendance: each member's status, the agencies that sent
    information, and the observers (by their rows' random ids)."""
    canonical = json.dumps(
        {
            "attendance": sorted((user_id, status) for user_id, status in statuses.items()),
            "information": sorted(information_from),
            "observers": sorted(observers),
        },
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def member_field(user_id: int) -> str:
    """The attendance form's field for one member, which a refusal names."""
    return f"member-{user_id}"


def not_held_yet(held_on: date) -> str:
    """Why nothing that happened at a meeting can be recorded before its day."""
    return f"The meeting is on {uk_date(held_on)}: its attendance can be recorded from that day"


def discussion_field(case_id: int) -> str:
    """The minutes form's field for the discussion of one case."""
    return f"case-{case_id}-discussion"


def decision_field(case_id: int) -> str:
    """The minutes form's field for the panel's decision on one case."""
    return f"case-{case_id}-decision"


def contribution_field(case_id: int, organisation_id: int) -> str:
    """The minutes form's field for one agency's contribution on one case."""
    return f"case-{case_id}-agency-{organisation_id}"


def research_closed(held_on: date) -> str:
    """Why research can no longer be recorded for a meeting that has passed."""
    return (
        f"The meeting was on {uk_date(held_on)}: research for it could be recorded until that "
        "day, so it can no longer be changed. Share anything new through the case"
    )
