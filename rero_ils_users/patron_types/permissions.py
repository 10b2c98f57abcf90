"""What the permissions package needs of a patron type (the UI's buttons)."""

from ..permissions.registry import RecordTarget, register_record_target
from .api import PatronType
from .service import patron_types


def describe(pid):
    record = PatronType.get_by_pid(pid)
    return RecordTarget(
        targets=(patron_types.target(record),),
        extra_checks={"delete": [lambda identity: patron_types.in_use(pid)]},
    )


def register():
    register_record_target("patron_types", "ptty", describe)
