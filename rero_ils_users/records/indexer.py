"""Writes search documents from the database, through the durable ``IndexQueue``."""

import logging

from flask import current_app
from invenio_db import db
from opensearchpy.exceptions import TransportError
from opensearchpy.helpers import streaming_bulk
from sqlalchemy import insert

from .api import BaseRecord
from .models import IndexQueue, utcnow
from .search import current_search
from .sessions import rollback_session

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


def enqueue_many(resource, pids):
    """Queue rows for new records written with bulk SQL (one INSERT); returns their ids."""
    if not pids:
        return []
    table = IndexQueue.__table__
    rows = [{"pid_type": resource, "pid": pid, "created": utcnow(), "attempts": 0} for pid in pids]
    return [row_id for (row_id,) in db.session.execute(insert(table).returning(table.c.id), rows)]


def _actions(rows, known=None):
    """The bulk actions of queue rows (one per record): each record type's records and
    what their documents embed read with one query each, not one per row. ``known``:
    records by ``(resource, pid)`` as just committed (the import's), not read again."""
    found, known = {}, known or {}
    for pid_type in {row.pid_type for row in rows}:
        cls = BaseRecord.registry[pid_type]
        pids = [row.pid for row in rows if row.pid_type == pid_type]
        records = [known[(pid_type, pid)] for pid in pids if (pid_type, pid) in known]
        missing = [pid for pid in pids if (pid_type, pid) not in known]
        if missing:
            models = db.session.query(cls.model_cls).filter(cls.model_cls.pid.in_(missing), cls.model_cls.json.isnot(None))
            records += [cls(model.json, model=model) for model in models]
        for record, document in zip(records, cls.index_documents(records, known), strict=True):
            found[(pid_type, record.pid)] = (record, document)
    aliases = {pid_type: current_search.alias(pid_type) for pid_type in {row.pid_type for row in rows}}
    return [_action(row, aliases[row.pid_type], found.get((row.pid_type, row.pid))) for row in rows]


def _action(row, alias, found):
    if found is None:
        version = row.version or 1
        return {"_op_type": "delete", "_index": alias, "_id": row.pid, "version": version, "version_type": "external_gte"}
    record, document = found
    return {
        "_op_type": "index",
        "_index": alias,
        "_id": row.pid,
        "version": record.revision,
        "version_type": "external_gte",
        "_source": document,
    }


IGNORABLE = (404, 409)  # a conflict: a newer version is already indexed; a 404: a delete already done
MAX_ERROR = 1000  # characters of OpenSearch's reason kept on a refused row


def _refused(result):
    """Did the index refuse this document itself (a 4xx: mapping error, bad value...)?

    429 (too many requests), 5xx and index blocks (a full disk, maintenance)
    are the index's state, not the document's: those are retried, never counted.
    """
    status = result.get("status", 500)
    error = result.get("error")
    blocked = isinstance(error, dict) and error.get("type") == "cluster_block_exception"
    return 400 <= status < 500 and status not in (*IGNORABLE, 429) and not blocked


def _reason(result):
    error = result.get("error")
    if isinstance(error, dict):
        error = f"{error.get('type')}: {error.get('reason')}"
    return f"{result.get('status')} {error}"[:MAX_ERROR]


def _max_attempts(max_attempts):
    return max_attempts or current_app.config["INDEX_QUEUE_MAX_ATTEMPTS"]


def _delete(rows):
    """Delete queue rows by id: a row another drain deleted meanwhile is no error."""
    ids = [row.id for row in rows]
    if ids:
        db.session.query(IndexQueue).filter(IndexQueue.id.in_(ids)).delete(synchronize_session=False)
    for row in rows:
        if row in db.session:
            db.session.expunge(row)


def _refuse(group, result, max_attempts):
    """Count a refusal on the newest row of one record (it stands for the older ones)."""
    *older, row = group
    row.attempts = max(r.attempts for r in group) + 1
    row.last_error = _reason(result)
    _delete(older)
    if row.attempts >= max_attempts:
        row.failed_at = utcnow()
        log.error("index queue: %s %s parked after %d refusals: %s", row.pid_type, row.pid, row.attempts, row.last_error)


def _clear_parked(newest):
    """A record indexed now no longer needs the parked rows queued before it."""
    parked = (
        db.session.query(IndexQueue)
        .filter(IndexQueue.failed_at.isnot(None), IndexQueue.pid.in_({pid for _, pid in newest}))
        .all()
    )
    for row in parked:
        if row.id < newest.get((row.pid_type, row.pid), 0):
            db.session.delete(row)


def _run(rows, max_attempts, known=None):
    """Index ``rows``; returns ``(indexed, retry_later)``.

    ``retry_later`` is true when the index was unreachable or busy for some of
    them (those rows stay queued untouched).
    """
    groups = {}
    for row in rows:
        groups.setdefault((row.pid_type, row.pid), []).append(row)
    keys = list(groups)
    actions = _actions([groups[key][-1] for key in keys], known)
    results, retry_later = [], False
    try:
        # results come in the order of the actions (no retries inside the helper)
        for _, item in streaming_bulk(
            current_search.client, actions, raise_on_error=False, refresh=current_search.refresh_on_write
        ):
            results.append(next(iter(item.values())))
    except TransportError as exc:  # ConnectionError included; a whole request refused or timed out
        log.warning("index unreachable, %d record(s) stay queued: %s", len(keys) - len(results), exc)
        retry_later = True
    indexed, refused, busy, newest, done = 0, [], [], {}, []
    for key, result in zip(keys, results, strict=False):
        status = result.get("status", 500)
        if 200 <= status < 300 or status in IGNORABLE:
            done.extend(groups[key])
            newest[key] = groups[key][-1].id
            indexed += 1
        elif _refused(result):
            _refuse(groups[key], result, max_attempts)
            refused.append(result)
        else:
            busy.append(result)
    if refused:
        log.error("index refused %d document(s): %s", len(refused), [_reason(r) for r in refused[:3]])
    if busy:
        log.warning("index busy, %d document(s) stay queued: %s", len(busy), [_reason(r) for r in busy[:3]])
        retry_later = True
    if newest:
        _clear_parked(newest)
    _delete(done)
    db.session.commit()
    return indexed, retry_later


def process(rows, max_attempts=None, known=None):
    """Index the current database state of ``rows`` and delete them from the queue
    (``known``: records of that state already in memory, by ``(resource, pid)``).

    Returns the number indexed. A document the index refuses counts an attempt
    on its row, parked after ``max_attempts`` (``INDEX_QUEUE_MAX_ATTEMPTS``);
    on an unreachable or busy index the rows stay queued, no attempt counted.
    """
    rows = list(rows)
    if not rows:
        return 0
    return _run(rows, _max_attempts(max_attempts), known)[0]


def after_write(ids):
    """After a write's commit: index its queue rows (``ids``, taken before the commit;
    rows a concurrent drain holds or already deleted are skipped); when the index took them, also drain
    up to ``INDEX_QUEUE_DRAIN_ON_WRITE`` older queued rows (what an outage left), so
    the queue empties with the next writes even when no worker runs.

    Never raises: the write is committed and its rows stay queued for later."""
    try:
        rows = []
        if ids:
            rows = (
                db.session.query(IndexQueue)
                .filter(IndexQueue.id.in_(list(ids)))
                .order_by(IndexQueue.id)
                .with_for_update(skip_locked=True)
                .all()
            )
        retry_later = _run(rows, _max_attempts(None))[1] if rows else False
        drain = current_app.config["INDEX_QUEUE_DRAIN_ON_WRITE"]
        if not retry_later and drain > 0:
            process_queue(batch=drain, max_batches=1)
    except Exception:  # noqa: BLE001  (the index or the database went away after the commit)
        log.warning("indexing after a write failed; its rows stay queued", exc_info=True)
        rollback_session()


def process_queue(batch=500, max_attempts=None, max_batches=None):
    """Drain the queue but its parked rows, oldest first, ``batch`` rows at a time
    (at most ``max_batches`` batches). Rows another drain holds are skipped
    (``FOR UPDATE SKIP LOCKED``), so drains running at once share the work."""
    max_attempts = _max_attempts(max_attempts)
    done, last, batches = 0, 0, 0
    while max_batches is None or batches < max_batches:
        batches += 1
        rows = (
            db.session.query(IndexQueue)
            .filter(IndexQueue.failed_at.is_(None), IndexQueue.id > last)
            .order_by(IndexQueue.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
            .all()
        )
        if not rows:
            db.session.commit()  # end the transaction (no lock held)
            return done
        last = rows[-1].id
        indexed, retry_later = _run(rows, max_attempts)
        done += indexed
        if retry_later:
            return done  # index unreachable or busy: the next run goes on
    return done


def parked():
    """The rows parked after repeated refusals, oldest failure first."""
    return db.session.query(IndexQueue).filter(IndexQueue.failed_at.isnot(None)).order_by(IndexQueue.failed_at, IndexQueue.id).all()


def release_parked():
    """Queue the parked rows again with no attempt counted; returns how many."""
    count = (
        db.session.query(IndexQueue)
        .filter(IndexQueue.failed_at.isnot(None))
        .update({"failed_at": None, "attempts": 0, "last_error": None}, synchronize_session=False)
    )
    db.session.commit()
    return count


def queue_counts():
    """``(pending, parked)`` rows of the queue."""
    parked_rows = db.session.query(IndexQueue).filter(IndexQueue.failed_at.isnot(None)).count()
    return queue_size() - parked_rows, parked_rows


def queue_size():
    """Every row of the queue, parked ones included."""
    return db.session.query(IndexQueue).count()
