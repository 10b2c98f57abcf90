"""What the permissions package needs of a user, for the UI's buttons: the same
decision the users endpoints take (``UserService.decide``, asked of the policy)."""

from ..permissions.registry import RecordTarget, register_record_target
from .service import users


def describe(pid):
    subject = users.subject(pid)  # NotFound for an unknown or malformed id
    return RecordTarget(targets=(), decide=lambda identity, verb: users.decide(identity, subject.user_id, verb))


def register():
    register_record_target("users", "usr", describe)
