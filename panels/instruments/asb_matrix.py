"""The Community MARAC's weighted anti-social behaviour risk matrix (domain §3.3): there is no
national one, so each partnership sets the questions, their weights and the bands in its panel
settings. Here are the default questions, the scoring and banding, and the form."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from panels.instruments.section import Checkboxes
from panels.instruments.section import SectionForm
from panels.types.common import RiskLevel
from panels.types.common import RiskTool

ASB_MATRIX_VERSION = "Local ASB risk matrix"

if TYPE_CHECKING:  # the forms and scores are given a panel; they never load one
    from panels.models import Panel


@dataclass(frozen=True)
class RiskItem:
    """One weighted question of a configurable risk matrix."""

    key: str
    label: str
    weight: int


DEFAULT_ASB_RISK_ITEMS = (
    RiskItem("personal_threat", "Threats or violence against the person", 5),
    RiskItem("targeted", "The person is targeted because of who they are (possible hate crime)", 4),
    RiskItem("vulnerability", "Physical or mental health makes them vulnerable", 3),
    RiskItem("isolated", "Lives alone or has little support", 2),
    RiskItem("repeat_reports", "Has reported anti-social behaviour repeatedly", 2),
    RiskItem("impact", "Behaviour affects sleep, health or ability to go out", 2),
    RiskItem("community_nuisance", "Nuisance affecting the wider community", 1),
    RiskItem("environmental", "Environmental damage (litter, graffiti, noise)", 1),
)


# Scoring -------------------------------------------------------------------------------------


def matrix_version(panel: Panel) -> str:
    """The instrument version recorded on an assessment: the matrix as the panel set it."""
    return f"{ASB_MATRIX_VERSION} {panel.settings.definitions_version}"


def matrix_score(panel: Panel, items: Sequence[dict[str, str]]) -> int:
    weights = [item.weight for item in panel.settings.risk_items]
    return sum(w for w, item in zip(weights, items, strict=False) if item.get("answer") == "yes")


def matrix_level(panel: Panel, score: int) -> RiskLevel:
    settings = panel.settings
    if score >= settings.high_risk_from:
        return RiskLevel.HIGH
    if score >= settings.medium_risk_from:
        return RiskLevel.MEDIUM
    return RiskLevel.STANDARD


# The form ------------------------------------------------------------------------------------


class MatrixForm(SectionForm):
    """The Community MARAC's weighted risk matrix: the panel sets the questions and weights."""

    present = Checkboxes(
        "Which of these apply?",
        description="Select all that apply. Your partnership sets each one’s weight",
        message="Select only the statements listed",
    )

    def __init__(self, panel: Panel, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keys = [item.key for item in panel.settings.risk_items]
        self.present.choices = [(item.key, item.label) for item in panel.settings.risk_items]

    def to_data(self) -> dict[str, Any]:
        chosen = set(self.present.data or [])
        return {
            "tool": RiskTool.ASB_RISK_MATRIX.value,
            "items": [{"answer": "yes" if key in chosen else "no"} for key in self.keys],
        }

    def fill(self, data: dict[str, Any]) -> None:
        items = data.get("items", [])
        self.present.data = [
            key for key, item in zip(self.keys, items, strict=False) if item.get("answer") == "yes"
        ]
