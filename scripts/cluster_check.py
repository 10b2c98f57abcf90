"""The body of scripts/cluster-check: a stream of searches and writes against a
private 3-node OpenSearch cluster (indexes with one replica) while one node is
stopped and started again. Prints figures; exits 1 when a promise is broken."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from werkzeug.datastructures import MultiDict

ROOT = Path(__file__).resolve().parents[1]
PORT = int(os.environ.get("CLUSTER_PORT", "9260"))
NODES = 3
STOPPED_NODE = int(os.environ.get("CLUSTER_STOPPED_NODE", "2"))
PHASE = float(os.environ.get("CLUSTER_PHASE_SECONDS", "20"))  # seconds of stream before, during, after


def services(*args):
    subprocess.run([str(ROOT / "scripts" / "services"), *args], check=True, timeout=600)


def wait_green(client, seconds):
    """The cluster's health once green, or the last one after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        health = client.cluster.health()
        if health["status"] == "green" or time.monotonic() > deadline:
            return health
        time.sleep(1)


def main():
    os.environ.setdefault("INVENIO_SQLALCHEMY_DATABASE_URI", "postgresql+psycopg2://rero:rero@127.0.0.1:5432/rero_ils_users_cluster")
    os.environ["INVENIO_SEARCH_HOSTS"] = repr([f"http://127.0.0.1:{PORT + i}" for i in range(NODES)])
    os.environ["INVENIO_SEARCH_INDEX_PREFIX"] = "cluster-"
    os.environ["INVENIO_SEARCH_NUMBER_OF_REPLICAS"] = "1"
    from invenio_db import db
    from sqlalchemy_utils.functions import create_database, database_exists

    from rero_ils_users.factory import create_app
    from rero_ils_users.organisations.service import organisations
    from rero_ils_users.patron_types.service import patron_types
    from rero_ils_users.permissions import matrix
    from rero_ils_users.permissions.needs import system_identity
    from rero_ils_users.records import indexer
    from rero_ils_users.records.search import current_search

    app = create_app({"SEARCH_TIMEOUT": 10})
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
        if not database_exists(url):
            create_database(url)
        db.drop_all()
        db.create_all()
        matrix.load_defaults()
        db.session.commit()
        current_search.delete()
        current_search.create()
        client = current_search.client
        replicas = {name: s["settings"]["index"]["number_of_replicas"] for name, s in client.indices.get_settings(index="cluster-*").items()}
        org = organisations.create(system_identity(), {"name": "Cluster network", "code": "cluster"}).pid
        wait_green(client, 120)

    figures = {phase: {"searches": 0, "search_errors": 0, "writes": 0, "write_errors": 0, "max_search_ms": 0.0} for phase in ("before", "during", "after")}
    phase = {"name": "before"}
    stop = threading.Event()
    errors = []

    def stream():
        n = 0
        with app.app_context():
            while not stop.is_set():
                n += 1
                row = figures[phase["name"]]
                try:
                    patron_types.create(system_identity(), {"name": f"Cluster type {n}", "organisation": {"$ref": f"https://x/api/organisations/{org}"}})
                    row["writes"] += 1
                except Exception as exc:  # noqa: BLE001  (counted and shown)
                    row["write_errors"] += 1
                    errors.append(f"write: {type(exc).__name__}: {exc}"[:200])
                    db.session.rollback()
                started = time.perf_counter()
                try:
                    patron_types.search(system_identity(), MultiDict({"q": "cluster"}), 1, 10)
                    row["searches"] += 1
                except Exception as exc:  # noqa: BLE001
                    row["search_errors"] += 1
                    errors.append(f"search: {type(exc).__name__}: {exc}"[:200])
                row["max_search_ms"] = max(row["max_search_ms"], (time.perf_counter() - started) * 1000)

    thread = threading.Thread(target=stream)
    thread.start()
    time.sleep(PHASE)
    phase["name"] = "during"
    t0 = time.monotonic()
    services("stop", "opensearch", "--port", str(PORT), "--node", str(STOPPED_NODE))
    stopped_in = time.monotonic() - t0
    time.sleep(PHASE)
    with app.app_context():
        health_during = current_search.client.cluster.health()
    phase["name"] = "after"
    t0 = time.monotonic()
    services("start", "opensearch", "--port", str(PORT), "--nodes", str(NODES))
    rejoined_in = time.monotonic() - t0
    with app.app_context():
        green = wait_green(current_search.client, 180)
    green_in = time.monotonic() - t0
    time.sleep(PHASE / 2)
    stop.set()
    thread.join(120)
    with app.app_context():
        drained = indexer.process_queue()
        current_search.refresh("patron_types")
        in_db = db.session.query(patron_types.record_cls.model_cls).count()
        in_index = current_search.client.count(index=current_search.alias("patron_types"))["count"]
        queued = indexer.queue_counts()

    print(f"cluster: {NODES} nodes on http://127.0.0.1:{PORT}-{PORT + NODES - 1}, replicas per index: {sorted(set(replicas.values()))}")
    print(f"node {STOPPED_NODE} stopped in {stopped_in:.1f} s; cluster while it was down: {health_during['status']}, {health_during['number_of_nodes']} nodes")
    print(f"node back: running in {rejoined_in:.1f} s, cluster {green['status']} {green_in:.1f} s after the start")
    for name, row in figures.items():
        print(
            f"{name:>6}: {row['searches']} searches ({row['search_errors']} failed, slowest {row['max_search_ms']:.0f} ms),"
            f" {row['writes']} writes ({row['write_errors']} failed)"
        )
    print(f"index queue after the run: {drained} drained at the end, left {queued[0]} pending / {queued[1]} parked")
    print(f"patron types: {in_db} in the database, {in_index} in the index")
    for error in errors[:5]:
        print(f"  {error}")
    broken = []
    if any(row["search_errors"] for row in figures.values()):
        broken.append("a search failed")
    if any(row["write_errors"] for row in figures.values()):
        broken.append("a write failed")
    if green["status"] != "green":
        broken.append("the cluster did not go green again")
    if in_db != in_index or queued != (0, 0):
        broken.append("database and index differ")
    print("result: " + ("OK" if not broken else "BROKEN: " + "; ".join(broken)))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
