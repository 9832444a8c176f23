"""The five panel types: one module each, declaring its `SPEC`, built on `common`.

Each type's referral criteria, form sections, risk tool, lifecycle, repeat rule, settings and
reported figures live in its own module. Code that needs to know how a kind of panel behaves
asks `spec_for(panel_type)` (or `panel.spec`); nothing outside this package branches on panel
type. A new type is a new module here and a line in `REGISTRY`.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping

from panels.types import channel
from panels.types import community_marac
from panels.types import iom
from panels.types import mace
from panels.types import marac
from panels.types.common import PanelSpec
from panels.types.common import PanelType

REGISTRY: Mapping[PanelType, PanelSpec] = {
    spec.panel_type: spec
    for spec in (marac.SPEC, community_marac.SPEC, channel.SPEC, mace.SPEC, iom.SPEC)
}


def spec_for(panel_type: PanelType) -> PanelSpec:
    return REGISTRY[panel_type]


def panel_types_where(test: Callable[[PanelSpec], bool]) -> tuple[PanelType, ...]:
    """The types whose spec passes the test, for a query over panels of those types."""
    return tuple(panel_type for panel_type, spec in REGISTRY.items() if test(spec))
