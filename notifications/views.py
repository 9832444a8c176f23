"""Notifications in the app: a person's list with its unread count in the navigation, marking
read, choosing how each kind reaches them; and the administrators' delivery log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.sansio.blueprints import BlueprintSetupState
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from app.database import utcnow
from app.errors import NotFoundRefusal
from app.security import Permission
from app.security import requires
from app.security import signed_in
from app.unit_of_work import attempt
from notifications import queries
from notifications import services
from notifications.events import DIGEST
from notifications.events import Choice
from notifications.events import Event
from notifications.forms import CHOOSABLE
from notifications.forms import MANDATORY
from notifications.forms import ChoicesForm
from notifications.forms import DeliveryFilterForm
from notifications.models import DeliveryStatus

bp = Blueprint("notifications", __name__)


@bp.route("/notifications")
@signed_in
def index() -> str:
    """The person's notifications, newest first, fifty at a time; unread ones only if asked."""
    unread_only = request.args.get("show") == "unread"
    before = request.args.get("before", type=int)
    shown = queries.notifications_for(current_user, unread_only=unread_only, before=before)
    more = len(shown) == queries.PAGE_SIZE
    return render_template(
        "notifications/index.html",
        notifications=shown,
        unread_only=unread_only,
        unread=queries.unread_count(current_user),
        older=url_for(".index", before=shown[-1].id, show="unread" if unread_only else None)
        if more
        else None,
        newest=url_for(".index", show="unread" if unread_only else None) if before else None,
    )


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@signed_in
def mark_read(notification_id: int) -> Response:
    """Mark one of the person's notifications as read."""
    notification = queries.own_notification(current_user, notification_id)
    if notification is None:
        raise NotFoundRefusal(current_user, ("notifications", notification_id), None)
    services.mark_read(notification, actor=current_user)
    return redirect(_back())


@bp.route("/notifications/read-all", methods=["POST"])
@signed_in
def mark_all_read() -> Response:
    """Mark all the person's notifications as read."""
    marked = services.mark_all_read(actor=current_user)
    flash(f"{marked} notification{'s' if marked != 1 else ''} marked as read", "success")
    return redirect(_back())


@bp.route("/notifications/settings", methods=["GET", "POST"])
@signed_in
def settings() -> str | Response:
    """Choose, for each kind of event, between email at once, a daily summary or the app."""
    form = ChoicesForm()
    if request.method == "GET":
        for event, choice in queries.choices_of(current_user).items():
            form[event.value].data = choice.value
    if form.validate_on_submit():
        with attempt(form) as done:
            services.choose(actor=current_user, choices=form.chosen())
        if done:
            flash("Your choices are saved", "success")
            return redirect(url_for(".settings"))
    return render_template(
        "notifications/settings.html",
        form=form,
        choosable=CHOOSABLE,
        mandatory=MANDATORY,
        choices=list(Choice),
    )


@bp.route("/admin/deliveries")
@requires(Permission.ADMIN_USERS_MANAGE)
def deliveries() -> str:
    """The delivery log: who was emailed what kind of message, when and how it went (never
    what it said), newest first; filtered by status or recipient."""
    form = DeliveryFilterForm(request.args)
    valid = form.validate() if request.args else True
    before = request.args.get("before", type=int)
    shown = (
        queries.deliveries(
            status=DeliveryStatus(form.status.data) if form.status.data else None,
            recipient=form.recipient.data,
            before=before,
        )
        if valid
        else []
    )
    older = None
    if len(shown) == queries.PAGE_SIZE:
        args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "before"}
        older = url_for(".deliveries", before=shown[-1].id, **args)
    return render_template(
        "notifications/deliveries.html",
        form=form,
        deliveries=shown,
        counts=queries.delivery_counts(utcnow() - timedelta(days=1)),
        kinds={event.value: event.heading for event in Event} | {DIGEST: "Daily summary"},
        older=older,
    )


def _back() -> str:
    """Back to the list the person was on (its filter kept), never anywhere else."""
    show = request.form.get("show")
    return url_for(".index", show="unread" if show == "unread" else None)


def notifications_navigation() -> dict[str, Any] | None:
    """ "Notifications (N)" in the service navigation, counted once per request."""
    if "notifications_navigation" not in g:
        g.notifications_navigation = _navigation_item()
    item: dict[str, Any] | None = g.notifications_navigation
    return item


def _navigation_item() -> dict[str, Any] | None:
    if not current_user.is_authenticated:
        return None
    try:
        unread = queries.unread_count(current_user)
    except SQLAlchemyError:
        return None  # an error page after a failed transaction must still render
    href = url_for("notifications.index")
    return {
        "text": f"Notifications ({unread} unread)" if unread else "Notifications",
        "href": href,
        "active": request.path.startswith(href),
    }


@bp.record_once
def _register(state: BlueprintSetupState) -> None:
    state.app.extensions.setdefault("navigation_items", []).append(notifications_navigation)
