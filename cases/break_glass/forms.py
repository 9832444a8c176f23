"""Forms for emergency access: asking for it, a coordinator's decision on a request beyond the
person's limits, and a coordinator's review afterwards.

They shape input only; whether access may be given, and whether a reason is enough, is decided
by `cases.policy` and `cases.break_glass`."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import ValidationError

from app.auth import step_up
from app.forms import strip_whitespace
from cases.break_glass.models import BreakGlassReason
from cases.break_glass.models import BreakGlassReview
from cases.break_glass.services import REASON_MIN_WORDS
from cases.break_glass.services import TEXT_MAX_LENGTH
from panels.instruments.section import Choice

REFERENCE_MAX_LENGTH = 40
CANNOT = "You cannot get emergency access to this case"  # the one answer to every refusal
TOO_LONG = f"Enter {TEXT_MAX_LENGTH:,} characters or fewer"


def _enough_words(form: object, field: TextAreaField) -> None:
    """The service's rule, checked first here so that a thin reason does not spend the
    security code typed with it."""
    words = len((field.data or "").split())
    if words == 0:
        raise ValidationError("Explain why you need emergency access to this case")
    if words < REASON_MIN_WORDS:
        raise ValidationError(
            f"Explain why you need emergency access in at least {REASON_MIN_WORDS} words"
        )


class EmergencyAccessForm(FlaskForm):
    reference = StringField(
        "Case reference",
        widget=GovTextInput(),
        description="For example, MARAC-000042",
        filters=[strip_whitespace],
        validators=[
            DataRequired(message="Enter the case reference"),
            Length(
                max=REFERENCE_MAX_LENGTH, message="You cannot get emergency access to this case"
            ),
        ],
    )
    reason_code = Choice(
        "Why do you need emergency access?",
        choices=[(reason.value, reason.label) for reason in BreakGlassReason],
        message="Select why you need emergency access",
    )
    reason = TextAreaField(
        "Explain the emergency",
        widget=GovTextArea(),
        description="Say what has happened and why it cannot wait for the case's coordinator. "
        "Do not include names: the case's coordinators will read this when they review it.",
        validators=[Length(max=TEXT_MAX_LENGTH, message=TOO_LONG), _enough_words],
    )
    code = step_up.code_field("emergency access asks for it again, even though you are signed in.")
    submit = SubmitField("Get emergency access", widget=GovSubmitInput())

    @property
    def chosen_reason(self) -> BreakGlassReason:
        return BreakGlassReason(self.reason_code.data)


class ReviewForm(FlaskForm):
    outcome = Choice(
        "Was the emergency access justified?",
        choices=[(outcome.value, outcome.label) for outcome in BreakGlassReview],
        message="Select whether the emergency access was justified",
    )
    note = TextAreaField(
        "Your review",
        widget=GovTextArea(),
        description="What you checked, and anything you will do next.",
        validators=[Length(max=TEXT_MAX_LENGTH, message=TOO_LONG)],
    )
    submit = SubmitField("Record review", widget=GovSubmitInput())

    @property
    def chosen_outcome(self) -> BreakGlassReview:
        return BreakGlassReview(self.outcome.data)


APPROVE, DECLINE = "approve", "decline"


class DecisionForm(FlaskForm):
    """A coordinator approves or declines a request made beyond the person's limits."""

    decision = Choice(
        "Do you approve this emergency access?",
        choices=[
            (APPROVE, "Yes, approve it: their access starts now"),
            (DECLINE, "No, decline it"),
        ],
        message="Select whether you approve the emergency access",
    )
    note = TextAreaField(
        "Your reasons",
        widget=GovTextArea(),
        description="Needed if you decline. Kept with the request for the coordinators and "
        "auditors; the person who asked does not see it.",
        validators=[Length(max=TEXT_MAX_LENGTH, message=TOO_LONG)],
    )
    submit = SubmitField("Record decision", widget=GovSubmitInput())

    @property
    def approving(self) -> bool:
        return bool(self.decision.data == APPROVE)
