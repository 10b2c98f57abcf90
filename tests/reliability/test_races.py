"""Races on a live server: many clients at once, each with its own session.

50 registrations of one username, of one email, of one barcode in one organisation:
exactly one 201, the rest 409 naming the field, one record in the database and in
the index. 20 updates with the same If-Match: one 200, the rest 412."""

from collections import Counter

from invenio_db import db
from sqlalchemy import func

from rero_ils_users.accounts.models import User
from rero_ils_users.patrons.api import Patron, PatronBarcode
from rero_ils_users.records.search import current_search
from tests.helpers import make_desk, make_patron_type, make_user, record_data, user_data

from .conftest import at_once, logged_in

N = 50


def desk_sessions(live, n):
    desk = make_desk(ptype=True)
    username = db.session.get(User, desk.librarian).username
    return desk, [logged_in(live, username) for _ in range(n)]


def statuses(results):
    return Counter(r.status_code if hasattr(r, "status_code") else repr(r) for r in results)


def conflict_fields(results):
    return {e["field"] for r in results if r.status_code == 409 for e in r.json().get("errors", [])}


def index_count(resource, query):
    current_search.refresh(resource)
    return current_search.client.count(index=current_search.alias(resource), body={"query": query})["count"]


def post_all(sessions, url, bodies):
    return at_once([lambda s=s, b=b: s.post(url, json=b, timeout=60) for s, b in zip(sessions, bodies, strict=True)])


def test_one_username_registered_by_50_clients_at_once(live):
    _, sessions = desk_sessions(live, N)
    bodies = [user_data(username="Same_Name", email=f"same{i}@example.org") for i in range(N)]
    results = post_all(sessions, f"{live}/api/users/", bodies)
    assert statuses(results) == {201: 1, 409: N - 1}, statuses(results)
    assert conflict_fields(results) == {"username"}
    db.session.expire_all()
    assert db.session.query(User).filter(func.lower(User.username) == "same_name").count() == 1
    assert index_count("users", {"term": {"username": "Same_Name"}}) == 1


def test_one_email_registered_by_50_clients_at_once(live):
    _, sessions = desk_sessions(live, N)
    bodies = [user_data(username=f"mail_race_{i}", email="Same@Example.org") for i in range(N)]
    results = post_all(sessions, f"{live}/api/users/", bodies)
    assert statuses(results) == {201: 1, 409: N - 1}, statuses(results)
    assert conflict_fields(results) == {"email"}
    db.session.expire_all()
    assert db.session.query(User).filter(func.lower(User.email) == "same@example.org").count() == 1
    created = next(r for r in results if r.status_code == 201).json()["id"]
    assert index_count("users", {"match_all": {}}) == db.session.query(User).count()
    assert index_count("users", {"ids": {"values": [str(created)]}}) == 1


def test_one_barcode_given_by_50_clients_at_once_in_one_organisation(live):
    desk, sessions = desk_sessions(live, N)
    ptype = make_patron_type(desk.org, name="Race")
    people = [make_user(steward=desk.org) for _ in range(N)]
    bodies = [record_data(user_id, desk.org, ["patron"], ptype=ptype, barcode="RACE-0001") for user_id in people]
    results = post_all(sessions, f"{live}/api/patrons/", bodies)
    assert statuses(results) == {201: 1, 409: N - 1}, statuses(results)
    assert conflict_fields(results) == {"patron.barcode"}
    db.session.expire_all()
    assert db.session.query(PatronBarcode).filter_by(organisation_pid=desk.org, barcode="RACE-0001").count() == 1
    with_barcode = [m for m in db.session.query(Patron.model_cls).all() if "RACE-0001" in (m.json or {}).get("patron", {}).get("barcode", [])]
    assert len(with_barcode) == 1
    assert index_count("patrons", {"term": {"patron.barcode": "RACE-0001"}}) == 1


def test_20_updates_with_the_same_if_match(live):
    desk, sessions = desk_sessions(live, 20)
    user_id = make_user(steward=desk.org)
    created = sessions[0].post(f"{live}/api/patrons/", json=record_data(user_id, desk.org, ["patron"], ptype=desk.ptype, barcode="PUT-000001"), timeout=30)
    assert created.status_code == 201, created.text
    pid, etag = created.json()["id"], created.headers["ETag"]
    bodies = [record_data(user_id, desk.org, ["patron"], ptype=desk.ptype, barcode="PUT-000001") for _ in range(20)]
    for i, body in enumerate(bodies):
        body["patron"]["communication_language"] = ("fre", "ger", "ita", "eng")[i % 4]
        body["patron"]["barcode"] = ["PUT-000001", f"PUT-EXTRA-{i:03d}"]
    results = at_once(
        [lambda s=s, b=b: s.put(f"{live}/api/patrons/{pid}", json=b, headers={"If-Match": etag}, timeout=60) for s, b in zip(sessions, bodies, strict=True)]
    )
    assert statuses(results) == {200: 1, 412: 19}, statuses(results)
    winner = next(r for r in results if r.status_code == 200).json()
    assert winner["revision"] == int(etag.strip('"')) + 1
    db.session.expire_all()
    assert Patron.get_by_pid(pid).revision == winner["revision"]
    barcodes = db.session.query(PatronBarcode).filter_by(patron_pid=pid).count()
    assert barcodes == 2, "only the winner's barcodes are written"
