"""What people can be told of, and how each of them chooses to hear of it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Choice(StrEnum):
    """How a person hears of one kind of event (beyond seeing it in the app)."""

    EMAIL = "email"
    DIGEST = "digest"
    APP = "app"

    @property
    def label(self) -> str:
        return {
            "email": "Email me straight away",
            "digest": "Email me once a day, in a summary",
            "app": "Only show it here, in the app",
        }[self.value]


@dataclass(frozen=True)
class About:
    """An event in words: `title` names it (the settings page, a message's subject), `said`
    is the message's sentence. Neither may ever hold anything about a person."""

    title: str
    said: str
    audience: str
    default: Choice = Choice.EMAIL
    mandatory: bool = False  # always emailed at once: the person cannot turn it off
    in_app: bool = True  # shown on the Notifications page (not an account link)


class Event(StrEnum):
    REFERRAL_WAITING = "referral_waiting"
    REFERRAL_RETURNED = "referral_returned"
    REFERRAL_ACCEPTED = "referral_accepted"
    REFERRAL_REJECTED = "referral_rejected"
    AGENDA_PUBLISHED = "agenda_published"
    MINUTES_APPROVED = "minutes_approved"
    ACTION_ASSIGNED = "action_assigned"
    ACTION_DUE_SOON = "action_due_soon"
    ACTION_OVERDUE = "action_overdue"
    EMERGENCY_ACCESS = "emergency_access"
    ISP_REVIEW_DUE = "isp_review_due"
    ISP_WITHDRAWN = "isp_withdrawn"
    ACCOUNT_INVITATION = "account_invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105  (an event's name, not a password)
    NEW_DEVICE = "new_device"
    TWO_FACTOR_CHANGED = "two_factor_changed"

    @property
    def about(self) -> About:
        return ABOUT[self]

    @property
    def heading(self) -> str:
        return self.about.title

    @property
    def mandatory(self) -> bool:
        return self.about.mandatory


ABOUT: dict[Event, About] = {
    Event.REFERRAL_WAITING: About(
        "A referral is waiting for screening",
        "A referral has been sent to the panel and is waiting for a coordinator to screen it.",
        "Coordinators of the panel",
    ),
    Event.REFERRAL_RETURNED: About(
        "Your referral was returned",
        "A coordinator returned a referral you sent, asking for more information.",
        "The person who sent the referral",
    ),
    Event.REFERRAL_ACCEPTED: About(
        "Your referral was accepted",
        "A coordinator accepted a referral you sent.",
        "The person who sent the referral",
    ),
    Event.REFERRAL_REJECTED: About(
        "Your referral was not accepted",
        "A coordinator did not accept a referral you sent; the reason is on the referral.",
        "The person who sent the referral",
    ),
    Event.AGENDA_PUBLISHED: About(
        "A meeting's agenda was published",
        "The agenda of a panel meeting has been published: research the cases listed for it.",
        "Members of the panel",
    ),
    Event.MINUTES_APPROVED: About(
        "A meeting's minutes were approved",
        "The minutes of a panel meeting have been approved.",
        "Members of the panel",
    ),
    Event.ACTION_ASSIGNED: About(
        "An action was given to your agency",
        "The panel agreed an action for your agency.",
        "Your agency's representatives on the panel",
    ),
    Event.ACTION_DUE_SOON: About(
        "An action is due soon",
        "An action of your agency is due within the next few days.",
        "Your agency's representatives on the panel",
        default=Choice.DIGEST,
    ),
    Event.ACTION_OVERDUE: About(
        "An action is overdue",
        "An action of your agency is past its due date and not yet done.",
        "Your agency's representatives on the panel, and its chair",
    ),
    Event.EMERGENCY_ACCESS: About(
        "Emergency access to a case",
        "Someone was given emergency access to a case of your panel: review whether it was "
        "justified.",
        "Coordinators of the panel",
    ),
    Event.ISP_REVIEW_DUE: About(
        "An information sharing signature is due for review",
        "An agency's signature of the panel's information sharing protocol reaches its review "
        "date soon.",
        "Administrators and the panel's coordinators",
    ),
    Event.ISP_WITHDRAWN: About(
        "An information sharing signature was withdrawn",
        "An agency withdrew its signature of the panel's information sharing protocol: its "
        "members no longer see the panel's cases.",
        "Administrators and the panel's coordinators",
    ),
    Event.ACCOUNT_INVITATION: About(
        "Your account",
        "An account has been made for you. Set your password with the link below.",
        "The new account's holder",
        mandatory=True,
        in_app=False,
    ),
    Event.PASSWORD_RESET: About(
        "Set a new password",
        "An administrator has given you a link to set a new password.",
        "The account's holder",
        mandatory=True,
        in_app=False,
    ),
    Event.NEW_DEVICE: About(
        "Your account was signed in to from a new device",
        "Your account was signed in to from a browser it has not been used from before. If "
        "this was not you, tell your administrator at once.",
        "The account's holder",
        mandatory=True,
    ),
    Event.TWO_FACTOR_CHANGED: About(
        "Your two-factor sign-in was changed",
        "The two-factor sign-in of your account was changed (set up, reset or given new "
        "recovery codes). If this was not you, tell your administrator at once.",
        "The account's holder",
        mandatory=True,
    ),
}

DIGEST = "digest"  # the delivery log's kind for a daily summary
