"""May this identity do <action> on <target>? The one question every endpoint asks.

Grants are additive over the person's roles (per-user denies win); scoping on
top: staff act in the organisation of their professional record, writes on
professional records and libraries need a shared library (or full
permissions), patrons reach only their own records.
"""

from dataclasses import dataclass

from flask_principal import ActionNeed

from ..errors import NotAuthenticated, NotFound, PermissionDenied
from . import matrix
from .needs import person_of
from .roles import ACCOUNT_ROLES, PATRON, PRO_FULL, PRO_ROLES, SUPERUSER, SYSTEM_ROLES

WRITE_VERBS = ("create", "update", "delete")
MANAGE = "permission-management"  # the action of the matrix, denies and the audit


@dataclass(frozen=True)
class Target:
    """What the policy needs to know of a record (built by the resource)."""

    organisation_pid: str | None = None
    library_pids: frozenset = frozenset()
    owner_user_id: int | None = None
    professional: bool = False


@dataclass(frozen=True)
class Decision:
    can: bool
    error: type | None = None
    reason: str = ""

    def __bool__(self):
        return self.can


ALLOWED = Decision(True)


def _verb(action):
    return action.rsplit("-", 1)[-1]


def has_action(identity, action):
    """The action granted by some role of the identity and not denied to it."""
    person = person_of(identity)
    if SUPERUSER in person.roles:
        return True
    return ActionNeed(action) in identity.provides


def decide(identity, action, target=None):
    person = person_of(identity)
    if SUPERUSER in person.roles:
        return ALLOWED
    if not has_action(identity, action):
        if action in person.denied:
            return Decision(False, PermissionDenied, f"{action} is denied to this user.")
        if not person.authenticated:
            return Decision(False, NotAuthenticated, "Authentication required.")
        return Decision(False, PermissionDenied, f"No role of yours grants {action}.")
    if target is None:
        return ALLOWED
    granting = set(matrix.roles_granting(action, person.roles))
    if granting & (set(SYSTEM_ROLES) | set(ACCOUNT_ROLES)):
        return ALLOWED
    if granting & set(PRO_ROLES) and target.organisation_pid == person.organisation_pid:
        return _professional_scope(person, action, target)
    if PATRON in granting and target.owner_user_id is not None and target.owner_user_id == person.user_id:
        if target.organisation_pid is None or target.organisation_pid in person.patron_organisations():
            return ALLOWED
    return Decision(False, NotFound, "Not found.")


def _professional_scope(person, action, target):
    if not (target.professional and _verb(action) in WRITE_VERBS):
        return ALLOWED
    if PRO_FULL in person.pro_roles or person.library_pids & target.library_pids:
        return ALLOWED
    return Decision(False, PermissionDenied, "Only staff of one of its libraries may change this record.")


def decide_any(identity, action, targets):
    """The best decision over several targets (a person seen through each record):
    allowed if one allows; else a refusal on a visible record (403) before 404."""
    best = None
    for target in targets or (None,):
        decision = decide(identity, action, target)
        if decision:
            return decision
        if best is None or (best.error is NotFound and decision.error is not NotFound):
            best = decision
    return best


def network_wide(identity, action):
    """The action comes from an account or system role (or superuser): it is not
    bound to the organisation of a professional record (the matrix, organisations)."""
    person = person_of(identity)
    if SUPERUSER in person.roles:
        return True
    if not has_action(identity, action):
        return False
    return bool(set(matrix.roles_granting(action, person.roles)) & (set(SYSTEM_ROLES) | set(ACCOUNT_ROLES)))


def require_network(identity, action):
    """``require`` for network-wide changes: staff roles of one organisation are refused (403)."""
    require(identity, action)
    if not network_wide(identity, action):
        raise PermissionDenied(f"{action} on the whole network needs the admin or superuser role.")


def decide_self_or(identity, action, target):
    """The person a record belongs to always sees it; others need ``action`` in scope."""
    person = person_of(identity)
    if person.authenticated and target is not None and target.owner_user_id == person.user_id:
        return ALLOWED
    return decide(identity, action, target)


def require_decision(decision):
    """Raise the domain error of a refusal (401, 403 or 404 once mapped)."""
    if not decision:
        raise decision.error(decision.reason)
    return decision


def require(identity, action, target=None):
    return require_decision(decide(identity, action, target))


def can(identity, action, target=None):
    return bool(decide(identity, action, target))
