"""Reads for retention: the rules in force and the closed cases whose retention has run out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.database import db
from cases.models import Case
from cases.models import CaseStatus
from cases.queries import months_after
from cases.queries import months_before
from cases.retention.models import RecordType
from cases.retention.models import RetentionRule
from panels.models import Panel


@dataclass(frozen=True)
class DueCase:
    case: Case
    rule: RetentionRule
    due_on: date

    @property
    def held(self) -> bool:
        return self.case.on_legal_hold


def retention_rules() -> Sequence[RetentionRule]:
    return db.session.scalars(
        select(RetentionRule).order_by(RetentionRule.panel_type, RetentionRule.record_type)
    ).all()


def review(today: date) -> list[DueCase]:
    """Closed cases whose retention has run out, oldest first; those on legal hold included
    (and marked) so the reviewer sees what is being kept and why."""
    due: list[DueCase] = []
    closed_case_rules = db.session.scalars(
        select(RetentionRule).where(RetentionRule.record_type == RecordType.CLOSED_CASE)
    )
    for rule in closed_case_rules:
        cutoff = months_before(today, rule.months)
        cases = db.session.scalars(
            select(Case)
            .join(Case.panel)
            .where(
                Panel.panel_type == rule.panel_type,
                Case.status == CaseStatus.CLOSED,
                Case.disposed_at.is_(None),
                Case.closed_on <= cutoff,
            )
        )
        for case in cases:
            assert case.closed_on is not None
            due.append(DueCase(case, rule, months_after(case.closed_on, rule.months)))
    return sorted(due, key=lambda item: (item.due_on, item.case.id))
