"""The tamper-evident audit trail: one call, `audit.record(...)`, used by every feature."""

from audit.models import AuditAction
from audit.models import Outcome
from audit.services import changes
from audit.services import record

__all__ = ["AuditAction", "Outcome", "changes", "record"]
