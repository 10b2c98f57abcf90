"""What the permissions package needs of a patron type (the UI's buttons)."""

from ..permissions.registry import RecordTarget, register_record_target
from .api import PatronType
from .service import patron_type_reference_checks, patron_types


def describe(pid):
    record = PatronType.get_by_pid(pid)
    return RecordTarget(
        targets=(patron_types.target(record),),
        extra_checks={"delete": [lambda identity: _used(pid)]},
    )


def _used(pid):
    reasons = [reason for reason in (check(pid) for check in patron_type_reference_checks) if reason]
    return f"The patron type is still used by {', '.join(reasons)}." if reasons else None


def register():
    register_record_target("patron_types", "ptty", describe)
