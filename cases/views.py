"""Case pages: the cases on your panels, finding a person or a case, and one case with its
referrals, risk assessments, transfers, timeline and notes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

import audit
from app.database import uk_today
from app.extensions import limiter
from app.routing import page_argument
from app.routing import pagination
from app.security import signed_in
from app.settings import Settings
from app.unit_of_work import attempt
from audit import AuditAction
from audit import Outcome
from cases import access_log
from cases import history
from cases import policy
from cases import queries
from cases import services
from cases.forms import CaseFilterForm
from cases.forms import NoteForm
from cases.forms import PeopleSearchForm
from cases.forms import ReferenceSearchForm
from cases.forms import error_list
from cases.meetings import queries as meeting_queries
from cases.models import Case
from cases.models import CasePerson

bp = Blueprint("cases", __name__)


@bp.record_once
def _name_cases_in_the_audit_trail(state: BlueprintSetupState) -> None:
    # The audit trail imports no feature: it asks for the labels it shows through this.
    state.app.extensions.setdefault("audit_object_labels", {})["cases"] = queries.references_of


LARGEST_SEQUENCE = 2**63 - 1  # a BIGINT; anything larger can name no event


def _people_search_limit() -> str:
    settings: Settings = current_app.config["SETTINGS"]
    return settings.rate_limits.people_search_per_user


def _searcher_key() -> str:
    return f"people-search:{getattr(current_user, 'id', 'anonymous')}"


@bp.errorhandler(429)
def _too_many_searches(error: HTTPException) -> tuple[str, int]:
    """The search was refused by its rate limit: the request's work is already rolled back, so
    the refusal goes on the record here, and the unit of work commits that record alone."""
    audit.record(
        actor=current_user, action=AuditAction.PEOPLE_SEARCH_THROTTLED, outcome=Outcome.DENIED
    )
    return render_template("errors/429_search.html", title="Too many searches"), 429


@bp.route("/cases", methods=["GET", "POST"])
@signed_in
@limiter.limit(_people_search_limit, key_func=_searcher_key, methods=["POST"])
def index() -> str | Response:
    """The cases on the user's panels, filtered and paged, with search by reference or person.

    A person is searched for by POST: a name and date of birth in a URL would reach access
    logs, browser history, Referer headers and the address kept for after signing in again."""
    references = ReferenceSearchForm(request.args)
    if "reference" in request.args and references.validate():
        found = _case_by_reference(references)
        if found is not None:
            return redirect(url_for("cases.show", case_id=found.id))
    search = PeopleSearchForm()
    matches = _people_matches(search) if request.method == "POST" else None
    filters = CaseFilterForm.for_panels(queries.panels_of(current_user), request.args)
    today = uk_today()
    listing = _case_page(filters, today) if filters.validate() else None
    return render_template(
        "cases/index.html",
        form=search,
        references=references,
        filters=filters,
        errors=error_list(references, search, filters),
        matches=matches,
        listing=listing,
        # Asked for every row: worked out once per panel for this page.
        field_view=cache(lambda panel: policy.field_view(current_user, panel)),
        pagination=pagination("cases.index", listing.page, listing.pages, filters.query_args())
        if listing
        else None,
        today=today,
    )


def _case_by_reference(form: ReferenceSearchForm) -> Case | None:
    """The case the reference names if the user may see it; else the field says so and the
    attempt is recorded, exactly as opening a case that is not yours would be."""
    reference = form.reference.data
    case = queries.visible_case_by_reference(current_user, reference)
    if case is None:
        parsed = queries.parse_reference(reference)
        audit.record(
            actor=current_user,
            action=AuditAction.ACCESS_DENIED,
            object=("cases", parsed[1] if parsed else reference),
            outcome=Outcome.DENIED,
        )
        form.reference.errors.append(f"No case you can open has the reference {reference}")
    return case


def _people_matches(search: PeopleSearchForm) -> Sequence[CasePerson] | None:
    if not search.validate():
        return None
    assert search.date_of_birth.data is not None  # required by the form
    people = queries.people_named(
        search.given_names.data, search.family_name.data, search.date_of_birth.data
    )
    matches = queries.cases_of(people, current_user)
    # What was searched for is personal data: the trail records only that a search ran.
    audit.record(
        actor=current_user,
        action=AuditAction.PEOPLE_SEARCHED,
        changes={"results": [None, len(matches)]},
    )
    return matches


def _case_page(form: CaseFilterForm, today: date) -> queries.CasePage:
    filters = form.filters()
    listing = queries.cases_for(current_user, filters, page=page_argument(), today=today)
    # Filters are codes and a date, never a name, so the trail can hold them.
    audit.record(
        actor=current_user,
        action=AuditAction.CASE_LIST_VIEWED,
        changes={
            "page": [None, listing.page],
            "filters": filters.described(),
            "results": [None, listing.total],
        },
    )
    return listing


@bp.route("/cases/<int:case_id>", methods=["GET", "POST"])
@signed_in
def show(case_id: int) -> str | Response:
    """One case: its referrals, timeline, the minutes of the meetings that heard it (a sending
    panel's too, after a transfer) and notes, and a form to add a note."""
    case = policy.case_or_404(current_user, case_id)
    form = NoteForm()
    if form.validate_on_submit():
        with attempt(form, field="text") as done:
            services.add_note(case, actor=current_user, text=form.text.data)
        if done:
            flash("Your note has been saved", "success")
            return redirect(url_for("cases.show", case_id=case.id, _anchor="notes"))
    earlier = [] if case.disposed_at else meeting_queries.minutes_history(case, current_user)
    # The minutes shown are part of this read: the trail names their meetings.
    shown = [entry.meeting.id for entry in earlier]
    audit.record(
        actor=current_user,
        action=AuditAction.CASE_VIEWED,
        object=case,
        changes={"minutes_of_meetings": [None, shown]} if shown else None,
    )
    coordinator = policy.coordinates(current_user, case.panel_id)
    return render_template(
        "cases/show.html",
        case=case,
        fields=policy.field_view(current_user, case.panel),
        form=form,
        timeline=history.timeline(case),
        history=history,
        today=uk_today(),
        can_transfer=coordinator and case.disposed_at is None,
        plans_actions=policy.plans_actions(current_user, case.panel_id),
        earlier_minutes=earlier,
        # Who has seen this case: for its coordinators only, the latest events.
        access=access_log.case_entries(case, limit=access_log.CASE_PAGE_ENTRIES)
        if coordinator
        else None,
    )


@bp.route("/cases/<int:case_id>/access-log")
@signed_in
def access_log_page(case_id: int) -> str:
    """Every read and change of the case and its referrals, newest first, for its coordinators.

    Anyone else gets the same 404 as for a case that is not theirs, and the attempt is recorded.
    """
    case = policy.coordinated_case_or_404(current_user, case_id)
    before = _before_argument()
    audit.record(
        actor=current_user,
        action=AuditAction.CASE_ACCESS_LOG_VIEWED,
        object=case,
        changes={"before": [None, before]} if before else None,
    )
    # The page reads a snapshot taken before this read is appended; following its pages by
    # `before` keeps to events older than the first page's.
    return render_template(
        "cases/access_log.html",
        case=case,
        access=access_log.case_entries(case, before=before),
        before=before,
    )


def _before_argument() -> int | None:
    """The `before` query argument (a sequence number), or None when missing or nonsense."""
    before = request.args.get("before", type=int)
    return before if before is not None and 1 <= before <= LARGEST_SEQUENCE else None
