"""What the permissions package needs of an organisation (the UI's buttons)."""

from ..permissions.registry import RecordTarget, register_record_target
from .api import Organisation
from .service import organisations


def describe(pid):
    record = Organisation.get_by_pid(pid)
    return RecordTarget(
        targets=(organisations.target(record),),
        extra_checks={"delete": [lambda identity: organisations.in_use(pid)]},
    )


def register():
    register_record_target("organisations", "org", describe)
