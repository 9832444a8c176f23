"""The panel's own page for its members: how it works, its local settings, its information
sharing protocol register and who sits on it, read-only (administrators change them on the
admin pages)."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.database import uk_today
from app.security import signed_in
from panels import forms
from panels import queries
from panels.policy import member_panel_or_404
from panels.views import bp


@bp.route("/panels/<int:panel_id>")
@signed_in
def show(panel_id: int) -> str:
    """One panel for its members: its type and how it works, its local settings, the protocol's
    versions and signatories, and its members. Every member whose membership is in force may
    read it (coordinators, chairs and representatives alike); anyone else gets "Page not found"
    (`policy.member_panel_or_404`)."""
    panel = member_panel_or_404(current_user, panel_id)
    today = uk_today()
    register = queries.isp_register(panel, today)
    return render_template(
        "panels/show.html",
        panel=panel,
        register=register,
        isp_in_force=register.in_force,
        without_access=queries.members_without_access(panel, today),
        members=queries.members_of(panel),
        setting_labels=forms.SETTING_LABELS,
    )
