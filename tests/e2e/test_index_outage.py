"""A write while OpenSearch is really stopped lands in the index after its restart.

Stops and restarts the OpenSearch of scripts/services: run it alone or in the
full suite (scripts/test), never beside another test run on the same machine.
"""

import subprocess
from pathlib import Path

import pytest

from rero_ils_users.records import indexer
from rero_ils_users.records.search import current_search
from tests.helpers import make_desk, record_data, user_data

pytestmark = pytest.mark.usefixtures("clean")
SERVICES = str(Path(__file__).resolve().parents[2] / "scripts" / "services")


def services(*args):
    subprocess.run([SERVICES, *args], check=True, capture_output=True, timeout=300)


def search_total(client, q):
    return client.get("/api/patrons/", query_string={"q": q}).get_json()["hits"]["total"]["value"]


def test_write_during_outage_is_queued_then_indexed(client):
    desk = make_desk(client, ptype=True)
    services("stop", "opensearch")
    try:
        res = client.post("/api/users/", json=user_data(last_name="Outage", username="during_outage"))
        assert res.status_code == 201, res.get_json()
        user_id = res.get_json()["id"]
        res = client.post("/api/patrons/", json=record_data(user_id, desk.org, ["patron"], ptype=desk.ptype))
        assert res.status_code == 201, res.get_json()
        pid = res.get_json()["id"]
        assert client.get(f"/api/patrons/{pid}").status_code == 200  # the database answers
        assert client.get("/api/users/?q=during_outage").get_json()["hits"]["total"]["value"] == 1
        assert indexer.queue_size() >= 2
        assert indexer.process_queue() == 0  # still down: nothing lost, nothing indexed
    finally:
        services("start", "opensearch")
    assert indexer.process_queue() >= 2
    assert indexer.queue_size() == 0
    current_search.refresh()
    assert search_total(client, "outage") == 1
