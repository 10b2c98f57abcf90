"""Is each dependency answering? Database, search index, broker, workers.

A check never raises: it reports ``up``/``down`` with the error. No worker
running is a status (``none``), not an error: the API works without one.
The index queue reports its pending and parked (``failed``) rows; parked rows
make it ``degraded``, never the service down: the API works, a few documents
are stale in search until ``reindex --queue --retry-failed``.
"""

import json
import time

import redis
from flask import current_app
from invenio_db import db
from sqlalchemy import text

from ..permissions import policy
from ..records import consistency, indexer, reindex
from ..records.search import current_search
from ..records.sessions import rollback_session

ACCESS = "monitoring-access"


def _timed(check):
    started = time.perf_counter()
    try:
        result = check()
    except Exception as exc:  # a dependency down is what we report, not a crash
        result = {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _database():
    try:
        db.session.execute(text("SELECT 1")).scalar()
    except Exception:
        rollback_session()
        raise
    return {"status": "up", "engine": db.engine.name}


def _index():
    client = current_search.client
    health = client.cluster.health(request_timeout=_timeout())
    missing = [alias for alias, _, _ in current_search.definitions() if not client.indices.exists_alias(name=alias)]
    status = "down" if health["status"] == "red" or missing else "up"
    return {"status": status, "cluster": health["status"], "missing": missing}


def _index_queue():
    try:
        pending, failed = indexer.queue_counts()
    except Exception:
        rollback_session()
        raise
    return {"status": "degraded" if failed else "up", "pending": pending, "failed": failed}


def _broker():
    url = current_app.config["CELERY_BROKER_URL"]
    timeout = _timeout()
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()
    return {"status": "up"}


def _redis():
    """The Redis of logins (lockout counters) and, when set, of sessions."""
    timeout = _timeout()
    urls = {"login": current_app.config["LOGIN_REDIS_URL"], "sessions": current_app.config.get("SESSION_REDIS_URL")}
    for url in {u for u in urls.values() if u}:
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
    return {"status": "up", "uses": sorted(name for name, url in urls.items() if url)}


def _workers():
    celery = current_app.extensions["celery"]
    replies = celery.control.inspect(timeout=_timeout()).ping() or {}
    if not replies:
        return {"status": "none", "workers": []}
    return {"status": "up", "workers": sorted(replies)}


def _timeout():
    return current_app.config["MONITORING_TIMEOUT"]


def health(identity):
    """``(report, healthy)``: healthy when database, index, broker and Redis are up."""
    policy.require(identity, ACCESS)
    checks = {"database": _timed(_database), "index": _timed(_index), "broker": _timed(_broker), "redis": _timed(_redis)}
    checks["index_queue"] = _timed(_index_queue)
    if checks["broker"]["status"] == "up":
        checks["worker"] = _timed(_workers)
    else:
        checks["worker"] = {"status": "unknown", "error": "The broker is down."}
    healthy = all(checks[name]["status"] == "up" for name in ("database", "index", "broker", "redis"))
    return {"status": "up" if healthy else "down", "checks": checks}, healthy


def consistency_stream(identity):
    """``GET /api/monitoring/consistency`` as JSON text chunks, per resource: the pids
    missing from the index and extra in it, then both counts. The permission is
    checked here, before the first chunk (a refusal is an ordinary error response)."""
    policy.require(identity, ACCESS)
    return _consistency_chunks()


def _consistency_chunks():
    """Two merges per resource (missing ids, then extra ids and the counts): every id
    is written as it is found, nothing is held but one page of each side."""
    yield '{"resources": {'
    for n, resource in enumerate(reindex.resources()):
        yield f'{", " if n else ""}{json.dumps(resource)}: {{"missing": ['
        yield from _ids(consistency.differences(resource), "missing")
        yield '], "extra": ['
        counts = {}
        yield from _ids(consistency.differences(resource, counts), "extra")
        yield f'], "database": {counts["database"]}, "index": {counts["index"]}}}'
    yield "}}"


def _ids(differences, wanted, page=500):
    """JSON text of the ids of one kind, ``page`` ids a chunk."""
    chunk, first = [], True
    for kind, pid in differences:
        if kind != wanted:
            continue
        chunk.append(json.dumps(pid))
        if len(chunk) >= page:
            yield ("" if first else ", ") + ", ".join(chunk)
            chunk, first = [], False
    if chunk:
        yield ("" if first else ", ") + ", ".join(chunk)
