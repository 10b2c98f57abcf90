"""GET /api/monitoring/consistency and ``reindex --repair`` against the real
PostgreSQL and OpenSearch: a document removed from the index behind the service's
back is listed as missing, a stray document as extra; the repair fixes both."""

import json

import pytest

from rero_ils_users import data_cli
from rero_ils_users.records import consistency
from rero_ils_users.records.search import current_search
from tests.helpers import login, make_account, make_desk, make_org, make_user


def drop_from_index(resource, pid):
    """A lost document (the tombstone keeps the record's revision, as a lost shard copy would)."""
    alias = current_search.alias(resource)
    version = current_search.client.get(index=alias, id=pid, _source=False)["_version"]
    current_search.client.delete(index=alias, id=pid, version=version, version_type="external_gte", refresh=True)


def stray(resource, pid):
    current_search.client.index(index=current_search.alias(resource), id=pid, body={"pid": pid}, refresh=True)


def consistency_of(client):
    res = client.get("/api/monitoring/consistency")
    assert res.status_code == 200, res.get_data(as_text=True)
    assert res.mimetype == "application/json"
    return json.loads(res.get_data(as_text=True))["resources"]


def test_missing_and_extra_ids_are_listed_then_repaired(app, client):
    orgs = [make_org() for _ in range(3)]
    people = [make_user() for _ in range(2)]
    drop_from_index("organisations", orgs[1])
    drop_from_index("users", str(people[0]))
    stray("organisations", "999999")
    stray("organisations", "0-stray")
    login(client, make_account("monitoring"))

    report = consistency_of(client)
    assert set(report) == {"organisations", "libraries", "patron_types", "users", "patrons"}
    assert report["organisations"] == {"missing": [orgs[1]], "extra": ["0-stray", "999999"], "database": 3, "index": 4}
    assert report["users"]["missing"] == [str(people[0])] and report["users"]["extra"] == []
    assert report["libraries"] == {"missing": [], "extra": [], "database": 0, "index": 0}

    result = app.test_cli_runner().invoke(data_cli.reindex, ["--repair"])
    assert result.exit_code == 0, result.output
    assert "organisations: 1 missing indexed, 2 extra deleted; now 3 in the database, 3 in the index" in result.output
    assert "users: 1 missing indexed, 0 extra deleted" in result.output
    after = consistency_of(client)
    assert all(r["missing"] == [] and r["extra"] == [] for r in after.values()), after
    assert after["organisations"]["index"] == 3


def test_ids_compare_in_byte_order_across_pages(app, monkeypatch):
    """Pids "10" < "9" as bytes on both sides, and pages of the index are followed."""
    monkeypatch.setattr(consistency, "PAGE", 2)
    pids = [make_org() for _ in range(11)]
    drop_from_index("organisations", pids[-1])
    report = consistency.report("organisations")
    assert report["missing"] == [pids[-1]] and report["extra"] == []
    assert (report["database"], report["index"]) == (11, 10)


def test_repair_of_one_resource_only(app):
    org = make_org()
    drop_from_index("organisations", org)
    result = app.test_cli_runner().invoke(data_cli.reindex, ["organisations", "--repair"])
    assert result.exit_code == 0, result.output
    assert result.output.count("missing indexed") == 1
    assert consistency.report("organisations")["missing"] == []


@pytest.mark.parametrize("roles", [("document_importer",), ("pro_full_permissions",)])
def test_consistency_refused_to_other_roles(client, roles):
    if roles == ("pro_full_permissions",):
        make_desk(client)
    else:
        login(client, make_account(*roles))
    res = client.get("/api/monitoring/consistency")
    assert res.status_code == 403 and res.get_json()["status"] == 403


def test_consistency_refused_to_anonymous(client):
    res = client.get("/api/monitoring/consistency")
    assert res.status_code == 401 and res.get_json()["status"] == 401
