"""URL and request-argument plumbing that keeps hostile input away from the database."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import abort
from flask import request
from flask import url_for
from werkzeug.routing import IntegerConverter
from werkzeug.routing import Map

# Our ids are 32-bit integers on PostgreSQL; a larger number can name nothing, so it is a 404
# at routing rather than an overflow error in the database driver.
LARGEST_ID = 2_147_483_647
LARGEST_PAGE = 100_000


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` limited to the range a database id can take."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)


def page_argument() -> int:
    """The `page` query argument as a sane page number (1 when missing or nonsense)."""
    page = request.args.get("page", 1, type=int)
    return page if 1 <= page <= LARGEST_PAGE else 1


def reject_nul_bytes() -> None:
    """No legitimate form or address holds a NUL byte, and PostgreSQL refuses to store one."""
    values = [*request.args.values(), *request.form.values()]
    if any("\x00" in value for value in values):
        abort(400)


def register_routing(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseIdConverter
    app.before_request(reject_nul_bytes)


def page_numbers(page: int, pages: int) -> list[int | None]:
    """The page numbers to link to: the first, the last, and those either side of the current
    one; None marks a gap (shown as an ellipsis)."""
    wanted = sorted({1, pages, *range(max(1, page - 1), min(pages, page + 1) + 1)})
    numbers: list[int | None] = []
    for number in wanted:
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def pagination(endpoint: str, page: int, pages: int, args: dict[str, Any]) -> dict[str, Any] | None:
    """GOV.UK pagination with page numbers, each link keeping the list's filters and order."""
    if pages < 2:
        return None

    def link(number: int) -> str:
        return url_for(endpoint, page=number, **args)

    items: list[dict[str, Any]] = [
        {"ellipsis": True}
        if number is None
        else {"number": number, "href": link(number), "current": number == page}
        for number in page_numbers(page, pages)
    ]
    return {
        "previous": {"href": link(page - 1)} if page > 1 else None,
        "next": {"href": link(page + 1)} if page < pages else None,
        "items": items,
    }
