"""Case pages: the cases on your panels, finding a person, and one case with its notes."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from werkzeug.wrappers import Response

import audit
from app.database import db
from app.errors import DomainError
from app.routing import page_argument
from app.security import signed_in
from audit import AuditAction
from audit import Outcome
from cases import queries
from cases import services
from cases.forms import NoteForm
from cases.forms import PeopleSearchForm
from cases.models import Case

bp = Blueprint("cases", __name__)


@bp.route("/cases")
@signed_in
def index() -> str:
    search = PeopleSearchForm(request.args)
    matches = None
    if "family_name" in request.args and search.validate():
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
    page = page_argument()
    cases, total = queries.cases_for(current_user, page=page)
    audit.record(
        actor=current_user, action=AuditAction.CASE_LIST_VIEWED, changes={"page": [None, page]}
    )
    db.session.commit()
    return render_template(
        "cases/index.html",
        cases=cases,
        total=total,
        page=page,
        pages=max(1, -(-total // queries.PAGE_SIZE)),
        form=search,
        matches=matches,
    )


@bp.route("/cases/<int:case_id>", methods=["GET", "POST"])
@signed_in
def show(case_id: int) -> str | Response:
    case = _visible_case_or_404(case_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            services.add_note(case, actor=current_user, text=form.text.data)
        except DomainError as error:
            form.text.errors.append(error.message)
        else:
            db.session.commit()
            flash("Your note has been saved", "success")
            return redirect(url_for("cases.show", case_id=case.id, _anchor="notes"))
    audit.record(actor=current_user, action=AuditAction.CASE_VIEWED, object=case)
    db.session.commit()
    return render_template("cases/show.html", case=case, form=form)


def _visible_case_or_404(case_id: int) -> Case:
    """The case, or the same 404 for "no such case" and "not on your panels" (recorded)."""
    case = queries.visible_case(current_user, case_id)
    if case is None:
        audit.record(
            actor=current_user,
            action=AuditAction.ACCESS_DENIED,
            object=("cases", case_id),
            outcome=Outcome.DENIED,
        )
        db.session.commit()
        abort(404)
    return case
