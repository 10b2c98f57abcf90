"""Who may do what to which record: every such question of the service, one
function each (docs/architecture.md has the table question -> function).

Grants are additive over the person's roles (per-user denies win, in the
organisation that set them); scoping on top: staff act in the organisation of
their professional record, writes on professional records and libraries need a
shared library (or full permissions), patrons reach only their own records.
Rights over a person's account are the rights over every role of every record
they hold, each in its own organisation.
"""

from dataclasses import dataclass

from flask_principal import ActionNeed

from ..errors import NotAuthenticated, NotFound, PermissionDenied
from . import matrix
from .needs import person_of
from .roles import (
    ACCOUNT_ROLES,
    ADMIN,
    PATRON,
    PRO_FULL,
    PRO_ROLES,
    SUPERUSER,
    SYSTEM_ROLES,
    assignable_by,
    is_professional,
)

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
class Subject:
    """A person acted upon (through ``/api/users/<id>``, a registration, a deny)."""

    user_id: int
    account_roles: frozenset = frozenset()
    records: tuple = ()  # needs.RecordRoles of each of their patron records
    steward_organisation_pid: str | None = None  # created them or last held a record of them

    def targets(self):
        return tuple(record_target(self.user_id, record) for record in self.records)


def record_target(user_id, record):
    """The ``Target`` of one patron record (``needs.RecordRoles``) of ``user_id``."""
    return Target(
        organisation_pid=record.organisation_pid,
        library_pids=record.library_pids,
        owner_user_id=user_id,
        professional=is_professional(record.roles),
    )


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


def has_action(identity, action, organisation_pid=None):
    """The action granted by some role of the identity and not denied to it: in the
    caller's own context (their professional organisation, else the union of their
    records), or, with ``organisation_pid``, by the roles they hold there."""
    if organisation_pid is None:
        return bool(allowed_actions(identity, (action,)))
    person = person_of(identity)
    if SUPERUSER in person.roles:
        return True
    granted = action in matrix.actions_of(person.roles_in(organisation_pid))
    return granted and action not in person.denied_in(organisation_pid)


def allowed_actions(identity, actions):
    """Those of ``actions`` the identity has in its own context, in one pass."""
    if SUPERUSER in person_of(identity).roles:
        return set(actions)
    provides = identity.provides
    return {action for action in actions if ActionNeed(action) in provides}


def decide(identity, action, target=None):
    person = person_of(identity)
    if SUPERUSER in person.roles:
        return ALLOWED
    if not has_action(identity, action):
        if action in person.home_denied:
            return Decision(False, PermissionDenied, f"{action} is denied to this user.")
        if not person.authenticated:
            return Decision(False, NotAuthenticated, "Authentication required.")
        return Decision(False, PermissionDenied, f"No role of yours grants {action}.")
    if target is None:
        return ALLOWED
    if target.organisation_pid and action in person.denied_in(target.organisation_pid):
        return Decision(False, PermissionDenied, f"{action} is denied to this user in this organisation.")
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


# --- who the caller is ---------------------------------------------------------------
def is_network_admin(identity):
    """``admin`` or ``superuser``: acts on the whole network, not one organisation."""
    return bool(person_of(identity).account_roles & {SUPERUSER, ADMIN})


def is_staff(identity):
    """Works at a desk: a professional role somewhere, or superuser."""
    person = person_of(identity)
    return bool(person.pro_roles) or SUPERUSER in person.roles


def assignable_roles(identity):
    """The record roles the caller may add to or remove from a patron record (the UI's choices)."""
    return sorted(assignable_by(person_of(identity).roles))


def home_page(identity):
    """Where the UI sends the caller after login."""
    person = person_of(identity)
    if is_staff(identity):
        return "/staff/patrons"
    if ADMIN in person.account_roles or can(identity, MANAGE):
        return "/staff/permissions"
    return "/account"


# --- what a search sees ----------------------------------------------------------------
def search_organisation(identity, requested=None, personal_data=True):
    """``(every, organisation pid)``: the organisations a search covers. Personal data
    (patrons): only a superuser searches every organisation, and may narrow to
    ``requested``; organisation-level records also for ``admin``. Others: the
    organisation of their professional record (none: nothing)."""
    person = person_of(identity)
    if SUPERUSER in person.roles or (not personal_data and ADMIN in person.account_roles):
        return (False, requested) if requested else (True, None)
    return False, person.organisation_pid


# --- patron records: roles, libraries ----------------------------------------------------
def refused_roles(identity, target, before, after):
    """Roles of a POST/PUT the caller may not add or remove (400 "Unable to manage ...").

    Each changed role must be one the caller may assign; on their own record a caller
    adds no role that would give them an action they do not hold already."""
    person = person_of(identity)
    if SUPERUSER in person.roles:
        return []
    changed = set(before) ^ set(after)
    refused = changed - assignable_by(person.pro_roles)
    if target.owner_user_id is not None and target.owner_user_id == person.user_id:
        held = matrix.actions_of(person.roles)
        refused |= {role for role in set(after) - set(before) if matrix.actions_of({role}) - held}
    return sorted(refused)


def refused_on_delete(identity, roles):
    """Roles of a record the caller may not manage, so may not delete (403)."""
    person = person_of(identity)
    if SUPERUSER in person.roles:
        return []
    return sorted(set(roles) - assignable_by(person.pro_roles))


def refused_libraries(identity, before, after):
    """Libraries added to a record that the caller may not add: affiliation to a
    library is given only by its own staff or ``pro_full_permissions`` (whose
    libraries are all of the organisation's)."""
    person = person_of(identity)
    if SUPERUSER in person.roles:
        return []
    return sorted(set(after) - set(before) - person.library_pids)


# --- a person: personal data, account, registration ----------------------------------------
def decide_user(identity, subject, verb):
    """Read or update a person's personal data (``verb``: read, update)."""
    person = person_of(identity)
    if is_network_admin(identity) or (person.authenticated and person.user_id == subject.user_id):
        return ALLOWED
    action = f"ptrn-{verb}"
    if not subject.records:
        # a registration in progress, or a person whose last record was deleted: the
        # organisation that created them or last held a record of them, nobody else
        steward = subject.steward_organisation_pid
        if not subject.account_roles and steward and steward == person.organisation_pid:
            return decide(identity, "ptrn-create")
        return _missing_or(decide(identity, "ptrn-create"))
    if any(can(identity, action, t) for t in subject.targets()):
        return ALLOWED
    return _missing_or(decide(identity, action))


def _missing_or(decision):
    """The refusal of the action itself (401/403), else a 404: the person does not exist for the caller."""
    return decision if not decision else Decision(False, NotFound, "Not found.")


def decide_account_change(identity, subject):
    """Set a person's password, email or username: the rights over every role of
    every record they hold, each in its own organisation (or the person themself)."""
    person = person_of(identity)
    refused = Decision(
        False,
        PermissionDenied,
        "You may not change the password, email or username of someone whose roles you cannot manage in every organisation.",
    )
    if SUPERUSER in person.roles or (person.authenticated and person.user_id == subject.user_id):
        return ALLOWED
    if SUPERUSER in subject.account_roles:
        return refused
    if ADMIN in person.account_roles:
        return ALLOWED
    if subject.account_roles:
        return refused
    if not subject.records:
        return decide_user(identity, subject, "update")
    for record, target in zip(subject.records, subject.targets(), strict=True):
        if not can(identity, "ptrn-update", target) or set(record.roles) - assignable_by(person.pro_roles):
            return refused
    return ALLOWED


def registers_without_token(identity, subject, organisation_pid):
    """A patron record for ``subject`` in ``organisation_pid`` needs no registration
    token: network roles (and the CLI and import, as the system), a person already
    registered there, or one with no record anywhere whom this organisation created
    or last held (the desk's two steps: the user, then the record)."""
    if is_network_admin(identity):
        return True
    if any(r.organisation_pid == organisation_pid for r in subject.records):
        return True
    steward = subject.steward_organisation_pid
    return not subject.records and not subject.account_roles and steward is not None and steward == organisation_pid


def found_by_lookup(subject):
    """The registration lookup never finds accounts holding only account-level roles."""
    return bool(subject.records) or not subject.account_roles


# --- per-user denies -------------------------------------------------------------------------
def deny_organisation(identity, subject):
    """``(allowed decision, organisation pid or None)``: where a deny set by the caller acts.

    ``admin``/``superuser``: everywhere (None); ``pro_full_permissions`` (the
    permission-management action) of an organisation where the person has a
    record: there only, and never on an administrator."""
    require(identity, MANAGE)
    if network_wide(identity, MANAGE):
        return ALLOWED, None
    person = person_of(identity)
    organisations = {r.organisation_pid for r in subject.records}
    if person.organisation_pid not in organisations or not can(
        identity, MANAGE, Target(organisation_pid=person.organisation_pid)
    ):
        return Decision(False, NotFound, "No such user."), None
    if subject.account_roles & {ADMIN, SUPERUSER}:
        return Decision(False, PermissionDenied, "Only admin or superuser change what an administrator may do."), None
    return ALLOWED, person.organisation_pid


# --- the audit of personal data and patron records -------------------------------------------
AUDIT_ALL, AUDIT_ORGANISATION, AUDIT_OWN = "all", "organisation", "own"


@dataclass(frozen=True)
class AuditView:
    """Which entries of a person's (or a record's) audit the caller reads: ``all``
    (admin, superuser), ``organisation`` (their organisation's patron records and the
    shared personal data), ``own`` (the person themself: no staff notes)."""

    scope: str
    organisation_pid: str | None = None


_NO_AUDIT = Decision(False, PermissionDenied, "Reading the audit needs pro_full_permissions in an organisation of the person.")


def _audit_staff(identity, organisations):
    """``pro_full_permissions`` (the permission-management action) in one of ``organisations``."""
    org = person_of(identity).organisation_pid
    return org if org and org in organisations and can(identity, MANAGE, Target(organisation_pid=org)) else None


def audit_view_of_person(identity, subject):
    """``(decision, AuditView or None)`` for ``GET /api/users/<id>/audit``. A person the
    caller may not read answers as ``decide_user`` does (401, 403, 404); one they may
    read but whose audit is not theirs: 403."""
    person = person_of(identity)
    if network_wide(identity, MANAGE):
        return ALLOWED, AuditView(AUDIT_ALL)
    if person.authenticated and person.user_id == subject.user_id:
        return ALLOWED, AuditView(AUDIT_OWN)
    organisations = {r.organisation_pid for r in subject.records}
    if not subject.records and not subject.account_roles and subject.steward_organisation_pid:
        organisations = {subject.steward_organisation_pid}  # created here, or last held here
    org = _audit_staff(identity, organisations)
    if org:
        return ALLOWED, AuditView(AUDIT_ORGANISATION, org)
    readable = decide_user(identity, subject, "read")
    return (readable if not readable else _NO_AUDIT), None


def audit_view_of_record(identity, target):
    """``(decision, AuditView or None)`` for ``GET /api/patrons/<pid>/audit`` (``target``:
    the record, or what its audit tells of a deleted one)."""
    person = person_of(identity)
    if network_wide(identity, MANAGE):
        return ALLOWED, AuditView(AUDIT_ALL)
    if person.authenticated and target.owner_user_id == person.user_id:
        return ALLOWED, AuditView(AUDIT_OWN)
    org = _audit_staff(identity, {target.organisation_pid})
    if org:
        return ALLOWED, AuditView(AUDIT_ORGANISATION, org)
    readable = decide(identity, "ptrn-read", target)
    return (readable if not readable else _NO_AUDIT), None


def may_export(identity):
    """``GET /api/users/me/export``: any logged-in person, of their own data (401 otherwise)."""
    if not person_of(identity).authenticated:
        return Decision(False, NotAuthenticated, "Authentication required.")
    return ALLOWED
