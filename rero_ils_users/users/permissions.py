"""What the permissions package needs of a user: the users service's own access
rules (the person themself, network roles, staff over one of their records)."""

from ..errors import Conflict, PermissionDenied
from ..permissions.needs import person_of, records_of
from ..permissions.registry import RecordTarget, register_record_target
from ..permissions.roles import ADMIN, SUPERUSER
from .service import users


def describe(pid):
    record = users._get(pid)  # NotFound for an unknown or malformed id
    user_id = record.user_id
    return RecordTarget(targets=(), check=lambda identity, verb: _check(identity, user_id, verb))


def _check(identity, user_id, verb):
    if verb != "delete":
        users._require(identity, user_id, verb)
    elif not person_of(identity).account_roles & {ADMIN, SUPERUSER}:
        raise PermissionDenied("Only admin or superuser erase a person.")
    elif records_of(user_id):
        raise Conflict("The person still has patron records; delete them first.")


def register():
    register_record_target("users", "usr", describe)
