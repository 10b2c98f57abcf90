"""Reading the audit of personal data and patron records, and the person's own export.
Who may read what is asked of ``policy`` (``audit_view_of_person``/``_of_record``)."""

from invenio_db import db
from sqlalchemy import or_

from .. import clock
from ..errors import NotFound
from ..history.api import HistoryEntry
from ..history.service import history
from ..organisations.api import Organisation
from ..patrons.api import Patron
from ..patrons.service import patrons
from ..permissions import policy
from ..permissions.needs import person_of
from ..permissions.policy import AUDIT_ORGANISATION, AUDIT_OWN, Target
from ..records import audit
from ..records.audit import AuditEntry
from ..records.search import SearchResult
from ..users.api import UserRecord
from ..users.service import users
from . import ratelimit

STAFF_ONLY_FIELDS = ("notes.staff_note",)


def entry_for(view, entry):
    """An entry as ``view`` may see it: the person never sees a staff note, not even its field."""
    data = entry.to_dict()
    if view.scope == AUDIT_OWN:
        data["changes"] = {f: c for f, c in data["changes"].items() if f not in STAFF_ONLY_FIELDS}
    return data


def _hit(view, entry):
    return {"id": str(entry.id), "metadata": entry_for(view, entry), "created": entry.at.isoformat()}


def _page(view, query, page, size):
    total = query.count()
    rows = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset((page - 1) * size).limit(size).all()
    return SearchResult(hits=[_hit(view, row) for row in rows], total={"value": total, "relation": "eq"})


def person_audit(identity, user_id, page=1, size=10):
    """``GET /api/users/<id>/audit``: every entry about the person the caller may see, newest first."""
    subject = users.subject(user_id)
    decision, view = policy.audit_view_of_person(identity, subject)
    policy.require_decision(decision)
    query = db.session.query(AuditEntry).filter(AuditEntry.user_id == subject.user_id)
    if view.scope == AUDIT_ORGANISATION:
        query = query.filter(or_(AuditEntry.resource == "users", AuditEntry.organisation_pid == view.organisation_pid))
    return _page(view, query, page, size)


def _record_target(pid):
    """The patron record's target; of a deleted record, what its audit tells."""
    try:
        return patrons.target(Patron.get_by_pid(pid))
    except NotFound:
        entry = (
            db.session.query(AuditEntry)
            .filter(AuditEntry.resource == "patrons", AuditEntry.pid == str(pid))
            .order_by(AuditEntry.id.desc())
            .first()
        )
        if entry is None:
            raise
        return Target(organisation_pid=entry.organisation_pid, owner_user_id=entry.user_id)


def record_audit(identity, pid, page=1, size=10):
    """``GET /api/patrons/<pid>/audit``: the entries of one patron record, newest first."""
    decision, view = policy.audit_view_of_record(identity, _record_target(pid))
    policy.require_decision(decision)
    query = db.session.query(AuditEntry).filter(AuditEntry.resource == "patrons", AuditEntry.pid == str(pid))
    return _page(view, query, page, size)


# --- the person's own export -----------------------------------------------------------------
def _patron_as_seen_by_patron(identity, record):
    data = patrons.dump(identity, record)
    data.pop("user", None)
    data["notes"] = [n for n in data.get("notes", []) if n["type"] != "staff_note"]
    if not data["notes"]:
        del data["notes"]
    try:
        data["organisation"]["name"] = Organisation.get_by_pid(record.organisation_pid)["name"]
    except NotFound:
        pass
    return {"pid": record.pid, **data}


def export(identity):
    """``GET /api/users/me/export``: what the network holds about the caller. Rate-limited
    per person (``EXPORT_RATE_LIMIT``), and audited (operation ``export``)."""
    policy.require_decision(policy.may_export(identity))
    person = person_of(identity)
    ratelimit.hit("EXPORT_RATE_LIMIT", "export", str(person.user_id))
    try:
        user = UserRecord.get_by_user_id(person.user_id)
        user_data = {"id": person.user_id, **{k: v for k, v in user.items() if k not in ("$schema", "pid")}}
    except NotFound:
        user_data = {"id": person.user_id}
    records = Patron.of_user(person.user_id)
    entries = (
        db.session.query(HistoryEntry)
        .filter(HistoryEntry.user_id == person.user_id)
        .order_by(HistoryEntry.date.desc(), HistoryEntry.id.desc())
    )
    view = policy.AuditView(AUDIT_OWN)
    trail = db.session.query(AuditEntry).filter(AuditEntry.user_id == person.user_id)
    result = {
        "exported_at": clock.now().isoformat(),
        "user": user_data,
        "patrons": [_patron_as_seen_by_patron(identity, record) for record in records],
        "history": [{"patron_pid": e.patron_pid, **history.dump(e)} for e in entries],
        "audit": [entry_for(view, e) for e in trail.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())],
    }
    audit.record("users", person.user_id, "export", changes={}, user_id=person.user_id)
    db.session.commit()
    return result
