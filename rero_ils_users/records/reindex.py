"""Rebuild a search index from the database, the source of truth, without downtime.

``reindex(resource)``:

1. takes the rebuild lock of the resource (a PostgreSQL advisory lock: one
   rebuild at a time, released by the server when a crashed process's
   connection goes away), and deletes the resource's indexes the alias does not
   point at: what a crashed rebuild left;
2. creates ``<base>-<generation>`` beside the index the alias serves (refresh
   off while loading) and fills it with bulk requests from a server-side
   cursor (memory stays flat), each document versioned with its record
   revision (``external_gte``);
3. catches up: the records written since the cursor opened (``CATCH_UP_MARGIN``
   earlier, for transactions still open then) are written again, the deleted
   ones deleted; searches and writes meanwhile go to the alias, i.e. the old
   index, and the durable queue;
4. swaps the alias in one ``_aliases`` request (remove from the old, add to the
   new), catches up once more through the alias (writes that reached the old
   index between step 3 and the swap), then deletes the old index.

Until the swap nothing serves from the new index: a failure deletes it (a
killed process leaves it to step 1 of the next run) and the old index goes on
serving. A document is never replaced by an older revision.
"""

import logging
from contextlib import closing, contextmanager
from datetime import timedelta
from typing import NamedTuple

from invenio_db import db
from opensearchpy.helpers import streaming_bulk
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from .api import BaseRecord
from .models import utcnow
from .search import current_search

log = logging.getLogger(__name__)

# users before patrons: a patron document embeds its user
ORDER = ("organisations", "libraries", "patron_types", "users", "patrons")
# writes of transactions that began this long before the cursor opened are replayed too
CATCH_UP_MARGIN = timedelta(minutes=10)
IGNORABLE = (404, 409)  # a delete already done; a newer version already indexed


class RebuildRunning(Exception):
    """Another process is rebuilding this index right now."""


class Rebuilt(NamedTuple):
    indexed: int  # documents loaded into the new index
    stale: int  # documents of the old index the new one lacks (their record is gone)
    errors: list  # documents the new index refused
    swapped: bool  # False: refused documents, the old index keeps serving


def resources(requested=None):
    """The resources to rebuild, in dependency order; unknown names raise ``KeyError``."""
    known = [r for r in ORDER if r in BaseRecord.registry]
    known += sorted(r for r in BaseRecord.registry if r not in ORDER)
    if requested is None:
        return known
    if requested not in BaseRecord.registry:
        raise KeyError(requested)
    return [requested]


def count(resource):
    cls = BaseRecord.registry[resource]
    return db.session.query(cls.model_cls).filter(cls.model_cls.json.isnot(None)).count()


@contextmanager
def rebuild_lock(resource):
    """Hold the rebuild lock of ``resource`` (none on SQLite: one local process)."""
    if db.engine.dialect.name != "postgresql":
        yield
        return
    key = {"key": f"rero-ils-users:reindex:{current_search.alias(resource)}"}
    with db.engine.connect() as conn:
        if not conn.execute(text("SELECT pg_try_advisory_lock(hashtext(:key))"), key).scalar():
            raise RebuildRunning(resource)
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(hashtext(:key))"), key)


def _index_action(index, record, doc):
    return {
        "_op_type": "index", "_index": index, "_id": record.pid,
        "version": record.revision, "version_type": "external_gte", "_source": doc,
    }


def _documents(cls, batch, started):
    """Index actions of every record, read through a server-side cursor on its own
    connection; ``started`` gets the time just before the cursor opened."""
    model = cls.model_cls
    query = select(model).where(model.json.isnot(None)).order_by(model.id).execution_options(yield_per=batch)
    with db.engine.connect() as conn, Session(bind=conn) as session:
        started.append(utcnow())
        for models in session.scalars(query).partitions():
            records = [cls(m.json, model=m) for m in models]
            yield from zip(records, cls.index_documents(records), strict=True)
            # the session's identity map holds them weakly: memory stays flat


def _bulk(actions, batch, progress=None):
    """Send ``actions``; returns ``(done, errors)`` (404 and 409 are not errors)."""
    done, errors = 0, []
    for ok, item in streaming_bulk(current_search.client, actions, chunk_size=batch, raise_on_error=False):
        result = next(iter(item.values()))
        if ok or result.get("status") in IGNORABLE:
            done += 1
        else:
            errors.append(result)
        if progress:
            progress(1)
    return done, errors


def _load(resource, index, batch, progress):
    cls, started = BaseRecord.registry[resource], []
    # closed at once on a failure too: its connection must not hold the table
    with closing(_documents(cls, batch, started)) as documents:
        actions = (_index_action(index, record, doc) for record, doc in documents)
        indexed, errors = _bulk(actions, batch, progress)
    return indexed, errors, started[0] - CATCH_UP_MARGIN


def catch_up(resource, index, since, batch=500):
    """Write again to ``index`` every record of ``resource`` changed since ``since``
    (deleted ones are deleted); returns ``(done, errors)``."""
    cls = BaseRecord.registry[resource]
    model = cls.model_cls
    pids = sorted(cls.changed_since(since))
    done, errors = 0, []
    for start in range(0, len(pids), batch):
        chunk = pids[start:start + batch]
        found = [m for m in db.session.query(model).filter(model.pid.in_(chunk)) if m.json is not None]
        records = [cls(m.json, model=m) for m in found]
        actions = [_index_action(index, r, doc) for r, doc in zip(records, cls.index_documents(records), strict=True)]
        gone = set(chunk) - {r.pid for r in records}
        actions += [{"_op_type": "delete", "_index": index, "_id": pid} for pid in sorted(gone)]
        n, errs = _bulk(actions, batch)
        done, errors = done + n, errors + errs
    db.session.rollback()  # end the read transaction
    return done, errors


def _swap(resource, old, new):
    """Point the alias at ``new`` only, in one request (atomic for every search)."""
    alias = current_search.alias(resource)
    actions = [{"remove": {"index": name, "alias": alias}} for name in old if name != alias]
    if alias in old:  # an index made under the alias's name by a write while the alias was missing
        actions.append({"remove_index": {"index": alias}})
    actions.append({"add": {"index": new, "alias": alias}})
    current_search.client.indices.update_aliases(body={"actions": actions})


def _count(index):
    return current_search.client.count(index=index)["count"]


def _drop(names, quietly=False):
    if not names:
        return
    try:
        current_search.client.indices.delete(index=",".join(names), ignore_unavailable=True)
    except Exception:
        if not quietly:
            raise
        log.exception("reindex: could not delete %s (the next run deletes it)", names)


def _drop_unserved(resource, new):
    """After a failure: delete the new index, unless the swap went through after all
    (an answer lost after OpenSearch applied it)."""
    try:
        served = new in current_search.aliased(resource)
    except Exception:
        log.exception("reindex: cannot tell whether %s serves; left for the next run", new)
        return
    if not served:
        _drop([new], quietly=True)


def reindex(resource, batch=500, progress=None):
    """Rebuild the index of ``resource``; returns a ``Rebuilt``.

    ``progress(n)`` is called after each document of the load; an
    exception it raises stops the rebuild like a crash (the test hook). When
    documents are refused and an old index serves, the alias stays on the old
    index (the new one is deleted): fix the data, then run it again.
    """
    client = current_search.client
    alias = current_search.alias(resource)
    with rebuild_lock(resource):
        old = current_search.aliased(resource) or [n for n in current_search.indexes(resource) if n == alias]
        _drop([name for name in current_search.indexes(resource) if name not in old])  # a crashed rebuild's
        new = current_search.new_index(resource, aliased=False, settings={"refresh_interval": "-1"})
        try:
            indexed, errors, since = _load(resource, new, batch, progress)
            _, more = catch_up(resource, new, since, batch)
            errors += more
            client.indices.put_settings(index=new, body={"index": {"refresh_interval": None}})
            client.indices.refresh(index=",".join([new, *old]))
            stale = max(0, sum(_count(name) for name in old) - _count(new))
            if errors and old:
                raise _Refused(errors)
            _swap(resource, old, new)
        except _Refused:
            _drop([new])
            return Rebuilt(indexed, 0, errors, swapped=False)
        except BaseException:
            _drop_unserved(resource, new)
            raise
        _, more = catch_up(resource, alias, since, batch)
        _drop(old)
        current_search.refresh(resource)
    return Rebuilt(indexed, stale, errors + more, swapped=True)


class _Refused(Exception):
    def __init__(self, errors):
        super().__init__(f"{len(errors)} document(s) refused")
        self.errors = errors
