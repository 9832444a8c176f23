"""The auditor's filter form for the audit trail: a GET search that changes nothing."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import StringField
from wtforms.validators import Length
from wtforms.validators import Regexp
from wtforms.validators import ValidationError

from app.forms import FilterSelect
from app.forms import UKDateField
from app.forms import error_summary_items
from app.forms import strip_whitespace
from audit.models import AuditAction
from audit.models import Outcome
from audit.queries import EventFilters


class EventFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    # user and agency choices are filled in by the view from the database
    user = FilterSelect("User", invalid="Select a user from the list")
    agency = FilterSelect("Agency", invalid="Select an agency from the list")
    action = FilterSelect(
        "Action",
        invalid="Select an action from the list",
        choices=[("", "Any action")] + [(action.value, action.label) for action in AuditAction],
    )
    outcome = FilterSelect(
        "Outcome",
        invalid="Select an outcome from the list",
        choices=[("", "Any outcome")]
        + [(outcome.value, outcome.value.capitalize()) for outcome in Outcome],
    )
    # A choice and an id-shaped value only: the search is itself recorded in the audit trail,
    # which must never hold free text such as a name or an address.
    object_type = FilterSelect(
        "Object type",
        invalid="Select an object type from the list",
        description="The kind of record, for example users or panels",
    )
    object_id = StringField(
        "Object ID",
        widget=GovTextInput(),
        description="For example 5",
        filters=[strip_whitespace],
        validators=[
            Length(max=64, message="Object ID must be 64 characters or fewer"),
            Regexp(
                r"^[0-9A-Za-z_.:-]*$",
                message="Object ID can only contain letters, numbers, dots, colons, "
                "hyphens and underscores",
            ),
        ],
    )
    date_from = UKDateField("Date from", description="For example, 27 3 2026")
    date_to = UKDateField("Date to", description="For example, 31 3 2026")

    def validate_object_id(self, field: Any) -> None:
        # Object ids repeat across types; the (type, id) index needs the type to be of use.
        if field.data and not self.object_type.data:
            raise ValidationError("Enter an object type to search by object ID")

    def validate_date_to(self, field: Any) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("Date to must be the same as or after date from")

    def error_list(self) -> list[dict[str, str]]:
        """The GOV.UK error summary's list, each message linked to the input to correct."""
        return error_summary_items(self)

    def filters(self) -> EventFilters:
        """The validated choices as query filters (call only after `validate()`)."""
        return EventFilters(
            actor_id=int(self.user.data) if self.user.data else None,
            agency_id=int(self.agency.data) if self.agency.data else None,
            action=AuditAction(self.action.data) if self.action.data else None,
            outcome=Outcome(self.outcome.data) if self.outcome.data else None,
            object_type=self.object_type.data or None,
            object_id=self.object_id.data or None,
            date_from=self.date_from.data,
            date_to=self.date_to.data,
        )

    def query_args(self) -> dict[str, list[str]]:
        """The filters as typed, for links that keep them (next page, export)."""
        return {
            field.name: field.raw_data
            for field in self
            if field.raw_data and any(value for value in field.raw_data)
        }

    @property
    def in_use(self) -> bool:
        """Whether any filter was filled in."""
        return bool(self.query_args())
