"""Does each search index hold exactly the records of the database? And the repair.

Both sides are read as streams of pids in the same (byte) order: a server-side
cursor over the database (``ORDER BY pid COLLATE "C"``) and ``search_after`` pages of
the index sorted on its ``pid`` keyword; a merge of the two yields what is missing
from the index and what is extra in it, in bounded memory whatever the size.
"""

from invenio_db import db
from sqlalchemy import select

from .api import BaseRecord
from .indexer import process
from .models import IndexQueue
from .search import current_search

PAGE = 1000


def database_pids(resource):
    """Pids of the live records of ``resource``, in byte order, streamed."""
    model = BaseRecord.registry[resource].model_cls
    order = model.pid.collate("C") if db.engine.name == "postgresql" else model.pid
    query = select(model.pid).where(model.json.isnot(None)).order_by(order).execution_options(yield_per=PAGE)
    for (pid,) in db.session.execute(query):
        yield pid


def index_pids(resource):
    """Ids of the documents of ``resource``'s index, in byte order, streamed."""
    body = {"query": {"match_all": {}}, "size": PAGE, "sort": [{"pid": {"order": "asc", "missing": "_first"}}], "_source": False}
    after = None
    while True:
        page = dict(body, search_after=after) if after is not None else body
        hits = current_search.search(resource, page)["hits"]["hits"]
        for hit in hits:
            yield hit["_id"]
        if len(hits) < PAGE:
            return
        after = hits[-1]["sort"]


def differences(resource, counts=None):
    """``("missing" | "extra", pid)`` for each pid on one side only, in pid order.
    ``counts`` (a dict) receives ``database`` and ``index``: the number of pids seen."""
    counts = {} if counts is None else counts
    counts.update(database=0, index=0)
    left, right = database_pids(resource), index_pids(resource)
    a, b = next(left, None), next(right, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a.encode() < b.encode()):
            counts["database"] += 1
            yield "missing", a
            a = next(left, None)
        elif a is None or b.encode() < a.encode():
            counts["index"] += 1
            yield "extra", b
            b = next(right, None)
        else:
            counts["database"] += 1
            counts["index"] += 1
            a, b = next(left, None), next(right, None)


def report(resource):
    """``{"database", "index", "missing", "extra"}`` of one resource (lists in memory:
    the REST view streams ``differences`` instead)."""
    counts, found = {}, {"missing": [], "extra": []}
    for kind, pid in differences(resource, counts):
        found[kind].append(pid)
    return {**counts, **found}


def repair(resource, batch=500):
    """Index what is missing and delete what is extra; returns ``(indexed, deleted)``.

    Missing records go through the index queue (their current revision, as any
    write); an extra document is deleted only if its record is still absent."""
    cls = BaseRecord.registry[resource]
    alias = current_search.alias(resource)
    indexed, deleted, rows = 0, 0, []
    for kind, pid in list(differences(resource)):
        if kind == "missing":
            rows.append(IndexQueue(pid_type=resource, pid=pid))
            db.session.add(rows[-1])
            if len(rows) >= batch:
                db.session.commit()
                indexed += process(rows)
                rows = []
        elif not cls.exists(pid):
            current_search.client.delete(index=alias, id=pid, ignore=[404])
            deleted += 1
    if rows:
        db.session.commit()
        indexed += process(rows)
    current_search.refresh(resource)
    return indexed, deleted
