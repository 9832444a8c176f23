"""Forms for the meetings: adding one, browsing them, listing a referral at one, recording
attendance and declarations of interest, drafting and approving the minutes. The
confidentiality declaration's form is `panels.forms.DeclarationForm`."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from wtforms import BooleanField
from wtforms import Field
from wtforms import FieldList
from wtforms import Form
from wtforms import FormField
from wtforms import HiddenField
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import ValidationError

from app.accounts.models import Organisation
from app.errors import DomainError
from app.forms import FilterSelect
from app.forms import UKDateField
from app.forms import leaf_fields
from app.forms import strip_whitespace
from app.template_filters import uk_date
from app.widgets import TextInput
from cases.forms import date_required
from cases.meetings.models import AttendanceStatus
from cases.meetings.models import MeetingMinutes
from cases.meetings.queries import AttendanceRecord
from cases.meetings.queries import CaseMinutesView
from cases.meetings.queries import MeetingFilters
from cases.meetings.queries import Member
from cases.meetings.queries import Order
from cases.meetings.queries import When
from cases.meetings.queries import by_agency
from cases.meetings.rules import contribution_field
from cases.meetings.rules import decision_field
from cases.meetings.rules import discussion_field
from cases.meetings.rules import member_field
from cases.meetings.services import OBSERVERS_MAX
from cases.meetings.services import CaseMinutes
from cases.meetings.services import Observer
from cases.meetings.services import Problems
from panels.instruments.section import Checkboxes
from panels.instruments.section import Choice
from panels.models import MeetingKind
from panels.models import Panel


class ListingForm(FlaskForm):
    meeting_id = Choice("Meeting", choices=[], message="Select a meeting")
    submit = SubmitField("List for this meeting", widget=GovSubmitInput())


# How far from today a meeting may be added: further is a mistyped year, not a meeting.
ADD_BACK_MONTHS = 12
ADD_AHEAD_YEARS = 2


class MeetingForm(FlaskForm):
    """Adding a meeting. The service refuses a second meeting of the same panel and kind on
    the same day; the form alone refuses an implausible date (`plausible_date`), so that
    scripts and tests may schedule meetings anywhere in time through the service."""

    panel_id = FilterSelect(
        "Panel",
        invalid="Select one of the panels you coordinate",
        validators=[DataRequired(message="Select the panel")],
    )
    held_on = UKDateField(
        "Date of the meeting", validators=[date_required("Enter the date of the meeting")]
    )
    kind = Choice(
        "Kind of meeting",
        choices=[(k.value, k.label) for k in MeetingKind],
        message="Select scheduled or emergency",
        default=MeetingKind.SCHEDULED.value,
    )
    submit = SubmitField("Add meeting", widget=GovSubmitInput())

    def plausible_date(self, today: date) -> bool:
        """Whether the date is within a year before today and two years after it; if not,
        says why next to the date."""
        held_on = self.held_on.data
        if held_on is None:
            return False
        earliest = _months_before(today, ADD_BACK_MONTHS)
        latest = _months_before(today, -12 * ADD_AHEAD_YEARS)
        if held_on < earliest:
            self.held_on.errors = [
                "The date of the meeting must be within the last 12 months, on or after "
                f"{uk_date(earliest)}"
            ]
        elif held_on > latest:
            self.held_on.errors = [
                "The date of the meeting must be within the next 2 years, on or before "
                f"{uk_date(latest)}"
            ]
        return not self.held_on.errors


def _months_before(day: date, months: int) -> date:
    """The same day of the month `months` earlier (negative: later), or the month's last day."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


# Browsing ----------------------------------------------------------------------------------


def _choices(values: Any, anything: str | None = None) -> list[tuple[str, str]]:
    first = [("", anything)] if anything is not None else []
    return first + [(value.value, value.label) for value in values]


class MeetingFilterForm(FlaskForm):
    """The meetings list's filters and order: choices and dates only."""

    class Meta:
        csrf = False  # a GET filter changes nothing

    when = FilterSelect(
        "Meetings",
        invalid="Select which meetings to show from the list",
        choices=_choices(When),
        default=When.UPCOMING.value,
    )
    panel = FilterSelect("Panel", invalid="Select a panel from the list")
    kind = FilterSelect(
        "Kind of meeting",
        invalid="Select a kind of meeting from the list",
        choices=_choices(MeetingKind, "Scheduled or emergency"),
    )
    held_from = UKDateField("Held from", description="For example, 1 4 2026")
    held_to = UKDateField("Held up to", description="For example, 30 4 2026")
    order = FilterSelect(
        "Order",
        invalid="Select an order from the list",
        choices=[("", "Soonest first to come, latest first if held"), *_choices(Order)],
    )

    @classmethod
    def for_panels(cls, panels: Sequence[Panel], formdata: Any) -> MeetingFilterForm:
        form = cls(formdata)
        form.panel.choices = [("", "All your panels")] + [(str(p.id), p.name) for p in panels]
        return form

    def validate_held_to(self, field: Any) -> None:
        if field.data and self.held_from.data and field.data < self.held_from.data:
            raise ValidationError("Held up to must be the same as or after held from")

    def filters(self) -> MeetingFilters:
        """The validated choices as query filters (call only after `validate()`)."""
        return MeetingFilters(
            when=When(self.when.data or When.UPCOMING.value),
            panel_id=int(self.panel.data) if self.panel.data else None,
            kind=MeetingKind(self.kind.data) if self.kind.data else None,
            held_from=self.held_from.data,
            held_to=self.held_to.data,
            order=Order(self.order.data) if self.order.data else None,
        )

    def query_args(self) -> dict[str, list[str]]:
        """The filters as typed, for links that keep them (the other pages)."""
        return {
            field.name: field.raw_data
            for field in self
            if field.raw_data and any(value for value in field.raw_data)
        }


# Attendance --------------------------------------------------------------------------------

NOT_RECORDED = "none"
ATTENDANCE_CHOICES = [
    (NOT_RECORDED, "Not recorded"),
    *[(status.value, status.label) for status in AttendanceStatus],
]


class ObserverForm(Form):
    name = StringField("Name", widget=TextInput(), filters=[strip_whitespace])
    organisation = StringField("Organisation", widget=TextInput(), filters=[strip_whitespace])


class AttendanceForm(FlaskForm):
    """The meeting's attendance as a whole; `attendance_form` adds a field per member."""

    information = Checkboxes(
        "Agencies that sent information without attending",
        choices=[],
        message="Select only agencies that sit on the panel",
    )
    # The fingerprint of the attendance the form was drawn from (two coordinators at once).
    seen = HiddenField()
    submit = SubmitField("Save attendance", widget=GovSubmitInput())

    member_fields: list[tuple[Organisation, list[tuple[Member, Field]]]]

    @property
    def errors(self) -> dict[str, list[str]]:
        return {field.id: list(field.errors) for field in leaf_fields(self) if field.errors}

    def statuses(self) -> dict[int, AttendanceStatus | None]:
        return {
            member.user_id: None
            if field.data in (None, NOT_RECORDED)
            else AttendanceStatus(field.data)
            for _, members in self.member_fields
            for member, field in members
        }

    def observers(self) -> list[Observer]:
        return [
            Observer(entry.form.name.data or "", entry.form.organisation.data or "")
            for entry in self.observer_rows
        ]


def attendance_form(
    members: Sequence[Member],
    record: AttendanceRecord,
    formdata: Any = None,
) -> AttendanceForm:
    """A form with a choice per member of the panel, grouped by agency, filled in with the
    attendance as recorded; and rows for observers (those recorded and two blank)."""

    class MeetingAttendanceForm(AttendanceForm):
        pass

    rows = len(record.observers) + 2
    MeetingAttendanceForm.observer_rows = FieldList(
        FormField(ObserverForm), "Observers", min_entries=rows, max_entries=OBSERVERS_MAX + 2
    )
    for member in members:
        setattr(
            MeetingAttendanceForm,
            member_field(member.user_id),
            Choice(
                member.user.display_name,
                choices=ATTENDANCE_CHOICES,
                message=f"Select whether {member.user.display_name} attended",
                default=NOT_RECORDED,
            ),
        )
    data = {member_field(user_id): row.status.value for user_id, row in record.rows.items()} | {
        "information": [str(row.organisation_id) for row in record.information],
        "seen": record.fingerprint,
        "observer_rows": [
            {"name": o.name, "organisation": o.organisation} for o in record.observers
        ],
    }
    form = MeetingAttendanceForm(formdata=formdata, data=data)
    form.member_fields = [
        (agency, [(member, form[member_field(member.user_id)]) for member in group])
        for agency, group in by_agency(members)
    ]
    form.information.choices = [(str(agency.id), agency.name) for agency, _ in form.member_fields]
    return form


def add_errors(form: FlaskForm, error: DomainError) -> None:
    """Put each refused entry's message next to its field (e.g. "member-12", "observers-0-name")."""
    fields = list(leaf_fields(form))
    problems = error.problems if isinstance(error, Problems) else [error]
    for problem in problems:
        name = (problem.field or "").replace("observers-", "observer_rows-")
        chosen = next((f for f in fields if f.name == name), fields[0])
        if problem.message not in chosen.errors:
            chosen.errors = [*chosen.errors, problem.message]


# Declarations of interest ------------------------------------------------------------------


class InterestForm(FlaskForm):
    case_id = FilterSelect(
        "Case",
        invalid="Select a case on this meeting’s agenda",
        validators=[DataRequired(message="Select the case")],
    )
    attendee_id = FilterSelect(
        "Who declared an interest",
        invalid="Select someone recorded as attending the meeting",
        validators=[DataRequired(message="Select who declared an interest")],
    )
    submit = SubmitField("Record declaration of interest", widget=GovSubmitInput())


class WithdrawInterestForm(FlaskForm):
    """The button that removes a declaration of interest recorded in error."""

    declaration_id = HiddenField(validators=[DataRequired()])
    submit = SubmitField("Remove", widget=GovSubmitInput())

    def declaration(self) -> int:
        value = self.declaration_id.data or ""
        return int(value) if value.isdigit() and len(value) < 12 else 0


# Minutes -------------------------------------------------------------------------------------


class MinutesForm(FlaskForm):
    """The minutes as a whole; `minutes_form` adds the fields of each case on the agenda."""

    general = TextAreaField(
        "General minutes",
        widget=GovTextArea(),
        description=(
            "Who chaired, apologies and anything else not about one case, such as the review of "
            "the last meeting’s actions. Do not name anyone on the agenda here."
        ),
        filters=[strip_whitespace],
    )
    # The revision of the minutes the form was drawn from (0: none yet): two people at once.
    seen = HiddenField()
    submit = SubmitField("Save draft minutes", widget=GovSubmitInput())

    case_fields: list[tuple[CaseMinutesView, Field, Field, list[tuple[Organisation, Field]]]]

    @property
    def errors(self) -> dict[str, list[str]]:
        return {field.id: list(field.errors) for field in leaf_fields(self) if field.errors}

    def seen_revision(self) -> int:
        """The revision the form was drawn from; a missing or forged one matches none."""
        value = self.seen.data or ""
        return int(value) if value.isdigit() else -1

    def cases(self) -> dict[int, CaseMinutes]:
        return {
            view.case.id: CaseMinutes(
                discussion.data or "",
                {agency.id: field.data or "" for agency, field in agencies},
                decision.data or None,
            )
            for view, decision, discussion, agencies in self.case_fields
        }


def minutes_form(
    listed: Sequence[CaseMinutesView],
    agencies: Sequence[Organisation],
    minutes: MeetingMinutes | None,
    formdata: Any = None,
) -> MinutesForm:
    """A form with the general minutes and, for each case on the agenda the coordinator may
    see (its content not destroyed), the panel's decision (a choice of its type's, or none
    yet), the discussion and a box per agency that attended or sent information, filled in
    with the minutes as saved."""

    class MeetingMinutesForm(MinutesForm):
        pass

    writable = [view for view in listed if view.case.disposed_at is None]
    data: dict[str, Any] = {
        "general": minutes.general if minutes else "",
        "seen": str(minutes.revision if minutes else 0),
    }
    for view in writable:
        case = view.case
        setattr(
            MeetingMinutesForm,
            decision_field(case.id),
            FilterSelect(
                "Decision",
                invalid=f"Select one of the panel’s decisions for case {case.reference}",
                choices=[("", "Not recorded yet")]
                + [(d.code, d.label) for d in case.panel.spec.decisions],
            ),
        )
        data[decision_field(case.id)] = (view.section.decision if view.section else None) or ""
        setattr(
            MeetingMinutesForm,
            discussion_field(case.id),
            TextAreaField(
                "Discussion",
                widget=GovTextArea(),
                description="The risks discussed and what the panel agreed.",
                filters=[strip_whitespace],
            ),
        )
        contributed = (
            {c.organisation_id: c.text for c in view.section.contributions} if view.section else {}
        )
        data[discussion_field(case.id)] = view.section.discussion if view.section else ""
        for agency in agencies:
            setattr(
                MeetingMinutesForm,
                contribution_field(case.id, agency.id),
                TextAreaField(agency.name, widget=GovTextArea(), filters=[strip_whitespace]),
            )
            data[contribution_field(case.id, agency.id)] = contributed.get(agency.id, "")
    form = MeetingMinutesForm(formdata=formdata, data=data)
    form.case_fields = [
        (
            view,
            form[decision_field(view.case.id)],
            form[discussion_field(view.case.id)],
            [(agency, form[contribution_field(view.case.id, agency.id)]) for agency in agencies],
        )
        for view in writable
    ]
    return form


class ApproveMinutesForm(FlaskForm):
    # The revision the chair read: minutes changed since are not approved unread.
    seen = HiddenField()
    submit = SubmitField("Approve the minutes", widget=GovSubmitInput())

    def seen_revision(self) -> int:
        value = self.seen.data or ""
        return int(value) if value.isdigit() else -1


class ExtractForm(FlaskForm):
    """Whose actions extract a coordinator or chair opens."""

    class Meta:
        csrf = False  # a GET choice: nothing changes

    agency = FilterSelect("Agency", invalid="Select an agency from the list")
    submit = SubmitField("Show their actions", widget=GovSubmitInput())


# Research before the meeting -----------------------------------------------------------------


class ResearchForm(FlaskForm):
    """One agency's research on one listed case: what it is sharing, or nothing to share. The
    rules (one or the other, its length, the meeting's day) are the service's."""

    shared = TextAreaField(
        "What your agency is sharing for the meeting",
        widget=GovTextArea(),
        description=(
            "What your agency's records hold that the panel needs to know about this case. "
            "It is encrypted, and only your agency and those running the meeting can read it."
        ),
    )
    nothing_to_share = BooleanField(
        "We have researched this case and have nothing to share", widget=GovCheckboxInput()
    )
    # The revision of the agency's record the form was drawn from (0: none yet).
    seen = HiddenField()
    submit = SubmitField("Save research", widget=GovSubmitInput())

    def seen_revision(self) -> int:
        value = self.seen.data or ""
        return int(value) if value.isdigit() and len(value) < 12 else -1


# Building the agenda -------------------------------------------------------------------------

AGENDA_CHANGES = ("up", "down", "remove", "review", "carry", "publish")


class AgendaChangeForm(FlaskForm):
    """One change to a meeting's agenda, from one of the agenda page's buttons (or its case
    reference box). `seen` is the agenda's revision the page showed: a change made from an
    agenda someone has changed since is refused, not applied over theirs."""

    change = HiddenField()
    seen = HiddenField()
    case_id = HiddenField()
    referral_id = HiddenField()
    reference = StringField(
        "Case reference",
        widget=TextInput(),
        description="For example MARAC-000123. The case must be one of this panel’s.",
        filters=[strip_whitespace],
    )
    submit = SubmitField("Add for review", widget=GovSubmitInput())

    def chosen(self) -> str | None:
        value = self.change.data
        return value if value in AGENDA_CHANGES else None

    @staticmethod
    def number(field: Field) -> int:
        """A hidden id or revision as a number; 0 for anything that is not one."""
        value = field.data or ""
        return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 12 else 0
