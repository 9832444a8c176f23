"""Forms for case pages: adding a note, finding people by name and date of birth or a case by
its reference, and filtering the case list."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import Regexp
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError

from app.forms import DATE_PARTS
from app.forms import FilterSelect
from app.forms import UKDateField
from app.forms import strip_whitespace
from app.template_filters import uk_date
from app.widgets import TextInput
from cases.queries import REFERENCE_PATTERN
from cases.queries import CaseFilters
from cases.queries import CaseSort
from cases.queries import Listing
from cases.services import NOTE_MAX_LENGTH
from panels.models import Panel
from panels.types.common import ReferralStatus
from panels.types.common import RiskLevel


def date_required(message: str) -> Callable[[Any, Any], None]:
    """Like DataRequired, but keeps the date input's own message for a half-typed or impossible
    date ("must include a month", "must be a real date") instead of replacing it."""

    def check(form: Any, field: Any) -> None:
        if field.data is None and not field.errors:
            raise StopValidation(message)

    return check


class NoteForm(FlaskForm):
    text = TextAreaField(
        "Add a note",
        widget=GovTextArea(),
        description="Only what the panel needs to know. Your agency is recorded as its source.",
        validators=[
            DataRequired(message="Enter the note"),
            Length(
                max=NOTE_MAX_LENGTH,
                message=f"The note must be {NOTE_MAX_LENGTH:,} characters or fewer",
            ),
        ],
    )
    submit = SubmitField("Save note", widget=GovSubmitInput())


class PeopleSearchForm(FlaskForm):
    """Searching by name alone is not offered: name and date of birth together are indexed.
    Sent by POST, so what was searched for stays out of URLs (and so out of logs)."""

    given_names = StringField(
        "First name",
        widget=TextInput(),
        validators=[
            DataRequired(message="Enter a first name"),
            Length(max=100, message="First name must be 100 characters or fewer"),
        ],
    )
    family_name = StringField(
        "Last name",
        widget=TextInput(),
        validators=[
            DataRequired(message="Enter a last name"),
            Length(max=100, message="Last name must be 100 characters or fewer"),
        ],
    )
    date_of_birth = UKDateField(
        "Date of birth",
        description="For example, 27 3 1990",
        validators=[date_required("Enter a date of birth")],
    )


class ReferenceSearchForm(FlaskForm):
    """A case by its reference: the prefix in any case, leading zeros optional."""

    class Meta:
        csrf = False  # a GET search changes nothing

    reference = StringField(
        "Case reference",
        widget=TextInput(),
        description="For example, MARAC-000042 or marac-42",
        filters=[strip_whitespace],
        validators=[
            DataRequired(message="Enter a case reference"),
            Length(max=40, message="A case reference is 40 characters or fewer"),
            Regexp(
                REFERENCE_PATTERN.pattern,
                message="Enter a case reference in the format MARAC-000042",
            ),
        ],
    )


def _choices(values: Any, anything: str) -> list[tuple[str, str]]:
    return [("", anything)] + [(value.value, value.label) for value in values]


YES_NO = {"yes": True, "no": False}


class CaseFilterForm(FlaskForm):
    """The case list's filters and order: choices and a date only, since the list read is
    recorded in the audit trail with them."""

    class Meta:
        csrf = False  # a GET filter changes nothing

    # The panel choices are the user's own panels, filled in by `for_panels`.
    panel = FilterSelect("Panel", invalid="Select a panel from the list")
    stage = FilterSelect(
        "Stage",
        invalid="Select a stage from the list",
        choices=_choices([s for s in ReferralStatus if s is not ReferralStatus.DRAFT], "Any stage"),
    )
    risk = FilterSelect(
        "Risk level",
        invalid="Select a risk level from the list",
        choices=_choices(RiskLevel, "Any"),
    )
    repeat = FilterSelect(
        "Repeat referral",
        invalid="Select whether the case is a repeat from the list",
        choices=[("", "Repeat or not"), ("yes", "Repeat"), ("no", "Not a repeat")],
    )
    listing = FilterSelect(
        "Next meeting",
        invalid="Select a meeting option from the list",
        choices=_choices(Listing, "Listed or not"),
    )
    meeting_on = UKDateField("Listed for the meeting on", description="For example, 14 5 2026")
    sort = FilterSelect(
        "Sort by",
        invalid="Select an order from the list",
        choices=[(order.value, order.label) for order in CaseSort],
        default=CaseSort.LAST_REFERRED.value,
    )

    @classmethod
    def for_panels(cls, panels: Sequence[Panel], formdata: Any) -> CaseFilterForm:
        form = cls(formdata)
        form.panel.choices = [("", "All your panels")] + [(str(p.id), p.name) for p in panels]
        return form

    def validate_meeting_on(self, field: Any) -> None:
        if field.data and self.listing.data == Listing.NOT_LISTED.value:
            raise ValidationError(
                "Leave the meeting date empty to see cases not listed at an upcoming meeting"
            )

    def filters(self) -> CaseFilters:
        """The validated choices as query filters (call only after `validate()`)."""
        return CaseFilters(
            panel_id=int(self.panel.data) if self.panel.data else None,
            stage=ReferralStatus(self.stage.data) if self.stage.data else None,
            risk_level=RiskLevel(self.risk.data) if self.risk.data else None,
            repeat=YES_NO[self.repeat.data] if self.repeat.data else None,
            listing=Listing(self.listing.data) if self.listing.data else None,
            meeting_on=self.meeting_on.data,
            sort=CaseSort(self.sort.data),
        )

    def query_args(self) -> dict[str, list[str]]:
        """The filters as typed, for links that keep them (the other pages)."""
        return {
            field.name: field.raw_data
            for field in self
            if field.raw_data and any(value for value in field.raw_data)
        }

    @property
    def in_use(self) -> bool:
        """Whether any filter (the order aside) was filled in."""
        return any(name != "sort" for name in self.query_args())

    def applied(self) -> list[AppliedFilter]:
        """Each filter in use, said in words, with the query that leaves it out (call only
        after `validate()`)."""
        kept = self.query_args()
        return [
            AppliedFilter(
                field.label.text,
                self._shown(field),
                {name: value for name, value in kept.items() if name != field.name},
            )
            for field in self
            if field.name in kept and field.name != "sort"
        ]

    def without_filters(self) -> dict[str, list[str]]:
        """The query that clears every filter and keeps the order."""
        return {name: value for name, value in self.query_args().items() if name == "sort"}

    @staticmethod
    def _shown(field: Any) -> str:
        if isinstance(field, UKDateField):
            return uk_date(field.data)
        return str(dict(field.choices)[field.data])

    @property
    def order(self) -> str:
        """The order the list is in, in words."""
        return CaseSort(self.sort.data).label


@dataclass(frozen=True)
class AppliedFilter:
    """A filter in use on the case list, and the query that removes it."""

    label: str
    value: str
    without: dict[str, list[str]]


def error_list(*forms: FlaskForm) -> list[dict[str, str]]:
    """The GOV.UK error summary's list for forms on one page, each message linked to the input
    to correct (a date to its first empty part)."""
    return [
        {"text": field.errors[0], "href": f"#{_error_target(field)}"}
        for form in forms
        for field in form
        if field.errors
    ]


def _error_target(field: Any) -> str:
    if not isinstance(field, UKDateField):
        return str(field.id)
    parts = [*(field.raw_data or []), "", "", ""][:3]
    empty = [part for part, value in zip(DATE_PARTS, parts, strict=True) if not value]
    return f"{field.id}-{(empty or ['day'])[0]}"
