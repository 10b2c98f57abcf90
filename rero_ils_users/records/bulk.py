"""Records written with one INSERT per table (the import's set-based path, PostgreSQL).

What ``BaseRecord.create`` leaves through the ORM, written as rows: the record row
(revision 1), its first revision in the versions table under one
SQLAlchemy-Continuum transaction, the pid rows. The caller validated the documents,
audits them (``audit.record_created``) and queues them (``indexer.enqueue_many``)
in the same transaction."""

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

from invenio_db import db
from sqlalchemy import func, insert, select, text
from sqlalchemy_continuum import version_class, versioning_manager
from sqlalchemy_continuum.exc import ClassNotVersioned

from . import schemas

INSERT = 0  # SQLAlchemy-Continuum's operation type of a revision that creates a record


def next_ids(table, count):
    """``count`` values of the sequence behind ``table.id`` (PostgreSQL), in order."""
    if count <= 0:
        return []
    sequence = select(func.pg_get_serial_sequence(table, "id")).scalar_subquery()
    rows = db.session.execute(select(func.nextval(sequence)).select_from(func.generate_series(1, count)))
    return [value for (value,) in rows]


def mint_pids(record_cls, count):
    """``count`` new pids of ``record_cls`` (its pid table's rows, as ``mint_pid`` adds)."""
    table = record_cls.pid_model.__table__
    ids = next_ids(table.name, count)
    if ids:
        db.session.execute(insert(table), [{"id": value} for value in ids])
    return [str(value) for value in ids]


def _transaction_id():
    tx = versioning_manager.transaction_cls
    table = tx.__table__
    value = db.session.execute(text("SELECT nextval('transaction_id_seq')")).scalar_one()
    db.session.execute(insert(table).values(id=value, issued_at=datetime.now(UTC).replace(tzinfo=None)))
    return value


def insert_records(record_cls, items):
    """Insert new records: ``items`` are ``(pid, data, columns)`` (``data`` validated, without
    pid and ``$schema``). Returns them as records, in the order of ``items``, each with a
    model that is a stand-in holding what its row holds (not in the session): the caller
    can index them without reading them back."""
    if not items:
        return []
    now, url = datetime.now(UTC), schemas.schema_url(record_cls.schema)
    rows, documents = [], []
    for pid, data, columns in items:
        document = {**data, "pid": pid, "$schema": url}
        documents.append(document)
        rows.append({"id": uuid.uuid4(), "pid": pid, "json": document, "version_id": 1, "created": now, "updated": now, **columns})
    model = record_cls.model_cls
    db.session.execute(insert(model.__table__), rows)
    # the time as the column gives it back (aware or naive, as its type says)
    stored = now if model.__table__.c.created.type.timezone else now.replace(tzinfo=None)
    # the row as the record's model (attributes only): an ORM instance each cost as much as reading them back
    records = [record_cls(doc, model=SimpleNamespace(**{**row, "created": stored, "updated": stored})) for doc, row in zip(documents, rows, strict=True)]
    try:
        version = version_class(model)
    except ClassNotVersioned:  # DB_VERSIONING off
        return records
    tx = _transaction_id()
    db.session.execute(
        insert(version.__table__),
        [{**row, "transaction_id": tx, "end_transaction_id": None, "operation_type": INSERT} for row in rows],
    )
    return records
