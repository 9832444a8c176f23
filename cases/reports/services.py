"""Changes to who reports on what (an administrator assigns a manager the areas they report
on, and takes them away), and coordinators' referral-level extracts: asked for, made by the job
queue, downloaded and expired. Each change is one audited event (design §4)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from collections.abc import Sequence
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_
from sqlalchemy import delete
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

import audit
from app import jobs
from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.database import UK
from app.database import db
from app.database import utcnow
from app.errors import DomainError
from app.exports import Row
from app.exports import Sheet
from app.exports import csv_chunks
from app.exports import write_xlsx
from app.keys.models import KeyPurpose
from app.keys.store import key_store
from app.settings import Settings
from app.unit_of_work import job_change
from app.unit_of_work import when_writing
from audit import AuditAction
from audit import Outcome
from cases.models import Case
from cases.policy import Viewer
from cases.policy import forget_cached_scope
from cases.policy import viewer_of
from cases.reports import extract as extract_layout
from cases.reports import queries
from cases.reports.extract import People
from cases.reports.models import Extract
from cases.reports.models import ExtractFormat
from cases.reports.models import ExtractPart
from cases.reports.models import ExtractStatus
from cases.reports.models import ManagerArea
from panels.models import Area
from panels.models import Panel


def add_manager_area(manager: User, *, actor: User, area: Area) -> ManagerArea:
    """The manager will see the figures of the area's panels (and never their cases)."""
    if manager.global_role is not GlobalRole.MANAGER:
        raise DomainError(
            "Only a manager reports on areas: change their role to manager first", field="area_id"
        )
    if queries.manager_area(manager, area.id) is not None:
        raise DomainError(f"{manager.display_name} already reports on {area.name}", field="area_id")
    assigned = ManagerArea(user_id=manager.id, area=area, added_by_id=actor.id)
    db.session.add(assigned)
    db.session.flush()
    forget_cached_scope()
    audit.record(
        actor=actor,
        action=AuditAction.MANAGER_AREA_ADDED,
        object=manager,
        changes={"area_id": [None, area.id]},
    )
    return assigned


def remove_manager_area(manager: User, *, actor: User, area: Area) -> None:
    """The manager no longer sees the area's figures, from their next request."""
    assigned = queries.manager_area(manager, area.id)
    if assigned is None:
        raise DomainError(f"{manager.display_name} does not report on {area.name}")
    db.session.delete(assigned)
    db.session.flush()
    forget_cached_scope()
    audit.record(
        actor=actor,
        action=AuditAction.MANAGER_AREA_REMOVED,
        object=manager,
        changes={"area_id": [area.id, None]},
    )


# Referral-level extracts ------------------------------------------------------------------------

EXTRACT_JOB = "reports.make_extract"
EXTRACT_BATCH = 2000  # referrals read, written and counted as done at a time
PART_BYTES = 512 * 1024  # of the file sealed into each stored part


def request_extract(
    *,
    actor: User,
    panels: Sequence[Panel],
    referred_from: date | None,
    referred_to: date | None,
    personal: bool,
    file_format: ExtractFormat,
) -> Extract:
    """Ask for an extract of the referrals of panels the actor coordinates: recorded with its
    filters (R9), and made by the job queue once this change is committed."""
    coordinated = viewer_of(actor).panels.coordinates
    if not panels:
        raise DomainError("Select at least one panel", field="panel_ids")
    if any(panel.id not in coordinated for panel in panels):
        raise DomainError("You can only extract the referrals of panels you coordinate")
    if referred_from and referred_to and referred_from > referred_to:
        raise DomainError(
            "The date referred from must be the same as or before the date referred to",
            field="referred_from",
        )
    extract = Extract(
        data_key=key_store().new_key(KeyPurpose.EXTRACT),
        requested_by_id=actor.id,
        panel_ids=sorted(panel.id for panel in panels),
        referred_from=referred_from,
        referred_to=referred_to,
        personal=personal,
        file_format=file_format,
    )
    db.session.add(extract)
    db.session.flush()
    jobs.enqueue(EXTRACT_JOB, {"extract_id": extract.id})
    audit.record(
        actor=actor,
        action=AuditAction.REPORT_EXTRACT_REQUESTED,
        object=extract,
        changes={"filters": extract.filters, "step_up": True},
    )
    return extract


@jobs.handler(EXTRACT_JOB)
def make_extract(payload: dict[str, Any]) -> None:
    """The job: read the referrals a batch at a time, write them as the file, seal the file into
    parts under the extract's own key, and count progress after each batch. Memory stays flat
    whatever the size: one batch of rows and one part of the file are held at a time."""
    extract_id = int(payload["extract_id"])
    with job_change():
        extract = db.session.get(Extract, extract_id)
        if extract is None or extract.status is not ExtractStatus.QUEUED:
            return  # already made, or expired before the worker reached it
        requester = extract.requested_by
        viewer = viewer_of(requester)
        extract.status = ExtractStatus.RUNNING
        extract.started_at = utcnow()
        extract.rows_total = queries.extract_count(extract, viewer)
        panels = db.session.scalars(
            select(Panel.name).where(Panel.id.in_(extract.panel_ids)).order_by(Panel.name)
        ).all()
    try:
        parts = _Parts(extract)
        sheet = _extract_sheet(extract, viewer, panels, parts)
        settings: Settings = current_app.config["SETTINGS"]
        marking = (settings.protective_marking, settings.handling_caveat)
        if extract.file_format is ExtractFormat.CSV:
            for text in csv_chunks(sheet, marking=marking):
                parts.write(text.encode())
        else:
            with tempfile.TemporaryFile() as file:
                write_xlsx(sheet, file, marking=marking)
                file.seek(0)
                while chunk := file.read(PART_BYTES):
                    parts.write(chunk)
        with job_change():
            parts.close()
            keep = timedelta(hours=settings.reports.extract_keep_hours)
            extract.status = ExtractStatus.READY
            extract.finished_at = utcnow()
            extract.expires_at = extract.finished_at + keep
            extract.size_bytes = parts.size
            extract.file_name = _file_name(extract)
            audit.record(
                actor=None,
                action=AuditAction.REPORT_EXTRACT_MADE,
                object=extract,
                changes={"rows": extract.rows_done, "requested_by": requester.id},
            )
    except Exception:
        with job_change():
            _delete_parts(extract_id)
            failed = db.session.get(Extract, extract_id)
            assert failed is not None
            failed.status = ExtractStatus.FAILED
            failed.finished_at = utcnow()
            failed.expires_at = failed.finished_at
            audit.record(
                actor=None,
                action=AuditAction.REPORT_EXTRACT_FAILED,
                object=failed,
                outcome=Outcome.FAILURE,
            )
        raise


def _extract_sheet(extract: Extract, viewer: Viewer, panels: Sequence[str], parts: _Parts) -> Sheet:
    personal = extract.personal
    requester = extract.requested_by

    def batches() -> Iterator[list[Row]]:
        after = 0
        while lines := queries.extract_lines(extract, viewer, after=after, size=EXTRACT_BATCH):
            after = lines[-1][0].referral_id
            people = (
                queries.extract_people([case_id for _, case_id in lines if case_id])
                if personal
                else None
            )
            yield [
                extract_layout.row(
                    line,
                    None if people is None else people.get(case_id or 0, People()),
                )
                for line, case_id in lines
            ]
            # Resumed once the batch is written: store what is complete and show progress.
            with job_change():
                parts.flush()
                extract.rows_done += len(lines)

    made = utcnow().astimezone(UK)
    return Sheet(
        name="Referrals",
        header=extract_layout.header(personal=personal),
        batches=batches(),
        about=[
            *extract_layout.about(panels, extract.referred_from, extract.referred_to),
            [
                "Made for",
                f"{requester.display_name}, {requester.organisation.name}, {made:%d/%m/%Y %H:%M}",
            ],
        ],
        widths=extract_layout.widths(personal=personal),
    )


class _Parts:
    """The file as it is written, sealed into parts of PART_BYTES in order."""

    def __init__(self, extract: Extract) -> None:
        self.extract_id = extract.id
        self.data_key = extract.data_key
        self.buffer = bytearray()
        self.sequence = 0
        self.size = 0

    def write(self, data: bytes) -> None:
        self.buffer += data
        self.size += len(data)
        if len(self.buffer) >= PART_BYTES:
            with job_change():
                self.flush()

    def flush(self) -> None:
        """Store every whole part held (inside the caller's `job_change`)."""
        while len(self.buffer) >= PART_BYTES:
            self._store(bytes(self.buffer[:PART_BYTES]))
            del self.buffer[:PART_BYTES]

    def close(self) -> None:
        self.flush()
        if self.buffer:
            self._store(bytes(self.buffer))
            self.buffer.clear()

    def _store(self, content: bytes) -> None:
        self.sequence += 1
        part = ExtractPart(
            data_key=self.data_key,
            extract_id=self.extract_id,
            sequence=self.sequence,
            content=content,
        )
        db.session.add(part)
        db.session.flush()
        db.session.expunge(part)  # nothing keeps a written part in memory


def _file_name(extract: Extract) -> str:
    made = (extract.finished_at or utcnow()).astimezone(UK)
    return f"referrals-extract-{extract.id}-{made:%Y-%m-%d}.{extract.file_format.value}"


def record_download(extract: Extract, *, actor: User) -> None:
    """Each download of an extract is in the audit trail, with what it holds (R9), and
    counted (a download is a GET: both are written once the response is ready)."""
    if extract.requested_by_id != actor.id or extract.status is not ExtractStatus.READY:
        raise DomainError("This extract cannot be downloaded")
    counted = (
        update(Extract).where(Extract.id == extract.id).values(downloads=Extract.downloads + 1)
    )
    when_writing(lambda: db.session.execute(counted))
    audit.record(
        actor=actor,
        action=AuditAction.REPORT_EXTRACT_DOWNLOADED,
        object=extract,
        changes={"filters": extract.filters, "rows": extract.rows_done},
    )


def expire_extracts(now: datetime | None = None) -> int:
    """Delete every extract past its time, and destroy its key, so that nothing of it can be
    read again even from a backup of the database; returns how many."""
    now = now or utcnow()
    keep = timedelta(hours=current_app.config["SETTINGS"].reports.extract_keep_hours)
    # Ready or failed ones at their expiry; one a worker never finished, a keeping time later.
    due = or_(
        Extract.expires_at < now,
        and_(
            Extract.status.in_([ExtractStatus.QUEUED, ExtractStatus.RUNNING]),
            Extract.created_at < now - keep,
        ),
    )
    count = 0
    with job_change():
        ids = db.session.scalars(
            select(Extract.id).where(Extract.status != ExtractStatus.EXPIRED, due)
        ).all()
    for extract_id in ids:
        with job_change():
            extract = db.session.get(Extract, extract_id)
            assert extract is not None
            _delete(extract, reason="its time to be kept was over")
        count += 1
    return count


def destroy_extracts_with_case(case: Case) -> None:
    """When a case's content is destroyed, every extract of its panel not yet expired goes
    too, with its key (security: exports are deleted with the case), whoever asked for it."""
    live = db.session.scalars(select(Extract).where(Extract.status != ExtractStatus.EXPIRED))
    for extract in live:
        if case.panel_id in extract.panel_ids:
            _delete(extract, reason="a case it held was destroyed under the retention policy")


def _delete(extract: Extract, *, reason: str) -> None:
    _delete_parts(extract.id)
    key_store().destroy(extract.data_key)
    was = extract.status
    extract.status = ExtractStatus.EXPIRED
    db.session.flush()
    audit.record(
        actor=None,
        action=AuditAction.REPORT_EXTRACT_EXPIRED,
        object=extract,
        changes={"status": [was.value, ExtractStatus.EXPIRED.value], "why": reason},
    )


@jobs.every_minute
def _expire_due_extracts() -> None:
    expire_extracts()


def _delete_parts(extract_id: int) -> None:
    db.session.execute(delete(ExtractPart).where(ExtractPart.extract_id == extract_id))
