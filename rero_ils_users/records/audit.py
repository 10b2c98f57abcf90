"""The audit of personal data and patron records, written where the ORM writes them.

Every insert, update and delete of a watched model (``watch``: the user and patron
record tables) adds an ``AuditEntry`` in the same flush, so in the same
transaction: no write path (service, CLI, import, job, a direct ORM write) can
forget it. The actor comes from ``acting(...)`` (a context variable that
``rest.py``, the CLI and the jobs set); a write without one is still audited, as
``{"cli": "unknown"}``. Writes that bypass the ORM's unit of work (Core
``insert``/``update``, ``bulk_*_mappings``) must call ``record`` themselves.

Passwords never appear: a password change of an account is noted as
``{"password": {"changed": true}}``, without a value or a hash.
"""

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from invenio_db import db
from sqlalchemy import event, insert, inspect, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

OPERATIONS = ("create", "update", "delete", "export")
SECRET_KEYS = {"password", "current_password"}
SKIPPED_KEYS = {"$schema", "pid"}
UNKNOWN_ACTOR = {"cli": "unknown"}

_actor = contextvars.ContextVar("rero_ils_users_audit_actor", default=None)
_quiet_secrets = contextvars.ContextVar("rero_ils_users_audit_quiet_secrets", default=False)


def utcnow():
    return datetime.now(UTC)


class AuditEntry(db.Model):
    """One create/update/delete (or export) of one user or patron record."""

    __tablename__ = "personal_data_audit"
    __table_args__ = (
        db.Index("ix_personal_data_audit_record_at", "resource", "pid", "at"),
        db.Index("ix_personal_data_audit_user_at", "user_id", "at"),
    )

    id = db.Column(db.BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True, autoincrement=True)
    at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    resource = db.Column(db.String(32), nullable=False)
    pid = db.Column(db.String(64), nullable=False)
    user_id = db.Column(db.Integer, nullable=True)  # the person the record is about
    organisation_pid = db.Column(db.String(64), nullable=True)  # of a patron record; None: shared personal data
    operation = db.Column(db.String(16), nullable=False)
    by = db.Column(db.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False)
    changes = db.Column(db.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False, default=dict)

    def to_dict(self):
        return {
            "at": self.at.isoformat() if self.at else None,
            "by": self.by,
            "record": {"resource": self.resource, "pid": self.pid},
            "operation": self.operation,
            "changes": self.changes,
        }


# --- who acts -------------------------------------------------------------------------
@contextmanager
def acting(by):
    """Writes in the block are audited as done by ``by``: ``{"user_id", "organisation"}``,
    ``{"job": name}``, ``{"cli": command}``, or a callable returning one (resolved at write time)."""
    token = _actor.set(by)
    try:
        yield
    finally:
        _actor.reset(token)


def begin_acting(by):
    """``acting`` for code that cannot wrap a block (a request's before/teardown); returns the token."""
    return _actor.set(by)


def end_acting(token):
    _actor.reset(token)


@contextmanager
def secrets_unchanged():
    """Flushes in the block rewrite a secret without changing it (a rehash at login): not audited."""
    token = _quiet_secrets.set(True)
    try:
        yield
    finally:
        _quiet_secrets.reset(token)


def current_actor():
    by = _actor.get()
    if callable(by):
        by = by()
    return dict(by) if by else dict(UNKNOWN_ACTOR)


# --- what changed ---------------------------------------------------------------------
def flatten(document, prefix=""):
    """``{dotted field: value}`` of a stored document; notes by type (``notes.staff_note``),
    lists whole, secrets and bookkeeping keys left out."""
    fields = {}
    for key, value in (document or {}).items():
        if key in SECRET_KEYS or (not prefix and key in SKIPPED_KEYS):
            continue
        path = f"{prefix}{key}"
        if key == "notes" and not prefix and isinstance(value, list):
            for note in value:
                if isinstance(note, dict) and note.get("type"):
                    fields[f"notes.{note['type']}"] = note.get("content")
        elif isinstance(value, dict) and value:
            fields.update(flatten(value, f"{path}."))
        else:
            fields[path] = value
    return fields


def diff(before, after):
    """``{field: {"before", "after"}}`` of the fields that differ."""
    if before is None:  # a create (the import's hundreds per batch): every field set
        return {field: {"before": None, "after": value} for field, value in sorted(flatten(after).items()) if value is not None}
    old, new = flatten(before), flatten(after)
    return {
        field: {"before": old.get(field), "after": new.get(field)}
        for field in sorted(set(old) | set(new))
        if old.get(field) != new.get(field)
    }


# --- what is watched ------------------------------------------------------------------
@dataclass(frozen=True)
class Watched:
    resource: str
    organisation: object = None  # model -> organisation pid (patron records), or None


_watched = {}
_secrets = {}  # account model -> (resource, secret attribute)


def watch(model_cls, resource, organisation=None):
    """Audit every write of ``model_cls`` (a record table with ``pid``, ``json`` and ``user_id``)."""
    _watched[model_cls] = Watched(resource, organisation)


def watch_secret(model_cls, attribute, resource):
    """Note (never the value) that ``attribute`` of an account row changed, on ``resource``/<id>."""
    _secrets[model_cls] = (resource, attribute)


# --- writing entries ------------------------------------------------------------------
def _open_entries(session):
    return session.info.setdefault("audit_open", {})


def _usable(entry):
    state = inspect(entry)
    return state.pending or state.persistent


def add(session, resource, pid, operation, changes, user_id=None, organisation_pid=None):
    """Add an entry to ``session`` (merged into this transaction's open entry of the same
    record when both are a create or update: one entry per record and transaction)."""
    key = (resource, str(pid))
    opened = _open_entries(session)
    entry = opened.get(key)
    if operation == "update" and entry is not None and _usable(entry) and entry.operation in ("create", "update"):
        merged = dict(entry.changes or {})
        for field, change in changes.items():
            first = merged.get(field)
            if first is not None and "before" in first and "before" in change:
                change = {"before": first["before"], "after": change["after"]}
                if change["before"] == change["after"]:
                    del merged[field]
                    continue
            merged[field] = change
        entry.changes = merged
        flag_modified(entry, "changes")
        return entry
    if operation == "update" and not changes:
        return None
    entry = AuditEntry(
        at=utcnow(),
        resource=resource,
        pid=str(pid),
        user_id=user_id,
        organisation_pid=organisation_pid,
        operation=operation,
        by=current_actor(),
        changes=changes,
    )
    session.add(entry)
    opened[key] = entry
    return entry


def record(resource, pid, operation, before=None, after=None, user_id=None, organisation_pid=None, changes=None):
    """Audit a write made without the ORM's unit of work (bulk SQL): call it in the same
    transaction. ``before``/``after`` are the stored documents (None for a create/delete)."""
    if operation not in OPERATIONS:
        raise ValueError(f"unknown audit operation {operation!r}")
    changes = diff(before, after) if changes is None else changes
    return add(db.session(), resource, pid, operation, changes, user_id, organisation_pid)


def record_created(items):
    """Audit records created with bulk SQL (one INSERT): ``items`` are ``(resource, pid,
    document, user_id, organisation_pid)``; call it in the same transaction."""
    by, at = current_actor(), utcnow()
    rows = [
        {"at": at, "resource": resource, "pid": str(pid), "user_id": user_id, "organisation_pid": organisation_pid,
         "operation": "create", "by": by, "changes": diff(None, document)}
        for resource, pid, document, user_id, organisation_pid in items
    ]
    if rows:
        db.session.execute(insert(AuditEntry.__table__), rows)


def _stored_documents(session, model_cls, models):
    ids = [m.id for m in models if m.id is not None]
    if not ids:
        return {}
    table = model_cls.__table__
    rows = session.connection().execute(select(table.c.id, table.c.json).where(table.c.id.in_(ids)))
    return {row.id: row.json for row in rows}


def _before_flush(session, flush_context, instances):
    if not _watched and not _secrets:
        return
    grouped = {}
    for operation, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            cls = type(obj)
            if cls in _watched:
                if operation == "update" and not session.is_modified(obj, include_collections=False):
                    continue
                grouped.setdefault(cls, []).append((operation, obj))
            elif cls in _secrets and operation == "update" and not _quiet_secrets.get():
                resource, attribute = _secrets[cls]
                if inspect(obj).attrs[attribute].history.has_changes():
                    add(session, resource, obj.id, "update", {attribute: {"changed": True}}, user_id=obj.id)
    for cls, items in grouped.items():
        watched = _watched[cls]
        stored = _stored_documents(session, cls, [obj for operation, obj in items if operation != "create"])
        for operation, obj in items:
            before = None if operation == "create" else stored.get(obj.id)
            after = None if operation == "delete" else obj.json
            organisation = watched.organisation(obj) if watched.organisation else None
            add(session, watched.resource, obj.pid, operation, diff(before, after), obj.user_id, organisation)


def _forget(session, *args):
    if not session.in_nested_transaction():
        session.info.pop("audit_open", None)


event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "after_commit", _forget)
event.listen(Session, "after_rollback", _forget)


# --- retention and erasure ------------------------------------------------------------
def delete_batch_before(before, batch=1000):
    """Delete up to ``batch`` entries older than ``before``; returns how many."""
    ids = db.session.query(AuditEntry.id).filter(AuditEntry.at < before).order_by(AuditEntry.id).limit(batch).scalar_subquery()
    return db.session.query(AuditEntry).filter(AuditEntry.id.in_(ids)).delete(synchronize_session=False)


def scrub_person(user_id):
    """Entries about an erased person keep who, when, which record, which operation and
    which fields, never the values."""
    count = 0
    for entry in db.session.query(AuditEntry).filter(AuditEntry.user_id == user_id):
        entry.changes = {field: {} for field in (entry.changes or {})}
        flag_modified(entry, "changes")
        count += 1
    return count
