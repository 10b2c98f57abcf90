"""What the permissions package needs of a patron record: the target (for the
explanation endpoint and the UI's buttons) and why a delete would be refused,
asked of the same functions as the endpoints (no lock: a read)."""

from ..permissions import policy
from ..permissions.registry import RecordTarget, register_record_target
from .api import Patron
from .service import patrons, target


def describe(pid):
    record = Patron.get_by_pid(pid)
    return RecordTarget(
        targets=(target(record),),
        extra_checks={"delete": [lambda identity: _unmanageable(identity, record), lambda identity: patrons.last_full_librarian(record)]},
    )


def _unmanageable(identity, record):
    refused = policy.refused_on_delete(identity, record["roles"])
    return f"Unable to manage role(s): {', '.join(refused)}" if refused else None


def register():
    register_record_target("patrons", "ptrn", describe)
