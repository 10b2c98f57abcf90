"""What the permissions package needs of a patron record: the target (for the
explanation endpoint and the UI's buttons) and why a delete would be refused."""

from ..errors import Conflict
from ..permissions.needs import person_of
from ..permissions.registry import RecordTarget, register_record_target
from ..permissions.roles import SUPERUSER, assignable_by
from .api import Patron
from .service import patrons, target


def describe(pid):
    record = Patron.get_by_pid(pid)
    return RecordTarget(
        targets=(target(record),),
        extra_checks={"delete": [lambda identity: _unmanageable(identity, record), lambda identity: _last_full(record)]},
    )


def _unmanageable(identity, record):
    person = person_of(identity)
    if SUPERUSER in person.roles:
        return None
    refused = sorted(set(record["roles"]) - assignable_by(person.pro_roles))
    return f"Unable to manage role(s): {', '.join(refused)}" if refused else None


def _last_full(record):
    try:
        patrons._keep_a_full_librarian(record, [])
    except Conflict as exc:
        return exc.message
    return None


def register():
    register_record_target("patrons", "ptrn", describe)
