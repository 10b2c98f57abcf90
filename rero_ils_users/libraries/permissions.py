"""What the permissions package needs of a library (the UI's buttons)."""

from ..permissions.registry import RecordTarget, register_record_target
from .api import Library
from .service import libraries, library_reference_checks


def describe(pid):
    record = Library.get_by_pid(pid)
    return RecordTarget(
        targets=(libraries.target(record),),
        extra_checks={"delete": [lambda identity: _referenced(pid)]},
    )


def _referenced(pid):
    reasons = [reason for reason in (check(pid) for check in library_reference_checks) if reason]
    return f"The library is still referenced by {', '.join(reasons)}." if reasons else None


def register():
    register_record_target("libraries", "lib", describe)
