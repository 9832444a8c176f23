"""The DASH risk checklist (SafeLives DASH RIC, domain §2.4): its 24 questions, which of them
hold sensitive categories of data, how it is scored, and its section of the referral form
(with a police DARA grade as the alternative, E14)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import Field
from wtforms import RadioField
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import Length
from wtforms.validators import ValidationError

from app.forms import UKDateField
from panels.instruments.section import YES_NO
from panels.instruments.section import YES_NO_NOT_KNOWN
from panels.instruments.section import Choice
from panels.instruments.section import SectionForm
from panels.instruments.section import as_bool
from panels.instruments.section import from_bool
from panels.types.common import FieldCategory
from panels.types.common import RiskLevel
from panels.types.common import RiskTool

DASH_VERSION = "SafeLives DASH RIC 2015 (24 questions)"

# The DASH risk checklist: 24 questions, answered yes / no / not known (domain §2.4). The topics
# are our own paraphrase; the licensed SafeLives wording is shown only where a partnership holds
# the licence (E17).
DASH_ITEMS = (
    "Has the current incident resulted in injury?",
    "Is the victim very frightened?",
    "Is the victim afraid of further injury or violence, to themselves or others?",
    "Is the victim isolated from family or friends?",
    "Is the victim feeling depressed or having suicidal thoughts?",
    "Has the victim separated, or tried to separate, within the past year?",
    "Is there conflict over child contact?",
    "Does the abuser constantly text, call, contact, follow or stalk the victim?",
    "Is the victim pregnant, or have they had a baby in the last 18 months?",
    "Is the abuse happening more often?",
    "Is the abuse getting worse?",
    "Does the abuser try to control everything and is excessively jealous?",
    "Has the abuser used weapons or objects to hurt the victim?",
    "Has the abuser threatened to kill the victim or someone else, and were they believed?",
    "Has the abuser attempted to strangle, choke, suffocate or drown the victim?",
    "Does the abuser do or say sexual things that make the victim feel bad or hurt them?",
    "Is there anyone else who has threatened the victim or whom they are afraid of?",
    "Has the abuser hurt anyone else (children, relatives, previous partners, others)?",
    "Has the abuser ever mistreated an animal or family pet?",
    "Are there financial issues, dependence on the abuser, or a recent loss of job?",
    "Has the abuser had problems with drugs, alcohol or mental health in the past year?",
    "Has the abuser ever threatened or attempted suicide?",
    "Has the abuser breached bail, an injunction or a contact agreement?",
    "Is the abuser known to have a criminal history or trouble with the police?",
)


# DASH questions whose answers are special-category or criminal-offence data (domain §8 R6):
# only viewers who see that category of field see their answers and comments. By position.
DASH_ITEM_CATEGORIES: dict[int, FieldCategory] = {
    5: FieldCategory.HEALTH,  # depression, suicidal thoughts
    7: FieldCategory.CHILDREN,  # conflict over child contact
    9: FieldCategory.HEALTH,  # pregnancy
    16: FieldCategory.HEALTH,  # sexual abuse
    21: FieldCategory.HEALTH,  # the abuser's drugs, alcohol, mental health
    22: FieldCategory.HEALTH,  # the abuser's suicide threats
    23: FieldCategory.POLICE_INTELLIGENCE,  # breaches of bail or orders
    24: FieldCategory.POLICE_INTELLIGENCE,  # criminal history
}

SOURCES = [
    ("victim", "The victim"),
    ("referrer", "You (the referrer)"),
    ("other", "Another agency"),
]


# Scoring -------------------------------------------------------------------------------------


def dash_yes_count(items: Sequence[dict[str, str]]) -> int:
    """Only an explicit "yes" counts; "no", "not known" and blank do not (E12)."""
    return sum(1 for item in items if item.get("answer") == "yes")


def dash_level(score: int, threshold: int, *, judged: bool) -> RiskLevel:
    """High at or above the panel's threshold, or on professional judgement below it (E13);
    otherwise medium."""
    return RiskLevel.HIGH if score >= threshold or judged else RiskLevel.MEDIUM


# The form ------------------------------------------------------------------------------------


class DashForm(SectionForm):
    """The DASH checklist or, from police, a DARA grade (E14)."""

    tool = Choice(
        "Which risk assessment was completed?",
        choices=[
            (RiskTool.DASH.value, "DASH risk checklist"),
            ("dara", "DARA (police), with its grade"),
        ],
        message="Select the risk assessment that was completed",
    )
    grade = SelectField(
        "DARA grade",
        widget=GovSelect(),
        choices=[
            ("", "Choose a grade"),
            ("standard", "Standard"),
            ("medium", "Medium"),
            ("high", "High"),
        ],
        validate_choice=False,  # validate_grade says what is wrong, and only for DARA
    )
    with_victim = Choice(
        "Was the checklist completed with the victim?",
        choices=YES_NO,
        message="Select whether the victim took part",
    )
    completed_on = UKDateField("Date completed", description="For example, 27 3 2026")

    def validate_grade(self, field: Field) -> None:
        if self.tool.data == "dara" and field.data not in {"standard", "medium", "high"}:
            raise ValidationError("Select the DARA grade")

    def item_fields(self) -> list[tuple[str, Field, Field, Field]]:
        return [
            (question, self[f"answer_{i}"], self[f"source_{i}"], self[f"comment_{i}"])
            for i, question in enumerate(DASH_ITEMS)
        ]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = bool(super().validate(extra_validators))
        if self.tool.data == RiskTool.DASH.value:
            sources = {value for value, _ in SOURCES}
            for i, _ in enumerate(DASH_ITEMS):
                field, source = self[f"answer_{i}"], self[f"source_{i}"]
                if field.data not in {"yes", "no", "not_known"}:
                    field.errors = [f"Answer question {i + 1}: yes, no or not known"]
                    valid = False
                if source.data not in sources:
                    source.errors = [f"Choose where the answer to question {i + 1} came from"]
                    valid = False
        return valid

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "tool": self.tool.data,
            "with_victim": as_bool(self.with_victim.data),
            "completed_on": self.completed_on.data.isoformat() if self.completed_on.data else None,
        }
        if self.tool.data == "dara":
            return data | {"grade": self.grade.data}
        data["items"] = [
            {"answer": a.data, "source": s.data, "comment": (c.data or "").strip()}
            for _, a, s, c in self.item_fields()
        ]
        return data

    def fill(self, data: dict[str, Any]) -> None:
        self.tool.data = data.get("tool")
        self.grade.data = data.get("grade", "")
        self.with_victim.data = from_bool(data.get("with_victim"))
        if data.get("completed_on"):
            self.completed_on.data = date.fromisoformat(data["completed_on"])
        for (_, answer, source, comment), item in zip(
            self.item_fields(), data.get("items", []), strict=False
        ):
            answer.data, source.data, comment.data = (
                item.get("answer"),
                item.get("source"),
                item.get("comment"),
            )


def _add_dash_items() -> None:
    for i, question in enumerate(DASH_ITEMS):
        setattr(
            DashForm,
            f"answer_{i}",
            RadioField(
                f"{i + 1}. {question}",
                widget=GovRadioInput(),
                choices=YES_NO_NOT_KNOWN,
                validate_choice=False,
            ),
        )
        setattr(
            DashForm,
            f"source_{i}",
            SelectField("Source", widget=GovSelect(), choices=SOURCES, validate_choice=False),
        )
        setattr(
            DashForm,
            f"comment_{i}",
            StringField(
                "Comment",
                widget=GovTextInput(),
                validators=[Length(max=500, message="Comments must be 500 characters or fewer")],
            ),
        )


_add_dash_items()
