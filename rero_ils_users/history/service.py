"""Circulation history: written by the circulation desk (``access-circulation``),
read by the patron and their library's staff, kept only with ``keep_history``
and for ``HISTORY_MAX_AGE_MONTHS`` calendar months."""

import logging
from datetime import datetime, timedelta

from flask import current_app
from invenio_db import db

from .. import clock
from ..errors import FieldError, NotFound, ValidationError
from ..libraries.api import Library
from ..patrons import signals as patron_signals
from ..patrons.api import Patron
from ..permissions import policy
from ..permissions.policy import Target
from ..records import schemas
from ..records.refs import dump_ref, load_ref
from ..records.service import envelope
from ..records.uow import unit_of_work
from ..users import signals as user_signals
from ..users.api import UserRecord
from .api import HistoryEntry

log = logging.getLogger(__name__)

SCHEMA = "history/history-v1.0.0.json"
# a circulation client's clock may run slightly ahead of ours
CLOCK_SKEW = timedelta(minutes=1)


def cutoff(as_of=None):
    """Start of the oldest day still kept (``HISTORY_MAX_AGE_MONTHS`` calendar months)."""
    return clock.months_before(current_app.config["HISTORY_MAX_AGE_MONTHS"], as_of)


def parse_date(value):
    """An ISO datetime (a naive one is in the service's time zone), or a ``FieldError``."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return FieldError("date", "Must be an ISO datetime, e.g. 2026-11-23T10:15:00+01:00.")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=clock.zone())
    if parsed > clock.now() + CLOCK_SKEW:
        return FieldError("date", "Must not be in the future.")
    return parsed


class HistoryService:
    # --- write -----------------------------------------------------------------------
    def _load(self, patron, data):
        """Client JSON -> (stored entry, aware datetime); raise naming every bad field."""
        errors = schemas.field_errors(SCHEMA, data)
        stored, when = dict(data), None
        if not any(e.field == "date" for e in errors):
            when = parse_date(data["date"])
            if isinstance(when, FieldError):
                errors.append(when)
        if not any(e.field.startswith("library") for e in errors):
            ref = load_ref(data["library"], "libraries", "library")
            if isinstance(ref, FieldError):
                errors.append(ref)
            elif not self._library_of(ref["pid"], patron.organisation_pid):
                errors.append(FieldError("library", "Must be a library of the patron's organisation."))
            else:
                stored["library"] = ref
        if errors:
            raise ValidationError(errors=errors)
        return stored, when

    @staticmethod
    def _library_of(pid, organisation_pid):
        try:
            return Library.get_by_pid(pid)["organisation"]["pid"] == organisation_pid
        except NotFound:
            return False

    @unit_of_work
    def create(self, identity, patron_pid, data, uow=None):
        """Store the entry if the user keeps history; returns it, or None when not kept."""
        policy.require(identity, "access-circulation")
        patron = Patron.get_by_pid(patron_pid)
        policy.require(identity, "access-circulation", Target(organisation_pid=patron.organisation_pid))
        stored, when = self._load(patron, data)
        if not self.keeps_history(patron.user_id):
            return None
        entry = HistoryEntry(
            patron_pid=patron.pid,
            user_id=patron.user_id,
            organisation_pid=patron.organisation_pid,
            date=when,
            data=stored,
        )
        db.session.add(entry)
        db.session.flush()
        return entry

    @staticmethod
    def keeps_history(user_id):
        try:
            return bool(UserRecord.get_by_user_id(user_id).get("keep_history", False))
        except NotFound:
            return False

    # --- read ------------------------------------------------------------------------
    def _readable_patron(self, identity, patron_pid):
        policy.require(identity, "ptrn-read")
        patron = Patron.get_by_pid(patron_pid)
        policy.require(
            identity, "ptrn-read", Target(organisation_pid=patron.organisation_pid, owner_user_id=patron.user_id)
        )
        return patron

    def _visible(self, patron_pid):
        return db.session.query(HistoryEntry).filter(
            HistoryEntry.patron_pid == patron_pid, HistoryEntry.date >= cutoff()
        )

    def search(self, identity, patron_pid, page=1, size=10):
        """``(total, entries)`` of the patron, newest first; purgeable ones hidden."""
        patron = self._readable_patron(identity, patron_pid)
        query = self._visible(patron.pid)
        total = query.count()
        entries = (
            query.order_by(HistoryEntry.date.desc(), HistoryEntry.id.desc())
            .offset((page - 1) * size)
            .limit(size)
            .all()
        )
        return total, entries

    def read(self, identity, patron_pid, entry_id):
        patron = self._readable_patron(identity, patron_pid)
        entry = self._visible(patron.pid).filter(HistoryEntry.id == entry_id).one_or_none()
        if entry is None:
            raise NotFound()
        return entry

    def dump(self, entry):
        data = dict(entry.data)
        data["library"] = dump_ref("libraries", entry.data["library"])
        return data

    def envelope(self, entry):
        resource = f"patrons/{entry.patron_pid}/history"
        return envelope(resource, str(entry.id), self.dump(entry), 1, entry.created, entry.created)

    # --- delete ----------------------------------------------------------------------
    def delete_of_user(self, user_id):
        return HistoryEntry.delete_where(HistoryEntry.user_id == user_id)

    def delete_of_patron(self, patron_pid):
        return HistoryEntry.delete_where(HistoryEntry.patron_pid == patron_pid)

    def delete_batch_before(self, before, batch=1000):
        """Delete up to ``batch`` entries dated before ``before`` (the purge job
        commits between batches: short locks, bounded memory); returns how many."""
        ids = (
            db.session.query(HistoryEntry.id)
            .filter(HistoryEntry.date < before)
            .order_by(HistoryEntry.id)
            .limit(batch)
            .scalar_subquery()
        )
        return HistoryEntry.delete_where(HistoryEntry.id.in_(ids))


history = HistoryService()


# --- hooks: the users and patrons services announce, history follows -------------------
def _on_keep_history_disabled(sender, user_id, uow=None, **kwargs):
    count = history.delete_of_user(user_id)
    log.info("keep_history off for user %s: %d history entr(ies) deleted", user_id, count)


def _on_patron_deleted(sender, record, uow=None, **kwargs):
    count = history.delete_of_patron(record.pid)
    log.info("patron %s deleted with %d history entr(ies)", record.pid, count)


user_signals.keep_history_disabled.connect(_on_keep_history_disabled)
patron_signals.patron_deleted.connect(_on_patron_deleted)
