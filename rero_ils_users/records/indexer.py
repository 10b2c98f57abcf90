"""Writes search documents from the database, through the durable ``IndexQueue``."""

import logging

from invenio_db import db
from opensearchpy.exceptions import ConnectionError as SearchConnectionError
from opensearchpy.exceptions import TransportError
from opensearchpy.helpers import bulk

from .api import BaseRecord
from .models import IndexQueue
from .search import current_search

log = logging.getLogger(__name__)


def enqueue(record, deleted=False):
    """Add a queue row for ``record`` to the current transaction."""
    row = IndexQueue(
        pid_type=record.resource,
        pid=record.pid,
        version=(record.revision + 1) if deleted else None,
    )
    db.session.add(row)
    return row


def _action(row):
    cls = BaseRecord.registry[row.pid_type]
    alias = current_search.alias(row.pid_type)
    model = db.session.query(cls.model_cls).filter_by(pid=row.pid).one_or_none()
    if model is None or model.json is None:
        version = row.version or 1
        return {"_op_type": "delete", "_index": alias, "_id": row.pid, "version": version, "version_type": "external_gte"}
    record = cls(model.json, model=model)
    return {
        "_op_type": "index",
        "_index": alias,
        "_id": row.pid,
        "version": record.revision,
        "version_type": "external_gte",
        "_source": record.index_document(),
    }


def _ignorable(item):
    """A conflict means a newer version is already indexed; a 404 a delete already done."""
    result = next(iter(item.values()))
    return result.get("status") in (404, 409)


def process(rows):
    """Index the current database state of ``rows`` and delete them from the queue.

    Returns the number indexed; on an unreachable index the rows stay queued.
    """
    rows = list(rows)
    if not rows:
        return 0
    latest = {}
    for row in rows:
        latest[(row.pid_type, row.pid)] = row
    actions = [_action(row) for row in latest.values()]
    try:
        _, errors = bulk(
            current_search.client,
            actions,
            raise_on_error=False,
            refresh=current_search.refresh_on_write,
        )
    except (SearchConnectionError, TransportError) as exc:
        log.warning("index unreachable, %d record(s) stay queued: %s", len(rows), exc)
        for row in rows:
            row.attempts += 1
        db.session.commit()
        return 0
    failed = [e for e in errors if not _ignorable(e)]
    if failed:
        log.error("index refused %d document(s): %s", len(failed), failed[:3])
    failed_ids = {next(iter(e.values())).get("_id") for e in failed}
    for row in rows:
        if row.pid in failed_ids:
            row.attempts += 1
        else:
            db.session.delete(row)
    db.session.commit()
    return len(actions) - len(failed)


def process_queue(batch=500, max_attempts=None):
    """Drain the whole queue, oldest first, ``batch`` rows at a time."""
    done, last = 0, 0
    while True:
        rows = (
            db.session.query(IndexQueue)
            .filter(IndexQueue.id > last)
            .order_by(IndexQueue.id)
            .limit(batch)
            .all()
        )
        if not rows:
            return done
        last = rows[-1].id
        indexed = process(rows)
        if indexed == 0 and rows:
            return done  # index unreachable: try again later
        done += indexed


def queue_size():
    return db.session.query(IndexQueue).count()
