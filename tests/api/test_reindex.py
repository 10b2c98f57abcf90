"""`rero-ils-users reindex` without downtime: a new index beside the one the alias
serves, filled from the database, the alias swapped in one request."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from invenio_db import db
from sqlalchemy import insert

from rero_ils_users import data_cli
from rero_ils_users.organisations.api import Organisation
from rero_ils_users.organisations.service import organisations
from rero_ils_users.permissions.needs import system_identity
from rero_ils_users.records import reindex as reindexing
from rero_ils_users.records import schemas
from rero_ils_users.records.search import current_search
from rero_ils_users.users.api import UserRecord
from rero_ils_users.users.service import users
from tests.helpers import make_desk, make_person

N = 3000


@pytest.fixture()
def many(app):
    """N organisations, written in one statement (the record API would take minutes), then indexed."""
    url = schemas.schema_url(Organisation.schema)
    rows = [
        {"pid": f"9{n:05d}", "code": f"bulk{n}", "version_id": 1,
         "json": {"$schema": url, "pid": f"9{n:05d}", "code": f"bulk{n}", "name": f"Network {n}"}}
        for n in range(N)
    ]
    db.session.execute(insert(Organisation.model_cls), rows)
    db.session.commit()
    assert reindexing.reindex("organisations").indexed == N
    return [row["pid"] for row in rows]


def total(index=None):
    client = current_search.client
    index = index or current_search.alias("organisations")
    client.indices.refresh(index=index)
    return client.count(index=index)["count"]


def source(pid, resource="organisations"):
    return current_search.client.get(index=current_search.alias(resource), id=pid)["_source"]


def test_searches_answer_while_the_index_is_rebuilt_and_the_alias_moves(many):
    before = current_search.aliased("organisations")
    client, alias = current_search.client, current_search.alias("organisations")
    answers, failures, stop = [], [], threading.Event()

    def search():
        while not stop.is_set():
            try:
                body = {"query": {"match": {"name": "network"}}, "size": 1, "track_total_hits": True}
                answers.append(client.search(index=alias, body=body)["hits"]["total"]["value"])
            except Exception as exc:  # noqa: BLE001 - every failure is the finding
                failures.append(exc)
            time.sleep(0.01)

    thread = threading.Thread(target=search)
    thread.start()
    try:
        done = reindexing.reindex("organisations", batch=100)
    finally:
        stop.set()
        thread.join()
    assert done.indexed == N and done.errors == [] and done.swapped
    assert failures == []
    assert len(answers) >= 10 and set(answers) == {N}, "every search answered, with every document"
    after = current_search.aliased("organisations")
    assert after != before and len(after) == 1
    assert current_search.indexes("organisations") == after, "the old index is deleted"


def test_writes_during_the_rebuild_reach_the_new_index(many):
    identity = system_identity()
    first, middle, last = many[0], many[N // 2], many[-1]
    made = {}

    def write_meanwhile(_):
        made["calls"] = made.get("calls", 0) + 1
        if made["calls"] != N // 3:
            return
        # written (and indexed, into the old index) while the load runs: one record the
        # cursor passed already, one it has still to read (its snapshot is older), one new, one deleted
        for pid in (first, last):
            code = organisations.get(identity, pid)["code"]
            organisations.update(identity, pid, {"name": f"Renamed {pid}", "code": code})
        made["new"] = organisations.create(identity, {"name": "Made meanwhile", "code": "meanwhile"}).pid
        organisations.delete(identity, middle)

    done = reindexing.reindex("organisations", batch=100, progress=write_meanwhile)
    assert done.swapped and done.errors == []
    assert total() == N, "one more, one fewer"
    for pid in (first, last):
        assert source(pid)["name"] == f"Renamed {pid}" and source(pid)["_revision"] == 2
    assert source(made["new"])["name"] == "Made meanwhile"
    assert not current_search.client.exists(index=current_search.alias("organisations"), id=middle)


def test_patron_documents_follow_a_user_changed_during_the_rebuild(app):
    desk = make_desk(ptype=True)
    people = [make_person(desk.org, ["patron"], ptype=desk.ptype) for _ in range(6)]
    user_id, pid = people[0]
    changed = {}

    def change_user(_):
        if changed:
            return
        data = {k: v for k, v in UserRecord.get_by_user_id(user_id).items() if k not in ("pid", "$schema")}
        users.update(system_identity(), user_id, {**data, "city": "Bellinzona"})
        changed["done"] = True

    done = reindexing.reindex("patrons", batch=2, progress=change_user)
    assert done.swapped and done.indexed == 7
    assert source(pid, "patrons")["user"]["city"] == "Bellinzona"


def test_a_failure_in_the_middle_leaves_the_old_index_serving(many):
    before = current_search.aliased("organisations")
    calls = []

    def crash(_):
        calls.append(1)
        if len(calls) == N // 2:
            raise RuntimeError("injected crash")  # the documented test hook: reindex's progress

    with pytest.raises(RuntimeError, match="injected crash"):
        reindexing.reindex("organisations", batch=100, progress=crash)
    assert current_search.aliased("organisations") == before
    assert current_search.indexes("organisations") == before, "the half-built index is deleted"
    assert total() == N


def test_a_killed_rebuild_leaves_the_old_index_serving_and_the_next_run_cleans_up(many):
    before = current_search.aliased("organisations")
    cmd = [os.path.join(os.path.dirname(sys.executable), "rero-ils-users"), "reindex", "organisations", "--batch", "10"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, building = time.monotonic() + 60, None
        while time.monotonic() < deadline and proc.poll() is None:
            others = [name for name in current_search.indexes("organisations") if name not in before]
            if others:
                stats = current_search.client.indices.stats(index=others[0], metric="indexing")
                if stats["_all"]["primaries"]["indexing"]["index_total"] >= 100:
                    building = others[0]
                    break
            time.sleep(0.02)
        assert proc.poll() is None and building, "killed in the middle of the load"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert current_search.aliased("organisations") == before
    assert total() == N, "the old index answers in full"
    assert building in current_search.indexes("organisations")

    done = reindexing.reindex("organisations")
    assert done.swapped and done.indexed == N
    left = current_search.indexes("organisations")
    assert building not in left and before[0] not in left and len(left) == 1
    assert total() == N


def test_one_rebuild_of_a_resource_at_a_time(app, runner):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the rebuild lock is PostgreSQL's")
    with reindexing.rebuild_lock("organisations"):
        result = runner.invoke(data_cli.reindex, ["organisations"])
    assert result.exit_code == 1
    assert "another reindex of it is running" in result.output
    assert runner.invoke(data_cli.reindex, ["organisations"]).exit_code == 0


def test_a_rebuild_replaces_an_index_made_under_the_alias_name(app, runner):
    """A write while the alias was missing makes a plain index of that name (dynamic
    mapping); the rebuild removes it in the same request that adds the alias."""
    alias = current_search.alias("libraries")
    current_search.delete(["libraries"])
    current_search.client.index(index=alias, id="x", body={"name": "ghost"}, refresh=True)
    assert current_search.indexes("libraries") == [alias]
    result = runner.invoke(data_cli.reindex, ["libraries"])
    assert result.exit_code == 0, result.output
    assert "libraries: 0 indexed, 1 stale removed" in result.output
    assert current_search.client.indices.exists_alias(name=alias)
    assert alias not in current_search.indexes("libraries") and total(alias) == 0
