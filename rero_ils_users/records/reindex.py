"""Rebuild search indexes from the database, the source of truth.

Documents are written with the record revision as an external version, like
the index queue does, so a reindex never overwrites a newer document written
meanwhile; documents whose record is gone from the database are deleted.
"""

from invenio_db import db
from opensearchpy.helpers import scan, streaming_bulk

from .api import BaseRecord
from .search import current_search

# users before patrons: a patron document embeds its user
ORDER = ("organisations", "libraries", "patron_types", "users", "patrons")


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


def _actions(resource, alias, seen):
    for record in BaseRecord.registry[resource].iter_all():
        if record.model.json is None:
            continue
        seen.add(record.pid)
        yield {
            "_op_type": "index",
            "_index": alias,
            "_id": record.pid,
            "version": record.revision,
            "version_type": "external_gte",
            "_source": record.index_document(),
        }


def _stale(resource, alias, seen):
    """Ids in the index without a record in the database (checked again just before)."""
    cls = BaseRecord.registry[resource]
    ids = [hit["_id"] for hit in scan(current_search.client, index=alias, query={"query": {"match_all": {}}}, _source=False)]
    for pid in ids:
        if pid not in seen and not cls.exists(pid):
            yield {"_op_type": "delete", "_index": alias, "_id": pid}


def reindex(resource, batch=500, progress=None):
    """Index every record of ``resource``; returns ``(indexed, deleted, errors)``.

    ``progress(n)`` is called after each document. A 409 (a newer version is
    indexed already) is not an error.
    """
    current_search.create([resource])  # a deleted index comes back (mapping and alias)
    alias = current_search.alias(resource)
    seen, indexed, deleted, errors = set(), 0, 0, []
    for ok, item in streaming_bulk(current_search.client, _actions(resource, alias, seen), chunk_size=batch, raise_on_error=False):
        result = next(iter(item.values()))
        if ok or result.get("status") == 409:
            indexed += 1
        else:
            errors.append(result)
        if progress:
            progress(1)
    db.session.rollback()  # end the read transaction of iter_all
    for ok, item in streaming_bulk(current_search.client, _stale(resource, alias, seen), chunk_size=batch, raise_on_error=False):
        result = next(iter(item.values()))
        if ok or result.get("status") == 404:
            deleted += 1
        else:
            errors.append(result)
    current_search.refresh(resource)
    return indexed, deleted, errors
