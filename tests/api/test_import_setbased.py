"""The import's set-based path (importing/bulk.py): new people written with one INSERT per
table leave exactly what the services leave, refuse exactly what they refuse, and a
concurrent writer still only sends the batch row by row (issue 12)."""

import json

import pytest
from invenio_db import db
from sqlalchemy import text
from sqlalchemy_continuum import version_class

from rero_ils_users.accounts.models import User
from rero_ils_users.importing import batches, bulk, report
from rero_ils_users.patrons.api import Patron, PatronBarcode
from rero_ils_users.records import bulk as record_bulk
from rero_ils_users.records.audit import AuditEntry
from rero_ils_users.records.models import IndexQueue
from rero_ils_users.records.search import current_search
from rero_ils_users.users.api import UserRecord
from tests.helpers import make_library, make_org, make_patron_type


@pytest.fixture()
def network(app):
    org = make_org(code="hills")
    make_library(org, code="HILLS-MAIN")
    make_library(org, code="HILLS-EAST")
    make_patron_type(org, name="Adult")
    make_patron_type(org, name="Child")
    other = make_org(code="vale")
    make_library(other, code="VALE-MAIN")
    make_patron_type(other, name="Adult")
    return org


def rows(prefix):
    """People of every shape the import knows, and rows each path must refuse alike."""
    base = {
        "first_name": "Zoë", "last_name": "Keller", "birth_date": "1980-04-01", "organisation": "hills",
        "patron_type": "Adult", "expiration_date": "2030-12-31", "communication_language": "fre",
    }

    def person(n, **fields):
        row = {**base, "username": f"{prefix}{n}", "email": f"{prefix}{n}@example.org", "barcode": f"{prefix.upper()}CARD{n:04}"}
        row.update(fields)
        return {k: v for k, v in row.items() if v is not None}

    return [
        person(1, city="Sion", street="Rue du Rhône 1", postal_code="1950", country="ch", mobile_phone="+41791234567"),
        person(2, email=None),  # notices by post
        person(3, barcode=[f"{prefix.upper()}CARD0003", f"{prefix.upper()}CARD0003B"], keep_history=True, local_codes=["A1"]),
        person(4, blocked=True, blocked_note="Lost card", public_note="Welcome", staff_note="Call first"),
        person(5, roles=["patron", "pro_circulation_manager"], libraries=["HILLS-EAST"]),
        person(6, roles=["pro_read_only"], libraries=["HILLS-MAIN"], barcode=None, patron_type=None),
        person(7, organisation="vale", patron_type="Adult", second_address={"street": "Via Roma 2", "city": "Lugano"}),
        person(8, patron_type="Child", birth_date="2015-06-01", email=None, additional_communication_email=f"{prefix}parent@example.org"),
        person(9, birth_date="1990-02-30"),  # refused: not a real date
        person(10, patron_type="Nobody"),  # refused: no such patron type
        person(11, roles=["pro_circulation_manager"], barcode=None, patron_type=None),  # refused: no library
        person(12, blocked=True),  # refused: blocked without a note
        person(13, email="not-an-email"),  # refused: email syntax
        person(14, email=None, communication_channel="email"),  # refused: the email channel without an email
        person(15, country="zz"),  # refused: unknown country
    ]


def run(rows_, set_based, batch=50):
    summary = report.Summary()
    importer = batches.Importer(summary, batch=batch)
    if not set_based:
        importer.bulk = None  # every row through the services
    importer.run(iter(rows_))
    return summary


def state(prefix):
    """What the import left for the people of ``prefix``, with ids, pids and times left out."""

    def plain(value):
        text_ = json.dumps(value, sort_keys=True, default=str)
        return json.loads(text_.replace(prefix, "P-").replace(prefix.upper(), "P-"))

    people = {}
    user_versions, patron_versions = version_class(UserRecord.model_cls), version_class(Patron.model_cls)
    for account in User.query.filter(User.username.like(f"{prefix}%")):
        user = UserRecord.get_by_user_id(account.id)
        records = Patron.of_user(account.id)
        pids = [r.pid for r in records]
        audit = [
            (e.resource, e.operation, e.by, {k: v for k, v in e.changes.items() if k != "user_id"}, e.organisation_pid)
            for e in AuditEntry.query.filter(AuditEntry.user_id == account.id).order_by(AuditEntry.resource)
        ]
        # revision numbers only: SQLAlchemy-Continuum may note the service path's first revision
        # as an update (operation type 1) after an earlier import in the same process
        versions = [v.version_id for v in db.session.query(user_versions).filter_by(pid=user.pid)]
        versions += [v.version_id for v in db.session.query(patron_versions).filter(patron_versions.pid.in_(pids))]
        barcodes = sorted((b.organisation_pid, b.barcode) for b in PatronBarcode.query.filter(PatronBarcode.patron_pid.in_(pids)))
        documents = []
        for resource, pid in [("users", user.pid), *(("patrons", p) for p in pids)]:
            doc = current_search.client.get(index=current_search.alias(resource), id=pid)
            source = {k: v for k, v in doc["_source"].items() if k not in ("_created", "_updated", "pid", "user_id")}
            source.get("user", {}).pop("pid", None)
            documents.append((resource, doc["_version"], source))
        people[account.username] = plain({
            "account": [account.email, account.password and account.password.split("$")[1], account.active, account.steward_organisation_pid, account.expired_at],
            "user": {k: v for k, v in user.items() if k != "pid"},
            "revision": user.revision,
            "records": [
                ({k: v for k, v in r.items() if k not in ("pid", "user_id")}, r.revision, r.model.organisation_pid, r.model.professional)
                for r in records
            ],
            "barcodes": barcodes, "audit": audit, "versions": sorted(versions), "documents": documents,
        })
        people[account.username]["pids"] = [("users", user.pid), *(("patrons", p) for p in pids)]
    return people


def test_the_set_based_path_leaves_what_the_services_leave(app, network):
    with_bulk = run(rows("a-"), set_based=True)
    with_services = run(rows("b-"), set_based=False)
    assert (with_bulk.created, with_bulk.rejected) == (8, 7)
    assert (with_services.created, with_services.rejected) == (8, 7)
    assert with_bulk.problems == with_services.problems, "the same rows refused, for the same fields and words"
    current_search.refresh()
    assert db.session.query(IndexQueue).count() == 0, "everything written was indexed"
    bulk_state, service_state = state("a-"), state("b-")
    assert len(bulk_state) == 8
    pids = {k: v.pop("pids") for k, v in bulk_state.items()}
    for v in service_state.values():
        v.pop("pids")
    assert {k.replace("a-", "P-"): v for k, v in bulk_state.items()} == {k.replace("b-", "P-"): v for k, v in service_state.items()}
    inserts = {v.operation_type for cls in (UserRecord, Patron) for v in db.session.query(version_class(cls.model_cls)).filter(
        version_class(cls.model_cls).pid.in_([pid for person in pids.values() for _, pid in person]))}
    assert inserts == {record_bulk.INSERT}, "the set-based path's first revisions are inserts"


def test_known_people_and_duplicates_of_the_batch_go_through_the_services(app, network):
    assert run(rows("k-")[:3], set_based=True).created == 3
    again = [*rows("k-")[:8]]  # 3 known (unchanged), 5 new
    again.append({**again[3], "username": "k-4-twin", "barcode": "K-CARD-TWIN"})  # same email as row 4 of this batch
    again.append({**again[4], "username": "k-5-other", "email": "k-5-other@example.org"})  # row 5's barcode
    summary = run(again, set_based=True)
    assert (summary.created, summary.updated, summary.unchanged) == (5, 1, 3), summary.lines(False)
    assert [(n, field) for n, field, _ in summary.problems] == [(10, "barcode")]
    assert User.query.filter(User.username.like("k-%")).count() == 8
    twin = User.query.filter_by(email="k-4@example.org").one()
    assert twin.username == "k-4-twin", "row 9 matched the person row 4 created, by email, and renamed them"


def test_a_concurrent_writer_sends_the_batch_row_by_row(app, network, monkeypatch):
    """Between the batch's lookup and its INSERT another session takes a username: the
    unique index refuses the INSERT, the batch is written again row by row, and only
    that row is refused."""
    split = bulk.BulkWriter.split

    def split_then_someone_registers(self, batch):
        found = split(self, batch)
        with db.engine.begin() as other:
            other.execute(
                text("INSERT INTO accounts_user (username, active, fs_uniquifier, created) VALUES ('c-2', true, 'race-c-2', now())")
            )
        return found

    monkeypatch.setattr(bulk.BulkWriter, "split", split_then_someone_registers)
    summary = run(rows("c-")[:4], set_based=True)
    assert summary.created == 3 and summary.rejected == 1
    assert [(n, field) for n, field, _ in summary.problems] == [(2, "username")]
    assert sorted(u.username for u in User.query.filter(User.username.like("c-%"))) == ["c-1", "c-2", "c-3", "c-4"]
    assert UserRecord.model_cls.query.count() == 3 and Patron.model_cls.query.count() == 3, "no half person"


def rerun(prefix):
    """The valid rows of ``rows(prefix)`` again: most say nothing new, some do."""
    again = [dict(r) for r in rows(prefix)[:8]]
    again[0]["city"] = "Martigny"  # personal data changed: updated
    again[1]["expiration_date"] = "2031-01-31"  # the record changed: updated
    again[2]["first_name"] = "Someone"  # matched by username, someone else: rejected
    again[3]["username"] = again[3]["username"].upper()  # only the case differs: unchanged
    again[4]["password"] = "Correct-horse-9"  # someone without a password gets one: updated
    again[5].pop("email")  # a field the row lacks is kept: unchanged
    return again


def test_a_rerun_is_decided_alike_by_both_paths(app, network):
    for prefix in ("e-", "f-"):
        assert run(rows(prefix), set_based=True).created == 8
    with_bulk, with_services = run(rerun("e-"), set_based=True), run(rerun("f-"), set_based=False)
    counts = (with_bulk.created, with_bulk.updated, with_bulk.unchanged, with_bulk.rejected)
    assert counts == (0, 3, 4, 1), with_bulk.lines(False)
    assert counts == (with_services.created, with_services.updated, with_services.unchanged, with_services.rejected)
    assert [(n, f) for n, f, _ in with_bulk.problems] == [(n, f) for n, f, _ in with_services.problems] == [(3, "username")]
    current_search.refresh()
    bulk_state, service_state = state("e-"), state("f-")
    for person in [*bulk_state.values(), *service_state.values()]:
        person.pop("pids")
    assert bulk_state["e-5"]["account"][1] == "argon2id", "the new password was hashed"
    assert {k.replace("e-", "P-"): v for k, v in bulk_state.items()} == {k.replace("f-", "P-"): v for k, v in service_state.items()}


def test_documents_indexed_from_memory_are_those_the_database_gives(app, network):
    """The set-based path indexes the records it just wrote without reading them back:
    each document, times and revision included, is the one a reindex would send."""
    summary = run(rows("m-"), set_based=True)
    assert summary.created == 8
    current_search.refresh()
    accounts = User.query.filter(User.username.like("m-%")).all()
    assert len(accounts) == 8
    for account in accounts:
        user = UserRecord.get_by_user_id(account.id)
        records = Patron.of_user(account.id)
        expected = [("users", user.pid, user.index_document(), user.revision)]
        expected += [("patrons", r.pid, d, r.revision) for r, d in zip(records, Patron.index_documents(records), strict=True)]
        for resource, pid, document, revision in expected:
            indexed = current_search.client.get(index=current_search.alias(resource), id=pid)
            diff = {k: (indexed["_source"].get(k), document.get(k)) for k in set(indexed["_source"]) | set(document) if indexed["_source"].get(k) != document.get(k)}
            assert (diff, indexed["_version"]) == ({}, revision), (resource, pid)
