"""`rero-ils-users demo`, `reindex` and `import` through Flask's CLI runner,
against the real PostgreSQL, OpenSearch and Redis."""

import json
from collections import Counter

import pytest
from invenio_db import db
from sqlalchemy import func

from rero_ils_users import clock, data_cli, demo
from rero_ils_users.accounts.models import User
from rero_ils_users.importing import cli as importing_cli
from rero_ils_users.organisations.api import Organisation
from rero_ils_users.patrons.api import Patron
from rero_ils_users.permissions.roles import RECORD_ROLES
from rero_ils_users.records import indexer
from rero_ils_users.records.models import IndexQueue
from rero_ils_users.records.search import current_search
from rero_ils_users.users.api import UserRecord
from tests.helpers import make_desk, make_org, make_patron_type, make_person, post_login


def logins_of(output):
    """``[(username, organisation, password, roles)]`` from the printed table."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("username")) + 2
    rows = []
    for line in lines[start:]:
        username, org, password, roles = line.split(None, 3)
        rows.append((username, org, password, roles.split(", ")))
    return rows


def account(username):
    return User.query.filter(func.lower(User.username) == username.lower()).one()


def search_total(resource):
    current_search.refresh(resource)
    return current_search.client.count(index=current_search.alias(resource))["count"]


# --- demo ---------------------------------------------------------------------------------
def test_demo_loads_every_role_and_case_and_its_logins_work(runner, client):
    result = runner.invoke(data_cli.demo)
    assert result.exit_code == 0, result.output
    logins = logins_of(result.output)
    usernames = {row[0] for row in logins}
    assert 45 <= len(usernames) <= 60 and "admin" in usernames
    assert {row[2] for row in logins} == {demo.DEMO_PASSWORD}

    today = clock.today()
    records = list(Patron.iter_all())
    assert len(records) == sum(1 for row in logins if row[1] != "(network)")
    by_org = {}
    for record in records:
        by_org.setdefault(record.organisation_pid, Counter()).update(record.roles)
    assert len(by_org) == 3
    for counts in by_org.values():
        assert set(counts) == set(RECORD_ROLES), "every record role in every organisation"
        assert counts["pro_full_permissions"] == 1 and counts["patron"] >= 7
    patrons = [r for r in records if "patron" in r.roles]
    users = {r.user_id: UserRecord.get_by_user_id(r.user_id) for r in records}
    assert any(r["patron"].get("blocked") and r["patron"]["blocked_note"] for r in patrons)
    assert any(r.expired(today) for r in patrons)
    assert any(r["patron"]["communication_channel"] == "mail" and not users[r.user_id].get("email") for r in patrons)
    assert any(r["patron"].get("additional_communication_email") and not users[r.user_id].get("email") for r in patrons)
    assert {r["patron"]["communication_language"] for r in patrons} == {"eng", "fre", "ger", "ita"}
    per_user = Counter(r.user_id for r in records)
    two_orgs = [uid for uid, n in per_user.items() if n == 2]
    assert len(two_orgs) >= 2
    assert any(any(r.professional for r in Patron.of_user(uid)) for uid in two_orgs), "librarian here, patron there"

    # the printed logins work, for staff, patrons (even without email) and the admin account
    for username in ("sysadmin-troislacs", "librarian-alpenstadt", "patron-troislacs-child", "patron-two-orgs", "admin"):
        res = post_login(client, username, demo.DEMO_PASSWORD)
        assert res.status_code == 200, (username, res.get_json())
        assert res.get_json()["user"]["username"] == username
        client.post("/api/logout")
    assert "admin" in account("admin").role_names

    # a demo librarian finds the circulation staff and the patrons of their organisation, by role
    assert post_login(client, "sysadmin-troislacs", demo.DEMO_PASSWORD).status_code == 200
    body = client.get("/api/patrons/?roles=pro_circulation_manager&size=50").get_json()
    found = {hit["metadata"]["user"]["username"] for hit in body["hits"]["hits"]}
    assert found == {"librarian-troislacs", "librarian-troislacs-2"}
    org_pid = Organisation.model_cls.query.filter_by(code="troislacs").one().pid
    buckets = {b["key"]: b["doc_count"] for b in client.get("/api/patrons/").get_json()["aggregations"]["roles"]["buckets"]}
    assert buckets == dict(by_org[org_pid])

    again = runner.invoke(data_cli.demo)
    assert again.exit_code == 0 and "already loaded" in again.output
    assert len(list(Patron.iter_all())) == len(records)


# --- reindex ------------------------------------------------------------------------------
@pytest.fixture()
def people(app):
    desk = make_desk(ptype=True)
    for _ in range(4):
        make_person(desk.org, ["patron"], ptype=desk.ptype)
    return desk.org


def test_reindex_restores_a_deleted_index_and_drops_stale_documents(runner, people):
    assert search_total("patrons") == 5
    current_search.delete(["patrons"])
    assert not current_search.client.indices.exists_alias(name=current_search.alias("patrons"))
    current_search.client.index(index=current_search.alias("users"), id="999999", body={"username": "ghost"}, refresh=True)

    result = runner.invoke(data_cli.reindex, ["patrons"])
    assert result.exit_code == 0, result.output
    assert "patrons: 5 indexed" in result.output
    assert search_total("patrons") == 5
    hits = current_search.search("patrons", {"query": {"match_all": {}}, "size": 10})["hits"]["hits"]
    assert all(hit["_source"]["user"]["username"] for hit in hits), "patron documents embed their user"

    result = runner.invoke(data_cli.reindex)
    assert result.exit_code == 0, result.output
    assert "users: 5 indexed, 1 stale removed" in result.output
    assert search_total("users") == 5 and search_total("organisations") == 1

    assert runner.invoke(data_cli.reindex, ["nonsense"]).exit_code == 2


def test_reindex_queue_processes_pending_writes(runner, people):
    record = next(Patron.iter_all())
    record["local_codes"] = ["queued"]
    record.commit()  # a write whose indexing is still pending, as after a crash
    indexer.enqueue(record)
    db.session.commit()
    query = {"query": {"term": {"local_codes": "queued"}}}
    assert current_search.search("patrons", query)["hits"]["total"]["value"] == 0

    result = runner.invoke(data_cli.reindex, ["--queue"])
    assert result.exit_code == 0, result.output
    assert "1 queued document(s) indexed; 0 left" in result.output
    current_search.refresh("patrons")
    assert current_search.search("patrons", query)["hits"]["total"]["value"] == 1
    assert db.session.query(IndexQueue).count() == 0


# --- import -------------------------------------------------------------------------------
def person(username, **fields):
    row = {
        "username": username, "email": f"{username}@example.org", "password": "Import-123",
        "first_name": "Zoë", "last_name": "Keller", "birth_date": "1980-04-01",
        "organisation": "lakes", "barcode": f"BC-{username}", "patron_type": "Adult",
        "expiration_date": "2030-12-31", "communication_language": "ger",
    }
    row.update(fields)
    return {k: v for k, v in row.items() if v is not None}


def report_of(output):
    return {(int(n), field) for n, field, _ in (line.split("\t", 2) for line in output.splitlines() if line[:1].isdigit() and "\t" in line)}


def test_import_json_creates_good_rows_and_reports_bad_ones_without_half_persons(runner, network, tmp_path):
    rows = [
        person("imp-ok1", local_codes=["import-2026"], staff_note="Imported from the old system."),
        person("imp-baddate", birth_date="1990-02-30"),
        person("imp-nochannel", email=None, communication_channel="email"),  # user valid, patron refused
        person("imp-dupbarcode", barcode="BC-imp-ok1"),  # user valid, barcode taken
        person("imp-ok1", email="other@example.org", barcode="BC-other"),  # username taken
        person("imp-noorg", organisation="nowhere", colour="red"),
        person("imp-librarian", roles=["pro_read_only", "pro_circulation_manager"], libraries=["LAKES-MAIN"],
               barcode=None, patron_type=None, expiration_date=None, communication_language=None),
        person("imp-mail", email=None),  # no email: the channel defaults to mail
        "not an object",
    ]
    path = tmp_path / "people.json"
    path.write_text(json.dumps(rows), encoding="utf-8")

    result = runner.invoke(importing_cli.import_people, [str(path)])
    assert result.exit_code == 1, result.output
    assert "3 of 9 row(s) imported, 6 rejected" in result.output
    reported = report_of(result.output)
    assert {(2, "birth_date"), (3, "communication_channel"), (4, "barcode"), (5, "username"),
            (6, "organisation"), (6, "colour"), (9, "-")} == reported

    names = {u.username for u in User.query.all()}
    assert names == {"imp-ok1", "imp-librarian", "imp-mail"}, "a rejected row leaves no user behind"
    assert UserRecord.model_cls.query.count() == 3 and Patron.model_cls.query.count() == 3
    mail = Patron.of_user(account("imp-mail").id)[0]
    assert mail["patron"]["communication_channel"] == "mail"
    ok = Patron.of_user(account("imp-ok1").id)[0]
    assert ok["local_codes"] == ["import-2026"] and ok["notes"][0]["type"] == "staff_note"
    assert search_total("patrons") == 3 and search_total("users") == 3
    assert db.session.query(IndexQueue).count() == 0


def test_import_csv_lists_and_booleans(runner, network, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(
        "username,email,first_name,last_name,birth_date,organisation,roles,barcode,patron_type,expiration_date,"
        "communication_language,blocked,blocked_note,second_address.city\n"
        "csv-1,csv1@example.org,Luca,Rossi,1985-06-01,lakes,patron,CSV-00001;CSV-00002,adult,2027-01-31,ita,yes,Lost card,Lugano\n"
        "csv-2,,Lea,Rossi,1986-06-01,lakes,patron,CSV-00003,Adult,2027-01-31,ita,yes,,\n"
        "csv-3,,Ada,Rossi,1987-06-01,lakes,patron,CSV-00004,Adult,2027-01-31,ita,maybe,,\n",
        encoding="utf-8",
    )
    result = runner.invoke(importing_cli.import_people, [str(path)])
    assert "1 of 3 row(s) imported, 2 rejected" in result.output, result.output
    assert report_of(result.output) == {(2, "blocked_note"), (3, "blocked")}
    record = Patron.of_user(account("csv-1").id)[0]
    assert record["patron"]["barcode"] == ["CSV-00001", "CSV-00002"]
    assert record["patron"]["blocked"] is True and record["second_address"] == {"city": "Lugano"}
    assert User.query.count() == 1


def test_import_refuses_unreadable_files(runner, tmp_path):
    path = tmp_path / "people.txt"
    path.write_text("x")
    result = runner.invoke(importing_cli.import_people, [str(path)])
    assert result.exit_code == 1 and ".json or .csv" in result.output


def test_import_gives_a_known_person_a_record_in_another_organisation(runner, network, tmp_path):
    other = make_org(code="hills")
    make_patron_type(other, name="Adult")
    first = tmp_path / "lakes.json"
    first.write_text(json.dumps([person("imp-twice")]), encoding="utf-8")
    assert runner.invoke(importing_cli.import_people, [str(first)]).exit_code == 0
    rows = [
        person("IMP-TWICE", organisation="hills", barcode="BC-hills-1", password=None),  # same person, any case
        person("imp-twice", organisation="hills", barcode="BC-hills-2", birth_date="1990-01-01"),  # someone else
        person("imp-twice", barcode="BC-lakes-2"),  # same person, same organisation again: an update
    ]
    second = tmp_path / "hills.json"
    second.write_text(json.dumps(rows), encoding="utf-8")
    result = runner.invoke(importing_cli.import_people, [str(second)])
    assert "created 1, updated 1, unchanged 0, rejected 1" in result.output, result.output
    assert "2 of 3 row(s) imported, 1 rejected" in result.output.splitlines()[-1]
    assert report_of(result.output) == {(2, "username")}
    records = Patron.of_user(account("imp-twice").id)
    assert sorted(r.organisation_pid for r in records) == sorted([network, other])
    assert {r.organisation_pid: r["patron"]["barcode"] for r in records}[network] == ["BC-lakes-2"]
    assert User.query.filter(User.username.ilike("imp-twice")).count() == 1
