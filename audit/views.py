"""The auditor's pages: the audit trail, filtered and paged, and its export as CSV."""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import redirect
from flask import render_template
from flask import request
from flask import stream_with_context
from flask import url_for
from flask_login import current_user
from werkzeug.wrappers import Response

import audit
from app.database import utcnow
from app.exports import Cell
from app.exports import Sheet
from app.exports import csv_chunks
from app.security import Permission
from app.security import requires
from app.template_filters import UK
from audit import queries
from audit.forms import EventFilterForm
from audit.models import AuditAction
from audit.models import AuditEvent
from audit.queries import EventFilters
from audit.queries import Names
from audit.services import MASKED

bp = Blueprint("audit", __name__, url_prefix="/audit")

# A key of app.extensions: object type -> a function naming objects of that type by id.
OBJECT_LABELS = "audit_object_labels"
LARGEST_SEQUENCE = 2**63 - 1  # a BIGINT; anything larger can name no event
CSV_HEADER = (
    "Sequence",
    "Time (UTC)",
    "Time (UK)",
    "User ID",
    "User",
    "Agency ID",
    "Agency",
    "Role",
    "Action",
    "Action code",
    "Outcome",
    "Object type",
    "Object ID",
    "Purpose",
    "Changes",
    "IP address",
    "Session reference",
    "Request ID",
    "Event hash",
)


@bp.route("/")
@requires(Permission.AUDIT_LOG_READ)
def events() -> str:
    """The audit trail, filtered, newest first, a page at a time; each search is on the record."""
    form = _filter_form()
    if not form.validate():
        return render_template("audit/events.html", form=form, page=None)
    filters, before = form.filters(), _before_argument()
    _record_search(AuditAction.AUDIT_LOG_VIEWED, filters, before=before)
    # The first page is the newest events when it is drawn (this search's own event is
    # appended after it); later pages start below the one before, so nothing shifts.
    page = queries.event_page(filters, before=before)
    return render_template(
        "audit/events.html",
        form=form,
        page=page,
        before=before,
        change_lines=change_lines,
        object_labels=object_labels(page.events),
    )


def object_labels(events: Sequence[AuditEvent]) -> dict[tuple[str, str], str]:
    """What each event's object is called where a feature can say ("Case MARAC-000037" for
    "cases 37"). Features register a labeller per object type in
    `app.extensions["audit_object_labels"]`: audit imports no feature. One call per type."""
    labellers: dict[str, Callable[[list[str]], dict[str, str]]] = current_app.extensions.get(
        OBJECT_LABELS, {}
    )
    wanted: dict[str, list[str]] = {}
    for event in events:
        if event.object_type in labellers and event.object_id:
            wanted.setdefault(event.object_type, []).append(event.object_id)
    return {
        (object_type, object_id): label
        for object_type, ids in wanted.items()
        for object_id, label in labellers[object_type](ids).items()
    }


@bp.route("/export.csv")
@requires(Permission.AUDIT_LOG_READ)
def export() -> Response:
    """The filtered audit trail as a CSV file; each export is on the record."""
    form = _filter_form()
    if not form.validate():
        args: dict[str, Any] = form.query_args()
        return redirect(url_for("audit.events", **args))  # that page shows the errors
    filters = form.filters()
    _record_search(AuditAction.AUDIT_LOG_EXPORTED, filters)
    # Events up to the chain's head now: a stable file, however many arrive as it is sent.
    up_to = queries.head_sequence() + 1
    # The request's transaction is committed and closed before the body is sent
    # (app/unit_of_work.py), so the generator reads in its own transactions and uses nothing
    # loaded before this point.
    settings = current_app.config["SETTINGS"]
    marking = (settings.protective_marking, settings.handling_caveat)
    response = Response(
        stream_with_context(_csv_chunks(filters, before=up_to, marking=marking)),
        mimetype="text/csv",
    )
    filename = f"audit-events-{utcnow().astimezone(UK):%Y-%m-%d}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _filter_form() -> EventFilterForm:
    form = EventFilterForm(request.args)
    form.user.choices = [("", "Any user")] + [
        (str(user_id), name) for user_id, name in queries.user_choices()
    ]
    form.agency.choices = [("", "Any agency")] + [
        (str(agency_id), name) for agency_id, name in queries.agency_choices()
    ]
    form.object_type.choices = [("", "Any type")] + [
        (name, name) for name in queries.object_type_choices()
    ]
    return form


def _before_argument() -> int | None:
    """The `before` query argument (a sequence number), or None when missing or nonsense."""
    before = request.args.get("before", type=int)
    return before if before is not None and 1 <= before <= LARGEST_SEQUENCE else None


def _record_search(action: AuditAction, filters: EventFilters, before: int | None = None) -> None:
    """Put the search on the record (appended once the page is drawn)."""
    changes: dict[str, Any] = {"filters": filters.described()}
    if before is not None:
        changes["before"] = before
    audit.record(actor=current_user, action=action, changes=changes)


def _csv_chunks(filters: EventFilters, *, before: int, marking: tuple[str, str]) -> Iterator[str]:
    """The CSV file in pieces (app/exports.py: the marking and caveat first, R10, and formulas
    made inert, R20): the header, then one piece per batch of events."""
    batches = (
        [_csv_row(event, names) for event in events]
        for events, names in queries.event_batches(filters, before=before)
    )
    yield from csv_chunks(Sheet("Audit events", CSV_HEADER, batches), marking=marking)


def _csv_row(event: AuditEvent, names: Names) -> list[Cell]:
    return [
        event.sequence,
        event.occurred_at.isoformat(timespec="microseconds"),
        event.occurred_at.astimezone(UK).isoformat(timespec="seconds"),
        event.actor_id,
        names.user(event.actor_id),
        event.actor_agency_id,
        names.agency(event.actor_agency_id),
        event.actor_role,
        event.action.label,
        event.action.value,
        event.outcome.value,
        event.object_type,
        event.object_id,
        event.purpose,
        event.changes,
        event.ip_address,
        event.session_ref,
        event.request_id,
        event.event_hash,
    ]


def change_lines(changes: str | None) -> list[str]:
    """The stored change map as readable lines: "field: old → new", or "field: changed"."""
    if not changes:
        return []
    try:
        values = json.loads(changes)
    except ValueError:
        return [changes]
    if not isinstance(values, dict):
        return [_readable(values)]
    return [f"{field}: {_readable(value)}" for field, value in values.items()]


def _readable(value: Any) -> str:
    if value == MASKED:
        return MASKED
    if isinstance(value, list) and len(value) == 2:
        return f"{_readable(value[0])} → {_readable(value[1])}"
    if isinstance(value, dict):
        return ", ".join(f"{key} {_readable(item)}" for key, item in value.items()) or "none"
    if value is None or value == "":
        return "none"
    return str(value)
