"""OpenSearch stopped in the middle of 1000 writes, then restarted (a PRIVATE
instance on port 9250, never the shared one): every write answers 201 and is in
the database, searches answer a JSON 503 meanwhile, and the index converges
without a command: the next writes drain the queue, the beat's task the rest."""

import threading
import time

import pytest
from invenio_db import db

from rero_ils_users.jobs import tasks
from rero_ils_users.patron_types.api import PatronType
from rero_ils_users.records import indexer
from rero_ils_users.records.search import current_search
from tests.helpers import make_desk, ref

from .conftest import bearer, services

PORT = 9250
WRITES = 1000
STOP_AFTER = 300
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def private_opensearch():
    services("start", "opensearch", "--port", str(PORT))
    yield f"http://127.0.0.1:{PORT}"
    services("stop", "opensearch", "--port", str(PORT))


@pytest.fixture(scope="module")
def app_config(app_config, private_opensearch):
    return {**app_config, "SEARCH_HOSTS": [private_opensearch], "SEARCH_TIMEOUT": 30, "SEARCH_REFRESH": False}


def index_total(resource):
    current_search.refresh(resource)
    return current_search.client.count(index=current_search.alias(resource))["count"]


def test_opensearch_stopped_during_1000_writes(live):
    desk = make_desk()
    client = bearer(desk.librarian)
    statuses, lock = [], threading.Lock()

    def write(worker, count):
        for i in range(count):
            body = {"name": f"Outage type {worker}-{i}", "organisation": ref("organisations", desk.org)}
            res = client.post(f"{live}/api/patron_types/", json=body, timeout=60)
            with lock:
                statuses.append(res.status_code)

    writers = [threading.Thread(target=write, args=(w, WRITES // 2)) for w in range(2)]
    started = time.monotonic()
    for thread in writers:
        thread.start()
    while len(statuses) < STOP_AFTER:
        time.sleep(0.05)
    before_stop = time.monotonic() - started
    services("stop", "opensearch", "--port", str(PORT))
    stopped_at = len(statuses)

    search = client.get(f"{live}/api/patron_types/", params={"q": "outage"}, timeout=30)
    assert search.status_code == 503, search.text
    assert search.headers["Content-Type"].startswith("application/json")
    assert search.json() == {"status": 503, "message": "The search index is unavailable; try again in a moment."}
    assert search.headers["Retry-After"]
    for thread in writers:
        thread.join(300)
    written = time.monotonic() - started
    assert statuses.count(201) == WRITES, {s: statuses.count(s) for s in set(statuses)}
    db.session.expire_all()
    in_database = db.session.query(PatronType.model_cls).count()
    assert in_database == WRITES
    pending = indexer.queue_counts()[0]
    assert pending >= WRITES - stopped_at - 50, "the writes after the stop are queued"

    restart = time.monotonic()
    services("start", "opensearch", "--port", str(PORT))
    restarted = time.monotonic() - restart
    # the next successful write indexes itself and drains a batch of the queue
    res = client.post(f"{live}/api/patron_types/", json={"name": "After", "organisation": ref("organisations", desk.org)}, timeout=60)
    assert res.status_code == 201
    db.session.expire_all()
    after_one_write = indexer.queue_counts()[0]
    assert after_one_write <= max(pending - 150, 0), (pending, after_one_write)
    runs = 0
    while indexer.queue_counts()[0] and runs < 20:  # what the beat runs every 30 s
        tasks.index_queue()
        db.session.expire_all()
        runs += 1
    assert indexer.queue_counts() == (0, 0)
    assert index_total("patron_types") == WRITES + 1
    ok = client.get(f"{live}/api/patron_types/", params={"q": "outage"}, timeout=30)
    assert ok.status_code == 200 and ok.json()["hits"]["total"]["value"] == WRITES
    print(
        f"\nopensearch fault: {WRITES} writes in {written:.1f} s ({stopped_at} in {before_stop:.1f} s before the stop), {pending} queued;"
        f" restart {restarted:.1f} s; one write left {after_one_write} queued; {runs} beat run(s) drained the rest"
    )
