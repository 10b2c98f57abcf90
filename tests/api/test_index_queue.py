"""The durable index queue against the real PostgreSQL and OpenSearch: a
document the index refuses is retried ``INDEX_QUEUE_MAX_ATTEMPTS`` times then
parked (health counts it, the CLI lists and retries it); an unreachable or
blocked index never counts an attempt and its rows drain afterwards."""

from itertools import count

import pytest
from invenio_db import db
from sqlalchemy.orm.attributes import flag_modified

from rero_ils_users import data_cli
from rero_ils_users.accounts import service as accounts
from rero_ils_users.jobs import tasks
from rero_ils_users.organisations.api import Organisation
from rero_ils_users.organisations.service import organisations
from rero_ils_users.permissions.needs import system_identity
from rero_ils_users.records import indexer
from rero_ils_users.records.models import IndexQueue
from rero_ils_users.records.search import SearchIndexes, current_search
from tests.helpers import PASSWORD, login, make_org

_n = count()


@pytest.fixture()
def monitoring(client):
    user = accounts.create_account(f"queue-probe{next(_n)}", PASSWORD, roles=("monitoring",))
    db.session.commit()
    login(client, user.id)
    return client


def set_stored_json(pid, **fields):
    """Change an organisation's stored JSON behind the service's back (no validation, no indexing)."""
    model = db.session.query(Organisation.model_cls).filter_by(pid=pid).one()
    json = dict(model.json)
    for key, value in fields.items():
        if value is None:
            json.pop(key, None)
        else:
            json[key] = value
    model.json = json
    flag_modified(model, "json")
    db.session.commit()


def queued(pid):
    db.session.expire_all()
    return db.session.query(IndexQueue).filter_by(pid_type="organisations", pid=pid).all()


def indexed_doc(pid):
    current_search.refresh("organisations")
    hits = current_search.search("organisations", {"query": {"ids": {"values": [pid]}}})["hits"]["hits"]
    return hits[0]["_source"] if hits else None


def test_a_refused_document_is_retried_then_parked_reported_and_retried_on_demand(app, runner, monitoring):
    limit = app.config["INDEX_QUEUE_MAX_ATTEMPTS"]
    other = make_org(code="fine")
    pid = make_org(code="broken")
    set_stored_json(pid, colour="red")  # the strict mapping has no `colour`
    db.session.add(IndexQueue(pid_type="organisations", pid=pid))
    db.session.add(IndexQueue(pid_type="organisations", pid=other))  # a good row in the same batch
    db.session.commit()

    for attempt in range(1, limit + 1):
        tasks.index_queue()  # what the beat runs every 30 s
        (row,) = queued(pid)
        assert row.attempts == attempt
        assert "strict_dynamic_mapping_exception" in row.last_error and row.last_error.startswith("400 ")
        assert (row.failed_at is not None) == (attempt == limit)
    assert queued(other) == [], "a refused document does not hold back the others"
    assert indexed_doc(pid) and "colour" not in indexed_doc(pid)

    assert indexer.process_queue() == 0
    (row,) = queued(pid)
    assert row.attempts == limit, "a parked row is no longer retried"

    res = monitoring.get("/api/monitoring/health")
    assert res.status_code == 200, "parked rows alone do not make the service down"
    body = res.get_json()
    assert body["status"] == "up"
    assert body["checks"]["index_queue"]["status"] == "degraded"
    assert body["checks"]["index_queue"]["failed"] == 1 and body["checks"]["index_queue"]["pending"] == 0

    plain = runner.invoke(data_cli.reindex, ["--queue"])
    assert plain.exit_code == 1 and "0 left in the queue; 1 parked as failed" in plain.output

    listing = runner.invoke(data_cli.reindex, ["--queue", "--failed"])
    assert listing.exit_code == 0, listing.output
    header, line, total = listing.output.splitlines()
    assert header.split()[:4] == ["resource", "pid", "attempts", "failed"]
    assert line.split()[:3] == ["organisations", pid, str(limit)]
    assert f"{row.failed_at:%Y-%m-%d %H:%M:%S}" in line and "strict_dynamic_mapping_exception" in line
    assert total == "1 parked row(s)"

    still_broken = runner.invoke(data_cli.reindex, ["--queue", "--retry-failed"])
    assert still_broken.exit_code == 1
    assert "1 parked row(s) queued again" in still_broken.output
    (row,) = queued(pid)
    assert row.attempts == 1 and row.failed_at is None, "attempts start again from zero"
    for _ in range(limit - 1):
        tasks.index_queue()
    (row,) = queued(pid)
    assert row.attempts == limit and row.failed_at is not None, "parked again"

    set_stored_json(pid, colour=None)  # the data fixed
    retried = runner.invoke(data_cli.reindex, ["--queue", "--retry-failed"])
    assert retried.exit_code == 0, retried.output
    assert "1 parked row(s) queued again" in retried.output
    assert "1 queued document(s) indexed; 0 left in the queue; 0 parked as failed" in retried.output
    assert queued(pid) == []
    assert indexed_doc(pid)["_revision"] == Organisation.get_by_pid(pid).revision

    check = monitoring.get("/api/monitoring/health").get_json()["checks"]["index_queue"]
    assert (check["status"], check["pending"], check["failed"]) == ("up", 0, 0)
    empty = runner.invoke(data_cli.reindex, ["--queue", "--failed"])
    assert empty.exit_code == 0 and "No parked rows" in empty.output


def test_a_later_successful_write_clears_the_parked_row(app):
    pid = make_org(code="healed")
    set_stored_json(pid, colour="red")
    db.session.add(IndexQueue(pid_type="organisations", pid=pid))
    db.session.commit()
    for _ in range(app.config["INDEX_QUEUE_MAX_ATTEMPTS"]):
        indexer.process_queue()
    (row,) = queued(pid)
    assert row.failed_at is not None

    organisations.update(system_identity(), pid, {"name": "Healed network", "code": "healed"})
    assert queued(pid) == [], "the write indexed the record: the older parked row is moot"
    assert indexed_doc(pid)["name"] == "Healed network"


@pytest.fixture()
def unreachable(app, monkeypatch):
    """A search client on a closed loopback port, for the duration of the test (the real OpenSearch stays up)."""
    bad = dict(app.config, SEARCH_HOSTS=["http://127.0.0.1:1"], SEARCH_TIMEOUT=1)
    monkeypatch.setitem(app.extensions, "rero-search", SearchIndexes(type("Cfg", (), {"config": bad})()))
    return monkeypatch


def test_an_unreachable_index_counts_no_attempt_and_the_queue_drains_afterwards(app, unreachable):
    pid = make_org(code="outage")  # the write path: create, then update, each tries the index at once
    organisations.update(system_identity(), pid, {"name": "Written during the outage", "code": "outage"})
    for _ in range(app.config["INDEX_QUEUE_MAX_ATTEMPTS"] + 2):
        assert indexer.process_queue() == 0
    rows = queued(pid)
    assert len(rows) == 2
    assert all(row.attempts == 0 and row.failed_at is None and row.last_error is None for row in rows)

    unreachable.undo()
    assert indexer.process_queue() == 1
    assert queued(pid) == []
    assert indexed_doc(pid)["name"] == "Written during the outage"


@pytest.mark.parametrize("block,status", [("read_only_allow_delete", 429), ("write", 403)])
def test_a_blocked_index_refuses_every_document_and_counts_no_attempt(app, block, status):
    """Per-document 429 (flood-stage disk) and 403 write blocks are the index's state, not the document's."""
    pid = make_org(code=f"blocked{next(_n)}")
    db.session.add(IndexQueue(pid_type="organisations", pid=pid))
    db.session.commit()
    setting = {f"index.blocks.{block}": True}
    alias = current_search.alias("organisations")
    current_search.client.indices.put_settings(index=alias, body=setting)
    try:
        response = current_search.client.bulk(body=[{"index": {"_index": alias, "_id": "probe"}}, {"pid": "probe"}])
        assert response["items"][0]["index"]["status"] == status  # what the queue meets: a refusal per document
        for _ in range(app.config["INDEX_QUEUE_MAX_ATTEMPTS"] + 1):
            assert indexer.process_queue() == 0
        (row,) = queued(pid)
        assert row.attempts == 0 and row.failed_at is None
    finally:
        current_search.client.indices.put_settings(index=alias, body={f"index.blocks.{block}": None})
    assert indexer.process_queue() == 1 and queued(pid) == []
