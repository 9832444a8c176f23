"""Links sent to people (a one-time set-password link): built from the deployment's own
address, never from the Host header of the request that made them."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask import url_for


def external_url_for(endpoint: str, **values: Any) -> str:
    """The absolute address of `endpoint`, to be sent to someone.

    With EXTERNAL_URL set (required in production) the link starts with it, whatever host the
    request named. Without it (development, demo, test), it names the request's host, which
    TRUSTED_HOSTS has already limited to the local names or those listed.
    """
    base: str | None = current_app.config["SETTINGS"].external_url
    if base is None:
        return url_for(endpoint, _external=True, **values)
    return base.rstrip("/") + url_for(endpoint, **values)
