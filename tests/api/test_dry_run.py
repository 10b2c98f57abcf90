"""``PUT /api/users/<id>?dry_run=true`` and ``PUT /api/<resource>/<pid>?dry_run=true``
(docs/api.md): every check of the write answers as it would, nothing is kept. The
edit page checks both parts of a patron this way before it writes either."""

from invenio_db import db

from rero_ils_users.accounts.models import User
from rero_ils_users.records.models import IndexQueue
from tests.helpers import make_desk, make_person


def _queued():
    return db.session.query(IndexQueue).count()


def test_a_dry_run_of_personal_data_checks_and_keeps_nothing(client):
    desk = make_desk(client, ptype=True)
    user_id, _ = make_person(desk.org, ptype=desk.ptype, user={"username": "zoe"})
    current = client.get(f"/api/users/{user_id}").get_json()
    data, revision = dict(current["metadata"], city="Bulle", password="Another-Pass-9"), current["revision"]
    uniquifier, queued = db.session.get(User, user_id).fs_uniquifier, _queued()
    res = client.put(f"/api/users/{user_id}?dry_run=true", json=data, headers={"If-Match": f'"{revision}"'})
    assert (res.status_code, res.get_data()) == (204, b"")
    after = client.get(f"/api/users/{user_id}").get_json()
    assert (after["revision"], after["metadata"]["city"]) == (revision, current["metadata"]["city"])
    db.session.expire_all()
    assert db.session.get(User, user_id).fs_uniquifier == uniquifier  # no session was ended
    assert _queued() == queued  # nothing to index
    # a refusal is the write's own: its status, fields and codes
    bad = dict(data, birth_date="1990-02-31", first_name="")
    res = client.put(f"/api/users/{user_id}?dry_run=1", json=bad, headers={"Accept-Language": "fr"})
    real = client.put(f"/api/users/{user_id}", json=bad, headers={"Accept-Language": "fr"})
    assert res.status_code == real.status_code == 400 and res.get_json() == real.get_json()
    stale = client.put(f"/api/users/{user_id}?dry_run=true", json=data, headers={"If-Match": f'"{revision - 1}"'})
    assert stale.status_code == 412
    # dry_run=false is a write
    assert client.put(f"/api/users/{user_id}?dry_run=false", json=dict(data, password=None)).status_code == 200
    assert client.get(f"/api/users/{user_id}").get_json()["metadata"]["city"] == "Bulle"


def test_a_dry_run_of_a_patron_record_meets_the_databases_constraints_too(client):
    desk = make_desk(client, ptype=True)
    make_person(desk.org, ptype=desk.ptype, barcode="2050000999")
    _, pid = make_person(desk.org, ptype=desk.ptype)
    current = client.get(f"/api/patrons/{pid}").get_json()
    taken = dict(current["metadata"])
    taken["patron"] = dict(taken["patron"], barcode=["2050000999"])
    res = client.put(f"/api/patrons/{pid}?dry_run=true", json=taken)
    assert res.status_code == 409 and [e["code"] for e in res.get_json()["errors"]] == ["barcode_taken"]
    fine = dict(current["metadata"], local_codes=["stat9"])
    assert client.put(f"/api/patrons/{pid}?dry_run=true", json=fine).status_code == 204
    after = client.get(f"/api/patrons/{pid}").get_json()
    assert after["revision"] == current["revision"] and "local_codes" not in after["metadata"]
    assert client.put(f"/api/patrons/{pid}?dry_run=perhaps", json=fine).get_json()["errors"][0]["code"] == "boolean_required"
