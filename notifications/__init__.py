"""Notifications (issue 22): people are told, in the app and by email, when something needs
them, and never told a word of personal data (domain E20, R11).

A feature says what happened and to whom; this package does the rest:

    notifications.notify(Event.REFERRAL_WAITING, to=coordinators, panel=panel.name,
                         reference=referral.reference, link=url_for("referrals.show", ...))

records a notification for each person (shown on their Notifications page) and, as each of
them chose, queues an email now, keeps it for their daily digest, or leaves it in the app. The
mail goes through the job queue's outbox, written in the same transaction as the change, and is
sent by the worker with retries and a delivery log (`services.deliver`). A message holds the
event's wording, the panel's name, a reference and a link that needs signing in; nothing that
could hurt anyone if it reached a shared inbox.

This package imports no feature: features import it (design §3).
"""

from notifications import delivery as _delivery  # noqa: F401  (registers the jobs it does)
from notifications.events import Choice
from notifications.events import Event
from notifications.outbox import notify
from notifications.outbox import path_for
from notifications.outbox import send_account_link

__all__ = ["Choice", "Event", "notify", "path_for", "send_account_link"]
