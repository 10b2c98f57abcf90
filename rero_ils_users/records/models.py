"""Tables shared by every resource: pid minting and the durable index queue."""

from datetime import UTC, datetime

from invenio_db import db
from invenio_records.models import RecordMetadataBase


def utcnow():
    """Naive UTC, as the queue's timestamps are stored."""
    return datetime.now(UTC).replace(tzinfo=None)


class RecordModelMixin(RecordMetadataBase):
    """A record table: invenio's id/json/version_id/created/updated plus a ``pid``."""

    pid = db.Column(db.String(64), unique=True, nullable=False, index=True)


def record_model(name, **columns):
    """Declare the versioned record table ``<name>_metadata`` with extra columns."""
    attrs = {"__tablename__": f"{name}_metadata", "__versioned__": {}, **columns}
    return type(f"{name.title().replace('_', '')}Metadata", (db.Model, RecordModelMixin), attrs)


def pid_counter(name):
    """A table whose autoincrement key mints the pids of one resource."""
    attrs = {"__tablename__": f"{name}_pids", "id": db.Column(db.Integer, primary_key=True, autoincrement=True)}
    return type(f"{name.title().replace('_', '')}Pid", (db.Model,), attrs)


class IndexQueue(db.Model):
    """Outbox of records whose search document must be (re)written.

    A row is added in the same transaction as the record change, so a change
    that reached the database always reaches the index, even if OpenSearch was
    down at the time: rows are deleted only once the index accepted them.

    ``attempts`` counts only refusals of the document itself (a 4xx for it in
    the bulk response, e.g. a mapping error), never an unreachable or
    overloaded index. After ``INDEX_QUEUE_MAX_ATTEMPTS`` refusals the row is
    parked: ``failed_at`` is set and it is no longer retried until
    ``reindex --queue --retry-failed``.
    """

    __tablename__ = "index_queue"

    id = db.Column(db.Integer, primary_key=True, autoincrement=True)
    pid_type = db.Column(db.String(32), nullable=False)
    pid = db.Column(db.String(64), nullable=False)
    created = db.Column(db.DateTime, nullable=False, default=utcnow)
    version = db.Column(db.Integer, nullable=True)  # set for deletions: the tombstone's version
    attempts = db.Column(db.Integer, nullable=False, default=0)
    failed_at = db.Column(db.DateTime, nullable=True)  # parked: no longer retried
    last_error = db.Column(db.Text, nullable=True)  # OpenSearch's reason for the last refusal
