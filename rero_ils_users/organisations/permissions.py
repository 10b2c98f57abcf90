"""What the permissions package needs of an organisation (the UI's buttons)."""

from ..permissions.registry import RecordTarget, register_record_target
from .api import Organisation
from .service import organisations, reference_checks


def describe(pid):
    record = Organisation.get_by_pid(pid)
    return RecordTarget(
        targets=(organisations.target(record),),
        extra_checks={"delete": [lambda identity: _still_has(pid)]},
    )


def _still_has(pid):
    reasons = [reason for reason in (check(pid) for check in reference_checks) if reason]
    return f"The organisation still has {', '.join(reasons)}." if reasons else None


def register():
    register_record_target("organisations", "org", describe)
