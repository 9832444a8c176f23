"""Domain errors and the one place that turns errors into pages."""

from __future__ import annotations

import logging
import uuid

from flask import Flask
from flask import render_template
from flask_wtf.csrf import CSRFError
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Forbidden
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import NotFound

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule said no. `field` names the form field the message belongs next to, if any."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Refusal:
    """Someone asked for something they may not have. The request's work is rolled back, the
    attempt is recorded by the handler registered for refusals (the audit trail's), and the
    answer is the same page as for something that is not there (404) or not allowed (403).

    `actor` is the signed-in user; `object` the (table, id) they asked for.
    """

    def __init__(
        self,
        actor: object,
        object: tuple[str, int | str],
        changes: dict[str, list[object]] | None = None,
    ) -> None:
        super().__init__()
        self.actor = actor
        self.object = object
        self.changes = changes


class NotFoundRefusal(Refusal, NotFound):
    """Refused, answered exactly as something that does not exist."""


class ForbiddenRefusal(Refusal, Forbidden):
    """Refused for want of a permission the page needs."""


ERROR_PAGES = {
    400: ("Sorry, there is a problem with the request", "errors/400.html"),
    403: ("You do not have permission to see this page", "errors/403.html"),
    404: ("Page not found", "errors/404.html"),
    405: ("Sorry, that action is not allowed here", "errors/400.html"),
    413: ("The information you sent is too large", "errors/413.html"),
    429: ("Too many attempts", "errors/429.html"),
}


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(RedisConnectionError, _service_unavailable)
    app.register_error_handler(OperationalError, _service_unavailable)
    app.register_error_handler(StaleDataError, _changed_meanwhile)
    app.register_error_handler(Exception, _unexpected_error)


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    return render_template("errors/csrf.html"), 400


def _http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
    code = error.code or 500
    if code not in ERROR_PAGES:
        return error
    title, template = ERROR_PAGES[code]
    return render_template(template, title=title, error=error), code


def _service_unavailable(error: Exception) -> tuple[str, int]:
    # Rate-limit storage or the database is down: fail closed with a clear page, not a 500.
    log.error("dependency unavailable: %s", type(error).__name__)
    return render_template("errors/503.html"), 503


def error_page(code: int) -> tuple[str, int]:
    """The page for an HTTP error code of ERROR_PAGES."""
    title, template = ERROR_PAGES[code]
    return render_template(template, title=title), code


def _changed_meanwhile(error: StaleDataError) -> tuple[str, int]:
    # Someone else saved the same record first (its version moved on): nothing of this request
    # was saved (the unit of work rolled it back), and the person is told so rather than
    # silently overwriting the other change.
    return render_template("errors/409.html"), 409


def _unexpected_error(error: Exception) -> tuple[str, int]:
    reference = uuid.uuid4().hex[:12]
    log.exception("unhandled error, reference %s", reference)
    return render_template("errors/500.html", reference=reference), 500
