"""The role -> action matrix: defaults from ``data/matrix.json``, the database as
truth, a per-process cache dropped whenever the matrix version changes."""

import json
from functools import lru_cache
from pathlib import Path

from invenio_db import db
from sqlalchemy import event, insert
from sqlalchemy.orm import Session

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
    seeded = set(db.session.query(SeededGrant.role, SeededGrant.action))
    granted = set(db.session.query(RoleGrant.role, RoleGrant.action))
    new = [(role, action) for role, actions in default_grants().items() for action in actions if (role, action) not in seeded]
    if not new:
        return 0
    # two bulk inserts (one statement each), not a round trip per grant
    db.session.execute(insert(SeededGrant), [{"role": r, "action": a} for r, a in new])
    missing = [{"role": r, "action": a} for r, a in new if (r, a) not in granted]
    if missing:
        db.session.execute(insert(RoleGrant), missing)
    bump_version()
    return len(new)


def bump_version():
    """Every process drops its cached matrix at its next look (see ``grants``)."""
    updated = db.session.query(MatrixVersion).filter_by(id=1).update(
        {MatrixVersion.version: MatrixVersion.version + 1}, synchronize_session=False
    )
    if not updated:
        db.session.add(MatrixVersion(id=1, version=1))
        db.session.flush()
    # until this transaction ends, what this session reads must not be cached:
    # a rollback would leave a version number another process may reuse
    db.session.info[_DIRTY] = True
    db.session.info.pop(_READ, None)


_DIRTY = "rero_matrix_uncommitted"
# the version this transaction read (once: the caller's query of each request reads it,
# ``note_version``), so the policy's many questions of a request ask the database no more
_READ = "rero_matrix_version_read"


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_over(session):
    session.info.pop(_DIRTY, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_read_version(session, _transaction):
    session.info.pop(_READ, None)


def note_version(version):
    """The matrix version as this transaction just read it (``accounts.caller``)."""
    if not db.session.info.get(_DIRTY):
        db.session.info[_READ] = version


def forget_version():
    """A new request asks the database again, even inside one long transaction (tests)."""
    db.session.info.pop(_READ, None)


def current_version():
    """Asked of the database (never the session's identity map: another process may
    have bumped it since this session loaded the row), once per transaction."""
    info = db.session.info
    if _READ in info and not info.get(_DIRTY):
        return info[_READ]
    version = db.session.query(MatrixVersion.version).filter_by(id=1).scalar() or 0
    if not info.get(_DIRTY):
        info[_READ] = version
    return version


class _Cache:
    version = None
    grants = None


def grants():
    """``{role: frozenset(actions)}`` from the database (cached per version)."""
    version = current_version()
    if _Cache.version == version and _Cache.grants is not None and not db.session.info.get(_DIRTY):
        return _Cache.grants
    by_role = {}
    for role, action in db.session.query(RoleGrant.role, RoleGrant.action):
        by_role.setdefault(role, set()).add(action)
    loaded = {role: frozenset(actions) for role, actions in by_role.items()}
    if db.session.info.get(_DIRTY):
        _Cache.version = None
    else:
        _Cache.grants, _Cache.version = loaded, version
    return loaded


def drop_cache():
    _Cache.version = _Cache.grants = None


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
