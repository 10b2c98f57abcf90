"""The permissions service: the matrix, what a caller may do, why a person may do
what they may, and the changes (grants, revokes, per-user denies) with their audit.

Every function takes the caller's identity explicitly; every decision is asked
of ``policy``.
"""

from flask import current_app
from flask_principal import Identity
from invenio_db import db
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..accounts import caller
from ..errors import Conflict, FieldError, NotAuthenticated, NotFound, ValidationError
from ..permissions import matrix as _matrix
from ..permissions import policy, registry
from ..permissions.models import MatrixVersion, PermissionAudit, PermissionAuditOrganisation, RoleGrant, UserDeny
from ..permissions.needs import Person, load_person, person_of, provide, records_of
from ..permissions.policy import MANAGE
from ..permissions.roles import ACCOUNT_ROLES, RECORD_ROLES, SUPERUSER, SYSTEM_ROLES
from ..records.search import SearchResult
from ..records.uow import unit_of_work

# superuser is allowed everything: it has no column in the matrix
MATRIX_ROLES = tuple(r for r in SYSTEM_ROLES + ACCOUNT_ROLES + RECORD_ROLES if r != SUPERUSER)


# --- reading ---------------------------------------------------------------------------
def matrix(identity):
    """The whole matrix: roles, actions, and for each action the roles granting it."""
    policy.require(identity, MANAGE)
    return {
        "roles": list(MATRIX_ROLES),
        "actions": _matrix.actions(),
        "grants": {action: _matrix.roles_granting(action, MATRIX_ROLES) for action in _matrix.actions()},
    }


def _allowed_actions(identity):
    return [action for action in _matrix.actions() if policy.has_action(identity, action)]


def me(identity):
    person = person_of(identity)
    if not person.authenticated:
        raise NotAuthenticated()
    return {"user_id": person.user_id, "roles": sorted(person.roles), "actions": _allowed_actions(identity)}


def known_action(action, field="action"):
    if not action:
        raise ValidationError.on(field, "An action is required.")
    if action not in _matrix.actions():
        raise ValidationError.on(field, f"Unknown action {action!r}.")
    return action


def check(identity, action, organisation_pid=None):
    """May the caller (anonymous callers as ``any_user``) do ``action`` at all: in their
    own context (their professional organisation, else any of their records), or in
    ``organisation_pid`` with the roles they hold there."""
    known_action(action)
    if organisation_pid:
        return {"action": action, "organisation": organisation_pid, "can": policy.has_action(identity, action, organisation_pid)}
    return {"action": action, "can": policy.can(identity, action)}


def _account(user_id):
    user = current_app.extensions["rero-datastore"].find_user(id=user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def person_by_user_id(user_id):
    return load_person(user_id, _account(user_id).role_names)


def identity_of(person):
    """A Flask-Principal identity for ``person``, with the needs a request would get."""
    return provide(Identity(person.user_id), person)


def explain(identity, person):
    """One line per action of the matrix, sorted: can they, which of their roles
    grant it, which per-user denies refuse it. ``person``: a Person or a user id.

    ``identity`` is the caller, already allowed to see ``person`` (see ``explain_patron``).
    """
    if not isinstance(person, Person):
        person = caller.person_of_user(int(person))  # one query when cached
        if person is None:
            raise NotFound("No such user.")
    denies = {}
    if person.user_id is not None and (person.denied or person.org_denies):  # the person knows if they have any
        columns = (UserDeny.action, UserDeny.by_user_id, UserDeny.created, UserDeny.organisation_pid)
        for deny in db.session.execute(select(*columns).where(UserDeny.user_id == person.user_id)):
            denies.setdefault(deny.action, []).append(
                {"by": deny.by_user_id, "at": clock.iso(deny.created), "organisation": deny.organisation_pid or None}
            )
    actions = _matrix.actions()
    allowed = policy.allowed_actions(identity_of(person), actions)
    grants = _matrix.grants()
    theirs = [(role, grants.get(role, ())) for role in sorted(person.roles)]
    superuser = [SUPERUSER] if SUPERUSER in person.roles else []
    lines = []
    for action in actions:
        lines.append(
            {
                "action": action,
                "can": action in allowed,
                "roles": superuser + [role for role, granted in theirs if action in granted],
                "denied_by": denies.get(action, []),
            }
        )
    return lines


def explain_patron(identity, pid):
    """``GET /api/patrons/<pid>/permissions``: the person themself, or staff with
    ``ptrn-read`` on that record."""
    _, described = registry.record_target("patrons", pid)
    target = described.targets[0]
    policy.require_decision(policy.decide_self_or(identity, "ptrn-read", target))
    return explain(identity, target.owner_user_id)


def _decide(identity, shortcut, described, verb):
    if described.decide is None:
        action = described.actions.get(verb, f"{shortcut}-{verb}")
        return policy.decide_any(identity, action, described.targets)
    return described.decide(identity, verb)


def buttons(identity, resource, pid):
    """``{"read": {"can"}, "update": {...}, "delete": {"can": false, "reasons": [...]}}``."""
    shortcut, described = registry.record_target(resource, pid)
    # a record the caller may not read does not exist for them (401/403/404 as for GET)
    policy.require_decision(_decide(identity, shortcut, described, "read"))
    result = {}
    for verb in ("read", "update", "delete"):
        decision = _decide(identity, shortcut, described, verb)
        if not decision:
            result[verb] = {"can": False, "reasons": [decision.reason]}
            continue
        reasons = [r for r in (extra(identity) for extra in described.extra_checks.get(verb, ())) if r]
        result[verb] = {"can": False, "reasons": reasons} if reasons else {"can": True}
    return result


# --- changing the matrix ---------------------------------------------------------------
def _validate_grant(role, action):
    errors = []
    if role not in MATRIX_ROLES:
        message = "superuser is allowed everything." if role == SUPERUSER else f"Unknown role {role!r}."
        errors.append(FieldError("role", message))
    if action not in _matrix.actions():
        errors.append(FieldError("action", f"Unknown action {action!r}."))
    if errors:
        raise ValidationError(errors=errors)


def _audit(identity, operation, action, before, after, role=None, user_id=None, organisations=()):
    entry = PermissionAudit(
        by_user_id=person_of(identity).user_id,
        operation=operation,
        role=role,
        action=action,
        user_id=user_id,
        organisation_pid=person_of(identity).organisation_pid,
        before=before,
        after=after,
    )
    db.session.add(entry)
    db.session.flush()
    for organisation_pid in sorted(set(organisations)):
        db.session.add(PermissionAuditOrganisation(audit_id=entry.id, organisation_pid=organisation_pid))
    return entry


@unit_of_work
def set_grant(identity, role, action, granted, uow=None):
    """Grant (``granted=True``) or revoke ``role`` -> ``action``, network-wide."""
    policy.require_network(identity, MANAGE)
    _validate_grant(role, action)
    # one matrix change at a time: the audit's before/after are exact
    db.session.query(MatrixVersion).filter_by(id=1).with_for_update().first()
    before = _matrix.roles_granting(action, MATRIX_ROLES)
    if (role in before) != granted:
        if granted:
            db.session.add(RoleGrant(role=role, action=action))
        else:
            db.session.query(RoleGrant).filter_by(role=role, action=action).delete()
        db.session.flush()
        _matrix.bump_version()
        after = _matrix.roles_granting(action, MATRIX_ROLES)
        _audit(identity, "grant" if granted else "revoke", action, {"roles": before}, {"roles": after}, role=role)
    return {"role": role, "action": action, "granted": granted, "roles": _matrix.roles_granting(action, MATRIX_ROLES)}


# --- per-user denies -------------------------------------------------------------------
def _subject(user_id):
    account = _account(user_id)
    return policy.Subject(user_id=user_id, account_roles=frozenset(account.role_names), records=records_of(user_id))


@unit_of_work
def set_deny(identity, user_id, action, denied, uow=None):
    """Add (``denied=True``) or lift a per-user deny; a deny wins over every grant, in
    the organisation of the ``pro_full_permissions`` who set it (admin/superuser:
    everywhere). Lifting removes the denies the caller could have set."""
    user_id = _user_id(user_id)
    subject = _subject(user_id)
    decision, organisation_pid = policy.deny_organisation(identity, subject)
    policy.require_decision(decision)
    known_action(action)
    if denied and SUPERUSER in subject.account_roles:
        raise Conflict.on("user_id", "A superuser is allowed everything: a deny would have no effect.")
    scope = organisation_pid or ""
    mine = UserDeny.query.filter_by(user_id=user_id, action=action)
    if organisation_pid is not None:
        mine = mine.filter_by(organisation_pid=scope)
    existing = mine.all()
    before = {"denied": any(d.organisation_pid == scope for d in existing)}
    result = {"user_id": user_id, "action": action, "denied": denied}
    if denied and not before["denied"]:
        try:
            with db.session.begin_nested():
                db.session.add(
                    UserDeny(user_id=user_id, action=action, by_user_id=person_of(identity).user_id, organisation_pid=scope)
                )
                db.session.flush()
        except IntegrityError:  # the same deny, added concurrently
            return result
    elif not denied and existing:
        for deny in existing:
            db.session.delete(deny)
        db.session.flush()
    else:
        return result
    organisations = {r.organisation_pid for r in subject.records}
    _audit(identity, "deny" if denied else "lift", action, before, {"denied": denied}, user_id=user_id,
           organisations=organisations if organisation_pid is None else {organisation_pid})
    return result


def _user_id(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound("No such user.") from None


# --- audit -----------------------------------------------------------------------------
def audit(identity, page=1, size=10, filters=None):
    """Newest first. admin/superuser: everything; organisation staff with
    ``permission-management``: the per-user entries of their organisation's people."""
    policy.require(identity, MANAGE)
    query = PermissionAudit.query
    if not policy.network_wide(identity, MANAGE):
        organisation = person_of(identity).organisation_pid
        linked = db.session.query(PermissionAuditOrganisation.audit_id).filter_by(organisation_pid=organisation)
        query = query.filter(PermissionAudit.user_id.isnot(None), PermissionAudit.id.in_(linked))
    for name, value in (filters or {}).items():
        if value not in (None, ""):
            query = query.filter(getattr(PermissionAudit, name) == value)
    total = query.count()
    rows = query.order_by(PermissionAudit.at.desc(), PermissionAudit.id.desc()).offset((page - 1) * size).limit(size)
    rows = list(rows)
    organisations = {}
    links = PermissionAuditOrganisation.query.filter(PermissionAuditOrganisation.audit_id.in_([r.id for r in rows]))
    for link in links if rows else ():
        organisations.setdefault(link.audit_id, []).append(link.organisation_pid)
    hits = [_dump_audit(row, sorted(organisations.get(row.id, []))) for row in rows]
    return SearchResult(hits=hits, total={"value": total, "relation": "eq"})


def _dump_audit(row, organisations):
    return {
        "id": row.id,
        "at": clock.iso(row.at),
        "by": row.by_user_id,
        "operation": row.operation,
        "role": row.role,
        "action": row.action,
        "user_id": row.user_id,
        "organisations": organisations,
        "before": row.before,
        "after": row.after,
    }
