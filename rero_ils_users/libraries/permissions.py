"""What the permissions package needs of a library (the UI's buttons)."""

from ..permissions.registry import RecordTarget, register_record_target
from .api import Library
from .service import libraries


def describe(pid):
    record = Library.get_by_pid(pid)
    return RecordTarget(
        targets=(libraries.target(record),),
        extra_checks={"delete": [lambda identity: libraries.in_use(pid)]},
    )


def register():
    register_record_target("libraries", "lib", describe)
