"""The role -> action matrix: defaults from ``data/matrix.json``, the database as
truth, a per-process cache dropped whenever the matrix version changes."""

import json
from functools import lru_cache
from pathlib import Path

from invenio_db import db

from .models import MatrixVersion, RoleGrant, SeededGrant

DATA = Path(__file__).parent / "data" / "matrix.json"


@lru_cache(maxsize=1)
def default_grants():
    """``{role: frozenset(actions)}`` as shipped."""
    data = json.loads(DATA.read_text())
    return {role: frozenset(actions) for role, actions in data["grants"].items()}


def load_defaults():
    """Apply every default grant not applied before; returns how many were added.

    A grant revoked through the API was applied before, so it stays revoked.
    """
    seeded = {(s.role, s.action) for s in db.session.query(SeededGrant)}
    added = 0
    for role, actions in default_grants().items():
        for action in actions:
            if (role, action) not in seeded:
                db.session.add(SeededGrant(role=role, action=action))
                db.session.merge(RoleGrant(role=role, action=action))
                added += 1
    if added:
        bump_version()
    return added


def bump_version():
    row = db.session.get(MatrixVersion, 1)
    if row is None:
        db.session.add(MatrixVersion(id=1, version=1))
    else:
        row.version += 1


def current_version():
    row = db.session.get(MatrixVersion, 1)
    return row.version if row else 0


class _Cache:
    version = None
    grants = None


def grants():
    """``{role: frozenset(actions)}`` from the database (cached per version)."""
    version = current_version()
    if _Cache.version != version or _Cache.grants is None:
        by_role = {}
        for grant in db.session.query(RoleGrant):
            by_role.setdefault(grant.role, set()).add(grant.action)
        _Cache.grants = {role: frozenset(actions) for role, actions in by_role.items()}
        _Cache.version = version
    return _Cache.grants


def actions():
    """Every known action, sorted (the defaults and anything granted since)."""
    known = set().union(*default_grants().values())
    for granted in grants().values():
        known |= granted
    return sorted(known)


def roles_granting(action, roles=None):
    """Which of ``roles`` (all roles when None) are granted ``action``."""
    matrix = grants()
    candidates = roles if roles is not None else matrix.keys()
    return sorted(r for r in candidates if action in matrix.get(r, ()))


def actions_of(roles):
    matrix = grants()
    result = set()
    for role in roles:
        result |= matrix.get(role, frozenset())
    return result
