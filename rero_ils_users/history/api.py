"""The history table: one row per circulation event of a patron.

A plain table rather than a versioned record: entries are never edited, only
added and deleted (by the purge job, by ``keep_history`` turned off, with the
patron record), and reads are by patron, newest first, which an index on
``(patron_pid, date)`` answers without a search engine.
"""

from datetime import UTC, datetime

from invenio_db import db
from sqlalchemy.dialects import postgresql


def utcnow():
    return datetime.now(UTC)


class HistoryEntry(db.Model):
    __tablename__ = "patron_history"
    __table_args__ = (db.Index("ix_patron_history_patron_date", "patron_pid", "date"),)

    id = db.Column(db.BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True, autoincrement=True)
    patron_pid = db.Column(db.String(64), nullable=False, index=True)
    user_id = db.Column(db.Integer, nullable=False, index=True)
    organisation_pid = db.Column(db.String(64), nullable=False, index=True)
    date = db.Column(db.DateTime(timezone=True), nullable=False, index=True)
    # the entry as posted, references stored as {"pid": ...}
    data = db.Column(db.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False)
    created = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    @classmethod
    def delete_where(cls, *criteria):
        """Delete the matching entries in the current transaction; returns how many."""
        return db.session.query(cls).filter(*criteria).delete(synchronize_session=False)
